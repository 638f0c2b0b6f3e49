//! Assistants of the staff chat: named system prompts with an optional
//! default data class, shared by the project team.

use serde::Serialize;

use crate::{now, on_db, write_audit, Actor, Result, Store};

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Assistant {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub system_prompt: String,
    /// A `journey::policy::DataClass` slug, or none for the rule set's default.
    pub data_class: Option<String>,
    pub position: i64,
}

/// An assistant as entered in the form.
#[derive(Debug, Clone)]
pub struct AssistantInput<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub system_prompt: &'a str,
    pub data_class: Option<&'a str>,
}

impl Store {
    pub async fn assistants(&self) -> Result<Vec<Assistant>> {
        on_db!(self, pool => {
            Ok(sqlx::query_as(
                "SELECT id, name, description, system_prompt, data_class, position \
                 FROM assistants ORDER BY position, id",
            )
            .fetch_all(pool)
            .await?)
        })
    }

    /// Adds the shipped assistants if there are none yet (first start).
    pub async fn seed_assistants(&self, shipped: &[AssistantInput<'_>]) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM assistants")
                .fetch_one(&mut *tx)
                .await?;
            if count == 0 {
                for (i, a) in shipped.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO assistants (name, description, system_prompt, data_class, position, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING",
                    )
                    .bind(a.name)
                    .bind(a.description)
                    .bind(a.system_prompt)
                    .bind(a.data_class)
                    .bind(i as i64)
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Creates (`id` none) or replaces an assistant.
    pub async fn save_assistant(
        &self,
        actor: &Actor,
        id: Option<i64>,
        a: &AssistantInput<'_>,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let result = match id {
                Some(id) => sqlx::query(
                    "UPDATE assistants SET name = $1, description = $2, system_prompt = $3, \
                     data_class = $4, updated_at = $5 WHERE id = $6",
                )
                .bind(a.name.trim())
                .bind(a.description.trim())
                .bind(a.system_prompt.trim())
                .bind(a.data_class)
                .bind(now())
                .bind(id)
                .execute(&mut *tx)
                .await,
                None => sqlx::query(
                    "INSERT INTO assistants (name, description, system_prompt, data_class, position, updated_at) \
                     VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(position), 0) + 1 FROM assistants), $5)",
                )
                .bind(a.name.trim())
                .bind(a.description.trim())
                .bind(a.system_prompt.trim())
                .bind(a.data_class)
                .bind(now())
                .execute(&mut *tx)
                .await,
            };
            match result {
                Ok(r) if r.rows_affected() == 0 => return Err(crate::StoreError::NotFound),
                Ok(_) => {}
                Err(e) if crate::is_unique_violation(&e) => {
                    return Err(crate::StoreError::Duplicate(format!(
                        "Es gibt bereits einen Assistenten „{}“.",
                        a.name.trim()
                    )))
                }
                Err(e) => return Err(e.into()),
            }
            write_audit!(tx, actor, "Assistent gespeichert", format!("Assistent „{}“", a.name.trim()), String::new());
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn delete_assistant(&self, actor: &Actor, id: i64) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let (name,): (String,) = sqlx::query_as("SELECT name FROM assistants WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM assistants WHERE id = $1").bind(id).execute(&mut *tx).await?;
            write_audit!(tx, actor, "Assistent gelöscht", format!("Assistent „{name}“"), String::new());
            tx.commit().await?;
        });
        Ok(())
    }
}
