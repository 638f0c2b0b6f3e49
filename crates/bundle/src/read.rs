//! Opening a bundle someone else made: a folder or a ZIP file. Everything
//! is checked before anything is used, and every problem is reported, not
//! only the first: paths that would leave the folder, sizes that would fill
//! the memory or the disk (zip bombs), files missing or not listed, wrong
//! checksums, JSON that fails its schema, an unknown format version, and
//! hostile text.
//!
//! The files are read one at a time from where they lie ([`container`]):
//! each is hashed as it streams by, held only while its content is checked,
//! and kept afterwards only if an import reads it (JSON data and document
//! texts, not the ODT, CSV, HTML, schemas or README). So the memory an
//! import needs grows with its data, not with the size of the bundle.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek};
use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::check::{hostile_json, hostile_text, is_safe_path};
use crate::container::{self, read_limited, Container, Outcome};
use crate::manifest::{FileEntry, Manifest, FILE_NAME, FORMAT, FORMAT_VERSION, SCHEMA};
use crate::schemas::Validators;
use crate::{BundleError, Result};

pub use crate::container::{MAX_FILES, MAX_FILE_BYTES, MAX_RATIO, MAX_TOTAL_BYTES};

/// A bundle whose every file was checked.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub manifest: Manifest,
    /// SHA-256 of `manifest.json`: names this bundle in provenance rows.
    pub sha256: String,
    /// Every file the bundle has, checked.
    paths: BTreeSet<String>,
    /// The checked content of the files an import reads.
    kept: BTreeMap<String, Vec<u8>>,
}

impl Bundle {
    /// The content of a file an import reads ([`kept_for_import`]); other
    /// files were checked and let go.
    pub fn bytes(&self, path: &str) -> Option<&[u8]> {
        self.kept.get(path).map(Vec::as_slice)
    }

    /// A JSON file, parsed (it was parsed once already when checked).
    pub fn json(&self, path: &str) -> Option<Value> {
        self.bytes(path)
            .and_then(|b| serde_json::from_slice(b).ok())
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.paths.iter().map(String::as_str)
    }
}

/// Whether an import reads this file: the JSON data and the documents'
/// Markdown. Schemas, the API description, ODT, CSV, HTML and the README
/// are for people and other programs.
pub fn kept_for_import(path: &str) -> bool {
    let json_data = path.ends_with(".json")
        && !path.starts_with("schemas/")
        && path != crate::export::layout::OPENAPI;
    let document_text = path.starts_with("dokumente/") && path.ends_with("/text.md");
    json_data || document_text
}

/// Opens and checks the bundle at `path` (a folder or a `.zip` file),
/// reading it in place one file at a time.
pub fn open(path: &Path) -> Result<Bundle> {
    check(container::open(path)?.as_mut())
}

/// Opens and checks a ZIP bundle from anything seekable (a file, bytes).
pub fn from_zip<R: Read + Seek>(reader: R) -> Result<Bundle> {
    check(&mut container::Zip::new(reader)?)
}

/// Opens and checks a ZIP bundle held in memory (the fuzzer, tests).
pub fn from_zip_bytes(bytes: &[u8]) -> Result<Bundle> {
    from_zip(std::io::Cursor::new(bytes))
}

fn refused(problems: Vec<String>) -> BundleError {
    BundleError::Refused(problems)
}

fn is_text(path: &str) -> bool {
    [".json", ".jsonld", ".md", ".csv", ".html"]
        .iter()
        .any(|ext| path.ends_with(ext))
}

/// Every check on the files against the manifest.
fn check(container: &mut dyn Container) -> Result<Bundle> {
    let present: BTreeSet<String> = container.list()?.into_iter().collect();
    if !present.contains(FILE_NAME) {
        return Err(refused(vec![format!(
            "{FILE_NAME} fehlt: das ist kein Paket der KI-Reise."
        )]));
    }
    let manifest_bytes = match read_limited(container, FILE_NAME, MAX_FILE_BYTES, true) {
        Outcome::Read(r) => r.bytes.unwrap_or_default(),
        Outcome::Over => return Err(container::too_big(FILE_NAME)),
        Outcome::Failed(problem) => return Err(refused(vec![problem])),
    };
    let mut validators = Validators::default();
    let manifest = check_manifest(&manifest_bytes, &mut validators)?;

    let mut problems = Vec::new();
    let mut kept = BTreeMap::new();
    let mut listed = BTreeSet::new();
    let mut total = manifest_bytes.len() as u64;
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
        if !present.contains(path) {
            problems.push(format!("{path}: fehlt im Paket."));
            continue;
        }
        let limit = MAX_FILE_BYTES.min(MAX_TOTAL_BYTES.saturating_sub(total));
        match check_file(container, f, limit, &mut validators)? {
            Checked::Ok { len, bytes } => {
                total += len;
                if let Some(bytes) = bytes.filter(|_| kept_for_import(path)) {
                    kept.insert(path.to_owned(), bytes);
                }
            }
            Checked::Problems(mut found) => problems.append(&mut found),
        }
    }
    for path in &present {
        if path != FILE_NAME && !listed.contains(path.as_str()) {
            problems.push(format!("{path}: steht nicht in {FILE_NAME}."));
        }
    }
    if !problems.is_empty() {
        return Err(refused(problems));
    }
    let sha256 = hex::encode(Sha256::digest(&manifest_bytes));
    Ok(Bundle {
        manifest,
        sha256,
        paths: present,
        kept,
    })
}

/// The manifest: format and version first, then its schema.
fn check_manifest(bytes: &[u8], validators: &mut Validators) -> Result<Manifest> {
    let mut value: Value = serde_json::from_slice(bytes)
        .map_err(|e| refused(vec![format!("{FILE_NAME}: kein gültiges JSON: {e}")]))?;
    // The version first: a newer format may legitimately fail today's schema.
    if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(refused(vec![format!(
            "{FILE_NAME}: das Format ist nicht „{FORMAT}“."
        )]));
    }
    match value.get("format_version").and_then(Value::as_u64) {
        Some(v) if v == u64::from(FORMAT_VERSION) => {}
        other => {
            return Err(refused(vec![format!(
                "{FILE_NAME}: Formatversion {} ist unbekannt; diese ki-reise liest Version {FORMAT_VERSION}. Bitte ki-reise aktualisieren.",
                other.map_or_else(|| "(keine)".to_owned(), |v| v.to_string())
            )]))
        }
    }
    let mut problems: Vec<String> = validators
        .check(SCHEMA, &mut value)
        .into_iter()
        .map(|p| format!("{FILE_NAME}: passt nicht zum Schema: {p}"))
        .collect();
    if let Some(why) = hostile_json(&value) {
        problems.push(format!("{FILE_NAME}: {why}."));
    }
    if !problems.is_empty() {
        return Err(refused(problems));
    }
    serde_json::from_value(value).map_err(|e| refused(vec![format!("{FILE_NAME}: {e}")]))
}

enum Checked {
    /// Its length, and its bytes when its content was looked at.
    Ok {
        len: u64,
        bytes: Option<Vec<u8>>,
    },
    Problems(Vec<String>),
}

/// One listed file: size and checksum as it streams by, then its content
/// (schema, hostile text) if it has content to check or an import reads it.
fn check_file(
    container: &mut dyn Container,
    f: &FileEntry,
    limit: u64,
    validators: &mut Validators,
) -> Result<Checked> {
    let path = f.path.as_str();
    let changed = || {
        Checked::Problems(vec![format!(
            "{path}: die Prüfsumme stimmt nicht; die Datei wurde verändert oder ist beschädigt."
        )])
    };
    // Reading stops one byte past the size the manifest names: a longer
    // file is a changed file, however long it would go on.
    let keep = f.schema.is_some() || is_text(path) || kept_for_import(path);
    let read = match read_limited(container, path, limit.min(f.bytes), keep) {
        Outcome::Read(r) => r,
        Outcome::Over if f.bytes < limit => return Ok(changed()),
        Outcome::Over => return Err(container::too_big(path)),
        Outcome::Failed(problem) => return Ok(Checked::Problems(vec![problem])),
    };
    if read.len != f.bytes || read.sha256 != f.sha256 {
        return Ok(changed());
    }
    let Some(bytes) = read.bytes else {
        return Ok(Checked::Ok {
            len: read.len,
            bytes: None,
        });
    };
    let mut problems = Vec::new();
    if let Some(schema) = &f.schema {
        match serde_json::from_slice::<Value>(&bytes) {
            Err(e) => problems.push(format!("{path}: kein gültiges JSON: {e}")),
            Ok(mut value) => {
                for p in validators.check(schema, &mut value) {
                    problems.push(format!("{path}: passt nicht zum Schema {schema}: {p}"));
                }
                if let Some(why) = hostile_json(&value) {
                    problems.push(format!("{path}: {why}."));
                }
            }
        }
    } else if is_text(path) {
        match std::str::from_utf8(&bytes) {
            Err(_) => problems.push(format!("{path}: ist kein UTF-8-Text.")),
            Ok(text) => {
                if let Some(why) = hostile_text(text) {
                    problems.push(format!("{path}: {why}."));
                }
            }
        }
    }
    Ok(if problems.is_empty() {
        Checked::Ok {
            len: read.len,
            bytes: Some(bytes),
        }
    } else {
        Checked::Problems(problems)
    })
}
