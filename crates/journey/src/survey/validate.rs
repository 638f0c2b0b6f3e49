//! What is wrong with a questionnaire, as a list of German messages that each
//! name the section or question they are about, so the editor can show them
//! beside the field.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::is_valid_id;
use super::model::{
    Choices, ConditionTest, OptionSource, Question, QuestionKind, QuestionType, Questionnaire,
    ScalePoint, MAX_TEXT_ANSWER,
};

pub const MAX_QUESTIONS: usize = 500;
pub const MAX_OPTIONS: usize = 200;
pub const MAX_SCALE_POINTS: usize = 11;
pub const MAX_LABEL_CHARS: usize = 2000;

/// One problem. `question` is the id of the question (or section) concerned,
/// `None` for the questionnaire as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub question: Option<String>,
    pub message: String,
}

/// Every problem found; an empty list means the questionnaire can be used.
pub fn validate_questionnaire(q: &Questionnaire) -> Vec<Issue> {
    let mut v = Validator { issues: Vec::new() };
    v.run(q);
    v.issues
}

struct Validator {
    issues: Vec<Issue>,
}

/// Text that looks like HTML or XML markup (`<p>`, `</b>`, `<!--`, `<?`).
/// Questionnaire texts are plain text; the portal escapes them when shown.
pub fn contains_markup(text: &str) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'/' | b'!' | b'?')))
}

impl Validator {
    fn push(&mut self, question: Option<&str>, message: String) {
        self.issues.push(Issue {
            question: question.map(str::to_string),
            message,
        });
    }

    fn text(&mut self, owner: Option<&str>, what: &str, text: &str, required: bool) {
        let name = owner.map(|o| format!("„{o}“: ")).unwrap_or_default();
        if required && text.trim().is_empty() {
            self.push(owner, format!("{name}{what} darf nicht leer sein."));
        }
        let len = text.chars().count();
        if len > MAX_LABEL_CHARS {
            self.push(
                owner,
                format!("{name}{what} ist zu lang ({len} Zeichen, höchstens {MAX_LABEL_CHARS})."),
            );
        }
        if contains_markup(text) {
            self.push(
                owner,
                format!("{name}{what} enthält HTML-Auszeichnungen; erlaubt ist nur reiner Text."),
            );
        }
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            self.push(
                owner,
                format!("{name}{what} enthält unzulässige Steuerzeichen."),
            );
        }
    }

    fn run(&mut self, q: &Questionnaire) {
        if !is_valid_id(&q.id) {
            self.push(
                None,
                format!(
                    "Die Kennung „{}“ des Fragebogens darf nur Buchstaben, Ziffern, _ und - enthalten (höchstens 64 Zeichen).",
                    q.id
                ),
            );
        }
        self.text(None, "Der Titel des Fragebogens", &q.title, true);
        if let Some(d) = &q.description {
            self.text(None, "Die Beschreibung des Fragebogens", d, false);
        }
        if q.sections.is_empty() {
            self.push(None, "Der Fragebogen hat keinen Abschnitt.".to_string());
        }
        let total: usize = q.sections.iter().map(|s| s.questions.len()).sum();
        if total > MAX_QUESTIONS {
            self.push(
                None,
                format!(
                    "Der Fragebogen hat {total} Fragen, höchstens {MAX_QUESTIONS} sind erlaubt."
                ),
            );
        }

        let mut section_ids = HashSet::new();
        let mut question_ids = HashSet::new();
        // Earlier questions by id, for conditions.
        let mut earlier: HashMap<&str, &Question> = HashMap::new();
        let mut all_ids: HashSet<&str> = HashSet::new();
        for (_, question) in q.questions() {
            all_ids.insert(&question.id);
        }
        let mut sources: HashMap<OptionSource, usize> = HashMap::new();

        for section in &q.sections {
            let sid = section.id.as_str();
            if !is_valid_id(sid) {
                self.push(
                    Some(sid),
                    format!("Abschnitt „{sid}“: Die Kennung darf nur Buchstaben, Ziffern, _ und - enthalten."),
                );
            }
            if !section_ids.insert(sid) {
                self.push(
                    Some(sid),
                    format!("Die Abschnittskennung „{sid}“ kommt mehrfach vor."),
                );
            }
            self.text(Some(sid), "Der Abschnittstitel", &section.title, true);
            if let Some(d) = &section.description {
                self.text(Some(sid), "Die Abschnittsbeschreibung", d, false);
            }
            if section.questions.is_empty() {
                self.push(Some(sid), format!("Abschnitt „{sid}“ enthält keine Frage."));
            }
            for question in &section.questions {
                let id = question.id.as_str();
                if !is_valid_id(id) {
                    self.push(
                        Some(id),
                        format!("Frage „{id}“: Die Kennung darf nur Buchstaben, Ziffern, _ und - enthalten (höchstens 64 Zeichen)."),
                    );
                }
                if !question_ids.insert(id) {
                    self.push(
                        Some(id),
                        format!("Die Fragekennung „{id}“ kommt mehrfach vor."),
                    );
                }
                self.text(Some(id), "Der Fragetext", &question.text, true);
                if let Some(help) = &question.help {
                    self.text(Some(id), "Der Hilfetext", help, false);
                }
                self.kind(question, &mut sources);
                if let Some(cond) = &question.show_if {
                    self.condition(question, cond, &earlier, &all_ids);
                }
                earlier.insert(id, question);
            }
        }
        for (source, count) in sources {
            if count > 1 && source != OptionSource::CompetencyAreas {
                let what = match source {
                    OptionSource::Departments => "Fachbereich",
                    _ => "Art der Tätigkeit",
                };
                self.push(
                    None,
                    format!("Nur eine Frage darf ihre Antworten aus „{what}“ beziehen ({count} gefunden)."),
                );
            }
        }
    }

    fn choices(&mut self, id: &str, what: &str, choices: &Choices) {
        if choices.list.is_empty() && choices.from.is_none() {
            self.push(Some(id), format!("Frage „{id}“: Es gibt keine {what}."));
        }
        if choices.list.len() > MAX_OPTIONS {
            self.push(
                Some(id),
                format!("Frage „{id}“: Höchstens {MAX_OPTIONS} {what} sind erlaubt."),
            );
        }
        let mut seen = HashSet::new();
        for option in &choices.list {
            if !is_valid_id(&option.id) {
                self.push(
                    Some(id),
                    format!("Frage „{id}“: Die Kennung „{}“ darf nur Buchstaben, Ziffern, _ und - enthalten.", option.id),
                );
            }
            if !seen.insert(option.id.as_str()) {
                self.push(
                    Some(id),
                    format!(
                        "Frage „{id}“: Die Kennung „{}“ kommt mehrfach vor.",
                        option.id
                    ),
                );
            }
            self.text(
                Some(id),
                &format!("Die Beschriftung von „{}“", option.id),
                &option.label,
                true,
            );
        }
    }

    fn scale(&mut self, id: &str, scale: &[ScalePoint]) {
        if scale.len() < 2 || scale.len() > MAX_SCALE_POINTS {
            self.push(
                Some(id),
                format!(
                    "Frage „{id}“: Eine Skala braucht 2 bis {MAX_SCALE_POINTS} Stufen (jetzt {}).",
                    scale.len()
                ),
            );
        }
        if scale.windows(2).any(|w| w[1].value <= w[0].value) {
            self.push(
                Some(id),
                format!(
                    "Frage „{id}“: Die Werte der Skala müssen aufsteigend und verschieden sein."
                ),
            );
        }
        for point in scale {
            self.text(
                Some(id),
                &format!("Die Beschriftung der Skalenstufe {}", point.value),
                &point.label,
                true,
            );
        }
    }

    fn kind(&mut self, question: &Question, sources: &mut HashMap<OptionSource, usize>) {
        let id = question.id.as_str();
        match &question.kind {
            QuestionKind::SingleChoice { options } => {
                self.choices(id, "Antwortmöglichkeiten", options);
                if options.list.iter().any(|o| o.exclusive) {
                    self.push(
                        Some(id),
                        format!("Frage „{id}“: „exclusive“ gibt es nur bei Mehrfachauswahl."),
                    );
                }
                if options.from == Some(OptionSource::CompetencyAreas) {
                    self.push(
                        Some(id),
                        format!("Frage „{id}“: Kompetenzbereiche gehören in eine Likert-Matrix."),
                    );
                }
                if let Some(source) = options.from {
                    *sources.entry(source).or_default() += 1;
                }
            }
            QuestionKind::MultipleChoice {
                options,
                max_choices,
            } => {
                self.choices(id, "Antwortmöglichkeiten", options);
                if let Some(source) = options.from {
                    if source != OptionSource::CompetencyAreas {
                        self.push(
                            Some(id),
                            format!("Frage „{id}“: Fachbereich und Art der Tätigkeit sind Einfachauswahlen."),
                        );
                    }
                }
                if let Some(max) = max_choices {
                    if *max == 0 || (options.from.is_none() && *max as usize > options.list.len()) {
                        self.push(
                            Some(id),
                            format!("Frage „{id}“: max_choices muss zwischen 1 und der Zahl der Antwortmöglichkeiten liegen."),
                        );
                    }
                }
            }
            QuestionKind::Likert { scale } => self.scale(id, scale),
            QuestionKind::LikertMatrix { items, scale } => {
                self.choices(id, "Aussagen (items)", items);
                self.scale(id, scale);
                if let Some(source) = items.from {
                    if source != OptionSource::CompetencyAreas {
                        self.push(
                            Some(id),
                            format!("Frage „{id}“: Aussagen einer Matrix können nur aus den Kompetenzbereichen kommen."),
                        );
                    }
                    *sources.entry(source).or_default() += 1;
                }
            }
            QuestionKind::Number { min, max, unit, .. } => {
                if min.is_some_and(|m| !m.is_finite()) || max.is_some_and(|m| !m.is_finite()) {
                    self.push(
                        Some(id),
                        format!("Frage „{id}“: Grenzen müssen endliche Zahlen sein."),
                    );
                }
                if let (Some(lo), Some(hi)) = (min, max) {
                    if lo > hi {
                        self.push(
                            Some(id),
                            format!("Frage „{id}“: Der Mindestwert {lo} liegt über dem Höchstwert {hi}."),
                        );
                    }
                }
                if let Some(unit) = unit {
                    self.text(Some(id), "Die Einheit", unit, false);
                }
            }
            QuestionKind::Text { max_length, .. } => {
                if *max_length == 0 || *max_length > MAX_TEXT_ANSWER {
                    self.push(
                        Some(id),
                        format!("Frage „{id}“: max_length muss zwischen 1 und {MAX_TEXT_ANSWER} liegen."),
                    );
                }
            }
        }
    }

    fn condition(
        &mut self,
        question: &Question,
        cond: &super::model::Condition,
        earlier: &HashMap<&str, &Question>,
        all_ids: &HashSet<&str>,
    ) {
        let id = question.id.as_str();
        let target = cond.question.as_str();
        let Some(referenced) = earlier.get(target) else {
            let message = if target == id {
                format!("Frage „{id}“: Die Bedingung verweist auf die Frage selbst.")
            } else if all_ids.contains(target) {
                format!("Frage „{id}“: Die Bedingung verweist auf die spätere Frage „{target}“; nur frühere Fragen sind erlaubt.")
            } else {
                format!("Frage „{id}“: Die Bedingung verweist auf die unbekannte Frage „{target}“.")
            };
            self.push(Some(id), message);
            return;
        };
        let kind = referenced.kind.question_type();
        let ok = matches!(
            (&cond.test, kind),
            (ConditionTest::Contains(_), QuestionType::MultipleChoice)
                | (
                    ConditionTest::Equals(_) | ConditionTest::AnyOf(_),
                    QuestionType::SingleChoice | QuestionType::Likert,
                )
        );
        if !ok {
            self.push(
                Some(id),
                format!("Frage „{id}“: Die Bedingung passt nicht zum Typ der Frage „{target}“ (contains für Mehrfachauswahl, equals/any_of für Einfachauswahl und Likert)."),
            );
            return;
        }
        let values: Vec<&String> = match &cond.test {
            ConditionTest::Equals(v) | ConditionTest::Contains(v) => vec![v],
            ConditionTest::AnyOf(vs) => vs.iter().collect(),
        };
        if values.is_empty() {
            self.push(
                Some(id),
                format!("Frage „{id}“: any_of braucht mindestens einen Wert."),
            );
        }
        for value in values {
            let known = match &referenced.kind {
                QuestionKind::SingleChoice { options }
                | QuestionKind::MultipleChoice { options, .. } => {
                    // Run-time lists cannot be checked before they are filled.
                    options.get(value).is_some()
                        || (options.from.is_some() && options.list.is_empty())
                }
                QuestionKind::Likert { scale } => {
                    scale.iter().any(|p| p.value.to_string() == *value)
                }
                _ => false,
            };
            if !known {
                self.push(
                    Some(id),
                    format!("Frage „{id}“: Die Bedingung nennt „{value}“, das es bei Frage „{target}“ nicht gibt."),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::import::parse_questionnaire_unchecked;

    fn parse(yaml: &str) -> Questionnaire {
        parse_questionnaire_unchecked(yaml.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn messages(yaml: &str) -> Vec<String> {
        validate_questionnaire(&parse(yaml))
            .into_iter()
            .map(|i| i.message)
            .collect()
    }

    const HEAD: &str = "id: t\ntitle: Test\nsections:\n- id: s\n  title: S\n  questions:\n";

    #[test]
    fn the_default_questionnaire_has_no_issues() {
        let q = crate::survey::default_questionnaire().unwrap();
        assert_eq!(validate_questionnaire(&q), vec![]);
    }

    #[test]
    fn duplicate_question_ids_are_named() {
        let m = messages(&format!(
            "{HEAD}  - {{id: q1, type: text, text: A}}\n  - {{id: q1, type: text, text: B}}\n"
        ));
        assert!(
            m.iter().any(|m| m.contains("„q1“ kommt mehrfach vor")),
            "{m:?}"
        );
    }

    #[test]
    fn a_condition_on_a_later_question_is_refused() {
        let m = messages(&format!(
            "{HEAD}  - {{id: a, type: text, text: A, show_if: {{question: b, equals: ja}}}}\n  - {{id: b, type: single_choice, text: B, options: [{{id: ja, label: Ja}}]}}\n"
        ));
        assert!(m.iter().any(|m| m.contains("spätere Frage „b“")), "{m:?}");
    }

    #[test]
    fn a_condition_on_an_unknown_question_or_option_is_refused() {
        let m = messages(&format!(
            "{HEAD}  - {{id: b, type: single_choice, text: B, options: [{{id: ja, label: Ja}}]}}\n  - {{id: c, type: text, text: C, show_if: {{question: x, equals: ja}}}}\n  - {{id: d, type: text, text: D, show_if: {{question: b, equals: nein}}}}\n"
        ));
        assert!(
            m.iter().any(|m| m.contains("unbekannte Frage „x“")),
            "{m:?}"
        );
        assert!(m.iter().any(|m| m.contains("„nein“")), "{m:?}");
    }

    #[test]
    fn contains_is_only_for_multiple_choice() {
        let m = messages(&format!(
            "{HEAD}  - {{id: b, type: single_choice, text: B, options: [{{id: ja, label: Ja}}]}}\n  - {{id: c, type: text, text: C, show_if: {{question: b, contains: ja}}}}\n"
        ));
        assert!(m.iter().any(|m| m.contains("passt nicht zum Typ")), "{m:?}");
    }

    #[test]
    fn empty_options_and_a_matrix_without_items_are_refused() {
        let m = messages(&format!(
            "{HEAD}  - {{id: a, type: single_choice, text: A, options: []}}\n  - {{id: m, type: likert_matrix, text: M, items: []}}\n"
        ));
        assert!(
            m.iter()
                .any(|m| m.contains("„a“: Es gibt keine Antwortmöglichkeiten")),
            "{m:?}"
        );
        assert!(
            m.iter().any(|m| m.contains("„m“: Es gibt keine Aussagen")),
            "{m:?}"
        );
    }

    #[test]
    fn a_falling_scale_and_reversed_number_bounds_are_refused() {
        let m = messages(&format!(
            "{HEAD}  - {{id: l, type: likert, text: L, scale: [{{value: 2, label: a}}, {{value: 1, label: b}}]}}\n  - {{id: n, type: number, text: N, min: 5, max: 1}}\n"
        ));
        assert!(
            m.iter().any(|m| m.contains("„l“: Die Werte der Skala")),
            "{m:?}"
        );
        assert!(
            m.iter().any(|m| m.contains("„n“: Der Mindestwert 5")),
            "{m:?}"
        );
    }

    #[test]
    fn markup_in_question_texts_is_refused() {
        let m = messages(&format!(
            "{HEAD}  - {{id: a, type: text, text: \"<script>alert(1)</script>\"}}\n  - {{id: b, type: text, text: \"weniger als <5 Personen\"}}\n"
        ));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("„a“") && m[0].contains("HTML"));
    }

    #[test]
    fn free_text_limits_above_five_thousand_are_refused() {
        let m = messages(&format!(
            "{HEAD}  - {{id: a, type: text, text: A, max_length: 5001}}\n"
        ));
        assert!(m.iter().any(|m| m.contains("max_length")), "{m:?}");
    }

    #[test]
    fn two_department_questions_are_refused() {
        let m = messages(&format!(
            "{HEAD}  - {{id: a, type: single_choice, text: A, options_from: departments}}\n  - {{id: b, type: single_choice, text: B, options_from: departments}}\n"
        ));
        assert!(m.iter().any(|m| m.contains("Nur eine Frage")), "{m:?}");
    }
}
