//! Sign-in from the municipality's directory (LDAP / Active Directory):
//! settings ([`config`]), the LDAP client ([`client`]), the mapping from
//! directory to account ([`mapping`], reusable for OpenID Connect), account
//! provisioning ([`accounts`]), the sign-in ([`signin`]), leavers and
//! movers ([`sync`]) and the admin page.

pub mod accounts;
mod admin_form;
pub mod admin_page;
pub mod api;
pub mod client;
pub mod config;
pub mod mapping;
pub(crate) mod mapping_form;
pub mod signin;
pub mod sync;

use crate::access::{route, Route};

/// The routes of this module; see [`crate::access::ROUTES`].
pub const ROUTES: &[Route] = &[
    route!(GET "/benutzer/verzeichnis", ManageUsers, admin_page::show),
    route!(POST "/benutzer/verzeichnis", ManageUsers, admin_page::save),
    route!(POST "/benutzer/verzeichnis/vorschau", ManageUsers, admin_page::preview),
    route!(POST "/benutzer/verzeichnis/abgleich", ManageUsers, admin_page::run_sync),
    route!(GET "/api/v1/sign-in/directory", ManageUsers, api::get_settings),
    route!(PUT "/api/v1/sign-in/directory", ManageUsers, api::put_settings),
    route!(POST "/api/v1/sign-in/directory/preview", ManageUsers, api::preview),
    route!(POST "/api/v1/sign-in/directory/sync", ManageUsers, api::run_sync),
];
