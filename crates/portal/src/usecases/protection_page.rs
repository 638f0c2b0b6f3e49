//! Data protection of a use case: the threshold analysis that says whether a
//! data protection impact assessment (DPIA, Art. 35 GDPR) is needed, the
//! fundamental-rights impact assessment (Art. 27 AI Act) where the
//! classification requires it, and which backends the data class may reach
//! under the KI-Richtlinie in force.

use std::collections::BTreeMap;

use crate::text_input::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use journey::policy::Reach;
use journey::usecase::dpia::DpiaDecision;
use journey::usecase::UseCaseError;
use store::usecases::UseCaseRecord;
use store::StoreError;

use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::Fields;
use crate::usecases::assessment::allowed_reaches;
use crate::usecases::assessment::save;
use crate::usecases::assessment::MAX_FRIA_CHARS;
use crate::usecases::content::fria_form;
use crate::usecases::content::threshold_analysis;
use crate::usecases::detail_page::conflict_note;
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

struct ThresholdView {
    id: String,
    text: String,
    legal: String,
    /// `ja`, `nein` or empty.
    answer: &'static str,
    suggested: bool,
}

struct FriaView {
    id: String,
    title: String,
    article: String,
    guidance: String,
    text: String,
}

#[derive(askama::Template)]
#[template(path = "usecases/protection.html")]
struct ProtectionPage {
    layout: Layout,
    id: String,
    title: String,
    version: i64,
    data_class: String,
    reaches: Vec<&'static str>,
    questions: Vec<ThresholdView>,
    decision: Option<DpiaDecision>,
    open_questions: usize,
    fria_required: bool,
    fria: Vec<FriaView>,
    /// The DPIA carried out, as stored (empty when none).
    dpia_completed_on: String,
    dpia_reference: String,
    can_assess: bool,
    form_error: String,
}

async fn page(
    state: &AppState,
    cu: &CurrentUser,
    record: &UseCaseRecord,
    answers: &BTreeMap<String, bool>,
    fria: &BTreeMap<String, String>,
    form_error: String,
) -> Result<ProtectionPage, AppError> {
    let uc = &record.use_case;
    let analysis = threshold_analysis()?;
    let suggested = analysis.prefill(&uc.canvas);
    let shown = if answers.is_empty() {
        &suggested
    } else {
        answers
    };
    let highest = uc.canvas.highest_data_class();
    let decision = analysis
        .evaluate(answers)
        .ok()
        .filter(|_| !answers.is_empty());
    let open_questions = match analysis.evaluate(shown) {
        Err(UseCaseError::ThresholdAnalysisIncomplete { unanswered }) => unanswered.len(),
        _ => 0,
    };
    Ok(ProtectionPage {
        layout: Layout::for_user(
            state,
            cu,
            &format!("Datenschutz: {}", uc.intake.title),
            "/anwendungsfaelle",
        )
        .await,
        id: uc.id.clone(),
        title: uc.intake.title.clone(),
        version: record.version,
        data_class: highest
            .map_or("noch nicht angegeben", |c| c.label())
            .to_owned(),
        reaches: allowed_reaches(state, uc)
            .await?
            .into_iter()
            .map(Reach::label)
            .collect(),
        questions: analysis
            .questions
            .iter()
            .map(|q| ThresholdView {
                id: q.id.clone(),
                text: q.text.clone(),
                legal: q.legal.clone(),
                answer: match shown.get(&q.id) {
                    Some(true) => "ja",
                    Some(false) => "nein",
                    None => "",
                },
                suggested: answers.is_empty() && suggested.contains_key(&q.id),
            })
            .collect(),
        decision,
        open_questions,
        fria_required: uc.classification.as_ref().is_some_and(|c| c.fria_required),
        fria: fria_form()?
            .sections
            .iter()
            .map(|s| FriaView {
                id: s.id.clone(),
                title: s.title.clone(),
                article: s.article.clone(),
                guidance: s.guidance.clone(),
                text: fria.get(&s.id).cloned().unwrap_or_default(),
            })
            .collect(),
        dpia_completed_on: uc
            .dpia
            .as_ref()
            .map(|d| d.completed_on.clone())
            .unwrap_or_default(),
        dpia_reference: uc
            .dpia
            .as_ref()
            .map(|d| d.reference.clone())
            .unwrap_or_default(),
        can_assess: cu
            .user
            .role
            .can(journey::access::Permission::AssessUseCases),
        form_error,
    })
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let record = state.store.use_case(&id).await?;
    let uc = &record.use_case;
    render(
        &page(
            &state,
            &cu,
            &record,
            &uc.threshold_answers,
            &uc.fria,
            String::new(),
        )
        .await?,
    )
}

pub async fn save_protection(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let record = state.store.use_case(&id).await?;
    let fields = Fields::new(pairs);
    let analysis = threshold_analysis()?;
    let mut answers = BTreeMap::new();
    for q in &analysis.questions {
        match fields.get(&format!("q.{}", q.id)) {
            "ja" => {
                answers.insert(q.id.clone(), true);
            }
            "nein" => {
                answers.insert(q.id.clone(), false);
            }
            _ => {}
        }
    }
    let mut fria = BTreeMap::new();
    let mut too_long = Vec::new();
    for s in &fria_form()?.sections {
        let text = fields.get(&format!("f.{}", s.id)).trim().to_owned();
        if text.chars().count() > MAX_FRIA_CHARS {
            too_long.push(s.title.clone());
        }
        if !text.is_empty() {
            fria.insert(s.id.clone(), text);
        }
    }
    let (dpia_on, dpia_ref) = (
        fields.get("dpia.completed_on").trim(),
        fields.get("dpia.reference").trim(),
    );
    let dpia = (!dpia_on.is_empty() || !dpia_ref.is_empty()).then(|| {
        journey::usecase::model::DpiaRecord {
            completed_on: dpia_on.to_owned(),
            reference: dpia_ref.to_owned(),
        }
    });
    let problem = if !too_long.is_empty() {
        Some(format!(
            "Zu lang (höchstens {MAX_FRIA_CHARS} Zeichen je Abschnitt): {}. Nichts wurde gespeichert.",
            too_long.join(", ")
        ))
    } else if dpia
        .as_ref()
        .is_some_and(|d| !journey::date::is_iso_date(&d.completed_on) || d.reference.is_empty())
    {
        Some(
            "Für die Datenschutz-Folgenabschätzung bitte das Datum (JJJJ-MM-TT) und die Fundstelle \
             angeben. Nichts wurde gespeichert."
                .to_owned(),
        )
    } else if let Err(UseCaseError::ThresholdAnalysisIncomplete { unanswered }) =
        analysis.evaluate(&answers)
    {
        (!answers.is_empty()).then(|| {
            format!(
                "Die Schwellwertanalyse ist unvollständig ({} Fragen offen). Bitte alle Fragen beantworten; nichts wurde gespeichert.",
                unanswered.len()
            )
        })
    } else {
        None
    };
    if let Some(message) = problem {
        let mut response = render(&page(&state, &cu, &record, &answers, &fria, message).await?)?;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    }
    let mut uc = record.use_case.clone();
    uc.threshold_answers = answers;
    uc.fria = fria;
    uc.dpia = dpia;
    let version: i64 = fields.get("version").trim().parse().unwrap_or(-1);
    match save(
        &state,
        &cu,
        &record,
        &uc,
        version,
        "Datenschutzprüfung gespeichert",
    )
    .await
    {
        Ok(saved) => Ok(Redirect::to(&format!(
            "/anwendungsfaelle/{}/datenschutz?gespeichert=1",
            saved.use_case.id
        ))
        .into_response()),
        Err(StoreError::Conflict) => {
            let current = state.store.use_case(&id).await?;
            let message = conflict_note();
            let mut p = page(
                &state,
                &cu,
                &current,
                &uc.threshold_answers,
                &uc.fria,
                message,
            )
            .await?;
            p.version = current.version;
            let mut response = render(&p)?;
            *response.status_mut() = StatusCode::CONFLICT;
            Ok(response)
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}
