//! API twins of the Nachnutzung page's import: a bundle of another
//! municipality is checked (a dry run: what would be created, what is
//! unchanged, what conflicts), then applied with the conflicts chosen.

use std::collections::BTreeSet;

use axum::extract::{Multipart, State};
use axum::http::HeaderMap;
use axum::Json;
use bundle::import::{Action, Plan, PlannedItem};
use bundle::BundleError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::transfer::import::{self, ApplyRefusal};
use crate::transfer::upload::{self, UploadError};
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct PlannedItemDto {
    /// The item's key, as `overwrite` names it (e.g. `dokument/ki-richtlinie`).
    pub key: String,
    /// Kind, title and id, in German.
    pub what: String,
}

#[derive(Serialize, ToSchema)]
pub struct ConflictDto {
    pub key: String,
    pub what: String,
    /// The top-level fields that differ.
    pub fields: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CheckDto {
    /// Names the checked upload for `POST /api/v1/transfer/apply`; it
    /// waits a day.
    pub token: String,
    /// The municipality the bundle comes from.
    pub origin: String,
    pub create: Vec<PlannedItemDto>,
    pub unchanged: Vec<PlannedItemDto>,
    /// Never taken from a bundle (this municipality's profile).
    pub keep_own: Vec<PlannedItemDto>,
    /// Skipped unless named in `overwrite`.
    pub conflicts: Vec<ConflictDto>,
}

fn item(p: &PlannedItem) -> PlannedItemDto {
    PlannedItemDto {
        key: p.item.key(),
        what: format!("{} „{}“ ({})", p.item.kind.label(), p.item.title, p.item.id),
    }
}

fn check_dto(token: String, plan: &Plan) -> CheckDto {
    let of = |pred: fn(&Action) -> bool| -> Vec<PlannedItemDto> {
        plan.items
            .iter()
            .filter(|p| pred(&p.action))
            .map(item)
            .collect()
    };
    CheckDto {
        token,
        origin: plan.origin.clone(),
        create: of(|a| *a == Action::Create),
        unchanged: of(|a| *a == Action::Unchanged),
        keep_own: of(|a| *a == Action::KeepOwn),
        conflicts: plan
            .items
            .iter()
            .filter_map(|p| match &p.action {
                Action::Conflict(fields) => Some(ConflictDto {
                    key: p.item.key(),
                    what: item(p).what,
                    fields: fields.clone(),
                }),
                _ => None,
            })
            .collect(),
    }
}

/// A refused bundle names every problem; other failures are ours.
fn refused(e: BundleError) -> AppError {
    match e {
        BundleError::Refused(problems) => AppError::invalid(
            "paket",
            format!(
                "Das Paket wurde nicht übernommen; nichts wurde gespeichert. {}",
                problems.join(" ")
            ),
        ),
        BundleError::Content(problem) => AppError::invalid(
            "paket",
            format!("Das Paket wurde nicht übernommen; nichts wurde gespeichert. {problem}"),
        ),
        BundleError::Store(e) => e.into(),
        other => AppError::Internal(other.to_string()),
    }
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BundleUpload {
    /// The bundle (ZIP) as `ki-reise export` or the Nachnutzung page
    /// writes it; at most 256 MB.
    #[schema(value_type = String, format = Binary)]
    paket: Vec<u8>,
}

/// Checks a bundle (dry run); nothing is imported yet.
#[utoipa::path(post, path = "/api/v1/transfer/check", tag = "Nachnutzung",
    request_body(content = BundleUpload, content_type = "multipart/form-data"),
    responses((status = 200, body = CheckDto), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn check(
    State(state): State<AppState>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Json<CheckDto>, ApiError> {
    let too_large = || {
        AppError::TooLarge(format!(
            "Die Datei ist größer als {} MB. Größere Pakete übernimmt die Kommandozeile: „ki-reise import PAKET.zip“.",
            upload::MAX_UPLOAD_BYTES >> 20
        ))
    };
    if upload::declared_too_large(&headers) {
        return Err(too_large().into());
    }
    let received = match upload::receive(&mut multipart, &state.config.data_dir).await {
        Ok(received) => received,
        Err(UploadError::Missing) => {
            return Err(AppError::invalid(
                "paket",
                "Bitte eine ZIP-Datei mit einem ki-reise-Paket im Feld „paket“ senden.",
            )
            .into())
        }
        Err(UploadError::TooLarge) => return Err(too_large().into()),
        Err(UploadError::Incomplete(e)) => {
            return Err(
                AppError::invalid("paket", format!("Der Upload ist unvollständig: {e}")).into(),
            )
        }
        Err(UploadError::Storage(e)) => return Err(AppError::Internal(e).into()),
    };
    match import::check(&state, &received).await {
        Ok(plan) => Ok(Json(check_dto(received.token, &plan))),
        Err(e) => Err(refused(e).into()),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyDto {
    /// The token of `POST /api/v1/transfer/check`.
    #[schema(pattern = "^[0-9a-fA-F]{32}$")]
    pub token: String,
    /// Keys of the conflicts to overwrite; the others are skipped.
    #[serde(default)]
    pub overwrite: BTreeSet<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AppliedDto {
    pub origin: String,
    /// What was done, in German.
    pub summary: String,
}

/// Applies a checked bundle in one transaction.
#[utoipa::path(post, path = "/api/v1/transfer/apply", tag = "Nachnutzung",
    request_body = ApplyDto,
    responses((status = 200, body = AppliedDto), (status = 422, body = ErrorBody)))]
pub async fn apply(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<ApplyDto>,
) -> Result<Json<AppliedDto>, ApiError> {
    match import::apply(&state, &cu, &body.token, &body.overwrite).await {
        Ok(plan) => Ok(Json(AppliedDto {
            summary: plan.summary(),
            origin: plan.origin,
        })),
        Err(ApplyRefusal::Gone) => Err(AppError::invalid(
            "token",
            "Das geprüfte Paket liegt nicht mehr vor (schon übernommen oder verworfen). Bitte erneut prüfen lassen.",
        )
        .into()),
        Err(ApplyRefusal::Bundle(e)) => Err(refused(e).into()),
    }
}
