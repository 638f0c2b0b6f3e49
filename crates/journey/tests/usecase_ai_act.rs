//! The shipped EU AI Act decision tree: a table of use cases with known
//! classification, an exhaustive walk over every path, and properties over
//! random answers.

use std::collections::{BTreeMap, BTreeSet};

use journey::usecase::ai_act::{DecisionTree, RiskClass, Role, WalkState};
use proptest::prelude::*;

fn tree() -> DecisionTree {
    DecisionTree::shipped().expect("the shipped tree loads")
}

/// Answers for a municipality that deploys an ordinary AI system; each case
/// overrides what sets it apart. Answers off the path are ignored.
fn answers(overrides: &[(&str, &str)]) -> BTreeMap<String, String> {
    let base = [
        ("ki-system", "ja"),
        ("rolle", "betreiber"),
        ("eigener-einsatz", "ja"),
        ("gpai", "nein"),
        ("verboten-vorpruefung", "nein"),
        ("art-5-1-a", "nein"),
        ("art-5-1-b", "nein"),
        ("art-5-1-c", "nein"),
        ("art-5-1-d", "nein"),
        ("art-5-1-e", "nein"),
        ("art-5-1-f", "nein"),
        ("art-5-1-g", "nein"),
        ("art-5-1-h", "nein"),
        ("anhang-i", "nein"),
        ("anhang-iii", "keiner"),
        ("profiling", "nein"),
        ("ausnahme", "keine"),
        ("50-interaktion", "nein"),
        ("50-inhalte", "nein"),
        ("50-deepfake", "nein"),
        ("50-text", "nein"),
        ("50-redaktion", "ja"),
        ("50-emotion", "nein"),
    ];
    let mut map: BTreeMap<String, String> = base
        .iter()
        .map(|(q, a)| ((*q).to_owned(), (*a).to_owned()))
        .collect();
    for (q, a) in overrides {
        map.insert((*q).to_owned(), (*a).to_owned());
    }
    map
}

struct Case {
    name: &'static str,
    overrides: &'static [(&'static str, &'static str)],
    conclusion: &'static str,
    risk: RiskClass,
    labels: &'static [&'static str],
    obligations: &'static [&'static str],
    /// Obligations the outcome must not list.
    absent: &'static [&'static str],
    /// Ids of the notes the outcome must carry.
    notes: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        name: "Chatbot für Bürgerfragen",
        overrides: &[("50-interaktion", "ja")],
        conclusion: "c-transparenz-betreiber",
        risk: RiskClass::Transparency,
        labels: &["art-50-1"],
        obligations: &["art-4", "art-50-1-interaktion"],
        absent: &[],
        notes: &[],
    },
    Case {
        name: "Anspruchsprüfung Sozialleistungen",
        overrides: &[("anhang-iii", "leistungen"), ("profiling", "ja")],
        conclusion: "c-hochrisiko-betreiber",
        risk: RiskClass::HighRisk,
        labels: &["anhang-iii-5a", "profiling"],
        obligations: &["art-4", "art-26", "art-27", "art-49-3", "art-86"],
        absent: &["art-6-4-dokumentation"],
        notes: &["profiling-keine-ausnahme"],
    },
    Case {
        name: "Emotionserkennung bei Beschäftigten",
        overrides: &[("verboten-vorpruefung", "ja"), ("art-5-1-f", "ja")],
        conclusion: "c-verboten",
        risk: RiskClass::Prohibited,
        labels: &["verboten", "art-5-1-f"],
        obligations: &["art-5-einstellen", "art-4"],
        absent: &[],
        notes: &[],
    },
    Case {
        name: "Rangfolge von Bewerbungen",
        overrides: &[("anhang-iii", "personalauswahl"), ("profiling", "ja")],
        conclusion: "c-hochrisiko-betreiber",
        risk: RiskClass::HighRisk,
        labels: &["anhang-iii-4a"],
        obligations: &["art-26", "art-27"],
        absent: &[],
        notes: &["profiling-keine-ausnahme"],
    },
    Case {
        name: "Spamfilter",
        overrides: &[],
        conclusion: "c-minimal-betreiber",
        risk: RiskClass::Minimal,
        labels: &[],
        obligations: &["art-4", "art-95-freiwillig"],
        absent: &["art-26", "art-27"],
        notes: &[],
    },
    Case {
        name: "Übersetzungsentwürfe in der Ausländerbehörde, von Menschen geprüft",
        overrides: &[("anhang-iii", "migration"), ("ausnahme", "vorbereitend")],
        conclusion: "c-minimal-betreiber",
        risk: RiskClass::Minimal,
        labels: &["anhang-iii-7", "ausnahme-6-3", "ausnahme-6-3-d"],
        obligations: &["art-4", "art-6-4-dokumentation"],
        absent: &[],
        notes: &[],
    },
    Case {
        name: "Regelbasiertes Tabellenmakro",
        overrides: &[("ki-system", "nein")],
        conclusion: "c-kein-ki-system",
        risk: RiskClass::NotAiSystem,
        labels: &[],
        obligations: &["einstufung-dokumentieren"],
        absent: &[],
        notes: &[],
    },
    Case {
        name: "Bonuspunkte für vorbildliches Verhalten (Social Scoring)",
        overrides: &[("verboten-vorpruefung", "ja"), ("art-5-1-c", "ja")],
        conclusion: "c-verboten",
        risk: RiskClass::Prohibited,
        labels: &["art-5-1-c"],
        obligations: &["art-5-einstellen"],
        absent: &[],
        notes: &[],
    },
    Case {
        name: "Einstufung von Notrufen in der Leitstelle",
        overrides: &[("anhang-iii", "notruf")],
        conclusion: "c-hochrisiko-betreiber",
        risk: RiskClass::HighRisk,
        labels: &["anhang-iii-5d"],
        obligations: &["art-26", "art-27", "art-49-3"],
        absent: &[],
        notes: &[],
    },
    Case {
        name: "Selbst entwickelter Chatbot, der Texte erzeugt",
        overrides: &[
            ("rolle", "anbieter"),
            ("50-interaktion", "ja"),
            ("50-inhalte", "ja"),
        ],
        conclusion: "c-transparenz-anbieter",
        risk: RiskClass::Transparency,
        labels: &["anbieter", "art-50-1", "art-50-2"],
        obligations: &["art-4", "art-50-1-interaktion", "art-50-2-kennzeichnung"],
        absent: &[],
        notes: &[],
    },
    Case {
        name: "Pressemitteilungen ohne redaktionelle Prüfung",
        overrides: &[("50-text", "ja"), ("50-redaktion", "nein")],
        conclusion: "c-transparenz-betreiber",
        risk: RiskClass::Transparency,
        labels: &["art-50-4-text"],
        obligations: &["art-50-4-text"],
        absent: &[],
        notes: &[],
    },
    Case {
        name: "Pressemitteilungen mit redaktioneller Prüfung",
        overrides: &[("50-text", "ja"), ("50-redaktion", "ja")],
        conclusion: "c-minimal-betreiber",
        risk: RiskClass::Minimal,
        labels: &["redaktionell-geprueft"],
        obligations: &["art-4"],
        absent: &[],
        notes: &[],
    },
    Case {
        name: "Videobotschaft eines KI-Avatars der Bürgermeisterin",
        overrides: &[("50-deepfake", "ja")],
        conclusion: "c-transparenz-betreiber",
        risk: RiskClass::Transparency,
        labels: &["art-50-4-deepfake"],
        obligations: &["art-50-4-deepfake"],
        absent: &[],
        notes: &[],
    },
    Case {
        name: "Leistungsprüfung mit Profiling trotz vorbereitender Aufgabe",
        overrides: &[
            ("anhang-iii", "leistungen"),
            ("profiling", "ja"),
            ("ausnahme", "vorbereitend"),
        ],
        conclusion: "c-hochrisiko-betreiber",
        risk: RiskClass::HighRisk,
        labels: &["profiling"],
        obligations: &["art-27"],
        absent: &["art-6-4-dokumentation"],
        notes: &["profiling-keine-ausnahme"],
    },
    Case {
        name: "Prüfungsaufsicht in der Volkshochschule",
        overrides: &[("anhang-iii", "bildung"), ("profiling", "ja")],
        conclusion: "c-hochrisiko-betreiber",
        risk: RiskClass::HighRisk,
        labels: &["anhang-iii-3"],
        obligations: &["art-26"],
        absent: &[],
        notes: &["profiling-keine-ausnahme"],
    },
    Case {
        name: "Selbst entwickelte Anspruchsprüfung",
        overrides: &[
            ("rolle", "anbieter"),
            ("anhang-iii", "leistungen"),
            ("profiling", "ja"),
        ],
        conclusion: "c-hochrisiko-anbieter",
        risk: RiskClass::HighRisk,
        labels: &["anbieter"],
        obligations: &["anbieter-hochrisiko", "art-26", "art-27", "art-49-3"],
        absent: &[],
        notes: &["anbieter-und-betreiber", "profiling-keine-ausnahme"],
    },
    Case {
        name: "Veröffentlichtes, nachtrainiertes Sprachmodell",
        overrides: &[("rolle", "anbieter"), ("gpai", "ja"), ("50-inhalte", "ja")],
        conclusion: "c-transparenz-anbieter",
        risk: RiskClass::Transparency,
        labels: &["gpai-anbieter"],
        obligations: &["art-4", "art-50-2-kennzeichnung", "art-53-gpai"],
        absent: &[],
        notes: &[],
    },
    Case {
        name: "Gesichtserkennung in Echtzeit in der Innenstadt für die Polizei",
        overrides: &[("verboten-vorpruefung", "ja"), ("art-5-1-h", "ja")],
        conclusion: "c-verboten",
        risk: RiskClass::Prohibited,
        labels: &["art-5-1-h"],
        obligations: &["art-5-einstellen"],
        absent: &[],
        notes: &[],
    },
    Case {
        name: "Emotionserkennung am Bürgerschalter",
        overrides: &[
            ("verboten-vorpruefung", "ja"),
            ("anhang-iii", "biometrie"),
            ("50-emotion", "ja"),
        ],
        conclusion: "c-hochrisiko-transparenz-betreiber",
        risk: RiskClass::HighRisk,
        labels: &["anhang-iii-1", "art-50-3"],
        obligations: &["art-26", "art-50-3-emotion"],
        absent: &[],
        notes: &[],
    },
    Case {
        name: "KI als Sicherheitsbauteil der Ampelsteuerung",
        overrides: &[("anhang-iii", "infrastruktur")],
        conclusion: "c-hochrisiko-betreiber",
        risk: RiskClass::HighRisk,
        labels: &["anhang-iii-2"],
        obligations: &["art-26"],
        absent: &["art-27", "art-49-3", "art-86"],
        notes: &["kritische-infrastruktur"],
    },
    Case {
        name: "KI in einem Medizinprodukt des Gesundheitsamts",
        overrides: &[("anhang-i", "ja")],
        conclusion: "c-hochrisiko-produkt",
        risk: RiskClass::HighRisk,
        labels: &["anhang-i"],
        obligations: &["art-4", "anhang-i-pflichten"],
        absent: &[],
        notes: &[],
    },
    Case {
        name: "Auswahl von Anträgen für die Prüfung auf Leistungsmissbrauch",
        overrides: &[
            ("verboten-vorpruefung", "ja"),
            ("anhang-iii", "leistungen"),
            ("profiling", "ja"),
        ],
        conclusion: "c-hochrisiko-betreiber",
        risk: RiskClass::HighRisk,
        labels: &["anhang-iii-5a", "profiling"],
        obligations: &["art-26", "art-27", "art-49-3", "art-86"],
        absent: &["art-5-einstellen"],
        notes: &["profiling-keine-ausnahme"],
    },
    Case {
        name: "Eigenes Modell zur Anspruchsprüfung, nur anderen Kommunen angeboten",
        overrides: &[
            ("rolle", "anbieter"),
            ("eigener-einsatz", "nein"),
            ("anhang-iii", "leistungen"),
            ("profiling", "ja"),
        ],
        conclusion: "c-hochrisiko-anbieter",
        risk: RiskClass::HighRisk,
        labels: &["anbieter"],
        obligations: &["art-4", "anbieter-hochrisiko"],
        absent: &["art-26", "art-27", "art-49-3", "art-86"],
        notes: &["nur-anbieter", "profiling-keine-ausnahme"],
    },
    Case {
        name: "Eigene Ampelsteuerung, anderen angeboten und selbst betrieben",
        overrides: &[("rolle", "anbieter"), ("anhang-iii", "infrastruktur")],
        conclusion: "c-hochrisiko-anbieter",
        risk: RiskClass::HighRisk,
        labels: &["anbieter", "eigener-einsatz", "anhang-iii-2"],
        obligations: &["anbieter-hochrisiko", "art-26"],
        absent: &["art-27", "art-49-3", "art-86"],
        notes: &["kritische-infrastruktur", "anbieter-und-betreiber"],
    },
];

#[test]
fn the_shipped_tree_has_no_problems_and_uses_every_obligation_it_defines() {
    let tree = tree();
    let problems = tree.problems();
    assert!(problems.is_empty(), "{problems:?}");
    let used: BTreeSet<&str> = tree
        .conclusions
        .iter()
        .flat_map(|c| &c.obligations)
        .chain(
            tree.questions
                .iter()
                .flat_map(|q| q.answers.iter().flat_map(|a| &a.obligations)),
        )
        .map(String::as_str)
        .collect();
    for o in &tree.obligations {
        assert!(used.contains(o.id.as_str()), "{} is never used", o.id);
    }
}

#[test]
fn use_cases_with_known_classification_reach_their_conclusion() {
    let tree = tree();
    assert!(CASES.len() >= 15);
    for case in CASES {
        let walk = tree
            .walk(&answers(case.overrides))
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let Some(outcome) = walk.outcome() else {
            panic!("{}: no conclusion, path {:?}", case.name, walk.path.len());
        };
        assert_eq!(outcome.conclusion.id, case.conclusion, "{}", case.name);
        assert_eq!(outcome.conclusion.risk, case.risk, "{}", case.name);
        for label in case.labels {
            assert!(
                walk.has_label(label),
                "{}: label {label} missing in {:?}",
                case.name,
                walk.labels
            );
        }
        let ids: Vec<&str> = outcome
            .obligations
            .iter()
            .map(|o| o.obligation.id.as_str())
            .collect();
        for o in case.obligations {
            assert!(
                ids.contains(o),
                "{}: obligation {o} missing in {ids:?}",
                case.name
            );
        }
        for o in case.absent {
            assert!(
                !ids.contains(o),
                "{}: obligation {o} must not be listed: {ids:?}",
                case.name
            );
        }
        let notes: Vec<&str> = outcome.notes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(
            notes.len(),
            case.notes.len(),
            "{}: notes {notes:?}",
            case.name
        );
        for n in case.notes {
            assert!(
                notes.contains(n),
                "{}: note {n} missing in {notes:?}",
                case.name
            );
        }
        // Provider duties come before those from the municipality's own use.
        let roles: Vec<Option<Role>> = outcome
            .obligations
            .iter()
            .map(|o| o.obligation.duty_of)
            .collect();
        let first_deployer = roles.iter().position(|r| *r == Some(Role::Deployer));
        let last_provider = roles.iter().rposition(|r| *r == Some(Role::Provider));
        if let (Some(d), Some(p)) = (first_deployer, last_provider) {
            assert!(p < d, "{}: {ids:?}", case.name);
        }
    }
}

#[test]
fn the_citizen_chatbot_cites_article_50_1_from_august_2026() {
    let tree = tree();
    let walk = tree.walk(&answers(&[("50-interaktion", "ja")])).unwrap();
    let o = walk.outcome().unwrap();
    let chat = o
        .obligations
        .iter()
        .find(|o| o.obligation.id == "art-50-1-interaktion")
        .unwrap();
    assert_eq!(chat.obligation.articles, ["Art. 50 Abs. 1 KI-VO"]);
    assert_eq!(chat.applies_from.date, "2026-08-02");
    assert_eq!(o.conclusion.role, Some(Role::Deployer));
}

#[test]
fn high_risk_duties_apply_from_the_date_kept_as_data() {
    let tree = tree();
    let walk = tree
        .walk(&answers(&[
            ("anhang-iii", "leistungen"),
            ("profiling", "ja"),
        ]))
        .unwrap();
    let o = walk.outcome().unwrap();
    let art4 = &o.obligations[0];
    assert_eq!(art4.obligation.id, "art-4");
    assert_eq!(art4.applies_from.date, "2025-02-02");
    let fria = o
        .obligations
        .iter()
        .find(|o| o.obligation.id == "art-27")
        .unwrap();
    assert_eq!(fria.applies_from.id, "anhang-iii");
}

#[test]
fn the_classification_keeps_only_the_answers_on_the_path_as_audit_trail() {
    let tree = tree();
    let given = answers(&[("50-interaktion", "ja")]);
    let c = tree.classify(&given).unwrap();
    assert_eq!(c.tree_version, tree.version);
    assert_eq!(c.conclusion, "c-transparenz-betreiber");
    assert!(!c.answers.contains_key("profiling"));
    assert!(!c.answers.contains_key("art-5-1-a"));
    assert_eq!(
        c.answers.get("50-interaktion").map(String::as_str),
        Some("ja")
    );
    // The recorded answers alone reproduce the result.
    assert_eq!(tree.classify(&c.answers).unwrap(), c);
}

#[derive(Default)]
struct Coverage {
    paths: usize,
    conclusions: BTreeSet<String>,
    answers: BTreeSet<(String, String)>,
}

fn explore(tree: &DecisionTree, given: &mut BTreeMap<String, String>, seen: &mut Coverage) {
    let walk = tree.walk(given).expect("every answer combination walks");
    match &walk.state {
        WalkState::Ask(q) => {
            for a in &q.answers {
                seen.answers.insert((q.id.clone(), a.id.clone()));
                given.insert(q.id.clone(), a.id.clone());
                explore(tree, given, seen);
            }
            given.remove(&q.id);
        }
        WalkState::Concluded(o) => {
            seen.paths += 1;
            seen.conclusions.insert(o.conclusion.id.clone());
            assert!(!o.obligations.is_empty());
            let ids: Vec<&str> = o
                .obligations
                .iter()
                .map(|d| d.obligation.id.as_str())
                .collect();
            if o.conclusion.risk != RiskClass::NotAiSystem {
                assert!(ids.contains(&"art-4"), "{} without Art. 4", o.conclusion.id);
            }
            if walk.has_label("profiling") {
                assert_eq!(
                    o.conclusion.risk,
                    RiskClass::HighRisk,
                    "profiling is never excepted"
                );
                assert!(!walk.has_label("ausnahme-6-3"));
            }
            if walk.has_label("ausnahme-6-3") {
                assert_ne!(o.conclusion.risk, RiskClass::HighRisk);
            }
            let annex_iii_high = o.conclusion.risk == RiskClass::HighRisk
                && o.conclusion.role.is_some()
                && walk.has_label("anhang-iii");
            let own_use = walk.has_label("eigener-einsatz");
            if annex_iii_high && own_use {
                assert!(
                    ids.contains(&"art-26"),
                    "{} without art-26",
                    o.conclusion.id
                );
                let infrastructure = walk.has_label("anhang-iii-2");
                for duty in ["art-27", "art-49-3", "art-86"] {
                    assert_eq!(
                        ids.contains(&duty),
                        !infrastructure,
                        "{} {duty} with Annex III no. 2 = {infrastructure}",
                        o.conclusion.id
                    );
                }
            }
            if !own_use {
                for duty in ["art-26", "art-27", "art-49-3", "art-86"] {
                    assert!(!ids.contains(&duty), "{duty} without own use");
                }
            }
            if walk.has_label("profiling") {
                assert!(
                    o.summary()
                        .contains("wegen des Profilings nicht zur Verfügung"),
                    "{}",
                    o.summary()
                );
            }
        }
    }
}

#[test]
fn every_path_through_the_shipped_tree_ends_in_a_conclusion_and_every_node_is_used() {
    let tree = tree();
    let mut seen = Coverage::default();
    explore(&tree, &mut BTreeMap::new(), &mut seen);
    assert!(seen.paths > 1000, "{} paths", seen.paths);
    let all_conclusions: BTreeSet<String> = tree.conclusions.iter().map(|c| c.id.clone()).collect();
    assert_eq!(seen.conclusions, all_conclusions);
    let all_answers: BTreeSet<(String, String)> = tree
        .questions
        .iter()
        .flat_map(|q| q.answers.iter().map(|a| (q.id.clone(), a.id.clone())))
        .collect();
    assert_eq!(seen.answers, all_answers);
}

proptest! {
    #[test]
    fn any_sequence_of_answers_reaches_a_conclusion(choices in proptest::collection::vec(0usize..16, 40)) {
        let tree = tree();
        let mut given = BTreeMap::new();
        let mut steps = 0;
        loop {
            let walk = tree.walk(&given).unwrap();
            match walk.state {
                WalkState::Ask(q) => {
                    let a = &q.answers[choices[steps % choices.len()] % q.answers.len()];
                    given.insert(q.id.clone(), a.id.clone());
                    steps += 1;
                    prop_assert!(steps <= tree.questions.len());
                }
                WalkState::Concluded(o) => {
                    prop_assert!(!o.obligations.is_empty());
                    break;
                }
            }
        }
    }
}

/// A random tree: `questions` nodes q0.., each answer pointing at any node id,
/// a conclusion or an id that does not exist; conclusions with or without
/// obligations.
fn random_tree_yaml(nexts: &[Vec<usize>], conclusion_has_obligation: &[bool]) -> String {
    let q = nexts.len();
    let c = conclusion_has_obligation.len();
    let id = |i: usize| {
        if i < q {
            format!("q{i}")
        } else if i < q + c {
            format!("c{}", i - q)
        } else {
            "fehlt".to_owned()
        }
    };
    let mut y = String::from(
        "version: r\ntitle: Zufall\nstart: q0\nliteracy_obligation: art-4\n\
         dates: [{ id: d, label: d, date: \"2025-02-02\" }]\n\
         obligations: [{ id: art-4, title: t, articles: [a], description: d, applies_from: d }]\n\
         questions:\n",
    );
    for (i, answers) in nexts.iter().enumerate() {
        y.push_str(&format!("  - id: q{i}\n    text: t\n    answers:\n"));
        for (j, n) in answers.iter().enumerate() {
            y.push_str(&format!(
                "      - {{ id: a{j}, label: l, next: {} }}\n",
                id(*n)
            ));
        }
    }
    y.push_str("conclusions:\n");
    for (i, has) in conclusion_has_obligation.iter().enumerate() {
        let obligations = if *has { "[art-4]" } else { "[]" };
        y.push_str(&format!(
            "  - {{ id: c{i}, label: l, risk: minimal, obligations: {obligations} }}\n"
        ));
    }
    y
}

proptest! {
    #[test]
    fn a_random_tree_is_either_rejected_or_every_walk_through_it_concludes(
        nexts in proptest::collection::vec(proptest::collection::vec(0usize..9, 1..3), 1..6),
        obligations in proptest::collection::vec(proptest::bool::ANY, 1..3),
    ) {
        let yaml = random_tree_yaml(&nexts, &obligations);
        match DecisionTree::from_yaml("zufall.yaml", &yaml) {
            Err(journey::usecase::UseCaseError::InvalidTree { file, problems }) => {
                prop_assert_eq!(file, "zufall.yaml");
                prop_assert!(!problems.is_empty());
            }
            Err(other) => prop_assert!(false, "unexpected error {other}"),
            Ok(tree) => {
                let mut seen = Coverage::default();
                explore(&tree, &mut BTreeMap::new(), &mut seen);
                prop_assert!(seen.paths >= 1);
            }
        }
    }

    #[test]
    fn walking_an_unchecked_tree_never_loops_or_panics(
        nexts in proptest::collection::vec(proptest::collection::vec(0usize..9, 1..3), 1..6),
        choices in proptest::collection::vec(0usize..3, 12),
    ) {
        // Parse without the checks, as a caller building a tree by hand might.
        let yaml = random_tree_yaml(&nexts, &[true, false]);
        let tree: DecisionTree = serde_yaml::from_str(&yaml).unwrap();
        let mut given = BTreeMap::new();
        for choice in choices {
            match tree.walk(&given) {
                Ok(walk) => match walk.state {
                    WalkState::Ask(q) => {
                        given.insert(q.id.clone(), q.answers[choice % q.answers.len()].id.clone());
                    }
                    WalkState::Concluded(_) => break,
                },
                Err(_) => break,
            }
        }
    }
}

#[test]
fn the_longest_walk_through_the_shipped_tree_asks_every_question_once() {
    // A provider whose biometric system passes the prohibited-practice gate,
    // the Annex III area, profiling and exception questions, and every
    // transparency question: all 23 questions, none twice.
    let tree = tree();
    assert_eq!(tree.questions.len(), 23);
    assert_eq!(tree.questions_remaining_at_most(&tree.start), Some(23));
    let walk = tree
        .walk(&answers(&[
            ("rolle", "anbieter"),
            ("verboten-vorpruefung", "ja"),
            ("anhang-iii", "biometrie"),
            ("50-text", "ja"),
        ]))
        .unwrap();
    assert_eq!(walk.path.len(), 23);
    assert_eq!(tree.questions_remaining_at_most("50-emotion"), Some(1));
}

#[test]
fn the_conclusion_says_why_profiling_rules_out_the_exceptions() {
    let tree = tree();
    let walk = tree
        .walk(&answers(&[
            ("anhang-iii", "leistungen"),
            ("profiling", "ja"),
        ]))
        .unwrap();
    let summary = walk.outcome().unwrap().summary();
    assert!(
        summary.contains(
            "Ausnahmen des Art. 6 Abs. 3 stehen wegen des Profilings nicht zur Verfügung"
        ),
        "{summary}"
    );
    // The stored classification words it the same way.
    let c = tree
        .classify(&answers(&[
            ("anhang-iii", "leistungen"),
            ("profiling", "ja"),
        ]))
        .unwrap();
    assert_eq!(c.summary(&tree), summary);
}

#[test]
fn the_crime_prediction_question_means_profiling_alone_not_audit_selection() {
    let tree = tree();
    let q = tree.question("art-5-1-d").unwrap();
    for part in ["bestimmte natürliche Person", "ausschließlich", "Profiling"] {
        assert!(q.text.contains(part), "{}", q.text);
    }
    assert!(q.help.contains("Leistungsmissbrauch"), "{}", q.help);
    assert!(q.help.contains("nicht verboten"), "{}", q.help);
}
