//! Metering of the KI-Gateway: one record per request with metadata only
//! (who, which model and backend, data class, token counts, latency,
//! status) — never the prompt or the answer — and token quotas per user,
//! team or department per day or month. Days and months are counted in UTC.

use serde::Serialize;

use crate::{on_db, write_audit, Actor, Result, Store, StoreError};

/// One request through the gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct UsageRecord {
    pub at: i64,
    pub user_id: Option<i64>,
    pub department: Option<String>,
    pub team: Option<String>,
    pub api_key_id: Option<i64>,
    pub model: String,
    pub backend: String,
    /// The class the request was routed by: the declared one, raised by
    /// what the personal-data detector found.
    pub data_class: String,
    /// The class the caller declared (header, key or rule-set default).
    pub declared_class: Option<String>,
    /// The categories of personal data found (slugs, comma-separated).
    pub detected: String,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub latency_ms: i64,
    /// `ok`, `error` or `cancelled`.
    pub status: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QuotaScope {
    User,
    Team,
    Department,
}

impl QuotaScope {
    pub fn slug(self) -> &'static str {
        match self {
            QuotaScope::User => "user",
            QuotaScope::Team => "team",
            QuotaScope::Department => "department",
        }
    }

    pub fn parse(s: &str) -> Option<QuotaScope> {
        [QuotaScope::User, QuotaScope::Team, QuotaScope::Department]
            .into_iter()
            .find(|q| q.slug() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            QuotaScope::User => "der Person",
            QuotaScope::Team => "des Teams",
            QuotaScope::Department => "des Fachbereichs",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QuotaPeriod {
    Day,
    Month,
}

impl QuotaPeriod {
    pub fn slug(self) -> &'static str {
        match self {
            QuotaPeriod::Day => "day",
            QuotaPeriod::Month => "month",
        }
    }

    pub fn parse(s: &str) -> Option<QuotaPeriod> {
        [QuotaPeriod::Day, QuotaPeriod::Month]
            .into_iter()
            .find(|q| q.slug() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            QuotaPeriod::Day => "für heute",
            QuotaPeriod::Month => "für diesen Monat",
        }
    }

    /// Start of the period containing `at` and start of the next one
    /// (Unix seconds, UTC).
    pub fn bounds(self, at: i64) -> (i64, i64) {
        let day = at.div_euclid(86_400) * 86_400;
        match self {
            QuotaPeriod::Day => (day, day + 86_400),
            QuotaPeriod::Month => {
                let date = time::OffsetDateTime::from_unix_timestamp(day)
                    .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
                    .date();
                let first = date.replace_day(1).unwrap_or(date);
                let next = first
                    .replace_day(28)
                    .map(|d| d + time::Duration::days(4))
                    .and_then(|d| d.replace_day(1))
                    .unwrap_or(first);
                let secs = |d: time::Date| d.midnight().assume_utc().unix_timestamp();
                (secs(first), secs(next))
            }
        }
    }
}

/// A token limit for one user, team or department per period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quota {
    pub id: i64,
    pub scope: QuotaScope,
    /// User id (as text), team name or department name.
    pub subject: String,
    pub period: QuotaPeriod,
    pub max_tokens: i64,
}

#[derive(sqlx::FromRow)]
struct QuotaRow {
    id: i64,
    scope: String,
    subject: String,
    period: String,
    max_tokens: i64,
}

/// One line of the usage summary: a day, a model, a department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsageSummaryRow {
    /// YYYY-MM-DD (UTC).
    pub day: String,
    pub model: String,
    pub department: Option<String>,
    pub requests: i64,
    pub errors: i64,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub mean_latency_ms: i64,
}

const RECORD_COLUMNS: &str = "at, user_id, department, team, api_key_id, model, backend, \
     data_class, declared_class, detected, tokens_in, tokens_out, latency_ms, status";

fn day_string(day: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(day * 86_400)
        .map(|t| t.date().to_string())
        .unwrap_or_default()
}

impl Store {
    /// Stores records in one transaction (the gateway writes in batches).
    pub async fn record_usage(&self, records: &[UsageRecord]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO usage_records ({RECORD_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        );
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            for r in records {
                sqlx::query(&sql)
                    .bind(r.at)
                    .bind(r.user_id)
                    .bind(&r.department)
                    .bind(&r.team)
                    .bind(r.api_key_id)
                    .bind(&r.model)
                    .bind(&r.backend)
                    .bind(&r.data_class)
                    .bind(&r.declared_class)
                    .bind(&r.detected)
                    .bind(r.tokens_in)
                    .bind(r.tokens_out)
                    .bind(r.latency_ms)
                    .bind(&r.status)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Tokens (in plus out) used by a user, team or department since `since`.
    pub async fn tokens_used(&self, scope: QuotaScope, subject: &str, since: i64) -> Result<i64> {
        let column = match scope {
            QuotaScope::User => "user_id",
            QuotaScope::Team => "team",
            QuotaScope::Department => "department",
        };
        let sql = format!(
            // PostgreSQL sums BIGINT as NUMERIC; the cast keeps one type.
            "SELECT CAST(COALESCE(SUM(tokens_in + tokens_out), 0) AS BIGINT) FROM usage_records \
             WHERE {column} = $1 AND at >= $2"
        );
        let (used,): (i64,) = match scope {
            QuotaScope::User => {
                let id: i64 = subject.parse().map_err(|_| StoreError::NotFound)?;
                on_db!(self, pool => sqlx::query_as(&sql).bind(id).bind(since).fetch_one(pool).await?)
            }
            _ => {
                on_db!(self, pool => sqlx::query_as(&sql).bind(subject).bind(since).fetch_one(pool).await?)
            }
        };
        Ok(used)
    }

    /// Sets (or replaces) the quota of a subject for a period.
    pub async fn set_quota(
        &self,
        actor: &Actor,
        scope: QuotaScope,
        subject: &str,
        period: QuotaPeriod,
        max_tokens: i64,
    ) -> Result<()> {
        let subject = subject.trim();
        if subject.is_empty() || max_tokens < 0 {
            return Err(StoreError::Duplicate(
                "Ein Kontingent braucht eine Person, ein Team oder einen Fachbereich und eine Token-Zahl ab 0.".into(),
            ));
        }
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM token_quotas WHERE scope = $1 AND subject = $2 AND period = $3")
                .bind(scope.slug())
                .bind(subject)
                .bind(period.slug())
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO token_quotas (scope, subject, period, max_tokens) VALUES ($1, $2, $3, $4)")
                .bind(scope.slug())
                .bind(subject)
                .bind(period.slug())
                .bind(max_tokens)
                .execute(&mut *tx)
                .await?;
            write_audit!(tx, actor, "Token-Kontingent gesetzt", format!("{} {subject}", scope.slug()), format!("{max_tokens} Token je {}", period.slug()));
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn delete_quota(&self, actor: &Actor, id: i64) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query("DELETE FROM token_quotas WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            write_audit!(tx, actor, "Token-Kontingent gelöscht", format!("Kontingent {id}"), String::new());
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every quota, by scope and subject.
    pub async fn quotas(&self) -> Result<Vec<Quota>> {
        let rows: Vec<QuotaRow> = on_db!(self, pool => {
            sqlx::query_as("SELECT id, scope, subject, period, max_tokens FROM token_quotas ORDER BY scope, subject, period")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(Quota {
                    id: r.id,
                    scope: QuotaScope::parse(&r.scope)?,
                    subject: r.subject,
                    period: QuotaPeriod::parse(&r.period)?,
                    max_tokens: r.max_tokens,
                })
            })
            .collect())
    }

    /// Requests, errors, tokens and mean latency per day, model and
    /// department in `[from, to)`.
    pub async fn usage_summary(&self, from: i64, to: i64) -> Result<Vec<UsageSummaryRow>> {
        type Row = (i64, String, Option<String>, i64, i64, i64, i64, i64);
        let rows: Vec<Row> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT at / 86400 AS day, model, department, COUNT(*), \
                 CAST(SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS BIGINT), \
                 CAST(SUM(tokens_in) AS BIGINT), CAST(SUM(tokens_out) AS BIGINT), \
                 CAST(SUM(latency_ms) AS BIGINT) \
                 FROM usage_records WHERE at >= $1 AND at < $2 \
                 GROUP BY at / 86400, model, department ORDER BY day, model, department",
            )
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(day, model, department, n, errors, tin, tout, latency)| UsageSummaryRow {
                    day: day_string(day),
                    model,
                    department,
                    requests: n,
                    errors,
                    tokens_in: tin,
                    tokens_out: tout,
                    mean_latency_ms: if n > 0 { latency / n } else { 0 },
                },
            )
            .collect())
    }

    /// The records in `[from, to)`, oldest first.
    pub async fn usage_records(&self, from: i64, to: i64) -> Result<Vec<UsageRecord>> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM usage_records WHERE at >= $1 AND at < $2 ORDER BY at, id"
        );
        let rows = on_db!(self, pool => {
            sqlx::query_as(&sql).bind(from).bind(to).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// The records in `[from, to)` as CSV (RFC 4180, UTF-8, header row).
    pub async fn usage_csv(&self, from: i64, to: i64) -> Result<String> {
        let records = self.usage_records(from, to).await?;
        let mut w = csv::Writer::from_writer(Vec::new());
        let header = [
            "zeit_utc",
            "benutzer_id",
            "fachbereich",
            "team",
            "modell",
            "backend",
            "datenklasse",
            "datenklasse_angegeben",
            "erkannt",
            "token_ein",
            "token_aus",
            "latenz_ms",
            "status",
        ];
        let csv_error = |e: csv::Error| StoreError::Duplicate(format!("CSV-Export: {e}"));
        w.write_record(header).map_err(csv_error)?;
        for r in records {
            let at = time::OffsetDateTime::from_unix_timestamp(r.at)
                .ok()
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_default();
            w.write_record([
                at,
                r.user_id.map(|i| i.to_string()).unwrap_or_default(),
                r.department.unwrap_or_default(),
                r.team.unwrap_or_default(),
                r.model,
                r.backend,
                r.data_class,
                r.declared_class.unwrap_or_default(),
                r.detected,
                r.tokens_in.to_string(),
                r.tokens_out.to_string(),
                r.latency_ms.to_string(),
                r.status,
            ])
            .map_err(csv_error)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| StoreError::Duplicate(format!("CSV-Export: {e}")))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_start_at_utc_midnight_and_the_first_of_the_month() {
        // 2026-02-15 13:00:00 UTC
        let at = 1_771_160_400;
        assert_eq!(QuotaPeriod::Day.bounds(at), (1_771_113_600, 1_771_200_000));
        // 2026-02-01 .. 2026-03-01
        assert_eq!(
            QuotaPeriod::Month.bounds(at),
            (1_769_904_000, 1_772_323_200)
        );
        // December rolls over into the next year.
        let dec = 1_797_000_000; // 2026-12-11
        let (start, end) = QuotaPeriod::Month.bounds(dec);
        assert_eq!(start, 1_796_083_200); // 2026-12-01
        assert_eq!(end, 1_798_761_600); // 2027-01-01
    }
}
