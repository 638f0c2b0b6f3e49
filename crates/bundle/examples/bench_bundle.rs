//! Benchmark of the bundle at the size of a mid-sized town: 5,000 staff,
//! 10,000 survey answers, 60 offers, 100 use cases, 10 bench reports.
//! Each step is its own process so that `scripts/bench-bundle.sh` can
//! measure its time and peak memory (`/usr/bin/time -v`):
//!
//! ```text
//! bench_bundle populate DATA      # SQLite instance in DATA
//! bench_bundle export DATA OUT    # OUT: folder or .zip
//! bench_bundle import BUNDLE DATA # into a fresh instance in DATA
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use journey::access::Role;
use journey::profile::{Department, Profile};
use journey::usecase::canvas::Intake;
use journey::usecase::model::{Origin, UseCase};
use store::survey::NewSurvey;
use store::users::NewUser;
use store::{Actor, Store};

const STAFF: usize = 5_000;
const ANSWERS: usize = 10_000;
const OFFERS: usize = 60;
const USE_CASES: usize = 100;
const REPORTS: usize = 10;

async fn open(data: &Path) -> Store {
    std::fs::create_dir_all(data).expect("data folder");
    Store::connect_sqlite_file(&data.join("ki-reise.db"))
        .await
        .expect("database")
}

async fn populate(data: &Path) {
    let store = open(data).await;
    let actor = Actor::system();
    let departments: Vec<Department> = (0..20)
        .map(|i| Department {
            name: format!("Fachbereich {i:02}"),
            staff_count: (STAFF / 20) as u32,
        })
        .collect();
    let profile = Profile {
        name: "Großstadt".into(),
        ags: "05315000".into(),
        staff_count: STAFF as u32,
        departments: departments.clone(),
        dpo_contact: "Datenschutz <datenschutz@grossstadt.example>".into(),
        it_security_contact: "IT-Sicherheit".into(),
        staff_council_contact: "Personalrat".into(),
    };
    let admin = NewUser {
        email: "admin@grossstadt.example".into(),
        name: "Admin Istrator".into(),
        role: Role::Admin,
        department: None,
        password_hash: None,
    };
    store.complete_setup(&admin, &profile).await.expect("setup");
    let staff: Vec<NewUser> = (1..STAFF)
        .map(|i| NewUser {
            email: format!("person{i}@grossstadt.example"),
            name: format!("Person Nummer{i}"),
            role: Role::Staff,
            department: Some(departments[i % 20].name.clone()),
            password_hash: None,
        })
        .collect();
    store.create_users(&actor, &staff).await.expect("staff");

    let q = journey::survey::default_questionnaire().expect("questionnaire");
    let q = q.resolve(&journey::survey::SurveyContext::from_profile(
        &profile,
        &journey::competency::CompetencyModel::default_model().expect("model"),
    ));
    let q_json = serde_json::to_string(&q).expect("json");
    let survey = store
        .create_survey(
            &actor,
            &NewSurvey {
                title: "Bestandsaufnahme".into(),
                questionnaire: q_json.clone(),
                import_report: String::new(),
                min_group_size: 5,
            },
        )
        .await
        .expect("survey");
    store
        .open_survey(&actor, survey.id, &q_json)
        .await
        .expect("open");
    let dept_question = q
        .sections
        .iter()
        .flat_map(|s| s.questions.iter())
        .find(|x| x.id.contains("fachbereich") || x.id.contains("department"))
        .map(|x| x.id.clone());
    for i in 0..ANSWERS {
        let answers = match &dept_question {
            Some(id) => {
                let dept = journey::survey::slug(&departments[i % 20].name);
                format!(r#"{{"answers":{{"{id}":{{"single":"{dept}"}}}}}}"#)
            }
            None => r#"{"answers":{}}"#.to_owned(),
        };
        let answers = if serde_json::from_str::<journey::survey::Response>(&answers).is_ok() {
            answers
        } else {
            r#"{"answers":{}}"#.to_owned()
        };
        store
            .submit_paper_response(&actor, survey.id, &answers)
            .await
            .expect("answer")
            .expect("accepted");
    }
    store.close_survey(&actor, survey.id).await.expect("close");

    let model = journey::competency::CompetencyModel::default_model().expect("model");
    let catalogue = journey::qualification::catalogue::Catalogue::parse(
        "angebote.yaml",
        journey::qualification::CATALOGUE.default_text,
        &model,
    )
    .expect("catalogue");
    let offers: Vec<_> = (0..OFFERS)
        .map(|i| {
            let mut o = catalogue.offers[i % catalogue.offers.len()].clone();
            o.id = format!("angebot_{i:03}");
            o.url = o.url.map(|u| format!("{u}?v={i}"));
            o
        })
        .collect();
    store
        .import_catalogue_items(&actor, &offers, &catalogue.partners, &[], "Benchmark")
        .await
        .expect("offers");

    for i in 0..USE_CASES {
        let intake = Intake::from_survey_text(
            &format!("Anträge schneller bearbeiten, Fall {i}. Mit KI-Unterstützung."),
            Some(&departments[i % 20].name),
        );
        let uc = UseCase::new(&format!("af-{i:04}"), intake, Origin::Survey).expect("use case");
        store.create_use_case(&actor, &uc).await.expect("use case");
    }

    let spec = bench::parse_spec(bench::EXAMPLE_SPEC).expect("spec");
    for i in 0..REPORTS {
        let report = bench::Report {
            report_version: 1,
            title: format!("Vergleichstest {i}"),
            description: None,
            generated_at: format!("2025-01-{:02}T10:00:00Z", i + 1),
            partial: false,
            slo: spec.slo.clone(),
            users: spec.users.clone(),
            capacity_workload: spec.capacity_workload().to_owned(),
            targets: Vec::new(),
            levels: Vec::new(),
            quality: Vec::new(),
            ranking: Vec::new(),
            break_even: Vec::new(),
            recommendation: "Keine Empfehlung (Benchmark-Daten).".into(),
            host: None,
            warnings: Vec::new(),
        };
        let dir = data
            .join("bench")
            .join(format!("2025-01-{:02}-bench", i + 1));
        std::fs::create_dir_all(&dir).expect("bench dir");
        std::fs::write(dir.join("report.json"), report.to_json().expect("report")).expect("write");
    }
    println!("Instanz befüllt: {STAFF} Beschäftigte, {ANSWERS} Antworten, {OFFERS} Angebote, {USE_CASES} Anwendungsfälle, {REPORTS} Berichte.");
}

async fn export(data: &Path, out: &Path) {
    let store = open(data).await;
    let options = bundle::export::Options {
        public: false,
        licence: "CC-BY-4.0".into(),
        openapi: None,
        data_dir: Some(data),
        created: bundle::export::now_rfc3339(),
    };
    let started = Instant::now();
    let manifest = if out.extension().is_some_and(|e| e == "zip") {
        let mut sink = bundle::write::ZipSink::create(out).expect("zip");
        let m = bundle::export::export(&store, &options, &mut sink)
            .await
            .expect("export");
        sink.finish().expect("zip");
        m
    } else {
        let mut sink = bundle::write::DirSink::create(out).expect("dir");
        bundle::export::export(&store, &options, &mut sink)
            .await
            .expect("export")
    };
    println!(
        "Export: {} Dateien in {:.2} s",
        manifest.files.len() + 1,
        started.elapsed().as_secs_f64()
    );
}

async fn import(bundle_path: &Path, data: &Path) {
    let store = open(data).await;
    let started = Instant::now();
    let bundle = bundle::read::open(bundle_path).expect("bundle");
    let plan = bundle::import::plan(&store, &bundle, Some(data), &Default::default())
        .await
        .expect("plan");
    bundle::import::apply(&store, &Actor::command_line(), &bundle, &plan, Some(data))
        .await
        .expect("import");
    println!(
        "Import: {} in {:.2} s",
        plan.summary(),
        started.elapsed().as_secs_f64()
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    match (
        args.first().and_then(|a| a.to_str()),
        args.get(1),
        args.get(2),
    ) {
        (Some("populate"), Some(data), None) => populate(data).await,
        (Some("export"), Some(data), Some(out)) => export(data, out).await,
        (Some("import"), Some(bundle), Some(data)) => import(bundle, data).await,
        _ => {
            eprintln!("Aufruf: bench_bundle populate DATA | export DATA OUT | import PAKET DATA");
            std::process::exit(2);
        }
    }
}
