//! Fetching a GGUF model into the data folder's `models/`, shared by
//! `ki-reise model add` and the portal's catalogue download: a download is
//! resumable (a `.part` file and an HTTP range request), its sha256 is
//! checked when one is given, and the file must be a readable GGUF before
//! it takes its final name, so a broken download never looks like a model.
//! Errors are German sentences for the person who started it.

use std::io::{Read, Write};
use std::path::Path;

/// Told how a download goes.
pub trait Progress: Send {
    /// The transfer begins: the whole size when the server says it, and the
    /// bytes already there from an earlier attempt.
    fn start(&mut self, total: Option<u64>, resumed_at: u64);
    /// `bytes` more arrived.
    fn advance(&mut self, bytes: u64);
}

/// A progress nobody watches.
pub struct Silent;

impl Progress for Silent {
    fn start(&mut self, _: Option<u64>, _: u64) {}
    fn advance(&mut self, _: u64) {}
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

/// The `.part` file beside a model's final path.
pub fn part_path(target: &Path) -> std::path::PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    target.with_file_name(name)
}

/// Downloads `url` into `part`, continuing where an earlier attempt
/// stopped when the server supports range requests.
pub async fn download(url: &str, part: &Path, progress: &mut dyn Progress) -> Result<(), String> {
    let have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
    let client = reqwest::Client::new();
    let mut request = client.get(url);
    if have > 0 {
        request = request.header(reqwest::header::RANGE, format!("bytes={have}-"));
    }
    let mut response = request
        .send()
        .await
        .map_err(|e| format!("Die Adresse {url} ist nicht erreichbar: {e}"))?;
    let status = response.status();
    let resumed = status == reqwest::StatusCode::PARTIAL_CONTENT;
    if !status.is_success() {
        return Err(format!("Der Server antwortet auf {url} mit {status}."));
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(resumed)
        .truncate(!resumed)
        .open(part)
        .map_err(io_error(part))?;
    let start = if resumed { have } else { 0 };
    progress.start(response.content_length().map(|l| l + start), start);
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("Der Download brach ab ({e}); ein erneuter Versuch setzt ihn fort."))?
    {
        file.write_all(&chunk).map_err(io_error(part))?;
        progress.advance(chunk.len() as u64);
    }
    Ok(())
}

/// The file's SHA-256, lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String, String> {
    let mut file = std::fs::File::open(path).map_err(io_error(path))?;
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io_error(path))?;
        if n == 0 {
            break;
        }
        context.update(&buf[..n]);
    }
    Ok(hex::encode(context.finish().as_ref()))
}

/// Architecture, name and size of a GGUF file, checked by the engine's reader.
pub fn describe(path: &Path) -> Result<String, String> {
    let file = engine::gguf::GgufFile::open(path).map_err(|e| e.to_string())?;
    let arch = file
        .header
        .get_str("general.architecture")
        .unwrap_or("unbekannt")
        .to_owned();
    let name = file.header.get_str("general.name").unwrap_or("").to_owned();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(format!(
        "{}{arch}, {:.1} MB",
        if name.is_empty() {
            String::new()
        } else {
            format!("{name}, ")
        },
        size as f64 / 1e6
    ))
}

/// What a finished fetch found.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub sha256: String,
    pub summary: String,
}

/// Checks the `part` file (the sha256 when `expected` is given, then that
/// it is a readable GGUF) and gives it its final name `target`; a file
/// that fails a check is removed. Blocking: it reads the whole file.
pub fn finish(part: &Path, target: &Path, expected: Option<&str>) -> Result<Fetched, String> {
    let sha256 = sha256_file(part)?;
    if let Some(expected) = expected {
        if !sha256.eq_ignore_ascii_case(expected.trim()) {
            let _ = std::fs::remove_file(part);
            return Err(format!(
                "Die Prüfsumme stimmt nicht: erwartet {expected}, erhalten {sha256}. Die Datei wurde verworfen."
            ));
        }
    }
    let summary = describe(part).map_err(|e| {
        let _ = std::fs::remove_file(part);
        format!("Die Datei ist kein lesbares GGUF-Modell und wurde verworfen: {e}")
    })?;
    std::fs::rename(part, target).map_err(io_error(target))?;
    Ok(Fetched { sha256, summary })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_part_file_lies_beside_the_model() {
        assert_eq!(
            part_path(Path::new("/data/models/a.gguf")),
            Path::new("/data/models/a.gguf.part")
        );
    }

    #[test]
    fn sha256_of_a_known_text() {
        let dir = std::env::temp_dir().join(format!("model-fetch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("abc");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(
            sha256_file(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
