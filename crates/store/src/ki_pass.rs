//! What the KI-Pass decision reads: the offers a person has completed or
//! attended (the trainer's confirmation), and the documented exceptions the
//! administration grants with an end date.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use crate::{now, on_db, write_audit, Actor, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KiPassException {
    pub user_id: i64,
    pub user_name: String,
    /// ISO date, inclusive.
    pub valid_until: String,
    pub reason: String,
    pub granted_by_name: String,
    pub granted_at: i64,
}

type ExceptionRow = (i64, String, String, String, String, i64);

fn exception(
    (user_id, user_name, valid_until, reason, granted_by_name, granted_at): ExceptionRow,
) -> KiPassException {
    KiPassException {
        user_id,
        user_name,
        valid_until,
        reason,
        granted_by_name,
        granted_at,
    }
}

const EXCEPTION_SQL: &str =
    "SELECT x.user_id, u.name, x.valid_until, x.reason, x.granted_by_name, x.granted_at \
     FROM ki_pass_exceptions x JOIN users u ON u.id = x.user_id";

/// Offers completed, or attended as the trainer confirmed, per person.
const DONE_SQL: &str = "SELECT user_id, offer_id FROM qualification_completions \
     UNION SELECT e.user_id, s.offer_id FROM qualification_enrolments e \
     JOIN qualification_sessions s ON s.id = e.session_id WHERE e.status IN ('attended', 'completed')";

impl Store {
    /// Grants (or replaces) a person's exception until `valid_until`; the
    /// caller has checked the date and the reason.
    pub async fn grant_ki_pass_exception(
        &self,
        actor: &Actor,
        user_id: i64,
        valid_until: &str,
        reason: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let inserted = sqlx::query(
                "INSERT INTO ki_pass_exceptions (user_id, valid_until, reason, granted_by, granted_by_name, granted_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) DO UPDATE SET valid_until = excluded.valid_until, \
                 reason = excluded.reason, granted_by = excluded.granted_by, granted_by_name = excluded.granted_by_name, \
                 granted_at = excluded.granted_at",
            )
            .bind(user_id)
            .bind(valid_until)
            .bind(reason.trim())
            .bind(actor.id)
            .bind(&actor.name)
            .bind(now())
            .execute(&mut *tx)
            .await;
            match inserted {
                Ok(_) => {}
                Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
                    return Err(StoreError::NotFound)
                }
                Err(e) => return Err(e.into()),
            }
            write_audit!(tx, actor, "KI-Pass-Ausnahme gewährt", format!("Benutzer {user_id}"),
                format!("bis {valid_until}: {}", reason.trim()));
            tx.commit().await?;
        });
        Ok(())
    }

    /// Ends a person's exception now; false if there was none.
    pub async fn revoke_ki_pass_exception(&self, actor: &Actor, user_id: i64) -> Result<bool> {
        let removed = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let removed = sqlx::query("DELETE FROM ki_pass_exceptions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if removed > 0 {
                write_audit!(tx, actor, "KI-Pass-Ausnahme beendet", format!("Benutzer {user_id}"), String::new());
            }
            tx.commit().await?;
            removed > 0
        });
        Ok(removed)
    }

    pub async fn ki_pass_exception(&self, user_id: i64) -> Result<Option<KiPassException>> {
        let sql = format!("{EXCEPTION_SQL} WHERE x.user_id = $1");
        let row: Option<ExceptionRow> = on_db!(self, pool => {
            sqlx::query_as(&sql).bind(user_id).fetch_optional(pool).await?
        });
        Ok(row.map(exception))
    }

    pub async fn ki_pass_exceptions(&self) -> Result<Vec<KiPassException>> {
        let sql = format!("{EXCEPTION_SQL} ORDER BY u.name, x.user_id");
        let rows: Vec<ExceptionRow> = on_db!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(exception).collect())
    }

    /// The offers one person has completed or attended.
    pub async fn offers_done(&self, user_id: i64) -> Result<HashSet<String>> {
        let sql = format!("SELECT offer_id FROM ({DONE_SQL}) d WHERE d.user_id = $1");
        let rows: Vec<(String,)> = on_db!(self, pool => {
            sqlx::query_as(&sql).bind(user_id).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(|(o,)| o).collect())
    }

    /// The same for everyone, for the Art. 4 report.
    pub async fn offers_done_by_person(&self) -> Result<BTreeMap<i64, HashSet<String>>> {
        let rows: Vec<(i64, String)> = on_db!(self, pool => {
            sqlx::query_as(DONE_SQL).fetch_all(pool).await?
        });
        let mut done: BTreeMap<i64, HashSet<String>> = BTreeMap::new();
        for (user, offer) in rows {
            done.entry(user).or_default().insert(offer);
        }
        Ok(done)
    }
}
