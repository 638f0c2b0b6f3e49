//! The two decisions on a document under review, shared by page and API: a
//! function holder's statement and the adoption. Who may make them is
//! decided in [`crate::access`] from the functions the account holds; the
//! name and function signed come from the session, never from the form.

use journey::access::Function;
use journey::policy::RuleSet;
use serde_json::{Map, Value};
use store::documents::{Adoption, Document, ReviewArea};

use crate::access::{may_adopt, may_give_statement};
use crate::auth::CurrentUser;
use crate::documents::review_status::{notify_adopter, signature};
use crate::error::AppError;
use crate::form::FieldErrors;
use crate::AppState;

/// Why a decision was not recorded: fields to correct (422, shown beside
/// the fields) or anything else (403, 409, …).
pub enum Refusal {
    Fields(FieldErrors),
    Error(AppError),
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Refusal {
        Refusal::Error(e)
    }
}

impl From<store::StoreError> for Refusal {
    fn from(e: store::StoreError) -> Refusal {
        Refusal::Error(e.into())
    }
}

impl Refusal {
    /// For the API: the first field's message as a structured error.
    pub fn into_app_error(self) -> AppError {
        match self {
            Refusal::Error(e) => e,
            Refusal::Fields(errors) => {
                let (field, message) = errors.first().unwrap_or_default();
                AppError::invalid(field, message)
            }
        }
    }
}

pub struct Statement<'a> {
    pub version: i64,
    pub area: &'a str,
    /// `zustimmung` or `einwaende`.
    pub decision: &'a str,
    pub comment: &'a str,
}

/// Records the statement of the area whose function the caller holds; asks
/// the adopter once the last required consent is in.
pub async fn give_statement(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    s: &Statement<'_>,
) -> Result<(), Refusal> {
    let mut errors = FieldErrors::new();
    let area = ReviewArea::parse(s.area);
    match area {
        None => errors.insert("area", "Bitte wählen Sie, wer Stellung nimmt."),
        Some(area) => {
            let held = state.store.functions_of(cu.user.id).await?;
            if !may_give_statement(&held, area) {
                return Err(Refusal::Error(AppError::Forbidden));
            }
        }
    }
    let consent = match s.decision {
        "zustimmung" => Some(true),
        "einwaende" => Some(false),
        _ => {
            errors.insert("decision", "Bitte wählen Sie Zustimmung oder Einwände.");
            None
        }
    };
    if consent == Some(false) && s.comment.trim().is_empty() {
        errors.insert(
            "comment",
            "Bitte begründen Sie die Einwände, damit sie bearbeitet werden können.",
        );
    }
    if s.comment.chars().count() > 4000 {
        errors.insert("comment", "Höchstens 4000 Zeichen.");
    }
    let (Some(area), Some(consent), true) = (area, consent, errors.is_empty()) else {
        return Err(Refusal::Fields(errors));
    };
    state
        .store
        .add_review(&cu.actor(), id, s.version, area, consent, s.comment)
        .await?;
    let doc = state.store.document(id).await?;
    notify_adopter(state, &doc).await?;
    Ok(())
}

/// The rule set a KI-Richtlinie's answers give, checked before adoption so
/// that a policy whose rules contradict each other is never put in force.
pub fn rules_of(answers_json: &str) -> Result<RuleSet, AppError> {
    let answers: Map<String, Value> = serde_json::from_str(answers_json)
        .map_err(|e| AppError::internal("read the stored interview answers", e))?;
    documents::rules::policy_rules(&answers)
        .map_err(|e| AppError::invalid("version", e.to_string()))
}

/// Whether the caller adopts (Bürgermeister/in, else the administration).
pub async fn caller_adopts(state: &AppState, cu: &CurrentUser) -> Result<bool, AppError> {
    let held = state.store.functions_of(cu.user.id).await?;
    let mayor = state.store.function_holder(Function::Mayor).await?;
    Ok(may_adopt(cu.user.role, &held, mayor.is_some()))
}

/// The signature the adoption form starts with.
pub async fn default_signature(state: &AppState, cu: &CurrentUser) -> Result<String, AppError> {
    let held = state.store.functions_of(cu.user.id).await?;
    Ok(signature(&cu.user, &held))
}

/// Adopts the version under review in the caller's name. `adopted_by` may
/// name the signatory differently (e.g. "Erika Muster, Oberbürgermeisterin");
/// empty, the caller's name and function sign.
pub async fn adopt(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    version: i64,
    adopted_on: &str,
    adopted_by: &str,
) -> Result<Document, Refusal> {
    if !caller_adopts(state, cu).await? {
        return Err(Refusal::Error(AppError::Forbidden));
    }
    let mut errors = FieldErrors::new();
    let adopted_on = adopted_on.trim();
    if !journey::date::is_iso_date(adopted_on) {
        errors.insert("adopted_on", "Bitte das Datum des Beschlusses angeben.");
    }
    let mut by = adopted_by.trim().to_owned();
    if by.chars().count() > 200 {
        errors.insert("adopted_by", "Höchstens 200 Zeichen.");
    }
    if !errors.is_empty() {
        return Err(Refusal::Fields(errors));
    }
    if by.is_empty() {
        by = default_signature(state, cu).await?;
    }
    let doc = state.store.document(id).await?;
    let rules = if doc.kind == "richtlinie" {
        let stored = state.store.document_version(id, version).await?;
        let mut rules = rules_of(&stored.answers)?;
        rules.source = Some(format!("{}, Version {version}", doc.title));
        rules.adopted_on = Some(adopted_on.to_owned());
        Some(rules)
    } else {
        None
    };
    let rules_json = rules.as_ref().map(RuleSet::to_json);
    let doc = state
        .store
        .adopt_document(
            &cu.actor(),
            id,
            &Adoption {
                version,
                adopted_on,
                adopted_by: &by,
                policy_rules: rules_json.as_deref(),
            },
        )
        .await?;
    if let Some(rules) = &rules {
        limit_chat_storage(state, cu, rules.prompt_retention_days).await?;
    }
    // From now on the gateway routes by the adopted policy.
    if let (Some(rules), Some(gw)) = (rules, state.gateway()) {
        gw.set_rules(rules);
    }
    Ok(doc)
}

/// A newly adopted policy that keeps prompts for less time than the chat
/// storage is set to shortens the setting at once (0 days: storage off,
/// which deletes what was stored), so the setting never exceeds the policy.
async fn limit_chat_storage(
    state: &AppState,
    cu: &CurrentUser,
    allowed: u32,
) -> Result<(), AppError> {
    let Some(days) = state.store.chat_retention_days().await? else {
        return Ok(());
    };
    if days <= i64::from(allowed) {
        return Ok(());
    }
    let limited = (allowed > 0).then_some(i64::from(allowed));
    state.store.set_chat_retention(&cu.actor(), limited).await?;
    Ok(())
}
