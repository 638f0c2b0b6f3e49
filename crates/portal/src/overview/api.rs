//! API: the journey with its steps, and the municipality profile.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::Json;
use journey::plan::{next_step, phase_progress, StepStatus};
use journey::profile::{Department, Profile};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::overview::steps::check_step_change;
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct StepDto {
    pub id: String,
    pub title: String,
    pub module: String,
    /// `open`, `in-progress` or `done`.
    #[schema(pattern = "^(open|in-progress|done)$")]
    pub status: String,
    pub note: String,
    pub updated_by: Option<String>,
    /// Unix time in seconds.
    pub updated_at: Option<i64>,
    /// Send this back when changing the step; 0 if never changed.
    pub version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct PhaseDto {
    pub id: String,
    pub title: String,
    pub total: usize,
    pub done: usize,
    pub in_progress: usize,
    pub percent: u32,
    pub steps: Vec<StepDto>,
}

#[derive(Serialize, ToSchema)]
pub struct JourneyDto {
    pub phases: Vec<PhaseDto>,
    /// The step to work on next, if any is left.
    pub next_step: Option<String>,
}

/// The three phases with the status of every step.
#[utoipa::path(get, path = "/api/v1/journey", tag = "KI-Reise",
    responses((status = 200, body = JourneyDto), (status = 401, body = ErrorBody)))]
pub async fn journey(State(state): State<AppState>) -> Result<Json<JourneyDto>, ApiError> {
    let records = state.store.step_records().await?;
    let statuses: HashMap<String, StepStatus> =
        records.iter().map(|(k, r)| (k.clone(), r.status)).collect();
    let phases = state
        .plan
        .phases
        .iter()
        .map(|phase| {
            let p = phase_progress(phase, &statuses);
            PhaseDto {
                id: phase.id.clone(),
                title: phase.title.clone(),
                total: p.total,
                done: p.done,
                in_progress: p.in_progress,
                percent: p.percent(),
                steps: phase
                    .steps
                    .iter()
                    .map(|s| {
                        let r = records.get(&s.id);
                        StepDto {
                            id: s.id.clone(),
                            title: s.title.clone(),
                            module: s.module.slug().to_string(),
                            status: r.map(|r| r.status).unwrap_or_default().as_str().to_string(),
                            note: r.map(|r| r.note.clone()).unwrap_or_default(),
                            updated_by: r.map(|r| r.updated_by_name.clone()),
                            updated_at: r.map(|r| r.updated_at),
                            version: r.map_or(0, |r| r.version),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(Json(JourneyDto {
        phases,
        next_step: next_step(&state.plan, &statuses).map(|s| s.id.clone()),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepUpdateDto {
    /// `open`, `in-progress` or `done`.
    #[schema(pattern = "^(open|in-progress|done)$")]
    pub status: String,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: String,
    /// The version last seen; a different current version answers 409.
    pub version: i64,
}

/// Sets the status of a step.
#[utoipa::path(put, path = "/api/v1/journey/steps/{id}", tag = "KI-Reise",
    params(("id" = String, Path, description = "Schritt-ID aus journey.yaml")),
    request_body = StepUpdateDto,
    responses((status = 200, body = StepDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_step(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StepUpdateDto>,
) -> Result<Json<StepDto>, ApiError> {
    let status = check_step_change(&state, &id, &body.status, &body.note)?;
    let rec = state
        .store
        .set_step_status(&cu.actor(), &id, status, &body.note, body.version)
        .await?;
    let step = state.plan.step(&id).ok_or(AppError::NotFound)?;
    Ok(Json(StepDto {
        id: id.clone(),
        title: step.title.clone(),
        module: step.module.slug().to_string(),
        status: rec.status.as_str().to_string(),
        note: rec.note,
        updated_by: Some(rec.updated_by_name),
        updated_at: Some(rec.updated_at),
        version: rec.version,
    }))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct DepartmentDto {
    /// At most 200 characters, no control characters; unique in the list
    /// (ignoring case).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: String,
    #[schema(format = Int64, minimum = 0, maximum = 4294967295_u64)]
    pub staff_count: u32,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileDto {
    /// At most 200 characters, no control characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: String,
    /// Amtlicher Gemeindeschlüssel, 8 digits.
    #[schema(pattern = "^[0-9]{8}$")]
    pub ags: String,
    // u32 is documented as int32 by default, which caps it at 2^31 - 1.
    #[schema(format = Int64, minimum = 1, maximum = 4294967295_u64)]
    pub staff_count: u32,
    /// 1 to 200 departments; together they have no more staff than the
    /// municipality.
    #[schema(min_items = 1, max_items = 200)]
    pub departments: Vec<DepartmentDto>,
    /// At most 200 characters each, no control characters.
    #[serde(default)]
    #[schema(
        max_length = 200,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub dpo_contact: String,
    #[serde(default)]
    #[schema(
        max_length = 200,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub it_security_contact: String,
    #[serde(default)]
    #[schema(
        max_length = 200,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub staff_council_contact: String,
    /// The version last seen; a different current version answers 409.
    pub version: i64,
}

impl ProfileDto {
    fn from_profile(p: Profile, version: i64) -> ProfileDto {
        ProfileDto {
            name: p.name,
            ags: p.ags,
            staff_count: p.staff_count,
            departments: p
                .departments
                .into_iter()
                .map(|d| DepartmentDto {
                    name: d.name,
                    staff_count: d.staff_count,
                })
                .collect(),
            dpo_contact: p.dpo_contact,
            it_security_contact: p.it_security_contact,
            staff_council_contact: p.staff_council_contact,
            version,
        }
    }
}

/// The municipality profile.
#[utoipa::path(get, path = "/api/v1/profile", tag = "Kommune",
    responses((status = 200, body = ProfileDto), (status = 404, body = ErrorBody)))]
pub async fn profile(State(state): State<AppState>) -> Result<Json<ProfileDto>, ApiError> {
    let (p, v) = state.store.profile().await?.ok_or(AppError::NotFound)?;
    Ok(Json(ProfileDto::from_profile(p, v)))
}

/// Replaces the municipality profile (administrators only).
#[utoipa::path(put, path = "/api/v1/profile", tag = "Kommune", request_body = ProfileDto,
    responses((status = 200, body = ProfileDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_profile(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<ProfileDto>,
) -> Result<Json<ProfileDto>, ApiError> {
    let profile = Profile {
        name: body.name,
        ags: body.ags,
        staff_count: body.staff_count,
        departments: body
            .departments
            .into_iter()
            .map(|d| Department {
                name: d.name.trim().to_string(),
                staff_count: d.staff_count,
            })
            .collect(),
        dpo_contact: body.dpo_contact,
        it_security_contact: body.it_security_contact,
        staff_council_contact: body.staff_council_contact,
    };
    if let Some(e) = profile.validate().into_iter().next() {
        return Err(AppError::invalid(e.field, e.message).into());
    }
    let version = state
        .store
        .save_profile(&cu.actor(), &profile, body.version)
        .await?;
    Ok(Json(ProfileDto::from_profile(profile, version)))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicLinksDto {
    /// The Impressum the public pages link to: http(s), or empty for none.
    #[serde(default)]
    #[schema(
        pattern = "^(|https?://[^/\\s\"<>\\x00-\\x1f\\x7f-\\x9f][^\\s\"<>\\x00-\\x1f\\x7f-\\x9f]*)$"
    )]
    pub imprint_url: String,
    /// The privacy notice, likewise.
    #[serde(default)]
    #[schema(
        pattern = "^(|https?://[^/\\s\"<>\\x00-\\x1f\\x7f-\\x9f][^\\s\"<>\\x00-\\x1f\\x7f-\\x9f]*)$"
    )]
    pub privacy_url: String,
}

/// The Impressum and privacy addresses the public pages (register,
/// participation) link to.
#[utoipa::path(get, path = "/api/v1/profile/public-links", tag = "Kommune",
    responses((status = 200, body = PublicLinksDto)))]
pub async fn public_links(State(state): State<AppState>) -> Result<Json<PublicLinksDto>, ApiError> {
    let (imprint, privacy) = state.store.public_links().await?;
    Ok(Json(PublicLinksDto {
        imprint_url: imprint.unwrap_or_default(),
        privacy_url: privacy.unwrap_or_default(),
    }))
}

/// Sets both addresses; an empty one links nowhere.
#[utoipa::path(put, path = "/api/v1/profile/public-links", tag = "Kommune",
    request_body = PublicLinksDto,
    responses((status = 200, body = PublicLinksDto), (status = 422, body = ErrorBody)))]
pub async fn update_public_links(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<PublicLinksDto>,
) -> Result<Json<PublicLinksDto>, ApiError> {
    crate::overview::profile_page::set_public_links(
        &state,
        &cu,
        &body.imprint_url,
        &body.privacy_url,
    )
    .await?;
    Ok(Json(body))
}
