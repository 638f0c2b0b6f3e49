//! The AI Act duties of each use case as tracked tasks
//! (`journey::usecase::duties`): kept per use case and duty, written as a
//! whole list when the classification is synchronised and one at a time
//! when a person changes one. Nothing here deletes a duty.

use journey::usecase::ai_act::Role;
use journey::usecase::duties::{DutyStatus, DutyTask, EvidenceFile, EvidenceKind, EvidenceLink};
use serde::Serialize;

use crate::usecases::{decode_error, to_json};
use crate::{now, on_db, write_audit, Actor, Result, Store, StoreError};

#[derive(sqlx::FromRow)]
struct DutyRow {
    use_case_id: String,
    duty: String,
    title: String,
    articles: String,
    duty_of: Option<String>,
    applies_from: String,
    owner_id: Option<i64>,
    due: String,
    due_set: bool,
    status: String,
    reason: String,
    evidence_stored: Option<String>,
    evidence_name: Option<String>,
    evidence_kind: Option<String>,
    evidence_size: Option<i64>,
    evidence_link: Option<String>,
    review_on: Option<String>,
    current: bool,
}

const COLUMNS: &str = "use_case_id, duty, title, articles, duty_of, applies_from, owner_id, due, \
     due_set, status, reason, evidence_stored, evidence_name, evidence_kind, evidence_size, \
     evidence_link, review_on, current";

fn bad(what: &str, value: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("usecase_duties.{what}: „{value}“").into(),
    ))
}

fn enum_key<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A role as stored (`deployer`).
pub(crate) fn role_key(role: Role) -> String {
    enum_key(&role)
}

fn from_key<T: serde::de::DeserializeOwned>(what: &str, key: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(key.to_owned())).map_err(|_| bad(what, key))
}

impl TryFrom<DutyRow> for DutyTask {
    type Error = StoreError;

    fn try_from(r: DutyRow) -> Result<DutyTask> {
        let evidence_file = match (r.evidence_stored, r.evidence_name, r.evidence_kind) {
            (Some(stored), Some(name), Some(kind)) => Some(EvidenceFile {
                stored: stored
                    .clone()
                    .try_into()
                    .map_err(|_| bad("evidence_stored", &stored))?,
                name,
                kind: from_key::<EvidenceKind>("evidence_kind", &kind)?,
                size: u64::try_from(r.evidence_size.unwrap_or(0)).unwrap_or(0),
            }),
            _ => None,
        };
        Ok(DutyTask {
            use_case: r.use_case_id,
            duty: r.duty,
            title: r.title,
            articles: serde_json::from_str(&r.articles).map_err(decode_error)?,
            duty_of: r
                .duty_of
                .as_deref()
                .map(|k| from_key::<Role>("duty_of", k))
                .transpose()?,
            applies_from: r.applies_from,
            owner: r.owner_id,
            due: r.due,
            due_set: r.due_set,
            status: DutyStatus::from_key(&r.status).ok_or_else(|| bad("status", &r.status))?,
            reason: r.reason,
            evidence_file,
            evidence_link: r
                .evidence_link
                .map(|l| EvidenceLink::parse(&l).map_err(|_| bad("evidence_link", &l)))
                .transpose()?,
            review_on: r.review_on,
            current: r.current,
        })
    }
}

/// An overdue duty with whom to remind: for the reminder e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverdueDuty {
    pub use_case_id: String,
    pub use_case_title: String,
    pub duty: String,
    pub title: String,
    pub due: String,
    /// `None` while nobody owns the duty (the reminder then goes to the
    /// project team).
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    pub owner_email: Option<String>,
}

impl Store {
    /// The duties of one use case, in the classification's order (those it
    /// no longer lists last).
    pub async fn duty_tasks(&self, use_case_id: &str) -> Result<Vec<DutyTask>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM usecase_duties WHERE use_case_id = $1 ORDER BY position, duty"
        );
        let rows: Vec<DutyRow> = on_db!(self, pool => {
            sqlx::query_as(&sql).bind(use_case_id).fetch_all(pool).await?
        });
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// The duties of all use cases.
    pub async fn all_duty_tasks(&self) -> Result<Vec<DutyTask>> {
        let sql =
            format!("SELECT {COLUMNS} FROM usecase_duties ORDER BY use_case_id, position, duty");
        let rows: Vec<DutyRow> = on_db!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Writes the duties of a use case as `tasks` has them (inserting new
    /// ones, replacing kept ones, at their place in `tasks`), or only those
    /// named in `only`, with `change` in the audit log. Duties not written
    /// stay as they are.
    pub async fn save_duty_tasks(
        &self,
        actor: &Actor,
        use_case_id: &str,
        tasks: &[DutyTask],
        only: Option<&[&str]>,
        change: &str,
    ) -> Result<()> {
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            for (position, t) in tasks.iter().enumerate() {
                if only.is_some_and(|o| !o.contains(&t.duty.as_str())) {
                    continue;
                }
                let file = t.evidence_file.as_ref();
                sqlx::query(
                    "INSERT INTO usecase_duties (use_case_id, duty, position, title, articles, duty_of, \
                     applies_from, owner_id, due, due_set, status, reason, evidence_stored, evidence_name, \
                     evidence_kind, evidence_size, evidence_link, review_on, current, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) \
                     ON CONFLICT (use_case_id, duty) DO UPDATE SET position = excluded.position, \
                     title = excluded.title, articles = excluded.articles, duty_of = excluded.duty_of, \
                     applies_from = excluded.applies_from, owner_id = excluded.owner_id, due = excluded.due, \
                     due_set = excluded.due_set, status = excluded.status, reason = excluded.reason, \
                     evidence_stored = excluded.evidence_stored, evidence_name = excluded.evidence_name, \
                     evidence_kind = excluded.evidence_kind, evidence_size = excluded.evidence_size, \
                     evidence_link = excluded.evidence_link, review_on = excluded.review_on, \
                     current = excluded.current, updated_at = excluded.updated_at",
                )
                .bind(use_case_id)
                .bind(&t.duty)
                .bind(i64::try_from(position).unwrap_or(i64::MAX))
                .bind(&t.title)
                .bind(to_json(&t.articles)?)
                .bind(t.duty_of.as_ref().map(enum_key))
                .bind(&t.applies_from)
                .bind(t.owner)
                .bind(&t.due)
                .bind(t.due_set)
                .bind(t.status.key())
                .bind(&t.reason)
                .bind(file.map(|f| f.stored.as_str().to_owned()))
                .bind(file.map(|f| f.name.clone()))
                .bind(file.map(|f| enum_key(&f.kind)))
                .bind(file.map(|f| i64::try_from(f.size).unwrap_or(i64::MAX)))
                .bind(t.evidence_link.as_ref().map(|l| l.as_str().to_owned()))
                .bind(t.review_on.as_deref())
                .bind(t.current)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(|e| match e {
                    sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound,
                    e => e.into(),
                })?;
            }
            write_audit!(tx, actor, "KI-VO-Pflichten geändert", format!("Anwendungsfall {use_case_id}"),
                change.to_string());
            tx.commit().await?;
        });
        Ok(())
    }

    /// The duties due before `today` (ISO) and neither fulfilled nor
    /// declared not applicable, that the classification still lists, with
    /// their owners' names and e-mail addresses; oldest first.
    pub async fn overdue_duties(&self, today: &str) -> Result<Vec<OverdueDuty>> {
        self.open_duties_due_before(today).await
    }

    /// Like [`Store::overdue_duties`], for any `limit` (ISO): a later one
    /// also gives the duties soon due.
    pub async fn open_duties_due_before(&self, limit: &str) -> Result<Vec<OverdueDuty>> {
        type Row = (
            String,
            String,
            String,
            String,
            String,
            Option<i64>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT d.use_case_id, c.title, d.duty, d.title, d.due, d.owner_id, u.name, u.email \
                 FROM usecase_duties d JOIN use_cases c ON c.id = d.use_case_id \
                 LEFT JOIN users u ON u.id = d.owner_id \
                 WHERE d.current = $1 AND d.status IN ('open', 'in_progress') AND d.due < $2 \
                 ORDER BY d.due, d.use_case_id, d.position",
            )
            .bind(true)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(
                    use_case_id,
                    use_case_title,
                    duty,
                    title,
                    due,
                    owner_id,
                    owner_name,
                    owner_email,
                )| {
                    OverdueDuty {
                        use_case_id,
                        use_case_title,
                        duty,
                        title,
                        due,
                        owner_id,
                        owner_name,
                        owner_email,
                    }
                },
            )
            .collect())
    }
}
