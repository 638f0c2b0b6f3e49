//! The Nachnutzung story on SQLite: an administrator previews and downloads
//! the whole journey as a bundle on the admin page; a second instance
//! checks it (dry run), sees the conflicting profile, chooses to overwrite
//! it and takes the bundle over; a tampered bundle is refused with a German
//! report of each problem and nothing is imported.

mod common;

use std::io::{Read, Write};
use std::path::PathBuf;

use common::{extract_between, fresh_database_url, login, spawn_with, Backend, Browser, PASSWORD};
use journey::access::Role;
use journey::profile::{Department, Profile};
use portal::PortalConfig;
use store::users::NewUser;
use store::Store;

const ADMIN: &str = "ada@musterstadt.de";

/// A fresh instance with one administrator, its municipality named `name`,
/// and its own data folder.
async fn instance(name: &str, tag: &str) -> (common::TestServer, PathBuf) {
    let url = fresh_database_url(Backend::Sqlite).await;
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
        "ki-reise-bundle-story-{}-{tag}",
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_goes_from_one_instance_to_another_through_the_admin_page() {
    let (a, dir_a) = instance("Stadt Musterstadt", "a").await;
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
    let (b, dir_b) = instance("Gemeinde Beispielheim", "b").await;
    let mut bea = login(&b.base, ADMIN).await;
    bea.get("/nachnutzung").await;
    let (status, body) = upload(&bea, zip.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Probelauf"), "{body}");
    assert!(body.contains("Wird angelegt"));
    assert!(
        body.contains("name=\"ueberschreiben\" value=\"profil&#x2f;kommune\"")
            || body.contains("name=\"ueberschreiben\" value=\"profil/kommune\""),
        "the profile is a conflict: {body}"
    );
    let token = extract_between(&body, "name=\"paket\" value=\"", "\"").expect("token");
    assert_eq!(municipality(&b.store).await, "Gemeinde Beispielheim");

    // Confirmed with the profile chosen: applied in one go.
    let p = bea
        .post(
            "/nachnutzung/uebernehmen",
            &[("paket", &token), ("ueberschreiben", "profil/kommune")],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("Übernommen aus"), "{}", p.body);
    assert_eq!(municipality(&b.store).await, "Stadt Musterstadt");
    let p = bea.get("/protokoll").await;
    assert!(p.body.contains("Aus Paket übernommen"));
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
    let (c, dir_c) = instance("Gemeinde Beispielheim", "c").await;
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
