//! Failed logins, counted per account and per client address, so that
//! guessing passwords is slow on every app instance alike.

use crate::{now, on_db, Result, Store};

impl Store {
    pub async fn record_login_failure(&self, key: &str) -> Result<()> {
        on_db!(self, pool => {
            sqlx::query("INSERT INTO login_failures (key, at) VALUES ($1, $2)")
                .bind(key)
                .bind(now())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Failures for `key` within the last `window_secs`, and the time of the
    /// oldest of them (to tell the user when to try again).
    pub async fn login_failures(&self, key: &str, window_secs: i64) -> Result<(i64, Option<i64>)> {
        let since = now() - window_secs;
        let row: (i64, Option<i64>) = on_db!(self, pool => {
            sqlx::query_as("SELECT COUNT(*), MIN(at) FROM login_failures WHERE key = $1 AND at > $2")
                .bind(key)
                .bind(since)
                .fetch_one(pool)
                .await?
        });
        Ok(row)
    }

    pub async fn clear_login_failures(&self, key: &str) -> Result<()> {
        on_db!(self, pool => {
            sqlx::query("DELETE FROM login_failures WHERE key = $1").bind(key).execute(pool).await?;
        });
        Ok(())
    }
}
