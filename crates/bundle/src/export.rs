//! Writing this instance's journey as a bundle: the items from the store,
//! the files derived from them (CSV, JSON-LD, ODT, HTML) and the shipped
//! content every instance has (competency model, rubric, bench tasks), the
//! schemas, the README and last the manifest.
//!
//! A public export is checked first without writing anything: every file
//! that would be published is scanned for the names and e-mail addresses of
//! the accounts and contacts of this instance, and any hit refuses the
//! export with the list of files.

use serde_json::{json, Value};
use store::Store;

use crate::canonical;
use crate::check::PersonalData;
use crate::items::{local_items, to_value, Item, Kind, Scope};
use crate::manifest::{FileEntry, Manifest, FORMAT, FORMAT_VERSION, TIMESTAMPS};
use crate::schemas;
use crate::write::{entry, DrySink, Sink};
use crate::{BundleError, Result};

pub use crate::export_options::Options;

/// The current time as the manifest writes it.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// One file the export would write, for the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub path: String,
    pub bytes: u64,
}

/// The files an export would write, and the problems that would refuse a
/// public one; nothing is written.
pub async fn preview(store: &Store, options: &Options<'_>) -> Result<(Vec<Planned>, Vec<String>)> {
    let mut sink = DrySink::default();
    let (manifest, problems) = write_all(store, options, &mut sink).await?;
    let mut planned: Vec<Planned> = manifest
        .files
        .iter()
        .map(|f| Planned {
            path: f.path.clone(),
            bytes: f.bytes,
        })
        .collect();
    planned.push(Planned {
        path: crate::manifest::FILE_NAME.into(),
        bytes: 0,
    });
    Ok((planned, problems))
}

/// Writes the bundle into `sink`. A public export is refused, before
/// anything is written, if a file would carry personal data.
pub async fn export(store: &Store, options: &Options<'_>, sink: &mut dyn Sink) -> Result<Manifest> {
    if options.public {
        let (_, problems) = preview(store, options).await?;
        if !problems.is_empty() {
            return Err(BundleError::Refused(problems));
        }
    }
    let (manifest, problems) = write_all(store, options, sink).await?;
    if options.public && !problems.is_empty() {
        return Err(BundleError::Refused(problems));
    }
    Ok(manifest)
}

/// Collects the files as they are written: hash, schema, personal-data scan.
struct Writer<'s> {
    sink: &'s mut dyn Sink,
    files: Vec<FileEntry>,
    scan: Option<PersonalData>,
    problems: Vec<String>,
}

impl Writer<'_> {
    fn put(&mut self, path: &str, schema: Option<&str>, bytes: &[u8]) -> Result<()> {
        if let Some(scan) = &self.scan {
            self.problems.extend(scan.find(path, bytes));
        }
        self.sink.put(path, bytes)?;
        self.files.push(entry(path, schema, bytes));
        Ok(())
    }

    fn json(&mut self, path: &str, schema: &str, value: &Value) -> Result<()> {
        self.put(path, Some(schema), &canonical::to_bytes(value))
    }

    fn text(&mut self, path: &str, text: &str) -> Result<()> {
        self.put(path, None, text.as_bytes())
    }
}

fn yaml_to_json(what: &str, text: &str) -> Result<Value> {
    serde_yaml::from_str::<Value>(text)
        .map_err(|e| BundleError::Content(format!("{what} ist nicht lesbar: {e}")))
}

async fn write_all(
    store: &Store,
    options: &Options<'_>,
    sink: &mut dyn Sink,
) -> Result<(Manifest, Vec<String>)> {
    let scope = Scope {
        public: options.public,
        data_dir: options.data_dir,
    };
    let scan = if options.public {
        Some(PersonalData::of(store).await?)
    } else {
        None
    };
    let mut w = Writer {
        sink,
        files: Vec::new(),
        scan,
        problems: Vec::new(),
    };
    let items = local_items(store, &scope).await?;
    let of = |kind: Kind| items.iter().filter(move |i| i.kind == kind);
    let municipality = of(Kind::Profile)
        .next()
        .map(|p| p.title.clone())
        .unwrap_or_default();

    for p in of(Kind::Profile) {
        w.json(layout::PROFILE, "bundle-profile.schema.json", &p.value)?;
    }
    let steps: Vec<Value> = of(Kind::Step).map(|s| s.value.clone()).collect();
    w.json(
        layout::STEPS,
        "bundle-journey-status.schema.json",
        &json!({ "steps": steps }),
    )?;

    for s in of(Kind::Survey) {
        let dir = format!("umfragen/{}", s.id);
        w.json(
            &format!("{dir}/umfrage.json"),
            "bundle-survey.schema.json",
            &s.value["survey"],
        )?;
        w.json(
            &format!("{dir}/fragebogen.json"),
            "questionnaire.schema.json",
            &s.value["questionnaire"],
        )?;
        if let Some(results) = s.value.get("results") {
            w.json(
                &format!("{dir}/ergebnisse.json"),
                "survey-results.schema.json",
                results,
            )?;
            if let Ok(r) = serde_json::from_value::<journey::survey::SurveyResults>(results.clone())
            {
                if let Ok(csv) = journey::survey::export::results_to_csv(&r) {
                    w.text(&format!("{dir}/ergebnisse.csv"), &csv)?;
                }
            }
        }
    }

    write_qualification(&mut w, &items)?;

    for p in of(Kind::Policy) {
        w.json(layout::POLICY, "policy-rules.schema.json", &p.value)?;
    }

    for d in of(Kind::Document) {
        let dir = format!("dokumente/{}", d.id);
        let markdown = d.value["markdown"].as_str().unwrap_or_default();
        w.json(
            &format!("{dir}/dokument.json"),
            "bundle-document.schema.json",
            &d.value["document"],
        )?;
        w.text(&format!("{dir}/text.md"), markdown)?;
        let mut meta = documents::DocMeta::new(d.title.clone());
        meta.author = Some(municipality.clone()).filter(|m| !m.is_empty());
        meta.date = d.value["document"]["adopted_on"]
            .as_str()
            .map(str::to_owned);
        meta.status = d.value["document"]["status"].as_str().map(|s| {
            store::documents::DocumentStatus::parse(s)
                .label()
                .to_owned()
        });
        w.put(
            &format!("{dir}/text.odt"),
            None,
            &documents::odt::to_odt(markdown, &meta),
        )?;
    }

    write_use_cases(&mut w, store, &items).await?;
    write_bench(&mut w, &items)?;

    if let Some(openapi) = &options.openapi {
        let value = canonical::from_text(openapi).map_err(|e| {
            BundleError::Content(format!("Die API-Beschreibung ist kein JSON: {e}"))
        })?;
        w.json(layout::OPENAPI, "bundle-openapi.schema.json", &value)?;
    }

    // Every schema a file names, so the bundle stands on its own.
    let mut used: Vec<String> = w.files.iter().filter_map(|f| f.schema.clone()).collect();
    used.push(crate::manifest::SCHEMA.to_owned());
    used.push("usecase.schema.json".to_owned());
    used.sort();
    used.dedup();
    for name in &used {
        if let Some(text) = schemas::text(name) {
            let value = canonical::from_text(text)
                .map_err(|e| BundleError::Content(format!("Schema {name}: {e}")))?;
            w.put(
                &format!("{}/{name}", schemas::FOLDER),
                None,
                &canonical::to_bytes(&value),
            )?;
        }
    }

    let readme = crate::readme::text(&municipality, options, &w.files);
    w.text("README.md", &readme)?;

    let mut files = std::mem::take(&mut w.files);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        format_version: FORMAT_VERSION,
        ki_reise_version: env!("CARGO_PKG_VERSION").to_owned(),
        municipality,
        created: options.created.clone(),
        licence: options.licence.clone(),
        public: options.public,
        timestamps: TIMESTAMPS.iter().map(|t| (*t).to_owned()).collect(),
        files,
    };
    let bytes = canonical::to_bytes(&to_value(&manifest));
    w.sink.put(crate::manifest::FILE_NAME, &bytes)?;
    Ok((manifest, w.problems))
}

fn write_qualification(w: &mut Writer<'_>, items: &[Item]) -> Result<()> {
    let values = |kind: Kind| -> Vec<Value> {
        items
            .iter()
            .filter(|i| i.kind == kind)
            .map(|i| i.value.clone())
            .collect()
    };
    let mut catalogue = json!({"$schema": journey::qualification::exchange::CATALOGUE_SCHEMA_ID});
    for (key, kind) in [
        ("offers", Kind::Offer),
        ("partners", Kind::Partner),
        ("paths", Kind::Path),
    ] {
        let list = values(kind);
        if !list.is_empty() {
            catalogue[key] = Value::Array(list);
        }
    }
    w.json(
        layout::CATALOGUE,
        "qualification-catalogue.schema.json",
        &catalogue,
    )?;
    let model = journey::competency::CompetencyModel::default_model()
        .map_err(|e| BundleError::Content(e.to_string()))?;
    let offers: Vec<journey::qualification::offer::LearningOffer> = items
        .iter()
        .filter(|i| i.kind == Kind::Offer)
        .filter_map(|i| serde_json::from_value(i.value.clone()).ok())
        .collect();
    let jsonld = journey::qualification::jsonld::catalogue(
        &offers,
        &model,
        &[],
        "https://ki-reise.example/kompetenzmodell",
    );
    w.json(
        layout::CATALOGUE_JSONLD,
        "bundle-jsonld-itemlist.schema.json",
        &jsonld,
    )?;
    w.text(
        "qualifizierung/angebote.csv",
        &journey::qualification::exchange::offers_csv(&offers),
    )?;
    w.json(
        layout::ROLE_PROFILES,
        "bundle-role-profiles.schema.json",
        &json!({"role_profiles": values(Kind::RoleProfile)}),
    )?;
    let evaluations = values(Kind::Evaluation);
    if !evaluations.is_empty() {
        w.json(
            layout::EVALUATIONS,
            "bundle-evaluations.schema.json",
            &json!({ "evaluations": evaluations }),
        )?;
    }
    w.json(
        "qualifizierung/kompetenzmodell.json",
        "competencies.schema.json",
        &yaml_to_json(
            "Das Kompetenzmodell",
            journey::competency::COMPETENCIES.default_text,
        )?,
    )?;
    w.json(
        "qualifizierung/bewertungsschema.json",
        "qualification-rubric.schema.json",
        &yaml_to_json(
            "Das Bewertungsschema",
            journey::qualification::RUBRIC.default_text,
        )?,
    )?;
    Ok(())
}

async fn write_use_cases(w: &mut Writer<'_>, store: &Store, items: &[Item]) -> Result<()> {
    let mut entries = Vec::new();
    // Lists in a bundle are in the order of their ids (docs/bundle-format.md),
    // not in the store's order of last change.
    let mut use_cases: Vec<&Item> = items.iter().filter(|i| i.kind == Kind::UseCase).collect();
    use_cases.sort_by(|a, b| a.id.cmp(&b.id));
    for uc in use_cases {
        w.json(
            &format!("anwendungsfaelle/{}.json", uc.id),
            "usecase.schema.json",
            &uc.value["export"],
        )?;
        let mut e = json!({"id": uc.id, "published": uc.value["published"]});
        if let Some(r) = uc.value.get("register") {
            e["register"] = r.clone();
        }
        if let Some(d) = uc.value.get("duties") {
            e["duties"] = d.clone();
        }
        entries.push(e);
    }
    if !entries.is_empty() {
        w.json(
            layout::USE_CASES,
            "bundle-usecases.schema.json",
            &json!({ "entries": entries }),
        )?;
    }
    // The public register: published entries, public fields only.
    let register = store.published_register().await?;
    let json = journey::usecase::register::register_json(&register)
        .map_err(|e| BundleError::Content(e.to_string()))?;
    let value = canonical::from_text(&json).map_err(|e| BundleError::Content(e.to_string()))?;
    w.json(
        "anwendungsfaelle/ki-register.json",
        "usecase-register.schema.json",
        &value,
    )?;
    let csv = journey::usecase::register::register_csv(&register)
        .map_err(|e| BundleError::Content(e.to_string()))?;
    w.text("anwendungsfaelle/ki-register.csv", &csv)
}

fn write_bench(w: &mut Writer<'_>, items: &[Item]) -> Result<()> {
    w.json(
        "vergleichstest/beispiel-spezifikation.json",
        "bench-spec.schema.json",
        &yaml_to_json("Die Beispiel-Spezifikation", bench::EXAMPLE_SPEC)?,
    )?;
    for (id, text) in bench::tasks::BUILTIN {
        w.json(
            &format!("vergleichstest/aufgaben/{id}.json"),
            "bench-tasks.schema.json",
            &yaml_to_json("Ein Aufgabensatz", text)?,
        )?;
    }
    for r in items.iter().filter(|i| i.kind == Kind::BenchReport) {
        let dir = format!("vergleichstest/berichte/{}", r.id);
        w.json(
            &format!("{dir}/report.json"),
            "bench-report.schema.json",
            &r.value,
        )?;
        for (name, bytes) in bench_files(&r.value)? {
            w.put(&format!("{dir}/{name}"), None, &bytes)?;
        }
    }
    Ok(())
}

/// The files a bench report's folder holds beside `report.json`, made from
/// it; an import writes these, never the HTML a bundle brings.
pub fn bench_files(report: &Value) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let report: bench::Report = serde_json::from_value(report.clone()).map_err(|e| {
        BundleError::Content(format!("Ein Vergleichstest-Bericht ist nicht lesbar: {e}"))
    })?;
    let markdown = bench::report::markdown_summary(&report);
    let mut meta = documents::DocMeta::new(report.title.clone());
    meta.subtitle = Some("Vergleichstest: Zusammenfassung für die Entscheidung".into());
    meta.date = report.generated_at.get(..10).map(str::to_owned);
    if report.partial {
        meta.status = Some("unvollständig (abgebrochen)".into());
    }
    let odt = documents::odt::to_odt(&markdown, &meta);
    let csv =
        bench::report::results_csv(&report).map_err(|e| BundleError::Content(e.to_string()))?;
    Ok(vec![
        ("report.html", bench::render_html(&report).into_bytes()),
        ("results.csv", csv.into_bytes()),
        ("zusammenfassung.md", markdown.into_bytes()),
        ("zusammenfassung.odt", odt),
    ])
}

/// Where the files an import reads live in a bundle.
pub mod layout {
    pub const PROFILE: &str = "kommune/profil.json";
    pub const STEPS: &str = "reise/status.json";
    pub const CATALOGUE: &str = "qualifizierung/katalog.json";
    pub const CATALOGUE_JSONLD: &str = "qualifizierung/katalog.jsonld";
    pub const ROLE_PROFILES: &str = "qualifizierung/rollenprofile.json";
    pub const EVALUATIONS: &str = "qualifizierung/bewertungen.json";
    pub const POLICY: &str = "richtlinie/regeln.json";
    pub const USE_CASES: &str = "anwendungsfaelle/veroeffentlichung.json";
    pub const OPENAPI: &str = "api/openapi.json";
}
