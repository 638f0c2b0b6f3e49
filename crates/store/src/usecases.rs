//! Use cases (Anwendungsfälle): each stored as its JSON document, with the
//! columns that lists and filters need beside it, and optionally the entry
//! for the public AI register.
//!
//! Every change bumps `version` (optimistic concurrency: the editor sends the
//! version it saw) and writes an audit entry in the same transaction. The
//! audit entry names the use case and what changed, never the texts.

use journey::usecase::model::UseCase;
use journey::usecase::register::RegisterEntry;
use serde::Serialize;

use crate::{is_unique_violation, now, on_db, write_audit, Actor, Result, Store, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct UseCaseRecord {
    pub use_case: UseCase,
    pub register: Option<RegisterEntry>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct UseCaseRow {
    data: String,
    register: Option<String>,
    created_at: i64,
    updated_at: i64,
    version: i64,
}

const COLUMNS: &str = "data, register, created_at, updated_at, version";

pub(crate) fn decode_error(e: serde_json::Error) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(Box::new(e)))
}

/// The status as its code name (`idea`, `pilot`, …), for the column.
fn status_key(uc: &UseCase) -> String {
    serde_json::to_value(uc.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(decode_error)
}

impl TryFrom<UseCaseRow> for UseCaseRecord {
    type Error = StoreError;

    fn try_from(r: UseCaseRow) -> Result<UseCaseRecord> {
        Ok(UseCaseRecord {
            use_case: serde_json::from_str(&r.data).map_err(decode_error)?,
            register: r
                .register
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(decode_error)?,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        })
    }
}

impl Store {
    /// Stores a new use case (version 1). Its id must be new.
    pub async fn create_use_case(&self, actor: &Actor, uc: &UseCase) -> Result<UseCaseRecord> {
        let data = to_json(uc)?;
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let inserted = sqlx::query(
                "INSERT INTO use_cases (id, title, status, department, data, register, published, \
                 created_by, created_at, updated_at, version) \
                 VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8, $8, 1)",
            )
            .bind(&uc.id)
            .bind(uc.intake.title.trim())
            .bind(status_key(uc))
            .bind(uc.intake.department.as_deref())
            .bind(&data)
            .bind(false)
            .bind(actor.id)
            .bind(at)
            .execute(&mut *tx)
            .await;
            match inserted {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Duplicate(format!(
                        "Es gibt bereits einen Anwendungsfall mit der Kennung {}.",
                        uc.id
                    )))
                }
                Err(e) => return Err(e.into()),
            }
            write_audit!(tx, actor, "Anwendungsfall angelegt", format!("Anwendungsfall {}", uc.id),
                format!("„{}“", uc.intake.title.trim()));
            tx.commit().await?;
        });
        self.use_case(&uc.id).await
    }

    pub async fn use_case(&self, id: &str) -> Result<UseCaseRecord> {
        let sql = format!("SELECT {COLUMNS} FROM use_cases WHERE id = $1");
        let row: UseCaseRow = on_db!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_one(pool).await?
        });
        row.try_into()
    }

    /// All use cases, most recently changed first.
    pub async fn use_cases(&self) -> Result<Vec<UseCaseRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM use_cases ORDER BY updated_at DESC, id");
        let rows: Vec<UseCaseRow> = on_db!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// The register entries marked as published, in order of their names.
    pub async fn published_register(&self) -> Result<Vec<RegisterEntry>> {
        let rows: Vec<(Option<String>,)> = on_db!(self, pool => {
            sqlx::query_as("SELECT register FROM use_cases WHERE published = $1 ORDER BY title, id")
                .bind(true)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .filter_map(|(r,)| r)
            .map(|r| serde_json::from_str(&r).map_err(decode_error))
            .collect()
    }

    /// When a published use case last changed (unix seconds); `None` while
    /// nothing is published. The public register shows it as its date.
    pub async fn register_updated_at(&self) -> Result<Option<i64>> {
        let row: (Option<i64>,) = on_db!(self, pool => {
            sqlx::query_as("SELECT MAX(updated_at) FROM use_cases WHERE published = $1")
                .bind(true)
                .fetch_one(pool)
                .await?
        });
        Ok(row.0)
    }

    /// Replaces the use case and its register entry. `expected_version` is
    /// what the editor saw; if someone else saved meanwhile, nothing is
    /// written. `change` says in the audit log what happened
    /// (e.g. "Canvas gespeichert"), without the texts themselves.
    pub async fn save_use_case(
        &self,
        actor: &Actor,
        uc: &UseCase,
        register: Option<&RegisterEntry>,
        expected_version: i64,
        change: &str,
    ) -> Result<UseCaseRecord> {
        let data = to_json(uc)?;
        let register_json = register.map(to_json).transpose()?;
        let published = register.is_some_and(|r| r.published);
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let updated = sqlx::query(
                "UPDATE use_cases SET title = $1, status = $2, department = $3, data = $4, \
                 register = $5, published = $6, updated_at = $7, version = version + 1 \
                 WHERE id = $8 AND version = $9",
            )
            .bind(uc.intake.title.trim())
            .bind(status_key(uc))
            .bind(uc.intake.department.as_deref())
            .bind(&data)
            .bind(register_json.as_deref())
            .bind(published)
            .bind(at)
            .bind(&uc.id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                let exists: Option<(i64,)> =
                    sqlx::query_as("SELECT version FROM use_cases WHERE id = $1")
                        .bind(&uc.id)
                        .fetch_optional(&mut *tx)
                        .await?;
                return Err(match exists {
                    Some(_) => StoreError::Conflict,
                    None => StoreError::NotFound,
                });
            }
            write_audit!(tx, actor, "Anwendungsfall geändert", format!("Anwendungsfall {}", uc.id),
                change.to_string());
            tx.commit().await?;
        });
        self.use_case(&uc.id).await
    }
}
