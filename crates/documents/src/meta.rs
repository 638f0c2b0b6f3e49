//! What a document says about itself: title, author, version, status and the
//! sources it cites. Every export format writes it in its own way (HTML
//! `<meta>`, ODF `meta.xml`, footnotes for sources).

use serde::{Deserialize, Serialize};

pub use crate::template::Source;

/// Document metadata for the exports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocMeta {
    pub title: String,
    #[serde(default)]
    pub subtitle: Option<String>,
    /// Who wrote it: a person or the municipality.
    #[serde(default)]
    pub author: Option<String>,
    /// ISO 8601 date (YYYY-MM-DD) of this version.
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    /// German status word as the portal shows it, e.g. "Entwurf", "beschlossen".
    #[serde(default)]
    pub status: Option<String>,
    /// BCP 47 language tag; "de" unless the document says otherwise.
    pub language: String,
    /// Public sources, exported as footnotes (ODT) or a list (HTML).
    #[serde(default)]
    pub sources: Vec<Source>,
}

impl DocMeta {
    /// Metadata with a title and German as the language.
    pub fn new(title: impl Into<String>) -> DocMeta {
        DocMeta {
            title: title.into(),
            subtitle: None,
            author: None,
            date: None,
            version: None,
            status: None,
            language: "de".to_owned(),
            sources: Vec::new(),
        }
    }

    /// The language tag split for ODF, which names language and country apart.
    pub(crate) fn language_parts(&self) -> (&str, Option<&str>) {
        let mut parts = self.language.splitn(2, '-');
        let lang = parts.next().filter(|l| !l.is_empty()).unwrap_or("de");
        (lang, parts.next())
    }
}
