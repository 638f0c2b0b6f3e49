//! The one error type of the qualification module. Messages are German and
//! name the item they concern, because the portal shows them as they are.

fn lines(items: &[String]) -> String {
    items.join("\n")
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QualificationError {
    #[error("{file}: die Datei ist kein gültiges YAML/JSON: {message}")]
    Parse { file: String, message: String },

    #[error("{file}: der Inhalt ist ungültig:\n{}", lines(.problems))]
    InvalidContent { file: String, problems: Vec<String> },

    #[error("Das Lernangebot „{offer}“ ist ungültig:\n{}", lines(.problems))]
    InvalidOffer {
        offer: String,
        problems: Vec<String>,
    },

    #[error("Die Bewertungskriterien sind ungültig:\n{}", lines(.problems))]
    InvalidRubric { problems: Vec<String> },

    #[error("Die Bewertung von „{offer}“ ist ungültig:\n{}", lines(.problems))]
    InvalidEvaluation {
        offer: String,
        problems: Vec<String>,
    },

    #[error("Der Lernpfad „{path}“ ist ungültig:\n{}", lines(.problems))]
    InvalidPath { path: String, problems: Vec<String> },

    #[error("Die Planungsdaten sind ungültig:\n{}", lines(.problems))]
    InvalidPlanInput { problems: Vec<String> },

    #[error("Der Termin „{session}“ ist ungültig:\n{}", lines(.problems))]
    InvalidSession {
        session: String,
        problems: Vec<String>,
    },

    #[error("Die Importdatei ist ungültig:\n{}", lines(.problems))]
    InvalidImport { problems: Vec<String> },

    #[error("Der Nachweis ist ungültig: {0}")]
    InvalidCredential(String),

    #[error("Der Nachweis konnte nicht geprüft werden: {0}")]
    VerificationFailed(String),
}
