//! API: the shared assistants (saved instructions) that staff choose in the
//! KI-Assistent, kept by the project team as on the page
//! "Assistenten verwalten".

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use store::assistants::Assistant;
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::assistant::assistants::{save, Draft, Refusal};
use crate::assistant::page::assistants;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct AssistantDto {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// The instruction given to the model before every conversation.
    pub system_prompt: String,
    /// The data class its conversations have at least; null: the rule
    /// set's default.
    pub data_class: Option<String>,
}

impl From<Assistant> for AssistantDto {
    fn from(a: Assistant) -> Self {
        AssistantDto {
            id: a.id,
            name: a.name,
            description: a.description,
            system_prompt: a.system_prompt,
            data_class: a.data_class,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssistantInputDto {
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[schema(min_length = 1, max_length = 8000, pattern = "\\S")]
    pub system_prompt: String,
    /// `public`, `internal`, `confidential`, `personal` or
    /// `special_categories`; absent or empty: the rule set's default.
    #[serde(default)]
    #[schema(pattern = "^(|public|internal|confidential|personal|special_categories)$")]
    pub data_class: String,
}

impl AssistantInputDto {
    fn draft(&self) -> Draft<'_> {
        Draft {
            name: &self.name,
            description: &self.description,
            system_prompt: &self.system_prompt,
            class: &self.data_class,
        }
    }
}

/// The assistants on offer, in the order staff see them.
#[utoipa::path(get, path = "/api/v1/assistants", tag = "Assistent",
    responses((status = 200, body = [AssistantDto])))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<AssistantDto>>, ApiError> {
    let list = assistants(&state).await?;
    Ok(Json(list.into_iter().map(AssistantDto::from).collect()))
}

async fn saved(
    state: &AppState,
    cu: &CurrentUser,
    id: Option<i64>,
    body: &AssistantInputDto,
) -> Result<AssistantDto, ApiError> {
    match save(state, cu, id, &body.draft()).await? {
        Ok(a) => Ok(a.into()),
        Err(Refusal::NameTaken(message)) => Err(AppError::Conflict(message).into()),
        Err(Refusal::Invalid(fields)) => {
            let (field, message) = fields.into_iter().next().unwrap_or_default();
            let field = if field == "class" {
                "data_class"
            } else {
                field
            };
            Err(AppError::invalid(field, message).into())
        }
    }
}

/// Adds an assistant.
#[utoipa::path(post, path = "/api/v1/assistants", tag = "Assistent",
    request_body = AssistantInputDto,
    responses((status = 201, body = AssistantDto), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<AssistantInputDto>,
) -> Result<(StatusCode, Json<AssistantDto>), ApiError> {
    let created = saved(&state, &cu, None, &body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Changes an assistant.
#[utoipa::path(put, path = "/api/v1/assistants/{id}", tag = "Assistent",
    request_body = AssistantInputDto,
    params(("id" = i64, Path, description = "Nummer des Assistenten")),
    responses((status = 200, body = AssistantDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<AssistantInputDto>,
) -> Result<Json<AssistantDto>, ApiError> {
    if !state.store.assistants().await?.iter().any(|a| a.id == id) {
        return Err(AppError::NotFound.into());
    }
    Ok(Json(saved(&state, &cu, Some(id), &body).await?))
}

/// Removes an assistant; conversations held with it keep their text.
#[utoipa::path(delete, path = "/api/v1/assistants/{id}", tag = "Assistent",
    params(("id" = i64, Path, description = "Nummer des Assistenten")),
    responses((status = 204, description = "Entfernt"), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.store.delete_assistant(&cu.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
