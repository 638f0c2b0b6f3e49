//! Knowledge spaces (Wissensräume), their documents and the passages the
//! search ranks. A document and all its passages are written in one
//! transaction with the audit entry, and removed the same way, so a search
//! never sees half a document.

use journey::policy::DataClass;
use journey::spaces::Readers;

use crate::{is_unique_violation, now, on_db, write_audit, Actor, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Space {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub readers: Readers,
    pub data_class: DataClass,
    pub created_by_name: String,
    pub created_at: i64,
}

pub struct NewSpace<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub readers: &'a Readers,
    pub data_class: DataClass,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SpaceDocument {
    pub id: i64,
    pub space_id: i64,
    pub title: String,
    pub file_name: String,
    pub kind: String,
    pub bytes: i64,
    pub pages: Option<i64>,
    pub sha256: String,
    pub passages: i64,
    pub added_by_name: String,
    pub added_at: i64,
}

/// A passage as the indexer cut it.
#[derive(Debug, Clone)]
pub struct NewPassage {
    pub page: Option<i64>,
    pub section: String,
    pub text: String,
    /// Search terms, space-separated.
    pub terms: String,
}

pub struct NewDocument<'a> {
    pub space_id: i64,
    pub title: &'a str,
    pub file_name: &'a str,
    pub kind: &'a str,
    pub bytes: i64,
    pub pages: Option<i64>,
    pub sha256: &'a str,
    pub passages: &'a [NewPassage],
}

/// A passage found by the search, with what a citation needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    pub id: i64,
    pub document_id: i64,
    pub title: String,
    pub page: Option<i64>,
    pub section: String,
    pub text: String,
}

type SpaceRow = (i64, String, String, String, String, String, String, i64);
const SPACE_COLUMNS: &str =
    "id, name, description, readers, reader_names, data_class, created_by_name, created_at";

fn space_from_row(row: SpaceRow) -> Result<Space> {
    let (id, name, description, readers, names, class, created_by_name, created_at) = row;
    let names: Vec<String> = serde_json::from_str(&names)
        .map_err(|e| StoreError::Refused(format!("Wissensraum {id}: Leser unlesbar: {e}")))?;
    let readers = Readers::from_parts(&readers, names)
        .ok_or_else(|| StoreError::Refused(format!("Wissensraum {id}: Leser unbekannt")))?;
    let data_class = DataClass::parse(&class)
        .map_err(|e| StoreError::Refused(format!("Wissensraum {id}: {e}")))?;
    Ok(Space {
        id,
        name,
        description,
        readers,
        data_class,
        created_by_name,
        created_at,
    })
}

impl Store {
    pub async fn create_space(&self, actor: &Actor, space: &NewSpace<'_>) -> Result<Space> {
        let names = serde_json::to_string(&space.readers.names())
            .map_err(|e| StoreError::Refused(e.to_string()))?;
        let id: i64 = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let inserted: std::result::Result<(i64,), sqlx::Error> = sqlx::query_as(
                "INSERT INTO knowledge_spaces (name, description, readers, reader_names, data_class, \
                 created_by, created_by_name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(space.name)
            .bind(space.description)
            .bind(space.readers.slug())
            .bind(&names)
            .bind(space.data_class.slug())
            .bind(actor.id)
            .bind(&actor.name)
            .bind(now())
            .fetch_one(&mut *tx)
            .await;
            let id = match inserted {
                Ok((id,)) => id,
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Duplicate(format!(
                        "Es gibt bereits einen Wissensraum „{}“.",
                        space.name
                    )))
                }
                Err(e) => return Err(e.into()),
            };
            write_audit!(tx, actor, "Wissensraum angelegt", format!("Wissensraum „{}“", space.name),
                format!("Leser: {}; Datenklasse: {}", space.readers.label(), space.data_class.label()));
            tx.commit().await?;
            id
        });
        self.space(id).await?.ok_or(StoreError::NotFound)
    }

    /// Every space, by name; the portal shows each only to its readers.
    pub async fn spaces(&self) -> Result<Vec<Space>> {
        let rows: Vec<SpaceRow> = on_db!(self, pool => {
            sqlx::query_as(&format!("SELECT {SPACE_COLUMNS} FROM knowledge_spaces ORDER BY name"))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(space_from_row).collect()
    }

    pub async fn space(&self, id: i64) -> Result<Option<Space>> {
        let row: Option<SpaceRow> = on_db!(self, pool => {
            sqlx::query_as(&format!("SELECT {SPACE_COLUMNS} FROM knowledge_spaces WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        row.map(space_from_row).transpose()
    }

    /// Adds a document with its passages, all or nothing.
    pub async fn add_space_document(
        &self,
        actor: &Actor,
        doc: &NewDocument<'_>,
    ) -> Result<SpaceDocument> {
        let id: i64 = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let space: Option<(String,)> = sqlx::query_as("SELECT name FROM knowledge_spaces WHERE id = $1")
                .bind(doc.space_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((space_name,)) = space else {
                return Err(StoreError::NotFound);
            };
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO space_documents (space_id, title, file_name, kind, bytes, pages, sha256, \
                 added_by, added_by_name, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(doc.space_id)
            .bind(doc.title)
            .bind(doc.file_name)
            .bind(doc.kind)
            .bind(doc.bytes)
            .bind(doc.pages)
            .bind(doc.sha256)
            .bind(actor.id)
            .bind(&actor.name)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            for (position, p) in doc.passages.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO space_passages (space_id, document_id, position, page, section, text, terms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(doc.space_id)
                .bind(id)
                .bind(position as i64)
                .bind(p.page)
                .bind(&p.section)
                .bind(&p.text)
                .bind(&p.terms)
                .execute(&mut *tx)
                .await?;
            }
            write_audit!(tx, actor, "Dokument in Wissensraum aufgenommen",
                format!("Wissensraum „{space_name}“"),
                format!("„{}“ ({}, {} Abschnitte)", doc.title, doc.file_name, doc.passages.len()));
            tx.commit().await?;
            id
        });
        self.space_documents(doc.space_id)
            .await?
            .into_iter()
            .find(|d| d.id == id)
            .ok_or(StoreError::NotFound)
    }

    /// A space's documents, newest first, with their passage counts.
    pub async fn space_documents(&self, space_id: i64) -> Result<Vec<SpaceDocument>> {
        let rows: Vec<SpaceDocument> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT d.id, d.space_id, d.title, d.file_name, d.kind, d.bytes, d.pages, d.sha256, \
                 (SELECT COUNT(*) FROM space_passages p WHERE p.document_id = d.id) AS passages, \
                 d.added_by_name, d.added_at \
                 FROM space_documents d WHERE d.space_id = $1 ORDER BY d.added_at DESC, d.id DESC",
            )
            .bind(space_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Removes a document and every passage of it; `false` when the space
    /// has no such document.
    pub async fn remove_space_document(
        &self,
        actor: &Actor,
        space_id: i64,
        document_id: i64,
    ) -> Result<bool> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let found: Option<(String, String, String)> = sqlx::query_as(
                "SELECT d.title, d.file_name, s.name FROM space_documents d \
                 JOIN knowledge_spaces s ON s.id = d.space_id WHERE d.id = $1 AND d.space_id = $2",
            )
            .bind(document_id)
            .bind(space_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((title, file_name, space_name)) = found else {
                return Ok(false);
            };
            sqlx::query("DELETE FROM space_passages WHERE document_id = $1")
                .bind(document_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM space_documents WHERE id = $1")
                .bind(document_id)
                .execute(&mut *tx)
                .await?;
            write_audit!(tx, actor, "Dokument aus Wissensraum entfernt",
                format!("Wissensraum „{space_name}“"), format!("„{title}“ ({file_name})"));
            tx.commit().await?;
        });
        Ok(true)
    }

    /// Every passage of a space as (id, terms), for ranking.
    pub async fn space_passage_terms(&self, space_id: i64) -> Result<Vec<(i64, String)>> {
        Ok(on_db!(self, pool => {
            sqlx::query_as("SELECT id, terms FROM space_passages WHERE space_id = $1 ORDER BY id")
                .bind(space_id)
                .fetch_all(pool)
                .await?
        }))
    }

    /// The passages with these ids that belong to the space, with their
    /// document's title.
    pub async fn space_passages(&self, space_id: i64, ids: &[i64]) -> Result<Vec<Passage>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT p.id, p.document_id, d.title, p.page, p.section, p.text \
             FROM space_passages p JOIN space_documents d ON d.id = p.document_id \
             WHERE p.space_id = $1 AND p.id IN ({})",
            placeholders.join(", ")
        );
        type Row = (i64, i64, String, Option<i64>, String, String);
        let rows: Vec<Row> = on_db!(self, pool => {
            let mut q = sqlx::query_as(&sql).bind(space_id);
            for id in ids {
                q = q.bind(*id);
            }
            q.fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, document_id, title, page, section, text)| Passage {
                id,
                document_id,
                title,
                page,
                section,
                text,
            })
            .collect())
    }

    /// How many passages a space holds (all its documents).
    pub async fn space_passage_count(&self, space_id: i64) -> Result<i64> {
        let (n,): (i64,) = on_db!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM space_passages WHERE space_id = $1")
                .bind(space_id)
                .fetch_one(pool)
                .await?
        });
        Ok(n)
    }
}
