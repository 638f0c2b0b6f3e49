//! Sign-in from the municipality's directory (LDAP / Active Directory):
//! settings ([`config`]), the LDAP client ([`client`]), the mapping from
//! directory to account ([`mapping`], reusable for OpenID Connect), account
//! provisioning ([`accounts`]), the sign-in ([`signin`]), leavers and
//! movers ([`sync`]) and the admin page.

pub mod accounts;
mod admin_form;
pub mod admin_page;
pub mod client;
pub mod config;
pub mod mapping;
pub mod signin;
pub mod sync;

use crate::access::{route, Route};

/// The routes of this module; see [`crate::access::ROUTES`].
pub const ROUTES: &[Route] = &[
    route!(GET "/benutzer/verzeichnis", ManageUsers, admin_page::show),
    route!(POST "/benutzer/verzeichnis", ManageUsers, admin_page::save),
    route!(POST "/benutzer/verzeichnis/vorschau", ManageUsers, admin_page::preview),
    route!(POST "/benutzer/verzeichnis/abgleich", ManageUsers, admin_page::run_sync),
];
