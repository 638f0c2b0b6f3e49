//! `ki-reise model add|list|rm` as a user runs it: a local file, a download
//! from a local HTTP server that is interrupted and resumed with a range
//! request, a wrong checksum, a file that is no model.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::Ordering;

use sha2::{Digest, Sha256};

#[path = "../../portal/tests/common/range_server.rs"]
mod range_server;
use range_server::serve;

fn ki_reise(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ki-reise"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env_remove("KI_REISE_DATABASE_URL")
        .output()
        .expect("run ki-reise")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kireise_model_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn models_are_added_from_a_file_or_a_resumed_download_checked_listed_and_removed() {
    let data = temp("data");
    let source = data.join("quelle.gguf");
    engine::synthetic::write_model(
        &source,
        engine::synthetic::Shape::TINY,
        engine::gguf::GgmlType::Q8_0,
    )
    .unwrap();
    let bytes = std::fs::read(&source).unwrap();
    let digest = hex::encode(Sha256::digest(&bytes));

    // From a file, with the right checksum.
    let o = ki_reise(
        &data,
        &[
            "model",
            "add",
            source.to_str().unwrap(),
            "--name",
            "lokal",
            "--sha256",
            &digest,
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("llama"), "{}", text(&o));
    // The same name again is refused.
    let o = ki_reise(
        &data,
        &["model", "add", source.to_str().unwrap(), "--name", "lokal"],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("gibt es schon"));

    // A download that breaks off half-way, then resumes where it stopped.
    let (url, served, ranged) = serve(bytes.clone(), 1);
    let o = ki_reise(&data, &["model", "add", &url]);
    assert!(
        !o.status.success(),
        "the first attempt breaks off: {}",
        text(&o)
    );
    assert!(data.join("models/klein.gguf.part").exists());
    let o = ki_reise(&data, &["model", "add", &url, "--sha256", &digest]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        ranged.load(Ordering::SeqCst),
        1,
        "resumed with a range request"
    );
    assert_eq!(served.load(Ordering::SeqCst), 2);
    assert_eq!(
        std::fs::read(data.join("models/klein.gguf")).unwrap(),
        bytes
    );

    // A wrong checksum and a file that is no model are discarded.
    let o = ki_reise(
        &data,
        &[
            "model",
            "add",
            source.to_str().unwrap(),
            "--name",
            "falsch",
            "--sha256",
            &"0".repeat(64),
        ],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("Prüfsumme stimmt nicht"));
    let junk = data.join("kein-modell.gguf");
    std::fs::write(&junk, b"GGUF, aber nicht wirklich").unwrap();
    let o = ki_reise(&data, &["model", "add", junk.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("kein lesbares GGUF-Modell"),
        "{}",
        text(&o)
    );
    assert!(!data.join("models/kein-modell.gguf").exists());
    assert!(!data.join("models/falsch.gguf").exists());

    let o = ki_reise(&data, &["model", "list"]);
    let listing = text(&o);
    assert!(
        listing.contains("klein") && listing.contains("lokal"),
        "{listing}"
    );
    let o = ki_reise(&data, &["model", "rm", "lokal"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = ki_reise(&data, &["model", "rm", "../quelle"]);
    assert!(!o.status.success());
    assert!(!text(&ki_reise(&data, &["model", "list"])).contains("lokal"));
    let _ = std::fs::remove_dir_all(&data);
}
