//! Changing the status of a journey step, for the dashboard and the API.

use journey::plan::StepStatus;

use crate::error::AppError;
use crate::AppState;

pub const MAX_NOTE: usize = 500;

/// Validates a status change; shared by the page and the API.
pub fn check_step_change(
    state: &AppState,
    step_id: &str,
    status: &str,
    note: &str,
) -> Result<StepStatus, AppError> {
    if state.plan.step(step_id).is_none() {
        return Err(AppError::NotFound);
    }
    let status = StepStatus::parse(status).ok_or_else(|| {
        AppError::invalid(
            "status",
            "Unbekannter Status. Erlaubt: open, in-progress, done.",
        )
    })?;
    if note.chars().count() > MAX_NOTE {
        return Err(AppError::invalid(
            "note",
            format!("Die Notiz darf höchstens {MAX_NOTE} Zeichen haben."),
        ));
    }
    Ok(status)
}
