//! The journey at a glance: the dashboard with its steps, the module pages
//! and the municipality's profile.
//!
//! Operations: [`steps`]. Pages (`*_page`) and the API ([`api`]) are
//! adapters over them.

pub mod api;
pub mod dashboard_page;
pub mod modules_page;
pub mod profile_page;
pub mod steps;
