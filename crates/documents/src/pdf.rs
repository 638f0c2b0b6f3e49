//! PDF through LibreOffice: the ODT export converted by
//! `libreoffice --headless --convert-to pdf`. LibreOffice is optional; without
//! it the caller gets a German message that says what to install.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::meta::DocMeta;

/// How long one conversion may take before it is given up. A cold start of
/// LibreOffice with a fresh profile takes several seconds.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// The program names tried, in this order.
const PROGRAMS: [&str; 2] = ["libreoffice", "soffice"];

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("Für die PDF-Ausgabe wird LibreOffice benötigt, ist aber nicht installiert. Bitte LibreOffice installieren (z. B. „apt-get install libreoffice-writer-nogui“) oder das Dokument als ODT herunterladen und selbst umwandeln.")]
    LibreOfficeMissing,
    #[error(
        "LibreOffice hat die PDF-Umwandlung nach {0} Sekunden nicht beendet und wurde abgebrochen."
    )]
    Timeout(u64),
    #[error("LibreOffice konnte das Dokument nicht in PDF umwandeln: {0}")]
    Conversion(String),
    #[error("Temporäre Dateien für die PDF-Umwandlung: {0}")]
    Io(#[from] std::io::Error),
}

/// The LibreOffice program on the `PATH`, if there is one.
pub fn libreoffice() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| PROGRAMS.iter().map(move |p| dir.join(p)))
        .find(|candidate| candidate.is_file())
}

/// Converts the document to PDF with LibreOffice.
pub fn to_pdf(markdown: &str, meta: &DocMeta) -> Result<Vec<u8>, PdfError> {
    odt_to_pdf(&crate::odt::to_odt(markdown, meta), TIMEOUT)
}

/// Converts an ODT package to PDF with LibreOffice.
pub fn odt_to_pdf(odt: &[u8], timeout: Duration) -> Result<Vec<u8>, PdfError> {
    let program = libreoffice().ok_or(PdfError::LibreOfficeMissing)?;
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("dokument.odt");
    std::fs::write(&input, odt)?;
    let stderr_path = dir.path().join("stderr.txt");
    // A profile of its own: a LibreOffice already running for the same user
    // would otherwise take over the conversion, or block on its lock.
    let profile = dir.path().join("profil");
    let mut child = Command::new(&program)
        .arg(format!("-env:UserInstallation={}", file_url(&profile)))
        .args([
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(&input)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path)?)
        .spawn()?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > timeout {
            // Killing may race with a normal exit; either way we give up.
            let _ = child.kill();
            let _ = child.wait();
            return Err(PdfError::Timeout(timeout.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = dir.path().join("dokument.pdf");
    match std::fs::read(&output) {
        Ok(pdf) if status.success() && pdf.starts_with(b"%PDF") => Ok(pdf),
        _ => {
            let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            Err(PdfError::Conversion(format!(
                "{status}; {}",
                stderr.trim().chars().take(500).collect::<String>()
            )))
        }
    }
}

fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for c in path.to_string_lossy().chars() {
        match c {
            ' ' => url.push_str("%20"),
            '%' => url.push_str("%25"),
            c => url.push(c),
        }
    }
    url
}
