//! API twins of the pages "Rollen der Beschäftigten" and "Rollenprofile":
//! who has which role profile from which start levels, and the target
//! levels of the role profiles. Adapters over the pages' operations.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::qualification::catalogue::model;
use crate::qualification::paths_page::set_role_targets;
use crate::qualification::people_page::{rows, save_people, PersonEntry};
use crate::AppState;

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonEntryDto {
    pub user_id: i64,
    /// A role profile's id (`GET /api/v1/qualification/role-profiles`).
    #[schema(min_length = 1)]
    pub role_profile: String,
    /// Area id → start level (0 to the highest level); missing areas: 0.
    #[serde(default)]
    pub start_levels: BTreeMap<String, u8>,
}

#[derive(Serialize, ToSchema)]
pub struct PersonDto {
    pub name: String,
    pub department: String,
    #[serde(flatten)]
    pub entry: PersonEntryDto,
}

/// The active people the caller may edit (the project team its
/// department, if it has one), with their role profile and start levels;
/// without an entry a person has the baseline profile from level 0.
#[utoipa::path(get, path = "/api/v1/qualification/people", tag = "Qualifizierung",
    responses((status = 200, body = [PersonDto])))]
pub async fn people(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Json<Vec<PersonDto>>, ApiError> {
    let model = model(&state).await?;
    let rows = rows(&state, &cu, &model).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| PersonDto {
                name: r.name,
                department: r.department,
                entry: PersonEntryDto {
                    user_id: r.user_id,
                    role_profile: r.role,
                    start_levels: r
                        .levels
                        .into_iter()
                        .filter_map(|(area, _, level)| Some((area, level.parse().ok()?)))
                        .filter(|(_, level)| *level > 0)
                        .collect(),
                },
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PeopleUpdateDto {
    /// The people to set; others stay as they are.
    pub people: Vec<PersonEntryDto>,
}

#[derive(Serialize, ToSchema)]
pub struct ChangedDto {
    /// How many entries changed.
    pub changed: usize,
}

/// Sets role profiles and start levels, all together or none.
#[utoipa::path(put, path = "/api/v1/qualification/people", tag = "Qualifizierung",
    request_body = PeopleUpdateDto,
    responses((status = 200, body = ChangedDto), (status = 422, body = ErrorBody)))]
pub async fn set_people(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<PeopleUpdateDto>,
) -> Result<Json<ChangedDto>, ApiError> {
    let entries: Vec<PersonEntry> = body
        .people
        .into_iter()
        .map(|p| PersonEntry {
            user_id: p.user_id,
            role_profile: p.role_profile.trim().to_string(),
            start_levels: p.start_levels,
        })
        .collect();
    match save_people(&state, &cu, &entries).await? {
        Ok(changed) => Ok(Json(ChangedDto { changed })),
        Err(problems) => {
            let (field, message) = problems.into_iter().next().unwrap_or_default();
            Err(AppError::invalid(&field, message).into())
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RoleProfileDto {
    pub id: String,
    pub name: String,
    pub description: String,
    /// The profile everyone has; the others add to it.
    pub baseline: bool,
    /// Area id → target level.
    pub targets: BTreeMap<String, u8>,
}

/// The role profiles in force, with the edits made in the browser or here.
#[utoipa::path(get, path = "/api/v1/qualification/role-profiles", tag = "Qualifizierung",
    responses((status = 200, body = [RoleProfileDto])))]
pub async fn role_profiles(
    State(state): State<AppState>,
) -> Result<Json<Vec<RoleProfileDto>>, ApiError> {
    let model = model(&state).await?;
    Ok(Json(
        model
            .role_profiles
            .into_iter()
            .map(|r| RoleProfileDto {
                id: r.id,
                name: r.name,
                description: r.description,
                baseline: r.baseline,
                targets: r.targets,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetsDto {
    /// Role profile id → area id → target level; what is not named stays.
    pub targets: BTreeMap<String, BTreeMap<String, u8>>,
}

/// Sets target levels of role profiles. The whole competency model is
/// checked first: nothing is stored if a role would fall below the
/// baseline.
#[utoipa::path(put, path = "/api/v1/qualification/role-profiles", tag = "Qualifizierung",
    request_body = TargetsDto,
    responses((status = 200, body = ChangedDto), (status = 422, body = ErrorBody)))]
pub async fn set_targets(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<TargetsDto>,
) -> Result<Json<ChangedDto>, ApiError> {
    let changed = set_role_targets(&state, &cu, &body.targets).await?;
    Ok(Json(ChangedDto { changed }))
}

/// Drops every edit: the shipped role profiles apply again.
#[utoipa::path(delete, path = "/api/v1/qualification/role-profiles", tag = "Qualifizierung",
    responses((status = 204, description = "Die mitgelieferten Rollenprofile gelten wieder")))]
pub async fn reset_targets(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<StatusCode, ApiError> {
    state.store.reset_role_profiles(&cu.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}
