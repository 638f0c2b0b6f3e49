//! Results a POST made for the GET page it redirects to, kept in the
//! database so that the GET may land on another instance. The payload comes
//! sealed from the portal (`portal::handover`); the store never sees its
//! plain text, nor the key in the page's address (only its hash).

use crate::{hash_token, now, on_db, Result, Store};

impl Store {
    /// Keeps `payload` under `key` for `user_id` for `ttl_secs`. Expired
    /// results are never read ([`Store::handover`] checks the expiry) and go
    /// with the hourly `purge_expired`.
    pub async fn put_handover(
        &self,
        key: &str,
        user_id: i64,
        payload: &str,
        ttl_secs: i64,
    ) -> Result<()> {
        let at = now();
        on_db!(self, pool => {
            sqlx::query(
                "INSERT INTO handovers (key_hash, user_id, expires_at, payload) VALUES ($1, $2, $3, $4)",
            )
            .bind(hash_token(key))
            .bind(user_id)
            .bind(at + ttl_secs)
            .bind(payload)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The sealed payload under `key`, if it is `user_id`'s and has not
    /// expired. Reading leaves it in place: reloading the page shows it again.
    pub async fn handover(&self, key: &str, user_id: i64) -> Result<Option<String>> {
        let payload = on_db!(self, pool => {
            sqlx::query_scalar::<_, String>(
                "SELECT payload FROM handovers WHERE key_hash = $1 AND user_id = $2 AND expires_at > $3",
            )
            .bind(hash_token(key))
            .bind(user_id)
            .bind(now())
            .fetch_optional(pool)
            .await?
        });
        Ok(payload)
    }
}
