//! The Bestandsaufnahme (survey): set-up, distribution, answering and
//! anonymous results.
//!
//! Operations: [`questionnaire`] (prepare, edit, open), [`answering`] (the
//! one answer pipeline for links, codes and paper forms) and [`results`]
//! (closed surveys only, k-suppressed). The pages (`*_page`) and the API
//! (`*_api`) are thin adapters over them and never import each other.
//!
//! Anonymity is the store's shape (see `store::survey`); this module adds
//! that results exist only for closed surveys, always with k-suppression,
//! and that nothing about an answer reaches the audit log.

pub mod admin_api;
pub mod admin_page;
pub mod answer_page;
pub mod answering;
pub mod answers_api;
pub mod editor_page;
pub mod paper_page;
pub mod questionnaire;
pub mod results;
pub mod results_page;
