//! The JSON API under `/api/v1`: the same operations as the pages, for
//! programs. Authentication by session cookie (with `X-CSRF-Token`) or by
//! `Authorization: Bearer` API key; errors as
//! `{"error": {"code", "message", "field"}}`. The OpenAPI 3.1 description is
//! generated from these handlers and served at `/api/v1/openapi.json`.

pub mod bench_api;
pub mod documents_api;
pub mod journey_api;
pub mod people;
pub mod qualification_api;
pub mod survey_answers_api;
pub mod survey_api;
pub mod usecase_edit;
pub mod usecase_intake_api;
pub mod usecase_pilot_api;
pub mod usecase_protection_api;
pub mod usecase_register_api;
pub mod usecase_scoring_api;
pub mod usecase_wizard_api;
pub mod usecases_api;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use utoipa::OpenApi;

use crate::error::{ApiError, AppError};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ki-reise API",
        description = "Programmierschnittstelle der KI-Reise für Kommunen. Fehler haben immer die Form {\"error\": {\"code\", \"message\", \"field\"}}.\n\nDie OpenAI-kompatible Schnittstelle unter /v1 (chat/completions, completions, embeddings) sampelt mit dem lokalen Modell, wo eine Anfrage nichts angibt, nach der Empfehlung des Modells (GGUF-Metadaten general.sampling.*), sonst wie llama.cpp und Ollama: temperature 0.8, top_k 40, top_p 0.95, min_p 0.05, keine Wiederholungsstrafe. Zusätzlich zu OpenAIs Feldern werden top_k, min_p und repeat_penalty angenommen. Der Assistent im Portal antwortet sachlich mit temperature 0.2.",
        license(name = "EUPL-1.2")
    ),
    paths(
        people::me,
        bench_api::start_run,
        bench_api::list_keys,
        bench_api::save_key,
        bench_api::delete_key,
        people::list_users,
        people::create_user,
        people::audit,
        journey_api::journey,
        journey_api::update_step,
        journey_api::profile,
        journey_api::update_profile,
        survey_api::list,
        survey_api::create,
        survey_api::get,
        survey_api::open,
        survey_api::close,
        survey_api::tokens,
        survey_api::copy,
        survey_api::update_questionnaire,
        survey_api::set_period,
        survey_api::reminders,
        survey_answers_api::results,
        survey_answers_api::answers_csv,
        survey_answers_api::paper_answer,
        survey_answers_api::show,
        survey_answers_api::answer,
        survey_answers_api::save_draft,
        usecases_api::list,
        usecases_api::create,
        usecases_api::get,
        usecases_api::update_canvas,
        usecases_api::classify,
        usecase_pilot_api::board,
        usecase_protection_api::show,
        usecase_protection_api::update,
        usecase_pilot_api::show,
        usecase_pilot_api::update,
        usecase_pilot_api::change_status,
        usecase_register_api::update,
        usecase_register_api::export,
        usecase_register_api::import,
        usecase_intake_api::library_list,
        usecase_intake_api::adopt,
        usecase_intake_api::survey_idea,
        usecase_scoring_api::criteria,
        usecase_scoring_api::update_criteria,
        usecase_scoring_api::reset_criteria,
        usecase_scoring_api::ranking_list,
        usecase_scoring_api::matrix_chart,
        usecase_wizard_api::show,
        usecase_wizard_api::answer,
        usecase_wizard_api::back,
        documents_api::list,
        documents_api::create,
        documents_api::get,
        documents_api::list_templates,
        documents_api::rules,
        qualification_api::offers,
        qualification_api::create_offer,
        qualification_api::offer,
        qualification_api::update_offer,
        qualification_api::rubric,
        qualification_api::save_rubric,
        qualification_api::complete,
        qualification_api::paths,
        qualification_api::save_path,
        qualification_api::evaluate,
        qualification_api::plan_request,
        qualification_api::sessions,
        qualification_api::enrol,
        qualification_api::verify,
        qualification_api::report,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub async fn openapi_json() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

/// JSON body whose errors come in our error shape, naming the field.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(ApiError(rejection_to_error(&rejection))),
        }
    }
}

fn rejection_to_error(rejection: &JsonRejection) -> AppError {
    let text = rejection.body_text();
    let named = text.split('`').nth(1).filter(|_| text.contains("field"));
    // axum puts the path of the value that failed in front of serde's
    // message ("…target type: weights.a: invalid type…"), so a wrong type
    // deep inside names its field too.
    let path = match rejection {
        JsonRejection::JsonDataError(_) => text
            .split_once("target type: ")
            .and_then(|(_, rest)| rest.split_once(": "))
            .map(|(path, _)| path)
            .filter(|path| !path.is_empty() && !path.contains(' ')),
        _ => None,
    };
    let field = match (path, named) {
        (Some(p), Some(n)) => Some(format!("{p}.{n}")),
        (Some(p), None) => Some(p.to_string()),
        (None, n) => n.map(str::to_string),
    };
    let message = match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "Bitte JSON senden (Content-Type: application/json).".to_string()
        }
        JsonRejection::JsonSyntaxError(_) => format!("Das JSON ist nicht lesbar: {text}"),
        JsonRejection::JsonDataError(_) => match &field {
            Some(f) if text.contains("missing field") => format!("Das Feld „{f}“ fehlt."),
            _ => format!("Ein Feld hat den falschen Typ oder Wert: {text}"),
        },
        _ => format!("Die Anfrage ist nicht lesbar: {text}"),
    };
    AppError::Invalid { field, message }
}
