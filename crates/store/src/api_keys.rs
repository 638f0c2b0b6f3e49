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

/// What the KI-Gateway needs to know about a key: its user and the key's
/// own settings (default data class, team for quotas, request rate limit).
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayKey {
    pub id: i64,
    pub user: User,
    /// A data class slug; unknown values are refused by the gateway.
    pub data_class: Option<String>,
    pub team: Option<String>,
    pub requests_per_minute: Option<i64>,
}

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

impl Store {
    /// The key behind a secret with its gateway settings, if it exists, is
    /// not revoked and its user is active. Unlike [`Store::user_for_api_key`]
    /// it writes nothing, so the gateway can call it on its hot path.
    pub async fn gateway_key(&self, secret: &str) -> Result<Option<GatewayKey>> {
        type Row = (i64, i64, Option<String>, Option<String>, Option<i64>);
        let row: Option<Row> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT id, user_id, data_class, team, requests_per_minute FROM api_keys \
                 WHERE key_hash = $1 AND revoked = $2",
            )
            .bind(hash_token(secret))
            .bind(false)
            .fetch_optional(pool)
            .await?
        });
        let Some((id, user_id, data_class, team, requests_per_minute)) = row else {
            return Ok(None);
        };
        let user = self.user(user_id).await?;
        Ok(user.active.then_some(GatewayKey {
            id,
            user,
            data_class,
            team,
            requests_per_minute,
        }))
    }

    /// Notes that a key was used (the gateway calls this at most once a
    /// minute per key).
    pub async fn touch_api_key(&self, key_id: i64) -> Result<()> {
        on_db!(self, pool => {
            sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
                .bind(now())
                .bind(key_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Sets a key's gateway settings; `data_class` is a slug the caller has
    /// checked.
    pub async fn set_api_key_gateway(
        &self,
        actor: &Actor,
        key_id: i64,
        data_class: Option<&str>,
        team: Option<&str>,
        requests_per_minute: Option<i64>,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "UPDATE api_keys SET data_class = $1, team = $2, requests_per_minute = $3 WHERE id = $4",
            )
            .bind(data_class)
            .bind(team.map(str::trim).filter(|t| !t.is_empty()))
            .bind(requests_per_minute)
            .bind(key_id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(crate::StoreError::NotFound);
            }
            write_audit!(tx, actor, "API-Schlüssel eingestellt", format!("Schlüssel {key_id}"),
                format!("Datenklasse {}, Team {}, {} Anfragen/Minute",
                    data_class.unwrap_or("-"), team.unwrap_or("-"),
                    requests_per_minute.map_or("-".to_string(), |n| n.to_string())));
            tx.commit().await?;
        });
        Ok(())
    }
}

/// A key with its owner and gateway settings, for the page where the
/// project team sets limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct KeySettings {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub owner_name: String,
    pub owner_email: String,
    pub last_used_at: Option<i64>,
    pub data_class: Option<String>,
    pub team: Option<String>,
    pub requests_per_minute: Option<i64>,
}

impl Store {
    /// Every key that is not revoked, by owner.
    pub async fn key_settings(&self) -> Result<Vec<KeySettings>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT k.id, k.name, k.prefix, u.name AS owner_name, u.email AS owner_email, \
                 k.last_used_at, k.data_class, k.team, k.requests_per_minute \
                 FROM api_keys k JOIN users u ON u.id = k.user_id \
                 WHERE k.revoked = $1 ORDER BY u.name, k.id",
            )
            .bind(false)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }
}
