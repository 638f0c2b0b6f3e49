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

use super::answering::{participation_url, MAX_CODES};
use super::questionnaire::{
    check_min_group_size, import_report_of, new_survey, open_draft, prepare_questionnaire,
    questionnaire_of, Source,
};
use crate::auth::{CurrentUser, Identity};
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
    /// The public code page, printed in full on every slip.
    code_address: String,
    /// Beside the confirmation box of "Umfrage abschließen".
    close_error: String,
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
    let shown = Shown {
        links,
        codes,
        flash,
        close_error: String::new(),
    };
    detail_page_with(state, cu, survey, shown).await
}

/// What the survey page shows besides the survey itself.
#[derive(Default)]
pub(super) struct Shown {
    links: Vec<LinkRow>,
    codes: Vec<String>,
    flash: Option<(&'static str, String)>,
    close_error: String,
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
        flash,
        close_error,
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
        pending,
        links,
        codes,
        code_address: code_address(state),
        close_error,
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
}

/// One-time codes for a printed list (paper, notice boards). Creating is
/// this POST alone; the list shown links to [`codes_csv`] for the download.
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
    let survey = state.store.survey(id).await?;
    let message = format!(
        "{count} Teilnahmecodes erstellt. Drucken Sie diese Seite jetzt aus oder laden Sie die Codes als CSV herunter; sie werden nicht noch einmal angezeigt."
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

/// The address printed beside every code: the public code page.
pub(super) fn code_address(state: &AppState) -> String {
    format!(
        "{}/teilnahme",
        state.config.public_url.trim_end_matches('/')
    )
}

/// The codes just shown, as CSV for a mail merge. Only codes are stored
/// as hashes, so the page hands the shown codes back in the query; this
/// creates nothing and gives the same file however often it is fetched.
/// Each value must look like one of our codes, so the file holds nothing
/// but codes.
pub async fn codes_csv(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let survey = state.store.survey(id).await?;
    let given: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "code")
        .map(|(_, v)| v.as_str())
        .collect();
    if given.is_empty() || given.len() > MAX_CODES {
        return Err(AppError::invalid(
            "code",
            "Es sind keine Codes zum Herunterladen angegeben. Erstellen Sie zuerst Codes.",
        )
        .into());
    }
    let mut codes = Vec::with_capacity(given.len());
    for code in given {
        let Some(code) = store::survey::printed_code(code) else {
            return Err(
                AppError::invalid("code", "Ein Code hat nicht die Form XXXX-XXXX-XXXX.").into(),
            );
        };
        codes.push(code);
    }
    let address = code_address(&state);
    let rows = codes
        .into_iter()
        .map(|c| vec![survey.title.clone(), c, address.clone()])
        .collect();
    Ok(mail_merge_csv(
        format!("bestandsaufnahme-{id}-codes.csv"),
        &["umfrage", "code", "adresse"],
        rows,
    )?)
}
