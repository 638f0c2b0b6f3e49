//! Rendering a template: answers over prefill over defaults, conditions,
//! escaping of answers, and errors that name what is missing or where the
//! template is broken.

use documents::{RenderError, Template, TemplateError};
use serde_json::{json, Map, Value};

const TEMPLATE: &str = "\
---
id: probe
title: Probe
kind: richtlinie
version: \"1\"
questions:
  - name: kommune
    label: Kommune
    kind: text
    required: true
    prefill: profile.name
  - name: beauftragte
    label: KI-Beauftragte
    kind: text
    prefill: profile.ai_officer
    default: die KI-Beauftragte
  - name: cloud
    label: Cloud erlaubt
    kind: bool
    default: false
  - name: klassen
    label: Klassen
    kind: multi
    options:
      - { value: a, label: A }
      - { value: b, label: B }
  - name: tage
    label: Tage
    kind: number
    default: 0
  - name: start
    label: Start
    kind: date
---
# Regeln für {{ kommune }}

Ansprechperson: {{ beauftragte }}.
{% if cloud %}
Cloud ist erlaubt.
{% else %}
Cloud ist verboten.
{% endif %}
Klassen: {{ klassen }}. Tage: {{ tage|zahl }}.{% if start %} Ab {{ start|datum }}.{% endif %}
";

fn template() -> Template {
    Template::parse("probe.md", TEMPLATE).unwrap()
}

fn map(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap()
}

#[test]
fn answers_override_prefill_which_overrides_defaults() {
    let t = template();
    let prefill = json!({"profile": {"name": "Musterstadt", "ai_officer": "Frau A"}});
    let md = t.render(&Map::new(), &prefill).unwrap();
    assert!(md.starts_with("# Regeln für Musterstadt\n"));
    assert!(md.contains("Ansprechperson: Frau A."));
    let md = t
        .render(&map(json!({"beauftragte": "Herr B"})), &prefill)
        .unwrap();
    assert!(md.contains("Ansprechperson: Herr B."));
    let md = t
        .render(&Map::new(), &json!({"profile": {"name": "Musterstadt"}}))
        .unwrap();
    assert!(md.contains("Ansprechperson: die KI-Beauftragte."));
}

#[test]
fn conditions_lists_numbers_and_dates_render_in_german() {
    let t = template();
    let answers = map(json!({"kommune": "X", "cloud": "ja", "klassen": ["b", "a"],
        "tage": "1200", "start": "2026-08-02"}));
    let md = t.render(&answers, &Value::Null).unwrap();
    assert!(md.contains("Cloud ist erlaubt.\n"));
    assert!(!md.contains("verboten"));
    // Option order, not the order the form sent.
    assert!(
        md.contains("Klassen: a, b. Tage: 1.200. Ab 2. August 2026."),
        "{md}"
    );
    let md = t
        .render(&map(json!({"kommune": "X"})), &Value::Null)
        .unwrap();
    assert!(md.contains("Cloud ist verboten.\n"));
    assert!(md.contains("Klassen: . Tage: 0."));
}

#[test]
fn answers_cannot_inject_markdown_or_html() {
    let t = template();
    let hostile = "<script>alert(1)</script> **fett** [Link](javascript:x) # Titel";
    let md = t
        .render(&map(json!({"kommune": hostile})), &Value::Null)
        .unwrap();
    let html = documents::markdown::to_html_fragment(&md);
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<strong>fett"), "{html}");
    assert!(!html.contains("<a "), "{html}");
    assert!(
        html.contains(
            "&lt;script&gt;alert(1)&lt;/script&gt; **fett** [Link](javascript:x) # Titel"
        ),
        "{html}"
    );
}

#[test]
fn missing_required_answers_are_listed_by_name() {
    let t = template();
    match t.render(&Map::new(), &Value::Null) {
        Err(RenderError::MissingAnswers(names)) => assert_eq!(names, ["kommune"]),
        other => panic!("{other:?}"),
    }
    // An empty answer is no answer.
    assert!(matches!(
        t.render(&map(json!({"kommune": "  "})), &Value::Null),
        Err(RenderError::MissingAnswers(_))
    ));
}

#[test]
fn invalid_answers_name_the_field() {
    let t = template();
    let answers =
        map(json!({"kommune": "X", "klassen": ["c"], "tage": "viele", "start": "31.12.2026"}));
    match t.render(&answers, &Value::Null) {
        Err(RenderError::InvalidAnswers(errors)) => {
            let names: Vec<&str> = errors.iter().map(|e| e.name.as_str()).collect();
            assert_eq!(names, ["klassen", "tage", "start"]);
            assert!(errors[0].message.contains("„c“"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn variables_used_but_never_asked_are_refused_when_parsing_and_rendering() {
    let text = TEMPLATE.replace(
        "Tage: {{ tage|zahl }}",
        "Tage: {{ tage|zahl }} {{ budget }} {{ frist }}",
    );
    match Template::parse("probe.md", &text) {
        Err(TemplateError::UndeclaredVariables { file, names }) => {
            assert_eq!(file, "probe.md");
            assert_eq!(names, ["budget", "frist"]);
        }
        other => panic!("{other:?}"),
    }
    let mut t = template();
    t.body.push_str("{{ budget }}\n");
    match t.render(&Map::new(), &Value::Null) {
        Err(RenderError::MissingAnswers(names)) => assert_eq!(names, ["kommune", "budget"]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    // The broken tag is on line 3 of the body; the front matter takes 37 lines.
    let text = TEMPLATE.replace(
        "Ansprechperson: {{ beauftragte }}.",
        "Ansprechperson: {{ beauftragte }.",
    );
    let front_lines = TEMPLATE
        .lines()
        .position(|l| l.starts_with("# Regeln"))
        .unwrap();
    match Template::parse("probe.md", &text) {
        Err(TemplateError::Syntax {
            file, line, column, ..
        }) => {
            assert_eq!(file, "probe.md");
            assert_eq!(line, front_lines + 3);
            assert!((17..=35).contains(&column), "column {column}");
        }
        other => panic!("{other:?}"),
    }
    let unclosed = TEMPLATE.replace("{% endif %}\nKlassen", "\nKlassen");
    let err = Template::parse("probe.md", &unclosed).unwrap_err();
    assert!(err.to_string().starts_with("probe.md, Zeile "), "{err}");
}

#[test]
fn front_matter_errors_name_the_line() {
    let broken = TEMPLATE.replace("kind: richtlinie", "kind: [richtlinie");
    match Template::parse("probe.md", &broken) {
        Err(TemplateError::FrontMatter { file, line, .. }) => {
            assert_eq!(file, "probe.md");
            assert!((4..=6).contains(&line), "line {line}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Template::parse("x.md", "# nur Text"),
        Err(TemplateError::MissingFrontMatter { .. })
    ));
    let unknown_kind = TEMPLATE.replace("kind: richtlinie", "kind: roman");
    assert!(Template::parse("probe.md", &unknown_kind).is_err());
}

#[test]
fn question_definitions_are_checked() {
    let cases = [
        (TEMPLATE.replace("name: tage", "name: Tage"), "Tage"),
        (TEMPLATE.replace("name: tage", "name: cloud"), "mehrfach"),
        (
            TEMPLATE.replace("prefill: profile.ai_officer", "prefill: profile.passwort"),
            "profile.passwort",
        ),
        (
            TEMPLATE.replace("    default: 0\n", "    default: viele\n"),
            "Voreinstellung",
        ),
    ];
    for (text, expected) in cases {
        let err = Template::parse("probe.md", &text).unwrap_err().to_string();
        assert!(err.contains(expected), "{err}");
    }
}

#[test]
fn a_runaway_loop_is_stopped() {
    let mut t = template();
    t.body =
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}".into();
    match t.render(&map(json!({"kommune": "X"})), &Value::Null) {
        Err(RenderError::Render { message, .. }) => {
            assert!(message.contains("zu lange"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn initial_answers_prefill_the_form() {
    let t = template();
    let initial = t.initial_answers(&json!({"profile": {"name": "Musterstadt"}}));
    assert_eq!(initial.get("kommune"), Some(&json!("Musterstadt")));
    assert_eq!(
        initial.get("beauftragte"),
        Some(&json!("die KI-Beauftragte"))
    );
    assert_eq!(initial.get("cloud"), Some(&json!(false)));
    assert_eq!(initial.get("tage"), Some(&json!(0)));
    assert!(!initial.contains_key("start"));
}

#[test]
fn a_template_survives_writing_it_back_as_a_file() {
    let t = template();
    let again = Template::parse("probe.md", &t.to_file_text()).unwrap();
    assert_eq!(again.questions, t.questions);
    assert_eq!(again.body, t.body);
    assert_eq!((again.id, again.version), (t.id, t.version));
}

#[test]
fn questions_are_grouped_by_section_in_order_of_appearance() {
    let policy = documents::builtin_templates()
        .into_iter()
        .find(|t| t.id == "ki-richtlinie")
        .unwrap();
    let groups = policy.question_groups();
    let titles: Vec<Option<&str>> = groups.iter().map(|g| g.title).collect();
    assert_eq!(titles[0], Some("Allgemeines"));
    assert_eq!(
        titles
            .iter()
            .filter(|t| **t == Some("Datenklassen"))
            .count(),
        1
    );
    let total: usize = groups.iter().map(|g| g.questions.len()).sum();
    assert_eq!(total, policy.questions.len());
    let classes = groups
        .iter()
        .find(|g| g.title == Some("Datenklassen"))
        .unwrap();
    assert_eq!(classes.questions[0].name, "erlaubt_public");
    assert_eq!(classes.questions.len(), 7);
    assert!(classes
        .questions
        .iter()
        .any(|q| q.name == "pseudonymisierung_remote"));
}
