//! The rule set of the KI-Richtlinie in force, which the gateway routes by
//! and the use cases are checked against.

use journey::policy::RuleSet;

use crate::error::AppError;
use crate::AppState;

/// The rule set in force: the adopted KI-Richtlinie's, else the default.
pub async fn current_rules(state: &AppState) -> Result<(RuleSet, bool), AppError> {
    match state.store.policy_rules().await? {
        Some(json) => RuleSet::from_json(&json)
            .map(|r| (r, true))
            .map_err(|e| AppError::Internal(format!("stored rule set: {e}"))),
        None => Ok((RuleSet::default(), false)),
    }
}
