//! Sign-in with the service account at the municipality's identity
//! provider (OpenID Connect: Keycloak, ADFS, Entra ID, …): settings
//! ([`config`]), the addresses it may contact ([`urls`]), discovery and
//! keys ([`provider`]), the ID token check ([`verify`]), the code flow with
//! PKCE ([`signin`]), the pages ([`pages`]), logout ([`logout`]) and
//! back-channel logout from the provider ([`backchannel`]), and the
//! settings page with its API twin ([`admin_page`], [`api`]). Who
//! gets which account, role and department is the directory's mapping
//! ([`crate::directory::mapping`] and [`crate::directory::accounts`]).

pub mod admin_form;
pub mod admin_page;
pub mod api;
pub mod backchannel;
pub mod config;
pub mod form_targets;
pub mod logout;
pub mod pages;
pub mod provider;
pub mod signin;
pub mod urls;
pub mod verify;

pub use provider::Providers;

use crate::access::{route, Route};

/// The routes of this module; see [`crate::access::ROUTES`].
pub const ROUTES: &[Route] = &[
    route!(GET "/anmelden/dienstkonto", public, pages::start),
    route!(GET "/anmelden/dienstkonto/zurueck", public, pages::callback),
    route!(POST "/anmelden/dienstkonto/abmelden", signed, backchannel::receive),
    route!(GET "/benutzer/dienstkonto", ManageUsers, admin_page::show),
    route!(POST "/benutzer/dienstkonto", ManageUsers, admin_page::save),
    route!(GET "/api/v1/sign-in/oidc", ManageUsers, api::get_settings),
    route!(PUT "/api/v1/sign-in/oidc", ManageUsers, api::put_settings),
];
