//! Documents built from templates: their versions, comments per section,
//! the statements of the reviewing bodies, adoption, and the templates
//! imported from other municipalities.
//!
//! Saving never overwrites a text: each save is a new version, and the editor
//! names the version it started from, so two people editing at once cannot
//! lose each other's work (the second gets [`StoreError::Conflict`]).

use serde::Serialize;

pub use crate::document_reviews::{Review, ReviewArea};
pub use crate::document_status::DocumentStatus;
pub(crate) use crate::error::refused;
use crate::{now, on_db, write_audit, Actor, Result, Store, StoreError};

/// The settings key under which the rule set of the adopted KI-Richtlinie is
/// kept (JSON, `journey::policy::RuleSet`).
pub const POLICY_RULES_KEY: &str = "policy_rules";

#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub id: i64,
    pub template_id: String,
    pub kind: String,
    pub title: String,
    pub status: DocumentStatus,
    pub latest_version: i64,
    pub adopted_version: Option<i64>,
    pub adopted_on: Option<String>,
    pub adopted_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct DocumentRow {
    id: i64,
    template_id: String,
    kind: String,
    title: String,
    status: String,
    latest_version: i64,
    adopted_version: Option<i64>,
    adopted_on: Option<String>,
    adopted_by: Option<String>,
    created_at: i64,
    updated_at: i64,
}

const DOCUMENT_COLUMNS: &str = "id, template_id, kind, title, status, latest_version, \
     adopted_version, adopted_on, adopted_by, created_at, updated_at";

impl From<DocumentRow> for Document {
    fn from(r: DocumentRow) -> Document {
        Document {
            id: r.id,
            template_id: r.template_id,
            kind: r.kind,
            title: r.title,
            status: DocumentStatus::parse(&r.status),
            latest_version: r.latest_version,
            adopted_version: r.adopted_version,
            adopted_on: r.adopted_on,
            adopted_by: r.adopted_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DocumentVersion {
    pub number: i64,
    pub markdown: String,
    /// JSON object of the interview answers.
    pub answers: String,
    pub note: String,
    pub created_by_name: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Comment {
    pub id: i64,
    pub version_number: i64,
    pub anchor: String,
    pub body: String,
    pub author_name: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StoredTemplate {
    pub id: String,
    pub version: String,
    pub title: String,
    /// The template file's text (front matter and body).
    pub source: String,
    pub origin: String,
    pub imported_at: i64,
}

/// What a new document starts with: the text rendered from the template.
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    pub template_id: &'a str,
    pub kind: &'a str,
    pub title: &'a str,
    pub markdown: &'a str,
    pub answers: &'a str,
}

/// How a document is adopted.
#[derive(Debug, Clone)]
pub struct Adoption<'a> {
    pub version: i64,
    /// ISO date of the decision.
    pub adopted_on: &'a str,
    /// Who decided, e.g. "Oberbürgermeister" or "Stadtrat".
    pub adopted_by: &'a str,
    /// For a KI-Richtlinie: its rule set, which then applies instance-wide.
    pub policy_rules: Option<&'a str>,
}

impl Store {
    pub async fn create_document(&self, actor: &Actor, doc: &NewDocument<'_>) -> Result<Document> {
        let at = now();
        let id = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO documents (template_id, kind, title, status, latest_version, \
                 created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $6, $6) RETURNING id",
            )
            .bind(doc.template_id)
            .bind(doc.kind)
            .bind(doc.title.trim())
            .bind(DocumentStatus::Draft.as_str())
            .bind(actor.id)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO document_versions (document_id, number, markdown, answers, note, \
                 created_by, created_by_name, created_at) VALUES ($1, 1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(doc.markdown)
            .bind(doc.answers)
            .bind("Aus der Vorlage erstellt")
            .bind(actor.id)
            .bind(&actor.name)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            write_audit!(tx, actor, "Dokument angelegt", format!("Dokument {id}"),
                format!("„{}“ aus Vorlage {}", doc.title.trim(), doc.template_id));
            tx.commit().await?;
            id
        });
        self.document(id).await
    }

    pub async fn document(&self, id: i64) -> Result<Document> {
        let sql = format!("SELECT {DOCUMENT_COLUMNS} FROM documents WHERE id = $1");
        let row: DocumentRow = on_db!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_one(pool).await?
        });
        Ok(row.into())
    }

    /// All documents, most recently changed first.
    pub async fn documents(&self) -> Result<Vec<Document>> {
        let sql =
            format!("SELECT {DOCUMENT_COLUMNS} FROM documents ORDER BY updated_at DESC, id DESC");
        let rows: Vec<DocumentRow> = on_db!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn document_version(&self, id: i64, number: i64) -> Result<DocumentVersion> {
        on_db!(self, pool => {
            Ok(sqlx::query_as(
                "SELECT number, markdown, answers, note, created_by_name, created_at \
                 FROM document_versions WHERE document_id = $1 AND number = $2",
            )
            .bind(id)
            .bind(number)
            .fetch_one(pool)
            .await?)
        })
    }

    /// Every version, newest first.
    pub async fn document_versions(&self, id: i64) -> Result<Vec<DocumentVersion>> {
        on_db!(self, pool => {
            Ok(sqlx::query_as(
                "SELECT number, markdown, answers, note, created_by_name, created_at \
                 FROM document_versions WHERE document_id = $1 ORDER BY number DESC",
            )
            .bind(id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Saves a new text as the next version. `base` is the version the
    /// editor started from; if a newer one exists, nothing is written and
    /// [`StoreError::Conflict`] is returned. `answers` replaces the interview
    /// answers (after a new interview); `None` keeps the previous ones.
    /// Saving after adoption starts a new draft; the adopted version stays in
    /// force until the draft is adopted.
    pub async fn save_document_version(
        &self,
        actor: &Actor,
        id: i64,
        base: i64,
        markdown: &str,
        answers: Option<&str>,
        note: &str,
    ) -> Result<Document> {
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let (status, latest): (String, i64) =
                sqlx::query_as("SELECT status, latest_version FROM documents WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            if DocumentStatus::parse(&status) == DocumentStatus::Review {
                return Err(refused(
                    "Das Dokument liegt zur Prüfung vor. Ziehen Sie es zurück, bevor Sie es ändern.",
                ));
            }
            if latest != base {
                return Err(StoreError::Conflict);
            }
            let (previous_answers,): (String,) = sqlx::query_as(
                "SELECT answers FROM document_versions WHERE document_id = $1 AND number = $2",
            )
            .bind(id)
            .bind(latest)
            .fetch_one(&mut *tx)
            .await?;
            let number = latest + 1;
            sqlx::query(
                "INSERT INTO document_versions (document_id, number, markdown, answers, note, \
                 created_by, created_by_name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(number)
            .bind(markdown)
            .bind(answers.unwrap_or(&previous_answers))
            .bind(note.trim())
            .bind(actor.id)
            .bind(&actor.name)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            // A superseded document that is edited becomes a draft again.
            sqlx::query(
                "UPDATE documents SET latest_version = $1, status = $2, updated_at = $3 \
                 WHERE id = $4 AND latest_version = $5",
            )
            .bind(number)
            .bind(DocumentStatus::Draft.as_str())
            .bind(at)
            .bind(id)
            .bind(latest)
            .execute(&mut *tx)
            .await?;
            write_audit!(tx, actor, "Dokument geändert", format!("Dokument {id}"),
                format!("Version {number}"));
            tx.commit().await?;
        });
        self.document(id).await
    }

    /// Hands the latest version to the reviewing bodies.
    pub async fn submit_document(&self, actor: &Actor, id: i64, version: i64) -> Result<Document> {
        self.move_document(
            actor,
            id,
            version,
            DocumentStatus::Draft,
            DocumentStatus::Review,
            "Zur Prüfung können nur Entwürfe eingereicht werden.",
            "Dokument zur Prüfung eingereicht",
        )
        .await
    }

    /// Takes a document back from review so that it can be changed.
    pub async fn withdraw_document(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
    ) -> Result<Document> {
        self.move_document(
            actor,
            id,
            version,
            DocumentStatus::Review,
            DocumentStatus::Draft,
            "Nur ein Dokument in Prüfung kann zurückgezogen werden.",
            "Dokument aus der Prüfung zurückgezogen",
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn move_document(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        from: DocumentStatus,
        to: DocumentStatus,
        wrong_state: &str,
        action: &str,
    ) -> Result<Document> {
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let (status, latest): (String, i64) =
                sqlx::query_as("SELECT status, latest_version FROM documents WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            if DocumentStatus::parse(&status) != from {
                return Err(refused(wrong_state));
            }
            if latest != version {
                return Err(StoreError::Conflict);
            }
            sqlx::query("UPDATE documents SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(to.as_str())
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            write_audit!(tx, actor, action, format!("Dokument {id}"), format!("Version {version}"));
            tx.commit().await?;
        });
        self.document(id).await
    }

    /// Adopts the version under review. Every required reviewing body
    /// ([`ReviewArea::required`]) must have consented to exactly this version (its latest statement counts). The
    /// previously adopted document of the same kind is superseded; a
    /// KI-Richtlinie's rule set becomes the instance's rule set in the same
    /// transaction.
    pub async fn adopt_document(
        &self,
        actor: &Actor,
        id: i64,
        adoption: &Adoption<'_>,
    ) -> Result<Document> {
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let (status, latest, kind): (String, i64, String) = sqlx::query_as(
                "SELECT status, latest_version, kind FROM documents WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            if DocumentStatus::parse(&status) != DocumentStatus::Review {
                return Err(refused("Beschlossen werden kann nur ein Dokument, das in Prüfung ist."));
            }
            if latest != adoption.version {
                return Err(StoreError::Conflict);
            }
            let statements: Vec<(String, String)> = sqlx::query_as(
                "SELECT area, decision FROM document_reviews WHERE document_id = $1 \
                 AND version_number = $2 ORDER BY created_at, id",
            )
            .bind(id)
            .bind(adoption.version)
            .fetch_all(&mut *tx)
            .await?;
            // Gleichstellung takes part only while someone holds the function.
            let (equality_held,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM account_functions f JOIN users u ON u.id = f.user_id \
                 WHERE f.function = $1 AND u.active",
            )
            .bind(ReviewArea::Equality.function().as_str())
            .fetch_one(&mut *tx)
            .await?;
            let missing: Vec<&str> = ReviewArea::required(equality_held > 0)
                .into_iter()
                .filter(|area| {
                    statements
                        .iter()
                        .rev()
                        .find(|(a, _)| a == area.as_str())
                        .is_none_or(|(_, decision)| decision != "zustimmung")
                })
                .map(ReviewArea::label)
                .collect();
            if !missing.is_empty() {
                return Err(StoreError::Refused(format!(
                    "Es fehlt noch die Zustimmung von: {}.",
                    missing.join(", ")
                )));
            }
            sqlx::query(
                "UPDATE documents SET status = $1, updated_at = $2 \
                 WHERE kind = $3 AND status = $4 AND id <> $5",
            )
            .bind(DocumentStatus::Superseded.as_str())
            .bind(at)
            .bind(&kind)
            .bind(DocumentStatus::Adopted.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE documents SET status = $1, adopted_version = $2, adopted_on = $3, \
                 adopted_by = $4, updated_at = $5 WHERE id = $6",
            )
            .bind(DocumentStatus::Adopted.as_str())
            .bind(adoption.version)
            .bind(adoption.adopted_on)
            .bind(adoption.adopted_by.trim())
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if let Some(rules) = adoption.policy_rules {
                sqlx::query(
                    "INSERT INTO settings (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(POLICY_RULES_KEY)
                .bind(rules)
                .execute(&mut *tx)
                .await?;
            }
            write_audit!(tx, actor, "Dokument beschlossen", format!("Dokument {id}"),
                format!("Version {} am {} durch {}", adoption.version, adoption.adopted_on,
                    adoption.adopted_by.trim()));
            tx.commit().await?;
        });
        self.document(id).await
    }

    pub async fn add_comment(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        anchor: &str,
        body: &str,
    ) -> Result<Comment> {
        let at = now();
        let body = body.trim();
        let id: i64 = on_db!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO document_comments (document_id, version_number, anchor, body, \
                 author_id, author_name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 RETURNING id",
            )
            .bind(id)
            .bind(version)
            .bind(anchor)
            .bind(body)
            .bind(actor.id)
            .bind(&actor.name)
            .bind(at)
            .fetch_one(pool)
            .await?
        });
        Ok(Comment {
            id,
            version_number: version,
            anchor: anchor.to_owned(),
            body: body.to_owned(),
            author_name: actor.name.clone(),
            created_at: at,
        })
    }

    /// Comments on one version, oldest first.
    pub async fn comments(&self, id: i64, version: i64) -> Result<Vec<Comment>> {
        on_db!(self, pool => {
            Ok(sqlx::query_as(
                "SELECT id, version_number, anchor, body, author_name, created_at \
                 FROM document_comments WHERE document_id = $1 AND version_number = $2 \
                 ORDER BY created_at, id",
            )
            .bind(id)
            .bind(version)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The rule set of the adopted KI-Richtlinie, if one has been adopted.
    pub async fn policy_rules(&self) -> Result<Option<String>> {
        self.setting(POLICY_RULES_KEY).await
    }

    /// Stores imported templates, all or none; an existing template with the
    /// same id is replaced.
    pub async fn import_templates(
        &self,
        actor: &Actor,
        templates: &[StoredTemplate],
        origin: &str,
    ) -> Result<()> {
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            for t in templates {
                sqlx::query(
                    "INSERT INTO document_templates (id, version, title, source, origin, imported_by, imported_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET \
                     version = excluded.version, title = excluded.title, source = excluded.source, \
                     origin = excluded.origin, imported_by = excluded.imported_by, imported_at = excluded.imported_at",
                )
                .bind(&t.id)
                .bind(&t.version)
                .bind(&t.title)
                .bind(&t.source)
                .bind(origin)
                .bind(actor.id)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            let ids: Vec<&str> = templates.iter().map(|t| t.id.as_str()).collect();
            write_audit!(tx, actor, "Vorlagen importiert", "Vorlagen".to_string(),
                format!("{} aus {origin}", ids.join(", ")));
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn stored_templates(&self) -> Result<Vec<StoredTemplate>> {
        on_db!(self, pool => {
            Ok(sqlx::query_as(
                "SELECT id, version, title, source, origin, imported_at FROM document_templates ORDER BY id",
            )
            .fetch_all(pool)
            .await?)
        })
    }
}
