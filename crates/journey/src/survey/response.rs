//! One person's answers: checked against the questionnaire, with conditions
//! applied, and turned into typed [`Answer`]s.
//!
//! Input comes as loose JSON values per question id (from the JSON API) or
//! as form pairs (from the HTML form, see [`input_from_form`]). Whatever is
//! wrong is reported per question in German; nothing is half-accepted.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::{Choices, ConditionTest, Question, QuestionKind, Questionnaire, ScalePoint};

/// Raw answers by question id, as sent by a client.
pub type ResponseInput = BTreeMap<String, Value>;

/// A checked answer. Stored as JSON in this externally tagged form, which
/// keeps a Likert value and a number apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Choice(String),
    Choices(Vec<String>),
    Scale(i64),
    Matrix(BTreeMap<String, i64>),
    Number(f64),
    Text(String),
}

/// One person's checked answers. Holds nothing that identifies them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Response {
    pub answers: BTreeMap<String, Answer>,
}

impl Response {
    /// The chosen option of a single-choice question.
    pub fn choice(&self, question: &str) -> Option<&str> {
        match self.answers.get(question) {
            Some(Answer::Choice(c)) => Some(c),
            _ => None,
        }
    }

    /// The answers as loose input again, e.g. to check a stored draft
    /// against the questionnaire once more.
    pub fn to_input(&self) -> ResponseInput {
        self.answers
            .iter()
            .map(|(id, a)| {
                let v = match a {
                    Answer::Choice(c) | Answer::Text(c) => Value::from(c.clone()),
                    Answer::Choices(cs) => Value::from(cs.clone()),
                    Answer::Scale(v) => Value::from(*v),
                    Answer::Matrix(rows) => Value::Object(
                        rows.iter()
                            .map(|(k, v)| (k.clone(), Value::from(*v)))
                            .collect(),
                    ),
                    Answer::Number(x) => Value::from(*x),
                };
                (id.clone(), v)
            })
            .collect()
    }

    /// The answers as HTML form pairs (the inverse of [`input_from_form`]),
    /// to fill the form again when someone continues a saved draft.
    pub fn form_pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (id, a) in &self.answers {
            match a {
                Answer::Choice(c) | Answer::Text(c) => out.push((id.clone(), c.clone())),
                Answer::Choices(cs) => out.extend(cs.iter().map(|c| (id.clone(), c.clone()))),
                Answer::Scale(v) => out.push((id.clone(), v.to_string())),
                Answer::Matrix(rows) => out.extend(
                    rows.iter()
                        .map(|(item, v)| (format!("{id}.{item}"), v.to_string())),
                ),
                Answer::Number(x) => out.push((id.clone(), x.to_string())),
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerError {
    /// The question id.
    pub question: String,
    /// The form field: the question id, or `frage.item` for a matrix row.
    pub field: String,
    pub message: String,
}

/// Whether required questions must be answered (submit) or not (save a draft).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completeness {
    Complete,
    Draft,
}

/// Checks `input` against `q`. Answers to questions hidden by a condition
/// are left out of the result (the person may have changed an earlier answer).
pub fn validate_response(
    q: &Questionnaire,
    input: &ResponseInput,
    mode: Completeness,
) -> Result<Response, Vec<AnswerError>> {
    let mut errors = Vec::new();
    for id in input.keys() {
        if q.question(id).is_none() {
            errors.push(AnswerError {
                question: id.clone(),
                field: id.clone(),
                message: format!("Die Frage „{id}“ gibt es in diesem Fragebogen nicht."),
            });
        }
    }
    let mut answers = BTreeMap::new();
    for (_, question) in q.questions() {
        if !is_visible(question, &answers) {
            continue;
        }
        let raw = input.get(&question.id).unwrap_or(&Value::Null);
        match parse_answer(question, raw) {
            Ok(Some(answer)) => {
                if let (QuestionKind::LikertMatrix { items, .. }, Answer::Matrix(rows)) =
                    (&question.kind, &answer)
                {
                    if question.required && mode == Completeness::Complete {
                        for item in items.list.iter().filter(|i| !rows.contains_key(&i.id)) {
                            errors.push(AnswerError {
                                question: question.id.clone(),
                                field: format!("{}.{}", question.id, item.id),
                                message: format!("Bitte auch „{}“ beantworten.", item.label),
                            });
                        }
                    }
                }
                answers.insert(question.id.clone(), answer);
            }
            Ok(None) => {
                if question.required && mode == Completeness::Complete {
                    errors.push(AnswerError {
                        question: question.id.clone(),
                        field: question.id.clone(),
                        message: "Bitte beantworten Sie diese Frage.".to_string(),
                    });
                }
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(Response { answers })
    } else {
        Err(errors)
    }
}

/// Ids of the questions shown for these answers, in document order.
pub fn visible_questions(q: &Questionnaire, answers: &BTreeMap<String, Answer>) -> Vec<String> {
    let mut shown: BTreeMap<String, Answer> = BTreeMap::new();
    let mut out = Vec::new();
    for (_, question) in q.questions() {
        if is_visible(question, &shown) {
            out.push(question.id.clone());
            if let Some(a) = answers.get(&question.id) {
                shown.insert(question.id.clone(), a.clone());
            }
        }
    }
    out
}

/// `answers` holds only answers of visible questions, so a condition on a
/// hidden question is false and hiding is transitive.
fn is_visible(question: &Question, answers: &BTreeMap<String, Answer>) -> bool {
    let Some(cond) = &question.show_if else {
        return true;
    };
    let answer = answers.get(&cond.question);
    match (&cond.test, answer) {
        (ConditionTest::Equals(v), Some(Answer::Choice(c))) => c == v,
        (ConditionTest::Equals(v), Some(Answer::Scale(s))) => s.to_string() == *v,
        (ConditionTest::AnyOf(vs), Some(Answer::Choice(c))) => vs.contains(c),
        (ConditionTest::AnyOf(vs), Some(Answer::Scale(s))) => vs.contains(&s.to_string()),
        (ConditionTest::Contains(v), Some(Answer::Choices(cs))) => cs.contains(v),
        _ => false,
    }
}

fn err(question: &Question, message: String) -> Vec<AnswerError> {
    vec![AnswerError {
        question: question.id.clone(),
        field: question.id.clone(),
        message,
    }]
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn as_integer(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn on_scale(scale: &[ScalePoint], v: &Value) -> Option<i64> {
    as_integer(v).filter(|x| scale.iter().any(|p| p.value == *x))
}

fn scale_hint(scale: &[ScalePoint]) -> String {
    match (scale.first(), scale.last()) {
        (Some(a), Some(b)) => format!("{} bis {}", a.value, b.value),
        _ => String::new(),
    }
}

fn option<'a>(
    question: &Question,
    options: &'a Choices,
    id: &str,
) -> Result<&'a str, Vec<AnswerError>> {
    options.get(id).map(|o| o.id.as_str()).ok_or_else(|| {
        err(
            question,
            format!(
                "„{}“ ist keine Antwortmöglichkeit dieser Frage.",
                shorten(id)
            ),
        )
    })
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// `Ok(None)`: not answered.
fn parse_answer(question: &Question, raw: &Value) -> Result<Option<Answer>, Vec<AnswerError>> {
    if raw.is_null() {
        return Ok(None);
    }
    match &question.kind {
        QuestionKind::SingleChoice { options } => {
            let Some(s) = as_text(raw) else {
                return Err(err(
                    question,
                    "Bitte genau eine Antwort auswählen.".to_string(),
                ));
            };
            if s.is_empty() {
                return Ok(None);
            }
            Ok(Some(Answer::Choice(
                option(question, options, &s)?.to_string(),
            )))
        }
        QuestionKind::MultipleChoice {
            options,
            max_choices,
        } => {
            let list: Vec<Value> = match raw {
                Value::Array(a) => a.clone(),
                Value::String(s) if s.is_empty() => Vec::new(),
                v @ Value::String(_) => vec![v.clone()],
                _ => {
                    return Err(err(
                        question,
                        "Bitte eine oder mehrere Antworten auswählen.".to_string(),
                    ))
                }
            };
            let mut chosen = BTreeSet::new();
            for v in &list {
                let Some(s) = as_text(v) else {
                    return Err(err(
                        question,
                        "Bitte eine oder mehrere Antworten auswählen.".to_string(),
                    ));
                };
                chosen.insert(option(question, options, &s)?.to_string());
            }
            if chosen.is_empty() {
                return Ok(None);
            }
            if chosen.len() > 1 {
                if let Some(ex) = options
                    .list
                    .iter()
                    .find(|o| o.exclusive && chosen.contains(&o.id))
                {
                    return Err(err(
                        question,
                        format!(
                            "„{}“ kann nicht zusammen mit anderen Antworten gewählt werden.",
                            ex.label
                        ),
                    ));
                }
            }
            if let Some(max) = max_choices {
                if chosen.len() > *max as usize {
                    return Err(err(
                        question,
                        format!("Bitte höchstens {max} Antworten auswählen."),
                    ));
                }
            }
            // Keep the questionnaire's order, not the client's.
            let ordered = options
                .list
                .iter()
                .filter(|o| chosen.contains(&o.id))
                .map(|o| o.id.clone())
                .collect();
            Ok(Some(Answer::Choices(ordered)))
        }
        QuestionKind::Likert { scale } => {
            if raw.as_str() == Some("") {
                return Ok(None);
            }
            on_scale(scale, raw)
                .map(|v| Some(Answer::Scale(v)))
                .ok_or_else(|| {
                    err(
                        question,
                        format!("Bitte einen Wert der Skala wählen ({}).", scale_hint(scale)),
                    )
                })
        }
        QuestionKind::LikertMatrix { items, scale } => {
            let Value::Object(map) = raw else {
                return Err(err(
                    question,
                    "Bitte für jede Aussage einen Wert wählen.".to_string(),
                ));
            };
            let mut rows = BTreeMap::new();
            let mut errors = Vec::new();
            for (item, v) in map {
                let field = format!("{}.{}", question.id, item);
                if items.get(item).is_none() {
                    errors.push(AnswerError {
                        question: question.id.clone(),
                        field,
                        message: format!(
                            "Die Aussage „{}“ gibt es bei dieser Frage nicht.",
                            shorten(item)
                        ),
                    });
                    continue;
                }
                if v.is_null() || v.as_str() == Some("") {
                    continue;
                }
                match on_scale(scale, v) {
                    Some(x) => {
                        rows.insert(item.clone(), x);
                    }
                    None => errors.push(AnswerError {
                        question: question.id.clone(),
                        field,
                        message: format!(
                            "Bitte einen Wert der Skala wählen ({}).",
                            scale_hint(scale)
                        ),
                    }),
                }
            }
            if !errors.is_empty() {
                return Err(errors);
            }
            Ok((!rows.is_empty()).then_some(Answer::Matrix(rows)))
        }
        QuestionKind::Number {
            min,
            max,
            integer,
            unit,
        } => {
            let x = match raw {
                Value::Number(n) => n.as_f64(),
                Value::String(s) if s.trim().is_empty() => return Ok(None),
                // German forms write a decimal comma.
                Value::String(s) => s.trim().replace(',', ".").parse::<f64>().ok(),
                _ => None,
            };
            let Some(x) = x.filter(|x| x.is_finite()) else {
                return Err(err(question, "Bitte eine Zahl eingeben.".to_string()));
            };
            if *integer && x.fract() != 0.0 {
                return Err(err(question, "Bitte eine ganze Zahl eingeben.".to_string()));
            }
            let unit = unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
            if let Some(lo) = min.filter(|lo| x < *lo) {
                return Err(err(
                    question,
                    format!("Bitte mindestens {lo}{unit} angeben."),
                ));
            }
            if let Some(hi) = max.filter(|hi| x > *hi) {
                return Err(err(
                    question,
                    format!("Bitte höchstens {hi}{unit} angeben."),
                ));
            }
            Ok(Some(Answer::Number(x)))
        }
        QuestionKind::Text { max_length, .. } => {
            let Value::String(s) = raw else {
                return Err(err(question, "Bitte einen Text eingeben.".to_string()));
            };
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            let len = s.chars().count();
            if len > *max_length as usize {
                return Err(err(
                    question,
                    format!("Der Text ist {len} Zeichen lang; erlaubt sind höchstens {max_length}. Bitte kürzen Sie ihn."),
                ));
            }
            if s.chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            {
                return Err(err(
                    question,
                    "Der Text enthält unzulässige Steuerzeichen.".to_string(),
                ));
            }
            Ok(Some(Answer::Text(s.to_string())))
        }
    }
}

/// Builds input from HTML form pairs: `frage=wert`, repeated for multiple
/// choice, `frage.item=wert` for matrix rows. Names starting with `_` (CSRF
/// token, navigation) are the portal's and are skipped; any other unknown
/// name is kept so that validation reports it.
pub fn input_from_form(q: &Questionnaire, pairs: &[(String, String)]) -> ResponseInput {
    let mut input = ResponseInput::new();
    for (name, value) in pairs {
        if name.starts_with('_') {
            continue;
        }
        if let Some((qid, item)) = name.split_once('.') {
            let entry = input
                .entry(qid.to_string())
                .or_insert_with(|| Value::Object(Default::default()));
            if let Value::Object(map) = entry {
                map.insert(item.to_string(), Value::String(value.clone()));
            }
            continue;
        }
        let multiple = matches!(
            q.question(name).map(|q| &q.kind),
            Some(QuestionKind::MultipleChoice { .. })
        );
        if multiple {
            let entry = input
                .entry(name.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = entry {
                if !value.is_empty() {
                    list.push(Value::String(value.clone()));
                }
            }
        } else {
            input.insert(name.clone(), Value::String(value.clone()));
        }
    }
    input
}

/// The errors of one section only (for page-by-page answering).
pub fn section_errors(
    q: &Questionnaire,
    section: &str,
    errors: &[AnswerError],
) -> Vec<AnswerError> {
    let ids: BTreeSet<&str> = q
        .sections
        .iter()
        .filter(|s| s.id == section)
        .flat_map(|s| s.questions.iter().map(|q| q.id.as_str()))
        .collect();
    errors
        .iter()
        .filter(|e| ids.contains(e.question.as_str()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::import::parse_questionnaire;
    use serde_json::json;

    fn questionnaire() -> Questionnaire {
        let yaml = r#"
id: t
title: Test
sections:
- id: s1
  title: Eins
  questions:
  - {id: nutzt, type: single_choice, text: Nutzen Sie KI?, required: true, options: [{id: ja, label: Ja}, {id: nein, label: Nein}]}
  - {id: werkzeuge, type: multiple_choice, text: Welche?, required: true, show_if: {question: nutzt, equals: ja}, max_choices: 2,
     options: [{id: chat, label: Chat}, {id: uebersetzung, label: Übersetzung}, {id: bild, label: Bild}, {id: keine, label: Keine davon, exclusive: true}]}
  - {id: chat_haeufig, type: likert, text: Wie oft Chat?, required: true, show_if: {question: werkzeuge, contains: chat}}
- id: s2
  title: Zwei
  questions:
  - {id: matrix, type: likert_matrix, text: M, required: true, items: [{id: a, label: A}, {id: b, label: B}]}
  - {id: stunden, type: number, text: Stunden, min: 0, max: 40, integer: true, unit: Stunden}
  - {id: idee, type: text, text: Idee, max_length: 10}
"#;
        parse_questionnaire(yaml.as_bytes()).unwrap().questionnaire
    }

    fn input(v: Value) -> ResponseInput {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_complete_answer_is_accepted_and_typed() {
        let r = validate_response(
            &questionnaire(),
            &input(
                json!({"nutzt": "ja", "werkzeuge": ["uebersetzung", "chat"], "chat_haeufig": 4,
                           "matrix": {"a": 1, "b": "5"}, "stunden": "2", "idee": " Protokolle "}),
            ),
            Completeness::Complete,
        )
        .unwrap();
        assert_eq!(
            r.answers["werkzeuge"],
            Answer::Choices(vec!["chat".into(), "uebersetzung".into()])
        );
        assert_eq!(r.answers["chat_haeufig"], Answer::Scale(4));
        assert_eq!(r.answers["stunden"], Answer::Number(2.0));
        assert_eq!(r.answers["idee"], Answer::Text("Protokolle".into()));
    }

    #[test]
    fn required_questions_hidden_by_a_condition_need_no_answer() {
        let r = validate_response(
            &questionnaire(),
            &input(json!({"nutzt": "nein", "matrix": {"a": 1, "b": 2}})),
            Completeness::Complete,
        );
        assert!(r.is_ok(), "{r:?}");
    }

    #[test]
    fn hiding_is_transitive_and_answers_to_hidden_questions_are_dropped() {
        let r = validate_response(
            &questionnaire(),
            &input(json!({"nutzt": "nein", "werkzeuge": ["chat"], "chat_haeufig": 3, "matrix": {"a": 1, "b": 2}})),
            Completeness::Complete,
        )
        .unwrap();
        assert!(!r.answers.contains_key("werkzeuge"));
        assert!(!r.answers.contains_key("chat_haeufig"));
    }

    #[test]
    fn missing_required_answers_and_matrix_rows_are_named() {
        let errors = validate_response(
            &questionnaire(),
            &input(json!({"nutzt": "ja", "werkzeuge": ["bild"], "matrix": {"a": 1}})),
            Completeness::Complete,
        )
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["matrix.b"]);
        let errors = validate_response(&questionnaire(), &input(json!({})), Completeness::Complete)
            .unwrap_err();
        assert_eq!(errors[0].question, "nutzt");
        assert_eq!(errors[0].message, "Bitte beantworten Sie diese Frage.");
    }

    #[test]
    fn a_draft_may_leave_required_questions_open() {
        assert!(validate_response(
            &questionnaire(),
            &input(json!({"stunden": 3})),
            Completeness::Draft
        )
        .is_ok());
    }

    #[test]
    fn unknown_questions_options_and_wrong_types_are_refused() {
        let errors = validate_response(
            &questionnaire(),
            &input(json!({"gibtsnicht": 1, "nutzt": "vielleicht", "matrix": {"a": 9, "z": 1}, "stunden": [1]})),
            Completeness::Draft,
        )
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"gibtsnicht"));
        assert!(fields.contains(&"nutzt"));
        assert!(fields.contains(&"matrix.a"));
        assert!(fields.contains(&"matrix.z"));
        assert!(fields.contains(&"stunden"));
    }

    #[test]
    fn number_ranges_integers_and_decimal_commas_are_checked() {
        let q = questionnaire();
        let check =
            |v: Value| validate_response(&q, &input(json!({"stunden": v})), Completeness::Draft);
        assert!(check(json!("41")).unwrap_err()[0]
            .message
            .contains("höchstens 40 Stunden"));
        assert!(check(json!(-1)).unwrap_err()[0]
            .message
            .contains("mindestens 0"));
        assert!(check(json!("2,5")).unwrap_err()[0]
            .message
            .contains("ganze Zahl"));
        assert!(check(json!("NaN")).is_err());
        assert!(check(json!("")).unwrap().answers.is_empty());
    }

    #[test]
    fn overlong_free_text_is_refused_with_its_length() {
        let e = validate_response(
            &questionnaire(),
            &input(json!({"idee": "elf Zeichen"})),
            Completeness::Draft,
        )
        .unwrap_err();
        assert!(e[0].message.contains("11 Zeichen"), "{e:?}");
    }

    #[test]
    fn an_exclusive_option_cannot_be_combined_and_max_choices_holds() {
        let q = questionnaire();
        let e = validate_response(
            &q,
            &input(json!({"nutzt": "ja", "werkzeuge": ["chat", "keine"]})),
            Completeness::Draft,
        )
        .unwrap_err();
        assert!(e[0].message.contains("Keine davon"));
        let e = validate_response(
            &q,
            &input(json!({"nutzt": "ja", "werkzeuge": ["chat", "bild", "uebersetzung"]})),
            Completeness::Draft,
        )
        .unwrap_err();
        assert!(e[0].message.contains("höchstens 2"));
    }

    #[test]
    fn form_pairs_become_input_with_repeated_and_matrix_fields() {
        let q = questionnaire();
        let pairs: Vec<(String, String)> = [
            ("_csrf", "x"),
            ("nutzt", "ja"),
            ("werkzeuge", "chat"),
            ("werkzeuge", "bild"),
            ("chat_haeufig", "5"),
            ("matrix.a", "2"),
            ("matrix.b", "3"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let r =
            validate_response(&q, &input_from_form(&q, &pairs), Completeness::Complete).unwrap();
        assert_eq!(
            r.answers["matrix"],
            Answer::Matrix([("a".into(), 2), ("b".into(), 3)].into())
        );
        assert_eq!(visible_questions(&q, &r.answers).len(), 6);
    }

    #[test]
    fn section_errors_keep_only_that_page() {
        let q = questionnaire();
        let errors = validate_response(&q, &input(json!({})), Completeness::Complete).unwrap_err();
        let page2 = section_errors(&q, "s2", &errors);
        assert!(page2.iter().all(|e| e.question == "matrix"), "{page2:?}");
        assert!(!page2.is_empty());
    }

    #[test]
    fn a_checked_response_survives_input_and_form_round_trips() {
        let q = questionnaire();
        let r = validate_response(
            &q,
            &input(
                json!({"nutzt": "ja", "werkzeuge": ["chat", "bild"], "chat_haeufig": 2,
                           "matrix": {"a": 1, "b": 5}, "stunden": 12, "idee": "A, \"b\""}),
            ),
            Completeness::Complete,
        )
        .unwrap();
        assert_eq!(
            validate_response(&q, &r.to_input(), Completeness::Complete),
            Ok(r.clone())
        );
        let from_form = input_from_form(&q, &r.form_pairs());
        assert_eq!(
            validate_response(&q, &from_form, Completeness::Complete),
            Ok(r)
        );
    }

    #[test]
    fn stored_answers_round_trip_through_json() {
        let r = Response {
            answers: [
                ("a".to_string(), Answer::Scale(3)),
                ("b".to_string(), Answer::Number(3.0)),
            ]
            .into(),
        };
        let back: Response = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }
}
