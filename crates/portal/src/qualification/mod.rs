//! Qualifizierung: the catalogue of learning offers and partners,
//! evaluation by a rubric, learning paths and role profiles, the planner,
//! training sessions, credentials and the Art. 4 evidence.
//!
//! Operations: [`catalogue`] (competency model, merging imports),
//! [`rubric`], [`evidence`]. Pages (`*_page`) and the API ([`api`]) are
//! adapters over them.

pub mod api;
pub mod catalogue;
pub mod evidence;
pub mod offer_page;
pub mod page;
pub mod partners_page;
pub mod people_page;
pub mod planner_page;
pub mod rubric;
pub mod rubric_page;
pub mod training_page;
