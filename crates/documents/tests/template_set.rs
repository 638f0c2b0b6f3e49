//! Template sets: what one municipality exports, another imports unchanged;
//! a bad set is refused as a whole with every problem named.

use std::io::{Cursor, Read, Write};

use documents::template_set::{export, import_dir, import_zip, ImportReport, MAX_ENTRIES, SCHEMA};
use documents::{builtin_templates, Template};
use sha2::{Digest, Sha256};

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in files {
        zip.start_file(*name, options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().to_owned(), data)
        })
        .collect()
}

fn sha(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn manifest(entries: &[(&str, &str, &str, &str)]) -> Vec<u8> {
    let templates: Vec<serde_json::Value> = entries
        .iter()
        .map(|(file, id, version, sha256)| {
            serde_json::json!({"file": file, "id": id, "version": version, "sha256": sha256})
        })
        .collect();
    serde_json::to_vec(
        &serde_json::json!({"format": 1, "created": "2026-11-26T12:00:00Z",
        "templates": templates}),
    )
    .unwrap()
}

const GOOD: &str = "---\nid: gut\ntitle: Gut\nkind: information\nversion: \"2\"\nquestions:\n  - name: kommune\n    label: Kommune\n    kind: text\n---\n# Für {{ kommune }}\n";
const BROKEN: &str = "---\nid: kaputt\ntitle: Kaputt\nkind: information\nversion: \"1\"\n---\n# Titel\n\nText {% if %}\n";

fn problems(result: Result<Vec<Template>, ImportReport>) -> Vec<String> {
    match result {
        Ok(t) => panic!("accepted {} templates", t.len()),
        Err(report) => report.problems.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn an_exported_set_imports_unchanged() {
    let templates = builtin_templates();
    let bytes = export(&templates);
    let imported = import_zip(&bytes).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(imported.len(), templates.len());
    for (a, b) in imported.iter().zip(&templates) {
        assert_eq!(
            (&a.id, &a.version, &a.questions, &a.body),
            (&b.id, &b.version, &b.questions, &b.body)
        );
    }
    let names: Vec<String> = unzip(&bytes).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names[0], "manifest.json");
    assert!(names.contains(&"schemas/template-set.schema.json".to_owned()));
    assert!(names.contains(&"schemas/document-template.schema.json".to_owned()));
    assert!(names.contains(&"ki-richtlinie.md".to_owned()));
}

#[test]
fn the_manifest_matches_its_schema() {
    let bytes = export(&builtin_templates());
    let manifest: serde_json::Value = serde_json::from_slice(&unzip(&bytes)[0].1).unwrap();
    let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&manifest)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(!validator.is_valid(&serde_json::json!({"format": 2, "created": "x", "templates": []})));
}

#[test]
fn a_set_imports_from_a_folder_too() {
    let dir = tempfile::tempdir().unwrap();
    for (name, data) in unzip(&export(&builtin_templates())) {
        let path = dir.path().join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    }
    let imported = import_dir(dir.path()).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(imported.len(), builtin_templates().len());
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("fremd.md")).unwrap();
        let found = problems(import_dir(dir.path()));
        assert!(
            found.iter().any(|p| p.starts_with("fremd.md: Symbolische")),
            "{found:?}"
        );
    }
}

#[test]
fn every_problem_of_a_bad_set_is_reported_and_nothing_is_imported() {
    let tampered = GOOD.replace("Für", "Gegen");
    let bytes = zip_of(&[
        (
            "manifest.json",
            &manifest(&[
                ("gut.md", "gut", "2", &sha(GOOD.as_bytes())),
                ("kaputt.md", "kaputt", "1", &sha(BROKEN.as_bytes())),
                ("fehlt.md", "fehlt", "1", &sha(b"")),
                ("anders.md", "anders", "1", &sha(tampered.as_bytes())),
                ("gut.md", "gut", "2", &sha(GOOD.as_bytes())),
            ]),
        ),
        ("gut.md", GOOD.as_bytes()),
        ("kaputt.md", BROKEN.as_bytes()),
        ("anders.md", GOOD.as_bytes()),
        ("extra.md", GOOD.as_bytes()),
    ]);
    let found = problems(import_zip(&bytes));
    let has = |prefix: &str, text: &str| {
        found
            .iter()
            .any(|p| p.starts_with(prefix) && p.contains(text))
    };
    assert!(
        has("kaputt.md, Zeile 9, Spalte", "Syntaxfehler"),
        "{found:?}"
    );
    assert!(has("fehlt.md", "fehlt aber"), "{found:?}");
    assert!(has("anders.md", "Prüfsumme"), "{found:?}");
    assert!(has("anders.md", "Kennung"), "{found:?}");
    assert!(has("extra.md", "nicht im Inhaltsverzeichnis"), "{found:?}");
    assert!(has("manifest.json", "mehrfach"), "{found:?}");
}

#[test]
fn a_broken_or_missing_manifest_is_named() {
    let found = problems(import_zip(&zip_of(&[("gut.md", GOOD.as_bytes())])));
    assert!(found[0].starts_with("manifest.json: "), "{found:?}");
    let found = problems(import_zip(&zip_of(&[(
        "manifest.json",
        b"{\n  \"format\": 1,\n  oops\n}",
    )])));
    assert!(
        found[0].starts_with("manifest.json, Zeile 3, Spalte"),
        "{found:?}"
    );
    let wrong_format =
        String::from_utf8(manifest(&[("gut.md", "gut", "2", &sha(GOOD.as_bytes()))]))
            .unwrap()
            .replace("\"format\":1", "\"format\":7");
    let found = problems(import_zip(&zip_of(&[
        ("manifest.json", wrong_format.as_bytes()),
        ("gut.md", GOOD.as_bytes()),
    ])));
    assert!(found[0].contains("Format 7"), "{found:?}");
    let found = problems(import_zip(b"PK\x03\x04 kein zip"));
    assert!(found[0].starts_with("(Archiv): "), "{found:?}");
}

#[test]
fn paths_leaving_the_set_are_refused() {
    let good_manifest = manifest(&[("gut.md", "gut", "2", &sha(GOOD.as_bytes()))]);
    for evil in [
        "../boese.md",
        "/etc/boese.md",
        "a/../../boese.md",
        "c:\\boese.md",
    ] {
        let bytes = zip_of(&[
            ("manifest.json", &good_manifest),
            ("gut.md", GOOD.as_bytes()),
            (evil, b"x"),
        ]);
        let found = problems(import_zip(&bytes));
        assert!(
            found
                .iter()
                .any(|p| p.contains("zeigt aus dem Vorlagensatz")),
            "{evil}: {found:?}"
        );
    }
}

#[test]
fn zip_bombs_and_floods_are_refused() {
    let good_manifest = manifest(&[("gut.md", "gut", "2", &sha(GOOD.as_bytes()))]);
    // 8 MiB of zeros compress to a few KiB.
    let zeros = vec![0u8; 8 * 1024 * 1024];
    let bytes = zip_of(&[
        ("manifest.json", &good_manifest),
        ("gut.md", GOOD.as_bytes()),
        ("bombe.md", &zeros),
    ]);
    assert!(bytes.len() < 100_000);
    let found = problems(import_zip(&bytes));
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("bombe.md: Die Datei ist größer")),
        "{found:?}"
    );

    let names: Vec<String> = (0..=MAX_ENTRIES).map(|i| format!("f{i}.txt")).collect();
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    let found = problems(import_zip(&zip_of(&files)));
    assert!(found[0].contains("Einträge"), "{found:?}");
}
