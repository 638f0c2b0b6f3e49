//! Where a document stands: draft, in review, adopted or superseded.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    Draft,
    Review,
    Adopted,
    Superseded,
}

impl DocumentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentStatus::Draft => "draft",
            DocumentStatus::Review => "review",
            DocumentStatus::Adopted => "adopted",
            DocumentStatus::Superseded => "superseded",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DocumentStatus::Draft => "Entwurf",
            DocumentStatus::Review => "in Prüfung",
            DocumentStatus::Adopted => "beschlossen",
            DocumentStatus::Superseded => "abgelöst",
        }
    }

    pub fn parse(s: &str) -> DocumentStatus {
        match s {
            "review" => DocumentStatus::Review,
            "adopted" => DocumentStatus::Adopted,
            "superseded" => DocumentStatus::Superseded,
            _ => DocumentStatus::Draft,
        }
    }
}
