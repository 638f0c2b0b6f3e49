//! Limits of the KI-Gateway, kept by the project team: token quotas per
//! person, team or department per day or month, and the settings of each
//! API key (requests per minute, the team it counts against, its default
//! data class). Changes apply to the next request.

use crate::text_input::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use journey::policy::DataClass;
use serde::Deserialize;
use store::usage::{QuotaPeriod, QuotaScope};

use crate::assistant::limits;
use crate::assistant::page::NAV;
use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::FieldErrors;
use crate::view::render;
use crate::view::{format_time, Layout};
use crate::AppState;

const PATH: &str = "/assistent/kontingente";

struct QuotaRow {
    id: i64,
    scope: &'static str,
    subject: String,
    period: &'static str,
    max_tokens: i64,
    used: i64,
}

struct KeyRow {
    id: i64,
    name: String,
    prefix: String,
    owner: String,
    last_used: String,
    class: String,
    team: String,
    per_minute: String,
}

/// The three forms for a new quota, one per scope.
struct NewQuota {
    scope: &'static str,
    heading: &'static str,
    /// Choices for the subject; empty: a text field (teams).
    choices: Vec<(String, String)>,
}

#[derive(askama::Template)]
#[template(path = "assistant/limits.html")]
struct Page {
    layout: Layout,
    quotas: Vec<QuotaRow>,
    new_quotas: Vec<NewQuota>,
    keys: Vec<KeyRow>,
    classes: Vec<(&'static str, &'static str)>,
    default_per_minute: String,
    errors: FieldErrors,
    form_error: String,
    saved: bool,
    /// The refused quota form as typed: scope, subject, period, tokens.
    quota_input: QuotaInput,
}

/// What a refused quota form sent; shown again in the form of its scope.
#[derive(Default)]
struct QuotaInput {
    scope: String,
    subject: String,
    period: String,
    max_tokens: String,
}

fn scope_heading(scope: QuotaScope) -> &'static str {
    match scope {
        QuotaScope::User => "Person",
        QuotaScope::Team => "Team",
        QuotaScope::Department => "Fachbereich",
    }
}

fn period_label(period: QuotaPeriod) -> &'static str {
    match period {
        QuotaPeriod::Day => "je Tag",
        QuotaPeriod::Month => "je Monat",
    }
}

async fn page(state: &AppState, cu: &CurrentUser, saved: bool) -> Result<Page, AppError> {
    let users = state.store.users().await?;
    let person = |id: &str| {
        users.iter().find(|u| u.id.to_string() == id).map_or_else(
            || format!("Person {id}"),
            |u| format!("{} ({})", u.name, u.email),
        )
    };
    let now = store::now();
    let mut quotas = Vec::new();
    for q in state.store.quotas().await? {
        let (start, _) = q.period.bounds(now);
        quotas.push(QuotaRow {
            id: q.id,
            scope: scope_heading(q.scope),
            subject: match q.scope {
                QuotaScope::User => person(&q.subject),
                _ => q.subject.clone(),
            },
            period: period_label(q.period),
            max_tokens: q.max_tokens,
            used: state.store.tokens_used(q.scope, &q.subject, start).await?,
        });
    }
    let departments = state
        .store
        .profile()
        .await?
        .map(|(p, _)| p.departments)
        .unwrap_or_default();
    let new_quotas = vec![
        NewQuota {
            scope: QuotaScope::User.slug(),
            heading: "Kontingent für eine Person",
            choices: users
                .iter()
                .filter(|u| u.active)
                .map(|u| (u.id.to_string(), format!("{} ({})", u.name, u.email)))
                .collect(),
        },
        NewQuota {
            scope: QuotaScope::Team.slug(),
            heading: "Kontingent für ein Team",
            choices: Vec::new(),
        },
        NewQuota {
            scope: QuotaScope::Department.slug(),
            heading: "Kontingent für einen Fachbereich",
            choices: departments
                .into_iter()
                .map(|d| (d.name.clone(), d.name))
                .collect(),
        },
    ];
    let keys = state
        .store
        .key_settings()
        .await?
        .into_iter()
        .map(|k| KeyRow {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            owner: format!("{} ({})", k.owner_name, k.owner_email),
            last_used: k
                .last_used_at
                .map_or_else(|| "nie".to_string(), format_time),
            class: k.data_class.unwrap_or_default(),
            team: k.team.unwrap_or_default(),
            per_minute: k
                .requests_per_minute
                .map(|n| n.to_string())
                .unwrap_or_default(),
        })
        .collect();
    let default_per_minute = state
        .gateway()
        .and_then(|g| g.config().requests_per_minute)
        .map_or_else(|| "keine Grenze".to_string(), |n| format!("{n} je Minute"));
    Ok(Page {
        layout: Layout::for_user(state, cu, "Kontingente und Schlüssel", NAV).await,
        quotas,
        new_quotas,
        keys,
        classes: DataClass::ALL
            .into_iter()
            .map(|c| (c.slug(), c.label()))
            .collect(),
        default_per_minute,
        errors: FieldErrors::new(),
        form_error: String::new(),
        saved,
        quota_input: QuotaInput::default(),
    })
}

#[derive(Deserialize)]
pub struct Saved {
    gespeichert: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Query(q): Query<Saved>,
) -> Result<Response, PageError> {
    render(&page(&state, &cu, q.gespeichert.is_some()).await?)
}

async fn refused(
    state: &AppState,
    cu: &CurrentUser,
    errors: FieldErrors,
    edit: impl FnOnce(&mut Page),
) -> Result<Response, PageError> {
    let mut p = page(state, cu, false).await?;
    p.errors = errors;
    edit(&mut p);
    p.form_error = "Bitte prüfen Sie die markierten Felder. Nichts wurde gespeichert.".into();
    let mut response = render(&p)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

fn saved() -> Response {
    Redirect::to(&format!("{PATH}?gespeichert=1")).into_response()
}

#[derive(Deserialize)]
pub struct QuotaForm {
    #[serde(default)]
    scope: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    max_tokens: String,
    /// The id of a quota to delete.
    #[serde(default)]
    delete: String,
}

/// Sets a quota (replacing one for the same subject and period) or
/// deletes one.
pub async fn save_quota(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<QuotaForm>,
) -> Result<Response, PageError> {
    if let Ok(id) = form.delete.trim().parse::<i64>() {
        limits::delete_quota(&state, &cu, id).await?;
        return Ok(saved());
    }
    // The scope is the hidden field of each of the three forms: only a
    // hand-made request gets here without one, and the error page (with
    // the navigation) says so.
    let scope = QuotaScope::parse(&form.scope)
        .ok_or_else(|| AppError::invalid("scope", "Unbekannte Art des Kontingents."))?;
    let field = |f: &str| format!("{f}-{}", scope.slug());
    let mut errors = FieldErrors::new();
    if let Some(message) = limits::subject_problem(scope, &form.subject) {
        errors.insert(field("subject"), message);
    }
    let period = QuotaPeriod::parse(&form.period);
    if period.is_none() {
        errors.insert(field("period"), "Bitte „je Tag“ oder „je Monat“ wählen.");
    }
    let max_tokens = form.max_tokens.trim().replace('.', "").parse::<i64>().ok();
    if max_tokens.is_none_or(|n| n < 0) {
        errors.insert(field("max_tokens"), limits::MAX_TOKENS_MESSAGE);
    }
    let (Some(period), Some(max_tokens), true) = (period, max_tokens, errors.is_empty()) else {
        let input = QuotaInput {
            scope: scope.slug().to_owned(),
            subject: form.subject,
            period: form.period,
            max_tokens: form.max_tokens,
        };
        return refused(&state, &cu, errors, |p| p.quota_input = input).await;
    };
    limits::set_quota(&state, &cu, scope, &form.subject, period, max_tokens).await?;
    Ok(saved())
}

#[derive(Deserialize)]
pub struct KeyForm {
    id: i64,
    #[serde(default)]
    class: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    per_minute: String,
}

/// Sets an API key's default data class, team and rate limit.
pub async fn save_key(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<KeyForm>,
) -> Result<Response, PageError> {
    let sent = limits::KeyLimits {
        class: &form.class,
        team: &form.team,
        per_minute: &form.per_minute,
    };
    if let Err(problems) = limits::check_key_limits(&sent) {
        let mut errors = FieldErrors::new();
        for (field, message) in problems {
            errors.insert(format!("{field}-{}", form.id), message);
        }
        // The key's row shows what was typed.
        return refused(&state, &cu, errors, |p| {
            if let Some(k) = p.keys.iter_mut().find(|k| k.id == form.id) {
                k.class = form.class.trim().to_owned();
                k.team = form.team.clone();
                k.per_minute = form.per_minute.clone();
            }
        })
        .await;
    }
    limits::set_key_limits(&state, &cu, form.id, &sent).await?;
    Ok(saved())
}
