//! API keys for the Vergleichstest's targets, kept in the portal so that a
//! spec written there never needs the server's environment. Write-only: a
//! key is stored with the base URL it may be sent to and is read back only
//! by the run that sends it; lists show the target and the address, never
//! the key.

use crate::{now, on_db, write_audit, Actor, Result, Store};

/// A stored key as lists show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchKeyEntry {
    pub target: String,
    pub base_url: String,
}

/// A stored key with its secret, for the run that sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchKey {
    pub target: String,
    pub base_url: String,
    pub api_key: String,
}

impl Store {
    /// Targets with a stored key, by name.
    pub async fn bench_key_entries(&self) -> Result<Vec<BenchKeyEntry>> {
        let rows: Vec<(String, String)> = on_db!(self, pool => {
            sqlx::query_as("SELECT target, base_url FROM bench_target_keys ORDER BY target")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(target, base_url)| BenchKeyEntry { target, base_url })
            .collect())
    }

    /// Every stored key with its secret; only for starting a run.
    pub async fn bench_keys(&self) -> Result<Vec<BenchKey>> {
        let rows: Vec<(String, String, String)> = on_db!(self, pool => {
            sqlx::query_as("SELECT target, base_url, api_key FROM bench_target_keys ORDER BY target")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(target, base_url, api_key)| BenchKey {
                target,
                base_url,
                api_key,
            })
            .collect())
    }

    /// Stores (or replaces) the key of a target, bound to `base_url`.
    pub async fn save_bench_key(
        &self,
        actor: &Actor,
        target: &str,
        base_url: &str,
        api_key: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM bench_target_keys WHERE target = $1")
                .bind(target)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO bench_target_keys (target, base_url, api_key, updated_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(target)
            .bind(base_url)
            .bind(api_key)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            write_audit!(tx, actor, "Schlüssel für Vergleichstest hinterlegt",
                format!("Ziel „{target}“"), base_url.to_string());
            tx.commit().await?;
        });
        Ok(())
    }

    /// Removes the key of a target; `false` when none was stored.
    pub async fn delete_bench_key(&self, actor: &Actor, target: &str) -> Result<bool> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let r = sqlx::query("DELETE FROM bench_target_keys WHERE target = $1")
                .bind(target)
                .execute(&mut *tx)
                .await?;
            if r.rows_affected() == 0 {
                return Ok(false);
            }
            write_audit!(tx, actor, "Schlüssel für Vergleichstest gelöscht",
                format!("Ziel „{target}“"), String::new());
            tx.commit().await?;
        });
        Ok(true)
    }
}

/// The settings key of the hosts that Vergleichstest targets may address,
/// one `host` or `host:port` a line; absent: the portal's default.
const ALLOWED_HOSTS_KEY: &str = "bench_allowed_hosts";

impl Store {
    /// The hosts an administrator allowed for Vergleichstest targets;
    /// `None` while none has set the list.
    pub async fn bench_allowed_hosts(&self) -> Result<Option<Vec<String>>> {
        Ok(self
            .setting(ALLOWED_HOSTS_KEY)
            .await?
            .map(|v| v.lines().map(str::to_owned).collect()))
    }

    /// Sets the allowed hosts (checked by the caller); `None` returns to
    /// the default.
    pub async fn set_bench_allowed_hosts(
        &self,
        actor: &Actor,
        hosts: Option<&[String]>,
    ) -> Result<()> {
        let value = hosts.map(|h| h.join("\n"));
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            crate::settings::put_setting!(tx, ALLOWED_HOSTS_KEY, value.as_deref());
            write_audit!(tx, actor, "Erlaubte Ziele des Vergleichstests geändert",
                "Vergleichstest".to_string(),
                value.clone().unwrap_or_else(|| "Voreinstellung".into()).replace('\n', ", "));
            tx.commit().await?;
        });
        Ok(())
    }
}
