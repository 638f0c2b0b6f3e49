//! Scoring use cases: the criteria in force (the shipped ones, or the
//! project team's edit kept as one JSON setting) and the ranking by them.

use journey::usecase::model::Status;
use journey::usecase::scoring::{rank, Candidate, Criteria, Ranking};
use store::usecases::UseCaseRecord;

use super::content::criteria;
use crate::error::AppError;
use crate::AppState;

/// The settings key of the edited criteria.
pub const SETTING: &str = "usecase_criteria";

/// The criteria in force: the edited ones, else the shipped ones.
pub async fn current(state: &AppState) -> Result<Criteria, AppError> {
    match state.store.setting(SETTING).await? {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| AppError::Internal(format!("stored criteria: {e}"))),
        None => Ok(criteria()?.clone()),
    }
}

/// Stores edited criteria in place of the shipped ones. The caller has
/// checked them (`Criteria::problems`).
pub async fn replace(state: &AppState, c: &Criteria) -> Result<(), AppError> {
    let json = serde_json::to_string(c)
        .map_err(|e| AppError::internal("serialise the scoring criteria", e))?;
    Ok(state.store.set_setting(SETTING, &json).await?)
}

/// Puts the shipped criteria back in force.
pub async fn reset(state: &AppState) -> Result<(), AppError> {
    Ok(state.store.delete_setting(SETTING).await?)
}

/// The accessible name of the benefit/feasibility matrix chart.
pub const MATRIX_TITLE: &str = "Nutzen und Machbarkeit der Anwendungsfälle";

/// The ranking of the use cases still in play (all but the stopped ones)
/// under the criteria in force.
pub async fn ranking(state: &AppState, records: &[UseCaseRecord]) -> Result<Ranking, AppError> {
    let criteria_now = crate::usecases::scoring::current(state).await?;
    let active = records
        .iter()
        .map(|r| &r.use_case)
        .filter(|uc| uc.status != Status::Stopped);
    rank(active.map(Candidate::from), &criteria_now)
        .map_err(|e| AppError::internal("rank the use cases", e))
}
