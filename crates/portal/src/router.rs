//! All routes and the middleware around them. Access rules are not here but
//! in [`crate::access::ROUTES`].

use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::api::{bench_api, documents_api, journey_api, openapi_json, people, usecases_api};
use crate::error::{AppError, PageError};
use crate::pages::{
    account, ai_register, assistant, assistants_admin, audit, bench_keys, bench_runs, dashboard,
    document_edit, document_export, document_review, documents, gateway_limits, gateway_settings,
    invite, login, modules, nachnutzung, nachnutzung_upload, profile, qualification,
    qualification_offer_edit, qualification_partners, qualification_people, qualification_planner,
    qualification_rubric, qualification_training, setup, usage, usecase_classify, usecase_criteria,
    usecase_exchange, usecase_pilot, usecase_protection, usecases, users,
};
use crate::{access, auth, metrics, security, static_files, AppState};

/// Bodies above this are refused before any handler runs, except on the
/// bundle upload ([`nachnutzung_upload::MAX_UPLOAD_BYTES`]).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

pub fn build(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health))
        .route("/readyz", get(crate::readiness::ready))
        .route("/metrics", get(metrics_text))
        .route("/static/{file}", get(static_files::serve))
        .route("/einrichtung", get(setup::show).post(setup::submit))
        .route("/anmelden", get(login::show).post(login::submit))
        .route("/abmelden", post(login::logout))
        .route("/einladung/{token}", get(invite::show).post(invite::submit))
        .route("/", get(dashboard::show))
        .route("/schritte/{id}", post(dashboard::update_step))
        .route("/module/{slug}", get(modules::show))
        .route("/profil", get(profile::show))
        .route("/profil/bearbeiten", get(profile::edit).post(profile::save))
        .route("/benutzer", get(users::list))
        .route("/benutzer/neu", get(users::new_form).post(users::create))
        .route(
            "/benutzer/import",
            get(users::import_form).post(users::import),
        )
        .route("/benutzer/{id}", get(users::edit_form).post(users::update))
        .route("/benutzer/{id}/aktiv", post(users::set_active))
        .route("/benutzer/{id}/link", post(users::create_link))
        .route("/protokoll", get(audit::show))
        .route("/nachnutzung", get(nachnutzung::show))
        .route("/nachnutzung/export", get(nachnutzung::export))
        .route(
            nachnutzung_upload::UPLOAD_PATH,
            post(nachnutzung::import_check)
                .layer(DefaultBodyLimit::max(nachnutzung_upload::MAX_UPLOAD_BYTES)),
        )
        .route("/nachnutzung/uebernehmen", post(nachnutzung::import_apply))
        .route("/konto", get(account::show))
        .route("/konto/schluessel", post(account::create_key))
        .route(
            "/konto/schluessel/{id}/widerrufen",
            post(account::revoke_key),
        )
        .route("/konto/passwort", post(account::change_password))
        .route("/dokumente", get(documents::list))
        .route(
            "/dokumente/neu/{template}",
            get(documents::new_form).post(documents::create),
        )
        .route("/dokumente/vorschau", post(document_edit::preview))
        .route("/dokumente/regelwerk", get(document_review::rules_page))
        .route("/dokumente/vorlagen", get(document_export::templates_list))
        .route(
            "/dokumente/vorlagen/export",
            get(document_export::templates_export),
        )
        .route(
            "/dokumente/vorlagen/import",
            post(document_export::templates_import),
        )
        .route("/dokumente/{id}", get(documents::show))
        .route(
            "/dokumente/{id}/interview",
            get(documents::reinterview_form).post(documents::reinterview),
        )
        .route(
            "/dokumente/{id}/bearbeiten",
            get(document_edit::edit_form).post(document_edit::save),
        )
        .route("/dokumente/{id}/vergleich", get(document_edit::compare))
        .route("/dokumente/{id}/kommentare", post(document_edit::comment))
        .route("/dokumente/{id}/einreichen", post(document_review::submit))
        .route(
            "/dokumente/{id}/zurueckziehen",
            post(document_review::withdraw),
        )
        .route(
            "/dokumente/{id}/stellungnahme",
            post(document_review::review),
        )
        .route("/dokumente/{id}/beschliessen", post(document_review::adopt))
        .route(
            "/dokumente/{id}/export/{format}",
            get(document_export::export),
        )
        .route(
            "/api/v1/documents",
            get(documents_api::list).post(documents_api::create),
        )
        .route("/api/v1/documents/{id}", get(documents_api::get))
        .route(
            "/api/v1/document-templates",
            get(documents_api::list_templates),
        )
        .route("/api/v1/policy/rules", get(documents_api::rules))
        .route("/anwendungsfaelle/tafel", get(usecase_exchange::show_board))
        .route(
            "/anwendungsfaelle/kriterien",
            get(usecase_criteria::show).post(usecase_criteria::save),
        )
        .route("/anwendungsfaelle/import", post(usecase_exchange::import))
        .route(
            "/anwendungsfaelle/{id}/export/{format}",
            get(usecase_exchange::export),
        )
        .route(
            "/anwendungsfaelle/{id}/datenschutz",
            get(usecase_protection::show).post(usecase_protection::save_protection),
        )
        .route(
            "/anwendungsfaelle/{id}/pilot",
            get(usecase_pilot::show).post(usecase_pilot::save_pilot),
        )
        .route("/umfrage/{id}/ideen", post(usecase_exchange::from_survey))
        .route(
            "/vergleichstest",
            get(bench_runs::list).post(bench_runs::start),
        )
        .route("/vergleichstest/schluessel", post(bench_keys::save))
        .route(
            "/vergleichstest/schluessel/loeschen",
            post(bench_keys::delete),
        )
        .route("/vergleichstest/{id}", get(bench_runs::show))
        .route("/vergleichstest/{id}/abbrechen", post(bench_runs::cancel))
        .route("/vergleichstest/{id}/dateien/{file}", get(bench_runs::file))
        .route("/assistent", get(assistant::show).post(assistant::send))
        .route("/assistent/stream", post(assistant::stream))
        .route(
            "/assistent/assistenten",
            get(assistants_admin::list).post(assistants_admin::save),
        )
        .route(
            "/assistent/gespraeche/{id}/loeschen",
            post(assistant::delete_conversation),
        )
        .route(
            "/assistent/kontingente",
            get(gateway_limits::show).post(gateway_limits::save_quota),
        )
        .route(
            "/assistent/kontingente/schluessel",
            post(gateway_limits::save_key),
        )
        .route(
            "/assistent/einstellungen",
            get(gateway_settings::show).post(gateway_settings::save_retention),
        )
        .route(
            "/assistent/einstellungen/modell",
            post(gateway_settings::save_model),
        )
        .route(
            "/assistent/einstellungen/backends",
            post(gateway_settings::save_backend),
        )
        .route("/assistent/nutzung", get(usage::show))
        .route("/assistent/nutzung.csv", get(usage::csv))
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/me", get(people::me))
        .route(
            "/api/v1/users",
            get(people::list_users).post(people::create_user),
        )
        .route("/api/v1/audit", get(people::audit))
        .route("/api/v1/bench/runs", post(bench_api::start_run))
        .route(
            "/api/v1/bench/target-keys",
            get(bench_api::list_keys).post(bench_api::save_key),
        )
        .route(
            "/api/v1/bench/target-keys/{target}",
            axum::routing::delete(bench_api::delete_key),
        )
        .route("/teilnahme", get(crate::pages::survey::enter_code))
        .route(
            "/teilnahme/{token}",
            get(crate::pages::survey::answer_form).post(crate::pages::survey::answer_submit),
        )
        .route("/umfrage", get(crate::pages::survey::list))
        .route(
            "/umfrage/{id}/teilnehmen",
            post(crate::pages::survey::participate),
        )
        .route(
            "/umfrage/neu",
            get(crate::pages::survey::new_form).post(crate::pages::survey::create),
        )
        .route("/umfrage/{id}", get(crate::pages::survey::show))
        .merge(crate::pages::survey_editor::routes())
        .merge(crate::pages::survey::paper::routes())
        .route(
            "/umfrage/{id}/oeffnen",
            post(crate::pages::survey::open_survey),
        )
        .route(
            "/umfrage/{id}/links",
            post(crate::pages::survey::create_links),
        )
        .route(
            "/umfrage/{id}/codes",
            post(crate::pages::survey::create_codes),
        )
        .route(
            "/umfrage/{id}/schliessen",
            post(crate::pages::survey::close_survey),
        )
        .route(
            "/umfrage/{id}/ergebnisse",
            get(crate::pages::survey::results),
        )
        .route(
            "/umfrage/{id}/export/{format}",
            get(crate::pages::survey::export),
        )
        .route(
            "/api/v1/surveys",
            get(crate::api::survey_api::list).post(crate::api::survey_api::create),
        )
        .route("/api/v1/surveys/{id}", get(crate::api::survey_api::get))
        .route(
            "/api/v1/surveys/{id}/open",
            post(crate::api::survey_api::open),
        )
        .route(
            "/api/v1/surveys/{id}/tokens",
            post(crate::api::survey_api::tokens),
        )
        .route(
            "/api/v1/surveys/{id}/close",
            post(crate::api::survey_api::close),
        )
        .merge(survey_api_routes())
        .route("/api/v1/journey", get(journey_api::journey))
        .route("/api/v1/journey/steps/{id}", put(journey_api::update_step))
        .route(
            "/api/v1/profile",
            get(journey_api::profile).put(journey_api::update_profile),
        )
        .route("/ki-register", get(ai_register::show))
        .route("/anwendungsfaelle/register.json", get(ai_register::json))
        .route("/anwendungsfaelle/register.csv", get(ai_register::csv))
        .route("/anwendungsfaelle", get(usecases::list))
        .route(
            "/anwendungsfaelle/neu",
            get(usecases::new_form).post(usecases::create),
        )
        .route("/anwendungsfaelle/bibliothek", get(usecases::library_page))
        .route("/anwendungsfaelle/bibliothek/{id}", post(usecases::adopt))
        .route("/anwendungsfaelle/{id}", get(usecases::show))
        .route("/anwendungsfaelle/{id}/canvas", post(usecases::save_canvas))
        .route(
            "/anwendungsfaelle/{id}/status",
            post(usecases::change_status),
        )
        .route(
            "/anwendungsfaelle/{id}/register",
            post(usecases::save_register),
        )
        .route(
            "/anwendungsfaelle/{id}/einstufung",
            get(usecase_classify::start).post(usecase_classify::step),
        )
        .route(
            "/api/v1/usecases",
            get(usecases_api::list).post(usecases_api::create),
        )
        .route("/api/v1/usecases/{id}", get(usecases_api::get))
        .route(
            "/api/v1/usecases/{id}/canvas",
            put(usecases_api::update_canvas),
        )
        .route(
            "/api/v1/usecases/{id}/classification",
            post(usecases_api::classify),
        )
        .merge(usecase_api_routes())
        .merge(qualification_routes())
        .fallback(not_found)
        .layer(from_fn(access::authorize))
        .layer(from_fn_with_state(state.clone(), auth::identify))
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(from_fn(security::headers))
        .layer(from_fn(limit_body))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

fn usecase_api_routes() -> Router<AppState> {
    use crate::api::{
        usecase_intake_api as intake, usecase_pilot_api as pilot,
        usecase_protection_api as protection, usecase_register_api as register,
        usecase_scoring_api as scoring, usecase_wizard_api as wizard,
    };
    Router::new()
        .route("/api/v1/usecases/library", get(intake::library_list))
        .route("/api/v1/usecases/library/{id}/adopt", post(intake::adopt))
        .route("/api/v1/surveys/{id}/ideas", post(intake::survey_idea))
        .route(
            "/api/v1/usecases/criteria",
            get(scoring::criteria)
                .put(scoring::update_criteria)
                .delete(scoring::reset_criteria),
        )
        .route("/api/v1/usecases/ranking", get(scoring::ranking_list))
        .route("/api/v1/usecases/matrix.svg", get(scoring::matrix_chart))
        .route(
            "/api/v1/usecases/{id}/classification/wizard",
            get(wizard::show),
        )
        .route(
            "/api/v1/usecases/{id}/classification/wizard/answer",
            post(wizard::answer),
        )
        .route(
            "/api/v1/usecases/{id}/classification/wizard/back",
            post(wizard::back),
        )
        .route("/api/v1/usecases/board", get(pilot::board))
        .route(
            "/api/v1/usecases/{id}/data-protection",
            get(protection::show).put(protection::update),
        )
        .route(
            "/api/v1/usecases/{id}/pilot",
            get(pilot::show).put(pilot::update),
        )
        .route("/api/v1/usecases/{id}/status", post(pilot::change_status))
        .route("/api/v1/usecases/{id}/register", put(register::update))
        .route("/api/v1/usecases/{id}/export", get(register::export))
        .route("/api/v1/usecases/import", post(register::import))
}

fn survey_api_routes() -> Router<AppState> {
    use crate::api::survey_answers_api as answers;
    use crate::api::survey_api as surveys;
    Router::new()
        .route("/api/v1/surveys/{id}/copy", post(surveys::copy))
        .route(
            "/api/v1/surveys/{id}/questionnaire",
            put(surveys::update_questionnaire),
        )
        .route("/api/v1/surveys/{id}/period", put(surveys::set_period))
        .route("/api/v1/surveys/{id}/reminders", get(surveys::reminders))
        .route("/api/v1/surveys/{id}/results", get(answers::results))
        .route("/api/v1/surveys/{id}/answers", get(answers::answers_csv))
        .route(
            "/api/v1/surveys/{id}/paper-answers",
            post(answers::paper_answer),
        )
        .route(
            "/api/v1/participation/{token}",
            get(answers::show).post(answers::answer),
        )
        .route(
            "/api/v1/participation/{token}/draft",
            put(answers::save_draft),
        )
}

fn qualification_routes() -> Router<AppState> {
    use crate::api::qualification_api as api;
    use qualification as q;
    use qualification_offer_edit as edit;
    use qualification_planner as planner;
    use qualification_training as t;
    Router::new()
        .route("/qualifizierung", get(q::overview))
        .route("/qualifizierung/musterkatalog", post(q::take_seed))
        .route("/qualifizierung/import", post(q::import))
        .route("/qualifizierung/katalog.json", get(q::export_json))
        .route("/qualifizierung/katalog.jsonld", get(q::export_jsonld))
        .route("/qualifizierung/angebote.csv", get(q::export_csv))
        .route("/qualifizierung/angebote/{id}", get(q::offer))
        .route(
            "/qualifizierung/neues-angebot",
            get(edit::new_offer).post(edit::create_offer),
        )
        .route(
            "/qualifizierung/angebote/{id}/bearbeiten",
            get(edit::edit_offer).post(edit::update_offer),
        )
        .route(
            "/qualifizierung/angebote/{id}/archivieren",
            post(edit::archive_offer),
        )
        .route(
            "/qualifizierung/angebote/{id}/abschluss",
            post(edit::record_completion),
        )
        .route(
            "/qualifizierung/partner",
            get(qualification_partners::show).post(qualification_partners::save),
        )
        .route(
            "/qualifizierung/personen",
            get(qualification_people::show).post(qualification_people::save),
        )
        .route(
            "/qualifizierung/bewertungsraster",
            get(qualification_rubric::show).post(qualification_rubric::save),
        )
        .route(
            "/qualifizierung/bewertung",
            get(q::evaluation).post(q::evaluate),
        )
        .route(
            "/qualifizierung/lernpfade",
            get(q::paths).post(q::save_path),
        )
        .route("/qualifizierung/rollen", get(q::roles).post(q::save_roles))
        .route(
            "/qualifizierung/planung",
            get(planner::show).post(planner::save),
        )
        .route(
            "/qualifizierung/planung/umfrage",
            post(planner::from_survey),
        )
        .route(
            "/qualifizierung/termine",
            get(t::sessions).post(t::create_session),
        )
        .route("/qualifizierung/termine/{id}", get(t::session))
        .route("/qualifizierung/termine/{id}/anmelden", post(t::enrol))
        .route("/qualifizierung/termine/{id}/abmelden", post(t::cancel))
        .route("/qualifizierung/termine/{id}/status", post(t::set_status))
        .route(
            "/qualifizierung/termine/{id}/kalender.ics",
            get(t::session_ics),
        )
        .route("/qualifizierung/kalender.ics", get(t::my_ics))
        .route(
            "/qualifizierung/nachweise",
            get(t::credentials).post(t::issue_form),
        )
        .route("/qualifizierung/nachweise/{id}", get(t::certificate))
        .route(
            "/qualifizierung/nachweise/{id}/badge.json",
            get(t::badge_json),
        )
        .route(
            "/qualifizierung/pruefen",
            get(t::verify_form).post(t::verify),
        )
        .route("/qualifizierung/art4", get(t::report))
        .route("/qualifizierung/art4/{format}", get(t::report_export))
        .route(
            "/api/v1/qualification/offers",
            get(api::offers).post(api::create_offer),
        )
        .route(
            "/api/v1/qualification/offers/{id}",
            get(api::offer).put(api::update_offer),
        )
        .route(
            "/api/v1/qualification/rubric",
            get(api::rubric).put(api::save_rubric),
        )
        .route("/api/v1/qualification/completions", post(api::complete))
        .route(
            "/api/v1/qualification/paths",
            get(api::paths).post(api::save_path),
        )
        .route("/api/v1/qualification/evaluations", post(api::evaluate))
        .route("/api/v1/qualification/plan", post(api::plan_request))
        .route("/api/v1/qualification/sessions", get(api::sessions))
        .route(
            "/api/v1/qualification/sessions/{id}/enrolments",
            post(api::enrol),
        )
        .route(
            "/api/v1/qualification/credentials/verify",
            post(api::verify),
        )
        .route("/api/v1/qualification/report", get(api::report))
}

/// Refuses bodies above their route's limit: a declared length at once, a
/// streamed body when it gets there. The bundle upload checks its declared
/// length itself, to explain the limit on its page.
async fn limit_body(request: Request, next: Next) -> Response {
    let upload = request.uri().path() == nachnutzung_upload::UPLOAD_PATH;
    let limit = if upload {
        nachnutzung_upload::MAX_UPLOAD_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if !upload && declared.is_some_and(|n| n > limit as u64) {
        let text = format!(
            "Die gesendeten Daten sind zu groß (höchstens {} MB).",
            limit >> 20
        );
        return (StatusCode::PAYLOAD_TOO_LARGE, text).into_response();
    }
    next.run(request.map(|body| Body::new(http_body_util::Limited::new(body, limit))))
        .await
}

async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        crate::error::ApiError(AppError::NotFound).into_response()
    } else {
        PageError(AppError::NotFound).into_response()
    }
}

async fn health(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(serde_json::json!({
            "status": "ok",
            "database": state.store.backend_name(),
            "version": crate::view::VERSION,
        }))
        .into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "error", "database": e.to_string()})),
        )
            .into_response(),
    }
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    let body = state.metrics.render(state.store.pool_stats());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
