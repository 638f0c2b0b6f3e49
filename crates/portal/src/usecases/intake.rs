//! Where use cases come from: a library entry adopted, an exported use
//! case of another municipality imported, an idea from the survey.

use journey::usecase::canvas::Intake;
use journey::usecase::model::{Origin, UseCase};
use store::usecases::UseCaseRecord;
use store::StoreError;

use super::content::{decision_tree, library};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;

/// A new use-case id: `af-` and eight hex digits.
pub fn new_id() -> String {
    format!("af-{}", store::random_token(4))
}

/// A new use case from the library entry `key`: intake and canvas copied,
/// the preset answers classified with the current tree. An unknown key is
/// `NotFound`.
pub async fn adopt_from_library(
    state: &AppState,
    cu: &CurrentUser,
    key: &str,
) -> Result<UseCaseRecord, AppError> {
    let entry = library()?.entry(key).ok_or(AppError::NotFound)?;
    let uc = entry
        .adopt(&new_id(), decision_tree()?)
        .map_err(|e| AppError::internal("adopt a library use case", e))?;
    Ok(state.store.create_use_case(&cu.actor(), &uc).await?)
}

/// Stores another municipality's use case from its exchange JSON under a
/// new id, marked as imported from `from`. Refusals are `Invalid` (field
/// `json`) or, for a clash, `Conflict`.
pub async fn import_use_case(
    state: &AppState,
    cu: &CurrentUser,
    json: &str,
    from: &str,
) -> Result<UseCaseRecord, AppError> {
    let from = match from.trim() {
        "" => "anderer Kommune",
        f => f,
    };
    if json.len() > 1_000_000 {
        return Err(AppError::invalid("json", "Der Text ist größer als 1 MB."));
    }
    let mut uc = UseCase::import_json(json, from).map_err(|e| {
        AppError::invalid(
            "json",
            format!("Der Anwendungsfall wurde nicht importiert: {e}"),
        )
    })?;
    uc.id = new_id();
    if uc.classification.is_some() {
        // The answers stay; whether they still conclude the same here is
        // what the re-walk tells (a new question leaves it for the wizard).
        let _ = uc.reclassify(decision_tree()?);
    }
    match state.store.create_use_case(&cu.actor(), &uc).await {
        Ok(saved) => Ok(saved),
        Err(StoreError::Duplicate(msg)) => Err(AppError::Conflict(msg)),
        Err(e) => Err(e.into()),
    }
}

/// The longest free text that becomes an idea.
pub const MAX_SURVEY_TEXT_CHARS: usize = 5000;

/// Stores a free-text answer of survey `survey_id` as a new idea, marked as
/// coming from the survey. An unknown survey is `NotFound`; an empty or
/// over-long text is `Invalid` naming `text`.
pub async fn idea_from_survey(
    state: &AppState,
    cu: &CurrentUser,
    survey_id: i64,
    text: &str,
    department: Option<&str>,
) -> Result<UseCaseRecord, AppError> {
    state.store.survey(survey_id).await?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_SURVEY_TEXT_CHARS {
        return Err(AppError::invalid(
            "text",
            format!("Der Text muss zwischen 1 und {MAX_SURVEY_TEXT_CHARS} Zeichen lang sein."),
        ));
    }
    let intake = Intake::from_survey_text(text, department);
    let uc = UseCase::new(&new_id(), intake, Origin::Survey)
        .map_err(|e| AppError::invalid("text", e.to_string()))?;
    Ok(state.store.create_use_case(&cu.actor(), &uc).await?)
}
