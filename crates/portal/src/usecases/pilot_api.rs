//! API: a use case from approval to operation. The pilot (plan, goal
//! metrics with measured values, staff feedback, the decision after it)
//! with its evaluation against the targets, the status changes that the
//! board shows, and the board itself.

use axum::extract::{Path, State};
use axum::Json;
use journey::usecase::model::Status;
use journey::usecase::pilot::{Pilot, PilotEvaluation};
use serde::{Deserialize, Serialize};
use store::usecases::UseCaseRecord;
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::form::{from_key, key};
use crate::usecases::api::{UseCaseDto, UseCaseSummaryDto};
use crate::usecases::assessment::timestamp;
use crate::usecases::edit_api::{edit_use_case, invalid_in};
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct PilotDto {
    pub id: String,
    /// Send this back when changing the use case.
    pub version: i64,
    /// The use case's status (`approved`, `pilot`, …).
    pub status: String,
    /// The pilot as in the exchange format; absent before a plan exists.
    #[schema(value_type = Option<Object>)]
    pub pilot: Option<Pilot>,
    /// Each goal metric against its target (`achieved`: `null` until
    /// measured), with counts.
    #[schema(value_type = Object)]
    pub evaluation: PilotEvaluation,
    /// What keeps the plan from starting (German); empty when it can start.
    pub plan_problems: Vec<String>,
}

fn pilot_dto(record: &UseCaseRecord) -> PilotDto {
    let uc = &record.use_case;
    let pilot = uc.pilot.clone().unwrap_or_default();
    PilotDto {
        id: uc.id.clone(),
        version: record.version,
        status: key(uc.status),
        evaluation: pilot.evaluate(),
        plan_problems: pilot.plan_problems(),
        pilot: uc.pilot.clone(),
    }
}

/// The pilot of a use case and how it went against its targets.
#[utoipa::path(get, path = "/api/v1/usecases/{id}/pilot", tag = "Anwendungsfälle",
    params(("id" = String, Path, description = "Kennung des Anwendungsfalls")),
    responses((status = 200, body = PilotDto), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PilotDto>, ApiError> {
    Ok(Json(pilot_dto(&state.store.use_case(&id).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PilotUpdateDto {
    /// The whole pilot: `goal`, `start`/`end` (`YYYY-MM-DD`),
    /// `participants`, `model`, `backend`, `metrics` (`name`, `unit`,
    /// `baseline`, `target`, `measured`), `staff_feedback` (list of texts)
    /// and `decision` (`kind`: `operate`, `extend` or `stop`, with a
    /// `reason`; its date is set here).
    #[schema(value_type = Object)]
    pub pilot: Pilot,
    /// The version last seen; a different current version answers 409.
    pub version: i64,
}

/// The first thing wrong with a pilot that cannot be stored as it is, by
/// field. An incomplete plan can be stored (it is worked on over time);
/// what it lacks to start is in `plan_problems`.
fn pilot_problem(pilot: &Pilot) -> Option<(String, String)> {
    for (field, value) in [("start", &pilot.start), ("end", &pilot.end)] {
        if let Some(v) = value
            .as_deref()
            .filter(|v| !journey::usecase::is_iso_date(v))
        {
            return Some((
                format!("pilot.{field}"),
                format!("„{v}“ ist kein Datum der Form JJJJ-MM-TT."),
            ));
        }
    }
    for (i, m) in pilot.metrics.iter().enumerate() {
        if m.name.trim().is_empty() {
            return Some((
                format!("pilot.metrics[{i}].name"),
                "Bitte die Zielgröße benennen.".into(),
            ));
        }
    }
    match &pilot.decision {
        Some(d) if d.reason.trim().is_empty() => Some((
            "pilot.decision.reason".into(),
            "Bitte die Entscheidung begründen.".into(),
        )),
        _ => None,
    }
}

/// Replaces the pilot (plan, measured values, feedback, decision).
#[utoipa::path(put, path = "/api/v1/usecases/{id}/pilot", tag = "Anwendungsfälle",
    params(("id" = String, Path, description = "Kennung des Anwendungsfalls")),
    request_body = PilotUpdateDto,
    responses((status = 200, body = PilotDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PilotUpdateDto>,
) -> Result<Json<PilotDto>, ApiError> {
    let saved = edit_use_case(&state, &cu, &id, body.version, |uc| {
        let mut pilot = body.pilot;
        if let Some((field, message)) = pilot_problem(&pilot) {
            return Err(AppError::invalid(&field, message));
        }
        let trim = |s: &mut String| *s = s.trim().to_owned();
        trim(&mut pilot.goal);
        trim(&mut pilot.participants);
        trim(&mut pilot.model);
        trim(&mut pilot.backend);
        pilot.staff_feedback = pilot
            .staff_feedback
            .iter()
            .map(|f| f.trim().to_owned())
            .filter(|f| !f.is_empty())
            .collect();
        if let Some(d) = pilot.decision.as_mut() {
            let before = uc.pilot.as_ref().and_then(|p| p.decision.as_ref());
            // The date of a decision is when it was recorded here.
            d.at = match before {
                Some(b) if b.kind == d.kind && b.reason.trim() == d.reason.trim() => b.at.clone(),
                _ => timestamp(),
            };
            trim(&mut d.reason);
        }
        uc.pilot = Some(pilot);
        Ok("Pilot gespeichert".to_owned())
    })
    .await?;
    Ok(Json(pilot_dto(&saved)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChangeDto {
    /// `idea`, `assessed`, `approved`, `pilot`, `evaluated`, `operating` or `stopped`.
    #[schema(pattern = "^(idea|assessed|approved|pilot|evaluated|operating|stopped)$")]
    pub to: String,
    /// Why; required for `stopped`.
    #[serde(default)]
    pub reason: String,
    /// The version last seen; a different current version answers 409.
    pub version: i64,
}

/// Moves a use case to another status. What the move needs (a complete
/// canvas, a classification, the threshold analysis, a pilot plan, the
/// measured values, the decision) is checked; what is missing answers 422
/// naming `to` (or `reason`).
#[utoipa::path(post, path = "/api/v1/usecases/{id}/status", tag = "Anwendungsfälle",
    params(("id" = String, Path, description = "Kennung des Anwendungsfalls")),
    request_body = StatusChangeDto,
    responses((status = 200, body = UseCaseDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_status(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StatusChangeDto>,
) -> Result<Json<UseCaseDto>, ApiError> {
    let saved = edit_use_case(&state, &cu, &id, body.version, |uc| {
        let to = from_key::<Status>(&body.to).ok_or_else(|| {
            AppError::invalid(
                "to",
                format!(
                    "Unbekannter Status „{}“; möglich sind: {}.",
                    body.to,
                    Status::ALL.map(key).join(", ")
                ),
            )
        })?;
        let from = uc.status;
        if let Err(e) = uc.change_status(to, &timestamp(), &body.reason) {
            let field = if to == Status::Stopped && body.reason.trim().is_empty() {
                "reason"
            } else {
                "to"
            };
            return Err(invalid_in(field)(e));
        }
        Ok(format!("Status: {} → {}", from.label(), uc.status.label()))
    })
    .await?;
    Ok(Json(saved.into()))
}

#[derive(Serialize, ToSchema)]
pub struct BoardColumnDto {
    pub status: String,
    pub status_label: String,
    pub use_cases: Vec<UseCaseSummaryDto>,
}

/// All use cases by status, one column per status in the order of the
/// journey (idea → … → in operation, stopped last).
#[utoipa::path(get, path = "/api/v1/usecases/board", tag = "Anwendungsfälle",
    responses((status = 200, body = [BoardColumnDto]), (status = 401, body = ErrorBody)))]
pub async fn board(State(state): State<AppState>) -> Result<Json<Vec<BoardColumnDto>>, ApiError> {
    let records = state.store.use_cases().await?;
    Ok(Json(
        Status::ALL
            .into_iter()
            .map(|status| BoardColumnDto {
                status: key(status),
                status_label: status.label().to_owned(),
                use_cases: records
                    .iter()
                    .filter(|r| r.use_case.status == status)
                    .map(UseCaseSummaryDto::from)
                    .collect(),
            })
            .collect(),
    ))
}
