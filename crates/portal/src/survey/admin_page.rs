//! Managing the Bestandsaufnahme: the project team sets up a survey
//! (default questionnaire, or an import of our JSON or a LimeSurvey `.lss`),
//! opens it, hands out personal links or printed codes and closes it; staff
//! find the surveys they can take part in.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use journey::survey::import::Severity;
use serde::Deserialize;
use store::survey::{Participation, Survey, SurveyStatus};

use super::answering::{participation_url, MAX_CODES};
use super::questionnaire::{
    check_min_group_size, import_report_of, new_survey, open_draft, prepare_questionnaire,
    questionnaire_of, Source,
};
use crate::auth::CurrentUser;
use crate::download::download;
use crate::error::{AppError, PageError};
use crate::form::FieldErrors;
use crate::view::{format_time, render, Layout};
use crate::AppState;

struct SurveyRow {
    id: i64,
    title: String,
    status: &'static str,
    status_code: &'static str,
    created: String,
}

#[derive(Template)]
#[template(path = "survey/list.html")]
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
#[template(path = "survey/new.html")]
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
                &new_survey(&form.title, &q, report.as_ref(), k)?,
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

pub(super) struct LinkRow {
    name: String,
    email: String,
    url: String,
}

#[derive(Template)]
#[template(path = "survey/detail.html")]
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

pub(super) async fn detail_page(
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
    let survey = open_draft(&state, &cu, &survey).await?;
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
    let failed = |e: csv::Error| AppError::internal("write a mail-merge list", e);
    w.write_record(header).map_err(failed)?;
    for row in rows {
        w.write_record(&row).map_err(failed)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::internal("write a mail-merge list", e))?;
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
