//! The backup's promise end to end: an instance on SQLite, backed up while
//! writes go on, restores into a fresh PostgreSQL instance; that one, backed
//! up again, restores into a fresh SQLite instance; every table and file is
//! the same as in the first archive. A damaged archive and a used instance
//! are refused before anything is written.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use backup::{BackupError, Silent};
use journey::access::Role;
use journey::profile::{Department, Profile};
use journey::usecase::canvas::Intake;
use journey::usecase::model::{Origin, UseCase};
use serde_json::Value;
use store::backup::{RowSink, TableSchema};
use store::documents::NewDocument;
use store::survey::NewSurvey;
use store::test_support::{fresh_database_url, Backend};
use store::users::NewUser;
use store::{Actor, Store};

/// Rows of each table as sorted JSON lines, with the table's schema.
type Tables = BTreeMap<String, (TableSchema, Vec<String>)>;

#[derive(Default)]
struct Collect {
    tables: Tables,
    current: Option<String>,
}

impl RowSink for Collect {
    fn begin_table(&mut self, table: &TableSchema) -> std::io::Result<()> {
        self.current = Some(table.name.clone());
        self.tables
            .insert(table.name.clone(), (table.clone(), Vec::new()));
        Ok(())
    }
    fn row(&mut self, values: &[Value]) -> std::io::Result<()> {
        let name = self.current.as_ref().unwrap();
        let line = serde_json::to_string(values).unwrap();
        self.tables.get_mut(name).unwrap().1.push(line);
        Ok(())
    }
    fn end_table(&mut self) -> std::io::Result<()> {
        let name = self.current.take().unwrap();
        self.tables.get_mut(&name).unwrap().1.sort();
        Ok(())
    }
}

async fn dump(store: &Store) -> Tables {
    let mut sink = Collect::default();
    store.dump(&mut sink).await.unwrap();
    sink.tables
}

/// The tables as the archive holds them.
fn archived(archive: &Path) -> Tables {
    let manifest = backup::verify(archive, &mut Silent).unwrap();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(archive).unwrap()).unwrap();
    let mut out = Tables::new();
    for t in manifest.tables {
        let entry = zip.by_name(&t.entry.name).unwrap();
        let mut rows: Vec<String> = BufReader::new(entry).lines().map(Result::unwrap).collect();
        rows.sort();
        assert_eq!(rows.len() as u64, t.rows);
        out.insert(t.schema.name.clone(), (t.schema, rows));
    }
    out
}

fn files_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().to_string();
            if rel.starts_with("ki-reise.db") || rel == ".schreibtest" {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn write_file(dir: &Path, rel: &str, bytes: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// Accounts, a survey with answers, documents with versions, use cases.
async fn populate(store: &Store) {
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
        dpo_contact: "Datenschutz <ds@musterstadt.example>".into(),
        it_security_contact: "IT <it@musterstadt.example>".into(),
        staff_council_contact: "Personalrat <pr@musterstadt.example>".into(),
    };
    let admin_id = store
        .complete_setup(
            &NewUser {
                email: "admin@musterstadt.example".into(),
                name: "Erika Mustermann".into(),
                role: Role::Admin,
                department: None,
                password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
            },
            &profile,
        )
        .await
        .unwrap();
    let me = Actor::user(admin_id, "Erika Mustermann");
    let staff: Vec<NewUser> = (0..40)
        .map(|i| NewUser {
            email: format!("person{i}@musterstadt.example"),
            name: format!("Person {i} „Ümlaut“"),
            role: if i % 10 == 0 {
                Role::ProjectTeam
            } else {
                Role::Staff
            },
            department: Some(
                if i % 2 == 0 {
                    "Bauamt"
                } else {
                    "Bürgerservice"
                }
                .into(),
            ),
            password_hash: None,
        })
        .collect();
    let users = store.create_users(&me, &staff).await.unwrap();
    store
        .set_user_active(&me, users[3].id, false)
        .await
        .unwrap();

    let q = serde_json::to_string(&journey::survey::default_questionnaire().unwrap()).unwrap();
    let survey = store
        .create_survey(
            &me,
            &NewSurvey {
                title: "Bestandsaufnahme 2025".into(),
                questionnaire: q.clone(),
                import_report: String::new(),
                min_group_size: 5,
            },
        )
        .await
        .unwrap();
    store.open_survey(&me, survey.id, &q).await.unwrap();
    let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    store
        .create_personal_tokens(&me, survey.id, &ids[..10])
        .await
        .unwrap();
    for i in 0..12 {
        store
            .submit_paper_response(&me, survey.id, &format!(r#"{{"answers":{{"q1":{i}}}}}"#))
            .await
            .unwrap()
            .unwrap();
    }

    for n in 0..5 {
        let doc = store
            .create_document(
                &me,
                &NewDocument {
                    template_id: "ki-strategie",
                    kind: "strategie",
                    title: &format!("KI-Strategie {n}"),
                    markdown: "# KI-Strategie\n\nWir nutzen KI **verantwortungsvoll**.\n",
                    answers: "{}",
                },
            )
            .await
            .unwrap();
        for v in 1..=3 {
            store
                .save_document_version(
                    &me,
                    doc.id,
                    v,
                    &format!("# KI-Strategie\n\nFassung {}\n", v + 1),
                    None,
                    "überarbeitet",
                )
                .await
                .unwrap();
        }
        store
            .add_comment(&me, doc.id, 4, "ziele", "Bitte konkreter.")
            .await
            .unwrap();
    }

    for id in ["af-0001", "af-0002", "af-0003"] {
        let intake = Intake::from_survey_text(
            &format!("Bescheide schneller schreiben {id}. Mehr Text."),
            Some("Bauamt"),
        );
        let uc = UseCase::new(id, intake, Origin::Survey).unwrap();
        store.create_use_case(&me, &uc).await.unwrap();
    }
    store
        .set_setting("chat_retention_days", "30")
        .await
        .unwrap();
}

/// Writes as the portal would while the backup runs: each round a document
/// with its first version and an audit entry, a second version, and a
/// paper answer with its audit entry, each in its own transaction.
fn start_writes(url: String, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let store = Store::connect(&url).await.unwrap();
        let me = Actor::user(1, "Erika Mustermann");
        let mut rounds = 0;
        while !stop.load(Ordering::SeqCst) {
            let doc = store
                .create_document(
                    &me,
                    &NewDocument {
                        template_id: "ki-richtlinie",
                        kind: "richtlinie",
                        title: &format!("Richtlinie {rounds}"),
                        markdown: "# Entwurf\n",
                        answers: "{}",
                    },
                )
                .await
                .unwrap();
            store
                .save_document_version(&me, doc.id, 1, "# Entwurf 2\n", None, "")
                .await
                .unwrap();
            store
                .submit_paper_response(&me, 1, r#"{"answers":{}}"#)
                .await
                .unwrap()
                .unwrap();
            rounds += 1;
        }
        store.close().await;
        rounds
    })
}

/// What a torn (inconsistent) snapshot would break: every document has
/// exactly its versions, every paper answer its audit entry.
fn assert_consistent(tables: &Tables) {
    let rows = |t: &str| -> Vec<Vec<Value>> {
        tables[t]
            .1
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let col = |t: &str, c: &str| -> usize {
        tables[t]
            .0
            .columns
            .iter()
            .position(|x| x.name == c)
            .unwrap()
    };
    let (d_id, d_latest) = (col("documents", "id"), col("documents", "latest_version"));
    let v_doc = col("document_versions", "document_id");
    let versions = rows("document_versions");
    for d in rows("documents") {
        let n = versions.iter().filter(|v| v[v_doc] == d[d_id]).count() as i64;
        assert_eq!(Some(n), d[d_latest].as_i64(), "document {}", d[d_id]);
    }
    let action = col("audit_log", "action");
    let paper_audits = rows("audit_log")
        .iter()
        .filter(|r| r[action] == "Papierantwort erfasst")
        .count();
    assert_eq!(paper_audits, rows("survey_responses").len());
}

async fn unmigrated(backend: Backend) -> Store {
    Store::connect_without_migrating(&fresh_database_url(backend).await)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_backup_under_write_load_restores_from_sqlite_into_postgres_and_back_table_for_table() {
    let tmp = tempfile::tempdir().unwrap();
    let source_dir = tmp.path().join("quelle");
    std::fs::create_dir_all(&source_dir).unwrap();
    let source_url = format!("sqlite://{}", source_dir.join("ki-reise.db").display());
    let source = Store::connect(&source_url).await.unwrap();
    populate(&source).await;
    write_file(&source_dir, "nachnutzung/paket.zip", &[7u8; 300_000]);
    write_file(&source_dir, "bench/lauf-1/report.json", br#"{"ok":true}"#);
    write_file(
        &source_dir,
        "policy/regelwerk.json",
        "{\"quelle\":\"Ä\"}".as_bytes(),
    );
    write_file(&source_dir, "models/gross.gguf", b"GGUF model bytes");

    let stop = Arc::new(AtomicBool::new(false));
    let writer = start_writes(source_url.clone(), stop.clone());
    // Let the writes get going, then back up while they run.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let archive_a = tmp.path().join("sicherung-a.zip");
    let options = backup::Options {
        data_dir: source_dir.clone(),
        with_models: false,
        ki_reise_version: "test".into(),
    };
    let summary = backup::create(&source, &options, &archive_a, &mut Silent)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stop.store(true, Ordering::SeqCst);
    let rounds = writer.await.unwrap();
    assert!(rounds > 0, "the writes ran during the backup");
    assert_eq!(summary.manifest.database.backend, "SQLite");
    assert!(!summary.manifest.models_included);

    let a = archived(&archive_a);
    assert_consistent(&a);
    // Writes after the snapshot are not in it, those before are.
    let after = dump(&source).await;
    assert!(after["documents"].1.len() > a["documents"].1.len());
    assert!(a["documents"].1.len() > 5, "some writes made it in");
    assert_eq!(a["users"].1.len(), 41);

    // SQLite → PostgreSQL.
    let pg_dir = tmp.path().join("pg");
    let pg_url = fresh_database_url(Backend::Postgres).await;
    let pg = Store::connect_without_migrating(&pg_url).await.unwrap();
    let restored = backup::restore(&pg, &pg_dir, &archive_a, &mut Silent)
        .await
        .unwrap();
    assert_eq!(restored.files, 3);
    assert!(pg.migration_status().await.unwrap().is_current());
    assert_eq!(dump(&pg).await, a, "PostgreSQL holds exactly the archive");
    let mut expected_files = files_of(&source_dir);
    expected_files.remove("models/gross.gguf");
    assert_eq!(files_of(&pg_dir), expected_files);

    // PostgreSQL → SQLite, again while writes go on.
    let archive_b = tmp.path().join("sicherung-b.zip");
    let options_b = backup::Options {
        data_dir: pg_dir.clone(),
        ..options.clone()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let writer = start_writes(pg_url.clone(), stop.clone());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    backup::create(&pg, &options_b, &archive_b, &mut Silent)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stop.store(true, Ordering::SeqCst);
    assert!(writer.await.unwrap() > 0);
    let b = archived(&archive_b);
    assert_consistent(&b);
    assert!(b["documents"].1.len() > a["documents"].1.len());
    assert!(dump(&pg).await["documents"].1.len() > b["documents"].1.len());
    // What was restored from A is all in B, unchanged.
    for (table, (schema, rows)) in &a {
        assert_eq!(&b[table].0, schema, "{table}");
        for row in rows {
            assert!(b[table].1.binary_search(row).is_ok(), "{table}: {row}");
        }
    }

    let sqlite_dir = tmp.path().join("zurueck");
    std::fs::create_dir_all(&sqlite_dir).unwrap();
    let back = Store::connect_sqlite_file_without_migrating(&sqlite_dir.join("ki-reise.db"))
        .await
        .unwrap();
    backup::restore(&back, &sqlite_dir, &archive_b, &mut Silent)
        .await
        .unwrap();
    assert_eq!(dump(&back).await, b, "and SQLite again");
    assert_eq!(files_of(&sqlite_dir), expected_files);

    // The restored instances keep working: new ids follow the restored ones.
    let me = Actor::user(1, "Erika Mustermann");
    for store in [&pg, &back] {
        let before = store.documents().await.unwrap().len();
        store
            .create_document(
                &me,
                &NewDocument {
                    template_id: "ki-strategie",
                    kind: "strategie",
                    title: "Nach der Wiederherstellung",
                    markdown: "# Neu\n",
                    answers: "{}",
                },
            )
            .await
            .unwrap();
        assert_eq!(store.documents().await.unwrap().len(), before + 1);
        let admin = store
            .user_by_email("admin@musterstadt.example")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(admin.role, Role::Admin);
    }
}

/// Copies `from` to `to`, with `change` applied to the bytes of entry `name`.
fn tamper(from: &Path, to: &Path, name: &str, change: impl Fn(&mut Vec<u8>)) {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(from).unwrap()).unwrap();
    let mut out = zip::ZipWriter::new(std::fs::File::create(to).unwrap());
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let entry_name = entry.name().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if entry_name == name {
            change(&mut bytes);
        }
        out.start_file(entry_name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap();
}

fn refusal(e: BackupError) -> String {
    match e {
        BackupError::Refused(m) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_damaged_archive_or_a_used_instance_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let source_dir = tmp.path().join("quelle");
    std::fs::create_dir_all(&source_dir).unwrap();
    let source = Store::connect_sqlite_file(&source_dir.join("ki-reise.db"))
        .await
        .unwrap();
    populate(&source).await;
    write_file(&source_dir, "nachnutzung/paket.zip", b"PK original");
    let good = tmp.path().join("gut.zip");
    let options = backup::Options {
        data_dir: source_dir.clone(),
        with_models: false,
        ki_reise_version: "test".into(),
    };
    backup::create(&source, &options, &good, &mut Silent)
        .await
        .unwrap();

    let flip_last = |b: &mut Vec<u8>| {
        let last = b.len() - 1;
        b[last] ^= 1;
    };
    let cases: Vec<(&str, PathBuf, &str)> = vec![
        (
            "files/nachnutzung/paket.zip",
            tmp.path().join("datei.zip"),
            "Prüfsumme",
        ),
        (
            "database/users.jsonl",
            tmp.path().join("tabelle.zip"),
            "Prüfsumme",
        ),
    ];
    for (entry, path, expected) in &cases {
        tamper(&good, path, entry, flip_last);
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let target = unmigrated(backend).await;
            let dir = tmp.path().join(format!("ziel-{backend:?}"));
            let message = refusal(
                backup::restore(&target, &dir, path, &mut Silent)
                    .await
                    .unwrap_err(),
            );
            assert!(message.contains(expected), "{message}");
            assert!(message.contains(entry), "{message}");
            assert!(message.contains("nichts wiederhergestellt"), "{message}");
            assert!(
                target.applied_migrations().await.unwrap().is_empty(),
                "the database was not touched"
            );
            assert!(!dir.exists() || files_of(&dir).is_empty());
        }
    }

    // An entry the manifest does not name, e.g. a path planted to escape.
    let planted = tmp.path().join("untergeschoben.zip");
    {
        std::fs::copy(&good, &planted).unwrap();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&planted)
            .unwrap();
        let mut zip = zip::ZipWriter::new_append(file).unwrap();
        zip.start_file(
            "files/../../boese.sh",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(b"#!/bin/sh\n").unwrap();
        zip.finish().unwrap();
    }
    let target = unmigrated(Backend::Sqlite).await;
    let message = refusal(
        backup::restore(&target, &tmp.path().join("x"), &planted, &mut Silent)
            .await
            .unwrap_err(),
    );
    assert!(message.contains("steht nicht im Manifest"), "{message}");

    // A used instance: the database holds data, or the data folder files.
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let used = Store::connect(&fresh_database_url(backend).await)
            .await
            .unwrap();
        used.set_setting("chat_retention_days", "7").await.unwrap();
        let dir = tmp.path().join(format!("benutzt-{backend:?}"));
        let message = refusal(
            backup::restore(&used, &dir, &good, &mut Silent)
                .await
                .unwrap_err(),
        );
        assert!(message.contains("nicht leer"), "{message}");
        assert!(message.contains("settings"), "{message}");
        assert_eq!(
            used.first_table_with_data().await.unwrap().as_deref(),
            Some("settings")
        );
        assert!(used.users().await.unwrap().is_empty());
    }
    let fresh = unmigrated(Backend::Sqlite).await;
    let dir = tmp.path().join("ordner-belegt");
    write_file(&dir, "bench/alt.json", b"{}");
    let message = refusal(
        backup::restore(&fresh, &dir, &good, &mut Silent)
            .await
            .unwrap_err(),
    );
    assert!(message.contains("bench/alt.json"), "{message}");
    assert!(fresh.users().await.unwrap().is_empty());

    // A served-once instance (only its set-up code) is empty enough.
    let served = Store::connect(&fresh_database_url(Backend::Sqlite).await)
        .await
        .unwrap();
    served
        .set_setting(store::profile::SETUP_CODE_KEY, "abc")
        .await
        .unwrap();
    backup::restore(&served, &tmp.path().join("frisch"), &good, &mut Silent)
        .await
        .unwrap();
    assert_eq!(served.users().await.unwrap().len(), 41);
}

/// Takes its time over each table, so that writes land between the reads
/// of two tables: only a real snapshot keeps them out.
struct Slow(Collect);

impl RowSink for Slow {
    fn begin_table(&mut self, table: &TableSchema) -> std::io::Result<()> {
        std::thread::sleep(std::time::Duration::from_millis(40));
        self.0.begin_table(table)
    }
    fn row(&mut self, values: &[Value]) -> std::io::Result<()> {
        self.0.row(values)
    }
    fn end_table(&mut self) -> std::io::Result<()> {
        self.0.end_table()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_dump_under_write_load_reads_one_snapshot_on_both_dialects() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let url = fresh_database_url(backend).await;
        let store = Store::connect(&url).await.unwrap();
        populate(&store).await;
        let stop = Arc::new(AtomicBool::new(false));
        let writer = start_writes(url.clone(), stop.clone());
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let before = dump(&store).await["documents"].1.len();
        let mut sink = Slow(Collect::default());
        store.dump(&mut sink).await.unwrap();
        stop.store(true, Ordering::SeqCst);
        writer.await.unwrap();
        let after = dump(&store).await["documents"].1.len();
        let tables = sink.0.tables;
        // The writes went on during the two seconds of the dump …
        assert!(after > tables["documents"].1.len(), "{backend:?}");
        assert!(tables["documents"].1.len() >= before, "{backend:?}");
        // … and none of them shows half.
        assert_consistent(&tables);
    }
}
