//! `ki-reise migrate --dry-run`, `backup` and `restore` as an administrator
//! runs them: a preview that changes nothing, a backup of a data folder,
//! a restore into an empty one, and a clear refusal of a used one.

use std::path::Path;
use std::process::{Command, Output};

fn ki_reise(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ki-reise"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env_remove("KI_REISE_DATABASE_URL")
        .env_remove("KI_REISE_CONFIG")
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

#[test]
fn migrate_dry_run_lists_pending_migrations_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("daten");
    for _ in 0..2 {
        let out = ki_reise(&data, &["migrate", "--dry-run"]);
        assert!(out.status.success(), "{}", text(&out));
        let t = text(&out);
        assert!(t.contains("Ausstehende Migrationen (SQLite)"), "{t}");
        assert!(t.contains("0001 foundation"), "{t}");
        assert!(t.contains("Nichts wurde geändert"), "{t}");
    }
    let out = ki_reise(&data, &["migrate"]);
    assert!(
        text(&out).contains("Ausgeführt: 0001 foundation"),
        "{}",
        text(&out)
    );
    let out = ki_reise(&data, &["migrate", "--dry-run"]);
    assert!(
        text(&out).contains("keine Migration ausstehend"),
        "{}",
        text(&out)
    );
}

#[test]
fn backup_then_restore_into_an_empty_folder_and_a_used_one_is_refused_in_german() {
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("quelle");
    assert!(ki_reise(&source, &["migrate"]).status.success());
    std::fs::create_dir_all(source.join("bench/lauf")).unwrap();
    std::fs::write(source.join("bench/lauf/report.json"), b"{}").unwrap();
    let archive = tmp.path().join("sicherung.zip");
    let out = ki_reise(&source, &["backup", "--out", archive.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("1 Dateien"), "{}", text(&out));

    let target = tmp.path().join("ziel");
    let out = ki_reise(&target, &["restore", archive.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Wiederhergestellt in SQLite"),
        "{}",
        text(&out)
    );
    assert_eq!(
        std::fs::read(target.join("bench/lauf/report.json")).unwrap(),
        b"{}"
    );

    let out = ki_reise(&target, &["restore", archive.to_str().unwrap()]);
    assert!(!out.status.success());
    let t = text(&out);
    assert!(t.contains("Fehler: Die Zielinstanz ist nicht leer"), "{t}");
    assert!(!t.contains("panicked"), "{t}");
}
