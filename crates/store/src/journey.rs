//! The status of each journey step: who set it, when, with an optional note.

use std::collections::HashMap;

use journey::plan::StepStatus;
use serde::Serialize;

use crate::{now, on_db, write_audit, Actor, Result, Store, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub step_id: String,
    pub status: StepStatus,
    pub note: String,
    pub updated_by_name: String,
    pub updated_at: i64,
    /// 0 for a step nobody has touched yet.
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct StepRow {
    step_id: String,
    status: String,
    note: String,
    updated_by_name: String,
    updated_at: i64,
    version: i64,
}

impl Store {
    pub async fn step_records(&self) -> Result<HashMap<String, StepRecord>> {
        let rows: Vec<StepRow> = on_db!(self, pool => {
            sqlx::query_as("SELECT step_id, status, note, updated_by_name, updated_at, version FROM step_status")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| {
                let rec = StepRecord {
                    status: StepStatus::parse(&r.status).unwrap_or_default(),
                    step_id: r.step_id,
                    note: r.note,
                    updated_by_name: r.updated_by_name,
                    updated_at: r.updated_at,
                    version: r.version,
                };
                (rec.step_id.clone(), rec)
            })
            .collect())
    }

    /// Sets a step's status. `expected_version` is what the editor saw (0 if
    /// the step was untouched); a different current version means someone
    /// else changed it meanwhile, and nothing is written.
    pub async fn set_step_status(
        &self,
        actor: &Actor,
        step_id: &str,
        status: StepStatus,
        note: &str,
        expected_version: i64,
    ) -> Result<StepRecord> {
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let current: Option<(i64, String)> =
                sqlx::query_as("SELECT version, status FROM step_status WHERE step_id = $1")
                    .bind(step_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let (version, before) = current.unwrap_or((0, StepStatus::Open.as_str().to_string()));
            if version != expected_version {
                return Err(StoreError::Conflict);
            }
            sqlx::query(
                "INSERT INTO step_status (step_id, status, note, updated_by, updated_by_name, updated_at, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (step_id) DO UPDATE SET status = excluded.status, note = excluded.note, \
                 updated_by = excluded.updated_by, updated_by_name = excluded.updated_by_name, \
                 updated_at = excluded.updated_at, version = excluded.version",
            )
            .bind(step_id)
            .bind(status.as_str())
            .bind(note.trim())
            .bind(actor.id)
            .bind(&actor.name)
            .bind(at)
            .bind(version + 1)
            .execute(&mut *tx)
            .await?;
            let before = StepStatus::parse(&before).unwrap_or_default();
            write_audit!(tx, actor, "Schritt geändert", format!("Schritt {step_id}"),
                format!("{} → {}", before.label(), status.label()));
            tx.commit().await?;
        });
        self.step_records()
            .await?
            .remove(step_id)
            .ok_or(StoreError::NotFound)
    }
}
