//! API keys for `/api/v1` and `/v1`: each belongs to a user and acts with
//! that user's role. The key is shown once; only its hash is stored.

use serde::Serialize;

use crate::users::User;
use crate::{hash_token, now, on_db, random_token, write_audit, Actor, Result, Store};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApiKey {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The first characters of the key, so a user can tell keys apart.
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked: bool,
}

pub const KEY_PREFIX: &str = "kr_";

impl Store {
    /// Returns the stored key and the secret to show once.
    pub async fn create_api_key(
        &self,
        actor: &Actor,
        user: &User,
        name: &str,
    ) -> Result<(ApiKey, String)> {
        let secret = format!("{KEY_PREFIX}{}", random_token(24));
        let prefix: String = secret.chars().take(10).collect();
        let id = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO api_keys (user_id, name, prefix, key_hash, created_at, revoked) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(user.id)
            .bind(name.trim())
            .bind(&prefix)
            .bind(hash_token(&secret))
            .bind(now())
            .bind(false)
            .fetch_one(&mut *tx)
            .await?;
            write_audit!(tx, actor, "API-Schlüssel erstellt", format!("Benutzer {}", user.email), format!("{} ({prefix}…)", name.trim()));
            tx.commit().await?;
            id
        });
        let key = self
            .api_keys_of(user.id)
            .await?
            .into_iter()
            .find(|k| k.id == id);
        Ok((key.ok_or(crate::StoreError::NotFound)?, secret))
    }

    pub async fn api_keys_of(&self, user_id: i64) -> Result<Vec<ApiKey>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT id, user_id, name, prefix, created_at, last_used_at, revoked FROM api_keys \
                 WHERE user_id = $1 ORDER BY id DESC",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// The active user behind a key, if the key exists and is not revoked.
    pub async fn user_for_api_key(&self, secret: &str) -> Result<Option<User>> {
        let hash = hash_token(secret);
        let row: Option<(i64,)> = on_db!(self, pool => {
            sqlx::query_as("SELECT user_id FROM api_keys WHERE key_hash = $1 AND revoked = $2")
                .bind(&hash)
                .bind(false)
                .fetch_optional(pool)
                .await?
        });
        let Some((user_id,)) = row else {
            return Ok(None);
        };
        on_db!(self, pool => {
            sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE key_hash = $2")
                .bind(now())
                .bind(&hash)
                .execute(pool)
                .await?;
        });
        let user = self.user(user_id).await?;
        Ok(user.active.then_some(user))
    }

    pub async fn revoke_api_key(&self, actor: &Actor, user: &User, key_id: i64) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query("UPDATE api_keys SET revoked = $1 WHERE id = $2 AND user_id = $3")
                .bind(true)
                .bind(key_id)
                .bind(user.id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(crate::StoreError::NotFound);
            }
            write_audit!(tx, actor, "API-Schlüssel widerrufen", format!("Benutzer {}", user.email), format!("Schlüssel {key_id}"));
            tx.commit().await?;
        });
        Ok(())
    }
}
