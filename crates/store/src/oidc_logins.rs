//! Sign-ins with OpenID Connect on their way through the provider, and the
//! provider's session behind a portal session. Both live in the database,
//! not in one process, so the browser's return and a back-channel logout
//! may reach any instance.

use crate::{hash_token, now, on_db, Result, Store};

/// What the portal remembered when it sent the browser to the provider.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingLogin {
    pub nonce: String,
    pub pkce_verifier: String,
    pub next: String,
    pub expires_at: i64,
}

impl Store {
    /// Remembers a sign-in under the hash of its `state` for `ttl_secs`,
    /// and drops the ones nobody came back for.
    pub async fn begin_oidc_login(&self, state: &str, login: &PendingLogin) -> Result<()> {
        let at = now();
        on_db!(self, pool => {
            sqlx::query("DELETE FROM oidc_logins WHERE expires_at <= $1")
                .bind(at)
                .execute(pool)
                .await?;
            sqlx::query(
                "INSERT INTO oidc_logins (state_hash, nonce, pkce_verifier, next, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(hash_token(state))
            .bind(&login.nonce)
            .bind(&login.pkce_verifier)
            .bind(&login.next)
            .bind(login.expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Takes the sign-in for `state` once: the row is deleted in the same
    /// statement that reads it, so of two returns with the same `state`
    /// (a replay, or a double click) only one finds it. An expired one is
    /// taken too, and `None` returned.
    pub async fn take_oidc_login(&self, state: &str) -> Result<Option<PendingLogin>> {
        let row: Option<PendingLogin> = on_db!(self, pool => {
            sqlx::query_as(
                "DELETE FROM oidc_logins WHERE state_hash = $1 \
                 RETURNING nonce, pkce_verifier, next, expires_at",
            )
            .bind(hash_token(state))
            .fetch_optional(pool)
            .await?
        });
        Ok(row.filter(|r| r.expires_at > now()))
    }

    /// Notes the provider's session id on a portal session.
    pub async fn set_session_oidc_sid(&self, token: &str, sid: &str) -> Result<()> {
        on_db!(self, pool => {
            sqlx::query("UPDATE sessions SET oidc_sid = $1 WHERE id_hash = $2")
                .bind(sid)
                .bind(hash_token(token))
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Ends the portal sessions that came from the provider's session
    /// `sid`, or, without one, every session of the account linked to
    /// `subject` (a back-channel logout may name either, or both). Returns
    /// how many.
    pub async fn end_oidc_sessions(&self, sid: Option<&str>, subject: Option<&str>) -> Result<u64> {
        let sid = sid.filter(|s| !s.is_empty());
        let subject = subject.filter(|s| !s.is_empty());
        let n = on_db!(self, pool => {
            match (sid, subject) {
                // Both named: only that provider session, and only if it is
                // this person's (a token about one person never ends
                // another's session, even with a colliding sid).
                (Some(sid), Some(subject)) => sqlx::query(
                    "DELETE FROM sessions WHERE oidc_sid = $1 AND user_id IN \
                     (SELECT id FROM users WHERE oidc_subject = $2)",
                )
                .bind(sid)
                .bind(subject)
                .execute(pool)
                .await?
                .rows_affected(),
                (Some(sid), None) => sqlx::query("DELETE FROM sessions WHERE oidc_sid = $1")
                    .bind(sid)
                    .execute(pool)
                    .await?
                    .rows_affected(),
                (None, Some(subject)) => sqlx::query(
                    "DELETE FROM sessions WHERE user_id IN \
                     (SELECT id FROM users WHERE oidc_subject = $1)",
                )
                .bind(subject)
                .execute(pool)
                .await?
                .rows_affected(),
                (None, None) => 0,
            }
        });
        Ok(n)
    }
}

impl Store {
    /// The provider's session a portal session came from: `Some("")` for
    /// one from the provider without a session id, `None` for any other.
    pub async fn session_oidc_sid(&self, token: &str) -> Result<Option<String>> {
        let sid: Option<Option<String>> = on_db!(self, pool => {
            sqlx::query_scalar("SELECT oidc_sid FROM sessions WHERE id_hash = $1")
                .bind(hash_token(token))
                .fetch_optional(pool)
                .await?
        });
        Ok(sid.flatten())
    }
}

impl Store {
    /// Spends a back-channel logout token: `true` the first time this
    /// issuer's `jti` is seen, `false` for a replay. Remembered until
    /// `expires_at`, after which the token's age refuses it anyway.
    pub async fn spend_logout_token(
        &self,
        issuer: &str,
        jti: &str,
        expires_at: i64,
    ) -> Result<bool> {
        let key = hash_token(&format!("{issuer}\n{jti}"));
        let at = now();
        let inserted = on_db!(self, pool => {
            sqlx::query("DELETE FROM oidc_logout_tokens WHERE expires_at <= $1")
                .bind(at)
                .execute(pool)
                .await?;
            sqlx::query(
                "INSERT INTO oidc_logout_tokens (jti_hash, expires_at) VALUES ($1, $2) \
                 ON CONFLICT (jti_hash) DO NOTHING",
            )
            .bind(key)
            .bind(expires_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }
}
