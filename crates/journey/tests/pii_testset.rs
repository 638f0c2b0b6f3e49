//! Precision and recall of the personal-data detector on the German test
//! set (`tests/data/pii/testset.jsonl`, made by `scripts/gen-pii-testset.py`).
//! A found span counts when it overlaps an annotated span of the same
//! category. Run with `--nocapture` to see the table:
//!
//! ```text
//! cargo test -p journey --test pii_testset -- --nocapture
//! ```

use std::collections::BTreeMap;

use journey::pii::{self, Category};
use serde::Deserialize;

#[derive(Deserialize)]
struct Row {
    kind: String,
    text: String,
    spans: Vec<Span>,
}

#[derive(Deserialize)]
struct Span {
    start: usize,
    end: usize,
    category: String,
}

#[derive(Default)]
struct Count {
    gold: usize,
    recalled: usize,
    found: usize,
    correct: usize,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

fn rows() -> Vec<Row> {
    include_str!("data/pii/testset.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("test set row"))
        .collect()
}

fn evaluate() -> BTreeMap<Category, Count> {
    let mut counts: BTreeMap<Category, Count> = BTreeMap::new();
    for row in rows() {
        let gold: Vec<(Category, std::ops::Range<usize>)> = row
            .spans
            .iter()
            .map(|s| {
                let c = Category::parse(&s.category)
                    .unwrap_or_else(|| panic!("unknown category {}", s.category));
                assert!(row.text.is_char_boundary(s.start) && row.text.is_char_boundary(s.end));
                (c, s.start..s.end)
            })
            .collect();
        let found = pii::scan(&row.text);
        let overlaps = |a: &std::ops::Range<usize>, b: &std::ops::Range<usize>| {
            a.start < b.end && b.start < a.end
        };
        for (c, span) in &gold {
            let count = counts.entry(*c).or_default();
            count.gold += 1;
            if found
                .iter()
                .any(|f| f.category == *c && overlaps(&f.span, span))
            {
                count.recalled += 1;
            }
        }
        for f in &found {
            let count = counts.entry(f.category).or_default();
            count.found += 1;
            if gold
                .iter()
                .any(|(c, span)| *c == f.category && overlaps(&f.span, span))
            {
                count.correct += 1;
            } else {
                eprintln!(
                    "falsch positiv ({}, {}): {:?} in {:?}",
                    row.kind,
                    f.category.slug(),
                    &row.text[f.span.clone()],
                    row.text
                );
            }
        }
        for (c, span) in &gold {
            if !found
                .iter()
                .any(|f| f.category == *c && overlaps(&f.span, span))
            {
                eprintln!(
                    "übersehen ({}): {:?} in {:?}",
                    c.slug(),
                    &row.text[span.clone()],
                    row.text
                );
            }
        }
    }
    counts
}

#[test]
fn the_test_set_is_large_and_has_negatives() {
    let rows = rows();
    assert!(rows.len() >= 300, "{} sentences", rows.len());
    assert!(rows.iter().filter(|r| r.spans.is_empty()).count() >= 50);
}

#[test]
fn precision_and_recall_meet_the_goals() {
    let counts = evaluate();
    println!(
        "{:<26} {:>5} {:>6} {:>9} {:>7}",
        "Kategorie", "Gold", "Funde", "Precision", "Recall"
    );
    let (mut found, mut correct) = (0, 0);
    for (c, n) in &counts {
        found += n.found;
        correct += n.correct;
        println!(
            "{:<26} {:>5} {:>6} {:>9.3} {:>7.3}",
            c.slug(),
            n.gold,
            n.found,
            ratio(n.correct, n.found),
            ratio(n.recalled, n.gold)
        );
    }
    let precision = ratio(correct, found);
    println!("gesamt: precision {precision:.3} über {found} Funde");

    let mut failures = Vec::new();
    for (c, n) in &counts {
        let recall = ratio(n.recalled, n.gold);
        let goal = if c.is_checksummed() {
            0.95
        } else if matches!(c, Category::Name | Category::Address) {
            0.85
        } else {
            continue;
        };
        if recall < goal {
            failures.push(format!("{}: recall {recall:.3} < {goal}", c.slug()));
        }
    }
    if precision < 0.9 {
        failures.push(format!("precision {precision:.3} < 0.9"));
    }
    assert!(failures.is_empty(), "{failures:?}");
    for c in Category::ALL.into_iter().filter(|c| c.is_checksummed()) {
        assert!(
            counts.get(&c).is_some_and(|n| n.gold >= 20),
            "{c:?} too rare"
        );
    }
}

/// The generator draws 40 % of first names from a held-out list; the
/// detector's own list must not know them, or name recall would measure
/// the list instead of the context rules.
#[test]
fn held_out_first_names_are_unknown_to_the_detector() {
    let generator = include_str!("../../../scripts/gen-pii-testset.py");
    let detector = include_str!("../src/pii/names.rs");
    let list = generator
        .split("HELD_OUT = [")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("HELD_OUT in the generator");
    let names: Vec<&str> = list
        .split(',')
        .map(|n| n.trim().trim_matches('"'))
        .filter(|n| !n.is_empty())
        .collect();
    assert!(names.len() >= 20);
    for name in names {
        assert!(!detector.contains(&format!("\"{name}\"")), "{name}");
    }
}
