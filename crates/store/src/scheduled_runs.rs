//! Once-per-period background jobs across instances: a job names its
//! period (`2026-12-07` for a daily one, `2026-12-07T14` for an hourly
//! one), and only the instance that records the run first does it.

use crate::{now, on_db, Result, Store};

/// The period of an hourly job at `unix` (UTC): `2026-12-07T14`.
pub fn hour_period(unix: i64) -> String {
    let day = time::OffsetDateTime::from_unix_timestamp(unix.div_euclid(86_400) * 86_400)
        .map(|t| t.date().to_string())
        .unwrap_or_default();
    format!("{day}T{:02}", unix.rem_euclid(86_400) / 3600)
}

impl Store {
    /// Records that `job` runs for `period`; `false` when an instance did
    /// so already (then this one skips the run).
    pub async fn claim_scheduled_run(&self, job: &str, period: &str) -> Result<bool> {
        let inserted = on_db!(self, pool => {
            sqlx::query(
                "INSERT INTO scheduled_runs (job, period, ran_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (job, period) DO NOTHING",
            )
            .bind(job)
            .bind(period)
            .bind(now())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// Whether `job` was recorded for `period`.
    pub async fn scheduled_run_done(&self, job: &str, period: &str) -> Result<bool> {
        let row: Option<(i64,)> = on_db!(self, pool => {
            sqlx::query_as("SELECT ran_at FROM scheduled_runs WHERE job = $1 AND period = $2")
                .bind(job)
                .bind(period)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.is_some())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_hour_is_named_by_its_day_and_hour() {
        assert_eq!(super::hour_period(0), "1970-01-01T00");
        assert_eq!(super::hour_period(86_400 + 3 * 3600 + 59), "1970-01-02T03");
    }
}
