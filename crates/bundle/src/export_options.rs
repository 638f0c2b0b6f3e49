//! What the caller decides about an export; read by the export and by the
//! bundle's README.

use std::path::Path;

/// What the caller decides about an export.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    pub public: bool,
    /// The licence of the texts, e.g. "CC-BY-4.0".
    pub licence: String,
    /// The API description (`/api/v1/openapi.json`), from the portal.
    pub openapi: Option<String>,
    pub data_dir: Option<&'a Path>,
    /// RFC 3339; the one field that differs between two exports.
    pub created: String,
}
