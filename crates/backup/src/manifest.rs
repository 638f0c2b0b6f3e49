//! `manifest.json`, the archive's table of contents: what was backed up,
//! from which schema, and the SHA-256 of every entry.

use serde::{Deserialize, Serialize};
use store::backup::TableSchema;

pub const FORMAT: &str = "ki-reise-backup";
pub const FORMAT_VERSION: u32 = 1;
pub const MANIFEST_PATH: &str = "manifest.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub ki_reise_version: String,
    pub database: Database,
    pub tables: Vec<Table>,
    pub files: Vec<File>,
    pub models_included: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// "SQLite" or "PostgreSQL": where the backup came from, for people;
    /// the content is the same either way.
    pub backend: String,
    /// The migrations applied when the snapshot was read.
    pub migrations: Vec<i64>,
}

// No deny_unknown_fields here: serde does not support it with flatten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    #[serde(flatten)]
    pub schema: TableSchema,
    pub rows: u64,
    pub entry: Entry,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// Relative to the data folder, `/`-separated.
    pub path: String,
    pub entry: Entry,
}

/// One entry of the archive with its uncompressed size and checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

pub fn table_entry(table: &str) -> String {
    format!("database/{table}.jsonl")
}

pub fn file_entry(path: &str) -> String {
    format!("files/{path}")
}
