//! The store's error type.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("Die Datenbank ist nicht erreichbar ({url}): {reason}. Prüfen Sie die Angabe --database-url und ob der Datenbankserver läuft.")]
    Unreachable { url: String, reason: String },
    #[error("Die Datenbank-Adresse „{0}“ wird nicht unterstützt. Erlaubt sind sqlite://… und postgres://….")]
    UnsupportedUrl(String),
    #[error("Die Datenbank konnte nicht auf den neuesten Stand gebracht werden: {0}")]
    Migration(String),
    #[error("Der Eintrag wurde inzwischen von jemand anderem geändert. Bitte laden Sie die Seite neu und prüfen Sie die Änderungen.")]
    Conflict,
    #[error("{0}")]
    Duplicate(String),
    #[error("Der Eintrag wurde nicht gefunden.")]
    NotFound,
    /// The action does not fit the entry's current state; the message says why.
    #[error("{0}")]
    Refused(String),
    #[error("Datenbankfehler: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            other => StoreError::Database(other),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// The action does not fit the entry's state; `msg` says why.
pub(crate) fn refused(msg: &str) -> StoreError {
    StoreError::Refused(msg.to_owned())
}
