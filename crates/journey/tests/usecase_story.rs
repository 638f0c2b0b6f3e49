//! One use case from a staff member's idea to its entry in the public AI
//! register, through the domain layer alone (the store and portal stories
//! run the same steps on SQLite and PostgreSQL).

use std::collections::{BTreeMap, BTreeSet};

use journey::usecase::ai_act::{DecisionTree, RiskClass};
use journey::usecase::canvas::{
    AiKind, Benefit, Canvas, DataClass, DataSource, Feasibility, HumanOversight, Intake,
    Integration, IntegrationKind, Rating, Risk,
};
use journey::usecase::dpia::{DpiaBasis, ThresholdAnalysis};
use journey::usecase::fria::FriaForm;
use journey::usecase::model::{DpiaRecord, Origin, Status, UseCase};
use journey::usecase::pilot::{DecisionKind, Metric, Pilot, PilotDecision};
use journey::usecase::register::{register_csv, register_json, RegisterEntry, RegisterField};
use journey::usecase::scoring::{rank, Candidate, Criteria};
use journey::usecase::UseCaseError;

fn r(v: u8) -> Option<Rating> {
    Rating::new(v)
}

fn canvas() -> Canvas {
    Canvas {
        goal: "Sitzungsprotokolle als geprüften Entwurf am selben Tag".into(),
        users: "Sitzungsdienst".into(),
        data_sources: vec![DataSource {
            name: "Tonaufnahmen".into(),
            class: DataClass::Personal,
        }],
        ai_kinds: vec![AiKind::Speech, AiKind::GenerativeText],
        human_oversight: Some(HumanOversight::EveryResult),
        integration: Some(Integration {
            kind: IntegrationKind::Standalone,
            procedure: String::new(),
        }),
        benefit: Benefit {
            hours_saved_per_year: Some(1800.0),
            quality: r(3),
            citizen_service: r(1),
        },
        feasibility: Feasibility {
            data_availability: r(4),
            technical_maturity: r(4),
            effort: r(2),
            cost: r(2),
        },
        risks: vec![Risk {
            description: "Falsch zugeordnete Wortbeiträge".into(),
            likelihood: r(3),
            impact: r(2),
            mitigation: "Prüfung durch die Protokollführung".into(),
        }],
        ratings: BTreeMap::new(),
    }
}

fn minimal_answers() -> BTreeMap<String, String> {
    [
        ("ki-system", "ja"),
        ("rolle", "betreiber"),
        ("gpai", "nein"),
        ("verboten-vorpruefung", "nein"),
        ("anhang-i", "nein"),
        ("anhang-iii", "keiner"),
        ("50-interaktion", "nein"),
        ("50-deepfake", "nein"),
        ("50-text", "nein"),
    ]
    .iter()
    .map(|(q, a)| ((*q).to_owned(), (*a).to_owned()))
    .collect()
}

#[test]
fn an_idea_from_the_survey_goes_through_assessment_and_pilot_into_the_register() {
    let tree = DecisionTree::shipped().unwrap();

    // Intake: a free text from the survey becomes an idea.
    let intake = Intake::from_survey_text(
        "Protokolle von Ausschusssitzungen kosten uns jede Woche einen Tag. Könnte KI das transkribieren?",
        Some("Büro des Rates"),
    );
    let mut uc = UseCase::new("uc-1", intake, Origin::Survey).unwrap();
    assert_eq!(uc.status, Status::Idea);

    // Assessment needs a complete canvas and a classification.
    let err = uc.change_status(Status::Assessed, "t1", "").unwrap_err();
    assert!(matches!(err, UseCaseError::TransitionBlocked { .. }));
    uc.canvas = canvas();
    let err = uc.change_status(Status::Assessed, "t1", "").unwrap_err();
    assert!(err.to_string().contains("Einstufung"), "{err}");

    // Classification: the wizard asks question by question.
    let mut given = BTreeMap::new();
    let all = minimal_answers();
    loop {
        let walk = tree.walk(&given).unwrap();
        match walk.state {
            journey::usecase::ai_act::WalkState::Ask(q) => {
                given.insert(q.id.clone(), all[&q.id].clone());
            }
            journey::usecase::ai_act::WalkState::Concluded(o) => {
                assert_eq!(o.conclusion.risk, RiskClass::Minimal);
                break;
            }
        }
    }
    uc.classification = Some(tree.classify(&given).unwrap());
    uc.change_status(Status::Assessed, "2026-11-26T10:00:00Z", "")
        .unwrap();

    // Data protection: prefilled from the canvas, completed by the team.
    let analysis = ThresholdAnalysis::shipped().unwrap();
    let mut answers = analysis.prefill(&uc.canvas);
    for q in &analysis.questions {
        answers.entry(q.id.clone()).or_insert(false);
    }
    let decision = analysis.evaluate(&answers).unwrap();
    assert!(!decision.required, "{:?}", decision.reasons);
    assert_eq!(decision.basis, DpiaBasis::BelowThreshold);
    uc.threshold_answers = answers;

    // Ranking among the use cases, then approval.
    let criteria = Criteria::shipped().unwrap();
    let ranking = rank([Candidate::from(&uc)], &criteria).unwrap();
    assert_eq!(ranking.ranked[0].rank, 1);
    uc.change_status(Status::Approved, "t2", "").unwrap();

    // Pilot: a plan is needed before it starts.
    assert!(uc.change_status(Status::Pilot, "t3", "").is_err());
    uc.pilot = Some(Pilot {
        goal: "Protokollentwurf am selben Tag".into(),
        start: Some("2027-01-15".into()),
        end: Some("2027-04-15".into()),
        participants: "Sitzungsdienst, 4 Personen".into(),
        model: "Whisper + lokales Sprachmodell".into(),
        backend: "lokal".into(),
        metrics: vec![Metric {
            name: "Stunden je Protokoll".into(),
            unit: "h".into(),
            baseline: 6.0,
            target: 2.0,
            measured: None,
        }],
        staff_feedback: Vec::new(),
        decision: None,
    });
    uc.change_status(Status::Pilot, "2027-01-15", "").unwrap();
    let err = uc.change_status(Status::Evaluated, "t4", "").unwrap_err();
    assert!(err.to_string().contains("Stunden je Protokoll"), "{err}");
    let pilot = uc.pilot.as_mut().unwrap();
    pilot.metrics[0].measured = Some(1.5);
    pilot
        .staff_feedback
        .push("Spart viel Zeit, Namen müssen nachgetragen werden.".into());
    uc.change_status(Status::Evaluated, "2027-04-20", "")
        .unwrap();
    assert!(uc.pilot.as_ref().unwrap().evaluate().all_targets_met());
    assert!(uc.change_status(Status::Operating, "t5", "").is_err());
    uc.pilot.as_mut().unwrap().decision = Some(PilotDecision {
        kind: DecisionKind::Operate,
        reason: "Ziel erreicht".into(),
        at: "2027-04-22".into(),
    });
    uc.change_status(Status::Operating, "2027-05-01", "")
        .unwrap();
    assert_eq!(uc.history.len(), 5);

    // Register: a draft, a contact kept internal, published.
    let mut entry = RegisterEntry::draft_from(&uc);
    assert_eq!(entry.status, "Im Betrieb");
    assert_eq!(
        entry.risk_class,
        "KI-System mit minimalem Risiko – Betreiber"
    );
    entry.contact = "ratsbuero@stadt.example".into();
    entry.published = true;
    let json = register_json(std::slice::from_ref(&entry)).unwrap();
    assert!(!json.contains("ratsbuero@"));
    entry.internal = BTreeSet::new();
    let json = register_json(std::slice::from_ref(&entry)).unwrap();
    assert!(json.contains("ratsbuero@stadt.example"));
    entry.internal = BTreeSet::from([RegisterField::Contact, RegisterField::DataSources]);
    let csv = register_csv(&[entry]).unwrap();
    assert!(!csv.contains("Tonaufnahmen"));
    assert!(!csv.contains("ratsbuero@"));
}

#[test]
fn a_prohibited_use_case_cannot_be_approved() {
    let tree = DecisionTree::shipped().unwrap();
    let mut uc = UseCase::new(
        "uc-9",
        Intake {
            title: "Stimmungsanalyse im Team".into(),
            problem: "Überlastung früh erkennen".into(),
            ..Intake::default()
        },
        Origin::Own,
    )
    .unwrap();
    uc.canvas = canvas();
    let mut answers = minimal_answers();
    answers.insert("verboten-vorpruefung".into(), "ja".into());
    for q in [
        "art-5-1-a",
        "art-5-1-b",
        "art-5-1-c",
        "art-5-1-d",
        "art-5-1-e",
    ] {
        answers.insert(q.into(), "nein".into());
    }
    answers.insert("art-5-1-f".into(), "ja".into());
    uc.classification = Some(tree.classify(&answers).unwrap());
    uc.change_status(Status::Assessed, "t1", "").unwrap();
    let err = uc.change_status(Status::Approved, "t2", "").unwrap_err();
    assert!(err.to_string().contains("verbotene Praktik"), "{err}");
    uc.change_status(
        Status::Stopped,
        "t3",
        "verboten nach Art. 5 Abs. 1 Buchst. f",
    )
    .unwrap();
}

#[test]
fn a_high_risk_use_case_needs_a_dpia_and_a_fria_with_six_sections() {
    let analysis = ThresholdAnalysis::shipped().unwrap();
    let mut answers: BTreeMap<String, bool> = analysis
        .questions
        .iter()
        .map(|q| (q.id.clone(), false))
        .collect();
    answers.insert("personenbezug".into(), true);
    answers.insert("bewertung-mit-rechtswirkung".into(), true);
    let d = analysis.evaluate(&answers).unwrap();
    assert!(d.required);
    assert!(d.reasons[0].contains("Art. 35 Abs. 3 Buchst. a"));
    let form = FriaForm::shipped().unwrap();
    assert_eq!(form.missing(&BTreeMap::new()).len(), 6);
}

#[test]
fn a_high_risk_use_case_is_approved_only_with_a_complete_fria_and_the_dpia_the_analysis_demands() {
    let tree = DecisionTree::shipped().unwrap();
    let lib = journey::usecase::library::Library::shipped().unwrap();
    let mut uc = lib
        .entry("anspruchspruefung-sozialleistungen")
        .unwrap()
        .adopt("uc-5", &tree)
        .unwrap();
    assert!(uc.classification.as_ref().unwrap().fria_required);
    uc.change_status(Status::Assessed, "t1", "").unwrap();
    let err = uc.change_status(Status::Approved, "t2", "").unwrap_err();
    assert!(err.to_string().contains("Schwellwertanalyse"), "{err}");
    assert!(
        err.to_string().contains("Grundrechte-Folgenabschätzung"),
        "{err}"
    );
    // The analysis demands a DPIA: personal data and decisions with legal effect.
    let analysis = ThresholdAnalysis::shipped().unwrap();
    uc.threshold_answers = analysis
        .questions
        .iter()
        .map(|q| (q.id.clone(), false))
        .collect();
    uc.threshold_answers.insert("personenbezug".into(), true);
    uc.threshold_answers
        .insert("bewertung-mit-rechtswirkung".into(), true);
    // Five of six FRIA sections are not a completed assessment.
    let form = FriaForm::shipped().unwrap();
    for s in &form.sections[..5] {
        uc.fria
            .insert(s.id.clone(), format!("{}: beschrieben", s.title));
    }
    let blockers = uc.blockers(Status::Approved);
    assert_eq!(
        blockers,
        [
            format!(
                "die Grundrechte-Folgenabschätzung (Art. 27 KI-VO) ist nicht vollständig; es \
                 fehlen: {}",
                form.sections[5].title
            ),
            "die Datenschutz-Folgenabschätzung (Art. 35 DSGVO) fehlt; die Schwellwertanalyse \
             verlangt sie"
                .to_owned()
        ]
    );
    assert!(uc.change_status(Status::Approved, "t2", "").is_err());
    assert_eq!(uc.status, Status::Assessed, "nothing changed");
    let last = &form.sections[5];
    uc.fria
        .insert(last.id.clone(), format!("{}: beschrieben", last.title));
    uc.dpia = Some(DpiaRecord {
        completed_on: "2027-02-15".into(),
        reference: "DSB-2027-04".into(),
    });
    uc.change_status(Status::Approved, "t2", "").unwrap();
    uc.pilot = Some(Pilot {
        goal: "Bearbeitungszeit senken".into(),
        start: Some("2027-03-01".into()),
        end: Some("2027-06-30".into()),
        metrics: vec![Metric {
            name: "Tage bis Bescheid".into(),
            unit: "d".into(),
            baseline: 40.0,
            target: 25.0,
            measured: Some(32.5),
        }],
        ..Pilot::default()
    });
    uc.change_status(Status::Pilot, "2027-03-01", "").unwrap();

    // The one-pager of the high-risk case shows both assessments' outcome,
    // with German dates and numbers.
    let md = journey::usecase::onepager::markdown(&uc, Some(&tree), None);
    assert!(md.contains("## Datenschutz und Grundrechte"), "{md}");
    assert!(
        md.contains("- **Schwellwertanalyse (Art. 35 DSGVO):** DSFA nötig"),
        "{md}"
    );
    assert!(
        md.contains(
            "- **Datenschutz-Folgenabschätzung:** durchgeführt, abgeschlossen am 15.02.2027, \
             abgelegt unter DSB-2027-04"
        ),
        "{md}"
    );
    assert!(
        md.contains("- **Grundrechte-Folgenabschätzung (Art. 27 KI-VO):** vollständig (6 von 6 Abschnitten)"),
        "{md}"
    );
    assert!(
        md.contains(&format!("    - *{}:* ", form.sections[0].title)),
        "{md}"
    );
    assert!(md.contains("(01.03.2027 bis 30.06.2027)"), "{md}");
    assert!(
        md.contains("| Tage bis Bescheid | 40 d | 25 d | 32,5 d | nein |"),
        "{md}"
    );
    let iso_date = md.as_bytes().windows(10).any(|w| {
        w.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
    });
    assert!(!iso_date, "no ISO date: {md}");
}

#[test]
fn a_high_risk_use_case_without_personal_data_in_the_canvas_still_needs_the_threshold_analysis() {
    let tree = DecisionTree::shipped().unwrap();
    let lib = journey::usecase::library::Library::shipped().unwrap();
    let mut uc = lib
        .entry("anspruchspruefung-sozialleistungen")
        .unwrap()
        .adopt("uc-6", &tree)
        .unwrap();
    uc.canvas.data_sources.clear();
    assert!(uc
        .blockers(Status::Approved)
        .iter()
        .any(|b| b.contains("Schwellwertanalyse")));
}

#[test]
fn a_minimal_risk_classification_needs_no_fria() {
    let tree = DecisionTree::shipped().unwrap();
    assert!(!tree.classify(&minimal_answers()).unwrap().fria_required);
}

#[test]
fn a_prohibited_use_case_leaves_the_ranking_with_its_reason_and_the_risk_class_is_a_column() {
    let tree = DecisionTree::shipped().unwrap();
    let lib = journey::usecase::library::Library::shipped().unwrap();
    let criteria = Criteria::shipped().unwrap();
    let kept = lib.entries[0].adopt("a", &tree).unwrap();
    let mut banned = lib.entries[1].adopt("b", &tree).unwrap();
    let mut answers = minimal_answers();
    answers.insert("verboten-vorpruefung".into(), "ja".into());
    for letter in ["a", "b"] {
        answers.insert(format!("art-5-1-{letter}"), "nein".into());
    }
    answers.insert("art-5-1-c".into(), "ja".into());
    banned.classification = Some(tree.classify(&answers).unwrap());
    assert_eq!(
        banned.classification.as_ref().unwrap().risk,
        RiskClass::Prohibited
    );
    let ranking = rank([&kept, &banned].map(Candidate::from), &criteria).unwrap();
    let ids: Vec<&str> = ranking.ranked.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["a"], "a prohibited practice gets no rank");
    assert_eq!(
        ranking.ranked[0].risk,
        kept.classification.as_ref().map(|c| c.risk)
    );
    assert_eq!(ranking.prohibited.len(), 1);
    assert_eq!(ranking.prohibited[0].id, "b");
    assert!(
        ranking.prohibited[0]
            .reason
            .contains("Art. 5 Abs. 1 Buchst. c KI-VO"),
        "{}",
        ranking.prohibited[0].reason
    );
    let table = journey::usecase::matrix::matrix_table_html(&ranking, "Rangfolge");
    assert!(
        table.contains("<th scope=\"col\">Risikoklasse (KI-VO)</th>"),
        "{table}"
    );
    let label = kept.classification.as_ref().unwrap().risk.label();
    assert!(table.contains(&format!("<td>{label}</td>")), "{table}");
    assert!(table.contains("Nicht in der Rangfolge: verbotene Praktiken"));
    assert!(table.contains(&banned.intake.title));
}
