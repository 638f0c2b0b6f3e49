//! Persistence of ki-reise: one [`Store`] over SQLite (the embedded default,
//! a file in the data folder) or PostgreSQL (many users, several app
//! instances), chosen by the URL scheme at start-up.
//!
//! Every query is written once and compiled against both drivers by
//! [`on_db!`], so the two backends cannot drift apart; where the dialects
//! differ, a module matches on the backend explicitly. Each journey module has
//! its own file here (`users`, `sessions`, `journey`, …). Changes that the
//! audit log must show are written in the same transaction as their audit
//! entry, so one never exists without the other.
//!
//! Not here: validation and business rules (`journey`), HTTP (`portal`).
#![forbid(unsafe_code)]

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

pub mod api_keys;
pub mod assistants;
pub mod audit;
pub mod backup;
pub mod bench_keys;
pub mod bench_task_sets;
pub mod bundle;
pub mod chat_history;
mod document_drafts;
pub mod documents;
pub mod gateway_backends;
pub mod journey;
pub mod migrations;
pub mod profile;
pub mod qualification;
pub mod sessions;
pub mod settings;
pub mod survey;
mod survey_submissions;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod throttle;
pub mod tokens;
pub mod usage;
pub mod usecases;
pub mod users;

/// Runs the same body against whichever pool the store holds. The body is
/// compiled once per driver, so a query that one dialect cannot type fails to
/// build rather than at run time.
#[macro_export]
macro_rules! on_db {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

/// Writes an audit entry inside the given transaction.
macro_rules! write_audit {
    ($tx:expr, $actor:expr, $action:expr, $object:expr, $detail:expr) => {
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, actor_name, action, object, detail) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind($crate::now())
        .bind($actor.id)
        .bind(&$actor.name)
        .bind($action)
        .bind($object)
        .bind($detail)
        .execute(&mut *$tx)
        .await?
    };
}
pub(crate) use write_audit;

#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Debug, Clone)]
pub struct Store {
    pub db: Db,
    /// The group-commit writer for survey answers (see `survey_submissions`).
    submissions: survey_submissions::SubmitQueue,
}

/// Who made a change, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<i64>,
    pub name: String,
}

impl Actor {
    pub fn user(id: i64, name: &str) -> Actor {
        Actor {
            id: Some(id),
            name: name.to_string(),
        }
    }

    pub fn command_line() -> Actor {
        Actor {
            id: None,
            name: "Kommandozeile".to_string(),
        }
    }

    pub fn system() -> Actor {
        Actor {
            id: None,
            name: "System".to_string(),
        }
    }
}

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

/// Seconds since the Unix epoch; all timestamps are stored this way so both
/// dialects share one column type.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Hides the password of a database URL before it is shown or logged.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((creds, host)) = rest.rsplit_once('@') {
            let user = creds.split(':').next().unwrap_or("");
            return format!("{scheme}://{user}:***@{host}");
        }
    }
    url.to_string()
}

/// Random bytes as lowercase hex, for tokens and codes.
pub fn random_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// Tokens (sessions, invitations, API keys) are stored only as hashes, so a
/// copy of the database does not hand out logins.
pub fn hash_token(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

impl Store {
    /// Connects to the database named by `url` and brings its schema up to
    /// date. `sqlite://PATH` creates the file if needed.
    pub async fn connect(url: &str) -> Result<Store> {
        let store = Store::connect_without_migrating(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Opens (and creates) the SQLite file at `path`; the path is used as
    /// is, so spaces and other characters need no URL escaping.
    pub async fn connect_sqlite_file(path: &std::path::Path) -> Result<Store> {
        let store = Store::connect_sqlite_file_without_migrating(path).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// As [`Store::connect_sqlite_file`], leaving the schema as it is.
    pub async fn connect_sqlite_file_without_migrating(path: &std::path::Path) -> Result<Store> {
        Store::open_sqlite(SqliteConnectOptions::new().filename(path), |e| {
            StoreError::Unreachable {
                url: path.display().to_string(),
                reason: e.to_string(),
            }
        })
        .await
    }

    /// The one place that decides how SQLite is run: created if missing,
    /// WAL, a busy timeout instead of immediate lock errors, foreign keys on.
    async fn open_sqlite(
        options: SqliteConnectOptions,
        unreachable: impl Fn(sqlx::Error) -> StoreError,
    ) -> Result<Store> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(unreachable)?;
        Ok(Store {
            db: Db::Sqlite(pool),
            submissions: Default::default(),
        })
    }

    pub async fn connect_without_migrating(url: &str) -> Result<Store> {
        let unreachable = |e: sqlx::Error| StoreError::Unreachable {
            url: redact_url(url),
            reason: e.to_string(),
        };
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url).map_err(unreachable)?;
            Store::open_sqlite(options, unreachable).await
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(20)
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await
                .map_err(unreachable)?;
            Ok(Store {
                db: Db::Postgres(pool),
                submissions: Default::default(),
            })
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }

    pub async fn migrate(&self) -> Result<()> {
        let migrator = self.migrator();
        let result = on_db!(self, pool => migrator.run(pool).await);
        result.map_err(|e| StoreError::Migration(e.to_string()))
    }

    pub fn backend_name(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "SQLite",
            Db::Postgres(_) => "PostgreSQL",
        }
    }

    /// A cheap round trip, for `/healthz`.
    pub async fn ping(&self) -> Result<()> {
        on_db!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Connections open and idle, for `/metrics`.
    pub fn pool_stats(&self) -> (u32, usize) {
        match &self.db {
            Db::Sqlite(p) => (p.size(), p.num_idle()),
            Db::Postgres(p) => (p.size(), p.num_idle()),
        }
    }

    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_hides_the_password_but_keeps_user_and_host() {
        assert_eq!(
            redact_url("postgres://app:geheim@db.example:5432/kireise"),
            "postgres://app:***@db.example:5432/kireise"
        );
        assert_eq!(redact_url("sqlite://daten/ki.db"), "sqlite://daten/ki.db");
    }

    #[test]
    fn tokens_are_random_and_hashes_are_stable() {
        let a = random_token(16);
        assert_eq!(a.len(), 32);
        assert_ne!(a, random_token(16));
        assert_eq!(hash_token("x"), hash_token("x"));
        assert_ne!(hash_token("x"), hash_token("y"));
    }
}
