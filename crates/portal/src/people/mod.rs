//! Users and sign-in: set-up of a new instance, login, invitations and
//! password resets, user administration and import, the own account with
//! API keys, and the audit log.
//!
//! Operations: [`invitations`], [`import`]. Pages (`*_page`) and the API
//! ([`api`]) are adapters over them.

pub mod account_page;
pub mod api;
pub mod audit_page;
pub mod functions;
pub mod import;
pub mod invitations;
pub mod invite_page;
pub mod keys_api;
pub mod link_notice;
pub mod local_login;
pub mod login_page;
pub mod setup_page;
pub mod users_api;
pub mod users_page;

use crate::access::{route, Route};

/// The routes of this module; see [`crate::access::ROUTES`].
pub const ROUTES: &[Route] = &[
    route!(GET "/einrichtung", public, setup_page::show),
    route!(POST "/einrichtung", public, setup_page::submit),
    route!(GET "/anmelden", public, login_page::show),
    route!(POST "/anmelden", public, login_page::submit),
    route!(GET "/einladung/{token}", public, invite_page::show),
    route!(POST "/einladung/{token}", public, invite_page::submit),
    route!(POST "/abmelden", ViewJourney, login_page::logout),
    route!(GET "/benutzer", ManageUsers, users_page::list),
    route!(GET "/benutzer/neu", ManageUsers, users_page::new_form),
    route!(POST "/benutzer/neu", ManageUsers, users_page::create),
    route!(GET "/benutzer/import", ManageUsers, users_page::import_form),
    route!(POST "/benutzer/import", ManageUsers, users_page::import),
    route!(GET "/benutzer/{id}", ManageUsers, users_page::edit_form),
    route!(POST "/benutzer/{id}", ManageUsers, users_page::update),
    route!(POST "/benutzer/{id}/aktiv", ManageUsers, users_page::set_active),
    route!(POST "/benutzer/{id}/link", ManageUsers, users_page::create_link),
    route!(POST "/benutzer/{id}/funktionen", ManageUsers, functions::save),
    route!(GET "/protokoll", ViewAuditLog, audit_page::show),
    route!(GET "/konto", ManageOwnApiKeys, account_page::show),
    route!(POST "/konto/schluessel", ManageOwnApiKeys, account_page::create_key),
    route!(POST "/konto/schluessel/{id}/widerrufen", ManageOwnApiKeys, account_page::revoke_key),
    route!(POST "/konto/passwort", ChangeOwnPassword, account_page::change_password),
    route!(GET "/api/v1/me", ViewJourney, api::me),
    route!(GET "/api/v1/me/keys", ManageOwnApiKeys, keys_api::list),
    route!(POST "/api/v1/me/keys", ManageOwnApiKeys, keys_api::create),
    route!(DELETE "/api/v1/me/keys/{id}", ManageOwnApiKeys, keys_api::revoke),
    route!(GET "/api/v1/users", ManageUsers, api::list_users),
    route!(POST "/api/v1/users", ManageUsers, api::create_user),
    route!(POST "/api/v1/users/import", ManageUsers, users_api::import_list),
    route!(PUT "/api/v1/users/{id}", ManageUsers, users_api::update),
    route!(PUT "/api/v1/users/{id}/active", ManageUsers, users_api::set_active),
    route!(POST "/api/v1/users/{id}/link", ManageUsers, users_api::create_link),
    route!(PUT "/api/v1/users/{id}/functions", ManageUsers, functions::set_functions),
    route!(GET "/api/v1/audit", ViewAuditLog, api::audit),
];
