//! The detector's exact findings (category and byte span) on every test
//! set text and four variants of it, compared with a snapshot taken from
//! the implementation before it was made faster (issue 24.2): speed work
//! must not change a single span. The variants put umlauts next to word
//! edges and change case, where a rewrite of the word-boundary handling
//! would show first.
//!
//! After a deliberate change of behaviour, write a new snapshot with
//! `PII_SPANS_WRITE=1 cargo test -p journey --test pii_spans` and review
//! the diff.

use journey::pii;

const SNAPSHOT: &str = "tests/data/pii/testset.spans.txt";

fn variants(text: &str) -> [String; 5] {
    [
        text.to_owned(),
        text.to_lowercase(),
        text.to_uppercase(),
        text.replace(' ', " ü"),
        text.replace(' ', "ß "),
    ]
}

/// One line per scanned text: the row, the variant, then
/// `category start end` for each finding.
fn current() -> String {
    let mut out = String::new();
    let rows = include_str!("data/pii/testset.jsonl").lines();
    for (i, line) in rows.enumerate() {
        let row: serde_json::Value = serde_json::from_str(line).expect("test set row");
        let text = row["text"].as_str().expect("text");
        for (v, variant) in variants(text).iter().enumerate() {
            out.push_str(&format!("{i}.{v}"));
            for f in pii::scan(variant) {
                out.push_str(&format!(
                    " {} {} {}",
                    f.category.slug(),
                    f.span.start,
                    f.span.end
                ));
            }
            out.push('\n');
        }
    }
    out
}

#[test]
fn spans_are_identical_to_the_snapshot() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SNAPSHOT);
    let now = current();
    if std::env::var_os("PII_SPANS_WRITE").is_some() {
        std::fs::write(&path, &now).expect("write snapshot");
        return;
    }
    let before = std::fs::read_to_string(&path).expect("snapshot");
    let differing: Vec<(&str, &str)> = before
        .lines()
        .zip(now.lines())
        .filter(|(a, b)| a != b)
        .take(10)
        .collect();
    assert!(
        differing.is_empty(),
        "first differences (before, now): {differing:#?}"
    );
    assert_eq!(before.lines().count(), now.lines().count());
    assert!(now.lines().filter(|l| l.contains(' ')).count() > 900);
}
