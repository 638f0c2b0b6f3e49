//! Every shipped template validates against the published schema, parses,
//! and renders with its defaults into a document of real substance.

use documents::template::{BUILTIN_FILES, SCHEMA};
use documents::{builtin_templates, sections, Template, TemplateKind};
use serde_json::{json, Map, Value};

fn front_matter(text: &str) -> Value {
    let rest = text.strip_prefix("---\n").expect("front matter start");
    let end = rest.find("\n---\n").expect("front matter end");
    serde_yaml::from_str(&rest[..end]).expect("front matter is YAML")
}

fn prefill() -> Value {
    json!({"profile": {"name": "Musterstadt"}})
}

#[test]
fn every_shipped_template_validates_against_the_schema() {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for file in BUILTIN_FILES {
        let front = front_matter(file.default_text);
        let errors: Vec<String> = validator
            .iter_errors(&front)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", file.path);
        assert_eq!(
            front["id"].as_str().map(|id| format!("{id}.md")).as_deref(),
            Some(file.path)
        );
    }
    // The schema is not a rubber stamp.
    let bad = json!({"id": "X y", "title": "", "kind": "roman", "version": "1"});
    assert!(!validator.is_valid(&bad));
    let choice_without_options = json!({"id": "a", "title": "A", "kind": "strategie", "version": "1",
        "questions": [{"name": "x", "label": "X", "kind": "choice"}]});
    assert!(!validator.is_valid(&choice_without_options));
}

#[test]
fn every_shipped_template_parses_and_renders_with_its_defaults() {
    assert_eq!(builtin_templates().len(), BUILTIN_FILES.len());
    for file in BUILTIN_FILES {
        let template =
            Template::parse(file.path, file.default_text).unwrap_or_else(|e| panic!("{e}"));
        let markdown = template
            .render(&Map::new(), &prefill())
            .unwrap_or_else(|e| panic!("{}: {e}", file.path));
        assert!(markdown.contains("Musterstadt"), "{}", file.path);
        assert!(
            !markdown.contains("{{") && !markdown.contains("{%"),
            "{}",
            file.path
        );
        assert!(
            !template.sources.is_empty(),
            "{} cites no source",
            file.path
        );
        let parts = sections(&markdown);
        assert!(
            parts.len() >= 5,
            "{} has only {} sections",
            file.path,
            parts.len()
        );
        assert_eq!(parts[0].level, 1, "{} starts with its title", file.path);
    }
}

#[test]
fn all_five_kinds_are_shipped() {
    let kinds: Vec<TemplateKind> = builtin_templates().iter().map(|t| t.kind).collect();
    for kind in TemplateKind::ALL {
        assert!(kinds.contains(&kind), "{kind:?} missing");
    }
}

fn words(markdown: &str) -> usize {
    documents::markdown::plain_text(markdown)
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count()
}

#[test]
fn the_policy_is_substantial_and_mostly_in_short_sentences() {
    let policy = builtin_templates()
        .into_iter()
        .find(|t| t.kind == TemplateKind::Richtlinie)
        .unwrap();
    let markdown = policy.render(&Map::new(), &prefill()).unwrap();
    assert!(words(&markdown) >= 1500, "only {} words", words(&markdown));
    for template in builtin_templates() {
        let markdown = template.render(&Map::new(), &prefill()).unwrap();
        let r =
            journey::readability::readability(&documents::markdown::plain_text(&markdown)).unwrap();
        let mean = r.words as f64 / r.sentences as f64;
        assert!(mean < 14.0, "{}: {mean:.1} words per sentence", template.id);
        assert!(
            r.long_sentences.is_empty(),
            "{}: {:?}",
            template.id,
            r.long_sentences
        );
    }
}

#[test]
fn the_policy_table_follows_the_data_class_answers() {
    let policy = builtin_templates()
        .into_iter()
        .find(|t| t.id == "ki-richtlinie")
        .unwrap();
    let mut answers = Map::new();
    answers.insert("erlaubt_personal".into(), json!([]));
    answers.insert("erlaubt_special_categories".into(), json!([]));
    answers.insert("erlaubt_internal".into(), json!(["local"]));
    answers.insert("erlaubt_confidential".into(), json!(["local"]));
    let markdown = policy.render(&answers, &prefill()).unwrap();
    let row = |class: &str| {
        markdown
            .lines()
            .find(|l| l.starts_with(&format!("| {class} |")))
            .unwrap_or_else(|| panic!("row {class}"))
            .to_owned()
    };
    assert!(row("personenbezogen").ends_with("| nein | nein | nein |"));
    assert!(row("intern").ends_with("| ja | nein | nein |"));
    assert!(row("öffentlich").ends_with("| ja | ja | ja |"));
    assert!(markdown.contains("dürfen in kein KI-Werkzeug eingegeben werden"));
}

#[test]
fn the_ki_pass_text_and_rule_come_from_the_same_answers() {
    let policy = builtin_templates()
        .into_iter()
        .find(|t| t.id == "ki-richtlinie")
        .unwrap();
    let mut answers = Map::new();
    answers.insert("ki_pass_lernpfad".into(), json!("kurzpfad"));
    answers.insert("ki_pass_werkzeuge".into(), json!(["api"]));
    answers.insert("ki_pass_frist_tage".into(), json!(14));
    let markdown = policy.render(&answers, &prefill()).unwrap();
    let sentence = markdown
        .lines()
        .find(|l| l.contains("„KI-Pass“"))
        .expect("the KI-Pass sentence");
    assert!(sentence.contains("Lernpfad „kurzpfad“"), "{sentence}");
    assert!(
        sentence.contains("freigeschaltet für: die KI-Schnittstelle mit API-Schlüssel."),
        "{sentence}"
    );
    assert!(!sentence.contains("KI-Assistenten im Portal"), "{sentence}");
    assert!(
        sentence.contains("Übergangsfrist von 14 Tagen"),
        "{sentence}"
    );
    let resolved = policy.resolve_answers(&answers, &prefill()).unwrap();
    let rules = documents::rules::policy_rules(&resolved).unwrap();
    let pass = rules.ki_pass.unwrap();
    assert_eq!(pass.learning_path, "kurzpfad");
    assert_eq!(pass.tools, vec![journey::policy::Tool::Api]);
    assert_eq!(pass.grace_days, 14);

    answers.insert("ki_pass".into(), json!(false));
    let markdown = policy.render(&answers, &prefill()).unwrap();
    assert!(!markdown.contains("„KI-Pass“"));
    let resolved = policy.resolve_answers(&answers, &prefill()).unwrap();
    assert_eq!(
        documents::rules::policy_rules(&resolved).unwrap().ki_pass,
        None
    );
}

/// Issue 24.2: the permission to send a pseudonymised request out of the
/// house is one answer that both the policy's sentence and the rule set
/// read; without the answer it is off.
#[test]
fn the_pseudonymisation_text_and_rule_come_from_the_same_answer() {
    let policy = builtin_templates()
        .into_iter()
        .find(|t| t.id == "ki-richtlinie")
        .unwrap();
    let mut answers = Map::new();
    let markdown = policy.render(&answers, &prefill()).unwrap();
    assert!(markdown.contains("Eine pseudonymisierte Weitergabe ist nicht vorgesehen."));
    let resolved = policy.resolve_answers(&answers, &prefill()).unwrap();
    assert!(
        !documents::rules::policy_rules(&resolved)
            .unwrap()
            .pseudonymise_remote
    );

    answers.insert("pseudonymisierung_remote".into(), json!(true));
    let markdown = policy.render(&answers, &prefill()).unwrap();
    assert!(
        markdown.contains("geht sie pseudonymisiert dorthin"),
        "{markdown}"
    );
    assert!(!markdown.contains("nicht vorgesehen"));
    let resolved = policy.resolve_answers(&answers, &prefill()).unwrap();
    let rules = documents::rules::policy_rules(&resolved).unwrap();
    assert!(rules.pseudonymise_remote);
    let json: serde_json::Value = serde_json::from_str(&rules.to_json()).unwrap();
    assert_eq!(json["pseudonymise_remote"], true);
}

#[test]
fn every_required_question_of_every_template_must_be_answered() {
    for t in builtin_templates() {
        let defaults = t.initial_answers(&prefill());
        for q in t.questions.iter().filter(|q| q.required) {
            let empty = match q.kind {
                documents::template::QuestionKind::Multi => json!([]),
                documents::template::QuestionKind::Bool => continue,
                _ => json!("  "),
            };
            let mut answers: Map<String, Value> = defaults.clone();
            answers.insert(q.name.clone(), empty);
            match t.render(&answers, &prefill()) {
                Err(documents::RenderError::MissingAnswers(names)) => {
                    assert_eq!(names, std::slice::from_ref(&q.name), "{}: {}", t.id, q.name);
                }
                other => panic!("{}: {} left empty gave {other:?}", t.id, q.name),
            }
        }
    }
}
