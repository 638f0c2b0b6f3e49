//! Deleting an accidental draft document (kept apart from `documents`,
//! which holds the document's way from draft to adoption).

use crate::documents::{refused, DocumentStatus};
use crate::{on_db, write_audit, Actor, Result, Store, StoreError};

impl Store {
    /// Deletes an accidental draft with all its versions and comments.
    /// Refused once the document is or was in review or adopted: then its
    /// statements and decisions are part of the record. The audit log keeps
    /// the title.
    pub async fn delete_draft_document(&self, actor: &Actor, id: i64) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let (status, title, adopted): (String, String, Option<i64>) = sqlx::query_as(
                "SELECT status, title, adopted_version FROM documents WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let (reviews,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM document_reviews WHERE document_id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            if DocumentStatus::parse(&status) != DocumentStatus::Draft || adopted.is_some() || reviews > 0 {
                return Err(refused(
                    "Nur ein Entwurf, der noch nie in Prüfung war, lässt sich löschen. Dieses Dokument bleibt erhalten.",
                ));
            }
            for table in ["document_comments", "document_reviews", "document_versions"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE document_id = $1"))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("DELETE FROM documents WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            write_audit!(tx, actor, "Entwurf gelöscht", format!("Dokument {id}"), title);
            tx.commit().await?;
        });
        Ok(())
    }
}
