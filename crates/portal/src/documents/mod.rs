//! Strategie und KI-Richtlinie: documents written from templates by an
//! interview, edited, reviewed, adopted and exported; the rule set of the
//! adopted policy.
//!
//! Operations: [`templates`], [`versions`] (who sees which version),
//! [`rules`]. Pages (`*_page`) and the API ([`api`]) are adapters over them.

pub mod api;
pub mod edit_page;
pub mod export_page;
pub mod page;
pub mod review_page;
pub mod rules;
pub mod templates;
pub mod versions;
