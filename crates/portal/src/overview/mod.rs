//! The journey at a glance: the dashboard with its steps, the module pages
//! and the municipality's profile.
//!
//! Operations: [`steps`]. Pages (`*_page`) and the API ([`api`]) are
//! adapters over them.

pub mod api;
pub mod dashboard_page;
pub mod modules_page;
pub mod profile_page;
pub mod staff_start_page;
pub mod steps;

use crate::access::{route, Route};

/// The routes of this module; see [`crate::access::ROUTES`].
pub const ROUTES: &[Route] = &[
    route!(GET "/", ViewJourney, dashboard_page::show),
    route!(POST "/schritte/{id}", UpdateSteps, dashboard_page::update_step),
    route!(GET "/module/{slug}", ViewModules, modules_page::show),
    route!(GET "/profil", ViewJourney, profile_page::show),
    route!(GET "/profil/bearbeiten", EditProfile, profile_page::edit),
    route!(POST "/profil/bearbeiten", EditProfile, profile_page::save),
    route!(POST "/profil/oeffentlich", EditProfile, profile_page::save_public_links),
    route!(GET "/api/v1/journey", ViewJourney, api::journey),
    route!(PUT "/api/v1/journey/steps/{id}", UpdateSteps, api::update_step),
    route!(GET "/api/v1/profile", ViewJourney, api::profile),
    route!(PUT "/api/v1/profile", EditProfile, api::update_profile),
    route!(GET "/api/v1/profile/public-links", ViewJourney, api::public_links),
    route!(PUT "/api/v1/profile/public-links", EditProfile, api::update_public_links),
];
