//! The draft types and how a stored questionnaire becomes a draft.

use crate::survey::model::{
    agreement_scale, ChoiceOption, ConditionTest, OptionSource, Question, QuestionKind,
    QuestionType, Questionnaire, ScalePoint, DEFAULT_TEXT_ANSWER,
};

/// Sections and questions at most, so that a hand-made form cannot make the
/// server allocate without bound.
pub(super) const MAX_SECTIONS: usize = 100;
pub(super) const MAX_QUESTIONS_PER_SECTION: usize = 200;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct QuestionDraft {
    pub id: String,
    /// The `type` tag: `single_choice`, `multiple_choice`, `likert`,
    /// `likert_matrix`, `number` or `text`.
    pub kind: String,
    pub text: String,
    pub help: String,
    pub required: bool,
    pub options: String,
    /// `departments`, `role_profiles`, `competency_areas` or empty.
    pub options_from: String,
    pub items: String,
    pub scale: String,
    pub max_choices: String,
    pub min: String,
    pub max: String,
    pub integer: bool,
    pub unit: String,
    pub max_length: String,
    pub multiline: bool,
    pub if_question: String,
    pub if_value: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SectionDraft {
    pub id: String,
    pub title: String,
    pub description: String,
    pub questions: Vec<QuestionDraft>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct QuestionnaireDraft {
    pub id: String,
    pub version: String,
    pub title: String,
    pub description: String,
    pub sections: Vec<SectionDraft>,
}

/// The question types in the order the editor offers them, with German names.
pub const QUESTION_TYPES: [(&str, &str); 6] = [
    ("single_choice", "Einfachauswahl"),
    ("multiple_choice", "Mehrfachauswahl"),
    ("likert", "Zustimmung (5-stufig)"),
    ("likert_matrix", "Matrix aus Aussagen"),
    ("number", "Zahl"),
    ("text", "Freitext"),
];

/// Where run-time options can come from, with German names.
pub const OPTION_SOURCES: [(&str, &str); 4] = [
    ("", "feste Liste (unten)"),
    ("departments", "Fachbereiche aus dem Profil"),
    ("role_profiles", "Rollen aus dem Kompetenzmodell"),
    ("competency_areas", "Kompetenzbereiche"),
];

fn source_tag(source: Option<OptionSource>) -> String {
    match source {
        None => String::new(),
        Some(OptionSource::Departments) => "departments".into(),
        Some(OptionSource::RoleProfiles) => "role_profiles".into(),
        Some(OptionSource::CompetencyAreas) => "competency_areas".into(),
    }
}

fn option_lines(list: &[ChoiceOption]) -> String {
    list.iter()
        .map(|o| {
            let mut line = format!("{} | {}", o.id, o.label);
            if o.exclusive {
                line.push_str(" | exklusiv");
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn scale_lines(scale: &[ScalePoint]) -> String {
    scale
        .iter()
        .map(|p| format!("{} | {}", p.value, p.label))
        .collect::<Vec<_>>()
        .join("\n")
}

fn number_text(x: Option<f64>) -> String {
    x.map(|x| x.to_string()).unwrap_or_default()
}

impl QuestionDraft {
    /// An empty question of `kind` with a fresh id and sensible defaults.
    pub fn new(id: String, kind: &str) -> Self {
        let mut q = QuestionDraft {
            id,
            kind: kind.to_string(),
            text: String::new(),
            ..QuestionDraft::default()
        };
        match kind {
            "likert" | "likert_matrix" => q.scale = scale_lines(&agreement_scale()),
            "text" => {
                q.max_length = DEFAULT_TEXT_ANSWER.to_string();
                q.multiline = true;
            }
            "number" => q.integer = true,
            _ => {}
        }
        q
    }

    fn from_question(question: &Question) -> Self {
        let mut d = QuestionDraft {
            id: question.id.clone(),
            text: question.text.clone(),
            help: question.help.clone().unwrap_or_default(),
            required: question.required,
            ..QuestionDraft::default()
        };
        d.kind = match question.kind.question_type() {
            QuestionType::SingleChoice => "single_choice",
            QuestionType::MultipleChoice => "multiple_choice",
            QuestionType::Likert => "likert",
            QuestionType::LikertMatrix => "likert_matrix",
            QuestionType::Number => "number",
            QuestionType::Text => "text",
        }
        .to_string();
        if let Some(cond) = &question.show_if {
            d.if_question = cond.question.clone();
            d.if_value = match &cond.test {
                ConditionTest::Equals(v) | ConditionTest::Contains(v) => v.clone(),
                ConditionTest::AnyOf(vs) => vs.join(", "),
            };
        }
        match &question.kind {
            QuestionKind::SingleChoice { options } => {
                d.options = option_lines(&options.list);
                d.options_from = source_tag(options.from);
            }
            QuestionKind::MultipleChoice {
                options,
                max_choices,
            } => {
                d.options = option_lines(&options.list);
                d.options_from = source_tag(options.from);
                d.max_choices = max_choices.map(|m| m.to_string()).unwrap_or_default();
            }
            QuestionKind::Likert { scale } => d.scale = scale_lines(scale),
            QuestionKind::LikertMatrix { items, scale } => {
                d.items = option_lines(&items.list);
                d.options_from = source_tag(items.from);
                d.scale = scale_lines(scale);
            }
            QuestionKind::Number {
                min,
                max,
                integer,
                unit,
            } => {
                d.min = number_text(*min);
                d.max = number_text(*max);
                d.integer = *integer;
                d.unit = unit.clone().unwrap_or_default();
            }
            QuestionKind::Text {
                max_length,
                multiline,
            } => {
                d.max_length = max_length.to_string();
                d.multiline = *multiline;
            }
        }
        d
    }
}

impl QuestionnaireDraft {
    pub fn from_questionnaire(q: &Questionnaire) -> Self {
        QuestionnaireDraft {
            id: q.id.clone(),
            version: q.version.to_string(),
            title: q.title.clone(),
            description: q.description.clone().unwrap_or_default(),
            sections: q
                .sections
                .iter()
                .map(|s| SectionDraft {
                    id: s.id.clone(),
                    title: s.title.clone(),
                    description: s.description.clone().unwrap_or_default(),
                    questions: s
                        .questions
                        .iter()
                        .map(QuestionDraft::from_question)
                        .collect(),
                })
                .collect(),
        }
    }
}
