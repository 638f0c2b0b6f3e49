//! Task sets: German administrative tasks with references, as data. The
//! defaults under `content/de/bench/` are compiled in, so the binary needs no
//! files; a municipality adds its own file in the same format
//! (`schemas/bench-tasks.schema.json`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::BenchError;
use crate::schema_check::{check_against_schema, yaml_path, Echo};
use crate::score;

/// JSON Schema of a task file.
pub const TASKS_SCHEMA: &str = include_str!("../../../schemas/bench-tasks.schema.json");

/// The shipped task files by id, as YAML text.
pub const BUILTIN: [(&str, &str); 5] = [
    (
        "weiterleitung",
        include_str!("../../../content/de/bench/weiterleitung.yaml"),
    ),
    (
        "extraktion",
        include_str!("../../../content/de/bench/extraktion.yaml"),
    ),
    (
        "zusammenfassung",
        include_str!("../../../content/de/bench/zusammenfassung.yaml"),
    ),
    (
        "leichte-sprache",
        include_str!("../../../content/de/bench/leichte-sprache.yaml"),
    ),
    (
        "auskunft",
        include_str!("../../../content/de/bench/auskunft.yaml"),
    ),
];

/// Ids of the built-in task sets.
pub fn builtin_ids() -> Vec<&'static str> {
    BUILTIN.iter().map(|(id, _)| *id).collect()
}

/// A built-in task set by id.
pub fn builtin(id: &str) -> Result<TaskSet, BenchError> {
    let (_, text) = BUILTIN
        .iter()
        .find(|(i, _)| *i == id)
        .ok_or_else(|| BenchError::Tasks {
            file: id.into(),
            field: "id".into(),
            message: format!("keine eingebaute Aufgabe {id:?}"),
        })?;
    parse_tasks(text, &format!("{id}.yaml (eingebaut)"))
}

/// Reads a municipality's own task file.
pub fn load_task_file(path: &Path) -> Result<TaskSet, BenchError> {
    let text = std::fs::read_to_string(path).map_err(|source| BenchError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_tasks(&text, &path.display().to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Route a citizen's email to a department; scored by accuracy.
    Routing,
    /// Extract fields from an application into JSON; JSON validity, field F1.
    Extraction,
    /// Summarise a council document; ROUGE-L, chrF, length ratio.
    Summary,
    /// Rewrite a decision paragraph in plain language; readability gain, chrF to source.
    PlainLanguage,
    /// Answer from a given context; required facts, refusal when not in context.
    Qa,
}

impl TaskKind {
    /// What the main score of this kind means, for the report.
    pub fn main_metric_de(self) -> &'static str {
        match self {
            TaskKind::Routing => {
                "Anteil der Anliegen, die dem richtigen Fachbereich zugeordnet wurden"
            }
            TaskKind::Extraction => {
                "Anteil richtig erfasster Angaben: wie viele der erwarteten Felder stimmen und \
                 wie viele der gelieferten Felder richtig sind, zusammengefasst"
            }
            TaskKind::Summary => {
                "Übereinstimmung mit einer von Menschen geschriebenen Zusammenfassung (in \
                 Wörtern und Zeichen), mal dem Anteil erhaltener Pflichtangaben wie Beträge \
                 und Termine"
            }
            TaskKind::PlainLanguage => {
                "Texte, die leichter lesbar sind als die Vorlage und dabei Inhalt und \
                 Pflichtangaben (Fristen, Beträge, Paragrafen) behalten"
            }
            TaskKind::Qa => {
                "Anteil der verlangten Fakten in der Auskunft; bei Fragen, die die Unterlagen \
                 nicht beantworten, zählt die richtige Ablehnung"
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSet {
    pub id: String,
    pub kind: TaskKind,
    pub title: String,
    /// Instruction sent as the system message.
    pub system: String,
    /// Routing: the departments to choose from.
    #[serde(default)]
    pub labels: Vec<String>,
    pub items: Vec<TaskItem>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskItem {
    pub id: String,
    /// The text to work on (email, application, document, paragraph, question).
    pub input: String,
    /// Routing: the right department.
    #[serde(default)]
    pub label: Option<String>,
    /// Extraction: the expected fields.
    #[serde(default)]
    pub expected: Option<Map<String, Value>>,
    /// Summary, plain language: a reference text written by a person.
    #[serde(default)]
    pub reference: Option<String>,
    /// Q&A: the context the answer must come from.
    #[serde(default)]
    pub context: Option<String>,
    /// Q&A: facts a complete answer contains; summary and plain language:
    /// facts the answer must keep (`|` separates spellings).
    #[serde(default)]
    pub facts: Vec<String>,
    /// Summary, plain language: what the answer must keep from the input
    /// (deadlines, amounts, legal references; `|` separates spellings).
    #[serde(default)]
    pub must_keep: Vec<String>,
    /// Q&A: false when the context does not hold the answer.
    #[serde(default = "yes")]
    pub answerable: bool,
}

fn yes() -> bool {
    true
}

/// Parses and checks a task file; `file` names it in error messages.
pub fn parse_tasks(yaml: &str, file: &str) -> Result<TaskSet, BenchError> {
    let to_tasks_err = |e: BenchError| match e {
        BenchError::Spec { field, message } => BenchError::Tasks {
            file: file.into(),
            field,
            message,
        },
        other => other,
    };
    let value: Value = serde_yaml::from_str(yaml).map_err(|e| BenchError::Tasks {
        file: file.into(),
        field: e
            .location()
            .map(|l| format!("Zeile {}, Spalte {}", l.line(), l.column()))
            .unwrap_or_default(),
        // serde_yaml's messages describe the syntax, but the location is
        // all the reader needs and cannot leak a line of the file.
        message: "Kein gültiges YAML".into(),
    })?;
    check_against_schema(&value, TASKS_SCHEMA, Echo::Never).map_err(to_tasks_err)?;
    let set: TaskSet = serde_json::from_value(value).map_err(|_| BenchError::Tasks {
        file: file.into(),
        field: "(Wurzel)".into(),
        message: "Aufbau passt nicht zum Schema der Aufgabendateien".into(),
    })?;
    let fail = |i: usize, field: &str, message: String| BenchError::Tasks {
        file: file.into(),
        field: yaml_path(&format!("/items/{i}/{field}")),
        message,
    };
    for (i, item) in set.items.iter().enumerate() {
        let keeps_content = matches!(
            set.kind,
            TaskKind::Summary | TaskKind::PlainLanguage | TaskKind::Qa
        );
        if !keeps_content && !item.facts.is_empty() {
            return Err(fail(
                i,
                "facts",
                "facts gilt nur für summary, plain_language und qa".into(),
            ));
        }
        if !matches!(set.kind, TaskKind::Summary | TaskKind::PlainLanguage)
            && !item.must_keep.is_empty()
        {
            return Err(fail(
                i,
                "must_keep",
                "must_keep gilt nur für summary und plain_language".into(),
            ));
        }
        match set.kind {
            TaskKind::Routing => match &item.label {
                None => return Err(fail(i, "label", "Pflichtfeld label fehlt".into())),
                Some(l) if !set.labels.contains(l) => {
                    return Err(fail(i, "label", "steht nicht in labels".into()))
                }
                Some(_) => {}
            },
            TaskKind::Extraction if item.expected.is_none() => {
                return Err(fail(i, "expected", "Pflichtfeld expected fehlt".into()))
            }
            TaskKind::Summary if item.reference.is_none() => {
                return Err(fail(i, "reference", "Pflichtfeld reference fehlt".into()))
            }
            TaskKind::Qa if item.context.is_none() => {
                return Err(fail(i, "context", "Pflichtfeld context fehlt".into()))
            }
            TaskKind::Qa if item.answerable && item.facts.is_empty() => {
                return Err(fail(
                    i,
                    "facts",
                    "beantwortbare Fragen brauchen mindestens einen Fakt".into(),
                ))
            }
            _ => {}
        }
    }
    if set.kind == TaskKind::Routing && set.labels.is_empty() {
        return Err(BenchError::Tasks {
            file: file.into(),
            field: "labels".into(),
            message: "Weiterleitung braucht eine Liste der Fachbereiche".into(),
        });
    }
    Ok(set)
}

/// One chat message of the OpenAI API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

impl TaskSet {
    /// The messages sent for an item.
    pub fn messages(&self, item: &TaskItem) -> Vec<ChatMessage> {
        let mut system = self.system.trim().to_string();
        if self.kind == TaskKind::Routing {
            system.push_str("\nFachbereiche: ");
            system.push_str(&self.labels.join("; "));
        }
        let user = match (&self.kind, &item.context) {
            (TaskKind::Qa, Some(ctx)) => {
                format!(
                    "Unterlagen:\n{}\n\nFrage: {}",
                    ctx.trim(),
                    item.input.trim()
                )
            }
            _ => item.input.trim().to_string(),
        };
        vec![
            ChatMessage {
                role: "system".into(),
                content: system,
            },
            ChatMessage {
                role: "user".into(),
                content: user,
            },
        ]
    }

    /// The answer a perfect assistant would give. The mock server in tests
    /// answers with it, and it documents what the scorer expects.
    pub fn reference_answer(&self, item: &TaskItem) -> String {
        match self.kind {
            TaskKind::Routing => item.label.clone().unwrap_or_default(),
            TaskKind::Extraction => item
                .expected
                .as_ref()
                .map(|m| Value::Object(m.clone()).to_string())
                .unwrap_or_default(),
            TaskKind::Summary | TaskKind::PlainLanguage => {
                item.reference.clone().unwrap_or_default()
            }
            TaskKind::Qa if item.answerable => item
                .facts
                .iter()
                .map(|f| f.split('|').next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(", "),
            TaskKind::Qa => "Das geht aus den Unterlagen nicht hervor.".into(),
        }
    }

    /// Scores one answer. `main` is in 0..=1 for every kind; `metrics` holds
    /// the individual measures that apply to this item.
    pub fn score(&self, item: &TaskItem, answer: &str) -> ItemScore {
        let mut m = BTreeMap::new();
        let messages = self.messages(item);
        let echo = score::is_echo(
            answer,
            &messages[0].content,
            &messages[1].content,
            &self.reference_answer(item),
        );
        m.insert("echo".into(), if echo { 1.0 } else { 0.0 });
        if echo {
            return ItemScore {
                main: 0.0,
                metrics: m,
            };
        }
        // What a summary or a rewrite must keep: both lists count.
        let required: Vec<String> = item.must_keep.iter().chain(&item.facts).cloned().collect();
        let main = match self.kind {
            TaskKind::Routing => {
                let right = routed_label(answer, &self.labels).as_deref() == item.label.as_deref();
                let v = if right { 1.0 } else { 0.0 };
                m.insert("accuracy".into(), v);
                v
            }
            TaskKind::Extraction => {
                let expected = item.expected.clone().unwrap_or_default();
                match score::extract_json_object(answer) {
                    Some(pred) => {
                        let f = score::field_f1(&pred, &expected);
                        m.insert("json_valid".into(), 1.0);
                        m.insert("field_precision".into(), f.precision);
                        m.insert("field_recall".into(), f.recall);
                        m.insert("field_f1".into(), f.f1);
                        f.f1
                    }
                    None => {
                        m.insert("json_valid".into(), 0.0);
                        m.insert("field_f1".into(), 0.0);
                        0.0
                    }
                }
            }
            TaskKind::Summary => {
                let reference = item.reference.as_deref().unwrap_or("");
                let r = score::rouge_l(answer, reference);
                let c = score::chrf(answer, reference);
                let ref_words = score::text::words(reference).len().max(1);
                m.insert("rouge_l".into(), r);
                m.insert("chrf".into(), c);
                m.insert(
                    "length_ratio".into(),
                    score::text::words(answer).len() as f64 / ref_words as f64,
                );
                let kept = score::facts_coverage(answer, &required);
                m.insert("kept".into(), kept);
                (r + c / 100.0) / 2.0 * kept
            }
            TaskKind::PlainLanguage => {
                let chrf_src = score::chrf(answer, &item.input);
                m.insert("chrf_source".into(), chrf_src);
                if let Some(reference) = &item.reference {
                    m.insert("chrf_reference".into(), score::chrf(answer, reference));
                }
                match (score::readability(&item.input), score::readability(answer)) {
                    (Some(src), Some(out)) => {
                        let fre_gain = out.flesch_amstad - src.flesch_amstad;
                        let wstf_gain = src.wstf[0] - out.wstf[0];
                        m.insert("flesch_gain".into(), fre_gain);
                        m.insert("wstf1_gain".into(), wstf_gain);
                        let kept = score::facts_coverage(answer, &required);
                        m.insert("kept".into(), kept);
                        let close_to_source = chrf_src >= PLAIN_MIN_CHRF_SOURCE;
                        if fre_gain > 0.0 && wstf_gain > 0.0 && close_to_source {
                            kept
                        } else {
                            0.0
                        }
                    }
                    _ => 0.0,
                }
            }
            TaskKind::Qa => {
                let refused = score::is_refusal(answer);
                if item.answerable {
                    let cov = if refused {
                        0.0
                    } else {
                        score::facts_coverage(answer, &item.facts)
                    };
                    m.insert("facts_coverage".into(), cov);
                    cov
                } else {
                    let v = if refused { 1.0 } else { 0.0 };
                    m.insert("refusal_correct".into(), v);
                    v
                }
            }
        };
        ItemScore { main, metrics: m }
    }
}

/// A single measure of an answer in plain German, for the report. Unknown
/// keys (from newer report files) are shown as they are.
pub fn metric_de(key: &str) -> &str {
    match key {
        "echo" => "wiederholt nur Anweisung oder Eingabe (Anteil, zählt 0 Punkte)",
        "accuracy" => "richtig zugeordnet (Anteil)",
        "json_valid" => "lesbare Datenstruktur geliefert (Anteil)",
        "field_precision" => "gelieferte Felder, die stimmen (Anteil)",
        "field_recall" => "erwartete Felder, die geliefert wurden (Anteil)",
        "field_f1" => "Felder insgesamt richtig (Anteil, Mittel aus beiden)",
        "rouge_l" => "gleiche Wörter in gleicher Reihenfolge wie die Musterlösung (0–1)",
        "chrf" => "gleiche Zeichenfolgen wie die Musterlösung (0–100)",
        "length_ratio" => "Länge im Verhältnis zur Musterlösung (1 = gleich lang)",
        "kept" => "Pflichtangaben erhalten (Anteil)",
        "chrf_source" => {
            "Nähe zum Ausgangstext in Zeichenfolgen (0–100; zu wenig heißt Inhalt verloren)"
        }
        "chrf_reference" => "Nähe zur Musterlösung in Zeichenfolgen (0–100)",
        "flesch_gain" => "Lesbarkeit gewonnen (Flesch-Punkte, mehr ist leichter)",
        "wstf1_gain" => "Schulstufen leichter (Wiener Sachtextformel)",
        "facts_coverage" => "verlangte Fakten genannt (Anteil)",
        "refusal_correct" => "richtig abgelehnt, weil die Unterlagen es nicht hergeben (Anteil)",
        other => other,
    }
}

/// Below this chrF against the source a plain-language rewrite has likely
/// lost the content: the human rewrites in our set score 18 to 43, an
/// unrelated sentence about 7.
const PLAIN_MIN_CHRF_SOURCE: f64 = 15.0;

/// The department named in an answer: the label that occurs first (as whole
/// words, folded), so "Bürgeramt, nicht Ordnungsamt" routes to Bürgeramt.
pub fn routed_label(answer: &str, labels: &[String]) -> Option<String> {
    let hay = format!(" {} ", score::text::fold(answer));
    labels
        .iter()
        .filter_map(|l| {
            let needle = format!(" {} ", score::text::fold(l));
            hay.find(&needle).map(|pos| (pos, l))
        })
        .min_by_key(|(pos, _)| *pos)
        .map(|(_, l)| l.clone())
}

/// The score of one answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemScore {
    pub main: f64,
    pub metrics: BTreeMap<String, f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_task_set_parses_and_has_twenty_items() {
        for id in builtin_ids() {
            let set = builtin(id).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(set.id, id);
            assert!(set.items.len() >= 20, "{id} has {} items", set.items.len());
            let mut ids = std::collections::HashSet::new();
            for item in &set.items {
                assert!(ids.insert(&item.id), "{id}: duplicate item id {}", item.id);
            }
        }
    }

    #[test]
    fn reference_answers_score_full_marks() {
        for id in builtin_ids() {
            let set = builtin(id).unwrap();
            for item in &set.items {
                let s = set.score(item, &set.reference_answer(item));
                let min = if set.kind == TaskKind::PlainLanguage {
                    1.0
                } else {
                    0.999
                };
                assert!(s.main >= min, "{id}/{}: {s:?}", item.id);
            }
        }
    }

    #[test]
    fn an_answer_repeating_the_instruction_or_the_input_scores_zero_in_every_task_set() {
        for id in builtin_ids() {
            let set = builtin(id).unwrap();
            for item in &set.items {
                let msgs = set.messages(item);
                for (what, echo) in [
                    ("instruction", &msgs[0].content),
                    ("input", &msgs[1].content),
                ] {
                    let s = set.score(item, echo);
                    assert_eq!(s.main, 0.0, "{id}/{} {what}: {s:?}", item.id);
                    assert_eq!(s.metrics["echo"], 1.0);
                }
                // Only the first sentence of the instruction is still an echo.
                let first = set.system.split('.').next().unwrap();
                assert_eq!(set.score(item, first).main, 0.0, "{id}/{}", item.id);
            }
        }
    }

    #[test]
    fn summaries_and_rewrites_that_drop_what_must_be_kept_lose_points() {
        for id in ["leichte-sprache", "zusammenfassung"] {
            let set = builtin(id).unwrap();
            for item in &set.items {
                assert!(
                    !item.must_keep.is_empty(),
                    "{id}/{} has no must_keep",
                    item.id
                );
            }
        }
        let set = builtin("leichte-sprache").unwrap();
        let item = set.items.iter().find(|i| i.id == "l02").unwrap();
        let full = set.score(item, &set.reference_answer(item));
        let without_date = set.score(
            item,
            &set.reference_answer(item)
                .replace("bis zum 15.03.2026", "rechtzeitig"),
        );
        assert_eq!(full.main, 1.0);
        assert_eq!(without_date.metrics["kept"], 0.5);
        assert!(without_date.main <= 0.5, "{without_date:?}");
        let set = builtin("zusammenfassung").unwrap();
        let item = &set.items[0];
        let reference = set.reference_answer(item);
        let without_cost = reference.replace("2,4 Millionen Euro", "viel Geld");
        let s = set.score(item, &without_cost);
        assert!(s.metrics["kept"] < 1.0 && s.main < 0.9, "{s:?}");
    }

    #[test]
    fn must_keep_and_facts_are_refused_where_no_scorer_reads_them() {
        let yaml = r#"
id: eigene
kind: routing
title: Test
system: Ordne zu.
labels: [Bauamt]
items:
  - id: a
    input: Hallo
    label: Bauamt
    must_keep: ["Hallo"]
"#;
        match parse_tasks(yaml, "eigene.yaml") {
            Err(BenchError::Tasks { field, message, .. }) => {
                assert_eq!(field, "items[0].must_keep");
                assert!(message.contains("nur für summary"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let yaml = yaml.replace("must_keep", "facts");
        assert!(matches!(
            parse_tasks(&yaml, "eigene.yaml"),
            Err(BenchError::Tasks { field, .. }) if field == "items[0].facts"
        ));
    }

    #[test]
    fn every_measure_has_a_plain_german_explanation() {
        for key in [
            "echo",
            "accuracy",
            "json_valid",
            "field_precision",
            "field_recall",
            "field_f1",
            "rouge_l",
            "chrf",
            "length_ratio",
            "kept",
            "chrf_source",
            "chrf_reference",
            "flesch_gain",
            "wstf1_gain",
            "facts_coverage",
            "refusal_correct",
        ] {
            let de = metric_de(key);
            assert_ne!(de, key);
            assert!(!de.contains('_'), "{key}: {de}");
        }
        // And every measure a scorer produces is among them.
        for id in builtin_ids() {
            let set = builtin(id).unwrap();
            for item in &set.items {
                for key in set.score(item, &set.reference_answer(item)).metrics.keys() {
                    assert_ne!(metric_de(key), key, "{id}: {key} unexplained");
                }
            }
        }
    }

    #[test]
    fn a_wrong_answer_scores_low() {
        for id in builtin_ids() {
            let set = builtin(id).unwrap();
            let item = &set.items[0];
            let s = set.score(item, "Dazu kann ich leider nichts sagen.");
            assert!(s.main < 0.3, "{id}: {s:?}");
        }
    }

    #[test]
    fn routing_takes_the_first_department_named() {
        let labels = vec!["Bürgeramt".to_string(), "Ordnungsamt".to_string()];
        assert_eq!(
            routed_label("Zuständig: Bürgeramt, nicht das Ordnungsamt.", &labels).as_deref(),
            Some("Bürgeramt")
        );
        assert_eq!(routed_label("weiß nicht", &labels), None);
    }

    #[test]
    fn a_task_file_with_an_unknown_label_is_rejected_with_the_field() {
        let yaml = r#"
id: eigene
kind: routing
title: Test
system: Ordne zu.
labels: [Bauamt]
items:
  - id: a
    input: Hallo
    label: Schulamt
"#;
        match parse_tasks(yaml, "eigene.yaml") {
            Err(BenchError::Tasks { field, message, .. }) => {
                assert_eq!(field, "items[0].label");
                assert!(message.contains("steht nicht in labels"), "{message}");
                assert!(!message.contains("Schulamt"), "no file content: {message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_error_in_a_task_file_never_quotes_the_file() {
        let passwd = "root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
";
        let mapping = "geheim: root:x:0:0:root
kind: routing
";
        let item = "id: a
kind: routing
title: T
system: S
labels: [A]
items:
  - id: a
    input: root:x:0:0
    label: 7
";
        for text in [passwd, mapping, item, "[unclosed root:x:0:0"] {
            let err = parse_tasks(text, "aufgaben.yaml").unwrap_err().to_string();
            assert!(
                !err.contains("root") && !err.contains("geheim"),
                "the error quotes the file: {err}"
            );
        }
    }

    #[test]
    fn qa_messages_carry_context_and_question() {
        let set = builtin("auskunft").unwrap();
        let msgs = set.messages(&set.items[0]);
        assert_eq!(msgs[0].role, "system");
        assert!(msgs[1].content.starts_with("Unterlagen:"));
        assert!(msgs[1].content.contains("Frage:"));
    }
}
