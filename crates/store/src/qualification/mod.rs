//! Qualifizierung: the training catalogue, evaluations, role-profile
//! overrides, planner input, trainings with enrolment and waiting list,
//! completions, issued Open Badges and the instance's signing key.
//!
//! Validation happens in `journey::qualification` before anything arrives
//! here; this module keeps multi-row changes in one transaction (a catalogue
//! import is stored whole or not at all) and serialises enrolments per
//! session so two people cannot take the last seat together.

use std::collections::BTreeMap;

use journey::qualification::catalogue::Catalogue;
use journey::qualification::offer::{EducationPartner, LearningOffer};
use journey::qualification::path::LearningPath;
use journey::qualification::rubric::{Evaluation, OfferScore};
use journey::qualification::training::{EnrolmentStatus, Session};
use serde::Serialize;

use crate::usecases::{decode_error, to_json};
use crate::{is_unique_violation, now, on_db, write_audit, Actor, Result, Store, StoreError};

mod evidence;
mod people;
mod training;

/// Where the Ed25519 seed of the instance's badge key is kept (hex).
pub const SIGNING_KEY_SETTING: &str = "qualification.signing_key";

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(decode_error)
}

#[derive(Debug, Clone, Serialize)]
pub struct OfferRecord {
    pub offer: LearningOffer,
    pub version: i64,
    pub updated_at: i64,
    /// Archived offers stay for the evidence of those who completed them
    /// but leave the catalogue, the planner and new sessions.
    pub archived: bool,
}

/// The evaluation rubric as stored after an edit.
#[derive(Debug, Clone)]
pub struct RubricRecord {
    pub data: String,
    pub version: i64,
}

/// The key of the one row of `qualification_rubric`.
const RUBRIC_ROW: &str = "rubric";

#[derive(Debug, Clone, Serialize)]
pub struct EvaluationRecord {
    pub evaluation: Evaluation,
    pub total: f64,
    pub version: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionRecord {
    pub session: Session,
    pub seats_taken: i64,
    pub waiting: i64,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnrolmentRecord {
    pub session_id: String,
    pub user_id: i64,
    pub user_name: String,
    pub department: Option<String>,
    pub status: EnrolmentStatus,
    pub enrolled_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CredentialRecord {
    pub id: String,
    pub user_id: i64,
    pub path_id: String,
    pub title: String,
    pub document: String,
    pub issued_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonProfile {
    pub role_profile: String,
    pub start_levels: BTreeMap<String, u8>,
}

/// A unique violation becomes the message naming the item; other errors
/// stay what they are.
fn duplicate_or(e: sqlx::Error, message: impl FnOnce() -> String) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Duplicate(message())
    } else {
        e.into()
    }
}

/// Rows of one JSON document column, decoded.
fn documents<T: serde::de::DeserializeOwned>(rows: Vec<(String,)>) -> Result<Vec<T>> {
    rows.iter().map(|(d,)| from_json(d)).collect()
}

fn not_found(what: &str, id: &str) -> StoreError {
    StoreError::Duplicate(format!("{what} „{id}“ gibt es nicht."))
}

impl Store {
    // ----- catalogue -------------------------------------------------------

    /// Stores a new offer; its id and URL must be new.
    pub async fn create_offer(&self, actor: &Actor, offer: &LearningOffer) -> Result<OfferRecord> {
        self.import_catalogue_items(
            actor,
            std::slice::from_ref(offer),
            &[],
            &[],
            "Lernangebot angelegt",
        )
        .await?;
        self.offer(&offer.id).await
    }

    /// Adds offers, partners and paths in one transaction: all or nothing.
    /// Used by the CSV/JSON import after `journey::qualification::exchange`
    /// has checked and merged them; a taken id or URL aborts the whole import.
    pub async fn import_catalogue_items(
        &self,
        actor: &Actor,
        offers: &[LearningOffer],
        partners: &[EducationPartner],
        paths: &[LearningPath],
        action: &str,
    ) -> Result<()> {
        let at = now();
        let offers_json = offers.iter().map(to_json).collect::<Result<Vec<_>>>()?;
        let partners_json = partners.iter().map(to_json).collect::<Result<Vec<_>>>()?;
        let paths_json = paths.iter().map(to_json).collect::<Result<Vec<_>>>()?;
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            for (offer, data) in offers.iter().zip(&offers_json) {
                sqlx::query(
                    "INSERT INTO qualification_offers (id, title, url, data, created_at, updated_at, version) \
                     VALUES ($1, $2, $3, $4, $5, $5, 1)",
                )
                .bind(&offer.id)
                .bind(offer.title.trim())
                .bind(offer.url.as_deref())
                .bind(data)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(|e| duplicate_or(e, || format!(
                            "Das Lernangebot „{}“ gibt es schon (gleiche Kennung oder Adresse).",
                            offer.id
                        )))?;
                write_audit!(tx, actor, action, format!("Lernangebot {}", offer.id), format!("„{}“", offer.title.trim()));
            }
            for (partner, data) in partners.iter().zip(&partners_json) {
                sqlx::query(
                    "INSERT INTO qualification_partners (id, name, data, updated_at, version) VALUES ($1, $2, $3, $4, 1)",
                )
                .bind(&partner.id)
                .bind(partner.name.trim())
                .bind(data)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(|e| duplicate_or(e, || format!(
                            "Den Bildungspartner „{}“ gibt es schon.", partner.id
                        )))?;
                write_audit!(tx, actor, action, format!("Bildungspartner {}", partner.id), String::new());
            }
            for (path, data) in paths.iter().zip(&paths_json) {
                sqlx::query(
                    "INSERT INTO qualification_paths (id, title, role, data, updated_at, version) VALUES ($1, $2, $3, $4, $5, 1)",
                )
                .bind(&path.id)
                .bind(path.title.trim())
                .bind(path.role.as_deref())
                .bind(data)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(|e| duplicate_or(e, || format!(
                            "Den Lernpfad „{}“ gibt es schon.", path.id
                        )))?;
                write_audit!(tx, actor, action, format!("Lernpfad {}", path.id), format!("„{}“", path.title.trim()));
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Replaces an offer; `expected_version` is the version the editor saw.
    pub async fn update_offer(
        &self,
        actor: &Actor,
        offer: &LearningOffer,
        expected_version: i64,
    ) -> Result<OfferRecord> {
        let data = to_json(offer)?;
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let updated = sqlx::query(
                "UPDATE qualification_offers SET title = $1, url = $2, data = $3, updated_at = $4, \
                 version = version + 1 WHERE id = $5 AND version = $6",
            )
            .bind(offer.title.trim())
            .bind(offer.url.as_deref())
            .bind(&data)
            .bind(now())
            .bind(&offer.id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await;
            let updated = match updated {
                Ok(u) => u,
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Duplicate(format!(
                        "Die Adresse {} gehört schon zu einem anderen Lernangebot.",
                        offer.url.as_deref().unwrap_or_default()
                    )))
                }
                Err(e) => return Err(e.into()),
            };
            if updated.rows_affected() == 0 {
                let exists: Option<(i64,)> = sqlx::query_as("SELECT version FROM qualification_offers WHERE id = $1")
                    .bind(&offer.id)
                    .fetch_optional(&mut *tx)
                    .await?;
                return Err(if exists.is_some() { StoreError::Conflict } else { StoreError::NotFound });
            }
            write_audit!(tx, actor, "Lernangebot geändert", format!("Lernangebot {}", offer.id), format!("„{}“", offer.title.trim()));
            tx.commit().await?;
        });
        self.offer(&offer.id).await
    }

    const OFFER_SQL: &'static str =
        "SELECT data, version, updated_at, archived_at FROM qualification_offers";

    pub async fn offer(&self, id: &str) -> Result<OfferRecord> {
        let sql = format!("{} WHERE id = $1", Self::OFFER_SQL);
        let row: OfferRow = on_db!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_one(pool).await?
        });
        offer_from(row)
    }

    /// Every offer, archived ones included (with their flag).
    pub async fn offers(&self) -> Result<Vec<OfferRecord>> {
        let sql = format!("{} ORDER BY title, id", Self::OFFER_SQL);
        let rows: Vec<OfferRow> = on_db!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        rows.into_iter().map(offer_from).collect()
    }

    /// Archives an offer or takes it back; `expected_version` is the
    /// version the editor saw. The version moves on, so an edit form opened
    /// before sees the change.
    pub async fn set_offer_archived(
        &self,
        actor: &Actor,
        id: &str,
        archived: bool,
        expected_version: i64,
    ) -> Result<OfferRecord> {
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let updated = sqlx::query(
                "UPDATE qualification_offers SET archived_at = $1, updated_at = $2, version = version + 1 \
                 WHERE id = $3 AND version = $4",
            )
            .bind(archived.then_some(at))
            .bind(at)
            .bind(id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                let exists: Option<(i64,)> = sqlx::query_as("SELECT version FROM qualification_offers WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                return Err(if exists.is_some() { StoreError::Conflict } else { StoreError::NotFound });
            }
            let action = if archived { "Lernangebot archiviert" } else { "Lernangebot wieder aufgenommen" };
            write_audit!(tx, actor, action, format!("Lernangebot {id}"), String::new());
            tx.commit().await?;
        });
        self.offer(id).await
    }

    /// Creates or replaces a partner.
    pub async fn save_partner(&self, actor: &Actor, partner: &EducationPartner) -> Result<()> {
        let data = to_json(partner)?;
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO qualification_partners (id, name, data, updated_at, version) VALUES ($1, $2, $3, $4, 1) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, data = excluded.data, \
                 updated_at = excluded.updated_at, version = qualification_partners.version + 1",
            )
            .bind(&partner.id)
            .bind(partner.name.trim())
            .bind(&data)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            write_audit!(tx, actor, "Bildungspartner gespeichert", format!("Bildungspartner {}", partner.id),
                format!("Status: {}", partner.status.label()));
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn partners(&self) -> Result<Vec<EducationPartner>> {
        let rows: Vec<(String,)> = on_db!(self, pool => {
            sqlx::query_as("SELECT data FROM qualification_partners ORDER BY name, id").fetch_all(pool).await?
        });
        documents(rows)
    }

    /// Creates or replaces a learning path (checked by the caller).
    pub async fn save_path(&self, actor: &Actor, path: &LearningPath) -> Result<()> {
        let data = to_json(path)?;
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO qualification_paths (id, title, role, data, updated_at, version) VALUES ($1, $2, $3, $4, $5, 1) \
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title, role = excluded.role, data = excluded.data, \
                 updated_at = excluded.updated_at, version = qualification_paths.version + 1",
            )
            .bind(&path.id)
            .bind(path.title.trim())
            .bind(path.role.as_deref())
            .bind(&data)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            write_audit!(tx, actor, "Lernpfad gespeichert", format!("Lernpfad {}", path.id),
                format!("{} Schritte", path.steps.len()));
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn paths(&self) -> Result<Vec<LearningPath>> {
        let rows: Vec<(String,)> = on_db!(self, pool => {
            sqlx::query_as("SELECT data FROM qualification_paths ORDER BY title, id").fetch_all(pool).await?
        });
        documents(rows)
    }

    /// Offers, partners and paths as one catalogue, archived offers
    /// included: what completions and imports are checked against.
    pub async fn catalogue(&self) -> Result<Catalogue> {
        self.catalogue_of(|_| true).await
    }

    /// The catalogue without archived offers: what users browse, plan with,
    /// build paths from and export.
    pub async fn active_catalogue(&self) -> Result<Catalogue> {
        self.catalogue_of(|r| !r.archived).await
    }

    async fn catalogue_of(&self, keep: impl Fn(&OfferRecord) -> bool) -> Result<Catalogue> {
        Ok(Catalogue {
            schema: None,
            offers: self
                .offers()
                .await?
                .into_iter()
                .filter(|r| keep(r))
                .map(|r| r.offer)
                .collect(),
            partners: self.partners().await?,
            paths: self.paths().await?,
        })
    }

    // ----- evaluation ------------------------------------------------------

    /// Stores the evaluation of an offer with its score (replacing an
    /// earlier one).
    pub async fn save_evaluation(
        &self,
        actor: &Actor,
        evaluation: &Evaluation,
        score: &OfferScore,
    ) -> Result<()> {
        let data = to_json(evaluation)?;
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let saved = sqlx::query(
                "INSERT INTO qualification_evaluations (offer_id, data, total, decision, evaluated_by, updated_at, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, 1) \
                 ON CONFLICT (offer_id) DO UPDATE SET data = excluded.data, total = excluded.total, \
                 decision = excluded.decision, evaluated_by = excluded.evaluated_by, \
                 updated_at = excluded.updated_at, version = qualification_evaluations.version + 1",
            )
            .bind(&evaluation.offer)
            .bind(&data)
            .bind(score.total)
            .bind(evaluation.decision.key())
            .bind(actor.id)
            .bind(at)
            .execute(&mut *tx)
            .await;
            if let Err(e) = saved {
                return Err(match e {
                    sqlx::Error::Database(d) if d.is_foreign_key_violation() => not_found("Das Lernangebot", &evaluation.offer),
                    other => other.into(),
                });
            }
            write_audit!(tx, actor, "Lernangebot bewertet", format!("Lernangebot {}", evaluation.offer),
                format!("{} Punkte, Entscheidung: {}", score.total, evaluation.decision.label()));
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn evaluations(&self) -> Result<Vec<EvaluationRecord>> {
        let rows: Vec<(String, f64, i64, i64)> = on_db!(self, pool => {
            sqlx::query_as("SELECT data, total, version, updated_at FROM qualification_evaluations ORDER BY total DESC, offer_id")
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(d, total, version, updated_at)| {
                Ok(EvaluationRecord {
                    evaluation: from_json(&d)?,
                    total,
                    version,
                    updated_at,
                })
            })
            .collect()
    }

    // ----- rubric ----------------------------------------------------------

    /// The edited rubric (JSON), if it was ever edited.
    pub async fn rubric(&self) -> Result<Option<RubricRecord>> {
        let row: Option<(String, i64)> = on_db!(self, pool => {
            sqlx::query_as("SELECT data, version FROM qualification_rubric WHERE id = $1")
                .bind(RUBRIC_ROW)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(data, version)| RubricRecord { data, version }))
    }

    /// Replaces the rubric and, in the same transaction, the stored totals
    /// of the evaluations rescored under it (`offer id → total`).
    /// `expected_version` is what the editor saw (0: the shipped rubric).
    pub async fn save_rubric(
        &self,
        actor: &Actor,
        data: &str,
        expected_version: i64,
        rescored: &[(String, f64)],
        detail: &str,
    ) -> Result<i64> {
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let written = if expected_version == 0 {
                sqlx::query(
                    "INSERT INTO qualification_rubric (id, data, version, updated_at) VALUES ($1, $2, 1, $3) \
                     ON CONFLICT (id) DO NOTHING",
                )
                .bind(RUBRIC_ROW)
                .bind(data)
                .bind(at)
                .execute(&mut *tx)
                .await?
            } else {
                sqlx::query(
                    "UPDATE qualification_rubric SET data = $1, version = version + 1, updated_at = $2 \
                     WHERE id = $3 AND version = $4",
                )
                .bind(data)
                .bind(at)
                .bind(RUBRIC_ROW)
                .bind(expected_version)
                .execute(&mut *tx)
                .await?
            };
            if written.rows_affected() == 0 {
                return Err(StoreError::Conflict);
            }
            for (offer, total) in rescored {
                sqlx::query("UPDATE qualification_evaluations SET total = $1 WHERE offer_id = $2")
                    .bind(total)
                    .bind(offer)
                    .execute(&mut *tx)
                    .await?;
            }
            write_audit!(tx, actor, "Bewertungsraster geändert", "Bewertungsraster".to_string(), detail.to_string());
            tx.commit().await?;
        });
        Ok(expected_version + 1)
    }
}

type OfferRow = (String, i64, i64, Option<i64>);

fn offer_from((data, version, updated_at, archived_at): OfferRow) -> Result<OfferRecord> {
    Ok(OfferRecord {
        offer: from_json(&data)?,
        version,
        updated_at,
        archived: archived_at.is_some(),
    })
}
