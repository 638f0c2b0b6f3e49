//! API: the current user, user administration and the audit log.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use journey::access::Role;
use serde::{Deserialize, Serialize};
use store::tokens::TokenKind;
use store::users::{NewUser, User};
use utoipa::{IntoParams, ToSchema};

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::form::check_email;
use crate::people::functions::labels_of;
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct UserDto {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// `admin`, `project-team`, `staff` or `viewer`.
    pub role: String,
    pub department: Option<String>,
    pub active: bool,
    /// Whether the user has set a password (an invited user has not yet).
    pub has_password: bool,
    pub version: i64,
    /// The functions held, e.g. `datenschutz`, `personalrat`,
    /// `buergermeister`.
    pub functions: Vec<String>,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        UserDto {
            id: u.id,
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role.as_str().to_string(),
            department: u.department.clone(),
            active: u.active,
            has_password: u.has_password,
            version: u.version,
            functions: Vec::new(),
        }
    }
}

/// The user behind this request.
#[utoipa::path(get, path = "/api/v1/me", tag = "Konten",
    responses((status = 200, body = UserDto), (status = 401, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, cu: CurrentUser) -> Result<Json<UserDto>, ApiError> {
    let mut dto = UserDto::from(&cu.user);
    dto.functions = labels_of(&state, cu.user.id).await?;
    Ok(Json(dto))
}

/// All accounts (administrators only).
#[utoipa::path(get, path = "/api/v1/users", tag = "Konten",
    responses((status = 200, body = [UserDto]), (status = 403, body = ErrorBody)))]
pub async fn list_users(State(state): State<AppState>) -> Result<Json<Vec<UserDto>>, ApiError> {
    let users = state.store.users().await?;
    let holders = state.store.function_holders().await?;
    Ok(Json(
        users
            .iter()
            .map(|u| {
                let mut dto = UserDto::from(u);
                dto.functions = holders
                    .iter()
                    .filter(|h| h.user_id == u.id)
                    .map(|h| h.function.as_str().to_owned())
                    .collect();
                dto
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserDto {
    /// At most 200 characters, no control characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: String,
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// `admin`, `project-team`, `staff` or `viewer`.
    #[schema(pattern = "^(admin|project-team|staff|viewer)$")]
    pub role: String,
    pub department: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedUserDto {
    pub user: UserDto,
    /// One-time link to set the password; valid 7 days.
    pub invite_url: String,
    /// Whether the link went out by email (SMTP configured and delivery accepted).
    pub email_sent: bool,
}

/// Creates an account and returns its one-time invitation link.
#[utoipa::path(post, path = "/api/v1/users", tag = "Konten", request_body = NewUserDto,
    responses((status = 201, body = CreatedUserDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<NewUserDto>,
) -> Result<(StatusCode, Json<CreatedUserDto>), ApiError> {
    if let Some(msg) = check_email(&body.email) {
        return Err(AppError::invalid("email", msg).into());
    }
    let (role, department) =
        account_fields(&state, &body.name, &body.role, body.department.as_deref()).await?;
    let user = state
        .store
        .create_user(
            &cu.actor(),
            &NewUser {
                email: body.email,
                name: body.name,
                role,
                department,
                password_hash: None,
            },
        )
        .await?;
    let token = state
        .store
        .create_user_token(&cu.actor(), &user, TokenKind::Invite)
        .await?;
    let invite_url = crate::people::invitations::link_url(&state, &token);
    let (email_sent, _) =
        crate::people::invitations::mail_link(&state, &user, TokenKind::Invite, &invite_url).await;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUserDto {
            user: UserDto::from(&user),
            invite_url,
            email_sent,
        }),
    ))
}

/// Name, role and department of an account as the API takes them, checked:
/// the role parsed, the department one of the profile's (empty: none).
pub async fn account_fields(
    state: &AppState,
    name: &str,
    role: &str,
    department: Option<&str>,
) -> Result<(Role, Option<String>), AppError> {
    let mut errors = Vec::new();
    journey::profile::check_text("name", name, true, 200, &mut errors);
    if let Some(e) = errors.into_iter().next() {
        return Err(AppError::invalid(e.field, e.message));
    }
    let role = Role::parse(role).ok_or_else(|| {
        AppError::invalid(
            "role",
            "Unbekannte Rolle. Erlaubt: admin, project-team, staff, viewer.",
        )
    })?;
    Ok((role, known_department(state, department).await?))
}

/// A department named in the API, checked against the profile's; empty
/// means none.
async fn known_department(
    state: &AppState,
    department: Option<&str>,
) -> Result<Option<String>, AppError> {
    let d = match department.map(str::trim) {
        None | Some("") => return Ok(None),
        Some(d) => d,
    };
    let known = state
        .store
        .profile()
        .await?
        .map(|(p, _)| p.departments)
        .unwrap_or_default();
    if known.iter().any(|k| k.name == d) {
        Ok(Some(d.to_string()))
    } else {
        Err(AppError::invalid(
            "department",
            format!("Den Fachbereich „{d}“ gibt es im Profil nicht."),
        ))
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntryDto {
    pub id: i64,
    /// Unix time in seconds.
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub detail: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPageDto {
    pub entries: Vec<AuditEntryDto>,
    pub total: i64,
}

#[derive(Deserialize, IntoParams)]
#[serde(default)]
pub struct AuditParams {
    /// Filter on action, object or actor.
    pub q: String,
    pub limit: i64,
    pub offset: i64,
}

impl Default for AuditParams {
    fn default() -> Self {
        AuditParams {
            q: String::new(),
            limit: 100,
            offset: 0,
        }
    }
}

/// The audit log, newest first (administrators only).
#[utoipa::path(get, path = "/api/v1/audit", tag = "Protokoll", params(AuditParams),
    responses((status = 200, body = AuditPageDto), (status = 403, body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    Query(params): Query<AuditParams>,
) -> Result<Json<AuditPageDto>, ApiError> {
    let limit = params.limit.clamp(1, 1000);
    let (entries, total) = state
        .store
        .audit_entries(&params.q, limit, params.offset.max(0))
        .await?;
    Ok(Json(AuditPageDto {
        entries: entries
            .into_iter()
            .map(|e| AuditEntryDto {
                id: e.id,
                at: e.at,
                actor: e.actor_name,
                action: e.action,
                object: e.object,
                detail: e.detail,
            })
            .collect(),
        total,
    }))
}
