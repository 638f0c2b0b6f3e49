//! API twin of the model catalogue on the gateway's settings page: the
//! catalogue with the recommendation for the server's machine, and
//! starting a download of one catalogue file (by entry and quantisation
//! only; the address comes from the catalogue).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use journey::models::recommend::{self, Verdict};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::assistant::catalogue::{self, DownloadState};
use crate::assistant::local_models;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::AppState;

/// One file of the catalogue, with how it would run on this server.
#[derive(Serialize, ToSchema)]
pub struct CatalogueFileDto {
    /// The catalogue entry's id.
    pub model: String,
    pub name: String,
    /// `general.architecture` as GGUF names it.
    pub architecture: String,
    pub licence: String,
    pub languages: Vec<String>,
    pub context_length: u32,
    pub recommended_use: String,
    /// How good its German is (German).
    pub quality_note: String,
    pub quant: String,
    pub file: String,
    /// Approximate size in bytes.
    pub size_bytes: u64,
    pub url: String,
    /// Absent where the checksum is not known.
    pub sha256: Option<String>,
    /// `suitable`, `slow` (slower than reading speed) or `too_large`.
    pub verdict: String,
    /// Estimated decode speed of one stream.
    pub tokens_per_second: f64,
    /// Users served at reading speed at once.
    pub users: u32,
    /// The estimate in German, e.g. „Qwen2.5-7B-Instruct Q4_K_M: etwa 6
    /// Tokens/s, 2 gleichzeitige Nutzer“.
    pub summary: String,
    /// The file is in the data folder's `models/`.
    pub present: bool,
}

impl CatalogueFileDto {
    /// The size for people, e.g. „4,7 GB“.
    pub fn size_label(&self) -> String {
        format!("{:.1} GB", self.size_bytes as f64 / 1e9).replace('.', ",")
    }
}

/// The server's machine as the recommendation sees it.
#[derive(Serialize, ToSchema)]
pub struct MachineDto {
    pub available_bytes: u64,
    /// Measured read bandwidth, bytes per second.
    pub bandwidth_bytes_per_second: f64,
}

impl MachineDto {
    /// „12,3 GiB frei, 40,1 GB/s gemessen“.
    pub fn label(&self) -> String {
        format!(
            "{:.1} GiB frei, {:.1} GB/s gemessen",
            self.available_bytes as f64 / f64::from(1u32 << 30),
            self.bandwidth_bytes_per_second / 1e9
        )
        .replace('.', ",")
    }
}

#[derive(Serialize, ToSchema)]
pub struct CatalogueDto {
    pub machine: MachineDto,
    /// Every file, best first for this machine.
    pub files: Vec<CatalogueFileDto>,
    /// Downloads since the server started.
    pub downloads: Vec<DownloadState>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DownloadRequest {
    /// The catalogue entry's id.
    pub model: String,
    /// One of the entry's quantisations, e.g. `Q4_K_M`.
    pub quant: String,
}

pub fn verdict_slug(v: Verdict) -> &'static str {
    match v {
        Verdict::Suitable => "suitable",
        Verdict::Slow => "slow",
        Verdict::TooLarge => "too_large",
    }
}

/// The catalogue, recommended for this machine.
pub async fn catalogue_dto(state: &AppState) -> Result<CatalogueDto, AppError> {
    let catalogue = catalogue::load(state)?;
    let machine = catalogue::machine().await;
    let present = local_models::files(state);
    let files = recommend::recommend(&catalogue, machine)
        .into_iter()
        .map(|r| CatalogueFileDto {
            model: r.model.id.clone(),
            name: r.model.name.clone(),
            architecture: r.model.architecture.clone(),
            licence: r.model.licence.clone(),
            languages: r.model.languages.clone(),
            context_length: r.model.context_length,
            recommended_use: r.model.recommended_use.clone(),
            quality_note: r.model.quality_note.clone(),
            quant: r.file.quant.clone(),
            file: r.file.file.clone(),
            size_bytes: r.file.size_bytes,
            url: r.file.url.clone(),
            sha256: r.file.sha256.clone(),
            verdict: verdict_slug(r.verdict).into(),
            tokens_per_second: r.tokens_per_second,
            users: r.users,
            summary: r.summary(),
            present: present.contains(&r.file.file),
        })
        .collect();
    Ok(CatalogueDto {
        machine: MachineDto {
            available_bytes: machine.available_bytes,
            bandwidth_bytes_per_second: machine.bandwidth,
        },
        files,
        downloads: state.model_downloads.all(),
    })
}

/// The model catalogue with the recommendation for this server and the
/// downloads since it started.
#[utoipa::path(get, path = "/api/v1/gateway/model-catalogue", tag = "Assistent",
    responses((status = 200, body = CatalogueDto)))]
pub async fn get_catalogue(State(state): State<AppState>) -> Result<Json<CatalogueDto>, ApiError> {
    Ok(Json(catalogue_dto(&state).await?))
}

/// Starts downloading a catalogue file into the data folder's `models/`
/// (resumable; the checksum is checked where the catalogue gives one).
/// Poll `GET /api/v1/gateway/model-catalogue` for its progress. 404: no
/// such entry or quantisation in the catalogue; 409: the file is there.
#[utoipa::path(post, path = "/api/v1/gateway/model-downloads", tag = "Assistent",
    request_body = DownloadRequest,
    responses((status = 202, body = DownloadState), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start_download(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<DownloadRequest>,
) -> Result<(StatusCode, Json<DownloadState>), ApiError> {
    let started = catalogue::start(&state, &cu, &body.model, &body.quant).await?;
    Ok((StatusCode::ACCEPTED, Json(started)))
}
