//! Strategie und KI-Richtlinie: documents written from templates by an
//! interview, edited, reviewed, adopted and exported; the rule set of the
//! adopted policy.
//!
//! Operations: [`templates`], [`versions`] (who sees which version),
//! [`editing`] (text, interview and comment checks), [`rules`]. Pages (`*_page`) and the API ([`api`]) are adapters over them.

pub mod api;
pub mod comments_api;
pub mod decisions;
pub mod delete_page;
pub mod edit_page;
pub mod editing;
pub mod export_page;
pub mod page;
pub mod review_api;
pub mod review_page;
pub mod review_status;
pub mod review_view;
pub mod rule_checks;
pub mod rules;
pub mod templates;
pub mod templates_api;
pub mod versions;
pub mod versions_api;

use crate::access::{route, Route};

/// The routes of this module; see [`crate::access::ROUTES`].
pub const ROUTES: &[Route] = &[
    route!(GET "/dokumente", ViewDocuments, page::list),
    route!(GET "/dokumente/neu/{template}", EditDocuments, page::new_form),
    route!(POST "/dokumente/neu/{template}", EditDocuments, page::create),
    route!(POST "/dokumente/vorschau", EditDocuments, edit_page::preview),
    route!(GET "/dokumente/regelwerk", ViewDocuments, review_page::rules_page),
    route!(GET "/dokumente/vorlagen", EditDocuments, export_page::templates_list),
    route!(GET "/dokumente/vorlagen/export", EditDocuments, export_page::templates_export),
    route!(POST "/dokumente/vorlagen/import", EditDocuments, export_page::templates_import),
    route!(GET "/dokumente/{id}", ViewDocuments, page::show),
    route!(GET "/dokumente/{id}/interview", EditDocuments, page::reinterview_form),
    route!(POST "/dokumente/{id}/interview", EditDocuments, page::reinterview),
    route!(GET "/dokumente/{id}/bearbeiten", EditDocuments, edit_page::edit_form),
    route!(POST "/dokumente/{id}/bearbeiten", EditDocuments, edit_page::save),
    route!(GET "/dokumente/{id}/vergleich", EditDocuments, edit_page::compare),
    route!(POST "/dokumente/{id}/kommentare", ReviewDocuments, edit_page::comment),
    route!(POST "/dokumente/{id}/einreichen", EditDocuments, review_page::submit),
    route!(POST "/dokumente/{id}/zurueckziehen", EditDocuments, review_page::withdraw),
    route!(POST "/dokumente/{id}/stellungnahme", ActInFunction, review_page::review),
    route!(POST "/dokumente/{id}/beschliessen", ActInFunction, review_page::adopt),
    route!(GET "/dokumente/{id}/loeschen", EditDocuments, delete_page::confirm_form),
    route!(POST "/dokumente/{id}/loeschen", EditDocuments, delete_page::delete),
    route!(GET "/dokumente/{id}/export/{format}", ViewDocuments, export_page::export),
    route!(GET "/api/v1/documents", ViewDocuments, api::list),
    route!(POST "/api/v1/documents", EditDocuments, api::create),
    route!(GET "/api/v1/documents/{id}", ViewDocuments, api::get),
    route!(DELETE "/api/v1/documents/{id}", EditDocuments, api::delete),
    route!(GET "/api/v1/documents/{id}/versions", ViewDocuments, versions_api::list),
    route!(POST "/api/v1/documents/{id}/versions", EditDocuments, versions_api::create),
    route!(GET "/api/v1/documents/{id}/versions/{number}", ViewDocuments, versions_api::get),
    route!(POST "/api/v1/documents/{id}/interview", EditDocuments, versions_api::interview),
    route!(GET "/api/v1/documents/{id}/comparison", EditDocuments, versions_api::comparison),
    route!(GET "/api/v1/documents/{id}/export/{format}", ViewDocuments, versions_api::export),
    route!(GET "/api/v1/documents/{id}/comments", ReviewDocuments, comments_api::list),
    route!(POST "/api/v1/documents/{id}/comments", ReviewDocuments, comments_api::create),
    route!(POST "/api/v1/documents/{id}/withdrawal", EditDocuments, review_api::withdraw),
    route!(GET "/api/v1/documents/{id}/review", EditDocuments, review_api::status),
    route!(POST "/api/v1/documents/{id}/submission", EditDocuments, review_api::submit),
    route!(POST "/api/v1/documents/{id}/statements", ActInFunction, review_api::statement),
    route!(POST "/api/v1/documents/{id}/adoption", ActInFunction, review_api::adopt),
    route!(GET "/api/v1/document-templates", ViewDocuments, api::list_templates),
    route!(POST "/api/v1/document-templates/import", EditDocuments, templates_api::import_templates),
    route!(GET "/api/v1/policy/rules", ViewDocuments, api::rules),
];
