//! The shipped library of municipal use cases: its classifications agree with
//! the decision tree, its canvases are complete enough to rank, and adopting
//! an entry yields a use case that exports and imports.

use journey::usecase::ai_act::{DecisionTree, RiskClass};
use journey::usecase::library::Library;
use journey::usecase::matrix::{matrix_svg, matrix_table_html};
use journey::usecase::model::{Origin, Status, UseCase};
use journey::usecase::scoring::{rank, Candidate, Criteria};

fn library() -> Library {
    Library::shipped().expect("the shipped library loads")
}

#[test]
fn the_library_holds_about_twenty_use_cases_with_the_ones_named_in_the_domain_notes() {
    let lib = library();
    assert!(
        (18..=25).contains(&lib.entries.len()),
        "{}",
        lib.entries.len()
    );
    for id in [
        "verwaltungs-chat",
        "ratsvorlagen-zusammenfassung",
        "bescheide-leichte-sprache",
        "posteingang-zuordnung",
        "vollstaendigkeitspruefung-antraege",
        "sitzungsprotokolle",
        "uebersetzung-buergerservice",
        "dokumentensuche-rag",
        "beteiligung-clustering",
        "strassenzustand",
        "baumvitalitaet",
        "buerger-chatbot",
        "code-assistenz",
    ] {
        assert!(lib.entry(id).is_some(), "{id} missing");
    }
}

#[test]
fn every_library_entry_reaches_its_expected_conclusion_through_the_tree() {
    let tree = DecisionTree::shipped().unwrap();
    let problems = library().check_against(&tree);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_library_entry_whose_answers_disagree_with_the_tree_is_reported() {
    let tree = DecisionTree::shipped().unwrap();
    let mut lib = library();
    let entry = &mut lib.entries[0];
    entry.classification.expected = "c-verboten".into();
    entry
        .classification
        .answers
        .insert("profiling".into(), "ja".into());
    let problems = lib.check_against(&tree);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("erwartet „c-verboten“"));
    assert!(problems[1].contains("abseits des Weges: profiling"));
}

#[test]
fn every_library_canvas_is_complete_and_the_library_ranks_into_a_matrix() {
    let lib = library();
    for e in &lib.entries {
        assert!(
            e.canvas.missing_fields().is_empty(),
            "{}: {:?}",
            e.id,
            e.canvas.missing_fields()
        );
    }
    let criteria = Criteria::shipped().unwrap();
    let candidates = lib.entries.iter().map(|e| Candidate {
        id: &e.id,
        title: &e.intake.title,
        canvas: &e.canvas,
        classification: None,
    });
    let ranking = rank(candidates, &criteria).unwrap();
    assert_eq!(ranking.ranked.len(), lib.entries.len());
    assert!(ranking.incomplete.is_empty());
    assert!(ranking
        .ranked
        .windows(2)
        .all(|w| w[0].score.total >= w[1].score.total));
    let svg = matrix_svg(&ranking, "bibliothek", "Bibliothek");
    assert_eq!(svg.matches("<circle").count(), lib.entries.len());
    let table = matrix_table_html(&ranking, "Bibliothek");
    assert_eq!(table.matches("<tr>").count(), lib.entries.len() + 1);
}

#[test]
fn an_adopted_entry_is_an_idea_classified_with_the_current_tree() {
    let tree = DecisionTree::shipped().unwrap();
    let lib = library();
    let entry = lib.entry("buerger-chatbot").unwrap();
    let uc = entry.adopt("uc-42", &tree).unwrap();
    assert_eq!(uc.status, Status::Idea);
    assert_eq!(
        uc.origin,
        Origin::Library {
            entry: "buerger-chatbot".into()
        }
    );
    let c = uc.classification.as_ref().unwrap();
    assert_eq!(c.risk, RiskClass::Transparency);
    assert!(!c.needs_review(&tree));
    assert_eq!(uc.canvas, entry.canvas);
}

#[test]
fn an_exported_use_case_imports_with_its_classification_answers_and_marked_as_imported() {
    let tree = DecisionTree::shipped().unwrap();
    let lib = library();
    let mut uc = lib
        .entry("bescheide-leichte-sprache")
        .unwrap()
        .adopt("uc-7", &tree)
        .unwrap();
    uc.change_status(Status::Assessed, "2026-11-26T10:00:00Z", "")
        .unwrap();
    let json = uc.export_json().unwrap();
    let imported = UseCase::import_json(&json, "Stadt Kiel").unwrap();
    assert_eq!(
        imported.origin,
        Origin::Imported {
            from: "Stadt Kiel".into()
        }
    );
    assert_eq!(imported.status, Status::Idea);
    assert!(imported.history.is_empty());
    assert_eq!(imported.classification, uc.classification);
    assert_eq!(imported.canvas, uc.canvas);
}

#[test]
fn the_high_risk_examples_of_the_library_are_the_only_high_risk_entries() {
    let tree = DecisionTree::shipped().unwrap();
    let high: Vec<String> = library()
        .entries
        .iter()
        .filter(|e| tree.classify(&e.classification.answers).unwrap().risk == RiskClass::HighRisk)
        .map(|e| {
            assert!(
                e.seen_at.is_empty(),
                "{} is high-risk but listed as seen in practice",
                e.id
            );
            e.id.clone()
        })
        .collect();
    assert_eq!(
        high,
        ["anspruchspruefung-sozialleistungen", "bewerbungssichtung"]
    );
}

#[test]
fn the_one_pager_lists_obligations_with_articles_and_flags_an_outdated_classification() {
    let mut tree = DecisionTree::shipped().unwrap();
    let lib = library();
    let uc = lib
        .entry("buerger-chatbot")
        .unwrap()
        .adopt("uc-1", &tree)
        .unwrap();
    let criteria = Criteria::shipped().unwrap();
    let score = criteria.score(&uc.canvas).unwrap();
    let md = journey::usecase::onepager::markdown(&uc, Some(&tree), Some(&score));
    assert!(
        md.starts_with("# Chatbot für Fragen von Bürgerinnen und Bürgern\n"),
        "{md}"
    );
    assert!(
        md.contains("**KI-System mit Transparenzpflichten – Betreiber** (Transparenzpflichten)"),
        "{md}"
    );
    assert!(
        md.contains(
            "- Hinweis auf die Interaktion mit KI (Art. 50 Abs. 1 KI-VO) – ab 2. August 2026"
        ),
        "{md}"
    );
    assert!(md.contains("**Punkte:** Nutzen"), "{md}");
    assert!(!md.contains("Bitte überprüfen"));
    tree.version = "2027-01-01.1".into();
    let md = journey::usecase::onepager::markdown(&uc, Some(&tree), None);
    assert!(md.contains("Bitte überprüfen"));
    let all = [uc];
    assert_eq!(
        journey::usecase::model::classifications_to_review(&all, &tree).len(),
        1
    );
}

#[test]
fn reclassifying_after_a_tree_change_confirms_changes_or_asks_for_the_new_question() {
    use journey::usecase::model::Reclassification;
    let tree = DecisionTree::shipped().unwrap();
    let lib = library();
    let mut uc = lib
        .entry("buerger-chatbot")
        .unwrap()
        .adopt("uc-1", &tree)
        .unwrap();

    // A new version with the same content: confirmed, no longer flagged.
    let mut v2 = tree.clone();
    v2.version = "v2".into();
    assert!(uc.classification.as_ref().unwrap().needs_review(&v2));
    assert_eq!(uc.reclassify(&v2).unwrap(), Reclassification::Confirmed);
    assert!(!uc.classification.as_ref().unwrap().needs_review(&v2));

    // The chat answer now leads to a new question: the record stays.
    let mut v3 = v2.clone();
    v3.version = "v3".into();
    let chat = v3
        .questions
        .iter_mut()
        .find(|q| q.id == "50-interaktion")
        .unwrap();
    chat.answers[0].next = "profiling".into();
    assert_eq!(
        uc.reclassify(&v3).unwrap(),
        Reclassification::NeedsAnswer {
            question: "profiling".into()
        }
    );
    assert_eq!(uc.classification.as_ref().unwrap().tree_version, "v2");

    // Within the same tree, a different conclusion replaces the record.
    let mut v4 = v2.clone();
    v4.version = "v4".into();
    let chat = v4
        .questions
        .iter_mut()
        .find(|q| q.id == "50-interaktion")
        .unwrap();
    chat.answers[0].labels.clear();
    assert_eq!(
        uc.reclassify(&v4).unwrap(),
        Reclassification::Changed {
            from: "c-transparenz-betreiber".into(),
            to: "c-minimal-betreiber".into()
        }
    );
}

proptest::proptest! {
    #[test]
    fn importing_arbitrary_or_mangled_text_never_panics(
        cut in 0usize..4000,
        junk in "\\PC{0,40}",
    ) {
        let tree = DecisionTree::shipped().unwrap();
        let uc = library().entries[0].adopt("uc-1", &tree).unwrap();
        let json = uc.export_json().unwrap();
        let mut mangled: String = json.chars().take(cut).collect();
        mangled.push_str(&junk);
        let _ = UseCase::import_json(&mangled, "Fremd");
        let _ = UseCase::import_json(&junk, "Fremd");
    }
}
