//! What the `ki-reise` binary's engine commands do, as functions over plain
//! arguments and a writer so that they can be tested: `bench engine`,
//! `doctor` and `run`.

pub mod bench;
pub mod doctor;
pub mod run;
