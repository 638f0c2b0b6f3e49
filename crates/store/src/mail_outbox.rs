//! The mail outbox: messages to staff wait here until the portal's
//! background job has handed them to the SMTP server, and stay as a send
//! log (recipient, kind, status, times, error; never the content once sent).
//!
//! A message moves `wartend` → `sendet` → `gesendet`; `sendet` is written
//! before the SMTP transaction by a conditional update, so of several
//! workers (instances) exactly one takes it. A failure puts it back to
//! `wartend` with a later `next_attempt_at`, or ends it as
//! `fehlgeschlagen`. `entfallen` is a message that became pointless before
//! it was sent (a survey answered meanwhile).

use crate::{now, on_db, random_token, write_audit, Actor, Result, Store};

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailStatus {
    Waiting,
    Sending,
    Sent,
    Failed,
    Dropped,
}

impl MailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Waiting => "wartend",
            MailStatus::Sending => "sendet",
            MailStatus::Sent => "gesendet",
            MailStatus::Failed => "fehlgeschlagen",
            MailStatus::Dropped => "entfallen",
        }
    }

    pub fn parse(s: &str) -> MailStatus {
        match s {
            "sendet" => MailStatus::Sending,
            "gesendet" => MailStatus::Sent,
            "fehlgeschlagen" => MailStatus::Failed,
            "entfallen" => MailStatus::Dropped,
            _ => MailStatus::Waiting,
        }
    }
}

/// A message to queue. Without `body` the sender renders it from the
/// kind's template when it sends (survey mails: the personal link exists
/// only from then on).
#[derive(Debug, Clone, Default)]
pub struct NewMail {
    pub kind: String,
    pub template: String,
    pub ref_id: Option<i64>,
    pub ref_key: Option<String>,
    pub user_id: Option<i64>,
    pub recipient_name: String,
    pub recipient_email: String,
    pub subject: Option<String>,
    pub body: Option<String>,
}

/// A queued or finished message.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxMail {
    pub id: String,
    pub kind: String,
    pub template: String,
    pub ref_id: Option<i64>,
    pub ref_key: Option<String>,
    pub user_id: Option<i64>,
    pub recipient_name: String,
    pub recipient_email: String,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub created_at: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
    status: String,
    pub sending_since: Option<i64>,
    pub finished_at: Option<i64>,
    pub last_error: Option<String>,
}

impl OutboxMail {
    pub fn status(&self) -> MailStatus {
        MailStatus::parse(&self.status)
    }
}

/// How many messages of one kind and reference stand where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailCounts {
    pub waiting: i64,
    pub sending: i64,
    pub sent: i64,
    pub failed: i64,
    pub dropped: i64,
}

impl MailCounts {
    pub fn total(&self) -> i64 {
        self.waiting + self.sending + self.sent + self.failed + self.dropped
    }
}

/// A template the municipality edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTemplate {
    pub subject: String,
    pub body: String,
    pub updated_at: i64,
    pub updated_by_name: String,
}

const COLUMNS: &str = "id, kind, template, ref_id, ref_key, user_id, recipient_name, recipient_email, \
     subject, body, created_at, attempts, next_attempt_at, status, sending_since, finished_at, last_error";

impl Store {
    /// Queues `mails` in one transaction with one audit entry; returns
    /// their ids (also their Message-IDs).
    pub async fn enqueue_mails(
        &self,
        actor: &Actor,
        mails: &[NewMail],
        audit_action: &str,
        audit_object: &str,
    ) -> Result<Vec<String>> {
        let ids = self
            .enqueue(actor, mails, audit_action, audit_object, None)
            .await?;
        Ok(ids.unwrap_or_default())
    }

    /// Queues `mails` as the run of `job` for `period` (see
    /// [`Store::claim_scheduled_run`]): the run is recorded in the same
    /// transaction, so of several instances exactly one queues them, and a
    /// crash queues neither the mails nor the run. `None` when the run was
    /// recorded already.
    pub async fn enqueue_mails_once(
        &self,
        actor: &Actor,
        (job, period): (&str, &str),
        mails: &[NewMail],
        audit_action: &str,
        audit_object: &str,
    ) -> Result<Option<Vec<String>>> {
        self.enqueue(
            actor,
            mails,
            audit_action,
            audit_object,
            Some((job, period)),
        )
        .await
    }

    async fn enqueue(
        &self,
        actor: &Actor,
        mails: &[NewMail],
        audit_action: &str,
        audit_object: &str,
        once: Option<(&str, &str)>,
    ) -> Result<Option<Vec<String>>> {
        let at = now();
        let ids: Vec<String> = mails.iter().map(|_| random_token(16)).collect();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            if let Some((job, period)) = once {
                // On PostgreSQL a second instance's insert waits for this
                // transaction and then inserts nothing.
                let first = sqlx::query(
                    "INSERT INTO scheduled_runs (job, period, ran_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (job, period) DO NOTHING",
                )
                .bind(job)
                .bind(period)
                .bind(at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if first == 0 {
                    tx.rollback().await?;
                    return Ok(None);
                }
            }
            for (m, id) in mails.iter().zip(&ids) {
                sqlx::query(
                    "INSERT INTO mail_outbox (id, kind, template, ref_id, ref_key, user_id, recipient_name, \
                     recipient_email, subject, body, created_at, attempts, next_attempt_at, status) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $11, 'wartend')",
                )
                .bind(id)
                .bind(&m.kind)
                .bind(&m.template)
                .bind(m.ref_id)
                .bind(&m.ref_key)
                .bind(m.user_id)
                .bind(&m.recipient_name)
                .bind(&m.recipient_email)
                .bind(&m.subject)
                .bind(&m.body)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            write_audit!(tx, actor, audit_action, audit_object,
                format!("{} E-Mails in die Warteschlange gestellt", mails.len()));
            tx.commit().await?;
        });
        Ok(Some(ids))
    }

    /// Takes up to `limit` due messages for sending: each is marked
    /// `sendet` (attempts + 1) by an update that only succeeds while it is
    /// still `wartend`, so no two workers take the same message.
    pub async fn claim_due_mails(&self, limit: i64) -> Result<Vec<OutboxMail>> {
        let at = now();
        let claimed = on_db!(self, pool => {
            let due: Vec<(String,)> = sqlx::query_as(
                "SELECT id FROM mail_outbox WHERE status = 'wartend' AND next_attempt_at <= $1 \
                 ORDER BY next_attempt_at, created_at, id LIMIT $2",
            )
            .bind(at)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            let mut claimed = Vec::new();
            for (id,) in due {
                let taken = sqlx::query(
                    "UPDATE mail_outbox SET status = 'sendet', sending_since = $1, attempts = attempts + 1 \
                     WHERE id = $2 AND status = 'wartend'",
                )
                .bind(at)
                .bind(&id)
                .execute(pool)
                .await?
                .rows_affected();
                if taken == 1 {
                    let sql = format!("SELECT {COLUMNS} FROM mail_outbox WHERE id = $1");
                    claimed.push(sqlx::query_as::<_, OutboxMail>(&sql).bind(&id).fetch_one(pool).await?);
                }
            }
            claimed
        });
        Ok(claimed)
    }

    /// The server accepted the message: it is done, and its content goes.
    pub async fn mark_mail_sent(&self, id: &str) -> Result<()> {
        self.finish_mail(id, MailStatus::Sent, None).await
    }

    /// Nothing to send any more (e.g. the survey was answered meanwhile).
    pub async fn mark_mail_dropped(&self, id: &str, why: &str) -> Result<()> {
        self.finish_mail(id, MailStatus::Dropped, Some(why)).await
    }

    /// Given up (refused by the server, or too many attempts). A content
    /// the message brought is kept, so the administration may queue it
    /// again.
    pub async fn mark_mail_failed(&self, id: &str, error: &str) -> Result<()> {
        self.finish_mail(id, MailStatus::Failed, Some(error)).await
    }

    async fn finish_mail(&self, id: &str, status: MailStatus, error: Option<&str>) -> Result<()> {
        let keep_body = status == MailStatus::Failed;
        on_db!(self, pool => {
            sqlx::query(
                "UPDATE mail_outbox SET status = $1, finished_at = $2, sending_since = NULL, \
                 last_error = COALESCE($3, last_error), \
                 body = CASE WHEN $4 THEN body ELSE NULL END \
                 WHERE id = $5 AND status = 'sendet'",
            )
            .bind(status.as_str())
            .bind(now())
            .bind(error)
            .bind(keep_body)
            .bind(id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The server could not be reached or refused for now: try again at
    /// `next_at`.
    pub async fn mark_mail_retry(&self, id: &str, error: &str, next_at: i64) -> Result<()> {
        on_db!(self, pool => {
            sqlx::query(
                "UPDATE mail_outbox SET status = 'wartend', sending_since = NULL, last_error = $1, \
                 next_attempt_at = $2 WHERE id = $3 AND status = 'sendet'",
            )
            .bind(error)
            .bind(next_at)
            .bind(id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Messages left in `sendet` since before `before` (a process died
    /// during the SMTP transaction): whether the server took them is
    /// unknown, so they are never sent again by themselves but marked
    /// `fehlgeschlagen` with that reason for the administration to decide.
    pub async fn give_up_interrupted_mails(&self, before: i64, why: &str) -> Result<u64> {
        let n = on_db!(self, pool => {
            sqlx::query(
                "UPDATE mail_outbox SET status = 'fehlgeschlagen', finished_at = $1, \
                 sending_since = NULL, last_error = $2 \
                 WHERE status = 'sendet' AND sending_since < $3",
            )
            .bind(now())
            .bind(why)
            .bind(before)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n)
    }

    /// Puts a failed message back in the queue, due now. Only a message
    /// that is `fehlgeschlagen`; returns whether it was.
    pub async fn requeue_mail(&self, actor: &Actor, id: &str) -> Result<bool> {
        let at = now();
        let done = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query(
                "UPDATE mail_outbox SET status = 'wartend', next_attempt_at = $1, attempts = 0, \
                 finished_at = NULL WHERE id = $2 AND status = 'fehlgeschlagen'",
            )
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                write_audit!(tx, actor, "E-Mail erneut in die Warteschlange gestellt", format!("E-Mail {id}"), String::new());
            }
            tx.commit().await?;
            n == 1
        });
        Ok(done)
    }

    /// The newest `limit` messages for the send log (content not read).
    pub async fn mail_log(&self, limit: i64) -> Result<Vec<OutboxMail>> {
        let sql = "SELECT id, kind, template, ref_id, ref_key, user_id, recipient_name, recipient_email, \
             subject, NULL AS body, created_at, attempts, next_attempt_at, status, sending_since, \
             finished_at, last_error FROM mail_outbox ORDER BY created_at DESC, id DESC LIMIT $1";
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, OutboxMail>(sql).bind(limit).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// One message of the log (content not read).
    pub async fn mail(&self, id: &str) -> Result<Option<OutboxMail>> {
        let sql = "SELECT id, kind, template, ref_id, ref_key, user_id, recipient_name, recipient_email, \
             subject, NULL AS body, created_at, attempts, next_attempt_at, status, sending_since, \
             finished_at, last_error FROM mail_outbox WHERE id = $1";
        let row = on_db!(self, pool => {
            sqlx::query_as::<_, OutboxMail>(sql).bind(id).fetch_optional(pool).await?
        });
        Ok(row)
    }

    /// Counts per status of the messages of `kind` about `ref_id`.
    pub async fn mail_counts(&self, kind: &str, ref_id: i64) -> Result<MailCounts> {
        self.counts_about(kind, Some(ref_id), None).await
    }

    /// Counts per status of the messages of `kind` about the subject with
    /// the text id `ref_key` (a training session).
    pub async fn mail_counts_by_key(&self, kind: &str, ref_key: &str) -> Result<MailCounts> {
        self.counts_about(kind, None, Some(ref_key)).await
    }

    async fn counts_about(
        &self,
        kind: &str,
        ref_id: Option<i64>,
        ref_key: Option<&str>,
    ) -> Result<MailCounts> {
        let rows: Vec<(String, i64)> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT status, COUNT(*) FROM mail_outbox WHERE kind = $1 \
                 AND (ref_id = $2 OR ref_key = $3) GROUP BY status",
            )
            .bind(kind)
            .bind(ref_id)
            .bind(ref_key)
            .fetch_all(pool)
            .await?
        });
        let mut c = MailCounts::default();
        for (status, n) in rows {
            match MailStatus::parse(&status) {
                MailStatus::Waiting => c.waiting += n,
                MailStatus::Sending => c.sending += n,
                MailStatus::Sent => c.sent += n,
                MailStatus::Failed => c.failed += n,
                MailStatus::Dropped => c.dropped += n,
            }
        }
        Ok(c)
    }

    /// Accounts that already have a message of `kind` about `ref_id`
    /// waiting or being sent (a second click queues nothing twice).
    pub async fn mail_pending_user_ids(&self, kind: &str, ref_id: i64) -> Result<Vec<i64>> {
        self.pending_about(kind, Some(ref_id), None).await
    }

    /// Accounts that have a message of `kind` about the subject `ref_key`
    /// waiting, being sent or sent (an invitation to a training session
    /// goes to each person once; a failed one may be sent again).
    pub async fn mail_user_ids_by_key(&self, kind: &str, ref_key: &str) -> Result<Vec<i64>> {
        self.pending_about(kind, None, Some(ref_key)).await
    }

    async fn pending_about(
        &self,
        kind: &str,
        ref_id: Option<i64>,
        ref_key: Option<&str>,
    ) -> Result<Vec<i64>> {
        // A survey reminder may follow a sent invitation; an invitation to
        // a session (by `ref_key`) is sent once.
        let statuses = if ref_key.is_some() {
            "('wartend', 'sendet', 'gesendet')"
        } else {
            "('wartend', 'sendet')"
        };
        let sql = format!(
            "SELECT user_id FROM mail_outbox WHERE kind = $1 AND (ref_id = $2 OR ref_key = $3) \
             AND status IN {statuses} AND user_id IS NOT NULL"
        );
        let rows: Vec<(i64,)> = on_db!(self, pool => {
            sqlx::query_as(&sql)
            .bind(kind)
            .bind(ref_id)
            .bind(ref_key)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The edited template of `kind`, if any.
    pub async fn mail_template(&self, kind: &str) -> Result<Option<StoredTemplate>> {
        let row: Option<(String, String, i64, String)> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT subject, body, updated_at, updated_by_name FROM mail_templates WHERE kind = $1",
            )
            .bind(kind)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(
            |(subject, body, updated_at, updated_by_name)| StoredTemplate {
                subject,
                body,
                updated_at,
                updated_by_name,
            },
        ))
    }

    /// Saves the template of `kind`; `None` returns to the default.
    pub async fn set_mail_template(
        &self,
        actor: &Actor,
        kind: &str,
        text: Option<(&str, &str)>,
    ) -> Result<()> {
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM mail_templates WHERE kind = $1")
                .bind(kind)
                .execute(&mut *tx)
                .await?;
            if let Some((subject, body)) = text {
                sqlx::query(
                    "INSERT INTO mail_templates (kind, subject, body, updated_at, updated_by_name) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(kind)
                .bind(subject)
                .bind(body)
                .bind(at)
                .bind(&actor.name)
                .execute(&mut *tx)
                .await?;
            }
            let action = if text.is_some() { "E-Mail-Vorlage geändert" } else { "E-Mail-Vorlage zurückgesetzt" };
            write_audit!(tx, actor, action, format!("Vorlage {kind}"), String::new());
            tx.commit().await?;
        });
        Ok(())
    }
}
