//! The KI-Assistent: the staff chat over the gateway, the assistants on
//! offer, and the gateway's administration (quotas and keys, retention,
//! models and backends, usage).

pub mod admin_page;
pub mod assistants;
pub mod assistants_api;
pub mod backends;
pub mod backends_api;
pub mod catalogue;
pub mod catalogue_api;
pub mod conversations_api;
pub mod export;
pub mod limits;
pub mod limits_api;
pub mod limits_page;
pub mod local_models;
pub mod local_models_api;
pub mod model_files;
pub mod page;
pub mod retention;
mod routing;
pub mod settings_page;
pub mod usage_page;

use crate::access::{route, Route};

/// The routes of this module; see [`crate::access::ROUTES`].
pub const ROUTES: &[Route] = &[
    route!(GET "/assistent", UseAssistant, page::show),
    route!(POST "/assistent", UseAssistant, page::send),
    route!(POST "/assistent/stream", UseAssistant, page::stream),
    route!(GET "/assistent/assistenten", ManageAssistants, admin_page::list),
    route!(POST "/assistent/assistenten", ManageAssistants, admin_page::save),
    route!(POST "/assistent/gespraeche/{id}/loeschen", UseAssistant, page::delete_conversation),
    route!(GET "/assistent/gespraeche/{id}/export", UseAssistant, export::export),
    route!(GET "/assistent/kontingente", ManageQuotas, limits_page::show),
    route!(POST "/assistent/kontingente", ManageQuotas, limits_page::save_quota),
    route!(POST "/assistent/kontingente/schluessel", ManageQuotas, limits_page::save_key),
    route!(GET "/assistent/einstellungen", ManageGateway, settings_page::show),
    route!(POST "/assistent/einstellungen", ManageGateway, settings_page::save_retention),
    route!(POST "/assistent/einstellungen/modell", ManageGateway, settings_page::save_model),
    route!(POST "/assistent/einstellungen/backends", ManageGateway, settings_page::save_backend),
    route!(POST "/assistent/einstellungen/katalog", ManageGateway, settings_page::download_model),
    route!(DELETE "/api/v1/assistant/conversations/{id}", UseAssistant, conversations_api::delete_conversation),
    route!(GET "/api/v1/assistants", ManageAssistants, assistants_api::list),
    route!(POST "/api/v1/assistants", ManageAssistants, assistants_api::create),
    route!(PUT "/api/v1/assistants/{id}", ManageAssistants, assistants_api::update),
    route!(DELETE "/api/v1/assistants/{id}", ManageAssistants, assistants_api::delete),
    route!(GET "/api/v1/gateway/quotas", ManageQuotas, limits_api::quotas),
    route!(PUT "/api/v1/gateway/quotas", ManageQuotas, limits_api::set_quota),
    route!(DELETE "/api/v1/gateway/quotas/{id}", ManageQuotas, limits_api::delete_quota),
    route!(PUT "/api/v1/gateway/keys/{id}", ManageQuotas, limits_api::set_key_limits),
    route!(GET "/api/v1/gateway/local-models", ManageGateway, local_models_api::get_local_models),
    route!(PUT "/api/v1/gateway/local-models", ManageGateway, local_models_api::put_local_models),
    route!(GET "/api/v1/gateway/model-catalogue", ManageGateway, catalogue_api::get_catalogue),
    route!(POST "/api/v1/gateway/model-downloads", ManageGateway, catalogue_api::start_download),
    route!(GET "/api/v1/gateway/backends", ManageGateway, backends_api::list_backends),
    route!(POST "/api/v1/gateway/backends", ManageGateway, backends_api::create_backend),
    route!(PUT "/api/v1/gateway/backends/{id}", ManageGateway, backends_api::update_backend),
    route!(DELETE "/api/v1/gateway/backends/{id}", ManageGateway, backends_api::delete_backend),
    route!(GET "/api/v1/gateway/retention", ManageGateway, retention::get),
    route!(PUT "/api/v1/gateway/retention", ManageGateway, retention::put),
    route!(GET "/assistent/nutzung", ViewUsage, usage_page::show),
    route!(GET "/assistent/nutzung.csv", ViewUsage, usage_page::csv),
];
