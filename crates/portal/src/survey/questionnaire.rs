//! Operations on a survey's questionnaire: reading it (parsed once per
//! version for the hot answering path), preparing a new one from the
//! default or an import, and resolving it against the profile when the
//! survey opens.

use std::collections::HashMap;
use std::sync::Arc;

use journey::competency::CompetencyModel;
use journey::survey::import::Severity;
use journey::survey::{self, ImportReport, Questionnaire, SurveyContext};
use serde::Deserialize;
use store::survey::{AnswerGate, NewSurvey, Survey};

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;
use store::survey::SurveyStatus;

/// The published schema of an exported questionnaire.
pub const QUESTIONNAIRE_SCHEMA: &str =
    include_str!("../../../../schemas/questionnaire.schema.json");

/// The questionnaire a survey holds.
pub fn questionnaire_of(survey: &Survey) -> Result<Questionnaire, AppError> {
    serde_json::from_str(&survey.questionnaire)
        .map_err(|e| AppError::Internal(format!("stored questionnaire {}: {e}", survey.id)))
}

/// Parsed questionnaires by survey, kept with the survey's version: every
/// change of questionnaire, status or period bumps the version, so an entry
/// is used only while it is current. Answering then needs no parsing.
#[derive(Default)]
pub struct QuestionnaireCache(std::sync::Mutex<HashMap<i64, (i64, Arc<Questionnaire>)>>);

impl QuestionnaireCache {
    fn get(&self, id: i64, version: i64) -> Option<Arc<Questionnaire>> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&id)
            .filter(|(v, _)| *v == version)
            .map(|(_, q)| q.clone())
    }

    fn put(&self, id: i64, version: i64, q: Arc<Questionnaire>) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(id, (version, q));
    }
}

/// The questionnaire of the survey a token opened, parsed once per version.
pub async fn questionnaire_for(
    state: &AppState,
    gate: &AnswerGate,
) -> Result<Arc<Questionnaire>, AppError> {
    if let Some(q) = state.questionnaires.get(gate.id, gate.version) {
        return Ok(q);
    }
    let survey = state.store.survey(gate.id).await?;
    let q = Arc::new(questionnaire_of(&survey)?);
    state
        .questionnaires
        .put(survey.id, survey.version, q.clone());
    Ok(q)
}

pub fn import_report_of(survey: &Survey) -> Option<ImportReport> {
    if survey.import_report.is_empty() {
        return None;
    }
    #[derive(Deserialize)]
    struct Entry {
        location: String,
        severity: String,
        message: String,
    }
    #[derive(Deserialize)]
    struct Report {
        source: String,
        entries: Vec<Entry>,
    }
    let r: Report = serde_json::from_str(&survey.import_report).ok()?;
    let mut report = ImportReport {
        source: r.source,
        entries: Vec::new(),
    };
    for e in r.entries {
        let severity = match e.severity.as_str() {
            "not_mapped" => Severity::NotMapped,
            "changed" => Severity::Changed,
            _ => Severity::Note,
        };
        report.push(e.location, severity, e.message);
    }
    Some(report)
}

pub fn competency_model() -> Result<CompetencyModel, AppError> {
    CompetencyModel::default_model().map_err(|e| AppError::internal("shipped competency model", e))
}

pub async fn context(state: &AppState) -> Result<SurveyContext, AppError> {
    let model = competency_model()?;
    Ok(match state.store.profile().await? {
        Some((profile, _)) => SurveyContext::from_profile(&profile, &model),
        None => SurveyContext::from_competency_model(&model),
    })
}

/// Where a new questionnaire comes from.
pub enum Source<'a> {
    Default,
    /// Our JSON/YAML, or a LimeSurvey `.lss` (recognised by its XML).
    Import(&'a str),
}

/// Parses and checks a questionnaire for a new survey. Errors name the
/// field `content`.
pub fn prepare_questionnaire(
    source: Source<'_>,
) -> Result<(Questionnaire, Option<ImportReport>), AppError> {
    let invalid = |e: journey::survey::SurveyError| AppError::invalid("content", e.to_string());
    match source {
        Source::Default => Ok((survey::default_questionnaire().map_err(invalid)?, None)),
        Source::Import(text) => {
            let text = text.trim_start_matches('\u{feff}');
            if text.trim().is_empty() {
                return Err(AppError::invalid(
                    "content",
                    "Bitte fügen Sie den Fragebogen ein (JSON oder LimeSurvey-Export .lss).",
                ));
            }
            let imported = if text.trim_start().starts_with('<') {
                survey::lss::import_lss(text.as_bytes()).map_err(invalid)?
            } else {
                survey::parse_questionnaire(text.as_bytes()).map_err(invalid)?
            };
            let issues = survey::validate_questionnaire(&imported.questionnaire);
            if !issues.is_empty() {
                return Err(invalid(journey::survey::SurveyError::Invalid(issues)));
            }
            Ok((imported.questionnaire, Some(imported.report)))
        }
    }
}

pub fn check_min_group_size(k: i64) -> Result<i64, AppError> {
    let lowest = i64::from(journey::survey::aggregate::LOWEST_MIN_GROUP_SIZE);
    if k < lowest || k > 1000 {
        return Err(AppError::invalid(
            "min_group_size",
            format!("Die Mindestgruppengröße muss zwischen {lowest} und 1000 liegen."),
        ));
    }
    Ok(k)
}

pub fn new_survey(
    title: &str,
    q: &Questionnaire,
    report: Option<&ImportReport>,
    k: i64,
) -> Result<NewSurvey, AppError> {
    let title = if title.trim().is_empty() {
        q.title.clone()
    } else {
        title.trim().to_string()
    };
    let import_report = match report {
        Some(r) => serde_json::to_string(r)
            .map_err(|e| AppError::internal("serialise the import report", e))?,
        None => String::new(),
    };
    Ok(NewSurvey {
        title,
        questionnaire: serde_json::to_string(q)
            .map_err(|e| AppError::internal("serialise the questionnaire", e))?,
        import_report,
        min_group_size: k,
    })
}

/// Opens a draft: resolves the questionnaire against the profile now.
pub async fn open_draft(
    state: &AppState,
    cu: &CurrentUser,
    survey: &Survey,
) -> Result<Survey, AppError> {
    let q = questionnaire_of(survey)?;
    let resolved = q.resolve(&context(state).await?);
    let issues = survey::validate_questionnaire(&resolved);
    if !issues.is_empty() {
        return Err(AppError::Conflict(
            journey::survey::SurveyError::Invalid(issues).to_string(),
        ));
    }
    let json = serde_json::to_string(&resolved)
        .map_err(|e| AppError::internal("serialise the resolved questionnaire", e))?;
    Ok(state
        .store
        .open_survey(&cu.actor(), survey.id, &json)
        .await?)
}

/// A draft survey, whose questionnaire may still change.
pub async fn draft_survey(state: &AppState, id: i64) -> Result<Survey, AppError> {
    let survey = state.store.survey(id).await?;
    if survey.status != SurveyStatus::Draft {
        return Err(AppError::Conflict(
            "Der Fragebogen einer gestarteten Umfrage lässt sich nicht mehr ändern. Legen Sie eine Kopie an und bearbeiten Sie diese.".into(),
        ));
    }
    Ok(survey)
}

/// Stores an edited questionnaire if nobody changed it since `version`.
pub async fn save_questionnaire(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    version: i64,
    q: &Questionnaire,
) -> Result<Survey, AppError> {
    let json = serde_json::to_string(q)
        .map_err(|e| AppError::internal("serialise the questionnaire", e))?;
    state
        .store
        .update_survey_questionnaire(&cu.actor(), id, version, &json)
        .await
        .map_err(|e| match e {
            store::StoreError::Conflict => AppError::Conflict(
                "Der Fragebogen wurde inzwischen anderswo geändert. Laden Sie die Seite neu; Ihre Änderungen wurden nicht gespeichert.".into(),
            ),
            e => e.into(),
        })
}

/// A new draft with the questionnaire and group size of survey `id`
/// (running and closed ones included); `title` defaults to "Kopie von …".
pub async fn copy_survey(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    title: Option<&str>,
) -> Result<Survey, AppError> {
    let survey = state.store.survey(id).await?;
    let q = questionnaire_of(&survey)?;
    let title = match title.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => t.to_string(),
        None => format!("Kopie von {}", survey.title),
    };
    let title: String = title.chars().take(200).collect();
    Ok(state
        .store
        .create_survey(
            &cu.actor(),
            &new_survey(&title, &q, None, survey.min_group_size)?,
        )
        .await?)
}
