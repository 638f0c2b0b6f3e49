//! Anwendungsfälle (use cases): intake from the form, the library, other
//! municipalities or the survey; the canvas, scoring and ranking; the EU AI
//! Act classification; data protection (DPIA threshold, FRIA); pilot and
//! status; the public AI register.
//!
//! Operations: [`content`] (shipped content), [`intake`], [`assessment`],
//! [`scoring`], [`register`]. Pages (`*_page`) and the API (`*_api`, with
//! [`edit_api`] for the version-checked edit they share) are adapters over
//! them and never import each other.

pub mod api;
pub mod assessment;
pub mod canvas_form;
pub mod classify_page;
pub mod content;
pub mod criteria_page;
pub mod detail_page;
pub mod duties;
pub mod duties_api;
pub mod duties_page;
pub mod duties_view;
pub mod duty_reminders;
pub mod edit_api;
pub mod exchange_page;
pub mod intake;
pub mod intake_api;
pub mod library_page;
pub mod page;
pub mod pilot_api;
pub mod pilot_page;
pub mod protection_api;
pub mod protection_page;
pub mod register;
pub mod register_api;
pub mod register_page;
pub mod scoring;
pub mod scoring_api;
pub mod wizard_api;

use crate::access::{route, Route};

/// The routes of this module; see [`crate::access::ROUTES`].
pub const ROUTES: &[Route] = &[
    route!(GET "/ki-register", public, register_page::show),
    route!(GET "/anwendungsfaelle/register.json", public, register_page::json),
    route!(GET "/anwendungsfaelle/register.csv", public, register_page::csv),
    route!(GET "/anwendungsfaelle", ViewUseCases, page::list),
    route!(GET "/anwendungsfaelle/neu", SubmitUseCases, page::new_form),
    route!(POST "/anwendungsfaelle/neu", SubmitUseCases, page::create),
    route!(GET "/anwendungsfaelle/bibliothek", AssessUseCases, library_page::library_page),
    route!(POST "/anwendungsfaelle/bibliothek/{id}", AssessUseCases, library_page::adopt),
    route!(GET "/anwendungsfaelle/tafel", ViewUseCases, exchange_page::show_board),
    route!(GET "/anwendungsfaelle/pflichten", ViewUseCases, duties_page::overview),
    route!(GET "/anwendungsfaelle/{id}/pflichten", ViewUseCases, duties_page::show),
    route!(POST "/anwendungsfaelle/{id}/pflichten/{duty}", AssessUseCases, duties_page::save),
    route!(POST "/anwendungsfaelle/{id}/pflichten/{duty}/nachweis", AssessUseCases,
        router: axum::routing::post(duties_page::upload).layer(evidence_limit())),
    route!(GET "/anwendungsfaelle/{id}/pflichten/{duty}/nachweis", ViewUseCases, duties_page::download),
    route!(GET "/anwendungsfaelle/kriterien", AssessUseCases, criteria_page::show),
    route!(POST "/anwendungsfaelle/kriterien", AssessUseCases, criteria_page::save),
    route!(POST "/anwendungsfaelle/import", AssessUseCases, exchange_page::import),
    route!(GET "/anwendungsfaelle/{id}/export/{format}", ViewUseCases, exchange_page::export),
    route!(GET "/anwendungsfaelle/{id}/datenschutz", ViewUseCases, protection_page::show),
    route!(POST "/anwendungsfaelle/{id}/datenschutz", AssessUseCases, protection_page::save_protection),
    route!(GET "/anwendungsfaelle/{id}/pilot", ViewUseCases, pilot_page::show),
    route!(POST "/anwendungsfaelle/{id}/pilot", AssessUseCases, pilot_page::save_pilot),
    route!(POST "/umfrage/{id}/ideen", AssessUseCases, exchange_page::from_survey),
    route!(GET "/anwendungsfaelle/{id}", ViewUseCases, detail_page::show),
    route!(POST "/anwendungsfaelle/{id}/canvas", AssessUseCases, detail_page::save_canvas),
    route!(POST "/anwendungsfaelle/{id}/status", AssessUseCases, detail_page::change_status),
    route!(POST "/anwendungsfaelle/{id}/register", AssessUseCases, detail_page::save_register),
    route!(GET "/anwendungsfaelle/{id}/einstufung", AssessUseCases, classify_page::start),
    route!(POST "/anwendungsfaelle/{id}/einstufung", AssessUseCases, classify_page::step),
    route!(GET "/api/v1/usecases", ViewUseCases, api::list),
    route!(POST "/api/v1/usecases", SubmitUseCases, api::create),
    route!(GET "/api/v1/usecases/{id}", ViewUseCases, api::get),
    route!(PUT "/api/v1/usecases/{id}/canvas", AssessUseCases, api::update_canvas),
    route!(GET "/api/v1/usecases/board", ViewUseCases, pilot_api::board),
    route!(GET "/api/v1/usecases/{id}/data-protection", ViewUseCases, protection_api::show),
    route!(PUT "/api/v1/usecases/{id}/data-protection", AssessUseCases, protection_api::update),
    route!(GET "/api/v1/usecases/{id}/obligations", ViewUseCases, duties_api::list),
    route!(PUT "/api/v1/usecases/{id}/obligations/{duty}", AssessUseCases, duties_api::update),
    route!(POST "/api/v1/usecases/{id}/obligations/{duty}/evidence", AssessUseCases,
        router: axum::routing::post(duties_api::upload).layer(evidence_limit())),
    route!(GET "/api/v1/usecases/{id}/obligations/{duty}/evidence", ViewUseCases, duties_api::download),
    route!(GET "/api/v1/usecases/{id}/pilot", ViewUseCases, pilot_api::show),
    route!(PUT "/api/v1/usecases/{id}/pilot", AssessUseCases, pilot_api::update),
    route!(POST "/api/v1/usecases/{id}/status", AssessUseCases, pilot_api::change_status),
    route!(PUT "/api/v1/usecases/{id}/register", AssessUseCases, register_api::update),
    route!(GET "/api/v1/usecases/{id}/export", ViewUseCases, register_api::export),
    route!(POST "/api/v1/usecases/import", AssessUseCases, register_api::import),
    route!(GET "/api/v1/usecases/library", AssessUseCases, intake_api::library_list),
    route!(POST "/api/v1/usecases/library/{id}/adopt", AssessUseCases, intake_api::adopt),
    route!(POST "/api/v1/surveys/{id}/ideas", AssessUseCases, intake_api::survey_idea),
    route!(GET "/api/v1/usecases/criteria", AssessUseCases, scoring_api::criteria),
    route!(PUT "/api/v1/usecases/criteria", AssessUseCases, scoring_api::update_criteria),
    route!(DELETE "/api/v1/usecases/criteria", AssessUseCases, scoring_api::reset_criteria),
    route!(GET "/api/v1/usecases/ranking", ViewUseCases, scoring_api::ranking_list),
    route!(GET "/api/v1/usecases/matrix.svg", ViewUseCases, scoring_api::matrix_chart),
    route!(GET "/api/v1/usecases/{id}/classification/wizard", AssessUseCases, wizard_api::show),
    route!(POST "/api/v1/usecases/{id}/classification/wizard/answer", AssessUseCases, wizard_api::answer),
    route!(POST "/api/v1/usecases/{id}/classification/wizard/back", AssessUseCases, wizard_api::back),
    route!(POST "/api/v1/usecases/{id}/classification", AssessUseCases, api::classify),
];

/// The body limit of an evidence upload: the file's limit and room for the
/// form around it; the file's own limit is checked again on its bytes.
pub const EVIDENCE_BODY_BYTES: usize =
    journey::usecase::duties::evidence::MAX_EVIDENCE_BYTES + 64 * 1024;

fn evidence_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(EVIDENCE_BODY_BYTES)
}

/// Whether `path` is one of the two evidence uploads (page and API), which
/// take bodies up to [`EVIDENCE_BODY_BYTES`] instead of the portal's limit.
pub fn is_evidence_upload(path: &str) -> bool {
    let s: Vec<&str> = path.split('/').collect();
    match s.as_slice() {
        ["", "api", "v1", "usecases", id, "obligations", duty, "evidence"]
        | ["", "anwendungsfaelle", id, "pflichten", duty, "nachweis"] => {
            !id.is_empty() && !duty.is_empty()
        }
        _ => false,
    }
}
