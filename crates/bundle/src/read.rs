//! Opening a bundle someone else made: a folder or a ZIP file. Everything
//! is checked before anything is used, and every problem is reported, not
//! only the first: paths that would leave the folder, sizes that would fill
//! the memory or the disk (zip bombs), files missing or not listed, wrong
//! checksums, JSON that fails its schema, an unknown format version, and
//! hostile text.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::check::{hostile_json, hostile_text, is_safe_path};
use crate::manifest::{Manifest, FILE_NAME, FORMAT, FORMAT_VERSION, SCHEMA};
use crate::schemas::Validators;
use crate::{BundleError, Result};

/// Limits that no honest bundle reaches.
pub const MAX_FILES: usize = 20_000;
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
pub const MAX_TOTAL_BYTES: u64 = 512 * 1024 * 1024;
/// Deflate reaches about 10:1 on our JSON; far beyond that is a bomb.
pub const MAX_RATIO: u64 = 200;

/// A bundle whose every file was checked.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub manifest: Manifest,
    /// SHA-256 of `manifest.json`: names this bundle in provenance rows.
    pub sha256: String,
    files: BTreeMap<String, Vec<u8>>,
}

impl Bundle {
    pub fn bytes(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// A JSON file, parsed (it was parsed once already when checked).
    pub fn json(&self, path: &str) -> Option<Value> {
        self.bytes(path)
            .and_then(|b| serde_json::from_slice(b).ok())
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}

/// Opens and checks the bundle at `path` (a folder or a `.zip` file).
pub fn open(path: &Path) -> Result<Bundle> {
    let raw = if path.is_dir() {
        read_dir(path)?
    } else {
        let file = std::fs::File::open(path).map_err(|e| {
            BundleError::Refused(vec![format!(
                "Das Paket „{}“ lässt sich nicht öffnen: {e}",
                path.display()
            )])
        })?;
        read_zip(file)?
    };
    check(raw)
}

/// Opens and checks a ZIP bundle held in memory (an upload, the fuzzer).
pub fn from_zip_bytes(bytes: &[u8]) -> Result<Bundle> {
    check(read_zip(std::io::Cursor::new(bytes))?)
}

fn refused(problems: Vec<String>) -> BundleError {
    BundleError::Refused(problems)
}

/// The files of a folder, with the same limits as a ZIP file.
fn read_dir(root: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    let mut problems = Vec::new();
    let mut total = 0u64;
    let mut stack = vec![(root.to_owned(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| {
            refused(vec![format!(
                "Der Ordner „{}“ ist nicht lesbar: {e}",
                dir.display()
            )])
        })?;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name.clone()
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
                return Err(refused(vec![format!(
                    "Das Paket enthält mehr als {MAX_FILES} Dateien."
                )]));
            } else {
                let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                total += size;
                if size > MAX_FILE_BYTES || total > MAX_TOTAL_BYTES {
                    return Err(refused(vec![format!(
                        "{rel}: das Paket ist zu groß (höchstens {} MB je Datei, {} MB insgesamt).",
                        MAX_FILE_BYTES >> 20,
                        MAX_TOTAL_BYTES >> 20
                    )]));
                }
                match std::fs::read(e.path()) {
                    Ok(bytes) => {
                        files.insert(rel, bytes);
                    }
                    Err(err) => problems.push(format!("{rel}: nicht lesbar: {err}")),
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(refused(problems))
    }
}

/// The files of a ZIP archive. Declared sizes are not trusted: every entry
/// is read through a limit, and the ratio of packed to unpacked size is
/// checked against what deflate can honestly reach.
fn read_zip<R: Read + std::io::Seek>(reader: R) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| {
        refused(vec![format!(
            "Das Paket ist weder ein Ordner noch eine lesbare ZIP-Datei: {e}"
        )])
    })?;
    if archive.len() > MAX_FILES {
        return Err(refused(vec![format!(
            "Das Paket enthält mehr als {MAX_FILES} Dateien."
        )]));
    }
    let mut files = BTreeMap::new();
    let mut problems = Vec::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
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
            problems.push(format!(
                "„{}“: unzulässiger Pfad (nur Buchstaben, Ziffern, . _ - und / innerhalb des Pakets).",
                name.escape_debug()
            ));
            continue;
        }
        let packed = entry.compressed_size().max(1);
        let declared = entry.size();
        if declared > MAX_FILE_BYTES || declared / packed > MAX_RATIO && declared > 1 << 20 {
            return Err(refused(vec![format!(
                "{name}: entpackt zu groß (ZIP-Bombe?); das Paket wird nicht gelesen."
            )]));
        }
        let mut bytes = Vec::new();
        let limit = MAX_FILE_BYTES.min(MAX_TOTAL_BYTES - total);
        if let Err(e) = (&mut entry).take(limit + 1).read_to_end(&mut bytes) {
            problems.push(format!("{name}: nicht lesbar: {e}"));
            continue;
        }
        if bytes.len() as u64 > limit {
            return Err(refused(vec![format!(
                "{name}: entpackt zu groß (ZIP-Bombe?); das Paket wird nicht gelesen."
            )]));
        }
        total += bytes.len() as u64;
        if files.insert(name.clone(), bytes).is_some() {
            problems.push(format!("{name}: kommt mehrfach vor."));
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(refused(problems))
    }
}

fn is_text(path: &str) -> bool {
    [".json", ".jsonld", ".md", ".csv", ".html"]
        .iter()
        .any(|ext| path.ends_with(ext))
}

/// Every check on the files against the manifest.
fn check(files: BTreeMap<String, Vec<u8>>) -> Result<Bundle> {
    let mut problems = Vec::new();
    let Some(manifest_bytes) = files.get(FILE_NAME) else {
        return Err(refused(vec![format!(
            "{FILE_NAME} fehlt: das ist kein Paket der KI-Reise."
        )]));
    };
    let mut validators = Validators::default();
    let manifest_value: Value = serde_json::from_slice(manifest_bytes)
        .map_err(|e| refused(vec![format!("{FILE_NAME}: kein gültiges JSON: {e}")]))?;
    // The version first: a newer format may legitimately fail today's schema.
    if manifest_value.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(refused(vec![format!(
            "{FILE_NAME}: das Format ist nicht „{FORMAT}“."
        )]));
    }
    match manifest_value.get("format_version").and_then(Value::as_u64) {
        Some(v) if v == u64::from(FORMAT_VERSION) => {}
        other => {
            return Err(refused(vec![format!(
                "{FILE_NAME}: Formatversion {} ist unbekannt; diese ki-reise liest Version {FORMAT_VERSION}. Bitte ki-reise aktualisieren.",
                other.map_or_else(|| "(keine)".to_owned(), |v| v.to_string())
            )]))
        }
    }
    for p in validators.check(SCHEMA, &manifest_value) {
        problems.push(format!("{FILE_NAME}: passt nicht zum Schema: {p}"));
    }
    if let Some(why) = hostile_json(&manifest_value) {
        problems.push(format!("{FILE_NAME}: {why}."));
    }
    if !problems.is_empty() {
        return Err(refused(problems));
    }
    let manifest: Manifest = serde_json::from_value(manifest_value)
        .map_err(|e| refused(vec![format!("{FILE_NAME}: {e}")]))?;

    let mut listed = BTreeSet::new();
    for f in &manifest.files {
        let path = f.path.as_str();
        if !listed.insert(path) {
            problems.push(format!("{path}: steht mehrfach in {FILE_NAME}."));
            continue;
        }
        if !is_safe_path(path) {
            problems.push(format!("„{}“: unzulässiger Pfad.", path.escape_debug()));
            continue;
        }
        let Some(bytes) = files.get(path) else {
            problems.push(format!("{path}: fehlt im Paket."));
            continue;
        };
        if bytes.len() as u64 != f.bytes || hex::encode(Sha256::digest(bytes)) != f.sha256 {
            problems.push(format!("{path}: die Prüfsumme stimmt nicht; die Datei wurde verändert oder ist beschädigt."));
            continue;
        }
        if let Some(schema) = &f.schema {
            match serde_json::from_slice::<Value>(bytes) {
                Err(e) => problems.push(format!("{path}: kein gültiges JSON: {e}")),
                Ok(value) => {
                    for p in validators.check(schema, &value) {
                        problems.push(format!("{path}: passt nicht zum Schema {schema}: {p}"));
                    }
                    if let Some(why) = hostile_json(&value) {
                        problems.push(format!("{path}: {why}."));
                    }
                }
            }
        } else if is_text(path) {
            match std::str::from_utf8(bytes) {
                Err(_) => problems.push(format!("{path}: ist kein UTF-8-Text.")),
                Ok(text) => {
                    if let Some(why) = hostile_text(text) {
                        problems.push(format!("{path}: {why}."));
                    }
                }
            }
        }
    }
    for path in files.keys() {
        if path != FILE_NAME && !listed.contains(path.as_str()) {
            problems.push(format!("{path}: steht nicht in {FILE_NAME}."));
        }
    }
    if !problems.is_empty() {
        return Err(refused(problems));
    }
    let sha256 = hex::encode(Sha256::digest(manifest_bytes));
    Ok(Bundle {
        manifest,
        sha256,
        files,
    })
}
