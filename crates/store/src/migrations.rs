//! Which migrations a database has and which this build would apply: for
//! `ki-reise migrate --dry-run`, `/readyz` and a restore that must bring an
//! empty database to exactly the schema of a backup before loading it.

use sqlx::migrate::{Migrate, Migrator};

use crate::{on_db, Db, Result, Store, StoreError};

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// A migration this build knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub version: i64,
    pub description: String,
}

/// How a database's schema stands against this build's migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Versions recorded as applied in the database, ascending.
    pub applied: Vec<i64>,
    /// Known to this build, not yet applied, in the order they would run.
    pub pending: Vec<Migration>,
    /// Applied, but unknown to this build: a newer release migrated the
    /// database (expand/contract lets the older one keep serving).
    pub newer: Vec<i64>,
}

impl MigrationStatus {
    pub fn is_current(&self) -> bool {
        self.pending.is_empty()
    }
}

impl Store {
    pub(crate) fn migrator(&self) -> &'static Migrator {
        match self.db {
            Db::Sqlite(_) => &SQLITE,
            Db::Postgres(_) => &POSTGRES,
        }
    }

    /// Every migration of this build, ascending.
    pub fn known_migrations(&self) -> Vec<Migration> {
        self.migrator()
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .map(|m| Migration {
                version: m.version,
                description: m.description.to_string(),
            })
            .collect()
    }

    /// Reads the applied versions without changing anything (a database
    /// that was never migrated has none).
    pub async fn applied_migrations(&self) -> Result<Vec<i64>> {
        let exists_sql = match self.db {
            Db::Sqlite(_) => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Db::Postgres(_) => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
            }
        };
        let applied = on_db!(self, pool => {
            let (exists,): (i64,) = sqlx::query_as(exists_sql).fetch_one(pool).await?;
            if exists == 0 {
                Vec::new()
            } else {
                sqlx::query_scalar::<_, i64>(
                    "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
                )
                .fetch_all(pool)
                .await?
            }
        });
        Ok(applied)
    }

    pub async fn migration_status(&self) -> Result<MigrationStatus> {
        let applied = self.applied_migrations().await?;
        let known = self.known_migrations();
        let pending = known
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .cloned()
            .collect();
        let newer = applied
            .iter()
            .copied()
            .filter(|v| !known.iter().any(|m| m.version == *v))
            .collect();
        Ok(MigrationStatus {
            applied,
            pending,
            newer,
        })
    }

    /// Applies the known migrations up to and including `version`, no
    /// further; a restore loads a backup into the schema it was taken from
    /// and lets the newer migrations convert it afterwards.
    pub async fn migrate_up_to(&self, version: i64) -> Result<()> {
        let failed = |e: sqlx::migrate::MigrateError| StoreError::Migration(e.to_string());
        let applied = self.applied_migrations().await?;
        let migrator = self.migrator();
        on_db!(self, pool => {
            let mut conn = pool.acquire().await?;
            conn.lock().await.map_err(failed)?;
            conn.ensure_migrations_table().await.map_err(failed)?;
            for m in migrator.iter() {
                if m.migration_type.is_down_migration()
                    || m.version > version
                    || applied.contains(&m.version)
                {
                    continue;
                }
                conn.apply(m).await.map_err(failed)?;
            }
            conn.unlock().await.map_err(failed)?;
        });
        Ok(())
    }
}
