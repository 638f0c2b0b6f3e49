//! API twin of the planner's "Stufen aus einer Umfrage übernehmen": the
//! current levels per department from a closed survey become the planner's
//! input, as on the page.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use journey::qualification::planner::Cohort;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::qualification::planner_page::{take_survey_levels, SurveyTakeOver};
use crate::AppState;

#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum ChoiceDto {
    /// The whole administration's levels.
    Organisation,
    /// Leave the department out of the plan.
    LeaveOut,
    /// One level for every missing area (`level`).
    Level,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionDto {
    pub choice: ChoiceDto,
    /// With `level`: 0 to 4.
    #[serde(default)]
    #[schema(maximum = 4)]
    pub level: Option<u8>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyLevelsDto {
    /// A closed survey with the self-assessment of the competency areas.
    pub survey: i64,
    /// For departments the survey gives no levels for (fewer answers than
    /// it shows): department name → decision. The 422 answer names the
    /// department that needs one (`decisions.<name>`).
    #[serde(default)]
    pub decisions: BTreeMap<String, DecisionDto>,
}

#[derive(Serialize, ToSchema)]
pub struct SurveyLevelsTakenDto {
    /// The planner's input now, as in
    /// `schemas/qualification-plan-input.schema.json`.
    #[schema(value_type = Vec<Object>)]
    pub cohorts: Vec<Cohort>,
    /// Departments left out by decision.
    pub left_out: Vec<String>,
    pub message: String,
}

/// Takes the current levels per department from a closed survey (the mean
/// self-assessment, rounded down; small groups stay hidden) for everyone in
/// the baseline role, and saves them as the planner's input.
#[utoipa::path(post, path = "/api/v1/qualification/plan/survey-levels", tag = "Qualifizierung",
    request_body = SurveyLevelsDto,
    responses((status = 200, body = SurveyLevelsTakenDto), (status = 422, body = ErrorBody)))]
pub async fn survey_levels(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<SurveyLevelsDto>,
) -> Result<Json<SurveyLevelsTakenDto>, ApiError> {
    // The page's form values for the same decision.
    let chosen = |_: usize, department: &str| match body.decisions.get(department) {
        None => (String::new(), String::new()),
        Some(d) => {
            let choice = match d.choice {
                ChoiceDto::Organisation => "gesamt",
                ChoiceDto::LeaveOut => "weglassen",
                ChoiceDto::Level => "stufe",
            };
            let level = d.level.map(|l| l.to_string()).unwrap_or_default();
            (choice.to_string(), level)
        }
    };
    match take_survey_levels(&state, &cu, Some(body.survey), &chosen, true).await? {
        SurveyTakeOver::Taken {
            cohorts,
            left_out,
            message,
        } => Ok(Json(SurveyLevelsTakenDto {
            cohorts,
            left_out,
            message,
        })),
        SurveyTakeOver::Refused(message) => Err(AppError::invalid("survey", message).into()),
        SurveyTakeOver::Undecided(step) => {
            let open = step
                .departments
                .into_iter()
                .find(|d| !d.error.is_empty())
                .ok_or_else(|| AppError::Internal("undecided without a question".into()))?;
            let message = format!(
                "{} Die Umfrage gibt für {} keine Stufen in: {} (Gesamtwert der Verwaltung: {}). Möglich: organisation, leave_out, level mit level 0 bis 4.",
                open.error, open.name, open.areas, open.organisation
            );
            Err(AppError::invalid(&format!("decisions.{}", open.name), message).into())
        }
    }
}
