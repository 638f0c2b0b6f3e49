//! The Bestandsaufnahme in the portal: the project team sets up a survey
//! (default questionnaire, or an import of our JSON or a LimeSurvey `.lss`),
//! opens it, hands out personal links or printed codes, closes it and reads
//! the anonymous results; staff answer on one page that works without
//! JavaScript.
//!
//! Anonymity is the store's shape (see `store::survey`); this module adds
//! that results exist only for closed surveys, always with k-suppression,
//! and that nothing about an answer reaches the audit log.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use journey::competency::CompetencyModel;
use journey::survey::aggregate::Cell;
use journey::survey::filter::{filtered_results, Filter};
use journey::survey::import::Severity;
use journey::survey::{
    self, competency_gaps, AggregateOptions, CompetencyGaps, ImportReport, QuestionKind,
    Questionnaire, Response as SurveyResponse, SurveyContext, SurveyResults,
};
use serde::Deserialize;
use store::survey::{AnswerGate, NewSurvey, Participation, SubmitRefusal, Survey, SurveyStatus};

use super::{render, FieldErrors};
use crate::auth::{ensure_session, CurrentUser, Identity};
use crate::error::{AppError, PageError};
use crate::view::{format_time, Layout};
use crate::AppState;

pub mod paper;

/// The published schema of an exported questionnaire.
const QUESTIONNAIRE_SCHEMA: &str = include_str!("../../../../schemas/questionnaire.schema.json");

/// Codes printed at once, at most.
pub const MAX_CODES: usize = 2000;

// ---------------------------------------------------------------------------
// Shared helpers (also used by the API)

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
    CompetencyModel::default_model().map_err(|e| AppError::Internal(e.to_string()))
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
) -> NewSurvey {
    let title = if title.trim().is_empty() {
        q.title.clone()
    } else {
        title.trim().to_string()
    };
    NewSurvey {
        title,
        questionnaire: serde_json::to_string(q).unwrap_or_default(),
        import_report: report
            .map(|r| serde_json::to_string(r).unwrap_or_default())
            .unwrap_or_default(),
        min_group_size: k,
    }
}

/// Opens a draft: resolves the questionnaire against the profile now.
pub async fn open(state: &AppState, cu: &CurrentUser, survey: &Survey) -> Result<Survey, AppError> {
    let q = questionnaire_of(survey)?;
    let resolved = q.resolve(&context(state).await?);
    let issues = survey::validate_questionnaire(&resolved);
    if !issues.is_empty() {
        return Err(AppError::Conflict(
            journey::survey::SurveyError::Invalid(issues).to_string(),
        ));
    }
    let json = serde_json::to_string(&resolved).unwrap_or_default();
    Ok(state
        .store
        .open_survey(&cu.actor(), survey.id, &json)
        .await?)
}

/// Everything the results page and exports show, for a closed survey only.
pub struct Computed {
    pub questionnaire: Questionnaire,
    pub results: SurveyResults,
    pub gaps: Option<CompetencyGaps>,
}

pub async fn compute_results(state: &AppState, survey: &Survey) -> Result<Computed, AppError> {
    compute_results_for(state, survey, &Filter::default()).await
}

/// The results of the answers `filter` selects (see `journey::survey::filter`);
/// a filter that would reveal a small group is refused with its reason.
pub async fn compute_results_for(
    state: &AppState,
    survey: &Survey,
    filter: &Filter,
) -> Result<Computed, AppError> {
    if survey.status != SurveyStatus::Closed {
        return Err(AppError::Conflict(
            "Ergebnisse gibt es erst, wenn die Umfrage abgeschlossen ist. So lassen sich Antworten nicht durch Vergleich von Zwischenständen einzelnen Personen zuordnen."
                .into(),
        ));
    }
    let q = questionnaire_of(survey)?;
    let responses = stored_responses(state, survey).await?;
    let ctx = context(state).await?;
    let options = AggregateOptions {
        min_group_size: u32::try_from(survey.min_group_size).unwrap_or(5),
        group_by: None,
        include_free_texts: true,
        staff_counts: ctx.staff_counts.clone(),
    };
    let results = filtered_results(&q, &responses, &options, filter)
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    let gaps = if filter.is_empty() {
        competency_gaps(&q, &responses, &competency_model()?, &options).ok()
    } else {
        None
    };
    Ok(Computed {
        questionnaire: q,
        results,
        gaps,
    })
}

/// All stored answers of a survey, parsed.
pub async fn stored_responses(
    state: &AppState,
    survey: &Survey,
) -> Result<Vec<SurveyResponse>, AppError> {
    state
        .store
        .survey_responses(survey.id)
        .await?
        .iter()
        .map(|text| {
            serde_json::from_str(text)
                .map_err(|e| AppError::Internal(format!("stored answer: {e}")))
        })
        .collect()
}

/// An export file with a download name.
pub fn download(content_type: &'static str, name: String, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

pub fn participation_url(state: &AppState, token: &str) -> String {
    format!(
        "{}/teilnahme/{token}",
        state.config.public_url.trim_end_matches('/')
    )
}

// ---------------------------------------------------------------------------
// Overview

struct SurveyRow {
    id: i64,
    title: String,
    status: &'static str,
    status_code: &'static str,
    created: String,
}

#[derive(Template)]
#[template(path = "survey_list.html")]
struct ListPage {
    layout: Layout,
    manage: bool,
    surveys: Vec<SurveyRow>,
    open: Vec<SurveyRow>,
}

fn row(s: &Survey) -> SurveyRow {
    SurveyRow {
        id: s.id,
        title: s.title.clone(),
        status: s.status.label(),
        status_code: s.status.as_str(),
        created: format_time(s.created_at),
    }
}

pub async fn list(State(state): State<AppState>, cu: CurrentUser) -> Result<Response, PageError> {
    let all = state.store.surveys().await?;
    let manage = cu.user.role.can(journey::access::Permission::ManageSurveys);
    render(&ListPage {
        layout: Layout::for_user(&state, &cu, "Bestandsaufnahme", "/umfrage").await,
        manage,
        surveys: if manage {
            all.iter().map(row).collect()
        } else {
            Vec::new()
        },
        open: all
            .iter()
            .filter(|s| s.status == SurveyStatus::Open)
            .map(row)
            .collect(),
    })
}

/// A logged-in person takes part: they get a fresh personal link (an older
/// unused one stops working) and go straight to it. Who has answered
/// already is refused.
pub async fn participate(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let survey = state.store.survey(id).await?;
    if survey.status != SurveyStatus::Open {
        return Err(AppError::Conflict("Diese Umfrage läuft nicht.".into()).into());
    }
    let tokens = state
        .store
        .create_personal_tokens(&cu.actor(), id, &[cu.user.id])
        .await?;
    match tokens.first() {
        Some(t) => Ok(Redirect::to(&format!("/teilnahme/{}", t.token)).into_response()),
        None => Err(AppError::Conflict(
            "Sie haben an dieser Umfrage bereits teilgenommen. Vielen Dank!".into(),
        )
        .into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeQuery {
    code: String,
}

/// The form for a printed code leads to the answering page.
pub async fn enter_code(Query(q): Query<CodeQuery>) -> Response {
    let code = store::survey::normalize_code(&q.code);
    if code.is_empty() {
        return Redirect::to("/umfrage").into_response();
    }
    Redirect::to(&format!("/teilnahme/{code}")).into_response()
}

// ---------------------------------------------------------------------------
// New survey

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct NewForm {
    pub title: String,
    /// `default` or `import`.
    pub source: String,
    pub content: String,
    pub min_group_size: String,
}

impl Default for NewForm {
    fn default() -> Self {
        NewForm {
            title: String::new(),
            source: "default".into(),
            content: String::new(),
            min_group_size: "5".into(),
        }
    }
}

#[derive(Template)]
#[template(path = "survey_new.html")]
struct NewPage {
    layout: Layout,
    form: NewForm,
    errors: FieldErrors,
    form_error: String,
}

pub async fn new_form(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Response, PageError> {
    render(&NewPage {
        layout: Layout::for_user(&state, &cu, "Umfrage anlegen", "/umfrage").await,
        form: NewForm::default(),
        errors: FieldErrors::new(),
        form_error: String::new(),
    })
}

pub async fn create(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<NewForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    if form.title.chars().count() > 200 {
        errors.insert("title", "Der Titel darf höchstens 200 Zeichen lang sein.");
    }
    let k = match form.min_group_size.trim().parse::<i64>() {
        Ok(k) => match check_min_group_size(k) {
            Ok(k) => k,
            Err(e) => {
                errors.insert("min_group_size", e.to_string());
                5
            }
        },
        Err(_) => {
            errors.insert("min_group_size", "Bitte eine ganze Zahl angeben, z. B. 5.");
            5
        }
    };
    let source = if form.source == "import" {
        Source::Import(&form.content)
    } else {
        Source::Default
    };
    let prepared = match prepare_questionnaire(source) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.insert("content", e.to_string());
            None
        }
    };
    if let (true, Some((q, report))) = (errors.is_empty(), prepared) {
        let survey = state
            .store
            .create_survey(
                &cu.actor(),
                &new_survey(&form.title, &q, report.as_ref(), k),
            )
            .await?;
        return Ok(Redirect::to(&format!("/umfrage/{}", survey.id)).into_response());
    }
    let mut response = render(&NewPage {
        layout: Layout::for_user(&state, &cu, "Umfrage anlegen", "/umfrage").await,
        form,
        errors,
        form_error: "Bitte prüfen Sie die markierten Felder. Nichts wurde gespeichert.".into(),
    })?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

// ---------------------------------------------------------------------------
// One survey: status, distribution, participation

struct SectionSummary {
    title: String,
    questions: usize,
}

struct ReportRow {
    location: String,
    severity: &'static str,
    message: String,
}

struct LinkRow {
    name: String,
    email: String,
    url: String,
}

#[derive(Template)]
#[template(path = "survey_detail.html")]
struct DetailPage {
    layout: Layout,
    id: i64,
    title: String,
    status: &'static str,
    status_code: &'static str,
    questionnaire_title: String,
    sections: Vec<SectionSummary>,
    report_source: String,
    report: Vec<ReportRow>,
    min_group_size: i64,
    opened: String,
    closed: String,
    participation: Participation,
    pending: Vec<String>,
    links: Vec<LinkRow>,
    codes: Vec<String>,
    answer_from: String,
    answer_until: String,
}

async fn detail_page(
    state: &AppState,
    cu: &CurrentUser,
    survey: &Survey,
    links: Vec<LinkRow>,
    codes: Vec<String>,
    flash: Option<(&'static str, String)>,
) -> Result<Response, PageError> {
    let q = questionnaire_of(survey)?;
    let report = import_report_of(survey);
    let users: HashMap<i64, String> = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let pending = if survey.status == SurveyStatus::Open {
        state
            .store
            .survey_pending_user_ids(survey.id)
            .await?
            .into_iter()
            .filter_map(|id| users.get(&id).cloned())
            .collect()
    } else {
        Vec::new()
    };
    let mut layout = Layout::for_user(state, cu, &survey.title, "/umfrage").await;
    if let Some((kind, msg)) = flash {
        layout = layout.with_flash(kind, msg);
    }
    render(&DetailPage {
        layout,
        id: survey.id,
        title: survey.title.clone(),
        status: survey.status.label(),
        status_code: survey.status.as_str(),
        questionnaire_title: q.title.clone(),
        sections: q
            .sections
            .iter()
            .map(|s| SectionSummary {
                title: s.title.clone(),
                questions: s.questions.len(),
            })
            .collect(),
        report_source: report
            .as_ref()
            .map(|r| r.source.clone())
            .unwrap_or_default(),
        report: report
            .map(|r| {
                r.entries
                    .into_iter()
                    .map(|e| ReportRow {
                        location: e.location,
                        severity: match e.severity {
                            Severity::NotMapped => "nicht übernommen",
                            Severity::Changed => "geändert",
                            Severity::Note => "Hinweis",
                        },
                        message: e.message,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        min_group_size: survey.min_group_size,
        opened: survey.opened_at.map(format_time).unwrap_or_default(),
        closed: survey.closed_at.map(format_time).unwrap_or_default(),
        participation: state.store.participation(survey).await?,
        pending,
        links,
        codes,
        answer_from: survey.answer_from.clone().unwrap_or_default(),
        answer_until: survey.answer_until.clone().unwrap_or_default(),
    })
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let survey = state.store.survey(id).await?;
    detail_page(&state, &cu, &survey, Vec::new(), Vec::new(), None).await
}

pub async fn open_survey(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let survey = state.store.survey(id).await?;
    let survey = open(&state, &cu, &survey).await?;
    detail_page(
        &state,
        &cu,
        &survey,
        Vec::new(),
        Vec::new(),
        Some((
            "ok",
            "Die Umfrage läuft. Erstellen Sie jetzt Teilnahmelinks oder -codes.".into(),
        )),
    )
    .await
}

pub async fn close_survey(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let survey = state.store.close_survey(&cu.actor(), id).await?;
    detail_page(
        &state,
        &cu,
        &survey,
        Vec::new(),
        Vec::new(),
        Some((
            "ok",
            "Die Umfrage ist abgeschlossen. Alle nicht benutzten Links und Codes gelten nicht mehr."
                .into(),
        )),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListFormat {
    /// `csv`: download the new links or codes for a mail merge instead of
    /// showing them.
    format: String,
}

/// Rows as CSV (UTF-8, RFC 4180) for a mail merge, as a download.
fn mail_merge_csv(
    name: String,
    header: &[&str],
    rows: Vec<Vec<String>>,
) -> Result<Response, AppError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let failed = |e: csv::Error| AppError::Internal(e.to_string());
    w.write_record(header).map_err(failed)?;
    for row in rows {
        w.write_record(&row).map_err(failed)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(
        "text/csv; charset=utf-8",
        name,
        String::from_utf8_lossy(&bytes).into_owned(),
    ))
}

/// Personal links for every active account that has not answered yet.
pub async fn create_links(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<ListFormat>,
) -> Result<Response, PageError> {
    let survey = state.store.survey(id).await?;
    if survey.status != SurveyStatus::Open {
        return Err(AppError::Conflict(
            "Links gibt es nur für eine laufende Umfrage. Starten Sie sie zuerst.".into(),
        )
        .into());
    }
    let users: Vec<_> = state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.active)
        .collect();
    let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    let tokens = state
        .store
        .create_personal_tokens(&cu.actor(), id, &ids)
        .await?;
    let by_id: HashMap<i64, &store::users::User> = users.iter().map(|u| (u.id, u)).collect();
    let links = tokens
        .iter()
        .filter_map(|t| {
            by_id.get(&t.user_id).map(|u| LinkRow {
                name: u.name.clone(),
                email: u.email.clone(),
                url: participation_url(&state, &t.token),
            })
        })
        .collect::<Vec<_>>();
    if form.format == "csv" {
        let rows = links
            .iter()
            .map(|l| vec![l.name.clone(), l.email.clone(), l.url.clone()])
            .collect();
        return Ok(mail_merge_csv(
            format!("bestandsaufnahme-{id}-links.csv"),
            &["name", "email", "link"],
            rows,
        )?);
    }
    let message = format!(
        "{} persönliche Links erstellt. Sie werden nur jetzt angezeigt; ältere, nicht benutzte Links dieser Personen gelten nicht mehr.",
        links.len()
    );
    detail_page(
        &state,
        &cu,
        &survey,
        links,
        Vec::new(),
        Some(("ok", message)),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodesForm {
    count: String,
    /// `csv`: download instead of showing them.
    format: String,
}

/// One-time codes for a printed list (paper, notice boards).
pub async fn create_codes(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<CodesForm>,
) -> Result<Response, PageError> {
    let survey = state.store.survey(id).await?;
    if survey.status != SurveyStatus::Open {
        return Err(AppError::Conflict(
            "Codes gibt es nur für eine laufende Umfrage. Starten Sie sie zuerst.".into(),
        )
        .into());
    }
    let count = form.count.trim().parse::<usize>().unwrap_or(0);
    if count == 0 || count > MAX_CODES {
        return Err(AppError::invalid(
            "count",
            format!("Bitte eine Anzahl zwischen 1 und {MAX_CODES} angeben."),
        )
        .into());
    }
    let codes = state
        .store
        .create_survey_codes(&cu.actor(), id, count)
        .await?;
    if form.format == "csv" {
        let address = format!(
            "{}/teilnahme",
            state.config.public_url.trim_end_matches('/')
        );
        let rows = codes
            .iter()
            .map(|c| vec![survey.title.clone(), c.clone(), address.clone()])
            .collect();
        return Ok(mail_merge_csv(
            format!("bestandsaufnahme-{id}-codes.csv"),
            &["umfrage", "code", "adresse"],
            rows,
        )?);
    }
    let survey = state.store.survey(id).await?;
    let message = format!(
        "{count} Teilnahmecodes erstellt. Drucken Sie diese Seite jetzt aus; die Codes werden nicht noch einmal angezeigt."
    );
    detail_page(
        &state,
        &cu,
        &survey,
        Vec::new(),
        codes,
        Some(("ok", message)),
    )
    .await
}

// ---------------------------------------------------------------------------
// Results and exports

struct OptionLine {
    label: String,
    cells: Vec<String>,
}

struct Table {
    caption: String,
    lines: Vec<OptionLine>,
    answered: Vec<String>,
    means: Option<Vec<String>>,
}

struct QuestionView {
    text: String,
    tables: Vec<Table>,
    free_texts: Vec<String>,
    free_texts_hidden: bool,
}

struct GroupLine {
    label: String,
    responses: String,
    staff: String,
    rate: String,
}

struct GapLine {
    label: String,
    cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "survey_results.html")]
struct ResultsPage {
    layout: Layout,
    /// Filter choices: (id, label, selected).
    departments: Vec<(String, String, bool)>,
    roles: Vec<(String, String, bool)>,
    /// What the figures are filtered to; empty for all answers.
    filter_label: String,
    id: i64,
    title: String,
    k: u32,
    total: String,
    columns: Vec<String>,
    groups: Vec<GroupLine>,
    questions: Vec<QuestionView>,
    gap_areas: Vec<String>,
    gaps: Vec<GapLine>,
    /// Administrators may download the anonymised answers.
    can_export_answers: bool,
}

fn number(x: f64, decimals: usize) -> String {
    format!("{x:.decimals$}").replace('.', ",")
}

fn hidden(k: u32) -> String {
    format!("< {k}")
}

fn figure(cell: &Cell, option: &str, k: u32) -> String {
    if cell.suppressed {
        return hidden(k);
    }
    match cell.options.iter().find(|o| o.option == option) {
        Some(o) => match (o.count, o.share) {
            (Some(c), Some(s)) => format!("{c} ({} %)", number(s * 100.0, 0)),
            (Some(c), None) => c.to_string(),
            _ => hidden(k),
        },
        None => "0".into(),
    }
}

fn results_view(c: &Computed) -> (Vec<String>, Vec<QuestionView>) {
    let k = c.results.min_group_size;
    let mut columns = vec!["Alle".to_string()];
    columns.extend(c.results.groups.iter().map(|g| g.label.clone()));
    let mut questions = Vec::new();
    for qr in &c.results.questions {
        let mut tables = Vec::new();
        for row in &qr.rows {
            let options: Vec<(String, String)> = row
                .cells
                .iter()
                .flat_map(|cell| cell.options.iter())
                .fold(Vec::new(), |mut acc, o| {
                    if !acc.iter().any(|(id, _)| id == &o.option) {
                        acc.push((o.option.clone(), o.label.clone()));
                    }
                    acc
                });
            let lines = options
                .iter()
                .map(|(id, label)| OptionLine {
                    label: label.clone(),
                    cells: row.cells.iter().map(|cell| figure(cell, id, k)).collect(),
                })
                .collect();
            let answered = row
                .cells
                .iter()
                .map(|cell| match cell.answered {
                    Some(n) if !cell.suppressed => n.to_string(),
                    _ => hidden(k),
                })
                .collect();
            let means = row.cells.iter().any(|cell| cell.mean.is_some()).then(|| {
                row.cells
                    .iter()
                    .map(|cell| match cell.mean {
                        Some(m) if !cell.suppressed => number(m, 2),
                        _ => hidden(k),
                    })
                    .collect()
            });
            tables.push(Table {
                caption: match &row.item_label {
                    Some(item) => format!("{} – {item}", qr.text),
                    None => qr.text.clone(),
                },
                lines,
                answered,
                means,
            });
        }
        questions.push(QuestionView {
            text: qr.text.clone(),
            tables,
            free_texts_hidden: qr.kind == journey::survey::QuestionType::Text
                && qr.free_texts.is_none(),
            free_texts: qr.free_texts.clone().unwrap_or_default(),
        });
    }
    (columns, questions)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResultsQuery {
    fachbereich: String,
    rolle: String,
}

/// (id, label, selected) for a filter select, "all" first.
fn filter_choices(
    question: Option<&journey::survey::Question>,
    chosen: &str,
) -> Vec<(String, String, bool)> {
    let mut out = vec![(String::new(), "alle".to_string(), chosen.is_empty())];
    if let Some(list) = question.and_then(|q| q.kind.options()) {
        out.extend(
            list.list
                .iter()
                .map(|o| (o.id.clone(), o.label.clone(), o.id == chosen)),
        );
    }
    out
}

pub async fn results(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Query(query): Query<ResultsQuery>,
) -> Result<Response, PageError> {
    let survey = state.store.survey(id).await?;
    let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let filter = Filter {
        department: non_empty(&query.fachbereich),
        role: non_empty(&query.rolle),
    };
    let mut layout = Layout::for_user(
        &state,
        &cu,
        &format!("Ergebnisse: {}", survey.title),
        "/umfrage",
    )
    .await;
    let (computed, filtered) = match compute_results_for(&state, &survey, &filter).await {
        Ok(c) => (c, !filter.is_empty()),
        Err(AppError::Conflict(reason)) if !filter.is_empty() => {
            layout = layout.with_flash("error", format!("{reason} Gezeigt werden alle Antworten."));
            (compute_results(&state, &survey).await?, false)
        }
        Err(e) => return Err(e.into()),
    };
    let departments = filter_choices(
        computed.questionnaire.department_question(),
        if filtered {
            query.fachbereich.trim()
        } else {
            ""
        },
    );
    let roles = filter_choices(
        computed.questionnaire.role_question(),
        if filtered { query.rolle.trim() } else { "" },
    );
    let filter_label = if filtered {
        departments
            .iter()
            .chain(&roles)
            .filter(|(id, _, chosen)| *chosen && !id.is_empty())
            .map(|(_, label, _)| label.clone())
            .collect::<Vec<_>>()
            .join(" · ")
    } else {
        String::new()
    };
    let k = computed.results.min_group_size;
    let (columns, questions) = results_view(&computed);
    let groups = computed
        .results
        .groups
        .iter()
        .map(|g| GroupLine {
            label: g.label.clone(),
            responses: g.responses.map_or_else(|| hidden(k), |n| n.to_string()),
            staff: g.staff_count.map_or_else(|| "–".into(), |n| n.to_string()),
            rate: g
                .response_rate
                .map_or_else(|| "–".into(), |r| format!("{} %", number(r * 100.0, 0))),
        })
        .collect();
    let (gap_areas, gaps) = match &computed.gaps {
        Some(g) => (
            g.areas.iter().map(|a| a.label.clone()).collect(),
            g.groups
                .iter()
                .map(|gg| GapLine {
                    label: gg.label.clone(),
                    cells: gg
                        .areas
                        .iter()
                        .map(
                            |a| match (a.suppressed, a.mean_level, a.share_below_target) {
                                (false, Some(level), Some(share)) => format!(
                                    "Stufe {} · {} % unter Ziel",
                                    number(level, 1),
                                    number(share * 100.0, 0)
                                ),
                                (false, Some(level), None) => format!("Stufe {}", number(level, 1)),
                                _ => hidden(k),
                            },
                        )
                        .collect(),
                })
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    render(&ResultsPage {
        layout,
        departments,
        roles,
        filter_label,
        id,
        title: survey.title.clone(),
        k,
        total: computed
            .results
            .responses
            .map_or_else(|| hidden(k), |n| n.to_string()),
        columns,
        groups,
        questions,
        gap_areas,
        gaps,
        can_export_answers: cu
            .user
            .role
            .can(journey::access::Permission::ExportSurveyAnswers),
    })
}

/// `json`, `csv`, `md`, `html`, `odt` (results), `antworten` (the
/// anonymised answers, administrators only) or `fragebogen` (the
/// questionnaire).
pub async fn export(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path((id, format)): Path<(i64, String)>,
) -> Result<Response, PageError> {
    let survey = state.store.survey(id).await?;
    let base = format!("bestandsaufnahme-{id}");
    if format == "fragebogen" {
        let q = questionnaire_of(&survey)?;
        return Ok(download(
            "application/json; charset=utf-8",
            format!("{base}-fragebogen.json"),
            survey::export::questionnaire_to_json(&q),
        ));
    }
    if format == "schema" {
        return Ok(download(
            "application/schema+json",
            "questionnaire.schema.json".into(),
            QUESTIONNAIRE_SCHEMA.into(),
        ));
    }
    if format == "antworten" {
        if !cu
            .user
            .role
            .can(journey::access::Permission::ExportSurveyAnswers)
        {
            return Err(AppError::Forbidden.into());
        }
        return Ok(
            crate::api::survey_answers_api::anonymised_export(&state, &cu, id, false).await?,
        );
    }
    let computed = compute_results(&state, &survey).await?;
    let report_meta = || {
        let mut meta = documents::DocMeta::new(format!("Ergebnisse: {}", survey.title));
        meta.subtitle = Some("Bestandsaufnahme – anonyme Auswertung".into());
        meta
    };
    let response = match format.as_str() {
        "json" => download(
            "application/json; charset=utf-8",
            format!("{base}-ergebnisse.json"),
            survey::export::results_to_json(&computed.results),
        ),
        "csv" => download(
            "text/csv; charset=utf-8",
            format!("{base}-ergebnisse.csv"),
            survey::export::results_to_csv(&computed.results)
                .map_err(|e| AppError::Conflict(e.to_string()))?,
        ),
        "md" => download(
            "text/markdown; charset=utf-8",
            format!("{base}-bericht.md"),
            survey::report::results_markdown(&computed.questionnaire, &computed.results),
        ),
        "html" => download(
            "text/html; charset=utf-8",
            format!("{base}-bericht.html"),
            documents::html::document(
                &survey::report::results_markdown(&computed.questionnaire, &computed.results),
                &report_meta(),
            ),
        ),
        "odt" => {
            let markdown =
                survey::report::results_markdown(&computed.questionnaire, &computed.results);
            let meta = report_meta();
            (
                [
                    (
                        header::CONTENT_TYPE,
                        "application/vnd.oasis.opendocument.text".to_string(),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{base}-bericht.odt\""),
                    ),
                ],
                documents::odt::to_odt(&markdown, &meta),
            )
                .into_response()
        }
        _ => return Err(AppError::NotFound.into()),
    };
    state
        .store
        .record_event(
            &cu.actor(),
            "Umfrageergebnisse exportiert",
            &format!("Umfrage {id}"),
            &format,
        )
        .await?;
    Ok(response)
}

// ---------------------------------------------------------------------------
// Answering (public, by token or code)

struct OptionView {
    value: String,
    label: String,
    checked: bool,
}

struct ItemView {
    field: String,
    label: String,
    error: String,
    options: Vec<OptionView>,
}

struct QuestionForm {
    id: String,
    /// `radio`, `checkbox`, `matrix`, `number`, `text`, `textarea`.
    control: &'static str,
    text: String,
    help: String,
    required: bool,
    condition: String,
    error: String,
    /// Ids of help, condition and error texts, for `aria-describedby`.
    described: String,
    options: Vec<OptionView>,
    items: Vec<ItemView>,
    value: String,
    min: String,
    max: String,
    step: String,
    unit: String,
    max_length: u32,
}

struct SectionForm {
    title: String,
    description: String,
    questions: Vec<QuestionForm>,
}

#[derive(Template)]
#[template(path = "survey_answer.html")]
struct AnswerPage {
    layout: Layout,
    /// Where the form is sent.
    action: String,
    paper: bool,
    title: String,
    description: String,
    notice: Vec<(bool, String)>,
    sections: Vec<SectionForm>,
    summary: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "fragments/survey_preview.html")]
struct PreviewFragment {
    title: String,
    description: String,
    sections: Vec<SectionForm>,
    problems: Vec<String>,
}

/// The questionnaire as staff will see it (the editor's live preview), or
/// the problems that keep it from being shown.
pub(crate) fn preview_html(
    q: Result<&Questionnaire, Vec<String>>,
) -> Result<String, askama::Error> {
    let fragment = match q {
        Ok(q) => PreviewFragment {
            title: q.title.clone(),
            description: q.description.clone().unwrap_or_default(),
            sections: form_view(q, &[], &FieldErrors::new()),
            problems: Vec::new(),
        },
        Err(problems) => PreviewFragment {
            title: String::new(),
            description: String::new(),
            sections: Vec::new(),
            problems,
        },
    };
    fragment.render()
}

#[derive(Template)]
#[template(path = "survey_message.html")]
struct MessagePage {
    layout: Layout,
    heading: String,
    message: String,
}

fn message(
    csrf: String,
    status: StatusCode,
    heading: &str,
    text: &str,
) -> Result<Response, PageError> {
    let mut response = render(&MessagePage {
        layout: Layout::anonymous(heading, csrf),
        heading: heading.into(),
        message: text.into(),
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// The button that keeps unfinished answers instead of submitting them.
const SAVE_FIELD: &str = "_aktion";
const SAVE_VALUE: &str = "zwischenspeichern";

/// Why answers are not taken today, if the survey has a period and today
/// lies outside it.
pub fn outside_period(survey: &Survey) -> Option<String> {
    outside_days(
        survey.answer_from.as_deref(),
        survey.answer_until.as_deref(),
    )
}

/// [`outside_period`] for the first and last day of a period.
pub fn outside_days(answer_from: Option<&str>, answer_until: Option<&str>) -> Option<String> {
    let today = super::documents::today();
    let german = |d: &str| {
        let mut parts = d.split('-');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(y), Some(m), Some(d)) => format!("{d}.{m}.{y}"),
            _ => d.to_string(),
        }
    };
    if let Some(from) = answer_from.filter(|f| today.as_str() < *f) {
        return Some(format!(
            "Die Umfrage beginnt am {}. Bitte öffnen Sie Ihren Link dann noch einmal.",
            german(from)
        ));
    }
    if let Some(until) = answer_until.filter(|u| today.as_str() > *u) {
        return Some(format!(
            "Die Umfrage lief bis zum {}. Antworten sind nicht mehr möglich.",
            german(until)
        ));
    }
    None
}

const UNKNOWN_TOKEN: &str = "Dieser Link oder Code ist nicht gültig, wurde schon benutzt oder die Umfrage ist beendet. Jede Person kann nur einmal teilnehmen. Wenn Sie noch nicht geantwortet haben, bitten Sie das Projektteam um einen neuen Link.";

/// The privacy notice filled from the profile, as headings and paragraphs.
pub(crate) async fn privacy_notice(
    state: &AppState,
    k: i64,
) -> Result<Vec<(bool, String)>, AppError> {
    let profile = state.store.profile().await?.map(|(p, _)| p);
    let kommune = profile
        .as_ref()
        .map_or_else(|| "Die Verwaltung".to_string(), |p| p.name.clone());
    let dpo = profile
        .as_ref()
        .map(|p| p.dpo_contact.clone())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "Siehe Aushang der Verwaltung.".into());
    let mut text = survey::PRIVACY_NOTICE.default_text.to_string();
    for (key, value) in [
        ("kommune", kommune.clone()),
        ("verantwortlich", kommune.clone()),
        ("datenschutzbeauftragte", dpo),
        ("rechtsgrundlage", "Art. 6 Abs. 1 lit. e DSGVO in Verbindung mit dem Landesrecht zum Beschäftigtendatenschutz".into()),
        ("betrieb", kommune),
        ("loeschfrist", "ein Jahr nach Abschluss der Umfrage".into()),
        ("aufsichtsbehoerde", "die Datenschutzaufsicht Ihres Landes".into()),
        ("mindestgruppe", k.to_string()),
    ] {
        text = text
            .replace(&format!("{{{{ {key} }}}}"), &value)
            .replace(&format!("{{{{{key}}}}}"), &value);
    }
    Ok(text
        .split("\n\n")
        .map(|block| block.trim())
        .filter(|b| !b.is_empty())
        .map(|block| {
            let heading = block.starts_with('#');
            let plain = block
                .trim_start_matches('#')
                .replace("**", "")
                .replace('*', "")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let plain = plain
                .strip_prefix("- ")
                .map(|s| s.to_string())
                .unwrap_or(plain);
            (heading, plain.replace(" - ", " – "))
        })
        .collect())
}

fn condition_hint(q: &Questionnaire, question: &journey::survey::Question) -> String {
    let Some(cond) = &question.show_if else {
        return String::new();
    };
    let Some(other) = q.question(&cond.question) else {
        return String::new();
    };
    let label = |id: &str| -> String {
        other
            .kind
            .options()
            .and_then(|o| o.get(id))
            .map(|o| o.label.clone())
            .or_else(|| {
                other.kind.scale().and_then(|s| {
                    s.iter()
                        .find(|p| p.value.to_string() == id)
                        .map(|p| p.label.clone())
                })
            })
            .unwrap_or_else(|| id.to_string())
    };
    let values = match &cond.test {
        journey::survey::ConditionTest::Equals(v) | journey::survey::ConditionTest::Contains(v) => {
            format!("„{}“", label(v))
        }
        journey::survey::ConditionTest::AnyOf(vs) => vs
            .iter()
            .map(|v| format!("„{}“", label(v)))
            .collect::<Vec<_>>()
            .join(" oder "),
    };
    format!(
        "Nur beantworten, wenn Sie bei „{}“ {values} gewählt haben.",
        other.text
    )
}

fn form_view(
    q: &Questionnaire,
    pairs: &[(String, String)],
    errors: &FieldErrors,
) -> Vec<SectionForm> {
    let values = |field: &str| -> Vec<&str> {
        pairs
            .iter()
            .filter(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let opts = |field: &str, list: Vec<(String, String)>| -> Vec<OptionView> {
        let chosen = values(field);
        list.into_iter()
            .map(|(value, label)| OptionView {
                checked: chosen.contains(&value.as_str()),
                value,
                label,
            })
            .collect()
    };
    let scale = |points: &[journey::survey::ScalePoint]| -> Vec<(String, String)> {
        points
            .iter()
            .map(|p| (p.value.to_string(), p.label.clone()))
            .collect()
    };
    q.sections
        .iter()
        .map(|s| SectionForm {
            title: s.title.clone(),
            description: s.description.clone().unwrap_or_default(),
            questions: s
                .questions
                .iter()
                .map(|question| {
                    let id = question.id.clone();
                    let mut view = QuestionForm {
                        id: id.clone(),
                        control: "text",
                        text: question.text.clone(),
                        help: question.help.clone().unwrap_or_default(),
                        required: question.required,
                        condition: condition_hint(q, question),
                        error: errors.get(&id).cloned().unwrap_or_default(),
                        described: String::new(),
                        options: Vec::new(),
                        items: Vec::new(),
                        value: values(&id)
                            .first()
                            .map(|v| v.to_string())
                            .unwrap_or_default(),
                        min: String::new(),
                        max: String::new(),
                        step: String::new(),
                        unit: String::new(),
                        max_length: 0,
                    };
                    match &question.kind {
                        QuestionKind::SingleChoice { options } => {
                            view.control = "radio";
                            view.options = opts(
                                &id,
                                options
                                    .list
                                    .iter()
                                    .map(|o| (o.id.clone(), o.label.clone()))
                                    .collect(),
                            );
                        }
                        QuestionKind::MultipleChoice { options, .. } => {
                            view.control = "checkbox";
                            view.options = opts(
                                &id,
                                options
                                    .list
                                    .iter()
                                    .map(|o| (o.id.clone(), o.label.clone()))
                                    .collect(),
                            );
                        }
                        QuestionKind::Likert { scale: points } => {
                            view.control = "radio";
                            view.options = opts(&id, scale(points));
                        }
                        QuestionKind::LikertMatrix {
                            items,
                            scale: points,
                        } => {
                            view.control = "matrix";
                            view.items = items
                                .list
                                .iter()
                                .map(|item| {
                                    let field = format!("{id}.{}", item.id);
                                    ItemView {
                                        error: errors.get(&field).cloned().unwrap_or_default(),
                                        options: opts(&field, scale(points)),
                                        field,
                                        label: item.label.clone(),
                                    }
                                })
                                .collect();
                        }
                        QuestionKind::Number {
                            min,
                            max,
                            integer,
                            unit,
                        } => {
                            view.control = "number";
                            view.min = min.map(|m| m.to_string()).unwrap_or_default();
                            view.max = max.map(|m| m.to_string()).unwrap_or_default();
                            view.step = if *integer { "1".into() } else { "any".into() };
                            view.unit = unit.clone().unwrap_or_default();
                        }
                        QuestionKind::Text {
                            max_length,
                            multiline,
                        } => {
                            view.control = if *multiline { "textarea" } else { "text" };
                            view.max_length = *max_length;
                        }
                    }
                    let mut described = Vec::new();
                    if !view.help.is_empty() {
                        described.push(format!("q-{id}-help"));
                    }
                    if !view.condition.is_empty() {
                        described.push(format!("q-{id}-cond"));
                    }
                    if !view.error.is_empty() {
                        described.push(format!("q-{id}-error"));
                    }
                    view.described = described.join(" ");
                    view
                })
                .collect(),
        })
        .collect()
}

/// What the answer form shows besides the questions: the values sent,
/// and the problems found in them.
struct Filled<'a> {
    pairs: &'a [(String, String)],
    errors: &'a FieldErrors,
    summary: Vec<(String, String)>,
}

impl Filled<'_> {
    fn with(pairs: &[(String, String)]) -> Filled<'_> {
        Filled {
            pairs,
            errors: &NO_ERRORS,
            summary: Vec::new(),
        }
    }
}

static NO_ERRORS: std::sync::LazyLock<FieldErrors> = std::sync::LazyLock::new(FieldErrors::new);

/// The answer form; `paper` is the project team typing in a paper form
/// (no privacy notice to accept, no saving for later).
async fn answer_page(
    state: &AppState,
    layout: Layout,
    survey: &Survey,
    action: String,
    paper: bool,
    filled: Filled<'_>,
) -> Result<Response, PageError> {
    let q = questionnaire_of(survey)?;
    render(&AnswerPage {
        layout,
        action,
        paper,
        title: q.title.clone(),
        description: q.description.clone().unwrap_or_default(),
        notice: privacy_notice(state, survey.min_group_size).await?,
        sections: form_view(&q, filled.pairs, filled.errors),
        summary: filled.summary,
    })
}

/// Answer errors by field (beside each question) and as the summary on
/// top: one line per question, linking to it.
fn answer_problems(
    q: &Questionnaire,
    errs: Vec<survey::AnswerError>,
) -> (FieldErrors, Vec<(String, String)>) {
    let mut errors = FieldErrors::new();
    let mut summary: Vec<(String, String)> = Vec::new();
    for e in errs {
        errors.insert(e.field.clone(), e.message.clone());
        errors.insert(e.question.clone(), e.message.clone());
        let label = q
            .question(&e.question)
            .map_or_else(|| e.question.clone(), |qq| qq.text.clone());
        if !summary.iter().any(|(f, _)| f == &e.question) {
            summary.push((e.question, format!("{label}: {}", e.message)));
        }
    }
    (errors, summary)
}

/// The layout of the public answer page, with a note on top if any.
fn answer_layout(survey: &Survey, csrf: String, flash: Option<&str>) -> Layout {
    let title = questionnaire_of(survey).map_or_else(|_| survey.title.clone(), |q| q.title);
    let layout = Layout::anonymous(&title, csrf);
    match flash {
        Some(text) => layout.with_flash("ok", text.to_string()),
        None => layout,
    }
}

pub async fn answer_form(
    State(state): State<AppState>,
    identity: Identity,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let (csrf, cookie) = ensure_session(&state, &identity).await?;
    let mut response = match state.store.survey_for_token(&token).await? {
        Some(survey) if outside_period(&survey).is_some() => message(
            csrf,
            StatusCode::CONFLICT,
            "Teilnahme gerade nicht möglich",
            &outside_period(&survey).unwrap_or_default(),
        )?,
        Some(survey) => {
            let saved: Vec<(String, String)> = match state.store.survey_draft(&token).await? {
                Some(json) => serde_json::from_str(&json).unwrap_or_default(),
                None => Vec::new(),
            };
            let flash = (!saved.is_empty()).then_some(
                "Ihre zwischengespeicherten Antworten sind wieder da. Sie können weitermachen.",
            );
            answer_page(
                &state,
                answer_layout(&survey, csrf, flash),
                &survey,
                format!("/teilnahme/{token}"),
                false,
                Filled::with(&saved),
            )
            .await?
        }
        None => message(
            csrf,
            StatusCode::NOT_FOUND,
            "Teilnahme nicht möglich",
            UNKNOWN_TOKEN,
        )?,
    };
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    // Answers are personal: no copy in caches or the browser history.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

pub async fn answer_submit(
    State(state): State<AppState>,
    identity: Identity,
    Path(token): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let csrf = identity
        .session
        .as_ref()
        .map(|s| s.csrf.clone())
        .unwrap_or_default();
    let Some(gate) = state.store.answer_gate(&token).await? else {
        return message(
            csrf,
            StatusCode::CONFLICT,
            "Teilnahme nicht möglich",
            UNKNOWN_TOKEN,
        );
    };
    if let Some(text) = outside_days(gate.answer_from.as_deref(), gate.answer_until.as_deref()) {
        return message(
            csrf,
            StatusCode::CONFLICT,
            "Teilnahme gerade nicht möglich",
            &text,
        );
    }
    let q = questionnaire_for(&state, &gate).await?;
    let input = survey::response::input_from_form(&q, &pairs);
    let save_for_later = pairs
        .iter()
        .any(|(k, v)| k == SAVE_FIELD && v == SAVE_VALUE);
    let mode = if save_for_later {
        survey::Completeness::Draft
    } else {
        survey::Completeness::Complete
    };
    match survey::validate_response(&q, &input, mode) {
        Ok(_) if save_for_later => {
            let kept: Vec<&(String, String)> =
                pairs.iter().filter(|(k, _)| !k.starts_with('_')).collect();
            let json =
                serde_json::to_string(&kept).map_err(|e| AppError::Internal(e.to_string()))?;
            if !state.store.save_survey_draft(&token, &json).await? {
                return message(
                    csrf,
                    StatusCode::CONFLICT,
                    "Teilnahme nicht möglich",
                    UNKNOWN_TOKEN,
                );
            }
            let survey = state.store.survey(gate.id).await?;
            answer_page(
                &state,
                answer_layout(&survey, csrf, Some("Zwischengespeichert. Öffnen Sie denselben Link später wieder, um weiterzumachen; abgeschickt ist noch nichts.")),
                &survey,
                format!("/teilnahme/{token}"),
                false,
                Filled::with(&pairs),
            )
            .await
        }
        Ok(response) => {
            let json =
                serde_json::to_string(&response).map_err(|e| AppError::Internal(e.to_string()))?;
            match state.store.submit_response(gate.id, &token, &json).await? {
                Ok(()) => message(
                    csrf,
                    StatusCode::OK,
                    "Vielen Dank für Ihre Teilnahme!",
                    "Ihre Antworten sind gespeichert – ohne Namen, ohne Zeitpunkt und ohne Verbindung zu Ihrem Link. Sie können dieses Fenster jetzt schließen.",
                ),
                Err(SubmitRefusal::TokenUnknownOrUsed | SubmitRefusal::NotOpen) => {
                    message(csrf, StatusCode::CONFLICT, "Teilnahme nicht möglich", UNKNOWN_TOKEN)
                }
            }
        }
        Err(errs) => {
            let (errors, summary) = answer_problems(&q, errs);
            let survey = state.store.survey(gate.id).await?;
            let mut response = answer_page(
                &state,
                answer_layout(&survey, csrf, None),
                &survey,
                format!("/teilnahme/{token}"),
                false,
                Filled {
                    pairs: &pairs,
                    errors: &errors,
                    summary,
                },
            )
            .await?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}
