//! The whole survey in the order the portal and store will call it: profile
//! → resolved questionnaire → form posts → checked responses → results,
//! exports, report, competency gaps, answer-level export.

use journey::competency::CompetencyModel;
use journey::profile::{Department, Profile};
use journey::survey::anonymise::{anonymised_answers_csv, AnswerExportOptions};
use journey::survey::export::{questionnaire_to_json, results_to_csv, results_to_json};
use journey::survey::report::results_markdown;
use journey::survey::response::input_from_form;
use journey::survey::{
    aggregate, competency_gaps, default_questionnaire, parse_questionnaire, validate_response,
    AggregateOptions, Completeness, Response, SurveyContext,
};

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn a_municipality_runs_the_bestandsaufnahme_from_profile_to_learning_path_input() {
    let profile = Profile {
        name: "Stadt Beispiel".into(),
        ags: "15002000".into(),
        staff_count: 400,
        departments: vec![
            Department {
                name: "Bürgerservice".into(),
                staff_count: 40,
            },
            Department {
                name: "Jugendamt".into(),
                staff_count: 60,
            },
            Department {
                name: "Kämmerei".into(),
                staff_count: 20,
            },
        ],
        ..Default::default()
    };
    let model = CompetencyModel::default_model().unwrap();
    let ctx = SurveyContext::from_profile(&profile, &model);
    // Resolved once when the survey opens; the store keeps this copy.
    let q = default_questionnaire().unwrap().resolve(&ctx);
    let stored = questionnaire_to_json(&q);
    assert_eq!(
        parse_questionnaire(stored.as_bytes())
            .unwrap()
            .questionnaire,
        {
            let mut q = q.clone();
            q.schema = Some(journey::survey::export::QUESTIONNAIRE_SCHEMA_ID.into());
            q
        }
    );

    let mut responses: Vec<Response> = Vec::new();
    for i in 0..12 {
        let dept = ["buergerservice", "jugendamt", "kaemmerei"][i % 3];
        let level = (i % 4).to_string();
        let mut form = pairs(&[
            ("_csrf", "token"),
            ("fachbereich", dept),
            (
                "art_der_taetigkeit",
                if i % 4 == 0 {
                    "fuehrungskraefte"
                } else {
                    "alle"
                },
            ),
            (
                "nutzung_haeufigkeit",
                if i % 2 == 0 { "taeglich" } else { "nie" },
            ),
            ("lerninteresse", "5"),
            ("lotse_bereitschaft", "ja"),
            ("zeit_pro_monat", "3"),
            (
                "ideen_anwendungsfaelle",
                "Sitzungsprotokolle zusammenfassen",
            ),
        ]);
        if i % 2 == 0 {
            form.extend(pairs(&[
                ("werkzeuge", "verwaltungsassistent"),
                ("werkzeuge", "uebersetzung"),
            ]));
        }
        for area in &model.areas {
            form.push((format!("selbsteinschaetzung.{}", area.id), level.clone()));
        }
        for item in ["zeit", "qualitaet", "buergerservice", "fachkraefte"] {
            form.push((format!("erwarteter_nutzen.{item}"), "4".into()));
        }
        for item in [
            "arbeitsplaetze",
            "datenschutz",
            "fehler",
            "ueberwachung",
            "ueberforderung",
        ] {
            form.push((format!("bedenken.{item}"), "3".into()));
        }
        let input = input_from_form(&q, &form);
        responses.push(validate_response(&q, &input, Completeness::Complete).unwrap());
    }

    // A hand-made post with a wrong value is refused naming the field.
    let bad = input_from_form(&q, &pairs(&[("zeit_pro_monat", "99")]));
    let errors = validate_response(&q, &bad, Completeness::Draft).unwrap_err();
    assert_eq!(errors[0].field, "zeit_pro_monat");

    let options = AggregateOptions {
        staff_counts: ctx.staff_counts.clone(),
        ..Default::default()
    };
    let results = aggregate(&q, &responses, &options).unwrap();
    assert_eq!(results.responses, Some(12));
    let service = results
        .groups
        .iter()
        .find(|g| g.id == "buergerservice")
        .unwrap();
    assert_eq!(
        service.responses, None,
        "4 answers per department: all hidden"
    );
    assert!(results_to_json(&results).contains("survey-results.schema.json"));
    assert!(results_to_csv(&results).unwrap().lines().count() > 100);
    assert!(results_markdown(&q, &results).contains("Sitzungsprotokolle zusammenfassen"));

    let gaps = competency_gaps(&q, &responses, &model, &options).unwrap();
    assert!(
        gaps.current_levels_by_department().is_empty(),
        "no department has 5 answers"
    );
    let overall = &gaps.groups[0];
    assert!(overall.areas.iter().all(|a| a.answered == Some(12)));

    let export = anonymised_answers_csv(&q, &responses, &AnswerExportOptions::default()).unwrap();
    assert_eq!(export.rows, 12);
}
