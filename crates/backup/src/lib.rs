//! `ki-reise backup` and `ki-reise restore`: one ZIP archive holds the
//! database as JSON lines per table (written in neither dialect, so a
//! SQLite backup restores into PostgreSQL and back), the data folder's
//! files (uploads, reports, the rule set; models only on request), and a
//! manifest with the SHA-256 of every entry.
//!
//! A backup is taken while the portal serves: the database is read in one
//! consistent snapshot (see `store::backup`). A restore goes only into an
//! empty instance and checks every checksum before it writes anything.
//!
//! Not here: the command line and its progress bar (`ki-reise`), the
//! dialects' SQL (`store`).
#![forbid(unsafe_code)]

mod create;
mod data_folder;
mod digest;
pub mod manifest;
mod restore;

pub use create::{create, Options, Summary};
pub use restore::{restore, verify, Restored};

/// What went wrong, in German for the person at the console.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Store(#[from] store::StoreError),
}

pub type Result<T> = std::result::Result<T, BackupError>;

pub(crate) fn refused(message: impl Into<String>) -> BackupError {
    BackupError::Refused(message.into())
}

/// Reports how far a backup or restore has come; the command line shows it
/// as a progress bar.
pub trait Progress {
    /// A new phase; `total` is in the phase's unit (rows or bytes), 0 if
    /// unknown.
    fn phase(&mut self, name: &str, total: u64);
    fn advance(&mut self, n: u64);
}

/// For callers that show nothing.
#[derive(Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn phase(&mut self, _name: &str, _total: u64) {}
    fn advance(&mut self, _n: u64) {}
}
