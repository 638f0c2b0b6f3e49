//! The Nachnutzung story on SQLite and on PostgreSQL: an administrator
//! previews and downloads the whole journey as a bundle on the admin page; a
//! second instance checks it (dry run), sees the conflicting profile,
//! chooses to overwrite it and takes the bundle over; a tampered bundle is
//! refused with a German report of each problem and nothing is imported.
//! The upload has its own size limit, far above the portal's 4 MB.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use common::{extract_between, fresh_database_url, login, spawn_with, Backend, Browser, PASSWORD};
use journey::access::Role;
use journey::profile::{Department, Profile};
use portal::PortalConfig;
use store::users::NewUser;
use store::Store;

const ADMIN: &str = "ada@musterstadt.de";

/// A fresh instance with one administrator, its municipality named `name`,
/// and its own data folder.
async fn instance(backend: Backend, name: &str, tag: &str) -> (common::TestServer, PathBuf) {
    let url = fresh_database_url(backend).await;
    let store = Store::connect(&url).await.expect("store");
    let hash = portal::auth::password::hash_blocking(PASSWORD).unwrap();
    store
        .complete_setup(
            &NewUser {
                email: ADMIN.into(),
                name: "Ada Admin".into(),
                role: Role::Admin,
                department: None,
                password_hash: Some(hash),
            },
            &Profile {
                name: name.into(),
                ags: "15002000".into(),
                staff_count: 500,
                departments: vec![Department {
                    name: "Bürgerservice".into(),
                    staff_count: 100,
                }],
                ..Profile::default()
            },
        )
        .await
        .unwrap();
    let data_dir = std::env::temp_dir().join(format!(
        "ki-reise-bundle-story-{}-{backend:?}-{tag}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&data_dir);
    let config = PortalConfig {
        data_dir: data_dir.clone(),
        ..PortalConfig::default()
    };
    (spawn_with(store, config).await, data_dir)
}

async fn upload(b: &Browser, zip: Vec<u8>) -> (u16, String) {
    let form = reqwest::multipart::Form::new()
        .text("_csrf", b.csrf.clone())
        .part(
            "paket",
            reqwest::multipart::Part::bytes(zip).file_name("paket.zip"),
        );
    let r = b
        .client
        .post(format!("{}/nachnutzung/import", b.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Confirms a checked bundle with the conflicting municipality profile
/// chosen for overwriting; the page must say it was taken over.
async fn take_over_with_profile(b: &mut Browser, token: &str) {
    let p = b
        .post(
            "/nachnutzung/uebernehmen",
            &[("paket", token), ("ueberschreiben", "profil/kommune")],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("Übernommen aus"), "{}", p.body);
}

async fn municipality(store: &Store) -> String {
    store.profile().await.unwrap().unwrap().0.name
}

/// The bundle with one file changed after its checksum was taken and one
/// file the manifest does not list.
fn tampered(zip: &[u8]) -> Vec<u8> {
    let mut reader = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let mut changed = None;
    for i in 0..reader.len() {
        let mut file = reader.by_index(i).unwrap();
        let name = file.name().to_owned();
        let mut text = Vec::new();
        file.read_to_end(&mut text).unwrap();
        if changed.is_none() && name != "manifest.json" && name.ends_with(".json") {
            let s = String::from_utf8(text).unwrap();
            if s.contains("Musterstadt") {
                text = s.replace("Musterstadt", "Fälschungsstadt").into_bytes();
                changed = Some(name.clone());
            } else {
                text = s.into_bytes();
            }
        }
        out.start_file(name, options).unwrap();
        out.write_all(&text).unwrap();
    }
    out.start_file("boese.txt", options).unwrap();
    out.write_all(b"nicht im Manifest").unwrap();
    assert!(changed.is_some(), "no file names the municipality");
    out.finish().unwrap().into_inner()
}

/// A use case in operation, published in A's register with A's contact.
async fn publish_operating_use_case(store: &Store) {
    use journey::usecase::canvas::Intake;
    use journey::usecase::model::{Origin, UseCase};
    use journey::usecase::register::RegisterEntry;
    let me = store::Actor::system();
    let intake =
        Intake::from_survey_text("Posteingang nach Fachbereichen sortieren. Mehr Text.", None);
    let uc = UseCase::new("af-0001", intake, Origin::Own).unwrap();
    let saved = store.create_use_case(&me, &uc).await.unwrap();
    let mut entry = RegisterEntry::draft_from(&uc);
    entry.contact = "ki@musterstadt.example".into();
    entry.status = "Im Betrieb".into();
    entry.published = true;
    store
        .save_use_case(&me, &uc, Some(&entry), saved.version, "Register")
        .await
        .unwrap();
}

async fn story(backend: Backend) {
    let (a, dir_a) = instance(backend, "Stadt Musterstadt", "a").await;
    publish_operating_use_case(&a.store).await;
    let mut ada = login(&a.base, ADMIN).await;

    // The admin page is in the navigation; the preview lists the files.
    let p = ada.get("/").await;
    assert!(p.body.contains("href=\"/nachnutzung\""), "{}", p.body);
    let p = ada.get("/nachnutzung").await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("Paket exportieren"));
    let p = ada
        .get("/nachnutzung?lizenz=CC-BY-4.0&oeffentlich=1&vorschau=1")
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("würden veröffentlicht"), "{}", p.body);
    assert!(p.body.contains("manifest.json"));
    assert!(p.body.contains("Weggelassen, weil intern"));
    let p = ada.get("/nachnutzung?lizenz=CC-BY-4.0&vorschau=1").await;
    assert!(p.body.contains("würden geschrieben"), "{}", p.body);

    // The download is the bundle as a ZIP.
    let r = ada
        .client
        .get(format!("{}/nachnutzung/export?lizenz=CC-BY-4.0", a.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let zip = r.bytes().await.unwrap().to_vec();
    assert!(zip.starts_with(b"PK"));
    let manifest = {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&zip)).unwrap();
        let mut text = String::new();
        archive
            .by_name("manifest.json")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    };
    assert!(manifest.contains("CC-BY-4.0"), "{manifest}");

    // A second instance checks the bundle: a dry run changes nothing.
    let (b, dir_b) = instance(backend, "Gemeinde Beispielheim", "b").await;
    let mut bea = login(&b.base, ADMIN).await;
    bea.get("/nachnutzung").await;
    let (status, body) = upload(&bea, zip.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Probelauf"), "{body}");
    assert!(body.contains("Wird angelegt"));
    // The dry run says that our profile stays and use cases arrive as ideas.
    assert!(
        !body.contains("value=\"profil&#x2f;kommune\"")
            && !body.contains("value=\"profil/kommune\""),
        "the profile is no choice: {body}"
    );
    assert!(
        body.contains("Das Profil dieser Kommune bleibt, wie es ist."),
        "{body}"
    );
    assert!(
        body.contains("Anwendungsfälle kommen als Ideen dieser Kommune an"),
        "{body}"
    );
    let token = extract_between(&body, "name=\"paket\" value=\"", "\"").expect("token");
    assert_eq!(municipality(&b.store).await, "Gemeinde Beispielheim");

    // Confirmed, even with the profile asked for: applied in one go, and
    // the bundle's municipality never becomes ours.
    take_over_with_profile(&mut bea, &token).await;
    assert_eq!(municipality(&b.store).await, "Gemeinde Beispielheim");
    let p = bea.get("/protokoll").await;
    assert!(p.body.contains("Aus Paket übernommen"));
    // A's use case is B's idea now: not in B's public register, without
    // A's contact, with its origin shown.
    let register = reqwest::get(format!("{}/ki-register", b.base))
        .await
        .unwrap();
    let register = register.text().await.unwrap();
    assert!(!register.contains("Posteingang"), "{register}");
    assert!(!register.contains("ki@musterstadt.example"));
    let p = bea.get("/anwendungsfaelle/af-0001").await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        p.body.contains("Status: <strong>Idee</strong>"),
        "{}",
        p.body
    );
    assert!(
        p.body
            .contains("importiert von Stadt Musterstadt (Paket vom"),
        "{}",
        p.body
    );
    let uc = b.store.use_case("af-0001").await.unwrap();
    assert!(uc
        .register
        .is_none_or(|r| r.contact.is_empty() && !r.published));
    // The waiting file is gone; the same confirmation cannot run twice.
    let p = bea
        .post("/nachnutzung/uebernehmen", &[("paket", &token)])
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("liegt nicht mehr vor"));
    let p = bea
        .post("/nachnutzung/uebernehmen", &[("paket", "../../etc/passwd")])
        .await;
    assert_eq!(p.status, 422);

    // A tampered bundle: every problem named in German, nothing imported.
    let (c, dir_c) = instance(backend, "Gemeinde Beispielheim", "c").await;
    let mut cem = login(&c.base, ADMIN).await;
    cem.get("/nachnutzung").await;
    let audit_before = c.store.audit_entries("", 1000, 0).await.unwrap().1;
    let (status, body) = upload(&cem, tampered(&zip)).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("Das Paket wurde nicht übernommen"), "{body}");
    assert!(body.contains("die Prüfsumme stimmt nicht"), "{body}");
    assert!(
        body.contains("boese.txt: steht nicht in manifest.json"),
        "{body}"
    );
    assert!(!body.contains("name=\"ueberschreiben\""));
    assert_eq!(municipality(&c.store).await, "Gemeinde Beispielheim");
    assert_eq!(
        c.store.audit_entries("", 1000, 0).await.unwrap().1,
        audit_before
    );
    let waiting = std::fs::read_dir(dir_c.join("nachnutzung"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(waiting, 0, "a refused bundle is not kept");

    for dir in [dir_a, dir_b, dir_c] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_goes_from_one_instance_to_another_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_goes_from_one_instance_to_another_on_postgres() {
    story(Backend::Postgres).await;
}

// ----- the upload's own size limit --------------------------------------------

async fn download(b: &Browser) -> Vec<u8> {
    let r = b
        .client
        .get(format!("{}/nachnutzung/export?lizenz=CC-BY-4.0", b.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap().to_vec()
}

/// Bytes that deflate cannot shrink (xorshift), so the ZIP grows with them.
fn incompressible(len: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The bundle with one more file, listed in the manifest with its checksum:
/// still a valid bundle, just a large one.
fn padded(zip: &[u8], extra: &[u8]) -> Vec<u8> {
    const PATH: &str = "anhang/fuellung.bin";
    let mut reader = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..reader.len() {
        let mut file = reader.by_index(i).unwrap();
        let name = file.name().to_owned();
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        if name == "manifest.json" {
            let mut m: serde_json::Value = serde_json::from_slice(&content).unwrap();
            let entry = bundle::write::entry(PATH, None, extra);
            m["files"]
                .as_array_mut()
                .unwrap()
                .push(serde_json::to_value(entry).unwrap());
            content = serde_json::to_vec(&m).unwrap();
        }
        out.start_file(name, options).unwrap();
        out.write_all(&content).unwrap();
    }
    out.start_file(PATH, options).unwrap();
    out.write_all(extra).unwrap();
    out.finish().unwrap().into_inner()
}

/// A POST that declares `declared` bytes of body and sends only its first
/// few, as a browser starts a large upload; the answer comes before the rest.
async fn post_declaring(server: &common::TestServer, path: &str, declared: u64) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let admin = server.store.user_by_email(ADMIN).await.unwrap().unwrap();
    let session = server
        .store
        .create_session(Some(admin.id), 3600)
        .await
        .unwrap();
    let host = server.base.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nCookie: kr_session={}\r\nX-CSRF-Token: {}\r\n\
         Content-Type: multipart/form-data; boundary=grenze\r\nContent-Length: {declared}\r\n\
         Connection: close\r\n\r\n--grenze\r\nContent-Disposition: form-data; name=\"paket\"; \
         filename=\"paket.zip\"\r\n\r\nPK\x03\x04",
        session.token, session.csrf
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        tcp.read_to_end(&mut response),
    )
    .await
    .expect("an answer without the rest of the body")
    .unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn waiting(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("nachnutzung"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_over_4_mb_is_taken_over_and_one_over_the_upload_limit_is_refused_in_german() {
    let (a, dir_a) = instance(Backend::Sqlite, "Stadt Musterstadt", "gross-a").await;
    let mut ada = login(&a.base, ADMIN).await;
    ada.get("/nachnutzung").await;
    let zip = padded(&download(&ada).await, &incompressible(6 * 1024 * 1024));
    assert!(zip.len() > 6 * 1024 * 1024, "{}", zip.len());

    // Over the portal's 4 MB, under the upload's limit: checked and applied.
    let (b, dir_b) = instance(Backend::Sqlite, "Gemeinde Beispielheim", "gross-b").await;
    let mut bea = login(&b.base, ADMIN).await;
    bea.get("/nachnutzung").await;
    let (status, body) = upload(&bea, zip).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Probelauf"), "{body}");
    let token = extract_between(&body, "name=\"paket\" value=\"", "\"").expect("token");
    assert_eq!(waiting(&dir_b), 1, "the checked upload waits");
    take_over_with_profile(&mut bea, &token).await;
    assert_eq!(municipality(&b.store).await, "Gemeinde Beispielheim");
    assert_eq!(waiting(&dir_b), 0);

    // Over the upload's limit: a German page with 413, nothing kept or changed.
    let (c, dir_c) = instance(Backend::Sqlite, "Gemeinde Beispielheim", "gross-c").await;
    let audit_before = c.store.audit_entries("", 1000, 0).await.unwrap().1;
    let limit = portal::transfer::upload::MAX_UPLOAD_BYTES as u64;
    let (status, text) = post_declaring(&c, "/nachnutzung/import", limit + 1).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("größer als 256 MB"), "{text}");
    assert!(text.contains("Nichts wurde gespeichert"), "{text}");
    assert_eq!(waiting(&dir_c), 0);
    assert_eq!(municipality(&c.store).await, "Gemeinde Beispielheim");
    assert_eq!(
        c.store.audit_entries("", 1000, 0).await.unwrap().1,
        audit_before
    );

    // Every other route keeps the portal's 4 MB.
    let (status, text) = post_declaring(&c, "/profil/bearbeiten", 5 * 1024 * 1024).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("höchstens 4 MB"), "{text}");
    assert_eq!(municipality(&c.store).await, "Gemeinde Beispielheim");

    for dir in [dir_a, dir_b, dir_c] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

// ----- unconfirmed uploads ------------------------------------------------------

fn aged(path: &Path, age: std::time::Duration) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(std::time::SystemTime::now() - age)
        .unwrap();
}

#[test]
fn uploads_never_confirmed_are_removed_after_a_day() {
    use portal::transfer::upload::purge_stale;
    use std::time::{Duration, SystemTime};
    let data = std::env::temp_dir().join(format!(
        "ki-reise-bundle-story-{}-purge",
        std::process::id()
    ));
    let dir = data.join("nachnutzung");
    std::fs::create_dir_all(&dir).unwrap();
    let (old, fresh, old_export) = (
        dir.join("0123456789abcdef0123456789abcdef.zip"),
        dir.join("fedcba9876543210fedcba9876543210.zip"),
        dir.join("export-00112233445566778899aabbccddeeff.zip"),
    );
    for f in [&old, &fresh, &old_export] {
        std::fs::write(f, b"PK").unwrap();
    }
    aged(&old, Duration::from_secs(25 * 3600));
    aged(&old_export, Duration::from_secs(48 * 3600));
    aged(&fresh, Duration::from_secs(23 * 3600));

    assert_eq!(purge_stale(&data, SystemTime::now()).unwrap(), 2);
    assert!(!old.exists() && !old_export.exists());
    assert!(fresh.exists(), "a day has not passed yet");
    // Two hours later the other one is due as well; then nothing is left.
    let later = SystemTime::now() + Duration::from_secs(2 * 3600);
    assert_eq!(purge_stale(&data, later).unwrap(), 1);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);

    // A data folder without uploads is fine.
    std::fs::remove_dir_all(&data).unwrap();
    assert_eq!(purge_stale(&data, SystemTime::now()).unwrap(), 0);
}
