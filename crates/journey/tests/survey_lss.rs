//! LimeSurvey `.lss` import: three exports of different LimeSurvey versions
//! covering the common question types, the import report, and hostile files.

use journey::survey::import::{ImportReport, Severity};
use journey::survey::lss::import_lss;
use journey::survey::{
    parse_questionnaire, validate_questionnaire, ConditionTest, QuestionKind, Questionnaire,
    SurveyError, MAX_IMPORT_BYTES,
};

const V6: &str = include_str!("survey_fixtures/limesurvey_v6_kommune.lss");
const V3: &str = include_str!("survey_fixtures/limesurvey_v3_legacy.lss");
const V5: &str = include_str!("survey_fixtures/limesurvey_v5_arrays.lss");

fn kind<'q>(q: &'q Questionnaire, id: &str) -> &'q QuestionKind {
    &q.question(id)
        .unwrap_or_else(|| panic!("no question {id}"))
        .kind
}

fn reported(report: &ImportReport, location: &str, severity: Severity, needle: &str) -> bool {
    report
        .entries
        .iter()
        .any(|e| e.location == location && e.severity == severity && e.message.contains(needle))
}

#[test]
fn a_limesurvey_6_export_maps_groups_questions_answers_and_conditions() {
    let imported = import_lss(V6.as_bytes()).unwrap();
    let q = &imported.questionnaire;
    assert_eq!(q.id, "lss-482915");
    assert_eq!(q.title, "KI-Umfrage der Stadtverwaltung");
    assert_eq!(q.description.as_deref(), Some("Eine kurze Umfrage."));
    // Groups in group_order, not file order.
    let sections: Vec<&str> = q.sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(sections, ["Zu Ihrer Person", "KI bei der Arbeit"]);
    assert_eq!(
        q.sections[0].description.as_deref(),
        Some("Alle Angaben sind anonym.")
    );

    let fb = q.question("FB").unwrap();
    assert!(fb.required);
    assert_eq!(fb.text, "In welchem Fachbereich arbeiten Sie?");
    let QuestionKind::SingleChoice { options } = &fb.kind else {
        panic!()
    };
    let labels: Vec<&str> = options.list.iter().map(|o| o.label.as_str()).collect();
    assert_eq!(
        labels,
        ["Bürgerservice", "Jugendamt", "Kämmerei", "Sonstiges"]
    );

    assert_eq!(
        *kind(q, "Jahre"),
        QuestionKind::Number {
            min: Some(0.0),
            max: Some(50.0),
            integer: true,
            unit: None
        }
    );
    let tools = q.question("Tools").unwrap();
    assert!(
        matches!(&tools.kind, QuestionKind::MultipleChoice { options, .. } if options.list.len() == 2)
    );
    let cond = tools.show_if.as_ref().unwrap();
    assert_eq!(cond.question, "Nutzung");
    assert_eq!(
        cond.test,
        ConditionTest::AnyOf(vec!["S".into(), "O".into()])
    );
    let happy = q.question("Zufrieden").unwrap();
    assert!(matches!(happy.kind, QuestionKind::Likert { ref scale } if scale.len() == 5));
    assert_eq!(
        happy.show_if.as_ref().unwrap().test,
        ConditionTest::Contains("SQ001".into())
    );
    let QuestionKind::LikertMatrix { items, scale } = kind(q, "Sorgen") else {
        panic!()
    };
    assert_eq!(items.list.len(), 2);
    assert_eq!(
        scale.iter().map(|p| p.label.as_str()).collect::<Vec<_>>(),
        ["gar nicht", "wenig", "etwas", "sehr"]
    );
    assert_eq!(
        *kind(q, "Ideen"),
        QuestionKind::Text {
            max_length: 800,
            multiline: true
        }
    );
    // The text display became part of the section description.
    assert!(q.sections[1]
        .description
        .as_deref()
        .unwrap()
        .contains("Vielen Dank für Ihre Teilnahme!"));
    assert!(validate_questionnaire(q).is_empty());
}

#[test]
fn the_import_report_lists_everything_that_was_not_mapped() {
    let report = import_lss(V6.as_bytes()).unwrap().report;
    assert_eq!(report.source, "LimeSurvey (DBVersion 624)");
    assert!(reported(&report, "Frage FB", Severity::Changed, "Skript"));
    assert!(reported(
        &report,
        "Frage FB",
        Severity::NotMapped,
        "Sonstiges"
    ));
    assert!(reported(
        &report,
        "Frage Eintritt",
        Severity::NotMapped,
        "Datum"
    ));
    assert!(reported(
        &report,
        "Frage Ideen",
        Severity::NotMapped,
        "Jahre > 2"
    ));
    assert!(reported(
        &report,
        "Frage Ideen",
        Severity::NotMapped,
        "geschweiften Klammern"
    ));
    assert!(reported(
        &report,
        "Frage Tools",
        Severity::NotMapped,
        "random_order=1"
    ));
    assert!(reported(
        &report,
        "Frage Sorgen",
        Severity::Changed,
        "G, W, E, S"
    ));
    assert!(reported(
        &report,
        "Frage Dank",
        Severity::Changed,
        "Abschnittsbeschreibung"
    ));
    assert!(reported(&report, "Umfrage", Severity::NotMapped, "„en“"));
    assert!(reported(
        &report,
        "Umfrage",
        Severity::NotMapped,
        "Layout (themes)"
    ));
    // Empty attributes are not noise in the report.
    assert!(!report
        .entries
        .iter()
        .any(|e| e.message.contains("answer_width")));
}

#[test]
fn a_limesurvey_3_export_with_inline_texts_is_read_too() {
    let imported = import_lss(V3.as_bytes()).unwrap();
    let q = &imported.questionnaire;
    assert_eq!(q.title, "Mitarbeiterbefragung 2019");
    assert_eq!(q.sections.len(), 1);
    let QuestionKind::SingleChoice { options } = kind(q, "bereich") else {
        panic!()
    };
    assert_eq!(options.list[1].label, "Technik & Bau");
    assert_eq!(options.list[1].id, "2");
    let yes_no = q.question("kinutzung").unwrap();
    assert_eq!(yes_no.help.as_deref(), Some("Zum Beispiel ChatGPT."));
    let QuestionKind::LikertMatrix { items, scale } = kind(q, "aussagen") else {
        panic!()
    };
    assert_eq!(
        items.list.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["a1", "a2"]
    );
    assert_eq!(scale.len(), 5);
    let experience = q.question("erfahrungen").unwrap();
    assert_eq!(
        experience.show_if.as_ref().unwrap().test,
        ConditionTest::Equals("Y".into())
    );
    assert_eq!(
        experience.kind,
        QuestionKind::Text {
            max_length: 5000,
            multiline: true
        }
    );
    assert!(q.question("stunden").is_none());
    assert!(matches!(
        kind(q, "geschlecht"),
        QuestionKind::SingleChoice { .. }
    ));

    let report = &imported.report;
    assert!(reported(
        report,
        "Frage bereich",
        Severity::NotMapped,
        "Kommentarfeld"
    ));
    assert!(reported(
        report,
        "Frage erfahrungen",
        Severity::Changed,
        "20000"
    ));
    assert!(reported(
        report,
        "Frage erfahrungen",
        Severity::NotMapped,
        "display_rows=10"
    ));
    assert!(reported(
        report,
        "Frage stunden",
        Severity::NotMapped,
        "Mehrere Zahlen"
    ));
    assert!(reported(
        report,
        "Frage geschlecht",
        Severity::Note,
        "anonyme Umfrage"
    ));
    assert!(reported(
        report,
        "Umfrage",
        Severity::NotMapped,
        "conditions"
    ));
}

#[test]
fn a_limesurvey_5_export_with_arrays_soft_mandatory_and_quotas_is_mapped_and_reported() {
    let imported = import_lss(V5.as_bytes()).unwrap();
    let q = &imported.questionnaire;
    let format = q.question("format").unwrap();
    assert!(!format.required);
    let QuestionKind::MultipleChoice {
        options,
        max_choices,
    } = kind(q, "themen")
    else {
        panic!()
    };
    assert_eq!(options.list.len(), 3);
    assert_eq!(*max_choices, Some(2));
    assert!(
        matches!(kind(q, "entwicklung"), QuestionKind::LikertMatrix { scale, .. } if scale.len() == 3)
    );
    assert!(
        matches!(kind(q, "haeufig"), QuestionKind::LikertMatrix { scale, .. } if scale[1].label == "oft")
    );
    assert!(matches!(
        kind(q, "sicher"),
        QuestionKind::LikertMatrix { .. }
    ));
    assert_eq!(
        *kind(q, "kurz"),
        QuestionKind::Text {
            max_length: 5000,
            multiline: false
        }
    );
    assert!(q.question("rang").is_none());

    let report = &imported.report;
    assert!(reported(
        report,
        "Frage format",
        Severity::Changed,
        "Weiche Pflicht"
    ));
    assert!(reported(
        report,
        "Frage themen",
        Severity::NotMapped,
        "Kommentarfelder"
    ));
    assert!(reported(
        report,
        "Frage rang",
        Severity::NotMapped,
        "Rangfolge"
    ));
    assert!(reported(
        report,
        "Gruppe 4",
        Severity::NotMapped,
        "format == \"F2\""
    ));
    assert!(reported(
        report,
        "Umfrage",
        Severity::NotMapped,
        "Quoten (quota)"
    ));
}

#[test]
fn an_imported_questionnaire_exports_as_json_and_reads_back_the_same() {
    for lss in [V3, V5, V6] {
        let q = import_lss(lss.as_bytes()).unwrap().questionnaire;
        let json = journey::survey::export::questionnaire_to_json(&q);
        let back = parse_questionnaire(json.as_bytes()).unwrap().questionnaire;
        assert_eq!(back.sections, q.sections);
    }
}

#[test]
fn external_entities_and_entity_expansion_are_refused() {
    let xxe = r#"<?xml version="1.0"?>
<!DOCTYPE document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<document><LimeSurveyDocType>Survey</LimeSurveyDocType><DBVersion>&xxe;</DBVersion></document>"#;
    let err = import_lss(xxe.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("DTD"), "{err}");
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<document><LimeSurveyDocType>Survey</LimeSurveyDocType><x>&lol3;</x></document>"#;
    assert!(matches!(
        import_lss(laughs.as_bytes()),
        Err(SurveyError::Parse { format: "XML", .. })
    ));
}

#[test]
fn files_over_the_size_limit_are_refused_before_parsing() {
    let mut big = String::from("<document><LimeSurveyDocType>Survey</LimeSurveyDocType><x>");
    big.push_str(&"a".repeat(MAX_IMPORT_BYTES));
    big.push_str("</x></document>");
    assert!(matches!(
        import_lss(big.as_bytes()),
        Err(SurveyError::TooLarge { .. })
    ));
}

#[test]
fn other_xml_and_group_exports_are_not_taken_for_a_survey() {
    assert!(matches!(
        import_lss(b"<html><body/></html>"),
        Err(SurveyError::NotLimeSurvey(_))
    ));
    let group = "<document><LimeSurveyDocType>Group</LimeSurveyDocType></document>";
    assert!(matches!(
        import_lss(group.as_bytes()),
        Err(SurveyError::NotLimeSurvey(_))
    ));
    assert!(matches!(
        import_lss(b"not xml at all"),
        Err(SurveyError::Parse { .. })
    ));
}

#[test]
fn a_survey_without_any_mappable_question_is_refused_with_the_reason() {
    let only_dates = V5
        .replace("<type>!</type>", "<type>D</type>")
        .replace("<type>P</type>", "<type>D</type>")
        .replace("<type>E</type>", "<type>D</type>")
        .replace("<type>H</type>", "<type>D</type>")
        .replace("<type>C</type>", "<type>D</type>")
        .replace("<type>S</type>", "<type>D</type>");
    let err = import_lss(only_dates.as_bytes()).unwrap_err();
    assert!(matches!(err, SurveyError::Invalid(_)), "{err}");
}

#[test]
fn markup_hidden_in_entities_does_not_come_back_as_html() {
    let sneaky = V6.replace(
        "Wie oft nutzen Sie KI?",
        "&lt;img src=x onerror=alert(1)&gt;Wie oft nutzen Sie KI?",
    );
    let imported = import_lss(sneaky.as_bytes()).unwrap();
    let text = &imported.questionnaire.question("Nutzung").unwrap().text;
    assert!(!text.contains('<'), "{text}");
    assert!(reported(
        &imported.report,
        "Frage Nutzung",
        Severity::Changed,
        "spitze Klammern"
    ));
}

#[test]
fn thousands_of_questions_with_the_same_code_are_refused_quickly() {
    let mut rows = String::new();
    for i in 0..25_000 {
        rows.push_str(&format!(
            "<row><qid>{i}</qid><parent_qid>0</parent_qid><gid>1</gid><type>S</type><title>Q</title></row>"
        ));
    }
    let xml = format!(
        "<document><LimeSurveyDocType>Survey</LimeSurveyDocType><groups><rows><row><gid>1</gid></row></rows></groups><questions><rows>{rows}</rows></questions></document>"
    );
    let started = std::time::Instant::now();
    assert!(import_lss(xml.as_bytes()).is_err());
    assert!(started.elapsed().as_secs() < 10);
}

#[test]
fn entities_next_to_umlauts_do_not_split_characters() {
    let tricky = V6.replace(
        "Wie oft nutzen Sie KI?",
        "&äöüäöüäöü; Wie oft &#x1F600; &#xD800; &bogus;",
    );
    let imported = import_lss(tricky.as_bytes()).unwrap();
    let text = &imported.questionnaire.question("Nutzung").unwrap().text;
    assert!(text.contains("Wie oft 😀"), "{text}");
}

#[test]
fn the_report_counts_one_inherited_theme_once_and_names_a_dropped_question_script() {
    let with_theme_and_script = V6
        .replace(
            " </themes>\n",
            " </themes>\n <themes_inherited>\n  <theme><template_name>fruity_twentythree</template_name>\
             <config><options><theme>inherit</theme><ajaxmode>on</ajaxmode></options></config></theme>\n </themes_inherited>\n",
        )
        .replace(
            "<question><![CDATA[Seit wie vielen Jahren arbeiten Sie hier?]]></question><help/>",
            "<question><![CDATA[Seit wie vielen Jahren arbeiten Sie hier?]]></question><help/>\
             <script><![CDATA[$('#answer').hide();]]></script>",
        );
    assert_ne!(with_theme_and_script, V6, "the fixture was changed");
    let report = import_lss(with_theme_and_script.as_bytes()).unwrap().report;
    let themes: Vec<&str> = report
        .entries
        .iter()
        .filter(|e| e.message.contains("themes_inherited"))
        .map(|e| e.message.as_str())
        .collect();
    assert_eq!(themes.len(), 1, "{themes:?}");
    assert!(themes[0].contains("mit 1 "), "{themes:?}");
    let scripts: Vec<_> = report
        .entries
        .iter()
        .filter(|e| e.message.contains("„script“"))
        .collect();
    assert_eq!(scripts.len(), 1, "{:?}", report.entries);
    assert_eq!(scripts[0].severity, Severity::NotMapped);
    assert!(
        scripts[0].location.starts_with("Frage "),
        "{:?}",
        scripts[0]
    );
}
