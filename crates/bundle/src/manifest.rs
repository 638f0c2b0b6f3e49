//! `manifest.json`: what a bundle is and every file in it.

use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "ki-reise/nachnutzung";
/// Bumped on every change a reader of an older version would misread; see
/// the changelog in `docs/bundle-format.md`.
pub const FORMAT_VERSION: u32 = 1;
pub const FILE_NAME: &str = "manifest.json";
pub const SCHEMA: &str = "bundle-manifest.schema.json";
/// The manifest's fields that change with every export.
pub const TIMESTAMPS: [&str; 1] = ["/created"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub ki_reise_version: String,
    pub municipality: String,
    pub created: String,
    pub licence: String,
    pub public: bool,
    pub timestamps: Vec<String>,
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub path: String,
    pub media_type: String,
    /// File name of the schema under `schemas/`, for JSON files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub sha256: String,
    pub bytes: u64,
}

impl Manifest {
    pub fn file(&self, path: &str) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.path == path)
    }
}

/// The media type of a bundle file by its extension.
pub fn media_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("json") => "application/json",
        Some("jsonld") => "application/ld+json",
        Some("md") => "text/markdown; charset=utf-8",
        Some("csv") => "text/csv; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("odt") => "application/vnd.oasis.opendocument.text",
        _ => "application/octet-stream",
    }
}
