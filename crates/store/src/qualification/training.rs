//! Trainings (sessions) with enrolment, waiting list and attendance, and
//! the completions they record.

use journey::qualification::evidence::Completion;
use journey::qualification::training::{enrol, EnrolmentStatus, Session};

use super::{from_json, not_found, EnrolmentRecord, SessionRecord};
use crate::usecases::to_json;
use crate::{is_unique_violation, now, on_db, write_audit, Actor, Result, Store, StoreError};

impl Store {
    // ----- trainings -------------------------------------------------------

    pub async fn create_training(&self, actor: &Actor, session: &Session) -> Result<SessionRecord> {
        let data = to_json(session)?;
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let inserted = sqlx::query(
                "INSERT INTO qualification_sessions (id, offer_id, starts_at, capacity, data, created_at, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, 1)",
            )
            .bind(&session.id)
            .bind(&session.offer)
            .bind(&session.starts_at)
            .bind(i64::from(session.capacity))
            .bind(&data)
            .bind(now())
            .execute(&mut *tx)
            .await;
            match inserted {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Duplicate(format!("Den Termin „{}“ gibt es schon.", session.id)))
                }
                Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
                    return Err(not_found("Das Lernangebot", &session.offer))
                }
                Err(e) => return Err(e.into()),
            }
            write_audit!(tx, actor, "Schulungstermin angelegt", format!("Termin {}", session.id),
                format!("{} am {}, {} Plätze", session.title, session.starts_at, session.capacity));
            tx.commit().await?;
        });
        self.training(&session.id).await
    }

    const SESSION_SQL: &'static str = "SELECT s.data, s.version, \
         (SELECT COUNT(*) FROM qualification_enrolments e WHERE e.session_id = s.id \
            AND e.status IN ('enrolled', 'attended', 'completed', 'no_show')), \
         (SELECT COUNT(*) FROM qualification_enrolments e WHERE e.session_id = s.id AND e.status = 'waiting_list') \
         FROM qualification_sessions s";

    pub async fn training(&self, id: &str) -> Result<SessionRecord> {
        let sql = format!("{} WHERE s.id = $1", Self::SESSION_SQL);
        let (data, version, seats_taken, waiting): (String, i64, i64, i64) = on_db!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_one(pool).await?
        });
        Ok(SessionRecord {
            session: from_json(&data)?,
            seats_taken,
            waiting,
            version,
        })
    }

    pub async fn trainings(&self) -> Result<Vec<SessionRecord>> {
        let sql = format!("{} ORDER BY s.starts_at, s.id", Self::SESSION_SQL);
        let rows: Vec<(String, i64, i64, i64)> = on_db!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|(data, version, seats_taken, waiting)| {
                Ok(SessionRecord {
                    session: from_json(&data)?,
                    seats_taken,
                    waiting,
                    version,
                })
            })
            .collect()
    }

    /// Enrols a person: a seat while one is free, else the waiting list.
    /// The session row is locked first (an UPDATE takes the write lock in
    /// both dialects), so concurrent enrolments see each other's seats.
    pub async fn enrol(
        &self,
        actor: &Actor,
        session_id: &str,
        user_id: i64,
    ) -> Result<EnrolmentStatus> {
        let at = now();
        let status = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let locked = sqlx::query("UPDATE qualification_sessions SET version = version WHERE id = $1")
                .bind(session_id)
                .execute(&mut *tx)
                .await?;
            if locked.rows_affected() == 0 {
                return Err(not_found("Den Termin", session_id));
            }
            let (capacity, taken): (i64, i64) = sqlx::query_as(
                "SELECT s.capacity, (SELECT COUNT(*) FROM qualification_enrolments e WHERE e.session_id = s.id \
                 AND e.status IN ('enrolled', 'attended', 'completed', 'no_show')) \
                 FROM qualification_sessions s WHERE s.id = $1",
            )
            .bind(session_id)
            .fetch_one(&mut *tx)
            .await?;
            let status = enrol(u32::try_from(capacity).unwrap_or(0), u32::try_from(taken).unwrap_or(u32::MAX));
            let existing: Option<(String,)> = sqlx::query_as(
                "SELECT status FROM qualification_enrolments WHERE session_id = $1 AND user_id = $2",
            )
            .bind(session_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            match existing.as_ref().and_then(|(s,)| EnrolmentStatus::parse(s)) {
                Some(EnrolmentStatus::Cancelled) => {
                    sqlx::query(
                        "UPDATE qualification_enrolments SET status = $1, enrolled_by = $2, enrolled_at = $3, updated_at = $3 \
                         WHERE session_id = $4 AND user_id = $5",
                    )
                    .bind(status.key())
                    .bind(actor.id)
                    .bind(at)
                    .bind(session_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                }
                Some(current) => {
                    return Err(StoreError::Duplicate(format!(
                        "Die Person ist für diesen Termin bereits eingetragen ({}).",
                        current.label()
                    )))
                }
                None => {
                    sqlx::query(
                        "INSERT INTO qualification_enrolments (session_id, user_id, status, enrolled_by, enrolled_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $5)",
                    )
                    .bind(session_id)
                    .bind(user_id)
                    .bind(status.key())
                    .bind(actor.id)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            write_audit!(tx, actor, "Zu Schulung angemeldet", format!("Termin {session_id}"),
                format!("Benutzer {user_id}: {}", status.label()));
            tx.commit().await?;
            status
        });
        Ok(status)
    }

    /// Cancels an enrolment; a freed seat goes to the first on the waiting
    /// list, whose id is returned.
    pub async fn cancel_enrolment(
        &self,
        actor: &Actor,
        session_id: &str,
        user_id: i64,
    ) -> Result<Option<i64>> {
        let at = now();
        let promoted = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE qualification_sessions SET version = version WHERE id = $1")
                .bind(session_id)
                .execute(&mut *tx)
                .await?;
            let before: Option<(String,)> = sqlx::query_as(
                "SELECT status FROM qualification_enrolments WHERE session_id = $1 AND user_id = $2",
            )
            .bind(session_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(before) = before.and_then(|(s,)| EnrolmentStatus::parse(&s)) else {
                return Err(StoreError::NotFound);
            };
            sqlx::query("UPDATE qualification_enrolments SET status = 'cancelled', updated_at = $1 WHERE session_id = $2 AND user_id = $3")
                .bind(at)
                .bind(session_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            let mut promoted = None;
            if before.holds_seat() {
                let next: Option<(i64,)> = sqlx::query_as(
                    "SELECT user_id FROM qualification_enrolments WHERE session_id = $1 AND status = 'waiting_list' \
                     ORDER BY enrolled_at, user_id LIMIT 1",
                )
                .bind(session_id)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((next,)) = next {
                    sqlx::query("UPDATE qualification_enrolments SET status = 'enrolled', updated_at = $1 WHERE session_id = $2 AND user_id = $3")
                        .bind(at)
                        .bind(session_id)
                        .bind(next)
                        .execute(&mut *tx)
                        .await?;
                    promoted = Some(next);
                }
            }
            write_audit!(tx, actor, "Von Schulung abgemeldet", format!("Termin {session_id}"),
                match promoted {
                    Some(p) => format!("Benutzer {user_id}; nachgerückt: Benutzer {p}"),
                    None => format!("Benutzer {user_id}"),
                });
            tx.commit().await?;
            promoted
        });
        Ok(promoted)
    }

    /// Records attendance (`attended` or `no_show`) or completion. Completion
    /// also records the session's offer as completed on `completed_on`.
    pub async fn set_enrolment_status(
        &self,
        actor: &Actor,
        session_id: &str,
        user_id: i64,
        status: EnrolmentStatus,
        completed_on: &str,
    ) -> Result<()> {
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let row: Option<(String, String)> = sqlx::query_as(
                "SELECT e.status, s.offer_id FROM qualification_enrolments e \
                 JOIN qualification_sessions s ON s.id = e.session_id WHERE e.session_id = $1 AND e.user_id = $2",
            )
            .bind(session_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((from, offer_id)) = row else { return Err(StoreError::NotFound) };
            let from = EnrolmentStatus::parse(&from).unwrap_or(EnrolmentStatus::Cancelled);
            let allowed = match status {
                EnrolmentStatus::Attended | EnrolmentStatus::NoShow => {
                    journey::qualification::training::can_record_attendance(from)
                }
                EnrolmentStatus::Completed => matches!(from, EnrolmentStatus::Attended | EnrolmentStatus::Completed),
                _ => false,
            };
            if !allowed {
                return Err(StoreError::Duplicate(format!(
                    "Der Status kann nicht von „{}“ zu „{}“ wechseln.", from.label(), status.label()
                )));
            }
            sqlx::query("UPDATE qualification_enrolments SET status = $1, updated_at = $2 WHERE session_id = $3 AND user_id = $4")
                .bind(status.key())
                .bind(at)
                .bind(session_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            if status == EnrolmentStatus::Completed {
                sqlx::query(
                    "INSERT INTO qualification_completions (user_id, offer_id, completed_on, session_id, recorded_by, recorded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, offer_id) DO NOTHING",
                )
                .bind(user_id)
                .bind(&offer_id)
                .bind(completed_on)
                .bind(session_id)
                .bind(actor.id)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            write_audit!(tx, actor, "Schulungsstatus erfasst", format!("Termin {session_id}"),
                format!("Benutzer {user_id}: {}", status.label()));
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records an offer completed outside a session (e.g. an online course).
    pub async fn record_completion(
        &self,
        actor: &Actor,
        user_id: i64,
        offer_id: &str,
        completed_on: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let inserted = sqlx::query(
                "INSERT INTO qualification_completions (user_id, offer_id, completed_on, session_id, recorded_by, recorded_at) \
                 VALUES ($1, $2, $3, NULL, $4, $5) ON CONFLICT (user_id, offer_id) DO UPDATE SET completed_on = excluded.completed_on",
            )
            .bind(user_id)
            .bind(offer_id)
            .bind(completed_on)
            .bind(actor.id)
            .bind(now())
            .execute(&mut *tx)
            .await;
            match inserted {
                Ok(_) => {}
                Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
                    return Err(not_found("Das Lernangebot oder die Person", offer_id))
                }
                Err(e) => return Err(e.into()),
            }
            write_audit!(tx, actor, "Lernangebot abgeschlossen", format!("Benutzer {user_id}"),
                format!("{offer_id} am {completed_on}"));
            tx.commit().await?;
        });
        Ok(())
    }

    /// Enrolments of one session (`Some`) or of one person (`user`).
    pub async fn enrolments(
        &self,
        session_id: Option<&str>,
        user_id: Option<i64>,
    ) -> Result<Vec<EnrolmentRecord>> {
        let rows: Vec<(String, i64, String, Option<String>, String, i64)> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT e.session_id, e.user_id, u.name, u.department, e.status, e.enrolled_at \
                 FROM qualification_enrolments e JOIN users u ON u.id = e.user_id \
                 WHERE ($1 IS NULL OR e.session_id = $1) AND ($2 IS NULL OR e.user_id = $2) \
                 ORDER BY e.session_id, e.enrolled_at, e.user_id",
            )
            .bind(session_id)
            .bind(user_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(session_id, user_id, user_name, department, status, enrolled_at)| {
                    EnrolmentRecord {
                        session_id,
                        user_id,
                        user_name,
                        department,
                        status: EnrolmentStatus::parse(&status)
                            .unwrap_or(EnrolmentStatus::Cancelled),
                        enrolled_at,
                    }
                },
            )
            .collect())
    }

    pub async fn completions(&self, user_id: i64) -> Result<Vec<Completion>> {
        let rows: Vec<(String, String)> = on_db!(self, pool => {
            sqlx::query_as("SELECT offer_id, completed_on FROM qualification_completions WHERE user_id = $1 ORDER BY completed_on, offer_id")
                .bind(user_id)
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(offer, completed_on)| Completion {
                offer,
                completed_on,
            })
            .collect())
    }
}
