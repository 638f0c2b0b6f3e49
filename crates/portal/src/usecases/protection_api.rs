//! API: data protection of a use case, as on the page „Datenschutz“: the
//! threshold analysis (Schwellwertanalyse) that decides whether a DPIA
//! (Art. 35 GDPR) is needed, the fundamental-rights impact assessment
//! (Art. 27 AI Act, six sections) where the classification requires it,
//! and where the data may be processed under the KI-Richtlinie.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::Json;
use journey::usecase::UseCaseError;
use serde::{Deserialize, Serialize};
use store::usecases::UseCaseRecord;
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::form::key;
use crate::usecases::assessment::{allowed_reaches, MAX_FRIA_CHARS};
use crate::usecases::content::{fria_form, threshold_analysis};
use crate::usecases::edit_api::edit_use_case;
use crate::AppState;

/// A DPIA reference is a file number or a document location, not a text.
const MAX_DPIA_REFERENCE_CHARS: usize = 200;

#[derive(Serialize, ToSchema)]
pub struct ThresholdQuestionDto {
    pub id: String,
    /// `gate` ("no" ends the analysis), `mandatory` ("yes" always needs a
    /// DPIA) or `criterion` (counts towards the threshold).
    pub kind: String,
    pub text: String,
    pub legal: String,
    /// The stored answer, if any.
    pub answer: Option<bool>,
    /// What the canvas suggests, for questions it can answer.
    pub suggested: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct FriaSectionDto {
    pub id: String,
    pub article: String,
    pub title: String,
    pub guidance: String,
    pub text: String,
}

#[derive(Serialize, ToSchema)]
pub struct DataProtectionDto {
    pub id: String,
    /// Send this back when changing the use case.
    pub version: i64,
    /// The most sensitive data class of the canvas (`public`, `personal`, …).
    pub data_class: Option<String>,
    /// Where that data may be processed under the rule set in force
    /// (`local`, `private-cloud`, `public-cloud`).
    pub allowed_backends: Vec<String>,
    pub questions: Vec<ThresholdQuestionDto>,
    /// Questions still to answer before the analysis decides.
    pub unanswered: Vec<String>,
    /// Whether a DPIA is needed, why, and hints; absent until answered.
    #[schema(value_type = Option<Object>)]
    pub decision: Option<journey::usecase::dpia::DpiaDecision>,
    /// The classification requires the fundamental-rights assessment
    /// (high-risk use by a public body, Art. 27 AI Act).
    pub fria_required: bool,
    pub fria: Vec<FriaSectionDto>,
    /// Sections of the assessment without text.
    pub fria_missing: Vec<String>,
    /// The DPIA (Art. 35 GDPR) carried out, where one is recorded. A
    /// high-risk use case whose threshold analysis demands one is approved
    /// only with it, and with the complete fundamental-rights assessment.
    pub dpia: Option<DpiaDto>,
}

/// A DPIA carried out outside ki-reise: when and where it is filed.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DpiaDto {
    /// `YYYY-MM-DD`.
    pub completed_on: String,
    /// File number or document location.
    pub reference: String,
}

async fn data_protection(
    state: &AppState,
    record: &UseCaseRecord,
) -> Result<DataProtectionDto, AppError> {
    let uc = &record.use_case;
    let analysis = threshold_analysis()?;
    let suggested = analysis.prefill(&uc.canvas);
    let answers = &uc.threshold_answers;
    let (decision, unanswered) = if answers.is_empty() {
        let unanswered = analysis.questions.iter().map(|q| q.id.clone()).collect();
        (None, unanswered)
    } else {
        match analysis.evaluate(answers) {
            Ok(d) => (Some(d), Vec::new()),
            Err(UseCaseError::ThresholdAnalysisIncomplete { unanswered }) => (None, unanswered),
            Err(e) => {
                return Err(AppError::internal(
                    "evaluate the DPIA threshold analysis",
                    e,
                ))
            }
        }
    };
    let form = fria_form()?;
    Ok(DataProtectionDto {
        id: uc.id.clone(),
        version: record.version,
        data_class: uc.canvas.highest_data_class().map(key),
        allowed_backends: allowed_reaches(state, uc)
            .await?
            .into_iter()
            .map(|r| r.slug().to_owned())
            .collect(),
        questions: analysis
            .questions
            .iter()
            .map(|q| ThresholdQuestionDto {
                id: q.id.clone(),
                kind: key(q.kind),
                text: q.text.clone(),
                legal: q.legal.clone(),
                answer: answers.get(&q.id).copied(),
                suggested: suggested.get(&q.id).copied(),
            })
            .collect(),
        unanswered,
        decision,
        fria_required: uc.classification.as_ref().is_some_and(|c| c.fria_required),
        fria: form
            .sections
            .iter()
            .map(|s| FriaSectionDto {
                id: s.id.clone(),
                article: s.article.clone(),
                title: s.title.clone(),
                guidance: s.guidance.clone(),
                text: uc.fria.get(&s.id).cloned().unwrap_or_default(),
            })
            .collect(),
        fria_missing: form
            .missing(&uc.fria)
            .into_iter()
            .map(|s| s.id.clone())
            .collect(),
        dpia: uc.dpia.as_ref().map(|d| DpiaDto {
            completed_on: d.completed_on.clone(),
            reference: d.reference.clone(),
        }),
    })
}

/// The data protection assessment of a use case.
#[utoipa::path(get, path = "/api/v1/usecases/{id}/data-protection", tag = "Anwendungsfälle",
    params(("id" = String, Path, description = "Kennung des Anwendungsfalls")),
    responses((status = 200, body = DataProtectionDto), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<DataProtectionDto>, ApiError> {
    let record = state.store.use_case(&id).await?;
    Ok(Json(data_protection(&state, &record).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataProtectionUpdateDto {
    /// Question id → yes (`true`) or no (`false`). Either empty (nothing
    /// assessed yet) or enough to decide: every question, or a gate
    /// answered "no".
    #[serde(default)]
    pub threshold_answers: BTreeMap<String, bool>,
    /// Section id → text of the fundamental-rights impact assessment.
    #[serde(default)]
    pub fria: BTreeMap<String, String>,
    /// The DPIA carried out; absent or `null` when none is recorded.
    #[serde(default)]
    pub dpia: Option<DpiaDto>,
    /// The version last seen; a different current version answers 409.
    pub version: i64,
}

/// Replaces the threshold analysis answers and the fundamental-rights
/// assessment. Unknown questions or sections, an analysis that does not
/// decide, and over-long texts answer 422 naming the field; nothing is
/// stored then.
#[utoipa::path(put, path = "/api/v1/usecases/{id}/data-protection", tag = "Anwendungsfälle",
    params(("id" = String, Path, description = "Kennung des Anwendungsfalls")),
    request_body = DataProtectionUpdateDto,
    responses((status = 200, body = DataProtectionDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DataProtectionUpdateDto>,
) -> Result<Json<DataProtectionDto>, ApiError> {
    let analysis = threshold_analysis()?;
    let form = fria_form()?;
    let saved = edit_use_case(&state, &cu, &id, body.version, |uc| {
        if let Some(unknown) = body
            .threshold_answers
            .keys()
            .find(|id| !analysis.questions.iter().any(|q| &q.id == *id))
        {
            return Err(AppError::invalid(
                &format!("threshold_answers.{unknown}"),
                format!("Die Frage „{unknown}“ gibt es in der Schwellwertanalyse nicht."),
            ));
        }
        if !body.threshold_answers.is_empty() {
            if let Err(UseCaseError::ThresholdAnalysisIncomplete { unanswered }) =
                analysis.evaluate(&body.threshold_answers)
            {
                return Err(AppError::invalid(
                    "threshold_answers",
                    format!(
                        "Die Schwellwertanalyse ist unvollständig; es fehlen: {}. Nichts wurde gespeichert.",
                        unanswered.join(", ")
                    ),
                ));
            }
        }
        let mut fria = BTreeMap::new();
        for (section, text) in body.fria {
            let field = format!("fria.{section}");
            if !form.sections.iter().any(|s| s.id == section) {
                return Err(AppError::invalid(
                    &field,
                    format!(
                        "Den Abschnitt „{section}“ hat die Grundrechte-Folgenabschätzung nicht."
                    ),
                ));
            }
            if text.chars().count() > MAX_FRIA_CHARS {
                return Err(AppError::invalid(
                    &field,
                    format!(
                        "Höchstens {MAX_FRIA_CHARS} Zeichen je Abschnitt. Nichts wurde gespeichert."
                    ),
                ));
            }
            let text = text.trim().to_owned();
            if !text.is_empty() {
                fria.insert(section, text);
            }
        }
        let dpia = match body.dpia {
            None => None,
            Some(d) => {
                if !journey::date::is_iso_date(d.completed_on.trim()) {
                    return Err(AppError::invalid(
                        "dpia.completed_on",
                        "Das Datum der Datenschutz-Folgenabschätzung hat nicht die Form JJJJ-MM-TT. \
                         Nichts wurde gespeichert.",
                    ));
                }
                let reference = d.reference.trim();
                if reference.is_empty() || reference.chars().count() > MAX_DPIA_REFERENCE_CHARS {
                    return Err(AppError::invalid(
                        "dpia.reference",
                        format!(
                            "Bitte die Fundstelle der Datenschutz-Folgenabschätzung angeben \
                             (höchstens {MAX_DPIA_REFERENCE_CHARS} Zeichen). Nichts wurde gespeichert."
                        ),
                    ));
                }
                Some(journey::usecase::model::DpiaRecord {
                    completed_on: d.completed_on.trim().to_owned(),
                    reference: reference.to_owned(),
                })
            }
        };
        uc.threshold_answers = body.threshold_answers;
        uc.fria = fria;
        uc.dpia = dpia;
        Ok("Datenschutzprüfung gespeichert".to_owned())
    })
    .await?;
    Ok(Json(data_protection(&state, &saved).await?))
}
