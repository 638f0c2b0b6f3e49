//! The items of a bundle: everything that is imported and compared one by
//! one (a profile, a journey step, a survey, an offer, a document, a use
//! case, …), each with a kind and an identifier that stays the same across
//! instances. The same item value is built from this instance's store (for
//! export, and to compare on import) and from a bundle's files (on import),
//! so "unchanged" means the two values are equal.

use std::path::Path;

use journey::survey::{aggregate, AggregateOptions, Questionnaire, Response, SurveyContext};
use serde_json::{json, Value};
use store::bundle::Provenance;
use store::documents::DocumentStatus;
use store::survey::SurveyStatus;
use store::Store;

use crate::canonical::sorted;
use crate::{BundleError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Profile,
    Step,
    Survey,
    Offer,
    Partner,
    Path,
    Evaluation,
    RoleProfile,
    Policy,
    Document,
    UseCase,
    BenchReport,
}

impl Kind {
    /// The name in provenance rows, reports and conflict choices.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Profile => "profil",
            Kind::Step => "schritt",
            Kind::Survey => "umfrage",
            Kind::Offer => "lernangebot",
            Kind::Partner => "bildungspartner",
            Kind::Path => "lernpfad",
            Kind::Evaluation => "bewertung",
            Kind::RoleProfile => "rollenprofil",
            Kind::Policy => "regelwerk",
            Kind::Document => "dokument",
            Kind::UseCase => "anwendungsfall",
            Kind::BenchReport => "vergleichstest",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Profile => "Profil der Kommune",
            Kind::Step => "Schritt der KI-Reise",
            Kind::Survey => "Umfrage",
            Kind::Offer => "Lernangebot",
            Kind::Partner => "Bildungspartner",
            Kind::Path => "Lernpfad",
            Kind::Evaluation => "Bewertung eines Lernangebots",
            Kind::RoleProfile => "Rollenprofil",
            Kind::Policy => "Regelwerk der KI-Richtlinie",
            Kind::Document => "Dokument",
            Kind::UseCase => "Anwendungsfall",
            Kind::BenchReport => "Bericht eines Vergleichstests",
        }
    }
}

/// One item with its canonical value.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub kind: Kind,
    pub id: String,
    pub title: String,
    pub value: Value,
    /// The local record (numeric ids of surveys and documents); `None` for
    /// items read from a bundle.
    pub local_id: Option<String>,
    /// True for the shipped default that nobody here has changed (the rule
    /// set): importing over it is no conflict.
    pub default: bool,
}

impl Item {
    pub fn new(kind: Kind, id: impl Into<String>, title: impl Into<String>, value: Value) -> Item {
        Item {
            kind,
            id: id.into(),
            title: title.into(),
            value: sorted(&value),
            local_id: None,
            default: false,
        }
    }

    /// `kind/id`, the name of a conflict choice.
    pub fn key(&self) -> String {
        format!("{}/{}", self.kind.key(), self.id)
    }
}

/// What an export or the comparison of an import reads from the store.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    /// Leave out everything marked internal.
    pub public: bool,
    /// The data folder (bench reports live in `bench/<id>/`).
    pub data_dir: Option<&'a Path>,
}

fn local_name(provenance: &[Provenance], kind: Kind, local: &str) -> Option<String> {
    provenance
        .iter()
        .find(|p| p.kind == kind.key() && p.local_id == local)
        .map(|p| p.item_id.clone())
}

fn decode(what: &str, e: impl std::fmt::Display) -> BundleError {
    BundleError::Content(format!("{what} ist nicht lesbar: {e}"))
}

pub fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// All items of this instance, in a stable order.
pub async fn local_items(store: &Store, scope: &Scope<'_>) -> Result<Vec<Item>> {
    let provenance = store.bundle_provenance().await?;
    let instance = store.bundle_instance_id().await?;
    let mut items = Vec::new();

    let profile = store.profile().await?.map(|(p, _)| p);
    if let Some(p) = &profile {
        items.push(Item::new(
            Kind::Profile,
            "kommune",
            p.name.clone(),
            profile_value(p),
        ));
    }

    let mut steps: Vec<_> = store.step_records().await?.into_values().collect();
    steps.sort_by(|a, b| a.step_id.cmp(&b.step_id));
    for s in steps {
        let mut v = json!({"step_id": s.step_id, "status": s.status.as_str()});
        // Notes are the team's working remarks: internal.
        if !scope.public && !s.note.is_empty() {
            v["note"] = json!(s.note);
        }
        items.push(Item::new(Kind::Step, s.step_id.clone(), s.step_id, v));
    }

    items.extend(survey_items(store, scope, &provenance, &instance, profile.as_ref()).await?);

    let catalogue = store.catalogue().await?;
    for o in &catalogue.offers {
        items.push(Item::new(
            Kind::Offer,
            o.id.clone(),
            o.title.clone(),
            to_value(o),
        ));
    }
    for p in &catalogue.partners {
        items.push(Item::new(
            Kind::Partner,
            p.id.clone(),
            p.name.clone(),
            to_value(p),
        ));
    }
    for p in &catalogue.paths {
        items.push(Item::new(
            Kind::Path,
            p.id.clone(),
            p.title.clone(),
            to_value(p),
        ));
    }
    // Evaluations judge providers: internal.
    if !scope.public {
        for e in store.evaluations().await? {
            let id = e.evaluation.offer.clone();
            items.push(Item::new(
                Kind::Evaluation,
                id.clone(),
                id,
                json!({"evaluation": to_value(&e.evaluation), "total": e.total}),
            ));
        }
    }
    for r in store.role_profile_overrides().await? {
        items.push(Item::new(
            Kind::RoleProfile,
            r.id.clone(),
            r.name.clone(),
            to_value(&r),
        ));
    }

    let stored_rules = store.policy_rules().await?;
    let rules_text = stored_rules
        .as_deref()
        .unwrap_or(journey::policy::DEFAULT_RULES.default_text);
    let rules =
        serde_json::from_str::<Value>(rules_text).map_err(|e| decode("Das Regelwerk", e))?;
    let mut policy = Item::new(Kind::Policy, "regeln", "Regelwerk der KI-Richtlinie", rules);
    policy.default = stored_rules.is_none();
    items.push(policy);

    for d in store.documents().await? {
        // Only what a council adopted is public; drafts stay in the house.
        if scope.public && d.status != DocumentStatus::Adopted {
            continue;
        }
        if d.status == DocumentStatus::Superseded {
            continue;
        }
        let number = d.adopted_version.unwrap_or(d.latest_version);
        let version = store.document_version(d.id, number).await?;
        let local = d.id.to_string();
        let id = local_name(&provenance, Kind::Document, &local)
            .unwrap_or_else(|| format!("dokument-{instance}-{local}"));
        let mut meta = json!({
            "id": id, "template_id": d.template_id, "kind": d.kind, "title": d.title,
            "status": d.status.as_str(),
        });
        if let Some(on) = &d.adopted_on {
            meta["adopted_on"] = json!(on);
        }
        if let Some(by) = &d.adopted_by {
            meta["adopted_by"] = json!(by);
        }
        let mut item = Item::new(
            Kind::Document,
            id,
            d.title.clone(),
            json!({"document": meta, "markdown": version.markdown}),
        );
        item.local_id = Some(local);
        items.push(item);
    }

    // A use case in full is internal (working notes, assessments); the
    // public bundle carries the published register entries only.
    if !scope.public {
        for r in store.use_cases().await? {
            let uc = &r.use_case;
            let envelope = journey::usecase::model::UseCaseExport {
                format: journey::usecase::model::EXPORT_FORMAT.to_owned(),
                format_version: journey::usecase::model::EXPORT_FORMAT_VERSION,
                use_case: uc.clone(),
            };
            let published = store_published(store, &uc.id).await?;
            let mut v = json!({"export": to_value(&envelope), "published": published});
            if let Some(entry) = &r.register {
                v["register"] = to_value(entry);
            }
            let duties = duties_of(store, uc).await?;
            if !duties.is_empty() {
                v["duties"] = Value::Array(duties);
            }
            items.push(Item::new(
                Kind::UseCase,
                uc.id.clone(),
                uc.intake.title.clone(),
                v,
            ));
        }
    }

    if let Some(dir) = scope.data_dir {
        items.extend(bench_items(&dir.join("bench"))?);
    }
    Ok(items)
}

/// The AI Act duties of a use case as a bundle carries them: what the
/// duty is, by when and how far it got, never who owns it or the evidence
/// (people and files differ between municipalities).
async fn duties_of(store: &Store, uc: &journey::usecase::model::UseCase) -> Result<Vec<Value>> {
    use journey::usecase::duties::{derive, synchronise};
    let tree = journey::usecase::ai_act::DecisionTree::shipped()
        .map_err(|e| BundleError::Content(e.to_string()))?;
    let kept = store.duty_tasks(&uc.id).await?;
    let start = uc.pilot.as_ref().and_then(|p| p.start.as_deref());
    let derived = derive(&tree, uc.classification.as_ref(), start);
    Ok(synchronise(&uc.id, &kept, &derived)
        .iter()
        .filter(|t| t.current)
        .map(duty_value)
        .collect())
}

pub fn duty_value(t: &journey::usecase::duties::DutyTask) -> Value {
    let mut v = json!({
        "duty": t.duty,
        "title": t.title,
        "articles": t.articles,
        "applies_from": t.applies_from,
        "due": t.due,
        "status": t.status.key(),
        "reason": t.reason,
    });
    if let Some(role) = t.duty_of {
        v["duty_of"] = to_value(&role);
    }
    v
}

async fn store_published(store: &Store, id: &str) -> Result<bool> {
    Ok(store.published_register().await?.iter().any(|e| e.id == id))
}

pub fn profile_value(p: &journey::profile::Profile) -> Value {
    // The contacts name people: never in a bundle.
    json!({
        "name": p.name, "ags": p.ags, "staff_count": p.staff_count,
        "departments": p.departments.iter()
            .map(|d| json!({"name": d.name, "staff_count": d.staff_count}))
            .collect::<Vec<_>>(),
    })
}

async fn survey_items(
    store: &Store,
    scope: &Scope<'_>,
    provenance: &[Provenance],
    instance: &str,
    profile: Option<&journey::profile::Profile>,
) -> Result<Vec<Item>> {
    let model = journey::competency::CompetencyModel::default_model()
        .map_err(|e| decode("Das Kompetenzmodell", e))?;
    let ctx = match profile {
        Some(p) => SurveyContext::from_profile(p, &model),
        None => SurveyContext::from_competency_model(&model),
    };
    let mut items = Vec::new();
    for s in store.surveys().await? {
        let local = s.id.to_string();
        let id = local_name(provenance, Kind::Survey, &local)
            .unwrap_or_else(|| format!("umfrage-{instance}-{local}"));
        let mut questionnaire: Value =
            serde_json::from_str(&s.questionnaire).map_err(|e| decode("Ein Fragebogen", e))?;
        questionnaire["$schema"] = json!(journey::survey::export::QUESTIONNAIRE_SCHEMA_ID);
        let results = if s.status == SurveyStatus::Closed {
            let q: Questionnaire =
                serde_json::from_str(&s.questionnaire).map_err(|e| decode("Ein Fragebogen", e))?;
            let mut responses = Vec::new();
            for text in store.survey_responses(s.id).await? {
                let r: Response =
                    serde_json::from_str(&text).map_err(|e| decode("Eine Antwort", e))?;
                responses.push(r);
            }
            let options = AggregateOptions {
                min_group_size: u32::try_from(s.min_group_size).unwrap_or(5),
                group_by: None,
                // Free texts may name people: never in a public bundle.
                include_free_texts: !scope.public,
                staff_counts: ctx.staff_counts.clone(),
            };
            aggregate(&q, &responses, &options)
                .ok()
                .map(|r| {
                    serde_json::from_str::<Value>(&journey::survey::export::results_to_json(&r))
                })
                .transpose()
                .map_err(|e| decode("Ergebnisse", e))?
        } else {
            provenance
                .iter()
                .find(|p| p.kind == Kind::Survey.key() && p.item_id == id)
                .and_then(|p| p.snapshot.as_deref())
                .and_then(|t| serde_json::from_str::<Value>(t).ok())
                .map(|v| {
                    if scope.public {
                        without_free_texts(v)
                    } else {
                        v
                    }
                })
        };
        let mut v = json!({
            "survey": {"id": id, "title": s.title, "min_group_size": s.min_group_size},
            "questionnaire": questionnaire,
        });
        if let Some(r) = results {
            v["results"] = r;
        }
        let mut item = Item::new(Kind::Survey, id, s.title.clone(), v);
        item.local_id = Some(local);
        items.push(item);
    }
    Ok(items)
}

/// Results as a public bundle carries them: without free-text answers.
fn without_free_texts(mut v: Value) -> Value {
    if let Some(questions) = v.get_mut("questions").and_then(Value::as_array_mut) {
        for q in questions {
            if let Some(map) = q.as_object_mut() {
                map.remove("free_texts");
            }
        }
    }
    v
}

/// Bench reports in `dir` (one folder per run with a `report.json`).
fn bench_items(dir: &Path) -> Result<Vec<Item>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut items = Vec::new();
    for e in entries.flatten() {
        let id = e.file_name().to_string_lossy().into_owned();
        if !crate::check::is_safe_segment(&id) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(e.path().join("report.json")) else {
            continue;
        };
        let Ok(report) = bench::Report::from_json(&text) else {
            continue;
        };
        let value: Value = serde_json::from_str(&text).map_err(|e| decode("Ein Bericht", e))?;
        items.push(Item::new(Kind::BenchReport, id, report.title, value));
    }
    items.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(items)
}
