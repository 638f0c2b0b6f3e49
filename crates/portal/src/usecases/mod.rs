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
pub mod classify_page;
pub mod content;
pub mod criteria_page;
pub mod edit_api;
pub mod exchange_page;
pub mod intake;
pub mod intake_api;
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
