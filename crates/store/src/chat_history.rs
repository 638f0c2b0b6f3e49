//! Conversations of the staff chat on the server. Off by default: prompt
//! and answer texts are stored only while an administrator has turned
//! storage on with a retention period, and each turn is deleted once it is
//! older than that period ([`Store::purge_chat_history`]). Turning storage
//! off deletes everything stored. Each person sees only their own
//! conversations.

use serde::Serialize;

use crate::settings::put_setting;
use crate::{now, on_db, write_audit, Actor, Result, Store, StoreError};

/// The settings key of the retention period in days; absent: storage off.
const RETENTION_KEY: &str = "chat_retention_days";

/// Longest retention an administrator can set (two years).
pub const MAX_RETENTION_DAYS: i64 = 730;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Conversation {
    pub id: i64,
    pub title: String,
    pub updated_at: i64,
    pub turns: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ChatTurn {
    pub question: String,
    pub answer: String,
    pub model: String,
    pub data_class: String,
    pub at: i64,
}

/// One finished exchange to keep.
#[derive(Debug, Clone)]
pub struct NewTurn<'a> {
    pub question: &'a str,
    pub answer: &'a str,
    pub model: &'a str,
    pub data_class: &'a str,
}

impl Store {
    /// Days that chat texts are kept; `None`: they are not stored at all.
    pub async fn chat_retention_days(&self) -> Result<Option<i64>> {
        Ok(self
            .setting(RETENTION_KEY)
            .await?
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|d| *d > 0))
    }

    /// Turns storage on with a retention period, or off (`None`), which
    /// deletes every stored conversation in the same transaction.
    pub async fn set_chat_retention(&self, actor: &Actor, days: Option<i64>) -> Result<()> {
        if days.is_some_and(|d| !(1..=MAX_RETENTION_DAYS).contains(&d)) {
            return Err(StoreError::Refused(format!(
                "Die Aufbewahrungsfrist muss zwischen 1 und {MAX_RETENTION_DAYS} Tagen liegen."
            )));
        }
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            put_setting!(tx, RETENTION_KEY, days.map(|d| d.to_string()));
            match days {
                Some(d) => {
                    write_audit!(tx, actor, "Speicherung der Chat-Verläufe eingeschaltet", "KI-Assistent", format!("Aufbewahrung {d} Tage"));
                }
                None => {
                    let gone = sqlx::query("DELETE FROM chat_conversations")
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    write_audit!(tx, actor, "Speicherung der Chat-Verläufe ausgeschaltet", "KI-Assistent", format!("{gone} gespeicherte Gespräche gelöscht"));
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Appends a turn to the user's conversation (a new one when
    /// `conversation` is none or not theirs) and returns its id. Refused
    /// while storage is off, so no text is written by mistake.
    pub async fn save_chat_turn(
        &self,
        user_id: i64,
        conversation: Option<i64>,
        turn: &NewTurn<'_>,
    ) -> Result<i64> {
        if self.chat_retention_days().await?.is_none() {
            return Err(StoreError::Refused(
                "Chat-Verläufe werden nicht gespeichert.".into(),
            ));
        }
        let at = now();
        let title: String = turn.question.trim().chars().take(80).collect();
        let id = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            // Writing first (not reading) takes SQLite's write lock at once,
            // so a concurrent writer makes this wait instead of fail.
            let continued = match conversation {
                Some(id) => sqlx::query(
                    "UPDATE chat_conversations SET updated_at = $1 WHERE id = $2 AND user_id = $3",
                )
                .bind(at)
                .bind(id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    > 0,
                None => false,
            };
            let id = match (conversation, continued) {
                (Some(id), true) => id,
                _ => {
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO chat_conversations (user_id, title, created_at, updated_at) \
                         VALUES ($1, $2, $3, $3) RETURNING id",
                    )
                    .bind(user_id)
                    .bind(&title)
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await?;
                    id
                }
            };
            sqlx::query(
                "INSERT INTO chat_turns (conversation_id, question, answer, model, data_class, at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(turn.question)
            .bind(turn.answer)
            .bind(turn.model)
            .bind(turn.data_class)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// The user's stored conversations, newest first.
    pub async fn chat_conversations(&self, user_id: i64) -> Result<Vec<Conversation>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT c.id, c.title, c.updated_at, COUNT(t.id) AS turns \
                 FROM chat_conversations c LEFT JOIN chat_turns t ON t.conversation_id = c.id \
                 WHERE c.user_id = $1 GROUP BY c.id, c.title, c.updated_at \
                 ORDER BY c.updated_at DESC, c.id DESC",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// The turns of one of the user's conversations, oldest first.
    pub async fn chat_turns(&self, user_id: i64, conversation: i64) -> Result<Vec<ChatTurn>> {
        let rows: Vec<ChatTurn> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT t.question, t.answer, t.model, t.data_class, t.at FROM chat_turns t \
                 JOIN chat_conversations c ON c.id = t.conversation_id \
                 WHERE c.id = $1 AND c.user_id = $2 ORDER BY t.id",
            )
            .bind(conversation)
            .bind(user_id)
            .fetch_all(pool)
            .await?
        });
        if rows.is_empty() {
            return Err(StoreError::NotFound);
        }
        Ok(rows)
    }

    /// Deletes one of the user's conversations.
    pub async fn delete_chat_conversation(&self, user_id: i64, conversation: i64) -> Result<()> {
        let done = on_db!(self, pool => {
            sqlx::query("DELETE FROM chat_conversations WHERE id = $1 AND user_id = $2")
                .bind(conversation)
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Deletes turns older than the retention period as of `at` (all of
    /// them while storage is off) and conversations left empty; returns
    /// the number of turns deleted. Run periodically by `ki-reise serve`.
    pub async fn purge_chat_history(&self, at: i64) -> Result<u64> {
        let cutoff = match self.chat_retention_days().await? {
            Some(days) => at - days * 86_400,
            None => i64::MAX,
        };
        let n = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query("DELETE FROM chat_turns WHERE at < $1")
                .bind(cutoff)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query(
                "DELETE FROM chat_conversations WHERE NOT EXISTS \
                 (SELECT 1 FROM chat_turns t WHERE t.conversation_id = chat_conversations.id)",
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            n
        });
        Ok(n)
    }
}
