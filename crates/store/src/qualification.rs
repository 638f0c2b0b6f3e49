//! Qualifizierung: the training catalogue, evaluations, role-profile
//! overrides, planner input, trainings with enrolment and waiting list,
//! completions, issued Open Badges and the instance's signing key.
//!
//! Validation happens in `journey::qualification` before anything arrives
//! here; this module keeps multi-row changes in one transaction (a catalogue
//! import is stored whole or not at all) and serialises enrolments per
//! session so two people cannot take the last seat together.

use std::collections::BTreeMap;

use journey::competency::RoleProfile;
use journey::qualification::catalogue::Catalogue;
use journey::qualification::evidence::{Completion, PersonRecord};
use journey::qualification::offer::{EducationPartner, LearningOffer};
use journey::qualification::path::LearningPath;
use journey::qualification::planner::Cohort;
use journey::qualification::rubric::{Evaluation, OfferScore};
use journey::qualification::training::{enrol, EnrolmentStatus, Session};
use serde::Serialize;

use crate::usecases::{decode_error, to_json};
use crate::{is_unique_violation, now, on_db, write_audit, Actor, Result, Store, StoreError};

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

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: i64,
    name: String,
    department: Option<String>,
    role_profile: Option<String>,
    start_levels: Option<String>,
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

    // ----- role profiles, planner input, people ----------------------------

    pub async fn save_role_profile(&self, actor: &Actor, profile: &RoleProfile) -> Result<()> {
        self.save_role_profiles(actor, std::slice::from_ref(profile))
            .await
    }

    /// Saves several edited role profiles together: all or none.
    pub async fn save_role_profiles(&self, actor: &Actor, profiles: &[RoleProfile]) -> Result<()> {
        let data = profiles.iter().map(to_json).collect::<Result<Vec<_>>>()?;
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            for (profile, data) in profiles.iter().zip(&data) {
                sqlx::query(
                    "INSERT INTO qualification_role_profiles (role_id, data, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (role_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
                )
                .bind(&profile.id)
                .bind(data)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                let targets = profile.targets.iter().map(|(a, l)| format!("{a} {l}")).collect::<Vec<_>>().join(", ");
                write_audit!(tx, actor, "Rollenprofil geändert", format!("Rollenprofil {}", profile.id), targets);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Drops every edited role profile, so the shipped ones apply again.
    pub async fn reset_role_profiles(&self, actor: &Actor) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let removed = sqlx::query("DELETE FROM qualification_role_profiles").execute(&mut *tx).await?;
            write_audit!(tx, actor, "Rollenprofile zurückgesetzt", "Rollenprofile".to_string(),
                format!("{} geänderte Profile verworfen", removed.rows_affected()));
            tx.commit().await?;
        });
        Ok(())
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

    pub async fn role_profile_overrides(&self) -> Result<Vec<RoleProfile>> {
        let rows: Vec<(String,)> = on_db!(self, pool => {
            sqlx::query_as("SELECT data FROM qualification_role_profiles ORDER BY role_id").fetch_all(pool).await?
        });
        documents(rows)
    }

    /// Replaces the planner input entered by hand.
    pub async fn save_cohorts(&self, actor: &Actor, cohorts: &[Cohort]) -> Result<()> {
        let levels = cohorts
            .iter()
            .map(|c| to_json(&c.levels))
            .collect::<Result<Vec<_>>>()?;
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM qualification_cohorts").execute(&mut *tx).await?;
            for (c, l) in cohorts.iter().zip(&levels) {
                sqlx::query(
                    "INSERT INTO qualification_cohorts (department, role, headcount, levels) VALUES ($1, $2, $3, $4)",
                )
                .bind(c.department.trim())
                .bind(&c.role)
                .bind(i64::from(c.headcount))
                .bind(l)
                .execute(&mut *tx)
                .await
                .map_err(|e| duplicate_or(e, || format!(
                            "Fachbereich „{}“ mit Rolle „{}“ ist doppelt angegeben.", c.department, c.role
                        )))?;
            }
            write_audit!(tx, actor, "Planungsdaten gespeichert", "Qualifizierungsplanung".to_string(),
                format!("{} Gruppen", cohorts.len()));
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn cohorts(&self) -> Result<Vec<Cohort>> {
        let rows: Vec<(String, String, i64, String)> = on_db!(self, pool => {
            sqlx::query_as("SELECT department, role, headcount, levels FROM qualification_cohorts ORDER BY department, role")
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(department, role, headcount, levels)| {
                Ok(Cohort {
                    department,
                    role,
                    headcount: u32::try_from(headcount).unwrap_or(0),
                    levels: from_json(&levels)?,
                })
            })
            .collect()
    }

    /// Sets a person's role profile and the levels they start from.
    pub async fn set_person_profile(
        &self,
        actor: &Actor,
        user_id: i64,
        profile: &PersonProfile,
    ) -> Result<()> {
        self.set_person_profiles(actor, &[(user_id, profile.clone())])
            .await
    }

    /// Sets several people's profiles together: all or none.
    pub async fn set_person_profiles(
        &self,
        actor: &Actor,
        profiles: &[(i64, PersonProfile)],
    ) -> Result<()> {
        let levels = profiles
            .iter()
            .map(|(_, p)| to_json(&p.start_levels))
            .collect::<Result<Vec<_>>>()?;
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            for ((user_id, profile), levels) in profiles.iter().zip(&levels) {
                sqlx::query(
                    "INSERT INTO qualification_people (user_id, role_profile, start_levels, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (user_id) DO UPDATE SET role_profile = excluded.role_profile, \
                     start_levels = excluded.start_levels, updated_at = excluded.updated_at",
                )
                .bind(user_id)
                .bind(&profile.role_profile)
                .bind(levels)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                let start = profile.start_levels.iter().map(|(a, l)| format!("{a} {l}")).collect::<Vec<_>>().join(", ");
                write_audit!(tx, actor, "Qualifizierungsprofil gesetzt", format!("Benutzer {user_id}"),
                    format!("Rollenprofil: {}; Ausgangsstufen: {start}", profile.role_profile));
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every stored person profile by user id.
    pub async fn person_profiles(&self) -> Result<BTreeMap<i64, PersonProfile>> {
        let rows: Vec<(i64, String, String)> = on_db!(self, pool => {
            sqlx::query_as("SELECT user_id, role_profile, start_levels FROM qualification_people")
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(id, role_profile, levels)| {
                Ok((
                    id,
                    PersonProfile {
                        role_profile,
                        start_levels: from_json(&levels)?,
                    },
                ))
            })
            .collect()
    }

    pub async fn person_profile(&self, user_id: i64) -> Result<Option<PersonProfile>> {
        let row: Option<(String, String)> = on_db!(self, pool => {
            sqlx::query_as("SELECT role_profile, start_levels FROM qualification_people WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(pool)
                .await?
        });
        row.map(|(role_profile, levels)| {
            Ok(PersonProfile {
                role_profile,
                start_levels: from_json(&levels)?,
            })
        })
        .transpose()
    }

    // ----- trainings -------------------------------------------------------

    pub async fn create_training(&self, actor: &Actor, session: &Session) -> Result<SessionRecord> {
        let data = to_json(session)?;
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let inserted = sqlx::query(
                "INSERT INTO qualification_sessions (id, offer_id, starts_at, capacity, data, created_at, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, 1)",
            )
            .bind(&session.id)
            .bind(&session.offer)
            .bind(&session.starts_at)
            .bind(i64::from(session.capacity))
            .bind(&data)
            .bind(now())
            .execute(&mut *tx)
            .await;
            match inserted {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Duplicate(format!("Den Termin „{}“ gibt es schon.", session.id)))
                }
                Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
                    return Err(not_found("Das Lernangebot", &session.offer))
                }
                Err(e) => return Err(e.into()),
            }
            write_audit!(tx, actor, "Schulungstermin angelegt", format!("Termin {}", session.id),
                format!("{} am {}, {} Plätze", session.title, session.starts_at, session.capacity));
            tx.commit().await?;
        });
        self.training(&session.id).await
    }

    const SESSION_SQL: &'static str = "SELECT s.data, s.version, \
         (SELECT COUNT(*) FROM qualification_enrolments e WHERE e.session_id = s.id \
            AND e.status IN ('enrolled', 'attended', 'completed', 'no_show')), \
         (SELECT COUNT(*) FROM qualification_enrolments e WHERE e.session_id = s.id AND e.status = 'waiting_list') \
         FROM qualification_sessions s";

    pub async fn training(&self, id: &str) -> Result<SessionRecord> {
        let sql = format!("{} WHERE s.id = $1", Self::SESSION_SQL);
        let (data, version, seats_taken, waiting): (String, i64, i64, i64) = on_db!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_one(pool).await?
        });
        Ok(SessionRecord {
            session: from_json(&data)?,
            seats_taken,
            waiting,
            version,
        })
    }

    pub async fn trainings(&self) -> Result<Vec<SessionRecord>> {
        let sql = format!("{} ORDER BY s.starts_at, s.id", Self::SESSION_SQL);
        let rows: Vec<(String, i64, i64, i64)> = on_db!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|(data, version, seats_taken, waiting)| {
                Ok(SessionRecord {
                    session: from_json(&data)?,
                    seats_taken,
                    waiting,
                    version,
                })
            })
            .collect()
    }

    /// Enrols a person: a seat while one is free, else the waiting list.
    /// The session row is locked first (an UPDATE takes the write lock in
    /// both dialects), so concurrent enrolments see each other's seats.
    pub async fn enrol(
        &self,
        actor: &Actor,
        session_id: &str,
        user_id: i64,
    ) -> Result<EnrolmentStatus> {
        let at = now();
        let status = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let locked = sqlx::query("UPDATE qualification_sessions SET version = version WHERE id = $1")
                .bind(session_id)
                .execute(&mut *tx)
                .await?;
            if locked.rows_affected() == 0 {
                return Err(not_found("Den Termin", session_id));
            }
            let (capacity, taken): (i64, i64) = sqlx::query_as(
                "SELECT s.capacity, (SELECT COUNT(*) FROM qualification_enrolments e WHERE e.session_id = s.id \
                 AND e.status IN ('enrolled', 'attended', 'completed', 'no_show')) \
                 FROM qualification_sessions s WHERE s.id = $1",
            )
            .bind(session_id)
            .fetch_one(&mut *tx)
            .await?;
            let status = enrol(u32::try_from(capacity).unwrap_or(0), u32::try_from(taken).unwrap_or(u32::MAX));
            let existing: Option<(String,)> = sqlx::query_as(
                "SELECT status FROM qualification_enrolments WHERE session_id = $1 AND user_id = $2",
            )
            .bind(session_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            match existing.as_ref().and_then(|(s,)| EnrolmentStatus::parse(s)) {
                Some(EnrolmentStatus::Cancelled) => {
                    sqlx::query(
                        "UPDATE qualification_enrolments SET status = $1, enrolled_by = $2, enrolled_at = $3, updated_at = $3 \
                         WHERE session_id = $4 AND user_id = $5",
                    )
                    .bind(status.key())
                    .bind(actor.id)
                    .bind(at)
                    .bind(session_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                }
                Some(current) => {
                    return Err(StoreError::Duplicate(format!(
                        "Die Person ist für diesen Termin bereits eingetragen ({}).",
                        current.label()
                    )))
                }
                None => {
                    sqlx::query(
                        "INSERT INTO qualification_enrolments (session_id, user_id, status, enrolled_by, enrolled_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $5)",
                    )
                    .bind(session_id)
                    .bind(user_id)
                    .bind(status.key())
                    .bind(actor.id)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            write_audit!(tx, actor, "Zu Schulung angemeldet", format!("Termin {session_id}"),
                format!("Benutzer {user_id}: {}", status.label()));
            tx.commit().await?;
            status
        });
        Ok(status)
    }

    /// Cancels an enrolment; a freed seat goes to the first on the waiting
    /// list, whose id is returned.
    pub async fn cancel_enrolment(
        &self,
        actor: &Actor,
        session_id: &str,
        user_id: i64,
    ) -> Result<Option<i64>> {
        let at = now();
        let promoted = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE qualification_sessions SET version = version WHERE id = $1")
                .bind(session_id)
                .execute(&mut *tx)
                .await?;
            let before: Option<(String,)> = sqlx::query_as(
                "SELECT status FROM qualification_enrolments WHERE session_id = $1 AND user_id = $2",
            )
            .bind(session_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(before) = before.and_then(|(s,)| EnrolmentStatus::parse(&s)) else {
                return Err(StoreError::NotFound);
            };
            sqlx::query("UPDATE qualification_enrolments SET status = 'cancelled', updated_at = $1 WHERE session_id = $2 AND user_id = $3")
                .bind(at)
                .bind(session_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            let mut promoted = None;
            if before.holds_seat() {
                let next: Option<(i64,)> = sqlx::query_as(
                    "SELECT user_id FROM qualification_enrolments WHERE session_id = $1 AND status = 'waiting_list' \
                     ORDER BY enrolled_at, user_id LIMIT 1",
                )
                .bind(session_id)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((next,)) = next {
                    sqlx::query("UPDATE qualification_enrolments SET status = 'enrolled', updated_at = $1 WHERE session_id = $2 AND user_id = $3")
                        .bind(at)
                        .bind(session_id)
                        .bind(next)
                        .execute(&mut *tx)
                        .await?;
                    promoted = Some(next);
                }
            }
            write_audit!(tx, actor, "Von Schulung abgemeldet", format!("Termin {session_id}"),
                match promoted {
                    Some(p) => format!("Benutzer {user_id}; nachgerückt: Benutzer {p}"),
                    None => format!("Benutzer {user_id}"),
                });
            tx.commit().await?;
            promoted
        });
        Ok(promoted)
    }

    /// Records attendance (`attended` or `no_show`) or completion. Completion
    /// also records the session's offer as completed on `completed_on`.
    pub async fn set_enrolment_status(
        &self,
        actor: &Actor,
        session_id: &str,
        user_id: i64,
        status: EnrolmentStatus,
        completed_on: &str,
    ) -> Result<()> {
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let row: Option<(String, String)> = sqlx::query_as(
                "SELECT e.status, s.offer_id FROM qualification_enrolments e \
                 JOIN qualification_sessions s ON s.id = e.session_id WHERE e.session_id = $1 AND e.user_id = $2",
            )
            .bind(session_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((from, offer_id)) = row else { return Err(StoreError::NotFound) };
            let from = EnrolmentStatus::parse(&from).unwrap_or(EnrolmentStatus::Cancelled);
            let allowed = match status {
                EnrolmentStatus::Attended | EnrolmentStatus::NoShow => {
                    journey::qualification::training::can_record_attendance(from)
                }
                EnrolmentStatus::Completed => matches!(from, EnrolmentStatus::Attended | EnrolmentStatus::Completed),
                _ => false,
            };
            if !allowed {
                return Err(StoreError::Duplicate(format!(
                    "Der Status kann nicht von „{}“ zu „{}“ wechseln.", from.label(), status.label()
                )));
            }
            sqlx::query("UPDATE qualification_enrolments SET status = $1, updated_at = $2 WHERE session_id = $3 AND user_id = $4")
                .bind(status.key())
                .bind(at)
                .bind(session_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            if status == EnrolmentStatus::Completed {
                sqlx::query(
                    "INSERT INTO qualification_completions (user_id, offer_id, completed_on, session_id, recorded_by, recorded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, offer_id) DO NOTHING",
                )
                .bind(user_id)
                .bind(&offer_id)
                .bind(completed_on)
                .bind(session_id)
                .bind(actor.id)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            write_audit!(tx, actor, "Schulungsstatus erfasst", format!("Termin {session_id}"),
                format!("Benutzer {user_id}: {}", status.label()));
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records an offer completed outside a session (e.g. an online course).
    pub async fn record_completion(
        &self,
        actor: &Actor,
        user_id: i64,
        offer_id: &str,
        completed_on: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let inserted = sqlx::query(
                "INSERT INTO qualification_completions (user_id, offer_id, completed_on, session_id, recorded_by, recorded_at) \
                 VALUES ($1, $2, $3, NULL, $4, $5) ON CONFLICT (user_id, offer_id) DO UPDATE SET completed_on = excluded.completed_on",
            )
            .bind(user_id)
            .bind(offer_id)
            .bind(completed_on)
            .bind(actor.id)
            .bind(now())
            .execute(&mut *tx)
            .await;
            match inserted {
                Ok(_) => {}
                Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
                    return Err(not_found("Das Lernangebot oder die Person", offer_id))
                }
                Err(e) => return Err(e.into()),
            }
            write_audit!(tx, actor, "Lernangebot abgeschlossen", format!("Benutzer {user_id}"),
                format!("{offer_id} am {completed_on}"));
            tx.commit().await?;
        });
        Ok(())
    }

    /// Enrolments of one session (`Some`) or of one person (`user`).
    pub async fn enrolments(
        &self,
        session_id: Option<&str>,
        user_id: Option<i64>,
    ) -> Result<Vec<EnrolmentRecord>> {
        let rows: Vec<(String, i64, String, Option<String>, String, i64)> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT e.session_id, e.user_id, u.name, u.department, e.status, e.enrolled_at \
                 FROM qualification_enrolments e JOIN users u ON u.id = e.user_id \
                 WHERE ($1 IS NULL OR e.session_id = $1) AND ($2 IS NULL OR e.user_id = $2) \
                 ORDER BY e.session_id, e.enrolled_at, e.user_id",
            )
            .bind(session_id)
            .bind(user_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(session_id, user_id, user_name, department, status, enrolled_at)| {
                    EnrolmentRecord {
                        session_id,
                        user_id,
                        user_name,
                        department,
                        status: EnrolmentStatus::parse(&status)
                            .unwrap_or(EnrolmentStatus::Cancelled),
                        enrolled_at,
                    }
                },
            )
            .collect())
    }

    pub async fn completions(&self, user_id: i64) -> Result<Vec<Completion>> {
        let rows: Vec<(String, String)> = on_db!(self, pool => {
            sqlx::query_as("SELECT offer_id, completed_on FROM qualification_completions WHERE user_id = $1 ORDER BY completed_on, offer_id")
                .bind(user_id)
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(offer, completed_on)| Completion {
                offer,
                completed_on,
            })
            .collect())
    }

    // ----- credentials -----------------------------------------------------

    /// The instance's Ed25519 seed; created on first use. Two instances
    /// racing to create it agree, because only the first insert wins.
    pub async fn signing_key_seed(&self) -> Result<[u8; 32]> {
        if self.setting(SIGNING_KEY_SETTING).await?.is_none() {
            use rand::RngCore;
            let mut seed = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut seed);
            on_db!(self, pool => {
                sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                    .bind(SIGNING_KEY_SETTING)
                    .bind(hex::encode(seed))
                    .execute(pool)
                    .await?;
            });
        }
        let text = self.setting(SIGNING_KEY_SETTING).await?.unwrap_or_default();
        hex::decode(&text)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| {
                StoreError::Database(sqlx::Error::Protocol(
                    "Der Signaturschlüssel der Instanz ist beschädigt.".into(),
                ))
            })
    }

    pub async fn save_credential(
        &self,
        actor: &Actor,
        credential: &CredentialRecord,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO qualification_credentials (id, user_id, path_id, title, document, issued_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&credential.id)
            .bind(credential.user_id)
            .bind(&credential.path_id)
            .bind(&credential.title)
            .bind(&credential.document)
            .bind(credential.issued_at)
            .execute(&mut *tx)
            .await?;
            write_audit!(tx, actor, "Nachweis ausgestellt", format!("Benutzer {}", credential.user_id),
                format!("Open Badge „{}“ ({})", credential.title, credential.id));
            tx.commit().await?;
        });
        Ok(())
    }

    const CREDENTIAL_SQL: &'static str =
        "SELECT id, user_id, path_id, title, document, issued_at FROM qualification_credentials";

    pub async fn credential(&self, id: &str) -> Result<CredentialRecord> {
        let sql = format!("{} WHERE id = $1", Self::CREDENTIAL_SQL);
        let row: (String, i64, String, String, String, i64) = on_db!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_one(pool).await?
        });
        Ok(credential_from(row))
    }

    pub async fn credentials(&self, user_id: Option<i64>) -> Result<Vec<CredentialRecord>> {
        let sql = format!(
            "{} WHERE ($1 IS NULL OR user_id = $1) ORDER BY issued_at, id",
            Self::CREDENTIAL_SQL
        );
        let rows: Vec<(String, i64, String, String, String, i64)> = on_db!(self, pool => {
            sqlx::query_as(&sql).bind(user_id).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(credential_from).collect())
    }

    // ----- Art. 4 evidence -------------------------------------------------

    /// One record per active account with a qualification profile (or the
    /// baseline role `baseline_role` without one), optionally only one
    /// department or one person.
    pub async fn person_records(
        &self,
        baseline_role: &str,
        department: Option<&str>,
        user_id: Option<i64>,
    ) -> Result<Vec<(i64, PersonRecord)>> {
        let people: Vec<PersonRow> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT u.id, u.name, u.department, p.role_profile, p.start_levels FROM users u \
                 LEFT JOIN qualification_people p ON p.user_id = u.id \
                 WHERE u.active = $1 AND ($2 IS NULL OR u.department = $2) AND ($3 IS NULL OR u.id = $3) \
                 ORDER BY u.department, u.name, u.id",
            )
            .bind(true)
            .bind(department)
            .bind(user_id)
            .fetch_all(pool)
            .await?
        });
        let completions: Vec<(i64, String, String)> = on_db!(self, pool => {
            sqlx::query_as("SELECT user_id, offer_id, completed_on FROM qualification_completions ORDER BY completed_on")
                .fetch_all(pool)
                .await?
        });
        let credentials = self.credentials(user_id).await?;
        let mut out = Vec::with_capacity(people.len());
        for PersonRow {
            id,
            name,
            department: dept,
            role_profile: role,
            start_levels: levels,
        } in people
        {
            out.push((
                id,
                PersonRecord {
                    name,
                    department: dept.unwrap_or_else(|| "ohne Fachbereich".to_string()),
                    role: role.unwrap_or_else(|| baseline_role.to_string()),
                    start_levels: levels
                        .as_deref()
                        .map(from_json)
                        .transpose()?
                        .unwrap_or_default(),
                    completions: completions
                        .iter()
                        .filter(|(u, ..)| *u == id)
                        .map(|(_, offer, on)| Completion {
                            offer: offer.clone(),
                            completed_on: on.clone(),
                        })
                        .collect(),
                    credentials: credentials
                        .iter()
                        .filter(|c| c.user_id == id)
                        .map(|c| c.title.clone())
                        .collect(),
                },
            ));
        }
        Ok(out)
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

fn credential_from(
    (id, user_id, path_id, title, document, issued_at): (String, i64, String, String, String, i64),
) -> CredentialRecord {
    CredentialRecord {
        id,
        user_id,
        path_id,
        title,
        document,
        issued_at,
    }
}
