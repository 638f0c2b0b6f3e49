//! API: changing an account as the page "Benutzer bearbeiten" does: name,
//! role and department, active or not, a new one-time sign-in link.

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use store::tokens::TokenKind;
use store::StoreError;
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::people::api::{account_fields, UserDto};
use crate::people::invitations::{link_url, mail_link};
use crate::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdateDto {
    /// At most 200 characters, no control characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: String,
    /// `admin`, `project-team`, `staff` or `viewer`.
    #[schema(pattern = "^(admin|project-team|staff|viewer)$")]
    pub role: String,
    /// A department of the profile; null or empty: none.
    pub department: Option<String>,
    /// The account's `version` as read; a change in the meantime answers 409.
    pub version: i64,
}

/// Changes an account's name, role and department.
#[utoipa::path(put, path = "/api/v1/users/{id}", tag = "Konten", request_body = UserUpdateDto,
    params(("id" = i64, Path, description = "Nummer des Kontos")),
    responses((status = 200, body = UserDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<UserUpdateDto>,
) -> Result<Json<UserDto>, ApiError> {
    state.store.user(id).await?;
    let (role, department) =
        account_fields(&state, &body.name, &body.role, body.department.as_deref()).await?;
    let updated = state
        .store
        .update_user(
            &cu.actor(),
            id,
            body.version,
            body.name.trim(),
            role,
            department.as_deref(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Duplicate(msg) => AppError::invalid("role", msg),
            e => e.into(),
        })?;
    Ok(Json(UserDto::from(&updated)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActiveDto {
    /// false deactivates: sign-in and API keys stop at once; the account,
    /// its name in the audit log and in documents stay.
    pub active: bool,
}

/// Activates or deactivates an account (never one's own, never the last
/// administrator).
#[utoipa::path(put, path = "/api/v1/users/{id}/active", tag = "Konten", request_body = ActiveDto,
    params(("id" = i64, Path, description = "Nummer des Kontos")),
    responses((status = 200, body = UserDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn set_active(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ActiveDto>,
) -> Result<Json<UserDto>, ApiError> {
    if !body.active && id == cu.user.id {
        return Err(
            AppError::Conflict("Sie können Ihr eigenes Konto nicht deaktivieren.".into()).into(),
        );
    }
    let user = state
        .store
        .set_user_active(&cu.actor(), id, body.active)
        .await
        .map_err(|e| match e {
            StoreError::Duplicate(msg) => AppError::Conflict(msg),
            e => e.into(),
        })?;
    Ok(Json(UserDto::from(&user)))
}

#[derive(Serialize, ToSchema)]
pub struct SignInLinkDto {
    /// `einladung` (no password yet) or `zuruecksetzen`.
    pub kind: String,
    /// One-time link; valid 7 days.
    pub url: String,
    /// Whether the link went out by email.
    pub email_sent: bool,
}

/// A new one-time link: an invitation while the account has no password,
/// else a password reset.
#[utoipa::path(post, path = "/api/v1/users/{id}/link", tag = "Konten",
    params(("id" = i64, Path, description = "Nummer des Kontos")),
    responses((status = 200, body = SignInLinkDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn create_link(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<SignInLinkDto>, ApiError> {
    let user = state.store.user(id).await?;
    if !user.active {
        return Err(AppError::Conflict(
            "Das Konto ist deaktiviert. Aktivieren Sie es zuerst.".into(),
        )
        .into());
    }
    let (kind, label) = if user.has_password {
        (TokenKind::Reset, "zuruecksetzen")
    } else {
        (TokenKind::Invite, "einladung")
    };
    let token = state
        .store
        .create_user_token(&cu.actor(), &user, kind)
        .await?;
    let url = link_url(&state, &token);
    let (email_sent, _) = mail_link(&state, &user, kind, &url).await;
    Ok(Json(SignInLinkDto {
        kind: label.to_owned(),
        url,
        email_sent,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserImportDto {
    /// A CSV list with the columns name, email, department and role
    /// (comma or semicolon), as on the page "Benutzer importieren"; at most
    /// 1 MB and 5000 rows.
    #[schema(pattern = "\\S", max_length = 1048576)]
    pub csv: String,
    /// Import the valid rows and report the others as skipped; otherwise a
    /// row with a problem refuses the whole list.
    #[serde(default)]
    pub only_valid: bool,
}

#[derive(Serialize, ToSchema)]
pub struct InvitedDto {
    pub email: String,
    /// The one-time link to set a password.
    pub invite_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct SkippedRowDto {
    pub line: u64,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserImportResultDto {
    pub invited: Vec<InvitedDto>,
    /// How many links went out by email (SMTP set up).
    pub emailed: usize,
    /// Rows left out (with `only_valid`).
    pub skipped: Vec<SkippedRowDto>,
}

/// Creates the accounts of a CSV list, each with an invitation link, all
/// together or none. A list with problems is refused (422, field `csv`)
/// naming the lines.
#[utoipa::path(post, path = "/api/v1/users/import", tag = "Konten",
    request_body = UserImportDto,
    responses((status = 201, body = UserImportResultDto), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn import_list(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<UserImportDto>,
) -> Result<(axum::http::StatusCode, Json<UserImportResultDto>), ApiError> {
    use crate::people::import::{import_users, ImportRefusal};
    match import_users(&state, &cu, &body.csv, body.only_valid).await? {
        Ok(imported) => Ok((
            axum::http::StatusCode::CREATED,
            Json(UserImportResultDto {
                invited: imported
                    .invites
                    .into_iter()
                    .map(|(email, invite_url)| InvitedDto { email, invite_url })
                    .collect(),
                emailed: imported.mailed,
                skipped: imported
                    .skipped
                    .into_iter()
                    .map(|(line, message)| SkippedRowDto { line, message })
                    .collect(),
            }),
        )),
        Err(ImportRefusal::Unreadable(message)) => Err(AppError::invalid("csv", message).into()),
        Err(ImportRefusal::Rows { valid, errors }) => {
            let lines: Vec<String> = errors
                .iter()
                .take(10)
                .map(|(line, m)| format!("Zeile {line}: {m}"))
                .collect();
            let message = format!(
                "{} mit Problemen, {valid} in Ordnung; nichts wurde gespeichert (only_valid importiert nur die gültigen). {}",
                journey::german::count(errors.len(), "Zeile", "Zeilen"),
                lines.join(" ")
            );
            Err(AppError::invalid("csv", message).into())
        }
    }
}
