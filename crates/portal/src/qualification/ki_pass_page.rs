//! The KI-Pass for administrators: who holds it (also shown in the Art. 4
//! report), and documented exceptions with an end date, on a page and in
//! the API. The decision itself is [`crate::access::ki_pass`].

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use journey::policy::Tool;
use serde::{Deserialize, Serialize};

use crate::access::ki_pass::{required_path, standing_of, Evidence};
use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody, PageError};
use crate::form::FieldErrors;
use crate::qualification::page::{render_form, NAV};
use crate::text_input::Form;
use crate::view::Layout;
use crate::AppState;

const PATH: &str = "/qualifizierung/ki-pass";
/// An exception is a bridge to the next training, not a second rule.
const MAX_EXCEPTION_DAYS: i64 = 365;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PassRow {
    pub user_id: i64,
    pub name: String,
    pub department: String,
    /// `held`, `exception`, `grace` or `missing`.
    pub standing: &'static str,
    /// The standing in German, with its end date where it has one.
    pub label: String,
    /// Whether the tools are open to the person today.
    pub admitted: bool,
}

/// The rule in force and everyone's standing with it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PassOverview {
    pub learning_path: String,
    pub learning_path_title: String,
    /// The tools behind the pass, in German.
    pub tools: Vec<String>,
    pub grace_days: u32,
    pub persons: Vec<PassRow>,
}

/// The overview for the active accounts in scope (a department, one
/// person, or everyone); `None` when the policy asks for no pass.
pub async fn overview(
    state: &AppState,
    department: Option<&str>,
    only: Option<i64>,
) -> Result<Option<PassOverview>, AppError> {
    let (rules, _) = crate::documents::rules::current_rules(state).await?;
    let Some(rule) = rules.ki_pass.clone() else {
        return Ok(None);
    };
    let path = required_path(state, &rule).await?;
    let done = state.store.offers_done_by_person().await?;
    let credentials = state.store.credentials(None).await?;
    let exceptions = state.store.ki_pass_exceptions().await?;
    let today = journey::date::today();
    let empty = Default::default();
    let persons = state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.active)
        .filter(|u| department.is_none() || u.department.as_deref() == department)
        .filter(|u| only.is_none_or(|id| id == u.id))
        .map(|u| {
            let evidence = Evidence {
                done: done.get(&u.id).unwrap_or(&empty),
                credential: credentials
                    .iter()
                    .any(|c| c.user_id == u.id && c.path_id == rule.learning_path),
                exception_until: exceptions
                    .iter()
                    .find(|x| x.user_id == u.id)
                    .map(|x| x.valid_until.as_str()),
            };
            let standing = standing_of(&rules, &rule, path.as_ref(), &u, &evidence, &today);
            PassRow {
                user_id: u.id,
                name: u.name.clone(),
                department: u.department.clone().unwrap_or_default(),
                standing: match standing {
                    crate::access::ki_pass::PassStanding::Held => "held",
                    crate::access::ki_pass::PassStanding::Exception { .. } => "exception",
                    crate::access::ki_pass::PassStanding::Grace { .. } => "grace",
                    crate::access::ki_pass::PassStanding::Missing => "missing",
                },
                label: standing.label(),
                admitted: standing.admits(),
            }
        })
        .collect();
    Ok(Some(PassOverview {
        learning_path_title: path
            .as_ref()
            .map_or_else(|| rule.learning_path.clone(), |p| p.title.clone()),
        learning_path: rule.learning_path.clone(),
        tools: rule
            .tools
            .iter()
            .map(|t| Tool::label(*t).to_owned())
            .collect(),
        grace_days: rule.grace_days,
        persons,
    }))
}

/// The KI-Pass section of the Art. 4 report's Markdown (and so of its HTML
/// and ODT files).
pub fn markdown(overview: Option<&PassOverview>) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let Some(o) = overview else {
        return "\n## KI-Pass\n\nDie geltende KI-Richtlinie verlangt keinen KI-Pass.\n".into();
    };
    let mut md = format!(
        "\n## KI-Pass\n\nDie KI-Richtlinie verlangt für {} den Lernpfad „{}“.\n\n| Name | Fachbereich | KI-Pass |\n|---|---|---|\n",
        o.tools.join(", "),
        cell(&o.learning_path_title)
    );
    for p in &o.persons {
        md.push_str(&format!(
            "| {} | {} | {} |\n",
            cell(&p.name),
            cell(&p.department),
            cell(&p.label)
        ));
    }
    md
}

/// A checked exception: person, last day, reason.
struct Grant {
    user_id: i64,
    valid_until: String,
    reason: String,
}

/// Checks an exception; errors are German sentences per field.
async fn check(
    state: &AppState,
    user_id: Option<i64>,
    valid_until: &str,
    reason: &str,
) -> Result<Result<Grant, FieldErrors>, AppError> {
    let mut errors = FieldErrors::new();
    let users = state.store.users().await?;
    let user = user_id.and_then(|id| users.iter().find(|u| u.id == id && u.active));
    if user.is_none() {
        errors.insert("user_id", "Bitte eine Person mit aktivem Konto auswählen.");
    }
    let today = journey::date::today();
    let last = journey::date::add_days(&today, MAX_EXCEPTION_DAYS).unwrap_or_default();
    let until = valid_until.trim();
    if !journey::date::is_iso_date(until) || until < today.as_str() || until > last.as_str() {
        errors.insert(
            "valid_until",
            format!(
                "Bitte ein Enddatum zwischen heute und dem {} angeben; eine Ausnahme gilt höchstens ein Jahr.",
                journey::date::german(&last)
            ),
        );
    }
    let reason = reason.trim();
    if reason.chars().count() < 10 || reason.chars().count() > 1000 {
        errors.insert(
            "reason",
            "Bitte begründen Sie die Ausnahme (10 bis 1000 Zeichen); die Begründung wird dokumentiert.",
        );
    }
    Ok(match (user, errors.is_empty()) {
        (Some(u), true) => Ok(Grant {
            user_id: u.id,
            valid_until: until.to_owned(),
            reason: reason.to_owned(),
        }),
        _ => Err(errors),
    })
}

#[derive(Template)]
#[template(path = "qualification/ki_pass.html")]
struct PassPage {
    layout: Layout,
    overview: Option<PassOverview>,
    exceptions: Vec<store::ki_pass::KiPassException>,
    errors: FieldErrors,

    user_id: String,
    valid_until: String,
    reason: String,
}

async fn page(state: &AppState, cu: &CurrentUser, granted: bool) -> Result<PassPage, AppError> {
    let mut layout = Layout::for_user(state, cu, "KI-Pass", NAV).await;
    if granted {
        layout = layout.with_flash(
            "ok",
            "Die Ausnahme ist eingetragen und im Protokoll vermerkt.",
        );
    }
    Ok(PassPage {
        layout,
        overview: overview(state, None, None).await?,
        exceptions: state
            .store
            .ki_pass_exceptions()
            .await?
            .into_iter()
            .map(|mut x| {
                x.valid_until = journey::date::german(&x.valid_until);
                x
            })
            .collect(),
        errors: FieldErrors::new(),
        user_id: String::new(),
        valid_until: String::new(),
        reason: String::new(),
    })
}

#[derive(Deserialize)]
pub struct Granted {
    gewaehrt: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Query(q): Query<Granted>,
) -> Result<Response, PageError> {
    render_form(&page(&state, &cu, q.gewaehrt.is_some()).await?, false)
}

#[derive(Deserialize)]
pub struct ExceptionForm {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    valid_until: String,
    #[serde(default)]
    reason: String,
}

pub async fn grant(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<ExceptionForm>,
) -> Result<Response, PageError> {
    let user_id = form.user_id.trim().parse::<i64>().ok();
    match check(&state, user_id, &form.valid_until, &form.reason).await? {
        Ok(g) => {
            state
                .store
                .grant_ki_pass_exception(&cu.actor(), g.user_id, &g.valid_until, &g.reason)
                .await?;
            Ok(Redirect::to(&format!("{PATH}?gewaehrt=1")).into_response())
        }
        Err(errors) => {
            let mut p = page(&state, &cu, false).await?;
            p.errors = errors;
            p.user_id = form.user_id;
            p.valid_until = form.valid_until;
            p.reason = form.reason;
            render_form(&p, true)
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PassStateDto {
    /// `null` when the adopted KI-Richtlinie asks for no pass.
    pub rule: Option<PassOverview>,
    pub exceptions: Vec<ExceptionDto>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ExceptionDto {
    pub user_id: i64,
    pub user_name: String,
    pub valid_until: String,
    pub reason: String,
    pub granted_by: String,
}

impl From<store::ki_pass::KiPassException> for ExceptionDto {
    fn from(x: store::ki_pass::KiPassException) -> Self {
        ExceptionDto {
            user_id: x.user_id,
            user_name: x.user_name,
            valid_until: x.valid_until,
            reason: x.reason,
            granted_by: x.granted_by_name,
        }
    }
}

/// Who holds the KI-Pass, and the exceptions in force.
#[utoipa::path(get, path = "/api/v1/ki-pass", tag = "Qualifizierung",
    responses((status = 200, body = PassStateDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn api_show(State(state): State<AppState>) -> Result<Json<PassStateDto>, ApiError> {
    Ok(Json(PassStateDto {
        rule: overview(&state, None, None).await?,
        exceptions: state
            .store
            .ki_pass_exceptions()
            .await?
            .into_iter()
            .map(ExceptionDto::from)
            .collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ExceptionRequest {
    pub user_id: i64,
    /// Last day, `YYYY-MM-DD`, at most a year from today.
    #[schema(format = Date)]
    pub valid_until: String,
    /// Why; kept with the exception and in the audit log (10 to 1000
    /// characters, not counting spaces at either end).
    #[schema(max_length = 1000, pattern = "\\S.{8,}\\S")]
    pub reason: String,
}

/// Grants (or replaces) a person's documented exception from the KI-Pass.
#[utoipa::path(post, path = "/api/v1/ki-pass/exceptions", tag = "Qualifizierung",
    request_body = ExceptionRequest,
    responses((status = 201, body = ExceptionDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_grant(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<ExceptionRequest>,
) -> Result<Response, ApiError> {
    let g = match check(&state, Some(body.user_id), &body.valid_until, &body.reason).await? {
        Ok(g) => g,
        Err(errors) => {
            let (field, message) = errors.first().unwrap_or(("reason", ""));
            return Err(AppError::invalid(field, message).into());
        }
    };
    state
        .store
        .grant_ki_pass_exception(&cu.actor(), g.user_id, &g.valid_until, &g.reason)
        .await?;
    let stored = state
        .store
        .ki_pass_exception(g.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(ExceptionDto::from(stored))).into_response())
}
