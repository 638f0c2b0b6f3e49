//! API: the AI Act duties of a use case as tracked tasks: list them (kept
//! in step with the classification), set owner, due date, status, reason,
//! link and review date, upload an evidence file and download it.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use journey::usecase::duties::{DutyStatus, DutyTask, DutyUpdate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::form::key;
use crate::usecases::duties;
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct OwnerDto {
    pub id: i64,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct EvidenceFileDto {
    /// The file name as sent, cleaned (no path, no markup).
    pub name: String,
    /// `pdf`, `odt`, `ods`, `docx`, `xlsx`, `png`, `jpeg` or `text`.
    pub kind: String,
    pub size: u64,
    /// Where to download it (with the same permission as the use case).
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct ObligationDto {
    /// The obligation's id in the decision tree (`art-27`).
    pub duty: String,
    pub title: String,
    pub articles: Vec<String>,
    /// `provider` or `deployer`; absent for everyone's duties.
    pub duty_of: Option<String>,
    /// Date from which the AI Act applies the duty (`YYYY-MM-DD`).
    pub applies_from: String,
    pub owner: Option<OwnerDto>,
    /// Due date (`YYYY-MM-DD`): the date of application, or the pilot's
    /// start where that is later, unless a person set one.
    pub due: String,
    /// Whether a person set `due`.
    pub due_set: bool,
    /// `open`, `in_progress`, `fulfilled` or `not_applicable`.
    pub status: String,
    /// German: offen, in Arbeit, erfüllt, nicht anwendbar.
    pub status_label: String,
    /// Why the duty does not apply (for `not_applicable`).
    pub reason: String,
    pub evidence_file: Option<EvidenceFileDto>,
    pub evidence_link: Option<String>,
    /// When the evidence is to be checked again (`YYYY-MM-DD`).
    pub review_on: Option<String>,
    /// False once the classification no longer lists the duty; it is kept
    /// with all that was entered.
    pub current: bool,
    /// Due before today and not settled.
    pub overdue: bool,
    /// Settled, and the review date has come.
    pub review_due: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ObligationsDto {
    pub use_case: String,
    /// The date `overdue` was judged on.
    pub today: String,
    pub obligations: Vec<ObligationDto>,
}

pub fn obligation_dto(t: &DutyTask, names: &HashMap<i64, String>, today: &str) -> ObligationDto {
    ObligationDto {
        duty: t.duty.clone(),
        title: t.title.clone(),
        articles: t.articles.clone(),
        duty_of: t.duty_of.map(key),
        applies_from: t.applies_from.clone(),
        owner: t.owner.map(|id| OwnerDto {
            id,
            name: names.get(&id).cloned().unwrap_or_default(),
        }),
        due: t.due.clone(),
        due_set: t.due_set,
        status: t.status.key().to_owned(),
        status_label: t.status.label().to_owned(),
        reason: t.reason.clone(),
        evidence_file: t.evidence_file.as_ref().map(|f| EvidenceFileDto {
            name: f.name.clone(),
            kind: key(f.kind),
            size: f.size,
            url: format!(
                "/api/v1/usecases/{}/obligations/{}/evidence",
                t.use_case, t.duty
            ),
        }),
        evidence_link: t.evidence_link.as_ref().map(|l| l.as_str().to_owned()),
        review_on: t.review_on.clone(),
        current: t.current,
        overdue: t.is_overdue(today),
        review_due: t.review_due(today),
    }
}

/// Account id → name, for showing owners.
pub async fn owner_names(state: &AppState) -> Result<HashMap<i64, String>, AppError> {
    Ok(state
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

/// The AI Act duties of a use case as tasks, in the classification's
/// order (duties it no longer lists last, marked `current: false`).
#[utoipa::path(get, path = "/api/v1/usecases/{id}/obligations", tag = "Anwendungsfälle",
    params(("id" = String, Path, description = "Kennung des Anwendungsfalls")),
    responses((status = 200, body = ObligationsDto), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ObligationsDto>, ApiError> {
    let record = state.store.use_case(&id).await?;
    let tasks = duties::synced(&state, &record).await?;
    let names = owner_names(&state).await?;
    let today = journey::date::today();
    Ok(Json(ObligationsDto {
        use_case: id,
        obligations: tasks
            .iter()
            .map(|t| obligation_dto(t, &names, &today))
            .collect(),
        today,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObligationUpdateDto {
    /// Account id of the person who sees to the duty; `null` for nobody.
    #[serde(default)]
    pub owner: Option<i64>,
    /// Due date (`YYYY-MM-DD`); `null` for the derived date.
    #[serde(default)]
    #[schema(format = Date)]
    pub due: Option<String>,
    /// `open`, `in_progress`, `fulfilled` (needs an uploaded file or
    /// `evidence_link`) or `not_applicable` (needs `reason`).
    #[schema(pattern = "^(open|in_progress|fulfilled|not_applicable)$")]
    pub status: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: String,
    /// An `http://` or `https://` link to the evidence; `null` removes it.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub evidence_link: Option<String>,
    /// When to check the evidence again (`YYYY-MM-DD`).
    #[serde(default)]
    #[schema(format = Date)]
    pub review_on: Option<String>,
}

/// Sets owner, due date, status, reason, evidence link and review date of
/// one duty. `fulfilled` without evidence and `not_applicable` without a
/// reason answer 422 naming the field.
#[utoipa::path(put, path = "/api/v1/usecases/{id}/obligations/{duty}", tag = "Anwendungsfälle",
    params(("id" = String, Path, description = "Kennung des Anwendungsfalls"),
        ("duty" = String, Path, description = "Kennung der Pflicht (z. B. art-27)")),
    request_body = ObligationUpdateDto,
    responses((status = 200, body = ObligationDto), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path((id, duty)): Path<(String, String)>,
    ApiJson(body): ApiJson<ObligationUpdateDto>,
) -> Result<Json<ObligationDto>, ApiError> {
    let status = DutyStatus::from_key(&body.status).ok_or_else(|| {
        AppError::invalid(
            "status",
            format!(
                "Unbekannter Status „{}“; möglich sind: open, in_progress, fulfilled, not_applicable.",
                body.status
            ),
        )
    })?;
    let change = DutyUpdate {
        owner: body.owner,
        due: body.due,
        status,
        reason: body.reason,
        evidence_link: body.evidence_link,
        review_on: body.review_on,
    };
    let task = duties::update(&state, &cu, &id, &duty, &change).await?;
    let names = owner_names(&state).await?;
    Ok(Json(obligation_dto(&task, &names, &journey::date::today())))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvidenceParams {
    /// The file's name; its extension must match its content.
    #[param(max_length = 255)]
    pub name: String,
}

/// Uploads the evidence file of a duty (the body is the file; at most
/// 10 MB; PDF, ODT, ODS, DOCX, XLSX, PNG, JPEG or text). The content must
/// be what the name's extension and the `Content-Type` say; the file is
/// kept under a name the server makes. Replaces an earlier file.
#[utoipa::path(post, path = "/api/v1/usecases/{id}/obligations/{duty}/evidence", tag = "Anwendungsfälle",
    params(("id" = String, Path, description = "Kennung des Anwendungsfalls"),
        ("duty" = String, Path, description = "Kennung der Pflicht (z. B. art-27)"),
        EvidenceParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "Der Inhalt der Datei"),
    responses((status = 200, body = ObligationDto), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path((id, duty)): Path<(String, String)>,
    Query(params): Query<EvidenceParams>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ObligationDto>, ApiError> {
    let body = body.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(_) => duties::too_large(),
        e => AppError::invalid("file", format!("Die Datei kam nicht vollständig an: {e}")),
    })?;
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let task =
        duties::attach_evidence(&state, &cu, &id, &duty, &params.name, declared, &body).await?;
    let names = owner_names(&state).await?;
    Ok(Json(obligation_dto(&task, &names, &journey::date::today())))
}

/// The evidence file of a duty, as a download.
#[utoipa::path(get, path = "/api/v1/usecases/{id}/obligations/{duty}/evidence", tag = "Anwendungsfälle",
    params(("id" = String, Path, description = "Kennung des Anwendungsfalls"),
        ("duty" = String, Path, description = "Kennung der Pflicht (z. B. art-27)")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>,
        description = "Die Datei, mit ihrem Typ"), (status = 404, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    Path((id, duty)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (file, bytes) = duties::evidence(&state, &id, &duty).await?;
    // The cleaned name holds no quotes or control characters; the
    // RFC 5987 form carries what is not ASCII.
    let ascii: String = file
        .name
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect();
    let encoded: String = file
        .name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.kind.media_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}
