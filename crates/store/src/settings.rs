//! Small instance-wide settings as key/value pairs (e.g. the hash of the
//! one-time set-up code).

use crate::{on_db, Result, Store};

/// Sets or (with `None`) removes a setting inside the given transaction,
/// beside the audit entry that records the change.
macro_rules! put_setting {
    ($tx:expr, $key:expr, $value:expr) => {
        match $value {
            Some(value) => {
                sqlx::query(
                    "INSERT INTO settings (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind($key)
                .bind(value)
                .execute(&mut *$tx)
                .await?
            }
            None => {
                sqlx::query("DELETE FROM settings WHERE key = $1")
                    .bind($key)
                    .execute(&mut *$tx)
                    .await?
            }
        }
    };
}
pub(crate) use put_setting;

impl Store {
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let value: Option<(String,)> = on_db!(self, pool => {
            sqlx::query_as("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await?
        });
        Ok(value.map(|v| v.0))
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        on_db!(self, pool => {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn delete_setting(&self, key: &str) -> Result<()> {
        on_db!(self, pool => {
            sqlx::query("DELETE FROM settings WHERE key = $1").bind(key).execute(pool).await?;
        });
        Ok(())
    }
}
