//! The document templates on offer (shipped, or imported in their place)
//! and what the instance already knows to pre-fill their interviews.

use documents::Template;
use serde_json::Value;

use crate::error::AppError;
use crate::AppState;

/// The templates on offer: the shipped ones, replaced by an imported template
/// with the same id. An imported file that no longer parses is skipped (it
/// was checked at import).
pub async fn templates(state: &AppState) -> Result<Vec<(Template, String)>, AppError> {
    static BUILTIN: std::sync::OnceLock<Vec<Template>> = std::sync::OnceLock::new();
    let mut list: Vec<(Template, String)> = BUILTIN
        .get_or_init(documents::builtin_templates)
        .iter()
        .cloned()
        .map(|t| (t, "mitgeliefert".to_owned()))
        .collect();
    for stored in state.store.stored_templates().await? {
        let Ok(template) = Template::parse(&format!("{}.md", stored.id), &stored.source) else {
            continue;
        };
        match list.iter_mut().find(|(t, _)| t.id == template.id) {
            Some(slot) => *slot = (template, stored.origin),
            None => list.push((template, stored.origin)),
        }
    }
    Ok(list)
}

pub async fn template(state: &AppState, id: &str) -> Result<Template, AppError> {
    templates(state)
        .await?
        .into_iter()
        .map(|(t, _)| t)
        .find(|t| t.id == id)
        .ok_or(AppError::NotFound)
}

/// What the instance already knows, for pre-filling the interview (keys as
/// in `documents::template::PREFILL_KEYS`).
pub async fn prefill(state: &AppState) -> Result<Value, AppError> {
    let profile = state.store.profile().await?.map(|(p, _)| p);
    let mut respondents = Value::Null;
    for survey in state.store.surveys().await? {
        if survey.status == store::survey::SurveyStatus::Closed {
            respondents = Value::from(state.store.survey_responses(survey.id).await?.len());
            break;
        }
    }
    let adopted: Vec<Value> = state
        .store
        .use_cases()
        .await?
        .into_iter()
        .filter(|r| {
            use journey::usecase::model::Status;
            matches!(
                r.use_case.status,
                Status::Approved | Status::Pilot | Status::Evaluated | Status::Operating
            )
        })
        .map(|r| Value::String(r.use_case.intake.title))
        .collect();
    let profile = profile.map_or(Value::Null, |p| {
        serde_json::json!({
            "name": p.name,
            "staff_count": p.staff_count,
            "dpo_contact": p.dpo_contact,
            "it_security_contact": p.it_security_contact,
            "staff_council_contact": p.staff_council_contact,
        })
    });
    // The models the gateway offers, by where they run.
    let offered = state.gateway().map(|g| g.models()).unwrap_or_default();
    let models = |reach: journey::policy::Reach| -> Vec<Value> {
        offered
            .iter()
            .filter(|m| m.reach == reach)
            .map(|m| Value::String(m.id.clone()))
            .collect()
    };
    let mut cloud = models(journey::policy::Reach::PrivateCloud);
    cloud.extend(models(journey::policy::Reach::PublicCloud));
    Ok(serde_json::json!({
        "profile": profile,
        "survey": { "respondents": respondents },
        "usecases": { "adopted": adopted },
        "models": { "local": models(journey::policy::Reach::Local), "cloud": cloud },
    }))
}
