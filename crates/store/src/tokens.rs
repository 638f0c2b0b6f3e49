//! One-time links: invitations (set a first password) and password resets.

use crate::users::User;
use crate::{hash_token, now, on_db, random_token, write_audit, Actor, Result, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Invite,
    Reset,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Invite => "invite",
            TokenKind::Reset => "reset",
        }
    }
}

pub const TOKEN_TTL_SECS: i64 = 7 * 24 * 3600;

impl Store {
    /// Creates a link token for `user`; older unused tokens of the same kind
    /// stop working, so only the newest link is valid.
    pub async fn create_user_token(
        &self,
        actor: &Actor,
        user: &User,
        kind: TokenKind,
    ) -> Result<String> {
        let token = random_token(32);
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM user_tokens WHERE user_id = $1 AND kind = $2 AND used_at IS NULL")
                .bind(user.id)
                .bind(kind.as_str())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO user_tokens (token_hash, user_id, kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(hash_token(&token))
            .bind(user.id)
            .bind(kind.as_str())
            .bind(at)
            .bind(at + TOKEN_TTL_SECS)
            .execute(&mut *tx)
            .await?;
            let action = match kind {
                TokenKind::Invite => "Einladung erstellt",
                TokenKind::Reset => "Passwort-Zurücksetzung erstellt",
            };
            write_audit!(tx, actor, action, format!("Benutzer {}", user.email), String::new());
            tx.commit().await?;
        });
        Ok(token)
    }

    /// The user a valid, unused token belongs to.
    pub async fn user_for_token(&self, token: &str) -> Result<Option<(User, TokenKind)>> {
        let row: Option<(i64, String)> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT user_id, kind FROM user_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
            )
            .bind(hash_token(token))
            .bind(now())
            .fetch_optional(pool)
            .await?
        });
        let Some((user_id, kind)) = row else {
            return Ok(None);
        };
        let kind = if kind == "invite" {
            TokenKind::Invite
        } else {
            TokenKind::Reset
        };
        let user = self.user(user_id).await?;
        Ok(user.active.then_some((user, kind)))
    }

    /// Uses the token once to set the password; a second use fails.
    pub async fn redeem_user_token(&self, token: &str, password_hash: &str) -> Result<User> {
        let Some((user, _)) = self.user_for_token(token).await? else {
            return Err(StoreError::NotFound);
        };
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query("UPDATE user_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
                .bind(now())
                .bind(hash_token(token))
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("UPDATE users SET password_hash = $1, version = version + 1 WHERE id = $2")
                .bind(password_hash)
                .bind(user.id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.id).execute(&mut *tx).await?;
            let actor = Actor::user(user.id, &user.name);
            write_audit!(tx, actor, "Passwort über Link gesetzt", format!("Benutzer {}", user.email), String::new());
            tx.commit().await?;
        });
        self.user(user.id).await
    }
}
