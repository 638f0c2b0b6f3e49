//! Use cases (Anwendungsfälle): from a staff member's idea through the canvas,
//! weighted scoring, the EU AI Act classification and the data-protection
//! threshold analysis to a measured pilot and a public AI register entry.
//!
//! Everything that a municipality may want to change — the scoring criteria,
//! the AI Act decision tree with its dates of application, the threshold
//! analysis, the library of use cases seen elsewhere — is data under
//! `content/de/usecases/` and `content/de/ai-act/`, validated by JSON Schemas
//! under `schemas/`. This module parses that data and computes results; it
//! does no I/O: callers hand in text and values and store what comes back.
//!
//! The way through, and what the store and portal call:
//!
//! 1. Intake: [`model::UseCase::new`] with an [`canvas::Intake`] (from a form
//!    or [`canvas::Intake::from_survey_text`]); or
//!    [`library::LibraryEntry::adopt`] from [`library::Library::shipped`].
//! 2. Canvas: fill [`canvas::Canvas`]; [`canvas::Canvas::missing_fields`]
//!    says what is open.
//! 3. Scoring: [`scoring::Criteria::score`], [`scoring::rank`], then
//!    [`matrix::matrix_svg`] and [`matrix::matrix_table_html`] (or
//!    [`matrix::matrix_rows`] for a template).
//! 4. Classification: [`ai_act::DecisionTree::walk`] per wizard step,
//!    [`ai_act::DecisionTree::classify`] to store the audit trail;
//!    [`model::classifications_to_review`] after the tree changed.
//! 5. Data protection: [`dpia::ThresholdAnalysis::prefill`] and
//!    [`dpia::ThresholdAnalysis::evaluate`]; for high-risk use
//!    [`fria::FriaForm::missing`].
//! 6. Workflow: [`model::UseCase::change_status`] (with
//!    [`model::UseCase::blockers`] to show what is open), [`model::board`].
//! 7. Pilot: [`pilot::Pilot::validate`], [`pilot::Pilot::evaluate`].
//! 8. Register and exchange: [`register::RegisterEntry::draft_from`],
//!    [`register::register_json`], [`register::register_csv`];
//!    [`model::UseCase::export_json`], [`model::UseCase::import_json`],
//!    [`onepager::markdown`].

pub mod ai_act;
pub mod canvas;
mod canvas_field;
pub mod dpia;
pub mod duties;
pub mod fria;
pub mod library;
pub mod matrix;
pub mod model;
pub mod onepager;
pub mod pilot;
pub mod register;
pub mod scoring;
mod status;

mod error;

pub use error::{TreeProblem, UseCaseError};

use crate::content::ContentFile;

/// The EU AI Act decision tree (questions, routers, conclusions, obligations).
pub const DECISION_TREE: ContentFile = ContentFile {
    path: "ai-act/entscheidungsbaum.yaml",
    default_text: include_str!("../../../../content/de/ai-act/entscheidungsbaum.yaml"),
};

/// The form of the fundamental-rights impact assessment (Art. 27 AI Act).
pub const FRIA_FORM: ContentFile = ContentFile {
    path: "ai-act/grundrechte-folgenabschaetzung.yaml",
    default_text: include_str!("../../../../content/de/ai-act/grundrechte-folgenabschaetzung.yaml"),
};

/// The default scoring criteria and weights.
pub const CRITERIA: ContentFile = ContentFile {
    path: "usecases/kriterien.yaml",
    default_text: include_str!("../../../../content/de/usecases/kriterien.yaml"),
};

/// The threshold analysis that decides whether a DPIA (Art. 35 GDPR) is needed.
pub const THRESHOLD_ANALYSIS: ContentFile = ContentFile {
    path: "usecases/schwellwertanalyse.yaml",
    default_text: include_str!("../../../../content/de/usecases/schwellwertanalyse.yaml"),
};

/// The library of use cases seen in German municipalities.
pub const LIBRARY: ContentFile = ContentFile {
    path: "usecases/bibliothek.yaml",
    default_text: include_str!("../../../../content/de/usecases/bibliothek.yaml"),
};

/// Parses a YAML content file, naming the file in the error.
fn parse_yaml<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, UseCaseError> {
    serde_yaml::from_str(text).map_err(|e| UseCaseError::Parse {
        file: file.to_owned(),
        message: e.to_string(),
    })
}

/// `Ok(value)` when nothing is wrong, otherwise the error `error` makes of
/// the problems.
fn unless_problems<T>(
    value: T,
    problems: Vec<String>,
    error: impl FnOnce(Vec<String>) -> UseCaseError,
) -> Result<T, UseCaseError> {
    if problems.is_empty() {
        Ok(value)
    } else {
        Err(error(problems))
    }
}

/// The error for a content file with problems.
fn invalid_content(file: &str) -> impl FnOnce(Vec<String>) -> UseCaseError + '_ {
    move |problems| UseCaseError::InvalidContent {
        file: file.to_owned(),
        problems,
    }
}

pub use crate::date::is_iso_date;
