//! The Vergleichstest (comparison test): runs of the bench crate started
//! from the portal, their progress and their report files.

pub mod page;
