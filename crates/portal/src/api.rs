//! What every handler of the JSON API under `/api/v1` shares: the body
//! extractor and the OpenAPI description. The handlers live with their
//! journey module (`survey::answers_api`, …) over the same operations as the
//! pages, for programs. Authentication by session cookie (with `X-CSRF-Token`) or by
//! `Authorization: Bearer` API key; errors as
//! `{"error": {"code", "message", "field"}}`. The OpenAPI 3.1 description is
//! generated from these handlers and served at `/api/v1/openapi.json`.

use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::error::{ApiError, AppError};
use crate::openapi_errors::CommonErrors;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ki-reise API",
        description = "Programmierschnittstelle der KI-Reise für Kommunen. Fehler haben immer die Form {\"error\": {\"code\", \"message\", \"field\"}}. Texte dürfen kein NUL-Zeichen (U+0000) enthalten; eine Zahl ohne Nachkommastellen (3.0) gilt als ganze Zahl.\n\nDie OpenAI-kompatible Schnittstelle unter /v1 (chat/completions, completions, embeddings) sampelt mit dem lokalen Modell, wo eine Anfrage nichts angibt, nach der Empfehlung des Modells (GGUF-Metadaten general.sampling.*), sonst wie llama.cpp und Ollama: temperature 0.8, top_k 40, top_p 0.95, min_p 0.05, keine Wiederholungsstrafe. Zusätzlich zu OpenAIs Feldern werden top_k, min_p und repeat_penalty angenommen. Der Assistent im Portal antwortet sachlich mit temperature 0.2.\n\nDatenklasse: Die Kopfzeile X-Datenklasse (public, internal, confidential, personal, special_categories) nennt die Datenklasse einer /v1-Anfrage, sonst gilt die des API-Schlüssels oder die Voreinstellung des Regelwerks. Vor dem Routing prüft ki-reise alle Texte der Anfrage lokal auf personenbezogene Daten (Namen, Anschriften, Geburtsdaten, Telefonnummern, E-Mail-Adressen, IBAN, Steuer-ID, Sozialversicherungs-, Ausweis- und Passnummern, Kfz-Kennzeichen, personenbezogene Aktenzeichen, besondere Kategorien nach Art. 9 DSGVO); Funde heben die Datenklasse an, senken sie nie. Jede Antwort von /v1/chat/completions, /v1/completions und /v1/embeddings trägt die wirksame Klasse, nach der geroutet wurde, in der Kopfzeile X-Datenklasse-Wirksam; eine Ablehnung nach Datenklasse (403, code policy_violation) nennt die gefundenen Kategorien, nie die Werte.",
        license(name = "EUPL-1.2")
    ),
    paths(
        crate::people::api::me,
        crate::people::keys_api::list,
        crate::people::keys_api::create,
        crate::people::keys_api::revoke,
        crate::comparison::api::start_run,
        crate::comparison::api::cancel_run,
        crate::comparison::api::list_keys,
        crate::comparison::api::save_key,
        crate::comparison::api::delete_key,
        crate::comparison::api::list_task_sets,
        crate::comparison::api::upload_task_set,
        crate::comparison::api::delete_task_set,
        crate::comparison::api::allowed_hosts,
        crate::comparison::api::set_allowed_hosts,
        crate::people::api::list_users,
        crate::people::functions::set_functions,
        crate::people::users_api::update,
        crate::people::users_api::set_active,
        crate::people::users_api::create_link,
        crate::people::users_api::import_list,
        crate::documents::review_api::status,
        crate::documents::review_api::submit,
        crate::documents::review_api::statement,
        crate::documents::review_api::adopt,
        crate::people::api::create_user,
        crate::people::api::audit,
        crate::overview::api::journey,
        crate::overview::api::update_step,
        crate::overview::api::profile,
        crate::overview::api::update_profile,
        crate::overview::api::public_links,
        crate::overview::api::update_public_links,
        crate::survey::admin_api::list,
        crate::survey::admin_api::create,
        crate::survey::admin_api::get,
        crate::survey::admin_api::open,
        crate::survey::admin_api::close,
        crate::survey::admin_api::tokens,
        crate::survey::admin_api::copy,
        crate::survey::admin_api::update_questionnaire,
        crate::survey::admin_api::set_period,
        crate::survey::admin_api::reminders,
        crate::survey::admin_api::send_mail,
        crate::mail::log_page::api_list,
        crate::mail::api::requeue,
        crate::mail::api::list,
        crate::mail::api::save,
        crate::mail::api::reset,
        crate::qualification::invitations_http::api,
        crate::survey::answers_api::results,
        crate::survey::answers_api::answers_csv,
        crate::survey::answers_api::paper_answer,
        crate::survey::answers_api::own_link,
        crate::survey::answers_api::show,
        crate::survey::answers_api::answer,
        crate::survey::answers_api::save_draft,
        crate::usecases::api::list,
        crate::usecases::api::create,
        crate::usecases::api::get,
        crate::usecases::api::update_canvas,
        crate::usecases::api::classify,
        crate::usecases::pilot_api::board,
        crate::usecases::protection_api::show,
        crate::usecases::protection_api::update,
        crate::usecases::duties_api::list,
        crate::usecases::duties_api::update,
        crate::usecases::duties_api::upload,
        crate::usecases::duties_api::download,
        crate::usecases::pilot_api::show,
        crate::usecases::pilot_api::update,
        crate::usecases::pilot_api::change_status,
        crate::usecases::register_api::update,
        crate::usecases::register_api::export,
        crate::usecases::register_api::import,
        crate::usecases::intake_api::library_list,
        crate::usecases::intake_api::adopt,
        crate::usecases::intake_api::survey_idea,
        crate::usecases::scoring_api::criteria,
        crate::usecases::scoring_api::update_criteria,
        crate::usecases::scoring_api::reset_criteria,
        crate::usecases::scoring_api::ranking_list,
        crate::usecases::scoring_api::matrix_chart,
        crate::usecases::wizard_api::show,
        crate::usecases::wizard_api::answer,
        crate::usecases::wizard_api::back,
        crate::documents::api::list,
        crate::documents::api::create,
        crate::documents::api::get,
        crate::documents::api::list_templates,
        crate::documents::templates_api::import_templates,
        crate::documents::api::rules,
        crate::documents::api::delete,
        crate::documents::versions_api::list,
        crate::documents::versions_api::create,
        crate::documents::versions_api::get,
        crate::documents::versions_api::interview,
        crate::documents::versions_api::comparison,
        crate::documents::versions_api::export,
        crate::documents::comments_api::list,
        crate::documents::comments_api::create,
        crate::documents::review_api::withdraw,
        crate::qualification::api::offers,
        crate::qualification::api::create_offer,
        crate::qualification::api::offer,
        crate::qualification::api::update_offer,
        crate::qualification::api::rubric,
        crate::qualification::api::save_rubric,
        crate::qualification::api::complete,
        crate::qualification::api::paths,
        crate::qualification::api::save_path,
        crate::qualification::api::evaluate,
        crate::qualification::api::plan_request,
        crate::qualification::api::sessions,
        crate::qualification::api::enrol,
        crate::qualification::api::set_enrolment_status,
        crate::qualification::api::verify,
        crate::qualification::api::report,
        crate::qualification::catalogue_api::take_sample,
        crate::qualification::catalogue_api::import_catalogue,
        crate::qualification::catalogue_api::set_offer_archived,
        crate::qualification::catalogue_api::partners,
        crate::qualification::catalogue_api::put_partner,
        crate::qualification::training_api::create_session,
        crate::qualification::training_api::cancel_enrolment,
        crate::qualification::training_api::issue_credential,
        crate::qualification::profiles_api::people,
        crate::qualification::profiles_api::set_people,
        crate::qualification::profiles_api::role_profiles,
        crate::qualification::profiles_api::set_targets,
        crate::qualification::profiles_api::reset_targets,
        crate::qualification::planner_api::survey_levels,
        crate::assistant::retention::get,
        crate::assistant::assistants_api::list,
        crate::assistant::assistants_api::create,
        crate::assistant::assistants_api::update,
        crate::assistant::assistants_api::delete,
        crate::qualification::ki_pass_page::api_show,
        crate::qualification::ki_pass_page::api_grant,
        crate::assistant::retention::put,
        crate::assistant::conversations_api::delete_conversation,
        crate::assistant::limits_api::quotas,
        crate::assistant::limits_api::set_quota,
        crate::assistant::limits_api::delete_quota,
        crate::assistant::limits_api::set_key_limits,
        crate::assistant::local_models_api::get_local_models,
        crate::assistant::local_models_api::put_local_models,
        crate::assistant::catalogue_api::get_catalogue,
        crate::assistant::catalogue_api::start_download,
        crate::assistant::backends_api::list_backends,
        crate::assistant::backends_api::create_backend,
        crate::assistant::backends_api::update_backend,
        crate::assistant::backends_api::delete_backend,
        crate::transfer::api::check,
        crate::transfer::api::apply,
        crate::spaces::api::list,
        crate::spaces::api::create,
        crate::spaces::api::documents,
        crate::spaces::api::upload,
        crate::spaces::api::remove,
        crate::spaces::api::search,
        crate::directory::api::get_settings,
        crate::directory::api::put_settings,
        crate::directory::api::preview,
        crate::directory::api::run_sync,
        crate::oidc::api::get_settings,
        crate::oidc::api::put_settings,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail)),
    modifiers(&BearerAuth, &CommonErrors),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// The five data classes of the policy (`journey::policy::DataClass`) as
/// the API writes them: only for the OpenAPI document, where a field holding
/// one is a `String` in Rust.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum DataClassName {
    Public,
    Internal,
    Confidential,
    Personal,
    SpecialCategories,
}

/// An optional day as forms take it: `YYYY-MM-DD`, or null or the empty
/// text for none.
pub fn date_or_none() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{AnyOfBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
    // anyOf, not oneOf: a validator that leaves `format` unchecked finds
    // the empty text in two branches.
    AnyOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some([""])),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
        )
        .build()
        .into()
}

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

/// `GET /api/v1/openapi.json`: with this instance's stored choices for a
/// signed-in caller (see [`crate::openapi_instance`]).
pub async fn openapi_json(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    identity: crate::auth::Identity,
) -> Result<Response, ApiError> {
    let doc = crate::openapi_instance::document(&state, identity.user.as_ref()).await?;
    Ok(Json(doc).into_response())
}

/// JSON Schema counts `3.0` as an integer, and so do the generators of
/// clients written against our OpenAPI document; serde does not. A number
/// with no fractional part is therefore read as the integer it is, while
/// `3.5` for an integer field is still refused naming the field.
fn integral_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64() {
                // i64's range as f64: 2^63 itself is already out of range.
                const LIMIT: f64 = 9_223_372_036_854_775_808.0;
                if f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) {
                    *value = Value::from(f as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

/// JSON body whose errors come in our error shape, naming the field, with
/// line breaks in every string normalised (see [`crate::text_input`]).
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // Read as a JSON value first (content type and syntax errors as
        // before), normalise, then read the target type from it so a data
        // error still names its field.
        let mut value = match Json::<serde_json::Value>::from_request(req, state).await {
            Ok(Json(v)) => v,
            Err(rejection) => return Err(ApiError(crate::api_errors::json_rejection(&rejection))),
        };
        // Every body of this API is an object; serde would also read a
        // struct from an array by position, which no documented request is.
        if !value.is_object() {
            return Err(ApiError(AppError::invalid(
                "(Wurzel)",
                "Der Inhalt muss ein JSON-Objekt sein ({ … }), keine Liste und kein einzelner Wert.",
            )));
        }
        if let Some(field) = crate::text_input::nul_in_json(&value) {
            return Err(ApiError(crate::text_input::nul_refused(&field)));
        }
        crate::text_input::normalise_json(&mut value);
        integral_numbers_as_integers(&mut value);
        let bytes = serde_json::to_vec(&value)
            .map_err(|e| ApiError(AppError::internal("re-encode a JSON body", e)))?;
        match Json::<T>::from_bytes(&bytes) {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(ApiError(crate::api_errors::json_rejection(&rejection))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::integral_numbers_as_integers;
    use serde_json::json;

    #[test]
    fn the_documented_data_classes_are_the_policys() {
        let policy: Vec<&str> = journey::policy::DataClass::ALL
            .iter()
            .map(|c| c.slug())
            .collect();
        let schema =
            serde_json::to_value(<super::DataClassName as utoipa::PartialSchema>::schema())
                .unwrap();
        assert_eq!(schema["enum"], json!(policy));
    }

    #[test]
    fn whole_floats_become_integers_and_fractions_stay() {
        let mut v = json!({"version": -102.0, "ids": [1.0, 2.5], "big": 1e300, "n": 7});
        integral_numbers_as_integers(&mut v);
        assert_eq!(
            v,
            json!({"version": -102, "ids": [1, 2.5], "big": 1e300, "n": 7})
        );
    }
}
