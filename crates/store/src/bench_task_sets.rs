//! Task sets for the Vergleichstest uploaded through the portal. They are
//! kept as text in the database, under the id the file declares (checked by
//! the portal with the bench crate's parser before it gets here), so a spec
//! written in the portal reaches them by id and never by a path.

use crate::{now, on_db, write_audit, Actor, Result, Store};

/// An uploaded task set as lists show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSetEntry {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub items: i64,
    pub uploaded_at: i64,
    pub uploaded_by: String,
}

/// What the portal stores after the parser accepted the upload.
pub struct TaskSetInput<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub kind: &'a str,
    pub items: i64,
    pub yaml: &'a str,
}

type EntryRow = (String, String, String, i64, i64, String);

impl Store {
    /// The uploaded task sets, by id.
    pub async fn bench_task_set_entries(&self) -> Result<Vec<TaskSetEntry>> {
        let rows: Vec<EntryRow> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT id, title, kind, items, uploaded_at, uploaded_by \
                 FROM bench_task_sets ORDER BY id",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(id, title, kind, items, uploaded_at, uploaded_by)| TaskSetEntry {
                    id,
                    title,
                    kind,
                    items,
                    uploaded_at,
                    uploaded_by,
                },
            )
            .collect())
    }

    /// Every uploaded task set's text by id, for planning a run.
    pub async fn bench_task_set_texts(&self) -> Result<Vec<(String, String)>> {
        Ok(on_db!(self, pool => {
            sqlx::query_as("SELECT id, yaml FROM bench_task_sets ORDER BY id")
                .fetch_all(pool)
                .await?
        }))
    }

    /// Stores a task set, replacing one with the same id.
    pub async fn save_bench_task_set(&self, actor: &Actor, set: &TaskSetInput<'_>) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM bench_task_sets WHERE id = $1")
                .bind(set.id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO bench_task_sets (id, title, kind, items, yaml, uploaded_at, uploaded_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(set.id)
            .bind(set.title)
            .bind(set.kind)
            .bind(set.items)
            .bind(set.yaml)
            .bind(now())
            .bind(&actor.name)
            .execute(&mut *tx)
            .await?;
            write_audit!(tx, actor, "Aufgaben für Vergleichstest hochgeladen",
                format!("Aufgaben „{}“", set.id), format!("{} Aufgaben", set.items));
            tx.commit().await?;
        });
        Ok(())
    }

    /// Removes an uploaded task set; `false` when there was none.
    pub async fn delete_bench_task_set(&self, actor: &Actor, id: &str) -> Result<bool> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let r = sqlx::query("DELETE FROM bench_task_sets WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if r.rows_affected() == 0 {
                return Ok(false);
            }
            write_audit!(tx, actor, "Aufgaben für Vergleichstest gelöscht",
                format!("Aufgaben „{id}“"), String::new());
            tx.commit().await?;
        });
        Ok(true)
    }
}
