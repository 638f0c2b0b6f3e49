//! The evaluation rubric in force (shipped, or edited by the project team)
//! and storing an edit, which rescores every evaluation.

use std::sync::OnceLock;

use journey::qualification::rubric::{format_number, Rubric};

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;

/// The rubric shipped in `content/de/qualification/bewertung.yaml`; the one
/// in force may be edited (`qualification_rubric::current`).
pub fn shipped_rubric() -> Result<&'static Rubric, AppError> {
    static RUBRIC: OnceLock<Result<Rubric, String>> = OnceLock::new();
    RUBRIC
        .get_or_init(|| Rubric::shipped().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| AppError::Internal(e.clone()))
}

/// The rubric in force and its stored version (0: the shipped one).
pub async fn current(state: &AppState) -> Result<(Rubric, i64), AppError> {
    match state.store.rubric().await? {
        Some(record) => {
            let rubric: Rubric = serde_json::from_str(&record.data)
                .map_err(|e| AppError::Internal(format!("stored rubric: {e}")))?;
            Ok((rubric, record.version))
        }
        None => Ok((shipped_rubric()?.clone(), 0)),
    }
}

/// Stores `rubric` and the evaluations rescored under it.
pub async fn store_rubric(
    state: &AppState,
    cu: &CurrentUser,
    rubric: &Rubric,
    version: i64,
    what: &str,
) -> Result<(), AppError> {
    let rescored: Vec<(String, f64)> = state
        .store
        .evaluations()
        .await?
        .iter()
        .map(|e| {
            (
                e.evaluation.offer.clone(),
                rubric.rescore(&e.evaluation).total,
            )
        })
        .collect();
    let data =
        serde_json::to_string(rubric).map_err(|e| AppError::internal("serialise the rubric", e))?;
    let detail = format!(
        "{what}: {}",
        rubric
            .criteria
            .iter()
            .map(|c| format!("{} {} %", c.label, format_number(c.weight)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    state
        .store
        .save_rubric(&cu.actor(), &data, version, &rescored, &detail)
        .await?;
    Ok(())
}
