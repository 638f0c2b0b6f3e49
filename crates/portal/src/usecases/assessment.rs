//! Assessing a use case: saving a change with its audit note (and the
//! register entry refreshed), the EU AI Act classification by the decision
//! tree, and which reach the KI-Richtlinie allows for its data.

use std::collections::BTreeMap;

use journey::policy::Reach;
use journey::usecase::ai_act::DecisionTree;
use journey::usecase::model::UseCase;
use journey::usecase::UseCaseError;
use store::usecases::UseCaseRecord;
use store::StoreError;

use super::register::refresh_register;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;

/// Now as an RFC 3339 timestamp (UTC), for the status history.
pub fn timestamp() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Saves the use case (and its register entry, refreshed) with an audit note.
pub async fn save(
    state: &AppState,
    cu: &CurrentUser,
    record: &UseCaseRecord,
    uc: &UseCase,
    expected_version: i64,
    change: &str,
) -> Result<UseCaseRecord, StoreError> {
    let register = refresh_register(record.register.as_ref(), uc);
    state
        .store
        .save_use_case(&cu.actor(), uc, register.as_ref(), expected_version, change)
        .await
}

/// The answers one step back: those on the path without the last one.
/// Answers off the path (left from an earlier route) are dropped too.
pub fn step_back(
    tree: &DecisionTree,
    answers: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, UseCaseError> {
    let walk = tree.walk(answers)?;
    let kept = walk.path.len().saturating_sub(1);
    Ok(walk.path[..kept]
        .iter()
        .map(|s| (s.question.id.clone(), s.answer.id.clone()))
        .collect())
}

/// Classifies `uc` with these answers, keeping them as the audit trail
/// (only those on the path, with the tree's version, so that a later tree
/// flags the classification for review). Returns the note for the audit
/// log; answers that do not reach a conclusion are refused.
pub fn apply_classification(
    tree: &DecisionTree,
    uc: &mut UseCase,
    answers: &BTreeMap<String, String>,
) -> Result<String, UseCaseError> {
    let classification = tree.classify(answers)?;
    let change = format!("Eingestuft: {}", classification.conclusion_label);
    uc.classification = Some(classification);
    Ok(change)
}

/// Where the use case's most sensitive data may be processed under the
/// rule set of the KI-Richtlinie in force; empty while no data class is
/// given.
pub async fn allowed_reaches(state: &AppState, uc: &UseCase) -> Result<Vec<Reach>, AppError> {
    let Some(highest) = uc.canvas.highest_data_class() else {
        return Ok(Vec::new());
    };
    let (rules, _) = crate::documents::rules::current_rules(state).await?;
    Ok(Reach::ALL
        .into_iter()
        .filter(|r| rules.allows(highest, *r))
        .collect())
}

/// Longest text accepted for one section of the fundamental-rights
/// assessment.
pub const MAX_FRIA_CHARS: usize = 10_000;
