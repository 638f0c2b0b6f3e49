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
    /// Set for an adopted version: the exports end with the adoption and a
    /// block to sign.
    #[serde(default)]
    pub adoption: Option<Adoption>,
}

/// The adoption of a document version, as the signature block shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adoption {
    /// ISO 8601 date of the adoption.
    pub on: String,
    /// Who adopted it, as entered: a body ("Stadtrat") or a person with
    /// function ("Erika Muster, Oberbürgermeisterin").
    pub by: String,
    /// The place of the place/date line ("Musterstadt").
    pub place: String,
}

impl Adoption {
    /// "Beschlossen am 20.11.2026 durch Erika Muster, Oberbürgermeisterin."
    pub fn sentence(&self) -> String {
        let by = self.by.trim().trim_end_matches('.');
        format!(
            "Beschlossen am {} durch {by}.",
            journey::german::date(&self.on)
        )
    }

    /// "Musterstadt, den 20.11.2026"
    pub fn place_and_date(&self) -> String {
        let date = journey::german::date(&self.on);
        match self.place.trim() {
            "" => format!("Ort, den {date}"),
            place => format!("{place}, den {date}"),
        }
    }

    /// The lines under the signature line: name and function when `by`
    /// reads "Name, Funktion", else the function (or body) alone.
    pub fn signer_lines(&self) -> Vec<String> {
        match self.by.trim().rsplit_once(',') {
            Some((name, function)) if !name.trim().is_empty() && !function.trim().is_empty() => {
                vec![name.trim().to_owned(), function.trim().to_owned()]
            }
            _ => vec![self.by.trim().to_owned()],
        }
    }
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
            adoption: None,
        }
    }

    /// Metadata for a document rendered from `template`: its title and
    /// sources; the caller adds author, date, version and status.
    pub fn for_template(template: &crate::template::Template) -> DocMeta {
        DocMeta {
            sources: template.sources.clone(),
            ..DocMeta::new(template.title.clone())
        }
    }

    /// The facts shown under the title, in this order, leaving out empty ones.
    pub fn facts(&self) -> Vec<Fact> {
        [
            ("Verfasst von", "author", &self.author),
            ("Datum", "dcterms.date", &self.date),
            ("Version", "dcterms.hasVersion", &self.version),
            ("Status", "dcterms.status", &self.status),
        ]
        .into_iter()
        .filter_map(|(label, html_name, value)| {
            let value = value.as_deref()?.trim();
            (!value.is_empty()).then(|| Fact {
                label,
                html_name,
                value: journey::german::date(value),
                machine: value.to_owned(),
            })
        })
        .collect()
    }

    /// The language tag split for ODF, which names language and country apart.
    pub(crate) fn language_parts(&self) -> (&str, Option<&str>) {
        let mut parts = self.language.splitn(2, '-');
        let lang = parts.next().filter(|l| !l.is_empty()).unwrap_or("de");
        (lang, parts.next())
    }
}

/// One line of the document's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// German label, e.g. "Version".
    pub label: &'static str,
    /// The `<meta name>` in the HTML export.
    pub html_name: &'static str,
    /// As a person reads it: dates in German ("06.12.2026").
    pub value: String,
    /// As stored, for machine-readable metadata (ISO dates).
    pub machine: String,
}

pub(crate) use journey::date::is_iso_date;
