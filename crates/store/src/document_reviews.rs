//! The statements of the reviewing bodies on a document under review. Each
//! body is a function an account holds ([`ReviewArea::function`]); the
//! statement is signed with the holder's name and function.

use journey::access::Function;
use serde::Serialize;

use crate::document_status::DocumentStatus;
use crate::error::refused;
use crate::{now, on_db, write_audit, Actor, Result, Store, StoreError};

/// The bodies that review a document before adoption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewArea {
    DataProtection,
    ItSecurity,
    StaffCouncil,
    Equality,
}

impl ReviewArea {
    pub const ALL: [ReviewArea; 4] = [
        ReviewArea::DataProtection,
        ReviewArea::ItSecurity,
        ReviewArea::StaffCouncil,
        ReviewArea::Equality,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewArea::DataProtection => "datenschutz",
            ReviewArea::ItSecurity => "it-sicherheit",
            ReviewArea::StaffCouncil => "personalrat",
            ReviewArea::Equality => "gleichstellung",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewArea::DataProtection => "Datenschutz",
            ReviewArea::ItSecurity => "IT-Sicherheit",
            ReviewArea::StaffCouncil => "Personalrat",
            ReviewArea::Equality => "Gleichstellung",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewArea> {
        ReviewArea::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The function whose holder gives this area's statement.
    pub fn function(self) -> Function {
        match self {
            ReviewArea::DataProtection => Function::DataProtection,
            ReviewArea::ItSecurity => Function::InformationSecurity,
            ReviewArea::StaffCouncil => Function::StaffCouncil,
            ReviewArea::Equality => Function::Equality,
        }
    }

    /// Data protection, IT security and the staff council must consent
    /// before any adoption (GDPR, BSI baseline, co-determination), so a
    /// vacant function blocks until someone is assigned. Gleichstellung
    /// takes part only where the municipality has assigned the function.
    pub fn is_mandatory(self) -> bool {
        self != ReviewArea::Equality
    }

    /// The areas whose consent adoption needs.
    pub fn required(equality_held: bool) -> Vec<ReviewArea> {
        ReviewArea::ALL
            .into_iter()
            .filter(|a| a.is_mandatory() || equality_held)
            .collect()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Review {
    pub version_number: i64,
    pub area: ReviewArea,
    pub consent: bool,
    pub comment: String,
    pub reviewer_name: String,
    /// The function the reviewer held when signing (empty for statements
    /// recorded before functions existed).
    pub reviewer_function: String,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    version_number: i64,
    area: String,
    decision: String,
    comment: String,
    reviewer_name: String,
    reviewer_function: String,
    created_at: i64,
}

impl Store {
    /// Records a reviewing body's statement on the version under review,
    /// signed by the actor in the area's function (the caller checks that
    /// the actor holds it). A later statement of the same body replaces the
    /// earlier one.
    pub async fn add_review(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        area: ReviewArea,
        consent: bool,
        comment: &str,
    ) -> Result<()> {
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let (status, latest): (String, i64) =
                sqlx::query_as("SELECT status, latest_version FROM documents WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            if DocumentStatus::parse(&status) != DocumentStatus::Review {
                return Err(refused("Stellungnahmen sind nur möglich, solange das Dokument in Prüfung ist."));
            }
            if latest != version {
                return Err(StoreError::Conflict);
            }
            sqlx::query(
                "INSERT INTO document_reviews (document_id, version_number, area, decision, comment, \
                 reviewer_id, reviewer_name, reviewer_function, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id)
            .bind(version)
            .bind(area.as_str())
            .bind(if consent { "zustimmung" } else { "einwaende" })
            .bind(comment.trim())
            .bind(actor.id)
            .bind(&actor.name)
            .bind(area.function().label())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            write_audit!(tx, actor, "Stellungnahme erfasst", format!("Dokument {id}"),
                format!("Version {version}, {}: {}", area.label(),
                    if consent { "Zustimmung" } else { "Einwände" }));
            tx.commit().await?;
        });
        Ok(())
    }

    /// All statements on one version, oldest first.
    pub async fn reviews(&self, id: i64, version: i64) -> Result<Vec<Review>> {
        let rows: Vec<ReviewRow> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT version_number, area, decision, comment, reviewer_name, reviewer_function, \
                 created_at FROM document_reviews WHERE document_id = $1 AND version_number = $2 \
                 ORDER BY created_at, id",
            )
            .bind(id)
            .bind(version)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(Review {
                    version_number: r.version_number,
                    area: ReviewArea::parse(&r.area)?,
                    consent: r.decision == "zustimmung",
                    comment: r.comment,
                    reviewer_name: r.reviewer_name,
                    reviewer_function: r.reviewer_function,
                    created_at: r.created_at,
                })
            })
            .collect())
    }
}
