//! Handing out a running survey: personal links for every active account
//! and one-time codes for printed slips, with their CSV files for a mail
//! merge.
//!
//! Creating is a POST that answers with a redirect to the survey page
//! (`?neu=<key>`), which shows what was made (see [`crate::handover`]):
//! reloading that page shows the same links or codes and creates nothing.
//! The CSV files are GETs of what was shown and create nothing either.

use std::collections::HashMap;

use crate::text_input::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use store::survey::{Survey, SurveyStatus};

use super::admin_page::{detail_page_with, LinkRow, Shown};
use super::answering::{participation_url, MAX_CODES};
use crate::auth::CurrentUser;
use crate::download::download;
use crate::error::{AppError, PageError};
use crate::AppState;

/// New links or codes of one survey, kept for the page after the POST.
#[derive(Serialize, Deserialize)]
pub(super) struct Distributed {
    survey_id: i64,
    links: Vec<LinkRow>,
    codes: Vec<String>,
    message: String,
}

/// The survey page's view of a kept result: what it shows, or a notice
/// that it is no longer kept (`None` when the key is not this survey's).
pub(super) async fn shown_from(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    key: &str,
) -> Result<Option<Shown>, AppError> {
    let Some(d) = crate::handover::get::<Distributed>(state, cu, key).await? else {
        return Ok(Some(Shown {
            flash: Some((
                "pending",
                format!(
                    "Die zuletzt erstellten Links oder Codes werden nicht mehr angezeigt (nur {} Minuten lang und nur in derselben Anmeldung). Erstellen Sie bei Bedarf neue.",
                    crate::handover::KEEP.as_secs() / 60
                ),
            )),
            ..Shown::default()
        }));
    };
    Ok((d.survey_id == id).then(|| Shown {
        links: d.links.clone(),
        codes: d.codes.clone(),
        links_key: if d.links.is_empty() {
            String::new()
        } else {
            key.to_owned()
        },
        flash: Some(("ok", d.message.clone())),
        ..Shown::default()
    }))
}

async fn handed_over(
    state: &AppState,
    cu: &CurrentUser,
    d: Distributed,
) -> Result<String, AppError> {
    let key = crate::handover::put(state, cu, &d).await?;
    Ok(format!("/umfrage/{}?neu={key}", d.survey_id))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListFormat {
    /// `csv`: download the new links for a mail merge instead of showing
    /// them.
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

/// The survey, if it is running: links and codes are only for that.
async fn running_survey(state: &AppState, id: i64, what: &str) -> Result<Survey, AppError> {
    let survey = state.store.survey(id).await?;
    if survey.status != SurveyStatus::Open {
        return Err(AppError::Conflict(format!(
            "{what} gibt es nur für eine laufende Umfrage. Starten Sie sie zuerst."
        )));
    }
    Ok(survey)
}

/// Personal links for every active account that has not answered yet.
pub async fn create_links(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<ListFormat>,
) -> Result<Response, PageError> {
    running_survey(&state, id, "Links").await?;
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
    let links: Vec<LinkRow> = tokens
        .iter()
        .filter_map(|t| {
            by_id.get(&t.user_id).map(|u| LinkRow {
                name: u.name.clone(),
                email: u.email.clone(),
                url: participation_url(&state, &t.token),
            })
        })
        .collect();
    let message = format!(
        "{} erstellt. Sie werden nur jetzt angezeigt; ältere, nicht benutzte Links dieser Personen gelten nicht mehr.",
        journey::german::count(links.len(), "persönlicher Link", "persönliche Links")
    );
    let page = handed_over(
        &state,
        &cu,
        Distributed {
            survey_id: id,
            links,
            codes: Vec::new(),
            message,
        },
    )
    .await?;
    if form.format == "csv" {
        // The page's key also names the file of the links just made.
        let csv = page.replacen('?', "/links.csv?", 1);
        return Ok(Redirect::to(&csv).into_response());
    }
    Ok(Redirect::to(&page).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct KeyQuery {
    neu: String,
}

/// The links made by [`create_links`], as CSV for a mail merge: the same
/// file however often it is fetched, nothing new is made.
pub async fn links_csv(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<KeyQuery>,
) -> Result<Response, PageError> {
    let Some(d) = crate::handover::get::<Distributed>(&state, &cu, &q.neu)
        .await?
        .filter(|d| d.survey_id == id)
    else {
        // The survey page says that they are no longer kept.
        return Ok(Redirect::to(&format!("/umfrage/{id}?neu={}", q.neu)).into_response());
    };
    let rows = d
        .links
        .iter()
        .map(|l| vec![l.name.clone(), l.email.clone(), l.url.clone()])
        .collect();
    Ok(mail_merge_csv(
        format!("bestandsaufnahme-{id}-links.csv"),
        &["name", "email", "link"],
        rows,
    )?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MailForm {
    art: String,
}

/// Queues invitations or reminders by e-mail (see [`super::mailing`]);
/// the survey page then says how many and shows the progress.
pub async fn send_mail(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<MailForm>,
) -> Result<Response, PageError> {
    let which = super::mailing::SurveyMail::parse(&form.art)
        .ok_or_else(|| AppError::invalid("art", "Bitte Einladung oder Erinnerung wählen."))?;
    let survey = state.store.survey(id).await?;
    let n = super::mailing::queue(&state, &cu, &survey, which).await?;
    let page = handed_over(
        &state,
        &cu,
        Distributed {
            survey_id: id,
            links: Vec::new(),
            codes: Vec::new(),
            message: super::mailing::queued_message(which, n),
        },
    )
    .await?;
    Ok(Redirect::to(&page).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodesForm {
    count: String,
}

/// One-time codes for a printed list (paper, notice boards). Creating is
/// this POST alone; the page it leads to links to [`codes_csv`] for the
/// download. A count out of range is said beside the field.
pub async fn create_codes(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<CodesForm>,
) -> Result<Response, PageError> {
    let survey = running_survey(&state, id, "Codes").await?;
    let count = match form.count.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_CODES).contains(&n) => n,
        _ => {
            let shown = Shown {
                count: form.count.clone(),
                count_error: format!(
                    "Bitte eine ganze Zahl von 1 bis {MAX_CODES} angeben. Es wurden keine Codes erstellt."
                ),
                ..Shown::default()
            };
            let mut response = detail_page_with(&state, &cu, &survey, shown).await?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(response);
        }
    };
    let codes = state
        .store
        .create_survey_codes(&cu.actor(), id, count)
        .await?;
    let message = format!(
        "{} erstellt. Drucken Sie diese Seite aus oder laden Sie die Codes als CSV herunter; sie werden nur {} Minuten lang angezeigt.",
        journey::german::count(count, "Teilnahmecode", "Teilnahmecodes"),
        crate::handover::KEEP.as_secs() / 60
    );
    let page = handed_over(
        &state,
        &cu,
        Distributed {
            survey_id: id,
            links: Vec::new(),
            codes,
            message,
        },
    )
    .await?;
    Ok(Redirect::to(&page).into_response())
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
/// but codes. Only a hand-made address gets here with wrong codes, so it
/// is refused on the error page (with the navigation), not on a form.
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
