//! Template sets (Musterversionen) to publish and to import: a zip or folder
//! with `manifest.json`, the template files and the schemas.
//!
//! Import is all or nothing: every problem of every file is collected into
//! one report, and nothing is returned unless the whole set is sound. A set
//! comes from outside, so the zip reader refuses paths that leave the set,
//! too many entries and too much data (zip bombs), checking the real number
//! of bytes read, not only what the archive claims.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{Cursor, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::template::{Template, TemplateError};

/// The format version written to and expected in `manifest.json`.
pub const FORMAT: u32 = 1;
/// The JSON Schema of `manifest.json`.
pub const SCHEMA: &str = include_str!("../../../schemas/template-set.schema.json");
pub const MANIFEST: &str = "manifest.json";

/// Most entries a set may have.
pub const MAX_ENTRIES: usize = 200;
/// Most bytes one file may have once unpacked.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Most bytes the whole set may have once unpacked.
pub const MAX_TOTAL_BYTES: u64 = 16 * 1024 * 1024;

/// `manifest.json`: what the set holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    /// When the set was written, RFC 3339.
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    pub templates: Vec<ManifestEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    pub file: String,
    pub id: String,
    pub version: String,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
}

/// One problem found during an import, with the file it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportProblem {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ", Zeile {line}")?;
        }
        if let Some(column) = self.column {
            write!(f, ", Spalte {column}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Why an import was refused: every problem found. Nothing was imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub problems: Vec<ImportProblem>,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Der Vorlagensatz wurde nicht importiert ({} Problem{}):",
            self.problems.len(),
            if self.problems.len() == 1 { "" } else { "e" }
        )?;
        for problem in &self.problems {
            write!(f, "\n- {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportReport {}

fn problem(file: &str, message: impl Into<String>) -> ImportProblem {
    ImportProblem {
        file: file.to_owned(),
        line: None,
        column: None,
        message: message.into(),
    }
}

fn refused(problems: Vec<ImportProblem>) -> ImportReport {
    ImportReport { problems }
}

/// Writes a template set as a zip.
pub fn export(templates: &[Template]) -> Vec<u8> {
    let files: Vec<(String, String)> = templates
        .iter()
        .map(|t| (t.file_name(), t.to_file_text()))
        .collect();
    let created = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let manifest = Manifest {
        format: FORMAT,
        created,
        publisher: None,
        templates: templates
            .iter()
            .zip(&files)
            .map(|(t, (file, text))| ManifestEntry {
                file: file.clone(),
                id: t.id.clone(),
                version: t.version.clone(),
                sha256: sha256(text.as_bytes()),
            })
            .collect(),
    };
    let manifest = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let entries = std::iter::once((MANIFEST.to_owned(), manifest))
        .chain(files)
        .chain([
            (
                "schemas/template-set.schema.json".to_owned(),
                SCHEMA.to_owned(),
            ),
            (
                "schemas/document-template.schema.json".to_owned(),
                crate::template::SCHEMA.to_owned(),
            ),
        ]);
    // Writing into memory cannot fail for I/O reasons; a zip error here
    // would be a bug (a duplicate name), which the round-trip test catches.
    let written = (|| -> zip::result::ZipResult<Vec<u8>> {
        for (name, text) in entries {
            zip.start_file(name, options)?;
            zip.write_all(text.as_bytes())?;
        }
        Ok(zip.finish()?.into_inner())
    })();
    written.unwrap_or_default()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Reads a template set from a zip.
pub fn import_zip(bytes: &[u8]) -> Result<Vec<Template>, ImportReport> {
    const ARCHIVE: &str = "(Archiv)";
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        refused(vec![problem(
            ARCHIVE,
            format!("Die Datei ist kein lesbares ZIP-Archiv ({e})."),
        )])
    })?;
    if archive.len() > MAX_ENTRIES {
        return Err(refused(vec![problem(
            ARCHIVE,
            format!(
                "Das Archiv hat {} Einträge, erlaubt sind höchstens {MAX_ENTRIES}.",
                archive.len()
            ),
        )]));
    }
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(entry) => entry,
            Err(e) => {
                problems.push(problem(
                    ARCHIVE,
                    format!("Eintrag {} ist nicht lesbar ({e}).", i + 1),
                ));
                continue;
            }
        };
        let name = entry.name().to_owned();
        if entry.is_dir() {
            continue;
        }
        if entry.enclosed_name().is_none() || !is_plain_path(&name) {
            problems.push(problem(
                &name,
                "Der Pfad zeigt aus dem Vorlagensatz heraus und wird nicht gelesen.",
            ));
            continue;
        }
        if entry.size() > MAX_FILE_BYTES {
            problems.push(too_large(&name));
            continue;
        }
        let mut data = Vec::new();
        // Read one byte more than allowed: the declared size may lie.
        match (&mut entry).take(MAX_FILE_BYTES + 1).read_to_end(&mut data) {
            Ok(_) if data.len() as u64 > MAX_FILE_BYTES => {
                problems.push(too_large(&name));
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                problems.push(problem(&name, format!("Nicht lesbar ({e}).")));
                continue;
            }
        }
        total += data.len() as u64;
        if total > MAX_TOTAL_BYTES {
            problems.push(problem(
                ARCHIVE,
                format!(
                    "Entpackt ist der Vorlagensatz größer als {} MiB und wird nicht gelesen.",
                    MAX_TOTAL_BYTES / (1024 * 1024)
                ),
            ));
            return Err(refused(problems));
        }
        files.push((name, data));
    }
    import_files(files, problems)
}

fn too_large(name: &str) -> ImportProblem {
    problem(
        name,
        format!(
            "Die Datei ist größer als {} KiB und wird nicht gelesen.",
            MAX_FILE_BYTES / 1024
        ),
    )
}

/// A relative path of plain segments: no `..`, no absolute or drive paths,
/// no backslashes (which some unpackers read as separators).
fn is_plain_path(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains('\\')
        && !name.contains(':')
        && name
            .split('/')
            .all(|segment| !segment.is_empty() && segment != "." && segment != "..")
}

/// Reads a template set from a folder (its files and `schemas/`; nothing
/// deeper, and no symbolic links).
pub fn import_dir(path: &Path) -> Result<Vec<Template>, ImportReport> {
    let shown = path.display().to_string();
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut total = 0u64;
    let entries = std::fs::read_dir(path).map_err(|e| {
        refused(vec![problem(
            &shown,
            format!("Der Ordner ist nicht lesbar ({e})."),
        )])
    })?;
    let mut names = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "schemas" {
            continue;
        }
        names.push((name, entry.path()));
    }
    names.sort();
    if names.len() > MAX_ENTRIES {
        return Err(refused(vec![problem(
            &shown,
            format!(
                "Der Ordner hat {} Dateien, erlaubt sind höchstens {MAX_ENTRIES}.",
                names.len()
            ),
        )]));
    }
    for (name, file) in names {
        let meta = match std::fs::symlink_metadata(&file) {
            Ok(meta) => meta,
            Err(e) => {
                problems.push(problem(&name, format!("Nicht lesbar ({e}).")));
                continue;
            }
        };
        if meta.file_type().is_symlink() {
            problems.push(problem(
                &name,
                "Symbolische Verknüpfungen werden nicht gelesen.",
            ));
            continue;
        }
        if !meta.is_file() {
            continue;
        }
        if meta.len() > MAX_FILE_BYTES {
            problems.push(too_large(&name));
            continue;
        }
        total += meta.len();
        if total > MAX_TOTAL_BYTES {
            problems.push(problem(
                &shown,
                "Der Vorlagensatz ist zu groß und wird nicht gelesen.",
            ));
            return Err(refused(problems));
        }
        match std::fs::read(&file) {
            Ok(data) => files.push((name, data)),
            Err(e) => problems.push(problem(&name, format!("Nicht lesbar ({e})."))),
        }
    }
    import_files(files, problems)
}

/// Checks a set given as (name, bytes) pairs against its manifest.
fn import_files(
    files: Vec<(String, Vec<u8>)>,
    mut problems: Vec<ImportProblem>,
) -> Result<Vec<Template>, ImportReport> {
    let files: BTreeMap<String, Vec<u8>> = files.into_iter().collect();
    let Some(manifest_bytes) = files.get(MANIFEST) else {
        problems.push(problem(
            MANIFEST,
            "Das Inhaltsverzeichnis manifest.json fehlt.",
        ));
        return Err(refused(problems));
    };
    let manifest: Manifest = match serde_json::from_slice(manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            problems.push(ImportProblem {
                file: MANIFEST.to_owned(),
                line: Some(e.line()),
                column: Some(e.column()),
                message: format!("Kein gültiges Inhaltsverzeichnis: {e}"),
            });
            return Err(refused(problems));
        }
    };
    if manifest.format != FORMAT {
        problems.push(problem(
            MANIFEST,
            format!(
                "Format {} wird nicht unterstützt (erwartet: {FORMAT}).",
                manifest.format
            ),
        ));
    }
    if manifest.templates.is_empty() {
        problems.push(problem(
            MANIFEST,
            "Das Inhaltsverzeichnis nennt keine Vorlage.",
        ));
    }
    let mut templates = Vec::new();
    let mut ids = BTreeSet::new();
    let mut listed = BTreeSet::new();
    for entry in &manifest.templates {
        listed.insert(entry.file.as_str());
        if !ids.insert(entry.id.as_str()) {
            problems.push(problem(
                MANIFEST,
                format!(
                    "Die Vorlage „{}“ steht mehrfach im Inhaltsverzeichnis.",
                    entry.id
                ),
            ));
        }
        match check_entry(entry, files.get(&entry.file)) {
            Ok(template) => templates.push(template),
            Err(mut found) => problems.append(&mut found),
        }
    }
    for name in files.keys() {
        let is_template_file = name.ends_with(".md") && !name.contains('/');
        if is_template_file && !listed.contains(name.as_str()) {
            problems.push(problem(
                name,
                "Die Datei steht nicht im Inhaltsverzeichnis (manifest.json).",
            ));
        }
    }
    if problems.is_empty() {
        Ok(templates)
    } else {
        Err(refused(problems))
    }
}

fn check_entry(
    entry: &ManifestEntry,
    data: Option<&Vec<u8>>,
) -> Result<Template, Vec<ImportProblem>> {
    let file = entry.file.as_str();
    let Some(data) = data else {
        return Err(vec![problem(
            file,
            "Die Datei steht im Inhaltsverzeichnis, fehlt aber im Vorlagensatz.",
        )]);
    };
    let mut problems = Vec::new();
    if sha256(data) != entry.sha256.to_lowercase() {
        problems.push(problem(
            file,
            "Die Prüfsumme (sha256) stimmt nicht mit dem Inhaltsverzeichnis überein: die Datei wurde verändert oder ist beschädigt.",
        ));
    }
    let Ok(text) = std::str::from_utf8(data) else {
        problems.push(problem(file, "Die Datei ist nicht in UTF-8 kodiert."));
        return Err(problems);
    };
    match Template::parse(file, text) {
        Ok(template) => {
            if template.id != entry.id || file != template.file_name() {
                problems.push(problem(
                    file,
                    format!(
                        "Die Kennung in der Datei („{}“) passt nicht zum Inhaltsverzeichnis („{}“) oder zum Dateinamen.",
                        template.id, entry.id
                    ),
                ));
            }
            if template.version != entry.version {
                problems.push(problem(
                    file,
                    format!(
                        "Die Version in der Datei („{}“) passt nicht zum Inhaltsverzeichnis („{}“).",
                        template.version, entry.version
                    ),
                ));
            }
            if problems.is_empty() {
                Ok(template)
            } else {
                Err(problems)
            }
        }
        Err(e) => {
            problems.push(template_problem(&e));
            Err(problems)
        }
    }
}

fn template_problem(e: &TemplateError) -> ImportProblem {
    let (line, column) = match e {
        TemplateError::FrontMatter { line, column, .. }
        | TemplateError::Syntax { line, column, .. } => (Some(*line), Some(*column)),
        _ => (None, None),
    };
    // The error's text starts with the file (and position), which the
    // problem carries in its own fields.
    let text = e.to_string();
    let message = text
        .split_once(": ")
        .map(|(_, rest)| rest.to_owned())
        .unwrap_or(text);
    ImportProblem {
        file: e.file().to_owned(),
        line,
        column,
        message,
    }
}
