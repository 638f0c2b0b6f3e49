//! The bundle's promise end to end: a populated instance on SQLite exports,
//! a fresh instance on PostgreSQL imports, and its export is the same file
//! for file; a second import changes nothing; a public bundle carries no
//! internal field and no personal data; bad bundles are refused whole.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::Path;

use bundle::export::{self, Options};
use bundle::import::{self, Action};
use bundle::read;
use bundle::write::DirSink;
use bundle::BundleError;
use journey::access::Role;
use journey::profile::{Department, Profile};
use journey::usecase::canvas::Intake;
use journey::usecase::model::{Origin, UseCase};
use journey::usecase::register::{RegisterEntry, RegisterField};
use store::documents::{Adoption, NewDocument, ReviewArea};
use store::survey::NewSurvey;
use store::test_support::{fresh_store, Backend};
use store::users::NewUser;
use store::{Actor, Store};

const PLANTED_NAME: &str = "Erika Mustermann";
const PLANTED_EMAIL: &str = "erika.mustermann@musterstadt.example";
const PLANTED_CONTACT: &str = "Max Datenschutz <max.datenschutz@musterstadt.example>";

fn options<'a>(public: bool, data: &'a Path, created: &str) -> Options<'a> {
    Options {
        public,
        licence: "CC-BY-4.0".into(),
        openapi: Some(
            r#"{"openapi":"3.1.0","info":{"title":"ki-reise","version":"1"},"paths":{}}"#.into(),
        ),
        data_dir: Some(data),
        created: created.into(),
    }
}

/// An instance with something in every module, and planted personal data.
async fn populate(store: &Store) {
    let admin = Actor::system();
    let profile = Profile {
        name: "Musterstadt".into(),
        ags: "09162000".into(),
        staff_count: 120,
        departments: vec![
            Department {
                name: "Bürgerservice".into(),
                staff_count: 60,
            },
            Department {
                name: "Bauamt".into(),
                staff_count: 60,
            },
        ],
        dpo_contact: PLANTED_CONTACT.into(),
        it_security_contact: PLANTED_CONTACT.into(),
        staff_council_contact: PLANTED_CONTACT.into(),
    };
    store
        .complete_setup(
            &NewUser {
                email: PLANTED_EMAIL.into(),
                name: PLANTED_NAME.into(),
                role: Role::Admin,
                department: None,
                password_hash: None,
            },
            &profile,
        )
        .await
        .unwrap();
    let me = Actor::user(1, PLANTED_NAME);
    let plan = journey::plan::Plan::default_plan();
    let first = plan.steps().next().unwrap().id.clone();
    store
        .set_step_status(
            &me,
            &first,
            journey::plan::StepStatus::Done,
            &format!("erledigt von {PLANTED_NAME}"),
            0,
        )
        .await
        .unwrap();

    // A closed survey with anonymous answers.
    let q = journey::survey::default_questionnaire().unwrap();
    let q_json = serde_json::to_string(&q).unwrap();
    let survey = store
        .create_survey(
            &admin,
            &NewSurvey {
                title: "Bestandsaufnahme 2025".into(),
                questionnaire: q_json.clone(),
                import_report: String::new(),
                min_group_size: 5,
            },
        )
        .await
        .unwrap();
    store.open_survey(&admin, survey.id, &q_json).await.unwrap();
    for _ in 0..6 {
        store
            .submit_paper_response(&admin, survey.id, r#"{"answers":{}}"#)
            .await
            .unwrap()
            .unwrap();
    }
    store.close_survey(&admin, survey.id).await.unwrap();

    // Catalogue, evaluation, role profile.
    let model = journey::competency::CompetencyModel::default_model().unwrap();
    let catalogue = journey::qualification::catalogue::Catalogue::parse(
        "angebote.yaml",
        journey::qualification::CATALOGUE.default_text,
        &model,
    )
    .unwrap();
    store
        .import_catalogue_items(
            &admin,
            &catalogue.offers[..3],
            &catalogue.partners,
            &catalogue.paths[..1],
            "Test",
        )
        .await
        .unwrap();
    let rubric = journey::qualification::rubric::Rubric::shipped().unwrap();
    let evaluation = journey::qualification::rubric::Evaluation {
        offer: catalogue.offers[0].id.clone(),
        ratings: rubric.criteria.iter().map(|c| (c.id.clone(), 4)).collect(),
        decision: journey::qualification::rubric::Decision::Aufnehmen,
        reason: "passt".into(),
    };
    let score = rubric.score(&evaluation).unwrap();
    store
        .save_evaluation(&me, &evaluation, &score)
        .await
        .unwrap();
    let mut role = model.role_profiles[0].clone();
    role.name = format!("{} (angepasst)", role.name);
    store.save_role_profile(&me, &role).await.unwrap();

    // The policy rule set, an adopted document and a draft.
    let mut rules =
        journey::policy::RuleSet::from_json(journey::policy::DEFAULT_RULES.default_text).unwrap();
    rules.source = Some("KI-Richtlinie v1".into());
    rules.adopted_on = Some("2025-03-01".into());
    store
        .set_setting(store::documents::POLICY_RULES_KEY, &rules.to_json())
        .await
        .unwrap();
    let doc = store
        .create_document(
            &me,
            &NewDocument {
                template_id: "ki-strategie",
                kind: "strategie",
                title: "KI-Strategie der Musterstadt",
                markdown: "# KI-Strategie\n\nWir nutzen KI **verantwortungsvoll**.\n",
                answers: "{}",
            },
        )
        .await
        .unwrap();
    store.submit_document(&me, doc.id, 1).await.unwrap();
    for area in ReviewArea::ALL {
        store
            .add_review(&me, doc.id, 1, area, true, "einverstanden")
            .await
            .unwrap();
    }
    store
        .adopt_document(
            &me,
            doc.id,
            &Adoption {
                version: 1,
                adopted_on: "2025-03-01",
                adopted_by: "Stadtrat",
                policy_rules: None,
            },
        )
        .await
        .unwrap();
    store
        .create_document(
            &me,
            &NewDocument {
                template_id: "ki-richtlinie",
                kind: "richtlinie",
                title: "Entwurf KI-Richtlinie",
                markdown: format!("# Entwurf\n\nAnsprechpartnerin: {PLANTED_NAME}\n").as_str(),
                answers: "{}",
            },
        )
        .await
        .unwrap();

    // Use cases: one published in the register, one internal.
    for (id, publish) in [("af-0001", true), ("af-0002", false)] {
        let intake = Intake::from_survey_text(
            &format!("Bescheide schneller schreiben {id}. Mehr Text."),
            Some("Bauamt"),
        );
        let uc = UseCase::new(id, intake, Origin::Survey).unwrap();
        let saved = store.create_use_case(&me, &uc).await.unwrap();
        let mut entry = RegisterEntry::draft_from(&uc);
        entry.contact = PLANTED_NAME.into();
        entry.internal.insert(RegisterField::Contact);
        entry.published = publish;
        store
            .save_use_case(&me, &uc, Some(&entry), saved.version, "Register")
            .await
            .unwrap();
    }
}

fn manifest_files(dir: &Path) -> Vec<(String, String)> {
    let m: bundle::manifest::Manifest =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    m.files.into_iter().map(|f| (f.path, f.sha256)).collect()
}

#[tokio::test]
async fn a_journey_exported_on_sqlite_and_imported_on_postgres_exports_identically() {
    let tmp = tempfile::tempdir().unwrap();
    let (data_a, data_b) = (tmp.path().join("a"), tmp.path().join("b"));
    std::fs::create_dir_all(&data_a).unwrap();
    std::fs::create_dir_all(&data_b).unwrap();
    let a = fresh_store(Backend::Sqlite).await;
    populate(&a).await;

    let first = tmp.path().join("erstes");
    let mut sink = DirSink::create(&first).unwrap();
    let manifest = export::export(
        &a,
        &options(false, &data_a, "2025-01-01T00:00:00Z"),
        &mut sink,
    )
    .await
    .unwrap();
    for expected in [
        "kommune/profil.json",
        "reise/status.json",
        "qualifizierung/katalog.json",
        "qualifizierung/katalog.jsonld",
        "qualifizierung/bewertungen.json",
        "richtlinie/regeln.json",
        "anwendungsfaelle/af-0001.json",
        "anwendungsfaelle/ki-register.csv",
        "api/openapi.json",
        "README.md",
        "schemas/bundle-manifest.schema.json",
    ] {
        assert!(manifest.file(expected).is_some(), "{expected} fehlt");
    }
    assert!(manifest
        .files
        .iter()
        .any(|f| f.path.ends_with("/ergebnisse.json")));
    assert!(manifest.files.iter().any(|f| f.path.ends_with("/text.odt")));

    // Reading it back checks every checksum and validates every JSON file
    // against its schema.
    let bundle = read::open(&first).unwrap();
    for f in bundle
        .manifest
        .files
        .iter()
        .filter(|f| f.path.ends_with(".odt"))
    {
        assert_odt_well_formed(&std::fs::read(first.join(&f.path)).unwrap());
        // Checked as it streamed by, then let go: an import does not read it.
        assert!(bundle.bytes(&f.path).is_none(), "{}", f.path);
    }
    assert!(bundle.bytes("kommune/profil.json").is_some());

    let b = fresh_store(Backend::Postgres).await;
    let plan = import::plan(&b, &bundle, Some(&data_b), &BTreeSet::new())
        .await
        .unwrap();
    let profile_kept = |p: &import::PlannedItem| p.item.kind == bundle::items::Kind::Profile;
    assert!(
        plan.items
            .iter()
            .all(|p| p.action == Action::Create || profile_kept(p)),
        "{:?}",
        plan.lines()
    );
    // The dry run says that the profile stays and use cases arrive as ideas.
    let lines = plan.lines().join("\n");
    assert!(
        lines.contains("Profil der Kommune „Musterstadt“ (kommune) wird nicht übernommen"),
        "{lines}"
    );
    assert!(
        lines.contains("kommt als Idee dieser Kommune an: Status „Idee“, nicht im KI-Register"),
        "{lines}"
    );
    assert!(plan
        .summary()
        .contains("Profil dieser Kommune wird nicht überschrieben"));
    import::apply(&b, &Actor::command_line(), &bundle, &plan, Some(&data_b))
        .await
        .unwrap();
    imported_use_cases_are_ideas_of_the_importer(&b).await;

    let second = tmp.path().join("zweites");
    let mut sink = DirSink::create(&second).unwrap();
    export::export(
        &b,
        &options(false, &data_b, "2025-06-30T12:00:00Z"),
        &mut sink,
    )
    .await
    .unwrap();
    // Everything but who we are comes back the same: not the profile, not
    // the use cases (now our ideas), not the documents' ODT files (their
    // letterhead names the municipality).
    let shared = |dir: &Path| -> Vec<(String, String)> {
        manifest_files(dir)
            .into_iter()
            .filter(|(p, _)| !p.starts_with("kommune/") && !p.starts_with("anwendungsfaelle/"))
            .filter(|(p, _)| {
                p != "README.md"
                    && p != "schemas/bundle-profile.schema.json"
                    && !p.ends_with(".odt")
            })
            .collect()
    };
    assert_eq!(shared(&first), shared(&second));
    assert!(!shared(&first).is_empty());

    // A second import of the same bundle changes nothing.
    let provenance = b.bundle_provenance().await.unwrap();
    let again = import::plan(&b, &bundle, Some(&data_b), &BTreeSet::new())
        .await
        .unwrap();
    assert!(
        again
            .items
            .iter()
            .all(|p| p.action == Action::Unchanged || profile_kept(p)),
        "{:?}",
        again.lines()
    );
    import::apply(&b, &Actor::command_line(), &bundle, &again, Some(&data_b))
        .await
        .unwrap();
    assert_eq!(b.bundle_provenance().await.unwrap(), provenance);
    assert!(provenance
        .iter()
        .all(|p| p.origin.starts_with("Musterstadt")));

    // A local change is a conflict, overwritten only when chosen.
    let me = Actor::system();
    let mut record = b.use_case("af-0002").await.unwrap();
    record.use_case.intake.problem = "hier geändert".into();
    b.save_use_case(
        &me,
        &record.use_case,
        record.register.as_ref(),
        record.version,
        "lokal",
    )
    .await
    .unwrap();
    let conflict = import::plan(&b, &bundle, Some(&data_b), &BTreeSet::new())
        .await
        .unwrap();
    let item = conflict
        .items
        .iter()
        .find(|p| p.item.key() == "anwendungsfall/af-0002")
        .unwrap();
    assert!(matches!(item.action, Action::Conflict(_)));
    import::apply(&b, &me, &bundle, &conflict, Some(&data_b))
        .await
        .unwrap();
    assert_eq!(
        b.use_case("af-0002").await.unwrap().use_case.intake.problem,
        "hier geändert"
    );
    let chosen: BTreeSet<String> = ["anwendungsfall/af-0002".to_owned()].into();
    let overwrite = import::plan(&b, &bundle, Some(&data_b), &chosen)
        .await
        .unwrap();
    import::apply(&b, &me, &bundle, &overwrite, Some(&data_b))
        .await
        .unwrap();
    assert_ne!(
        b.use_case("af-0002").await.unwrap().use_case.intake.problem,
        "hier geändert"
    );
}

fn assert_odt_well_formed(bytes: &[u8]) {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    for part in [
        "content.xml",
        "styles.xml",
        "meta.xml",
        "META-INF/manifest.xml",
    ] {
        let mut xml = String::new();
        zip.by_name(part).unwrap().read_to_string(&mut xml).unwrap();
        roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{part}: {e}"));
    }
}

/// The PDF LibreOffice makes of an ODT, as text (`pdftotext`); `None` where
/// LibreOffice or pdftotext is missing outside CI, as in the documents
/// crate's PDF test.
fn pdf_text(odt: &[u8]) -> Option<String> {
    if documents::pdf::libreoffice().is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "LibreOffice fehlt, ist in CI aber Pflicht (apt-get install libreoffice-writer-nogui)"
        );
        eprintln!(
            "Hinweis: LibreOffice ist nicht installiert, die PDF-Umwandlung wird nicht geprüft."
        );
        return None;
    }
    let pdf = documents::pdf::odt_to_pdf(odt, documents::pdf::TIMEOUT)
        .unwrap_or_else(|e| panic!("LibreOffice wandelt das ODT nicht um: {e}"));
    assert!(pdf.starts_with(b"%PDF"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dokument.pdf");
    std::fs::write(&path, &pdf).unwrap();
    match std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(out) if out.status.success() => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "pdftotext fehlt, ist in CI aber Pflicht (apt-get install poppler-utils)"
            );
            eprintln!("Hinweis: pdftotext fehlt, nur die PDF-Datei selbst wurde geprüft.");
            None
        }
    }
}

/// The words a reader sees of a line of Markdown.
fn visible(line: &str) -> String {
    line.trim_start_matches(['#', '-', ' '])
        .replace("**", "")
        .trim()
        .to_owned()
}

#[tokio::test]
async fn every_odt_of_a_bundle_opens_in_libreoffice_with_its_text() {
    let tmp = tempfile::tempdir().unwrap();
    let a = fresh_store(Backend::Sqlite).await;
    populate(&a).await;
    let out = tmp.path().join("paket");
    let mut sink = DirSink::create(&out).unwrap();
    let manifest = export::export(
        &a,
        &options(false, tmp.path(), "2025-01-01T00:00:00Z"),
        &mut sink,
    )
    .await
    .unwrap();
    let odts: Vec<&str> = manifest
        .files
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| p.ends_with(".odt"))
        .collect();
    assert!(odts.len() >= 2, "{odts:?}");
    for odt in odts {
        let Some(text) = pdf_text(&std::fs::read(out.join(odt)).unwrap()) else {
            return;
        };
        // Each ODT has its Markdown beside it; every line of it is in the PDF.
        let markdown = std::fs::read_to_string(out.join(odt.replace(".odt", ".md"))).unwrap();
        let lines: Vec<String> = markdown
            .lines()
            .map(visible)
            .filter(|l| !l.is_empty())
            .collect();
        assert!(!lines.is_empty(), "{odt}");
        for line in lines {
            assert!(
                text.contains(&line),
                "{odt}: „{line}“ fehlt im PDF:\n{text}"
            );
        }
        // A document names the municipality that wrote it.
        if odt.starts_with("dokumente/") {
            assert!(text.contains("Verfasst von: Musterstadt"), "{odt}:\n{text}");
        }
    }
}

#[tokio::test]
async fn a_public_bundle_carries_no_internal_field_and_no_personal_data() {
    let tmp = tempfile::tempdir().unwrap();
    let a = fresh_store(Backend::Sqlite).await;
    populate(&a).await;
    let (planned, problems) =
        export::preview(&a, &options(true, tmp.path(), "2025-01-01T00:00:00Z"))
            .await
            .unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert!(planned
        .iter()
        .any(|p| p.path == "anwendungsfaelle/ki-register.json"));

    let out = tmp.path().join("oeffentlich");
    let mut sink = DirSink::create(&out).unwrap();
    let manifest = export::export(
        &a,
        &options(true, tmp.path(), "2025-01-01T00:00:00Z"),
        &mut sink,
    )
    .await
    .unwrap();
    assert!(manifest.public);
    for f in &manifest.files {
        let text =
            String::from_utf8_lossy(&std::fs::read(out.join(&f.path)).unwrap()).to_lowercase();
        for planted in [
            PLANTED_NAME,
            PLANTED_EMAIL,
            "max.datenschutz",
            "Max Datenschutz",
        ] {
            assert!(
                !text.contains(&planted.to_lowercase()),
                "{} enthält {planted}",
                f.path
            );
        }
        if !f.path.starts_with("schemas/") {
            assert!(!text.contains("free_texts"), "{} enthält Freitexte", f.path);
        }
    }
    let steps = std::fs::read_to_string(out.join("reise/status.json")).unwrap();
    assert!(
        steps.contains("\"done\"") && !steps.contains("\"note\""),
        "{steps}"
    );
    assert!(manifest.file("qualifizierung/bewertungen.json").is_none());
    assert!(manifest.file("anwendungsfaelle/af-0001.json").is_none());
    assert!(!manifest.files.iter().any(|f| f.path.contains("Entwurf")));
    assert_eq!(
        manifest
            .files
            .iter()
            .filter(|f| f.path.starts_with("dokumente/") && f.path.ends_with("dokument.json"))
            .count(),
        1,
        "nur das beschlossene Dokument"
    );
}

#[tokio::test]
async fn a_public_export_that_would_publish_personal_data_is_refused_before_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let a = fresh_store(Backend::Sqlite).await;
    populate(&a).await;
    // A name in a public text: the adopted strategy's title.
    let doc = a
        .documents()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.title.starts_with("KI-Strategie"))
        .unwrap();
    let me = Actor::system();
    let items = vec![store::bundle::ImportItem {
        kind: "dokument".into(),
        item_id: "x".into(),
        local_id: Some(doc.id.to_string()),
        write: store::bundle::BundleWrite::Document(store::bundle::ImportedDocument {
            template_id: "ki-strategie".into(),
            kind: "strategie".into(),
            title: "KI-Strategie".into(),
            status: store::documents::DocumentStatus::Adopted,
            markdown: format!("Kontakt: {PLANTED_EMAIL}\n"),
            adopted_on: Some("2025-03-01".into()),
            adopted_by: Some("Stadtrat".into()),
        }),
    }];
    a.apply_bundle(&me, "Test", "0", &items).await.unwrap();
    let out = tmp.path().join("oeffentlich");
    let mut sink = DirSink::create(&out).unwrap();
    let err = export::export(
        &a,
        &options(true, tmp.path(), "2025-01-01T00:00:00Z"),
        &mut sink,
    )
    .await
    .unwrap_err();
    let BundleError::Refused(problems) = err else {
        panic!("{err}")
    };
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("dokumente/x/text.md")),
        "{problems:?}"
    );
    assert!(problems.iter().all(|p| !p.contains(PLANTED_EMAIL)));
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "nichts geschrieben"
    );
}

// ----- bad input ------------------------------------------------------------

async fn exported_zip(tmp: &Path) -> Vec<u8> {
    let a = fresh_store(Backend::Sqlite).await;
    populate(&a).await;
    let path = tmp.join("paket.zip");
    let mut sink = bundle::write::ZipSink::create(&path).unwrap();
    export::export(&a, &options(false, tmp, "2025-01-01T00:00:00Z"), &mut sink)
        .await
        .unwrap();
    sink.finish().unwrap();
    std::fs::read(path).unwrap()
}

/// The bundle's files with one changed by `edit` (None removes it).
fn rezip(
    bytes: &[u8],
    edit: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>,
    extra: &[(&str, &[u8])],
) -> Vec<u8> {
    let mut input = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..input.len() {
        let mut f = input.by_index(i).unwrap();
        let name = f.name().to_owned();
        let mut content = Vec::new();
        f.read_to_end(&mut content).unwrap();
        if let Some(c) = edit(&name, content) {
            out.start_file(name, opts).unwrap();
            out.write_all(&c).unwrap();
        }
    }
    for (name, content) in extra {
        out.start_file(*name, opts).unwrap();
        out.write_all(content).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn problems(bytes: &[u8]) -> Vec<String> {
    match read::from_zip_bytes(bytes) {
        Err(BundleError::Refused(p)) => p,
        other => panic!("nicht abgelehnt: {other:?}"),
    }
}

/// Rewrites one JSON file and fixes its checksum in the manifest, so that
/// only the content check can catch it.
fn replace_with_valid_checksum(bytes: &[u8], path: &str, content: &[u8]) -> Vec<u8> {
    let entry = bundle::write::entry(path, None, content);
    let manifest_edit = |name: &str, c: Vec<u8>| -> Option<Vec<u8>> {
        if name == "manifest.json" {
            let mut m: serde_json::Value = serde_json::from_slice(&c).unwrap();
            for f in m["files"].as_array_mut().unwrap() {
                if f["path"] == path {
                    f["sha256"] = entry.sha256.clone().into();
                    f["bytes"] = entry.bytes.into();
                }
            }
            Some(serde_json::to_vec(&m).unwrap())
        } else if name == path {
            Some(content.to_vec())
        } else {
            Some(c)
        }
    };
    rezip(bytes, manifest_edit, &[])
}

#[tokio::test]
async fn bad_bundles_are_refused_with_a_report_naming_each_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let good = exported_zip(tmp.path()).await;
    read::from_zip_bytes(&good).unwrap();

    // Missing file and wrong checksum, reported together.
    let bad = rezip(
        &good,
        |name, c| match name {
            "richtlinie/regeln.json" => None,
            "kommune/profil.json" => Some([c, b" ".to_vec()].concat()),
            _ => Some(c),
        },
        &[],
    );
    let p = problems(&bad);
    assert!(
        p.iter()
            .any(|p| p.starts_with("richtlinie/regeln.json: fehlt")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|p| p.starts_with("kommune/profil.json: die Prüfsumme")),
        "{p:?}"
    );

    // Schema failure.
    let bad = replace_with_valid_checksum(&good, "kommune/profil.json", br#"{"name": 7}"#);
    let p = problems(&bad);
    assert!(
        p.iter()
            .any(|p| p.contains("kommune/profil.json: passt nicht zum Schema")),
        "{p:?}"
    );

    // Hostile text.
    let bad = replace_with_valid_checksum(
        &good,
        "kommune/profil.json",
        br#"{"name":"<script>alert(1)</script>","ags":"1","staff_count":1,"departments":[]}"#,
    );
    let p = problems(&bad);
    assert!(p.iter().any(|p| p.contains("ausführbares HTML")), "{p:?}");

    // Unknown format version.
    let bad = rezip(
        &good,
        |name, c| {
            if name == "manifest.json" {
                let mut m: serde_json::Value = serde_json::from_slice(&c).unwrap();
                m["format_version"] = 99.into();
                Some(serde_json::to_vec(&m).unwrap())
            } else {
                Some(c)
            }
        },
        &[],
    );
    assert!(problems(&bad)[0].contains("Formatversion 99"));

    // Path traversal and a file not in the manifest.
    let bad = rezip(
        &good,
        |_, c| Some(c),
        &[("../../etc/evil.json", b"{}"), ("extra.txt", b"x")],
    );
    let p = problems(&bad);
    assert!(p.iter().any(|p| p.contains("unzulässiger Pfad")), "{p:?}");

    // A zip bomb: a small entry that unpacks to far more than allowed.
    let zeros = vec![0u8; 80 * 1024 * 1024];
    let bad = rezip(&good, |_, c| Some(c), &[("bombe.json", &zeros)]);
    assert!(bad.len() < 1024 * 1024);
    let p = problems(&bad);
    assert!(p[0].contains("ZIP-Bombe"), "{p:?}");

    // A link inside the ZIP: unpacked by another tool, it would point
    // anywhere on that machine.
    let bad = {
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        out.add_symlink("kommune/verweis.json", "/etc/passwd", opts)
            .unwrap();
        out.finish().unwrap().into_inner()
    };
    assert!(
        problems(&bad)[0].contains("kommune/verweis.json: ist ein Verweis"),
        "{:?}",
        problems(&bad)
    );

    // A file longer than the manifest says: read only one byte past that
    // size, a changed file.
    let bad = rezip(
        &good,
        |name, c| match name {
            "kommune/profil.json" => Some([c, vec![b' '; 512 << 10]].concat()),
            _ => Some(c),
        },
        &[],
    );
    let p = problems(&bad);
    assert!(
        p.iter()
            .any(|p| p.starts_with("kommune/profil.json: die Prüfsumme")),
        "{p:?}"
    );

    // Not a bundle at all.
    assert!(problems(b"kein zip")[0].contains("ZIP-Datei"));
}

/// After an import on a fresh instance: the bundle's municipality is not
/// ours, and its use cases are our ideas, unpublished, without its contact.
async fn imported_use_cases_are_ideas_of_the_importer(b: &Store) {
    let ours = b.profile().await.unwrap().map(|(p, _)| p.name);
    assert_ne!(ours.as_deref(), Some("Musterstadt"));
    assert!(b.published_register().await.unwrap().is_empty());
    let records = b.use_cases().await.unwrap();
    assert!(!records.is_empty());
    for r in records {
        let uc = &r.use_case;
        assert_eq!(
            uc.status,
            journey::usecase::model::Status::Idea,
            "{}",
            uc.id
        );
        assert!(uc.history.is_empty(), "{}", uc.id);
        match &uc.origin {
            Origin::Imported { from } => {
                assert!(
                    from.starts_with("Musterstadt (Paket vom 2025-01-01)"),
                    "{from}"
                )
            }
            other => panic!("{}: {other:?}", uc.id),
        }
        if let Some(entry) = &r.register {
            assert!(!entry.published, "{}", uc.id);
            assert!(entry.contact.is_empty(), "{}", uc.id);
            assert_eq!(entry.status, "Idee");
        }
    }
}

#[tokio::test]
async fn two_exports_of_the_same_data_are_byte_for_byte_equal() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("daten");
    std::fs::create_dir_all(&data).unwrap();
    let store = fresh_store(Backend::Sqlite).await;
    populate(&store).await;
    let export_to = |name: &str| tmp.path().join(name);
    let mut sink = DirSink::create(&export_to("eins")).unwrap();
    export::export(
        &store,
        &options(false, &data, "2025-01-01T00:00:00Z"),
        &mut sink,
    )
    .await
    .unwrap();
    // Saving a use case unchanged moves it to the front of the store's
    // order of last change; the data stay the same.
    let mut records = store.use_cases().await.unwrap();
    assert!(records.len() >= 2);
    let oldest = records.pop().unwrap();
    store
        .save_use_case(
            &Actor::system(),
            &oldest.use_case,
            oldest.register.as_ref(),
            oldest.version,
            "unverändert gespeichert",
        )
        .await
        .unwrap();
    let mut sink = DirSink::create(&export_to("zwei")).unwrap();
    export::export(
        &store,
        &options(false, &data, "2025-01-01T00:00:00Z"),
        &mut sink,
    )
    .await
    .unwrap();
    for (path, _) in manifest_files(&export_to("eins")) {
        let a = std::fs::read(export_to("eins").join(&path)).unwrap();
        let b = std::fs::read(export_to("zwei").join(&path)).unwrap();
        assert!(
            a == b,
            "{path} differs between two exports of the same data"
        );
    }
    let entries: serde_json::Value = serde_json::from_slice(
        &std::fs::read(export_to("eins").join("anwendungsfaelle/veroeffentlichung.json")).unwrap(),
    )
    .unwrap();
    let ids: Vec<&str> = entries["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
}
