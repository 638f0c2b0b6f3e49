//! The one error type of the use-case module. Messages are German because the
//! portal shows them to the people who edit content and use cases.

use std::fmt;

use super::canvas_field::CanvasField;
use super::status::Status;

/// One thing wrong with a decision tree, naming the node it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeProblem {
    /// The id of the node (question, router, conclusion) or obligation.
    pub node: String,
    pub message: String,
}

impl fmt::Display for TreeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Knoten „{}“: {}", self.node, self.message)
    }
}

fn join<T: fmt::Display>(items: &[T], sep: &str) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(sep)
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UseCaseError {
    #[error("{file}: die Datei ist kein gültiges YAML/JSON: {message}")]
    Parse { file: String, message: String },

    #[error("{file}: der Entscheidungsbaum ist ungültig:\n{}", join(.problems, "\n"))]
    InvalidTree {
        file: String,
        problems: Vec<TreeProblem>,
    },

    #[error("{file}: der Inhalt ist ungültig:\n{}", join(.problems, "\n"))]
    InvalidContent { file: String, problems: Vec<String> },

    #[error("Die Frage „{question}“ kennt die Antwort „{answer}“ nicht.")]
    UnknownAnswer { question: String, answer: String },

    #[error("Die Einstufung ist noch nicht abgeschlossen; offen ist die Frage „{next_question}“.")]
    ClassificationIncomplete { next_question: String },

    #[error("Der Canvas ist unvollständig; es fehlen: {}", join(.missing, ", "))]
    IncompleteCanvas { missing: Vec<CanvasField> },

    #[error("Der Canvas ist ungültig:\n{}", join(.problems, "\n"))]
    InvalidCanvas { problems: Vec<String> },

    #[error("Die Idee ist unvollständig; es fehlen: {}", join(.missing, ", "))]
    IncompleteIntake { missing: Vec<&'static str> },

    #[error("Der Status kann nicht von „{from}“ zu „{to}“ wechseln.")]
    TransitionNotAllowed { from: Status, to: Status },

    #[error("Der Status kann nicht zu „{to}“ wechseln: {reason}")]
    TransitionBlocked { to: Status, reason: String },

    #[error("Die Schwellwertanalyse ist unvollständig; unbeantwortet: {}", join(.unanswered, ", "))]
    ThresholdAnalysisIncomplete { unanswered: Vec<String> },

    #[error("Der Pilot ist ungültig:\n{}", join(.problems, "\n"))]
    InvalidPilot { problems: Vec<String> },

    #[error("Der Registereintrag ist ungültig:\n{}", join(.problems, "\n"))]
    InvalidRegisterEntry { problems: Vec<String> },

    #[error("Die Kriterien sind ungültig:\n{}", join(.problems, "\n"))]
    InvalidCriteria { problems: Vec<String> },
}
