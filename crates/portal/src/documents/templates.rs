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

/// Largest template set accepted for upload.
pub const MAX_SET_BYTES: usize = 2 * 1024 * 1024;

/// Why a template set was not imported; nothing was stored.
pub enum SetRefusal {
    /// No file, or an empty one.
    Missing,
    /// Over [`MAX_SET_BYTES`].
    TooLarge,
    /// A readable set without a template.
    NoTemplate,
    /// Every problem of the set's files, with file, line and column.
    Problems(documents::template_set::ImportReport),
}

impl SetRefusal {
    pub fn message(&self) -> String {
        match self {
            SetRefusal::Missing => "Bitte wählen Sie eine ZIP-Datei mit einem Vorlagensatz.".into(),
            SetRefusal::TooLarge => {
                "Die Datei ist größer als 2 MB und wurde nicht importiert.".into()
            }
            SetRefusal::NoTemplate => "Der Vorlagensatz enthält keine Vorlage.".into(),
            SetRefusal::Problems(report) => report.to_string(),
        }
    }
}

/// Imports a template set (a zip as exported) in place of the templates
/// with the same ids, all or none; `name` is the file's name, kept as the
/// templates' origin.
pub async fn import_set(
    state: &AppState,
    cu: &crate::auth::CurrentUser,
    name: &str,
    bytes: &[u8],
) -> Result<Result<Vec<Template>, SetRefusal>, AppError> {
    if bytes.is_empty() {
        return Ok(Err(SetRefusal::Missing));
    }
    if bytes.len() > MAX_SET_BYTES {
        return Ok(Err(SetRefusal::TooLarge));
    }
    let set = match documents::template_set::import_zip(bytes) {
        Ok(set) if set.is_empty() => return Ok(Err(SetRefusal::NoTemplate)),
        Ok(set) => set,
        Err(report) => return Ok(Err(SetRefusal::Problems(report))),
    };
    let stored: Vec<store::documents::StoredTemplate> = set
        .iter()
        .map(|t| store::documents::StoredTemplate {
            id: t.id.clone(),
            version: t.version.clone(),
            title: t.title.clone(),
            source: t.to_file_text(),
            origin: name.to_owned(),
            imported_at: 0,
        })
        .collect();
    state
        .store
        .import_templates(&cu.actor(), &stored, &format!("Import {name}"))
        .await?;
    Ok(Ok(set))
}
