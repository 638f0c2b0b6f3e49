//! The domain of the KI-Reise für Kommunen, free of I/O.
//!
//! This crate holds what the journey *is*: its phases and steps, who may do
//! what, the municipality profile, and (in further modules) the survey, the
//! competency model, use cases and their EU AI Act classification. It parses
//! and validates content and computes results; it never touches a database, a
//! socket or the file system. Persistence lives in `store`, presentation in
//! `portal`.
#![forbid(unsafe_code)]

pub mod access;
pub mod competency;
pub mod content;
pub mod date;
pub mod escape;
pub mod german;
pub mod land;
pub mod models;
pub mod pii;
pub mod plan;
pub mod policy;
pub mod profile;
pub mod qualification;
pub mod readability;
pub mod spaces;
pub mod survey;
pub mod usecase;
