//! Functions of accounts (Datenschutzbeauftragte/r, Personalrat,
//! Bürgermeister/in, …), assigned by the administration on the user page
//! and through the API. Assigning a function takes it from its previous
//! holder: each function has one holder.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use journey::access::Function;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody, PageError};
use crate::people::api::UserDto;
use crate::text_input::Form;
use crate::AppState;

/// One checkbox of the user form.
pub struct FunctionChoice {
    pub key: &'static str,
    pub label: &'static str,
    pub checked: bool,
    /// Who holds it now, when someone else does.
    pub other_holder: String,
}

pub async fn choices(state: &AppState, user_id: i64) -> Result<Vec<FunctionChoice>, AppError> {
    let holders = state.store.function_holders().await?;
    Ok(Function::ALL
        .into_iter()
        .map(|f| {
            let holder = holders.iter().find(|h| h.function == f);
            FunctionChoice {
                key: f.as_str(),
                label: f.label(),
                checked: holder.is_some_and(|h| h.user_id == user_id),
                other_holder: holder
                    .filter(|h| h.user_id != user_id)
                    .map(|h| h.name.clone())
                    .unwrap_or_default(),
            }
        })
        .collect())
}

/// Parses names or labels; an unknown one is refused, naming it.
fn parse_all(names: &[String]) -> Result<Vec<Function>, AppError> {
    let mut out = Vec::new();
    for name in names {
        let f = Function::parse(name).ok_or_else(|| {
            AppError::invalid("functions", format!("Die Funktion „{name}“ gibt es nicht."))
        })?;
        if !out.contains(&f) {
            out.push(f);
        }
    }
    Ok(out)
}

/// The functions' labels of one account, for lists.
pub async fn labels_of(state: &AppState, user_id: i64) -> Result<Vec<String>, AppError> {
    Ok(state
        .store
        .functions_of(user_id)
        .await?
        .into_iter()
        .map(|f| f.as_str().to_owned())
        .collect())
}

/// The checkboxes of the user form (`function`, repeated).
pub async fn save(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let names: Vec<String> = fields
        .into_iter()
        .filter(|(k, _)| k == "function")
        .map(|(_, v)| v)
        .collect();
    let functions = parse_all(&names)?;
    state.store.user(id).await?;
    state
        .store
        .set_functions(&cu.actor(), id, &functions)
        .await?;
    Ok(Redirect::to(&format!("/benutzer/{id}#funktionen")).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FunctionsDto {
    /// Exactly the functions the account holds afterwards:
    /// `datenschutz`, `informationssicherheit`, `personalrat`,
    /// `gleichstellung`, `buergermeister` (or their German labels).
    #[schema(schema_with = function_names)]
    pub functions: Vec<String>,
}

/// The names and labels [`Function::parse`] takes, for the OpenAPI document.
fn function_names() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let names: Vec<&str> = Function::ALL
        .iter()
        .flat_map(|f| [f.as_str(), f.label()])
        .collect();
    ArrayBuilder::new()
        .description(Some(
            "Genau die Funktionen, die das Konto danach innehat: Kurzname oder deutsche Bezeichnung.",
        ))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(names)),
        )
        .build()
}

/// Sets the functions of an account (administrators only).
#[utoipa::path(put, path = "/api/v1/users/{id}/functions", tag = "Konten",
    request_body = FunctionsDto,
    params(("id" = i64, Path, description = "Nummer des Kontos")),
    responses((status = 200, body = UserDto), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_functions(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<FunctionsDto>,
) -> Result<Json<UserDto>, ApiError> {
    let functions = parse_all(&body.functions)?;
    let user = state.store.user(id).await?;
    state
        .store
        .set_functions(&cu.actor(), id, &functions)
        .await?;
    let mut dto = UserDto::from(&user);
    dto.functions = labels_of(&state, id).await?;
    Ok(Json(dto))
}
