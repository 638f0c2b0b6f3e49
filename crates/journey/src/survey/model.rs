//! The questionnaire as data: sections, questions, options, conditions.
//!
//! The serialised form (YAML in `content/de/survey/`, JSON on export) is flat
//! and readable: a question carries `type` and only the fields of its kind.
//! Parsing goes through a flat `QuestionRepr` so that a field of the wrong kind or
//! a missing one is a parse error naming the question, not a silent default.

use serde::{Deserialize, Serialize};

/// Free texts may never be longer than this (the limit).
pub const MAX_TEXT_ANSWER: u32 = 5000;
/// Default for a free-text question without `max_length`.
pub const DEFAULT_TEXT_ANSWER: u32 = 2000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub id: String,
    #[serde(default = "one")]
    pub version: u32,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default = "german")]
    pub language: String,
    pub sections: Vec<Section>,
}

fn one() -> u32 {
    1
}

fn german() -> String {
    "de".to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "QuestionRepr", into = "QuestionRepr")]
pub struct Question {
    pub id: String,
    pub text: String,
    pub help: Option<String>,
    pub required: bool,
    pub show_if: Option<Condition>,
    pub kind: QuestionKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum QuestionKind {
    SingleChoice {
        options: Choices,
    },
    MultipleChoice {
        options: Choices,
        max_choices: Option<u32>,
    },
    /// One statement on a scale (5 points by default).
    Likert {
        scale: Vec<ScalePoint>,
    },
    /// Several statements (items) on the same scale.
    LikertMatrix {
        items: Choices,
        scale: Vec<ScalePoint>,
    },
    Number {
        min: Option<f64>,
        max: Option<f64>,
        integer: bool,
        unit: Option<String>,
    },
    Text {
        max_length: u32,
        multiline: bool,
    },
}

/// The `type` tag of a question kind, as written in YAML/JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    SingleChoice,
    MultipleChoice,
    Likert,
    LikertMatrix,
    Number,
    Text,
}

impl QuestionKind {
    pub fn question_type(&self) -> QuestionType {
        match self {
            QuestionKind::SingleChoice { .. } => QuestionType::SingleChoice,
            QuestionKind::MultipleChoice { .. } => QuestionType::MultipleChoice,
            QuestionKind::Likert { .. } => QuestionType::Likert,
            QuestionKind::LikertMatrix { .. } => QuestionType::LikertMatrix,
            QuestionKind::Number { .. } => QuestionType::Number,
            QuestionKind::Text { .. } => QuestionType::Text,
        }
    }

    /// The answer options of a choice question.
    pub fn options(&self) -> Option<&Choices> {
        match self {
            QuestionKind::SingleChoice { options }
            | QuestionKind::MultipleChoice { options, .. } => Some(options),
            _ => None,
        }
    }

    pub fn scale(&self) -> Option<&[ScalePoint]> {
        match self {
            QuestionKind::Likert { scale } | QuestionKind::LikertMatrix { scale, .. } => {
                Some(scale)
            }
            _ => None,
        }
    }
}

/// A list of options (or matrix items): fixed, or filled at run time from
/// the municipality profile or the competency model (`from`). Fixed entries
/// next to `from` are the fallback when the run-time list is empty.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Choices {
    pub from: Option<OptionSource>,
    pub list: Vec<ChoiceOption>,
}

impl Choices {
    pub fn fixed(list: Vec<ChoiceOption>) -> Self {
        Choices { from: None, list }
    }

    pub fn get(&self, id: &str) -> Option<&ChoiceOption> {
        self.list.iter().find(|o| o.id == id)
    }
}

/// Where run-time options come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptionSource {
    /// The departments of the municipality profile. The question that uses
    /// this source is the one results are broken down by.
    Departments,
    /// The selectable role profiles of the competency model.
    RoleProfiles,
    /// The areas of the competency model (for the self-assessment matrix).
    CompetencyAreas,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    pub id: String,
    pub label: String,
    /// Chosen alone only (e.g. "Ich nutze keine KI-Werkzeuge").
    #[serde(default, skip_serializing_if = "is_false")]
    pub exclusive: bool,
}

impl ChoiceOption {
    pub fn new(id: impl Into<String>, label: impl Into<String>) -> Self {
        ChoiceOption {
            id: id.into(),
            label: label.into(),
            exclusive: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalePoint {
    pub value: i64,
    pub label: String,
}

/// The default 5-point agreement scale.
pub fn agreement_scale() -> Vec<ScalePoint> {
    [
        "Trifft gar nicht zu",
        "Trifft eher nicht zu",
        "Teils, teils",
        "Trifft eher zu",
        "Trifft voll zu",
    ]
    .iter()
    .zip(1..)
    .map(|(label, value)| ScalePoint {
        value,
        label: (*label).to_string(),
    })
    .collect()
}

/// "Show this question only if the answer to `question` …".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ConditionRepr", into = "ConditionRepr")]
pub struct Condition {
    pub question: String,
    pub test: ConditionTest,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionTest {
    /// Single choice: the chosen option; Likert: the scale value as text.
    Equals(String),
    /// Single choice or Likert: one of these.
    AnyOf(Vec<String>),
    /// Multiple choice: this option is among the chosen.
    Contains(String),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionRepr {
    question: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    equals: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    any_of: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    contains: Option<String>,
}

impl TryFrom<ConditionRepr> for Condition {
    type Error = String;

    fn try_from(r: ConditionRepr) -> Result<Self, String> {
        let test = match (r.equals, r.any_of, r.contains) {
            (Some(v), None, None) => ConditionTest::Equals(v),
            (None, Some(v), None) => ConditionTest::AnyOf(v),
            (None, None, Some(v)) => ConditionTest::Contains(v),
            _ => {
                return Err(format!(
                "Bedingung auf Frage „{}“: genau eines von equals, any_of oder contains angeben",
                r.question
            ))
            }
        };
        Ok(Condition {
            question: r.question,
            test,
        })
    }
}

impl From<Condition> for ConditionRepr {
    fn from(c: Condition) -> Self {
        let mut r = ConditionRepr {
            question: c.question,
            equals: None,
            any_of: None,
            contains: None,
        };
        match c.test {
            ConditionTest::Equals(v) => r.equals = Some(v),
            ConditionTest::AnyOf(v) => r.any_of = Some(v),
            ConditionTest::Contains(v) => r.contains = Some(v),
        }
        r
    }
}

/// The flat, serialised form of a question.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionRepr {
    id: String,
    #[serde(rename = "type")]
    kind: QuestionType,
    text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    help: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    show_if: Option<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    options: Option<Vec<ChoiceOption>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    options_from: Option<OptionSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_choices: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    items: Option<Vec<ChoiceOption>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    items_from: Option<OptionSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scale: Option<Vec<ScalePoint>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    integer: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    multiline: Option<bool>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl TryFrom<QuestionRepr> for Question {
    type Error = String;

    fn try_from(r: QuestionRepr) -> Result<Self, String> {
        let id = r.id.clone();
        let foreign = |fields: &[(&str, bool)]| -> Result<(), String> {
            let present: Vec<&str> = fields.iter().filter(|(_, p)| *p).map(|(n, _)| *n).collect();
            if present.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "Frage „{id}“: Die Felder {} passen nicht zum Fragetyp",
                    present.join(", ")
                ))
            }
        };
        let choice_fields = [
            ("options", r.options.is_some()),
            ("options_from", r.options_from.is_some()),
        ];
        let multi_fields = [("max_choices", r.max_choices.is_some())];
        let matrix_fields = [
            ("items", r.items.is_some()),
            ("items_from", r.items_from.is_some()),
        ];
        let scale_fields = [("scale", r.scale.is_some())];
        let number_fields = [
            ("min", r.min.is_some()),
            ("max", r.max.is_some()),
            ("integer", r.integer.is_some()),
            ("unit", r.unit.is_some()),
        ];
        let text_fields = [
            ("max_length", r.max_length.is_some()),
            ("multiline", r.multiline.is_some()),
        ];
        let choices = |list: Option<Vec<ChoiceOption>>, from: Option<OptionSource>| Choices {
            from,
            list: list.unwrap_or_default(),
        };
        let kind = match r.kind {
            QuestionType::SingleChoice => {
                foreign(
                    &[
                        &multi_fields[..],
                        &matrix_fields,
                        &scale_fields,
                        &number_fields,
                        &text_fields,
                    ]
                    .concat(),
                )?;
                QuestionKind::SingleChoice {
                    options: choices(r.options, r.options_from),
                }
            }
            QuestionType::MultipleChoice => {
                foreign(
                    &[
                        &matrix_fields[..],
                        &scale_fields,
                        &number_fields,
                        &text_fields,
                    ]
                    .concat(),
                )?;
                QuestionKind::MultipleChoice {
                    options: choices(r.options, r.options_from),
                    max_choices: r.max_choices,
                }
            }
            QuestionType::Likert => {
                foreign(
                    &[
                        &choice_fields[..],
                        &multi_fields,
                        &matrix_fields,
                        &number_fields,
                        &text_fields,
                    ]
                    .concat(),
                )?;
                QuestionKind::Likert {
                    scale: r.scale.unwrap_or_else(agreement_scale),
                }
            }
            QuestionType::LikertMatrix => {
                foreign(
                    &[
                        &choice_fields[..],
                        &multi_fields,
                        &number_fields,
                        &text_fields,
                    ]
                    .concat(),
                )?;
                QuestionKind::LikertMatrix {
                    items: choices(r.items, r.items_from),
                    scale: r.scale.unwrap_or_else(agreement_scale),
                }
            }
            QuestionType::Number => {
                foreign(
                    &[
                        &choice_fields[..],
                        &multi_fields,
                        &matrix_fields,
                        &scale_fields,
                        &text_fields,
                    ]
                    .concat(),
                )?;
                QuestionKind::Number {
                    min: r.min,
                    max: r.max,
                    integer: r.integer.unwrap_or(false),
                    unit: r.unit,
                }
            }
            QuestionType::Text => {
                foreign(
                    &[
                        &choice_fields[..],
                        &multi_fields,
                        &matrix_fields,
                        &scale_fields,
                        &number_fields,
                    ]
                    .concat(),
                )?;
                QuestionKind::Text {
                    max_length: r.max_length.unwrap_or(DEFAULT_TEXT_ANSWER),
                    multiline: r.multiline.unwrap_or(true),
                }
            }
        };
        Ok(Question {
            id: r.id,
            text: r.text,
            help: r.help,
            required: r.required,
            show_if: r.show_if,
            kind,
        })
    }
}

impl From<Question> for QuestionRepr {
    fn from(q: Question) -> Self {
        let mut r = QuestionRepr {
            id: q.id,
            kind: q.kind.question_type(),
            text: q.text,
            help: q.help,
            required: q.required,
            show_if: q.show_if,
            options: None,
            options_from: None,
            max_choices: None,
            items: None,
            items_from: None,
            scale: None,
            min: None,
            max: None,
            integer: None,
            unit: None,
            max_length: None,
            multiline: None,
        };
        let non_empty = |list: Vec<ChoiceOption>| (!list.is_empty()).then_some(list);
        match q.kind {
            QuestionKind::SingleChoice { options } => {
                r.options_from = options.from;
                r.options = non_empty(options.list).or(options.from.is_none().then(Vec::new));
            }
            QuestionKind::MultipleChoice {
                options,
                max_choices,
            } => {
                r.options_from = options.from;
                r.options = non_empty(options.list).or(options.from.is_none().then(Vec::new));
                r.max_choices = max_choices;
            }
            QuestionKind::Likert { scale } => r.scale = Some(scale),
            QuestionKind::LikertMatrix { items, scale } => {
                r.items_from = items.from;
                r.items = non_empty(items.list).or(items.from.is_none().then(Vec::new));
                r.scale = Some(scale);
            }
            QuestionKind::Number {
                min,
                max,
                integer,
                unit,
            } => {
                r.min = min;
                r.max = max;
                r.integer = integer.then_some(true);
                r.unit = unit;
            }
            QuestionKind::Text {
                max_length,
                multiline,
            } => {
                r.max_length = Some(max_length);
                r.multiline = Some(multiline);
            }
        }
        r
    }
}

impl Questionnaire {
    /// All questions in document order, with the id of their section.
    pub fn questions(&self) -> impl Iterator<Item = (&Section, &Question)> {
        self.sections
            .iter()
            .flat_map(|s| s.questions.iter().map(move |q| (s, q)))
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions().map(|(_, q)| q).find(|q| q.id == id)
    }

    /// The question whose options are the departments: results are broken
    /// down by its answer.
    pub fn department_question(&self) -> Option<&Question> {
        self.questions_from(OptionSource::Departments).next()
    }

    /// The question whose options are the role profiles.
    pub fn role_question(&self) -> Option<&Question> {
        self.questions_from(OptionSource::RoleProfiles).next()
    }

    /// The matrix whose items are the competency areas (self-assessment).
    pub fn competency_question(&self) -> Option<&Question> {
        self.questions_from(OptionSource::CompetencyAreas).next()
    }

    fn questions_from(&self, source: OptionSource) -> impl Iterator<Item = &Question> {
        self.questions()
            .map(|(_, q)| q)
            .filter(move |q| match &q.kind {
                QuestionKind::SingleChoice { options }
                | QuestionKind::MultipleChoice { options, .. } => options.from == Some(source),
                QuestionKind::LikertMatrix { items, .. } => items.from == Some(source),
                _ => false,
            })
    }
}
