//! From draft to questionnaire: what cannot be read is named per question,
//! then the domain's validation decides.

use super::draft::{QuestionDraft, QuestionnaireDraft};
use crate::survey::model::{
    agreement_scale, ChoiceOption, Choices, Condition, ConditionTest, OptionSource, Question,
    QuestionKind, Questionnaire, ScalePoint, Section, DEFAULT_TEXT_ANSWER,
};
use crate::survey::validate::{validate_questionnaire, Issue};
use crate::survey::{is_valid_id, slug};

impl QuestionnaireDraft {
    /// The questionnaire, or every problem found: first what cannot be
    /// read at all (a minimum that is no number), then the domain's
    /// validation. Each issue names its question (or section) id.
    pub fn to_questionnaire(&self) -> Result<Questionnaire, Vec<Issue>> {
        let mut issues = Vec::new();
        let mut sections = Vec::new();
        for (si, s) in self.sections.iter().enumerate() {
            let mut questions = Vec::new();
            for q in &s.questions {
                match self.question(q) {
                    Ok(question) => questions.push(question),
                    Err(mut e) => issues.append(&mut e),
                }
            }
            let id = if s.id.trim().is_empty() {
                format!("abschnitt{}", si + 1)
            } else {
                s.id.trim().to_string()
            };
            sections.push(Section {
                id,
                title: s.title.trim().to_string(),
                description: non_empty(&s.description),
                questions,
            });
        }
        let q = Questionnaire {
            schema: None,
            id: self.id.trim().to_string(),
            version: self.version.trim().parse().unwrap_or(1),
            title: self.title.trim().to_string(),
            description: non_empty(&self.description),
            language: "de".into(),
            sections,
        };
        if issues.is_empty() {
            issues = validate_questionnaire(&q);
        }
        if issues.is_empty() {
            Ok(q)
        } else {
            Err(issues)
        }
    }

    fn kind_of(&self, id: &str) -> Option<&str> {
        self.sections
            .iter()
            .flat_map(|s| &s.questions)
            .find(|q| q.id.trim() == id)
            .map(|q| q.kind.as_str())
    }

    fn question(&self, d: &QuestionDraft) -> Result<Question, Vec<Issue>> {
        let id = d.id.trim().to_string();
        let mut issues = Vec::new();
        let mut issue = |message: String| {
            issues.push(Issue {
                question: Some(id.clone()),
                message: format!("„{id}“: {message}"),
            })
        };
        if !is_valid_id(&id) {
            issue("Die Kennung darf nur Buchstaben, Ziffern, _ und - enthalten (höchstens 64 Zeichen).".into());
        }
        let mut number = |text: &str, what: &str| -> Option<f64> {
            let text = text.trim().replace(',', ".");
            if text.is_empty() {
                return None;
            }
            match text.parse::<f64>() {
                Ok(x) if x.is_finite() => Some(x),
                _ => {
                    issue(format!("{what} „{text}“ ist keine Zahl."));
                    None
                }
            }
        };
        let choices = |lines: &str, from: &str, issue: &mut dyn FnMut(String)| -> Choices {
            let from = match from {
                "departments" => Some(OptionSource::Departments),
                "role_profiles" => Some(OptionSource::RoleProfiles),
                "competency_areas" => Some(OptionSource::CompetencyAreas),
                "" => None,
                other => {
                    issue(format!("Unbekannte Quelle für Antwortoptionen „{other}“."));
                    None
                }
            };
            Choices {
                from,
                list: parse_options(lines),
            }
        };
        let scale = |lines: &str, issue: &mut dyn FnMut(String)| -> Vec<ScalePoint> {
            if lines.trim().is_empty() {
                return agreement_scale();
            }
            let mut points = Vec::new();
            for line in lines.lines().filter(|l| !l.trim().is_empty()) {
                let (value, label) = line.split_once('|').unwrap_or(("", line));
                match value.trim().parse::<i64>() {
                    Ok(value) => points.push(ScalePoint {
                        value,
                        label: label.trim().to_string(),
                    }),
                    Err(_) => issue(format!(
                        "Die Skalenstufe „{}“ braucht einen ganzzahligen Wert, z. B. „3 | Teils, teils“.",
                        line.trim()
                    )),
                }
            }
            points
        };
        let kind = match d.kind.as_str() {
            "single_choice" => QuestionKind::SingleChoice {
                options: choices(&d.options, &d.options_from, &mut issue),
            },
            "multiple_choice" => {
                let max_choices = match d.max_choices.trim() {
                    "" => None,
                    text => match text.parse::<u32>() {
                        Ok(m) => Some(m),
                        Err(_) => {
                            issue(format!(
                                "Die Höchstzahl der Antworten „{text}“ ist keine ganze Zahl."
                            ));
                            None
                        }
                    },
                };
                QuestionKind::MultipleChoice {
                    options: choices(&d.options, &d.options_from, &mut issue),
                    max_choices,
                }
            }
            "likert" => QuestionKind::Likert {
                scale: scale(&d.scale, &mut issue),
            },
            "likert_matrix" => QuestionKind::LikertMatrix {
                items: choices(&d.items, &d.options_from, &mut issue),
                scale: scale(&d.scale, &mut issue),
            },
            "number" => {
                let min = number(&d.min, "Das Minimum");
                let max = number(&d.max, "Das Maximum");
                QuestionKind::Number {
                    min,
                    max,
                    integer: d.integer,
                    unit: non_empty(&d.unit),
                }
            }
            "text" => {
                let max_length = match d.max_length.trim() {
                    "" => DEFAULT_TEXT_ANSWER,
                    text => text.parse::<u32>().unwrap_or_else(|_| {
                        issue(format!("Die Höchstlänge „{text}“ ist keine ganze Zahl."));
                        DEFAULT_TEXT_ANSWER
                    }),
                };
                QuestionKind::Text {
                    max_length,
                    multiline: d.multiline,
                }
            }
            other => {
                issue(format!("Unbekannter Fragetyp „{other}“."));
                QuestionKind::Text {
                    max_length: DEFAULT_TEXT_ANSWER,
                    multiline: false,
                }
            }
        };
        let show_if = match d.if_question.trim() {
            "" => None,
            target => {
                let values: Vec<String> = d
                    .if_value
                    .split(',')
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .collect();
                let test = match (self.kind_of(target), values.len()) {
                    (_, 0) => {
                        issue(format!("Die Bedingung auf „{target}“ nennt keine Antwort."));
                        None
                    }
                    (Some("multiple_choice"), 1) => {
                        Some(ConditionTest::Contains(values[0].clone()))
                    }
                    (Some("multiple_choice"), _) => {
                        issue(
                            "Bei einer Mehrfachauswahl kann die Bedingung nur eine Antwort nennen."
                                .into(),
                        );
                        None
                    }
                    (_, 1) => Some(ConditionTest::Equals(values[0].clone())),
                    _ => Some(ConditionTest::AnyOf(values)),
                };
                test.map(|test| Condition {
                    question: target.to_string(),
                    test,
                })
            }
        };
        if !issues.is_empty() {
            return Err(issues);
        }
        Ok(Question {
            id,
            text: d.text.trim().to_string(),
            help: non_empty(&d.help),
            required: d.required,
            show_if,
            kind,
        })
    }
}

fn non_empty(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// `id | Bezeichnung [| exklusiv]` per line; a bare label gets a slug id.
fn parse_options(lines: &str) -> Vec<ChoiceOption> {
    lines
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            match parts.as_slice() {
                [label] => ChoiceOption::new(slug(label), *label),
                [id, label, flags @ ..] => ChoiceOption {
                    id: (*id).to_string(),
                    label: (*label).to_string(),
                    exclusive: flags.iter().any(|f| f.eq_ignore_ascii_case("exklusiv")),
                },
                [] => ChoiceOption::new("x", ""),
            }
        })
        .collect()
}
