//! Managing the Bestandsaufnahme: the project team sets up a survey
//! (default questionnaire, or an import of our JSON or a LimeSurvey `.lss`),
//! opens it, hands out personal links or printed codes and closes it; staff
//! find the surveys they can take part in.

use std::collections::HashMap;

use crate::text_input::Form;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use journey::survey::import::Severity;
use serde::Deserialize;
use store::survey::{Participation, Survey, SurveyStatus};

use super::distribution_page::{code_address, shown_from};
use super::questionnaire::{
    check_min_group_size, import_report_of, new_survey, open_draft, prepare_questionnaire,
    questionnaire_of, Source,
};
use crate::auth::{CurrentUser, Identity};
use crate::error::PageError;
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

/// Staff see the surveys they can take part in; someone without a session
/// (a slip in hand, the address typed from memory) is sent to the code page
/// instead of the login, since answering needs no account.
pub async fn list(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Response, PageError> {
    let Some(user) = identity.user.clone() else {
        return Ok(Redirect::to("/teilnahme").into_response());
    };
    let cu = CurrentUser { user, identity };
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
    let token = super::answering::own_token(&state, &cu, id).await?;
    Ok(Redirect::to(&format!("/teilnahme/{token}")).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeQuery {
    code: String,
}

#[derive(Template)]
#[template(path = "survey/enter_code.html")]
struct EnterCodePage {
    layout: Layout,
    code: String,
    error: String,
}

/// The public page printed on the slips (`/teilnahme`): whoever holds a
/// code types it as printed, with or without dashes, in any case, and goes
/// on to the answer page without an account. A code that does not work is
/// said beside the field, with what was typed kept.
pub async fn enter_code(
    State(state): State<AppState>,
    Query(q): Query<CodeQuery>,
) -> Result<Response, PageError> {
    let code = store::survey::normalize_code(&q.code);
    let error = if q.code.trim().is_empty() {
        String::new()
    } else if code.is_empty() {
        "Bitte den Code so eingeben, wie er auf dem Zettel steht, z. B. K7QM-2XRA-P9TD.".into()
    } else if state.store.answer_gate(&code).await?.is_none() {
        "Dieser Code ist nicht gültig, wurde schon benutzt oder die Umfrage ist beendet. Bitte prüfen Sie die Schreibweise.".into()
    } else {
        return Ok(Redirect::to(&format!("/teilnahme/{code}")).into_response());
    };
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut response = render(&EnterCodePage {
        layout: Layout::anonymous("An der Umfrage teilnehmen", String::new()),
        code: q.code,
        error,
    })?;
    *response.status_mut() = status;
    Ok(response)
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
    /// The upload form's title and group size as sent, and its problems.
    upload_title: String,
    upload_k: String,
    upload_errors: FieldErrors,
    /// Which of the three ways is shown: `standard`, `text` or `datei`.
    mode: &'static str,
}

/// How a new survey gets its questionnaire (`?weg=`): one form at a time.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewQuery {
    weg: String,
}

fn new_mode(weg: &str) -> &'static str {
    match weg {
        "datei" => "datei",
        "text" => "text",
        _ => "standard",
    }
}

/// The new-survey page again after a failed upload: the problems beside
/// the upload's fields, title and group size kept (a browser never keeps a
/// chosen file, so the page asks for it again).
pub(super) async fn upload_refused(
    state: &AppState,
    cu: &CurrentUser,
    title: String,
    k: String,
    errors: FieldErrors,
) -> Result<Response, PageError> {
    let mut response = render(&NewPage {
        layout: Layout::for_user(state, cu, "Umfrage anlegen", "/umfrage").await,
        form: NewForm::default(),
        errors: FieldErrors::new(),
        form_error: String::new(),
        upload_title: title,
        upload_k: k,
        upload_errors: errors,
        mode: "datei",
    })?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

pub async fn new_form(
    State(state): State<AppState>,
    cu: CurrentUser,
    Query(query): Query<NewQuery>,
) -> Result<Response, PageError> {
    let mode = new_mode(&query.weg);
    render(&NewPage {
        layout: Layout::for_user(&state, &cu, "Umfrage anlegen", "/umfrage").await,
        form: NewForm::default(),
        errors: FieldErrors::new(),
        form_error: String::new(),
        upload_title: String::new(),
        upload_k: "5".into(),
        upload_errors: FieldErrors::new(),
        mode,
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
    let mode = if form.source == "import" {
        "text"
    } else {
        "standard"
    };
    let mut response = render(&NewPage {
        layout: Layout::for_user(&state, &cu, "Umfrage anlegen", "/umfrage").await,
        mode,
        form,
        errors,
        form_error: "Bitte prüfen Sie die markierten Felder. Nichts wurde gespeichert.".into(),
        upload_title: String::new(),
        upload_k: "5".into(),
        upload_errors: FieldErrors::new(),
    })?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

// ---------------------------------------------------------------------------
// One survey: status, distribution, participation

struct SectionSummary {
    title: String,
    /// "1 Frage", "12 Fragen".
    questions: String,
}

struct ReportRow {
    location: String,
    severity: &'static str,
    message: String,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct LinkRow {
    pub(super) name: String,
    pub(super) email: String,
    pub(super) url: String,
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
    /// The public code page, printed in full on every slip.
    code_address: String,
    /// Beside the confirmation box of "Umfrage abschließen".
    close_error: String,
    /// The key of the links shown, for their CSV file.
    links_key: String,
    /// The number of codes as typed, and why it was refused.
    count: String,
    count_error: String,
    /// The period's fields (as typed when refused) and why it was refused.
    from_input: String,
    until_input: String,
    period_error: String,
    answer_from: String,
    answer_until: String,
    mail: super::mailing::MailPanel,
}

/// What the survey page shows besides the survey itself.
#[derive(Default)]
pub(super) struct Shown {
    pub(super) links: Vec<LinkRow>,
    pub(super) codes: Vec<String>,
    pub(super) links_key: String,
    pub(super) flash: Option<(&'static str, String)>,
    pub(super) close_error: String,
    pub(super) count: String,
    pub(super) count_error: String,
    /// The answering period as typed, and why it was refused.
    pub(super) period: Option<(String, String)>,
    pub(super) period_error: String,
}

pub(super) async fn detail_page_with(
    state: &AppState,
    cu: &CurrentUser,
    survey: &Survey,
    shown: Shown,
) -> Result<Response, PageError> {
    let Shown {
        links,
        codes,
        links_key,
        flash,
        close_error,
        count,
        count_error,
        period,
        period_error,
    } = shown;
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
                questions: journey::german::count(s.questions.len(), "Frage", "Fragen"),
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
        mail: if survey.status == SurveyStatus::Open {
            super::mailing::panel(state, survey).await?
        } else {
            Default::default()
        },
        pending,
        links,
        codes,
        code_address: code_address(state),
        close_error,
        links_key,
        count: if count.is_empty() { "20".into() } else { count },
        count_error,
        from_input: period.as_ref().map_or_else(
            || survey.answer_from.clone().unwrap_or_default(),
            |p| p.0.clone(),
        ),
        until_input: period.as_ref().map_or_else(
            || survey.answer_until.clone().unwrap_or_default(),
            |p| p.1.clone(),
        ),
        period_error,
        answer_from: survey.answer_from.clone().unwrap_or_default(),
        answer_until: survey.answer_until.clone().unwrap_or_default(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    /// The key of links or codes just made (see `distribution_page`).
    neu: String,
    /// What the POST before the redirect did: `gestartet`, `abgeschlossen`,
    /// `zeitraum`.
    hinweis: String,
}

/// The survey page; after a POST it says what was done, and after making
/// links or codes it shows them (redirect after POST: reloading creates
/// nothing).
pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let survey = state.store.survey(id).await?;
    let notice = match q.hinweis.as_str() {
        "gestartet" => Some("Die Umfrage läuft. Erstellen Sie jetzt Teilnahmelinks oder -codes."),
        "abgeschlossen" => Some(
            "Die Umfrage ist abgeschlossen. Alle nicht benutzten Links und Codes gelten nicht mehr.",
        ),
        "zeitraum" => Some("Der Zeitraum ist gespeichert."),
        _ => None,
    };
    let shown = if q.neu.is_empty() {
        None
    } else {
        shown_from(&state, &cu, id, &q.neu).await?
    };
    let shown = shown.unwrap_or_else(|| Shown {
        flash: notice.map(|m| ("ok", m.to_owned())),
        ..Shown::default()
    });
    detail_page_with(&state, &cu, &survey, shown).await
}

/// The survey page after a POST that changed it, with its notice.
pub(super) fn done(id: i64, notice: &str) -> Response {
    Redirect::to(&format!("/umfrage/{id}?hinweis={notice}")).into_response()
}

pub async fn open_survey(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let survey = state.store.survey(id).await?;
    open_draft(&state, &cu, &survey).await?;
    Ok(done(id, "gestartet"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CloseForm {
    /// `ja` when the box "endgültig abschließen" is ticked.
    confirm: String,
}

/// Closing cannot be undone, so it needs the ticked confirmation box (a
/// step that works without JavaScript); without it nothing changes and the
/// page says so beside the box.
pub async fn close_survey(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<CloseForm>,
) -> Result<Response, PageError> {
    if form.confirm != "ja" {
        let survey = state.store.survey(id).await?;
        let shown = Shown {
            close_error:
                "Bitte bestätigen Sie, dass die Umfrage endgültig abgeschlossen werden soll.".into(),
            ..Shown::default()
        };
        let mut response = detail_page_with(&state, &cu, &survey, shown).await?;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    }
    state.store.close_survey(&cu.actor(), id).await?;
    Ok(done(id, "abgeschlossen"))
}
