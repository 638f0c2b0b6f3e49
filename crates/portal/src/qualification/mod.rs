//! Qualifizierung: the catalogue of learning offers and partners,
//! evaluation by a rubric, learning paths and role profiles, the planner,
//! training sessions, credentials and the Art. 4 evidence.
//!
//! Operations: [`catalogue`] (competency model, merging imports),
//! [`rubric`], [`evidence`]. Pages (`*_page`) and the API ([`api`]) are
//! adapters over them.

pub mod api;
pub mod catalogue;
pub mod catalogue_api;
pub mod credentials_page;
pub mod evaluation_page;
pub mod evidence;
pub mod framework_page;
pub mod invitations;
pub mod invitations_http;
pub mod ki_pass_page;
pub mod offer_page;
pub mod page;
pub mod partners_page;
pub mod paths_page;
pub mod people_page;
pub mod planner_api;
pub mod planner_page;
pub mod profiles_api;
pub mod rubric;
pub mod rubric_page;
pub mod training_api;
pub mod training_mail;
pub mod training_page;

use crate::access::{route, Route};

/// The routes of this module; see [`crate::access::ROUTES`].
pub const ROUTES: &[Route] = &[
    route!(GET "/qualifizierung/pruefen", public, credentials_page::verify_form),
    route!(GET "/qualifizierung/kompetenzrahmen", public, framework_page::show),
    route!(POST "/qualifizierung/pruefen", public, credentials_page::verify),
    route!(GET "/qualifizierung", ViewQualification, page::overview),
    route!(POST "/qualifizierung/musterkatalog", ManageQualification, page::take_seed),
    route!(POST "/qualifizierung/import", ManageQualification, page::import),
    route!(GET "/qualifizierung/katalog.json", ViewQualification, page::export_json),
    route!(GET "/qualifizierung/katalog.jsonld", ViewQualification, page::export_jsonld),
    route!(GET "/qualifizierung/angebote.csv", ViewQualification, page::export_csv),
    route!(GET "/qualifizierung/angebote/{id}", ViewQualification, page::offer),
    route!(GET "/qualifizierung/neues-angebot", ManageQualification, offer_page::new_offer),
    route!(POST "/qualifizierung/neues-angebot", ManageQualification, offer_page::create_offer),
    route!(GET "/qualifizierung/angebote/{id}/bearbeiten", ManageQualification, offer_page::edit_offer),
    route!(POST "/qualifizierung/angebote/{id}/bearbeiten", ManageQualification, offer_page::update_offer),
    route!(POST "/qualifizierung/angebote/{id}/archivieren", ManageQualification, offer_page::archive_offer),
    route!(POST "/qualifizierung/angebote/{id}/abschluss", EnrolInTrainings, offer_page::record_completion),
    route!(GET "/qualifizierung/bewertungsraster", ManageQualification, rubric_page::show),
    route!(GET "/qualifizierung/personen", ManageQualification, people_page::show),
    route!(GET "/qualifizierung/partner", ManageQualification, partners_page::show),
    route!(POST "/qualifizierung/partner", ManageQualification, partners_page::save),
    route!(POST "/qualifizierung/personen", ManageQualification, people_page::save),
    route!(POST "/qualifizierung/bewertungsraster", ManageQualification, rubric_page::save),
    route!(GET "/qualifizierung/bewertung", ManageQualification, evaluation_page::evaluation),
    route!(POST "/qualifizierung/bewertung", ManageQualification, evaluation_page::evaluate),
    route!(GET "/qualifizierung/lernpfade", ViewQualification, paths_page::paths),
    route!(POST "/qualifizierung/lernpfade", ManageQualification, paths_page::save_path),
    route!(GET "/qualifizierung/rollen", ManageQualification, paths_page::roles),
    route!(POST "/qualifizierung/rollen", ManageQualification, paths_page::save_roles),
    route!(GET "/qualifizierung/planung", ManageQualification, planner_page::show),
    route!(POST "/qualifizierung/planung", ManageQualification, planner_page::save),
    route!(POST "/qualifizierung/planung/umfrage", ManageQualification, planner_page::from_survey),
    route!(GET "/qualifizierung/termine", ViewQualification, training_page::sessions),
    route!(POST "/qualifizierung/termine", ManageQualification, training_page::create_session),
    route!(GET "/qualifizierung/termine/{id}", ViewQualification, training_page::session),
    route!(POST "/qualifizierung/termine/{id}/anmelden", EnrolInTrainings, training_page::enrol),
    route!(POST "/qualifizierung/termine/{id}/abmelden", EnrolInTrainings, training_page::cancel),
    route!(POST "/qualifizierung/termine/{id}/status", ManageQualification, training_page::set_status),
    route!(POST "/qualifizierung/termine/{id}/einladen", ManageQualification, invitations_http::page),
    route!(GET "/qualifizierung/termine/{id}/kalender.ics", ViewQualification, training_page::session_ics),
    route!(GET "/qualifizierung/kalender.ics", ViewQualification, training_page::my_ics),
    route!(GET "/qualifizierung/nachweise", ViewQualification, credentials_page::credentials),
    route!(POST "/qualifizierung/nachweise", ManageQualification, credentials_page::issue_form),
    route!(GET "/qualifizierung/nachweise/{id}", ViewQualification, credentials_page::certificate),
    route!(GET "/qualifizierung/nachweise/{id}/badge.json", ViewQualification, credentials_page::badge_json),
    route!(GET "/qualifizierung/art4", ViewQualification, credentials_page::report),
    route!(GET "/qualifizierung/art4/{format}", ViewQualification, credentials_page::report_export),
    route!(GET "/qualifizierung/ki-pass", ManageUsers, ki_pass_page::show),
    route!(POST "/qualifizierung/ki-pass/ausnahmen", ManageUsers, ki_pass_page::grant),
    route!(GET "/api/v1/ki-pass", ManageUsers, ki_pass_page::api_show),
    route!(POST "/api/v1/ki-pass/exceptions", ManageUsers, ki_pass_page::api_grant),
    route!(GET "/api/v1/qualification/offers", ViewQualification, api::offers),
    route!(POST "/api/v1/qualification/offers", ManageQualification, api::create_offer),
    route!(GET "/api/v1/qualification/offers/{id}", ViewQualification, api::offer),
    route!(PUT "/api/v1/qualification/offers/{id}", ManageQualification, api::update_offer),
    route!(GET "/api/v1/qualification/rubric", ManageQualification, api::rubric),
    route!(PUT "/api/v1/qualification/rubric", ManageQualification, api::save_rubric),
    route!(POST "/api/v1/qualification/completions", EnrolInTrainings, api::complete),
    route!(GET "/api/v1/qualification/paths", ViewQualification, api::paths),
    route!(POST "/api/v1/qualification/paths", ManageQualification, api::save_path),
    route!(POST "/api/v1/qualification/evaluations", ManageQualification, api::evaluate),
    route!(POST "/api/v1/qualification/plan", ManageQualification, api::plan_request),
    route!(POST "/api/v1/qualification/plan/survey-levels", ManageQualification, planner_api::survey_levels),
    route!(GET "/api/v1/qualification/sessions", ViewQualification, api::sessions),
    route!(POST "/api/v1/qualification/sessions/{id}/enrolments", EnrolInTrainings, api::enrol),
    route!(POST "/api/v1/qualification/sessions/{id}/invitations", ManageQualification, invitations_http::api),
    route!(PUT "/api/v1/qualification/sessions/{id}/enrolments/{user_id}", ManageQualification, api::set_enrolment_status),
    route!(POST "/api/v1/qualification/credentials/verify", public, api::verify),
    route!(POST "/api/v1/qualification/credentials", ManageQualification, training_api::issue_credential),
    route!(POST "/api/v1/qualification/catalogue/sample", ManageQualification, catalogue_api::take_sample),
    route!(POST "/api/v1/qualification/catalogue/import", ManageQualification, catalogue_api::import_catalogue),
    route!(PUT "/api/v1/qualification/offers/{id}/archived", ManageQualification, catalogue_api::set_offer_archived),
    route!(GET "/api/v1/qualification/partners", ManageQualification, catalogue_api::partners),
    route!(PUT "/api/v1/qualification/partners/{id}", ManageQualification, catalogue_api::put_partner),
    route!(POST "/api/v1/qualification/sessions", ManageQualification, training_api::create_session),
    route!(GET "/api/v1/qualification/people", ManageQualification, profiles_api::people),
    route!(PUT "/api/v1/qualification/people", ManageQualification, profiles_api::set_people),
    route!(GET "/api/v1/qualification/role-profiles", ManageQualification, profiles_api::role_profiles),
    route!(PUT "/api/v1/qualification/role-profiles", ManageQualification, profiles_api::set_targets),
    route!(DELETE "/api/v1/qualification/role-profiles", ManageQualification, profiles_api::reset_targets),
    route!(DELETE "/api/v1/qualification/sessions/{id}/enrolments/{user_id}", EnrolInTrainings, training_api::cancel_enrolment),
    route!(GET "/api/v1/qualification/report", ViewQualification, api::report),
];
