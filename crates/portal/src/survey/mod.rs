//! The Bestandsaufnahme (survey): set-up, distribution, answering and
//! anonymous results.
//!
//! Operations: [`questionnaire`] (prepare, edit, open), [`answering`] (the
//! one answer pipeline for links, codes and paper forms) and [`results`]
//! (closed surveys only, k-suppressed). The pages (`*_page`) and the API
//! (`*_api`) are thin adapters over them and never import each other.
//!
//! Anonymity is the store's shape (see `store::survey`); this module adds
//! that results exist only for closed surveys, always with k-suppression,
//! and that nothing about an answer reaches the audit log.

pub mod admin_api;
pub mod admin_page;
pub mod answer_page;
pub mod answering;
pub mod answers_api;
pub mod distribution_page;
pub mod editor_page;
pub mod mailing;
pub mod paper_page;
pub mod questionnaire;
pub mod results;
pub mod results_page;

use crate::access::{route, Route};

/// The routes of this module; see [`crate::access::ROUTES`].
pub const ROUTES: &[Route] = &[
    route!(GET "/teilnahme", public, admin_page::enter_code),
    route!(GET "/teilnahme/{token}", public, answer_page::answer_form),
    route!(POST "/teilnahme/{token}", public, answer_page::answer_submit),
    // Public: without a session it leads to the code page (paper codes
    // need no account); with one it lists the surveys (every role may
    // take part, so no permission beyond being logged in).
    route!(GET "/umfrage", public, admin_page::list),
    route!(POST "/umfrage/{id}/teilnehmen", ViewJourney, admin_page::participate),
    route!(GET "/umfrage/neu", ManageSurveys, admin_page::new_form),
    route!(POST "/umfrage/neu", ManageSurveys, admin_page::create),
    route!(GET "/umfrage/{id}", ManageSurveys, admin_page::show),
    route!(POST "/umfrage/{id}/oeffnen", ManageSurveys, admin_page::open_survey),
    route!(POST "/umfrage/{id}/links", ManageSurveys, distribution_page::create_links),
    route!(POST "/umfrage/{id}/codes", ManageSurveys, distribution_page::create_codes),
    route!(POST "/umfrage/{id}/e-mail", ManageSurveys, distribution_page::send_mail),
    route!(GET "/umfrage/{id}/codes.csv", ManageSurveys, distribution_page::codes_csv),
    route!(GET "/umfrage/{id}/links.csv", ManageSurveys, distribution_page::links_csv),
    route!(POST "/umfrage/{id}/schliessen", ManageSurveys, admin_page::close_survey),
    route!(GET "/umfrage/{id}/ergebnisse", ManageSurveys, results_page::results),
    route!(GET "/umfrage/{id}/export/{format}", ManageSurveys, results_page::export),
    route!(POST "/umfrage/neu/datei", ManageSurveys, editor_page::upload),
    route!(GET "/umfrage/{id}/bearbeiten", ManageSurveys, editor_page::edit_form),
    route!(POST "/umfrage/{id}/bearbeiten", ManageSurveys, editor_page::edit_submit),
    route!(POST "/umfrage/{id}/vorschau", ManageSurveys, editor_page::preview),
    route!(POST "/umfrage/{id}/kopieren", ManageSurveys, editor_page::copy),
    route!(GET "/umfrage/{id}/papier", ManageSurveys, paper_page::print_form),
    route!(GET "/umfrage/{id}/papier/erfassen", ManageSurveys, paper_page::entry_form),
    route!(POST "/umfrage/{id}/papier/erfassen", ManageSurveys, paper_page::entry_submit),
    route!(POST "/umfrage/{id}/zeitraum", ManageSurveys, paper_page::set_period),
    route!(GET "/api/v1/surveys", ManageSurveys, admin_api::list),
    route!(POST "/api/v1/surveys", ManageSurveys, admin_api::create),
    route!(POST "/api/v1/surveys/{id}/participation", ViewJourney, answers_api::own_link),
    route!(GET "/api/v1/surveys/{id}", ManageSurveys, admin_api::get),
    route!(POST "/api/v1/surveys/{id}/open", ManageSurveys, admin_api::open),
    route!(POST "/api/v1/surveys/{id}/tokens", ManageSurveys, admin_api::tokens),
    route!(POST "/api/v1/surveys/{id}/close", ManageSurveys, admin_api::close),
    route!(GET "/api/v1/surveys/{id}/results", ManageSurveys, answers_api::results),
    route!(POST "/api/v1/surveys/{id}/copy", ManageSurveys, admin_api::copy),
    route!(PUT "/api/v1/surveys/{id}/questionnaire", ManageSurveys, admin_api::update_questionnaire),
    route!(PUT "/api/v1/surveys/{id}/period", ManageSurveys, admin_api::set_period),
    route!(GET "/api/v1/surveys/{id}/reminders", ManageSurveys, admin_api::reminders),
    route!(POST "/api/v1/surveys/{id}/mail", ManageSurveys, admin_api::send_mail),
    route!(POST "/api/v1/surveys/{id}/paper-answers", ManageSurveys, answers_api::paper_answer),
    route!(GET "/api/v1/surveys/{id}/answers", ExportSurveyAnswers, answers_api::answers_csv),
    route!(GET "/api/v1/participation/{token}", public, answers_api::show),
    route!(POST "/api/v1/participation/{token}", public, answers_api::answer),
    route!(PUT "/api/v1/participation/{token}/draft", public, answers_api::save_draft),
];
