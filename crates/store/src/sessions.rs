//! Login sessions, kept in the database so that several app instances behind
//! a load balancer share them. The cookie carries a random token; only its
//! hash is stored.

use crate::{hash_token, now, on_db, random_token, Result, Store};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub user_id: Option<i64>,
    pub csrf: String,
    pub expires_at: i64,
}

/// A session that was just created: the token goes into the cookie.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf: String,
}

impl Store {
    /// Creates a session; `user_id` is `None` for a visitor who has not
    /// logged in yet (it still carries a CSRF token for the login form).
    pub async fn create_session(&self, user_id: Option<i64>, ttl_secs: i64) -> Result<NewSession> {
        let token = random_token(32);
        let csrf = random_token(24);
        let at = now();
        on_db!(self, pool => {
            sqlx::query(
                "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(hash_token(&token))
            .bind(user_id)
            .bind(&csrf)
            .bind(at)
            .bind(at + ttl_secs)
            .execute(pool)
            .await?;
        });
        Ok(NewSession { token, csrf })
    }

    pub async fn session(&self, token: &str) -> Result<Option<Session>> {
        let row: Option<Session> = on_db!(self, pool => {
            sqlx::query_as("SELECT user_id, csrf, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2")
                .bind(hash_token(token))
                .bind(now())
                .fetch_optional(pool)
                .await?
        });
        Ok(row)
    }

    pub async fn delete_session(&self, token: &str) -> Result<()> {
        on_db!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(hash_token(token))
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Removes expired sessions and handovers and login failures older than
    /// a day.
    pub async fn purge_expired(&self) -> Result<u64> {
        let at = now();
        let n = on_db!(self, pool => {
            let s = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(at).execute(pool).await?;
            sqlx::query("DELETE FROM login_failures WHERE at < $1").bind(at - 86_400).execute(pool).await?;
            sqlx::query("DELETE FROM handovers WHERE expires_at <= $1").bind(at).execute(pool).await?;
            s.rows_affected()
        });
        Ok(n)
    }
}
