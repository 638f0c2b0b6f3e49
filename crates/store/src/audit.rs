//! The audit log: who changed what and when. It never holds survey answers
//! or chat contents; callers pass descriptions, not payloads.

use serde::Serialize;

use crate::{on_db, write_audit, Actor, Result, Store};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub object: String,
    pub detail: String,
}

impl Store {
    /// Records an event that changes nothing else (a login, an export).
    pub async fn record_event(
        &self,
        actor: &Actor,
        action: &str,
        object: &str,
        detail: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            write_audit!(tx, actor, action, object, detail);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Newest first; `filter` matches action, object or actor.
    pub async fn audit_entries(
        &self,
        filter: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<AuditEntry>, i64)> {
        let pattern = format!("%{}%", filter.trim().to_lowercase());
        let (rows, total) = on_db!(self, pool => {
            let rows: Vec<AuditEntry> = sqlx::query_as(
                "SELECT id, at, actor_id, actor_name, action, object, detail FROM audit_log \
                 WHERE LOWER(action) LIKE $1 OR LOWER(object) LIKE $1 OR LOWER(actor_name) LIKE $1 \
                 ORDER BY id DESC LIMIT $2 OFFSET $3",
            )
            .bind(&pattern)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
            let (total,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM audit_log \
                 WHERE LOWER(action) LIKE $1 OR LOWER(object) LIKE $1 OR LOWER(actor_name) LIKE $1",
            )
            .bind(&pattern)
            .fetch_one(pool)
            .await?;
            (rows, total)
        });
        Ok((rows, total))
    }
}
