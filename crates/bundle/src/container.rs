//! Where a bundle's files come from: a folder or a ZIP archive. Both are
//! listed first without reading any content, then read one file at a time,
//! each through a limit, so that a check never holds more than one file in
//! memory and never unpacks more than the limits allow (zip bombs).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::check::is_safe_path;
use crate::{BundleError, Result};

/// Limits that no honest bundle reaches.
pub const MAX_FILES: usize = 20_000;
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
pub const MAX_TOTAL_BYTES: u64 = 512 * 1024 * 1024;
/// Deflate reaches about 10:1 on our JSON; far beyond that is a bomb.
pub const MAX_RATIO: u64 = 200;

fn refused(problem: String) -> BundleError {
    BundleError::Refused(vec![problem])
}

pub(crate) fn too_big(name: &str) -> BundleError {
    refused(format!(
        "{name}: entpackt zu groß (ZIP-Bombe?); das Paket wird nicht gelesen."
    ))
}

fn too_many() -> BundleError {
    refused(format!("Das Paket enthält mehr als {MAX_FILES} Dateien."))
}

/// The files of a bundle, listed and then read one at a time.
pub trait Container {
    /// Every file's path. Problems with the listing itself (unsafe paths,
    /// links, duplicates) are all reported together.
    fn list(&mut self) -> Result<Vec<String>>;
    /// One file's content, to be read once.
    fn open(&mut self, path: &str) -> std::io::Result<Box<dyn Read + '_>>;
}

/// A file read through its limit: length and SHA-256 of every byte, and
/// the bytes themselves only when asked for.
pub struct Read1 {
    pub len: u64,
    pub sha256: String,
    pub bytes: Option<Vec<u8>>,
}

/// What reading one file through a limit gave.
pub enum Outcome {
    Read(Read1),
    /// More bytes than the limit; reading stopped there.
    Over,
    /// Not readable; the German problem names the file.
    Failed(String),
}

/// Reads one file through at most `limit` bytes, hashing as it goes and
/// keeping the bytes only if `keep`.
pub fn read_limited(container: &mut dyn Container, path: &str, limit: u64, keep: bool) -> Outcome {
    let failed = |e: std::io::Error| Outcome::Failed(format!("{path}: nicht lesbar: {e}"));
    let mut reader = match container.open(path) {
        Ok(r) => r.take(limit + 1),
        Err(e) => return failed(e),
    };
    let mut hasher = Sha256::new();
    let mut kept = Vec::new();
    let mut len = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return failed(e),
        };
        len += n as u64;
        if len > limit {
            return Outcome::Over;
        }
        hasher.update(&buf[..n]);
        if keep {
            kept.extend_from_slice(&buf[..n]);
        }
    }
    Outcome::Read(Read1 {
        len,
        sha256: hex::encode(hasher.finalize()),
        bytes: keep.then_some(kept),
    })
}

/// Opens a bundle at `path`: a folder or a ZIP file.
pub fn open(path: &Path) -> Result<Box<dyn Container>> {
    if path.is_dir() {
        return Ok(Box::new(Folder {
            root: path.to_owned(),
        }));
    }
    let file = File::open(path).map_err(|e| {
        refused(format!(
            "Das Paket „{}“ lässt sich nicht öffnen: {e}",
            path.display()
        ))
    })?;
    Ok(Box::new(Zip::new(BufReader::new(file))?))
}

/// A folder: only plain files, no links.
pub struct Folder {
    root: PathBuf,
}

impl Container for Folder {
    fn list(&mut self) -> Result<Vec<String>> {
        let mut files = Vec::new();
        let mut problems = Vec::new();
        let mut total = 0u64;
        let mut stack = vec![(self.root.clone(), String::new())];
        while let Some((dir, prefix)) = stack.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|e| {
                refused(format!(
                    "Der Ordner „{}“ ist nicht lesbar: {e}",
                    dir.display()
                ))
            })?;
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let rel = if prefix.is_empty() {
                    name
                } else {
                    format!("{prefix}/{name}")
                };
                let Ok(kind) = e.file_type() else { continue };
                if kind.is_symlink() {
                    problems.push(format!(
                        "{rel}: ist ein Verweis (Symlink); Pakete enthalten nur Dateien."
                    ));
                } else if kind.is_dir() {
                    stack.push((e.path(), rel));
                } else if files.len() >= MAX_FILES {
                    return Err(too_many());
                } else {
                    let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                    total += size;
                    if size > MAX_FILE_BYTES || total > MAX_TOTAL_BYTES {
                        return Err(refused(format!(
                            "{rel}: das Paket ist zu groß (höchstens {} MB je Datei, {} MB insgesamt).",
                            MAX_FILE_BYTES >> 20,
                            MAX_TOTAL_BYTES >> 20
                        )));
                    }
                    if !is_safe_path(&rel) {
                        problems.push(unsafe_path(&rel));
                    }
                    files.push(rel);
                }
            }
        }
        if problems.is_empty() {
            Ok(files)
        } else {
            Err(BundleError::Refused(problems))
        }
    }

    fn open(&mut self, path: &str) -> std::io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(BufReader::new(File::open(self.root.join(path))?)))
    }
}

fn unsafe_path(name: &str) -> String {
    format!(
        "„{}“: unzulässiger Pfad (nur Buchstaben, Ziffern, . _ - und / innerhalb des Pakets).",
        name.escape_debug()
    )
}

/// A ZIP archive read in place (a file, or bytes in memory). Declared sizes
/// are not trusted: they only refuse early what is plainly a bomb; every
/// entry is still read through its limit.
pub struct Zip<R: Read + Seek> {
    archive: zip::ZipArchive<R>,
}

impl<R: Read + Seek> Zip<R> {
    pub fn new(reader: R) -> Result<Zip<R>> {
        let archive = zip::ZipArchive::new(reader).map_err(|e| {
            refused(format!(
                "Das Paket ist weder ein Ordner noch eine lesbare ZIP-Datei: {e}"
            ))
        })?;
        if archive.len() > MAX_FILES {
            return Err(too_many());
        }
        Ok(Zip { archive })
    }
}

impl<R: Read + Seek> Container for Zip<R> {
    fn list(&mut self) -> Result<Vec<String>> {
        let mut files = Vec::new();
        let mut seen = BTreeSet::new();
        let mut problems = Vec::new();
        for i in 0..self.archive.len() {
            // Raw: the header only, nothing is unpacked here.
            let entry = match self.archive.by_index_raw(i) {
                Ok(e) => e,
                Err(e) => {
                    problems.push(format!("Eintrag {i} der ZIP-Datei ist nicht lesbar: {e}"));
                    continue;
                }
            };
            let name = entry.name().to_owned();
            if entry.is_dir() {
                continue;
            }
            if !is_safe_path(&name) {
                problems.push(unsafe_path(&name));
                continue;
            }
            if entry.is_symlink() {
                problems.push(format!(
                    "{name}: ist ein Verweis (Symlink); Pakete enthalten nur Dateien."
                ));
                continue;
            }
            let packed = entry.compressed_size().max(1);
            let declared = entry.size();
            if declared > MAX_FILE_BYTES || declared / packed > MAX_RATIO && declared > 1 << 20 {
                return Err(too_big(&name));
            }
            if !seen.insert(name.clone()) {
                problems.push(format!("{name}: kommt mehrfach vor."));
                continue;
            }
            files.push(name);
        }
        if problems.is_empty() {
            Ok(files)
        } else {
            Err(BundleError::Refused(problems))
        }
    }

    fn open(&mut self, path: &str) -> std::io::Result<Box<dyn Read + '_>> {
        let entry = self
            .archive
            .by_name(path)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(Box::new(entry))
    }
}
