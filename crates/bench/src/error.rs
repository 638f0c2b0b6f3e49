//! The one error type at the crate's boundary. Messages are German because
//! they reach the person who wrote the spec.

use std::path::PathBuf;

/// Why a benchmark run could not start or could not write its report.
/// A failing *target* is not an error: it is recorded in the report and the
/// run goes on with the other targets.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("Die Datei {path} konnte nicht gelesen werden: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Der Bericht konnte nicht nach {path} geschrieben werden: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The spec is not valid; `field` is the YAML path (e.g. `targets[0].base_url`).
    #[error("Fehler in der Testbeschreibung, Feld `{field}`: {message}")]
    Spec { field: String, message: String },
    /// A task file (built-in or the municipality's own) is not valid.
    #[error("Fehler in der Aufgabendatei {file}, Feld `{field}`: {message}")]
    Tasks {
        file: String,
        field: String,
        message: String,
    },
    #[error("Der HTTP-Client konnte nicht erstellt werden: {0}")]
    Client(String),
    #[error("Der Bericht konnte nicht erstellt werden: {0}")]
    Report(String),
}

impl BenchError {
    pub(crate) fn spec(field: impl Into<String>, message: impl Into<String>) -> Self {
        BenchError::Spec {
            field: field.into(),
            message: message.into(),
        }
    }
}
