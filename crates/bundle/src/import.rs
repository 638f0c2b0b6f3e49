//! Importing a checked bundle: compare each item with this instance (new,
//! unchanged, or a conflict), then write what is new, and what the user
//! chose to overwrite per item, in one transaction with its provenance.
//! A conflict is never overwritten unless chosen; a second import of the
//! same bundle finds everything unchanged and writes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::Value;
use store::bundle::{BundleWrite, ImportItem, ImportedDocument, ImportedSurvey};
use store::documents::DocumentStatus;
use store::{Actor, Store};

use crate::export::layout;
use crate::items::{local_items, Item, Kind, Scope};
use crate::read::Bundle;
use crate::{BundleError, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create,
    /// A conflict the user chose to overwrite.
    Update,
    Unchanged,
    /// Differs from what is here; skipped unless chosen. The differing
    /// top-level fields are named.
    Conflict(Vec<String>),
    /// Never taken from a bundle: the municipality's own profile.
    KeepOwn,
}

impl Action {
    pub fn label(&self) -> &'static str {
        match self {
            Action::Create => "wird angelegt",
            Action::Update => "wird überschrieben (gewählt)",
            Action::Unchanged => "unverändert, wird übersprungen",
            Action::Conflict(_) => "Konflikt, wird übersprungen",
            Action::KeepOwn => {
                "wird nicht übernommen: das Profil dieser Kommune bleibt, wie es ist"
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct PlannedItem {
    pub item: Item,
    /// The local record it matched.
    pub local_id: Option<String>,
    pub action: Action,
}

/// What an import would do; the dry run shows it, the import applies it.
#[derive(Debug, Clone)]
pub struct Plan {
    pub origin: String,
    pub items: Vec<PlannedItem>,
}

impl Plan {
    pub fn count(&self, pred: impl Fn(&Action) -> bool) -> usize {
        self.items.iter().filter(|p| pred(&p.action)).count()
    }

    /// One line per item, in German, for the console and the page.
    pub fn lines(&self) -> Vec<String> {
        self.items
            .iter()
            .map(|p| {
                let mut line = format!(
                    "{}: {} „{}“ ({}) {}",
                    p.item.key(),
                    p.item.kind.label(),
                    p.item.title,
                    p.item.id,
                    p.action.label()
                );
                if p.item.kind == Kind::UseCase
                    && matches!(p.action, Action::Create | Action::Update)
                {
                    line.push_str(&format!(
                        "; kommt als Idee dieser Kommune an: Status „Idee“, nicht im KI-Register \
                         veröffentlicht, Kontakt geleert, Herkunft „{}“",
                        self.origin
                    ));
                }
                if let Action::Conflict(fields) = &p.action {
                    line.push_str(&format!(
                        "; abweichend: {}. Überschreiben mit --overwrite {}",
                        fields.join(", "),
                        p.item.key()
                    ));
                }
                line
            })
            .collect()
    }

    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} neu, {} überschrieben, {} unverändert, {} Konflikte übersprungen",
            self.count(|a| *a == Action::Create),
            self.count(|a| *a == Action::Update),
            self.count(|a| *a == Action::Unchanged),
            self.count(|a| matches!(a, Action::Conflict(_))),
        );
        if self.count(|a| *a == Action::KeepOwn) > 0 {
            s.push_str("; das Profil dieser Kommune wird nicht überschrieben");
        }
        s
    }
}

fn content(msg: String) -> BundleError {
    BundleError::Refused(vec![msg])
}

/// Where a bundle comes from, as provenance rows and imported use cases
/// name it.
pub fn origin(bundle: &Bundle) -> String {
    let m = &bundle.manifest;
    format!(
        "{} (Paket vom {})",
        m.municipality,
        m.created.get(..10).unwrap_or("")
    )
}

/// A use case as it arrives here: an idea of the importing municipality,
/// not the exporter's decision. Its status and history, its DPIA record
/// and pilot are the exporter's and stay there; it is not published in
/// the register and names no contact until someone here does; where it
/// came from is kept. A value that does not parse is left for `to_write`
/// to refuse with its reason.
fn arrive_as_idea(v: &mut Value, from: &str) {
    use journey::usecase::model::{Origin, Status, UseCaseExport};
    if let Ok(mut export) = serde_json::from_value::<UseCaseExport>(v["export"].clone()) {
        let uc = &mut export.use_case;
        uc.status = Status::Idea;
        uc.history.clear();
        uc.dpia = None;
        uc.pilot = None;
        // A use case passed on twice keeps its first source too.
        let from = match &uc.origin {
            Origin::Imported { from: earlier } => format!("{from}, zuvor {earlier}"),
            _ => from.to_owned(),
        };
        uc.origin = Origin::Imported { from };
        if let Ok(value) = serde_json::to_value(&export) {
            v["export"] = value;
        }
    }
    v["published"] = Value::Bool(false);
    // The duties start afresh: open, due when the AI Act applies them (the
    // pilot that could have set an earlier date stays with the exporter).
    if let Some(duties) = v.get_mut("duties").and_then(Value::as_array_mut) {
        for d in duties.iter_mut().filter_map(Value::as_object_mut) {
            let applies_from = d.get("applies_from").cloned().unwrap_or(Value::Null);
            d.insert("due".into(), applies_from);
            d.insert("status".into(), Value::String("open".into()));
            d.insert("reason".into(), Value::String(String::new()));
        }
    }
    if let Some(r) = v.get_mut("register").and_then(Value::as_object_mut) {
        r.insert("contact".into(), Value::String(String::new()));
        r.insert("published".into(), Value::Bool(false));
        r.insert(
            "status".into(),
            Value::String(Status::Idea.label().to_owned()),
        );
    }
}

/// The items a bundle carries, read from its files, as they would arrive
/// here (use cases as ideas, see [`arrive_as_idea`]).
pub fn bundle_items(bundle: &Bundle) -> Result<Vec<Item>> {
    let from = origin(bundle);
    let mut items = Vec::new();
    if let Some(p) = bundle.json(layout::PROFILE) {
        let name = p["name"].as_str().unwrap_or_default().to_owned();
        items.push(Item::new(Kind::Profile, "kommune", name, p));
    }
    if let Some(s) = bundle.json(layout::STEPS) {
        for step in s["steps"].as_array().into_iter().flatten() {
            let id = step["step_id"].as_str().unwrap_or_default().to_owned();
            items.push(Item::new(Kind::Step, id.clone(), id, step.clone()));
        }
    }
    let paths: Vec<&str> = bundle.paths().collect();
    for path in &paths {
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            ["umfragen", id, "umfrage.json"] => {
                let meta = bundle.json(path).unwrap_or_default();
                let q = bundle
                    .json(&format!("umfragen/{id}/fragebogen.json"))
                    .ok_or_else(|| content(format!("umfragen/{id}/fragebogen.json fehlt.")))?;
                if meta["id"] != *id {
                    return Err(content(format!(
                        "{path}: die Kennung passt nicht zum Ordner."
                    )));
                }
                let mut v = serde_json::json!({"survey": meta, "questionnaire": q});
                if let Some(r) = bundle.json(&format!("umfragen/{id}/ergebnisse.json")) {
                    v["results"] = r;
                }
                let title = meta["title"].as_str().unwrap_or_default().to_owned();
                items.push(Item::new(Kind::Survey, *id, title, v));
            }
            ["dokumente", id, "dokument.json"] => {
                let meta = bundle.json(path).unwrap_or_default();
                let text = bundle
                    .bytes(&format!("dokumente/{id}/text.md"))
                    .and_then(|b| std::str::from_utf8(b).ok())
                    .ok_or_else(|| content(format!("dokumente/{id}/text.md fehlt.")))?;
                if meta["id"] != *id {
                    return Err(content(format!(
                        "{path}: die Kennung passt nicht zum Ordner."
                    )));
                }
                let title = meta["title"].as_str().unwrap_or_default().to_owned();
                let v = serde_json::json!({"document": meta, "markdown": text});
                items.push(Item::new(Kind::Document, *id, title, v));
            }
            ["vergleichstest", "berichte", id, "report.json"] => {
                let v = bundle.json(path).unwrap_or_default();
                let title = v["title"].as_str().unwrap_or_default().to_owned();
                items.push(Item::new(Kind::BenchReport, *id, title, v));
            }
            _ => {}
        }
    }
    if let Some(c) = bundle.json(layout::CATALOGUE) {
        for (key, kind, title) in [
            ("offers", Kind::Offer, "title"),
            ("partners", Kind::Partner, "name"),
            ("paths", Kind::Path, "title"),
        ] {
            for v in c[key].as_array().into_iter().flatten() {
                let id = v["id"].as_str().unwrap_or_default().to_owned();
                let t = v[title].as_str().unwrap_or_default().to_owned();
                items.push(Item::new(kind, id, t, v.clone()));
            }
        }
    }
    if let Some(e) = bundle.json(layout::EVALUATIONS) {
        for v in e["evaluations"].as_array().into_iter().flatten() {
            let id = v["evaluation"]["offer"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            items.push(Item::new(Kind::Evaluation, id.clone(), id, v.clone()));
        }
    }
    if let Some(r) = bundle.json(layout::ROLE_PROFILES) {
        for v in r["role_profiles"].as_array().into_iter().flatten() {
            let id = v["id"].as_str().unwrap_or_default().to_owned();
            let name = v["name"].as_str().unwrap_or_default().to_owned();
            items.push(Item::new(Kind::RoleProfile, id, name, v.clone()));
        }
    }
    if let Some(p) = bundle.json(layout::POLICY) {
        items.push(Item::new(
            Kind::Policy,
            "regeln",
            "Regelwerk der KI-Richtlinie",
            p,
        ));
    }
    let published: BTreeMap<String, Value> = bundle
        .json(layout::USE_CASES)
        .and_then(|v| v["entries"].as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|e| Some((e["id"].as_str()?.to_owned(), e)))
        .collect();
    for path in &paths {
        let Some(name) = path
            .strip_prefix("anwendungsfaelle/")
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        if name.contains('/') || path == &layout::USE_CASES || name == "ki-register" {
            continue;
        }
        let export = bundle.json(path).unwrap_or_default();
        if export["use_case"]["id"] != name {
            return Err(content(format!(
                "{path}: die Kennung passt nicht zum Dateinamen."
            )));
        }
        let title = export["use_case"]["intake"]["title"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let entry = published.get(name);
        let mut v = serde_json::json!({
            "export": export,
            "published": entry.and_then(|e| e["published"].as_bool()).unwrap_or(false),
        });
        if let Some(r) = entry.and_then(|e| e.get("register")) {
            v["register"] = r.clone();
        }
        if let Some(d) = entry.and_then(|e| e.get("duties")) {
            v["duties"] = d.clone();
        }
        arrive_as_idea(&mut v, &from);
        items.push(Item::new(Kind::UseCase, name, title, v));
    }
    for i in &items {
        if !crate::check::is_safe_segment(&i.id) {
            return Err(content(format!(
                "{}: die Kennung „{}“ ist unzulässig.",
                i.kind.label(),
                i.id.escape_debug()
            )));
        }
    }
    Ok(items)
}

/// The top-level fields in which two values differ.
fn differing(a: &Value, b: &Value) -> Vec<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter()
                .filter(|k| x.get(*k) != y.get(*k))
                .map(|k| (*k).clone())
                .collect()
        }
        _ => vec!["(Inhalt)".to_owned()],
    }
}

/// Compares the bundle with this instance. `overwrite` names the items
/// (`kind/id`) whose conflicts the user chose to overwrite.
pub async fn plan(
    store: &Store,
    bundle: &Bundle,
    data_dir: Option<&Path>,
    overwrite: &BTreeSet<String>,
) -> Result<Plan> {
    let theirs = bundle_items(bundle)?;
    let ours = local_items(
        store,
        &Scope {
            public: false,
            data_dir,
        },
    )
    .await?;
    let ours: BTreeMap<(Kind, &str), &Item> =
        ours.iter().map(|i| ((i.kind, i.id.as_str()), i)).collect();
    let mut problems = Vec::new();
    let mut items = Vec::new();
    for item in theirs {
        if let Err(e) = to_write(&item) {
            problems.push(e);
            continue;
        }
        let local = ours.get(&(item.kind, item.id.as_str()));
        let action = match local {
            // A bundle never replaces who we are, not even on a fresh
            // instance and not when chosen.
            _ if item.kind == Kind::Profile => Action::KeepOwn,
            None => Action::Create,
            Some(l) if l.value == item.value => Action::Unchanged,
            // Replacing the shipped default loses nothing made here.
            Some(l) if l.default => Action::Create,
            Some(_) if overwrite.contains(&item.key()) => Action::Update,
            Some(l) => Action::Conflict(differing(&l.value, &item.value)),
        };
        items.push(PlannedItem {
            local_id: local.map(|l| l.local_id.clone().unwrap_or_else(|| l.id.clone())),
            item,
            action,
        });
    }
    if !problems.is_empty() {
        return Err(BundleError::Refused(problems));
    }
    Ok(Plan {
        origin: origin(bundle),
        items,
    })
}

fn parse<T: DeserializeOwned>(item: &Item, value: &Value) -> std::result::Result<T, String> {
    serde_json::from_value(value.clone())
        .map_err(|e| format!("{} „{}“: nicht lesbar: {e}", item.kind.label(), item.id))
}

/// What the store writes for an item; an error names the item.
fn to_write(item: &Item) -> std::result::Result<Option<BundleWrite>, String> {
    let v = &item.value;
    Ok(Some(match item.kind {
        Kind::Profile => {
            let mut p: journey::profile::Profile = parse(
                item,
                &serde_json::json!({
                    "name": v["name"], "ags": v["ags"], "staff_count": v["staff_count"],
                    "departments": v["departments"], "dpo_contact": "",
                    "it_security_contact": "", "staff_council_contact": "",
                }),
            )?;
            p.name = p.name.trim().to_owned();
            BundleWrite::Profile(p)
        }
        Kind::Step => BundleWrite::Step {
            status: journey::plan::StepStatus::parse(v["status"].as_str().unwrap_or_default())
                .ok_or_else(|| format!("Schritt „{}“: unbekannter Status", item.id))?,
            note: v["note"].as_str().unwrap_or_default().to_owned(),
        },
        Kind::Survey => {
            let _: journey::survey::Questionnaire = parse(item, &v["questionnaire"])?;
            BundleWrite::Survey(ImportedSurvey {
                title: v["survey"]["title"].as_str().unwrap_or_default().to_owned(),
                questionnaire: v["questionnaire"].to_string(),
                min_group_size: v["survey"]["min_group_size"].as_i64().unwrap_or(5),
                results: v.get("results").map(Value::to_string),
            })
        }
        Kind::Offer => BundleWrite::Offer(Box::new(parse(item, v)?)),
        Kind::Partner => BundleWrite::Partner(parse(item, v)?),
        Kind::Path => BundleWrite::Path(parse(item, v)?),
        Kind::Evaluation => BundleWrite::Evaluation {
            evaluation: parse(item, &v["evaluation"])?,
            total: v["total"].as_f64().unwrap_or(0.0),
        },
        Kind::RoleProfile => BundleWrite::RoleProfile(parse(item, v)?),
        Kind::Policy => {
            let text = v.to_string();
            journey::policy::RuleSet::from_json(&text).map_err(|e| format!("Regelwerk: {e}"))?;
            BundleWrite::Setting {
                key: store::documents::POLICY_RULES_KEY.to_owned(),
                value: text,
            }
        }
        Kind::Document => {
            let d = &v["document"];
            let text = |k: &str| d[k].as_str().map(str::to_owned);
            BundleWrite::Document(ImportedDocument {
                template_id: text("template_id").unwrap_or_default(),
                kind: text("kind").unwrap_or_default(),
                title: text("title").unwrap_or_default(),
                status: DocumentStatus::parse(d["status"].as_str().unwrap_or_default()),
                markdown: v["markdown"].as_str().unwrap_or_default().to_owned(),
                adopted_on: text("adopted_on"),
                adopted_by: text("adopted_by"),
            })
        }
        Kind::UseCase => {
            let export: journey::usecase::model::UseCaseExport = parse(item, &v["export"])?;
            if export.format != journey::usecase::model::EXPORT_FORMAT
                || export.format_version != journey::usecase::model::EXPORT_FORMAT_VERSION
            {
                return Err(format!("Anwendungsfall „{}“: unbekanntes Format", item.id));
            }
            BundleWrite::UseCase {
                duties: arriving_duties(item, &export.use_case.id, &v["duties"])?,
                use_case: Box::new(export.use_case),
                register: v.get("register").map(|r| parse(item, r)).transpose()?,
                published: v["published"].as_bool().unwrap_or(false),
            }
        }
        Kind::BenchReport => {
            crate::export::bench_files(v).map_err(|e| e.to_string())?;
            return Ok(None);
        }
    }))
}

/// A bundle's duty: what the importer keeps of it.
#[derive(serde::Deserialize)]
struct ArrivingDuty {
    duty: String,
    title: String,
    articles: Vec<String>,
    #[serde(default)]
    duty_of: Option<journey::usecase::ai_act::Role>,
    applies_from: String,
}

/// The duties of an arriving use case as open tasks without owner, due
/// when the AI Act applies them; the portal reconciles them with the
/// classification when it next shows them.
fn arriving_duties(
    item: &Item,
    use_case: &str,
    v: &Value,
) -> std::result::Result<Vec<journey::usecase::duties::DutyTask>, String> {
    use journey::usecase::duties::DerivedDuty;
    if v.is_null() {
        return Ok(Vec::new());
    }
    let list: Vec<ArrivingDuty> = parse(item, v)?;
    Ok(list
        .into_iter()
        .filter(|d| journey::date::is_iso_date(&d.applies_from))
        .map(|d| {
            DerivedDuty {
                due: d.applies_from.clone(),
                duty: d.duty,
                title: d.title,
                articles: d.articles,
                duty_of: d.duty_of,
                applies_from: d.applies_from,
            }
            .open_task(use_case)
        })
        .collect())
}

/// Applies a plan: the store's items in one transaction, then the bench
/// reports into the data folder. Items planned as conflicts or unchanged
/// are not touched.
pub async fn apply(
    store: &Store,
    actor: &Actor,
    bundle: &Bundle,
    plan: &Plan,
    data_dir: Option<&Path>,
) -> Result<()> {
    let mut writes = Vec::new();
    let mut reports = Vec::new();
    for p in &plan.items {
        if !matches!(p.action, Action::Create | Action::Update) {
            continue;
        }
        match to_write(&p.item).map_err(|e| BundleError::Refused(vec![e]))? {
            Some(write) => writes.push(ImportItem {
                kind: p.item.kind.key().to_owned(),
                item_id: p.item.id.clone(),
                local_id: p.local_id.clone(),
                write,
            }),
            None => reports.push(&p.item),
        }
    }
    if !reports.is_empty() && data_dir.is_none() {
        return Err(BundleError::Content(
            "Für die Berichte des Vergleichstests fehlt der Datenordner.".into(),
        ));
    }
    store
        .apply_bundle(actor, &plan.origin, &bundle.sha256, &writes)
        .await?;
    if let Some(dir) = data_dir {
        for item in reports {
            write_report(&dir.join("bench"), item)?;
        }
    }
    Ok(())
}

/// Writes a bench report's folder from its JSON (the HTML and the other
/// files are made here, never taken from the bundle), replacing it whole.
fn write_report(bench_dir: &Path, item: &Item) -> Result<()> {
    let err = |path: &Path, e: std::io::Error| BundleError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let target = bench_dir.join(&item.id);
    let staging = bench_dir.join(format!(".import-{}", item.id));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| err(&staging, e))?;
    let json = serde_json::to_string_pretty(&item.value).unwrap_or_default();
    std::fs::write(staging.join("report.json"), json).map_err(|e| err(&staging, e))?;
    for (name, bytes) in crate::export::bench_files(&item.value)? {
        std::fs::write(staging.join(name), bytes).map_err(|e| err(&staging, e))?;
    }
    if target.exists() {
        std::fs::remove_dir_all(&target).map_err(|e| err(&target, e))?;
    }
    std::fs::rename(&staging, &target).map_err(|e| err(&target, e))
}
