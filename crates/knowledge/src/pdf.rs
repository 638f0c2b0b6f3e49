//! PDF text through poppler's `pdfinfo` and `pdftotext`: the upload goes
//! to a temporary file whose name we choose, the programs run with fixed
//! arguments, a time limit and bounded output, and a PDF with more pages
//! than [`MAX_PAGES`] is refused rather than cut short.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::block::Block;
use crate::error::ExtractError;
use crate::plain;

pub const MAX_PAGES: u64 = 2_000;
const TIME_LIMIT: Duration = Duration::from_secs(60);
const MAX_OUTPUT: u64 = 64 * 1024 * 1024;

/// The blocks of the PDF's text layer, with page numbers, and its pages.
pub fn extract(bytes: &[u8]) -> Result<(Vec<Block>, u32), ExtractError> {
    let internal = |e: std::io::Error| ExtractError::Internal(e.to_string());
    let mut file = tempfile::Builder::new()
        .prefix("ki-reise-upload-")
        .suffix(".pdf")
        .tempfile()
        .map_err(internal)?;
    file.write_all(bytes).map_err(internal)?;
    file.flush().map_err(internal)?;
    let path = file.path().to_owned();

    let info = run(Command::new("pdfinfo").arg(&path), "pdfinfo")?;
    if !info.success {
        return Err(refusal(&info.stderr));
    }
    let info = String::from_utf8_lossy(&info.stdout);
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_owned())
    };
    if field("Encrypted:").is_some_and(|v| v.starts_with("yes")) {
        return Err(ExtractError::Encrypted);
    }
    let pages: u64 = field("Pages:")
        .and_then(|v| v.parse().ok())
        .ok_or(ExtractError::Malformed("PDF"))?;
    if pages > MAX_PAGES {
        return Err(ExtractError::TooManyPages {
            pages,
            max: MAX_PAGES,
        });
    }
    let text = run(
        Command::new("pdftotext")
            .args(["-q", "-enc", "UTF-8", "-eol", "unix", "-l"])
            .arg(pages.to_string())
            .arg(&path)
            .arg("-"),
        "pdftotext",
    )?;
    if !text.success {
        return Err(refusal(&text.stderr));
    }
    let blocks = plain::blocks(&String::from_utf8_lossy(&text.stdout), false);
    Ok((blocks, u32::try_from(pages).unwrap_or(u32::MAX)))
}

fn refusal(stderr: &[u8]) -> ExtractError {
    let stderr = String::from_utf8_lossy(stderr);
    if stderr.contains("password") || stderr.contains("Encrypt") {
        ExtractError::Encrypted
    } else {
        ExtractError::Malformed("PDF")
    }
}

struct Output {
    success: bool,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs a tool with a time limit; output beyond [`MAX_OUTPUT`] is a
/// refusal, not a truncation.
fn run(command: &mut Command, tool: &str) -> Result<Output, ExtractError> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| ExtractError::ToolMissing(format!("{tool}: {e}")))?;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut stdout).take(MAX_OUTPUT + 1).read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut stderr).take(64 * 1024).read_to_end(&mut buf);
        buf
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > TIME_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ExtractError::Timeout);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(ExtractError::Internal(format!("{tool}: {e}"))),
        }
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    if stdout.len() as u64 > MAX_OUTPUT {
        return Err(ExtractError::TextTooLong(
            crate::block::MAX_TEXT_CHARS / 1_000_000,
        ));
    }
    Ok(Output {
        success: status.success(),
        stdout,
        stderr,
    })
}
