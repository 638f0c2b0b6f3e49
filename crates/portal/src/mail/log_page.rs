//! The send log for the administration: to whom, what kind, where it
//! stands, when, and the server's error; never the content. Page and
//! `/api/v1/mail` read the same rows.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::Serialize;
use store::mail_outbox::{MailStatus, OutboxMail};
use utoipa::ToSchema;

use super::templates;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, PageError};
use crate::view::{format_time, render, Layout};
use crate::AppState;

/// Rows the page and the API show, newest first.
pub const LOG_SIZE: i64 = 500;

fn kind_label(slug: &str) -> String {
    use crate::documents::review_status::{ADOPTION_REQUEST, STATEMENT_REQUEST};
    match slug {
        STATEMENT_REQUEST => "Bitte um Stellungnahme".into(),
        ADOPTION_REQUEST => "Bitte um Beschluss".into(),
        crate::qualification::training_mail::KIND => "Schulungsanmeldung mit Kalenderdatei".into(),
        _ => templates::kind(slug)
            .map(|k| k.label.to_string())
            .unwrap_or_else(|| slug.to_string()),
    }
}

fn status_label(s: MailStatus) -> &'static str {
    match s {
        MailStatus::Waiting => "wartend",
        MailStatus::Sending => "wird gesendet",
        MailStatus::Sent => "gesendet",
        MailStatus::Failed => "fehlgeschlagen",
        MailStatus::Dropped => "entfallen",
    }
}

struct Row {
    id: String,
    recipient: String,
    kind: String,
    status: &'static str,
    status_code: &'static str,
    created: String,
    finished: String,
    next_attempt: String,
    attempts: i64,
    error: String,
    can_requeue: bool,
}

/// How far the mails of one kind are, over the rows shown: the progress
/// of a batch being sent, and its failures, at a glance.
#[derive(Default)]
struct KindProgress {
    kind: String,
    waiting: i64,
    sent: i64,
    failed: i64,
    dropped: i64,
}

fn progress(mails: &[OutboxMail]) -> Vec<KindProgress> {
    let mut out: Vec<KindProgress> = Vec::new();
    for m in mails {
        let kind = kind_label(&m.kind);
        let at = match out.iter().position(|p| p.kind == kind) {
            Some(i) => i,
            None => {
                out.push(KindProgress {
                    kind,
                    ..KindProgress::default()
                });
                out.len() - 1
            }
        };
        let p = &mut out[at];
        match m.status() {
            MailStatus::Waiting | MailStatus::Sending => p.waiting += 1,
            MailStatus::Sent => p.sent += 1,
            MailStatus::Failed => p.failed += 1,
            MailStatus::Dropped => p.dropped += 1,
        }
    }
    out
}

#[derive(Template)]
#[template(path = "mail/log.html")]
struct LogPage {
    layout: Layout,
    smtp: String,
    progress: Vec<KindProgress>,
    rows: Vec<Row>,
}

pub async fn page(State(state): State<AppState>, cu: CurrentUser) -> Result<Response, PageError> {
    let mails = state.store.mail_log(LOG_SIZE).await?;
    let progress = progress(&mails);
    let rows = mails
        .into_iter()
        .map(|m| {
            let status = m.status();
            Row {
                recipient: format!("{} <{}>", m.recipient_name, m.recipient_email),
                kind: kind_label(&m.kind),
                status: status_label(status),
                status_code: status.as_str(),
                created: format_time(m.created_at),
                finished: m.finished_at.map(format_time).unwrap_or_default(),
                next_attempt: if status == MailStatus::Waiting && m.attempts > 0 {
                    format_time(m.next_attempt_at)
                } else {
                    String::new()
                },
                attempts: m.attempts,
                error: m.last_error.clone().unwrap_or_default(),
                can_requeue: status == MailStatus::Failed,
                id: m.id,
            }
        })
        .collect();
    let smtp = match &state.mailer {
        Some(m) => format!(
            "{}:{} ({}), {} E-Mails alle {} s",
            m.config.host,
            m.config.port,
            m.config.security.label(),
            m.config.batch_size,
            m.config.batch_interval.as_secs_f64()
        ),
        None => String::new(),
    };
    render(&LogPage {
        layout: Layout::for_user(&state, &cu, "E-Mail-Protokoll", "/e-mail").await,
        smtp,
        progress,
        rows,
    })
}

/// Puts a failed message back in the queue (e.g. after an interrupted
/// send, once the administration checked it did not arrive).
pub async fn requeue(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    requeue_op(&state, &cu, &id).await?;
    Ok(Redirect::to("/e-mail").into_response())
}

/// What page and API do to queue a failed message again: a message that
/// is not in the log is not found, one that has not failed a conflict.
pub async fn requeue_op(state: &AppState, cu: &CurrentUser, id: &str) -> Result<(), AppError> {
    if !state.store.requeue_mail(&cu.actor(), id).await? {
        if state.store.mail(id).await?.is_none() {
            return Err(AppError::NotFound);
        }
        return Err(AppError::Conflict(
            "Nur eine fehlgeschlagene E-Mail lässt sich erneut senden.".into(),
        ));
    }
    state.mail_wake.notify_one();
    Ok(())
}

#[derive(Serialize, ToSchema)]
pub struct MailLogDto {
    /// Also the message's Message-ID (`<id@domain of the sender>`).
    pub id: String,
    pub recipient_name: String,
    pub recipient_email: String,
    /// e.g. `umfrage_einladung`, `umfrage_erinnerung`.
    pub kind: String,
    /// `wartend`, `sendet`, `gesendet`, `fehlgeschlagen` or `entfallen`.
    pub status: String,
    pub attempts: i64,
    /// Unix time in seconds.
    pub created_at: i64,
    pub next_attempt_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// The server's or the sender's last error, in German.
    pub last_error: Option<String>,
}

impl From<OutboxMail> for MailLogDto {
    fn from(m: OutboxMail) -> MailLogDto {
        let status = m.status();
        MailLogDto {
            next_attempt_at: (status == MailStatus::Waiting).then_some(m.next_attempt_at),
            status: status.as_str().to_string(),
            id: m.id,
            recipient_name: m.recipient_name,
            recipient_email: m.recipient_email,
            kind: m.kind,
            attempts: m.attempts,
            created_at: m.created_at,
            finished_at: m.finished_at,
            last_error: m.last_error,
        }
    }
}

/// The send log, newest first (at most 500), without any message content.
#[utoipa::path(get, path = "/api/v1/mail", tag = "E-Mail",
    responses((status = 200, body = [MailLogDto])))]
pub async fn api_list(State(state): State<AppState>) -> Result<Json<Vec<MailLogDto>>, ApiError> {
    Ok(Json(
        state
            .store
            .mail_log(LOG_SIZE)
            .await?
            .into_iter()
            .map(MailLogDto::from)
            .collect(),
    ))
}
