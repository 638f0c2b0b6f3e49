//! Nachnutzung: applying an imported bundle, and remembering where each
//! imported item came from (`bundle_provenance`).
//!
//! The `bundle` crate decides what to write (it compares the bundle with
//! what is here and asks the user about conflicts); this module only writes,
//! all items of one bundle in one transaction with their provenance and
//! audit entries, so an import either happens completely or not at all.

use journey::competency::RoleProfile;
use journey::plan::StepStatus;
use journey::profile::Profile;
use journey::qualification::offer::{EducationPartner, LearningOffer};
use journey::qualification::path::LearningPath;
use journey::qualification::rubric::Evaluation;
use journey::usecase::model::UseCase;
use journey::usecase::register::RegisterEntry;

use crate::documents::DocumentStatus;
use crate::profile::write_profile;
use crate::usecases::to_json;
use crate::{now, on_db, write_audit, Actor, Result, Store};

/// The setting that names this instance in the identifiers of items that
/// have no natural one (surveys and documents are numbered per instance).
pub const INSTANCE_ID_KEY: &str = "bundle.instance_id";

/// One row of `bundle_provenance`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Provenance {
    pub kind: String,
    pub item_id: String,
    pub local_id: String,
    pub origin: String,
    pub bundle_sha256: String,
    pub snapshot: Option<String>,
    pub imported_at: i64,
}

/// A document as a bundle carries it: one text, its status and adoption.
#[derive(Debug, Clone)]
pub struct ImportedDocument {
    pub template_id: String,
    pub kind: String,
    pub title: String,
    pub status: DocumentStatus,
    pub markdown: String,
    pub adopted_on: Option<String>,
    pub adopted_by: Option<String>,
}

/// A survey as a bundle carries it: the questionnaire, and the aggregated
/// results of the municipality that ran it (kept as a snapshot).
#[derive(Debug, Clone)]
pub struct ImportedSurvey {
    pub title: String,
    pub questionnaire: String,
    pub min_group_size: i64,
    pub results: Option<String>,
}

/// What one imported item writes.
#[derive(Debug, Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "a bundle holds a few hundred writes at most; the register entry grew with the fields of 18.13"
)]
pub enum BundleWrite {
    /// The profile without its contacts: contacts already entered here stay.
    Profile(Profile),
    Step {
        status: StepStatus,
        note: String,
    },
    UseCase {
        use_case: Box<UseCase>,
        register: Option<RegisterEntry>,
        published: bool,
        /// Its AI Act duties as the importer gets them (open, nobody's);
        /// a duty already kept here stays as it is.
        duties: Vec<journey::usecase::duties::DutyTask>,
    },
    Offer(Box<LearningOffer>),
    Partner(EducationPartner),
    Path(LearningPath),
    Evaluation {
        evaluation: Evaluation,
        total: f64,
    },
    RoleProfile(RoleProfile),
    Setting {
        key: String,
        value: String,
    },
    Survey(ImportedSurvey),
    Document(ImportedDocument),
}

/// One item to write: its kind and bundle identifier, the local record it
/// replaces (`None`: create one), and what to write.
#[derive(Debug, Clone)]
pub struct ImportItem {
    pub kind: String,
    pub item_id: String,
    pub local_id: Option<String>,
    pub write: BundleWrite,
}

impl Store {
    /// Every provenance row, by kind and identifier.
    pub async fn bundle_provenance(&self) -> Result<Vec<Provenance>> {
        on_db!(self, pool => {
            Ok(sqlx::query_as(
                "SELECT kind, item_id, local_id, origin, bundle_sha256, snapshot, imported_at \
                 FROM bundle_provenance ORDER BY kind, item_id",
            )
            .fetch_all(pool)
            .await?)
        })
    }

    /// This instance's short random name, made on first use.
    pub async fn bundle_instance_id(&self) -> Result<String> {
        if let Some(id) = self.setting(INSTANCE_ID_KEY).await? {
            return Ok(id);
        }
        let id = crate::random_token(4);
        on_db!(self, pool => {
            sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                .bind(INSTANCE_ID_KEY)
                .bind(&id)
                .execute(pool)
                .await?;
        });
        // Another process may have won the race; its value counts.
        Ok(self.setting(INSTANCE_ID_KEY).await?.unwrap_or(id))
    }

    /// Writes all items of one bundle in one transaction, each with its
    /// provenance and an audit entry; on any error nothing is written.
    pub async fn apply_bundle(
        &self,
        actor: &Actor,
        origin: &str,
        bundle_sha256: &str,
        items: &[ImportItem],
    ) -> Result<()> {
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            for item in items {
                let mut snapshot: Option<String> = None;
                let local_id: String = match &item.write {
                    BundleWrite::Profile(p) => {
                        let current: Option<(String, String, String, i64)> = sqlx::query_as(
                            "SELECT dpo_contact, it_security_contact, staff_council_contact, version FROM municipality WHERE id = 1",
                        )
                        .fetch_optional(&mut *tx)
                        .await?;
                        let (dpo, it, council, version) = current.unwrap_or_default();
                        let profile = Profile {
                            dpo_contact: dpo,
                            it_security_contact: it,
                            staff_council_contact: council,
                            ..p.clone()
                        };
                        write_profile!(tx, &profile, version + 1);
                        item.item_id.clone()
                    }
                    BundleWrite::Step { status, note } => {
                        sqlx::query(
                            "INSERT INTO step_status (step_id, status, note, updated_by, updated_by_name, updated_at, version) \
                             VALUES ($1, $2, $3, $4, $5, $6, 1) \
                             ON CONFLICT (step_id) DO UPDATE SET status = excluded.status, note = excluded.note, \
                             updated_by = excluded.updated_by, updated_by_name = excluded.updated_by_name, \
                             updated_at = excluded.updated_at, version = step_status.version + 1",
                        )
                        .bind(&item.item_id)
                        .bind(status.as_str())
                        .bind(note)
                        .bind(actor.id)
                        .bind(&actor.name)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                        item.item_id.clone()
                    }
                    BundleWrite::UseCase { use_case, register, published, duties } => {
                        let data = to_json(use_case.as_ref())?;
                        let register = register.as_ref().map(to_json).transpose()?;
                        let status = serde_json::to_value(use_case.status)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default();
                        sqlx::query(
                            "INSERT INTO use_cases (id, title, status, department, data, register, published, \
                             created_by, created_at, updated_at, version) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 1) \
                             ON CONFLICT (id) DO UPDATE SET title = excluded.title, status = excluded.status, \
                             department = excluded.department, data = excluded.data, register = excluded.register, \
                             published = excluded.published, updated_at = excluded.updated_at, \
                             version = use_cases.version + 1",
                        )
                        .bind(&use_case.id)
                        .bind(use_case.intake.title.trim())
                        .bind(status)
                        .bind(use_case.intake.department.as_deref())
                        .bind(&data)
                        .bind(register)
                        .bind(*published)
                        .bind(actor.id)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                        for (position, d) in duties.iter().enumerate() {
                            sqlx::query(
                                "INSERT INTO usecase_duties (use_case_id, duty, position, title, articles, \
                                 duty_of, applies_from, owner_id, due, due_set, status, reason, review_on, \
                                 current, updated_at) \
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9, $10, '', NULL, $11, $12) \
                                 ON CONFLICT (use_case_id, duty) DO NOTHING",
                            )
                            .bind(&use_case.id)
                            .bind(&d.duty)
                            .bind(i64::try_from(position).unwrap_or(i64::MAX))
                            .bind(&d.title)
                            .bind(to_json(&d.articles)?)
                            .bind(d.duty_of.map(crate::usecase_duties::role_key))
                            .bind(&d.applies_from)
                            .bind(&d.due)
                            .bind(false)
                            .bind(journey::usecase::duties::DutyStatus::Open.key())
                            .bind(true)
                            .bind(at)
                            .execute(&mut *tx)
                            .await?;
                        }
                        use_case.id.clone()
                    }
                    BundleWrite::Offer(offer) => {
                        sqlx::query(
                            "INSERT INTO qualification_offers (id, title, url, data, created_at, updated_at, version) \
                             VALUES ($1, $2, $3, $4, $5, $5, 1) ON CONFLICT (id) DO UPDATE SET \
                             title = excluded.title, url = excluded.url, data = excluded.data, \
                             updated_at = excluded.updated_at, version = qualification_offers.version + 1",
                        )
                        .bind(&offer.id)
                        .bind(offer.title.trim())
                        .bind(offer.url.as_deref())
                        .bind(to_json(offer.as_ref())?)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                        offer.id.clone()
                    }
                    BundleWrite::Partner(partner) => {
                        sqlx::query(
                            "INSERT INTO qualification_partners (id, name, data, updated_at, version) \
                             VALUES ($1, $2, $3, $4, 1) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
                             data = excluded.data, updated_at = excluded.updated_at, \
                             version = qualification_partners.version + 1",
                        )
                        .bind(&partner.id)
                        .bind(partner.name.trim())
                        .bind(to_json(partner)?)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                        partner.id.clone()
                    }
                    BundleWrite::Path(path) => {
                        sqlx::query(
                            "INSERT INTO qualification_paths (id, title, role, data, updated_at, version) \
                             VALUES ($1, $2, $3, $4, $5, 1) ON CONFLICT (id) DO UPDATE SET title = excluded.title, \
                             role = excluded.role, data = excluded.data, updated_at = excluded.updated_at, \
                             version = qualification_paths.version + 1",
                        )
                        .bind(&path.id)
                        .bind(path.title.trim())
                        .bind(path.role.as_deref())
                        .bind(to_json(path)?)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                        path.id.clone()
                    }
                    BundleWrite::Evaluation { evaluation, total } => {
                        sqlx::query(
                            "INSERT INTO qualification_evaluations (offer_id, data, total, decision, evaluated_by, updated_at, version) \
                             VALUES ($1, $2, $3, $4, $5, $6, 1) ON CONFLICT (offer_id) DO UPDATE SET \
                             data = excluded.data, total = excluded.total, decision = excluded.decision, \
                             evaluated_by = excluded.evaluated_by, updated_at = excluded.updated_at, \
                             version = qualification_evaluations.version + 1",
                        )
                        .bind(&evaluation.offer)
                        .bind(to_json(evaluation)?)
                        .bind(*total)
                        .bind(evaluation.decision.key())
                        .bind(actor.id)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                        evaluation.offer.clone()
                    }
                    BundleWrite::RoleProfile(profile) => {
                        sqlx::query(
                            "INSERT INTO qualification_role_profiles (role_id, data, updated_at) VALUES ($1, $2, $3) \
                             ON CONFLICT (role_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
                        )
                        .bind(&profile.id)
                        .bind(to_json(profile)?)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                        profile.id.clone()
                    }
                    BundleWrite::Setting { key, value } => {
                        sqlx::query(
                            "INSERT INTO settings (key, value) VALUES ($1, $2) \
                             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        )
                        .bind(key)
                        .bind(value)
                        .execute(&mut *tx)
                        .await?;
                        key.clone()
                    }
                    BundleWrite::Survey(s) => {
                        snapshot = s.results.clone();
                        match item.local_id.as_deref().and_then(|l| l.parse::<i64>().ok()) {
                            Some(id) => {
                                sqlx::query("UPDATE surveys SET title = $1, questionnaire = $2, version = version + 1 WHERE id = $3")
                                    .bind(s.title.trim())
                                    .bind(&s.questionnaire)
                                    .bind(id)
                                    .execute(&mut *tx)
                                    .await?;
                                id.to_string()
                            }
                            None => {
                                let (id,): (i64,) = sqlx::query_as(
                                    "INSERT INTO surveys (title, questionnaire, import_report, status, min_group_size, \
                                     codes_issued, created_by, created_at, version) \
                                     VALUES ($1, $2, '', 'draft', $3, 0, $4, $5, 1) RETURNING id",
                                )
                                .bind(s.title.trim())
                                .bind(&s.questionnaire)
                                .bind(s.min_group_size)
                                .bind(actor.id)
                                .bind(at)
                                .fetch_one(&mut *tx)
                                .await?;
                                id.to_string()
                            }
                        }
                    }
                    BundleWrite::Document(d) => {
                        let existing = item.local_id.as_deref().and_then(|l| l.parse::<i64>().ok());
                        let (id, number) = match existing {
                            Some(id) => {
                                let (latest,): (i64,) = sqlx::query_as("SELECT latest_version FROM documents WHERE id = $1")
                                    .bind(id)
                                    .fetch_one(&mut *tx)
                                    .await?;
                                (id, latest + 1)
                            }
                            None => {
                                let (id,): (i64,) = sqlx::query_as(
                                    "INSERT INTO documents (template_id, kind, title, status, latest_version, \
                                     created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $6, $6) RETURNING id",
                                )
                                .bind(&d.template_id)
                                .bind(&d.kind)
                                .bind(d.title.trim())
                                .bind(d.status.as_str())
                                .bind(actor.id)
                                .bind(at)
                                .fetch_one(&mut *tx)
                                .await?;
                                (id, 1)
                            }
                        };
                        sqlx::query(
                            "INSERT INTO document_versions (document_id, number, markdown, answers, note, \
                             created_by, created_by_name, created_at) VALUES ($1, $2, $3, '{}', $4, $5, $6, $7)",
                        )
                        .bind(id)
                        .bind(number)
                        .bind(&d.markdown)
                        .bind(format!("Übernommen von {origin}"))
                        .bind(actor.id)
                        .bind(&actor.name)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                        let adopted = d.status == DocumentStatus::Adopted;
                        sqlx::query(
                            "UPDATE documents SET template_id = $1, kind = $2, title = $3, status = $4, \
                             latest_version = $5, adopted_version = $6, adopted_on = $7, adopted_by = $8, \
                             updated_at = $9 WHERE id = $10",
                        )
                        .bind(&d.template_id)
                        .bind(&d.kind)
                        .bind(d.title.trim())
                        .bind(d.status.as_str())
                        .bind(number)
                        .bind(adopted.then_some(number))
                        .bind(d.adopted_on.as_deref())
                        .bind(d.adopted_by.as_deref())
                        .bind(at)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                        id.to_string()
                    }
                };
                sqlx::query(
                    "INSERT INTO bundle_provenance (kind, item_id, local_id, origin, bundle_sha256, snapshot, imported_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (kind, item_id) DO UPDATE SET \
                     local_id = excluded.local_id, origin = excluded.origin, bundle_sha256 = excluded.bundle_sha256, \
                     snapshot = excluded.snapshot, imported_at = excluded.imported_at",
                )
                .bind(&item.kind)
                .bind(&item.item_id)
                .bind(&local_id)
                .bind(origin)
                .bind(bundle_sha256)
                .bind(snapshot)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                let verb = if item.local_id.is_some() { "aktualisiert" } else { "angelegt" };
                write_audit!(tx, actor, "Aus Paket übernommen", format!("{} {}", item.kind, item.item_id),
                    format!("{verb}, Herkunft: {origin}"));
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
