use std::collections::BTreeMap;

use super::*;
use crate::usecase::{TreeProblem, UseCaseError};

const SMALL: &str = r#"
version: "t1"
title: Test
start: q1
literacy_obligation: art-4
dates:
  - { id: d1, label: ab 2025, date: "2025-02-02" }
obligations:
  - { id: art-4, title: KI-Kompetenz, articles: ["Art. 4"], description: x, applies_from: d1 }
  - { id: art-50-1, title: Hinweis, articles: ["Art. 50 Abs. 1"], description: x, applies_from: d1 }
questions:
  - id: q1
    text: KI?
    answers:
      - { id: ja, label: Ja, next: q2 }
      - { id: nein, label: Nein, next: c-none }
  - id: q2
    text: Chat?
    answers:
      - { id: ja, label: Ja, next: r1, labels: [transparenz], obligations: [art-50-1] }
      - { id: nein, label: Nein, next: r1 }
routers:
  - id: r1
    routes:
      - { when: { any: [transparenz] }, next: c-t }
    otherwise: c-min
conclusions:
  - { id: c-none, label: Kein KI-System, risk: not_ai_system, obligations: [art-4] }
  - { id: c-t, label: Transparenz, role: deployer, risk: transparency, obligations: [art-4] }
  - { id: c-min, label: Minimal, role: deployer, risk: minimal, obligations: [art-4] }
"#;

fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(q, a)| ((*q).to_owned(), (*a).to_owned()))
        .collect()
}

fn problems_of(yaml: &str) -> Vec<TreeProblem> {
    match DecisionTree::from_yaml("baum.yaml", yaml) {
        Err(UseCaseError::InvalidTree { file, problems }) => {
            assert_eq!(file, "baum.yaml");
            problems
        }
        other => panic!("expected an invalid tree, got {other:?}"),
    }
}

#[test]
fn a_walk_without_answers_asks_the_start_question() {
    let tree = DecisionTree::from_yaml("t", SMALL).unwrap();
    let walk = tree.walk(&BTreeMap::new()).unwrap();
    assert!(matches!(walk.state, WalkState::Ask(q) if q.id == "q1"));
    assert!(walk.path.is_empty());
}

#[test]
fn a_router_picks_the_conclusion_from_the_labels_and_answer_obligations_are_added() {
    let tree = DecisionTree::from_yaml("t", SMALL).unwrap();
    let walk = tree.walk(&answers(&[("q1", "ja"), ("q2", "ja")])).unwrap();
    let outcome = walk.outcome().unwrap();
    assert_eq!(outcome.conclusion.id, "c-t");
    let ids: Vec<_> = outcome
        .obligations
        .iter()
        .map(|o| o.obligation.id.as_str())
        .collect();
    assert_eq!(ids, ["art-4", "art-50-1"]);
    assert_eq!(outcome.obligations[0].applies_from.date, "2025-02-02");
    let walk = tree
        .walk(&answers(&[("q1", "ja"), ("q2", "nein")]))
        .unwrap();
    assert_eq!(walk.outcome().unwrap().conclusion.id, "c-min");
}

#[test]
fn answers_off_the_path_are_reported_and_left_out_of_the_classification() {
    let tree = DecisionTree::from_yaml("t", SMALL).unwrap();
    let given = answers(&[("q1", "nein"), ("q2", "ja")]);
    let walk = tree.walk(&given).unwrap();
    assert_eq!(walk.unused_answers, ["q2"]);
    let c = tree.classify(&given).unwrap();
    assert_eq!(c.answers, answers(&[("q1", "nein")]));
    assert_eq!(c.risk, RiskClass::NotAiSystem);
}

#[test]
fn an_unknown_answer_is_an_error_naming_question_and_answer() {
    let tree = DecisionTree::from_yaml("t", SMALL).unwrap();
    let err = tree.walk(&answers(&[("q1", "vielleicht")])).unwrap_err();
    assert_eq!(
        err,
        UseCaseError::UnknownAnswer {
            question: "q1".into(),
            answer: "vielleicht".into()
        }
    );
}

#[test]
fn classifying_an_unfinished_walk_names_the_open_question() {
    let tree = DecisionTree::from_yaml("t", SMALL).unwrap();
    let err = tree.classify(&answers(&[("q1", "ja")])).unwrap_err();
    assert_eq!(
        err,
        UseCaseError::ClassificationIncomplete {
            next_question: "q2".into()
        }
    );
}

#[test]
fn a_new_tree_version_flags_earlier_classifications_for_review() {
    let mut tree = DecisionTree::from_yaml("t", SMALL).unwrap();
    let c = tree.classify(&answers(&[("q1", "nein")])).unwrap();
    assert!(!c.needs_review(&tree));
    tree.version = "t2".into();
    assert!(c.needs_review(&tree));
}

#[test]
fn a_dangling_next_id_is_rejected_naming_the_question() {
    let yaml = SMALL.replace("next: c-none", "next: c-gibt-es-nicht");
    let problems = problems_of(&yaml);
    assert!(
        problems
            .iter()
            .any(|p| p.node == "q1" && p.message.contains("c-gibt-es-nicht")),
        "{problems:?}"
    );
}

#[test]
fn an_unreachable_node_is_rejected() {
    let yaml = SMALL.replace("next: c-none }", "next: q2 }");
    let problems = problems_of(&yaml);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].node, "c-none");
    assert!(problems[0].message.contains("nicht erreichbar"));
}

#[test]
fn a_cycle_is_rejected() {
    let yaml = SMALL.replace(
        "{ id: nein, label: Nein, next: r1 }",
        "{ id: nein, label: Nein, next: q1 }",
    );
    let problems = problems_of(&yaml);
    assert!(
        problems
            .iter()
            .any(|p| p.node == "q1" && p.message.contains("Zyklus")),
        "{problems:?}"
    );
}

#[test]
fn a_conclusion_without_obligations_is_rejected() {
    let yaml = SMALL.replace(
        "risk: not_ai_system, obligations: [art-4]",
        "risk: not_ai_system, obligations: []",
    );
    let problems = problems_of(&yaml);
    assert_eq!(problems[0].node, "c-none");
    assert!(problems[0].message.contains("keine Pflichten"));
}

#[test]
fn an_ai_conclusion_without_the_literacy_duty_is_rejected() {
    let yaml = SMALL.replace(
        "risk: minimal, obligations: [art-4]",
        "risk: minimal, obligations: [art-50-1]",
    );
    let problems = problems_of(&yaml);
    assert_eq!(problems[0].node, "c-min");
    assert!(problems[0].message.contains("Art. 4"));
}

#[test]
fn unknown_obligations_labels_and_dates_are_rejected() {
    let yaml = SMALL
        .replace("obligations: [art-50-1] }", "obligations: [art-99] }")
        .replace("any: [transparenz]", "any: [tippfehler]")
        .replace(
            "applies_from: d1 }\n  - { id: art-50-1",
            "applies_from: d9 }\n  - { id: art-50-1",
        );
    let problems = problems_of(&yaml);
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let text = text.join("\n");
    assert!(text.contains("„art-99“"), "{text}");
    assert!(text.contains("„tippfehler“"), "{text}");
    assert!(text.contains("„d9“"), "{text}");
}

#[test]
fn a_route_without_labels_and_an_unknown_fria_obligation_are_rejected() {
    let yaml = SMALL
        .replace(
            "{ when: { any: [transparenz] }, next: c-t }",
            "{ when: {}, next: c-t }",
        )
        .replace(
            "literacy_obligation: art-4",
            "literacy_obligation: art-4\nfria_obligation: art-27",
        );
    let problems = problems_of(&yaml);
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 2, "{text:?}");
    assert!(text[0].contains("fria_obligation"));
    assert!(text[1].contains("Weg 1 hat eine Bedingung ohne Merkmale"));
}

#[test]
fn the_wizard_knows_how_many_questions_remain_at_most() {
    let tree = DecisionTree::from_yaml("t", SMALL).unwrap();
    assert_eq!(tree.questions_remaining_at_most("q1"), Some(2));
    assert_eq!(tree.questions_remaining_at_most("q2"), Some(1));
    assert_eq!(tree.questions_remaining_at_most("c-t"), Some(0));
    assert_eq!(tree.questions_remaining_at_most("nix"), None);
}

#[test]
fn a_duplicate_id_is_rejected() {
    let yaml = SMALL
        .replace("id: c-t,", "id: c-min,")
        .replace("next: c-t", "next: c-min");
    let problems = problems_of(&yaml);
    assert!(problems
        .iter()
        .any(|p| p.node == "c-min" && p.message.contains("mehrfach")));
}

#[test]
fn broken_yaml_names_the_file() {
    let err = DecisionTree::from_yaml("kaputt.yaml", "version: [").unwrap_err();
    assert!(err.to_string().starts_with("kaputt.yaml:"), "{err}");
}

#[test]
fn given_answers_are_listed_in_the_order_asked_not_by_question_id() {
    // "zz" is asked first but sorts last by id.
    let tree = DecisionTree::from_yaml("t", &SMALL.replace("q1", "zz")).unwrap();
    let mut c = tree
        .classify(&answers(&[("zz", "ja"), ("q2", "ja")]))
        .unwrap();
    assert_eq!(
        c.answers_in_order(&tree),
        [
            ("KI?".to_owned(), "Ja".to_owned()),
            ("Chat?".to_owned(), "Ja".to_owned())
        ]
    );
    // An answer the tree no longer reaches still shows, after the path.
    c.answers.insert("entfallen".into(), "ja".into());
    let listed = c.answers_in_order(&tree);
    assert_eq!(listed[2], ("entfallen".to_owned(), "ja".to_owned()));
}
