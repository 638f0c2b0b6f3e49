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

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

pub mod api_keys;
pub mod assistants;
pub mod audit;
pub mod backup;
pub mod bench_keys;
pub mod bench_task_sets;
pub mod bundle;
pub mod chat_history;
mod clock;
mod db;
pub mod directory_accounts;
mod document_drafts;
pub mod document_reviews;
mod document_status;
pub mod documents;
mod error;
pub mod functions;
pub mod gateway_backends;
pub mod handovers;
pub mod journey;
pub mod ki_pass;
pub mod mail_outbox;
pub mod migrations;
pub mod oidc_logins;
pub mod profile;
pub mod qualification;
pub mod scheduled_runs;
mod secret;
pub mod sessions;
pub mod settings;
pub mod spaces;
pub mod survey;
mod survey_submissions;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod throttle;
pub mod tokens;
pub mod usage;
pub mod usecase_duties;
pub mod usecases;
pub mod users;

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

pub use clock::now;
pub(crate) use db::on_db;
pub use db::Db;
pub(crate) use error::is_unique_violation;
pub use error::{Result, StoreError};
pub use secret::{hash_token, random_token, redact_url};

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
