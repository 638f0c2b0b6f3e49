//! The questionnaire as the browser editor holds it: every field as the
//! text the person typed, so a form with mistakes comes back exactly as it
//! was sent (nothing is lost), and only [`QuestionnaireDraft::to_questionnaire`]
//! decides whether it is a usable questionnaire.
//!
//! Option lists are edited one per line as `id | Bezeichnung` (a line
//! without `|` gets an id made from its label; `| exklusiv` marks an option
//! that is chosen alone), scales as `Wert | Bezeichnung`. A condition is a
//! question id and the answer values (comma-separated) that show the question.

use super::model::{
    agreement_scale, ChoiceOption, Choices, Condition, ConditionTest, OptionSource, Question,
    QuestionKind, QuestionType, Questionnaire, ScalePoint, Section, DEFAULT_TEXT_ANSWER,
};
use super::validate::{validate_questionnaire, Issue};
use super::{is_valid_id, slug};

/// Sections and questions at most, so that a hand-made form cannot make the
/// server allocate without bound.
const MAX_SECTIONS: usize = 100;
const MAX_QUESTIONS_PER_SECTION: usize = 200;

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

/// One step the editor's buttons ask for, besides saving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditAction {
    AddSection,
    AddQuestion { section: usize, kind: String },
    RemoveSection(usize),
    SectionUp(usize),
    SectionDown(usize),
    Remove { section: usize, question: usize },
    Up { section: usize, question: usize },
    Down { section: usize, question: usize },
}

impl EditAction {
    /// Reads a button value such as `add-question:1:likert` or `up:0:3`;
    /// anything else (saving, preview) is `None`.
    pub fn parse(value: &str) -> Option<EditAction> {
        let mut parts = value.split(':');
        let name = parts.next()?;
        let mut index = || parts.next().and_then(|p| p.parse::<usize>().ok());
        Some(match name {
            "add-section" => EditAction::AddSection,
            "add-question" => {
                let section = index()?;
                let kind = value.rsplit(':').next().unwrap_or("single_choice");
                let kind = if QUESTION_TYPES.iter().any(|(t, _)| *t == kind) {
                    kind
                } else {
                    "single_choice"
                };
                EditAction::AddQuestion {
                    section,
                    kind: kind.to_string(),
                }
            }
            "remove-section" => EditAction::RemoveSection(index()?),
            "section-up" => EditAction::SectionUp(index()?),
            "section-down" => EditAction::SectionDown(index()?),
            "remove" | "up" | "down" => {
                let (section, question) = (index()?, index()?);
                match name {
                    "remove" => EditAction::Remove { section, question },
                    "up" => EditAction::Up { section, question },
                    _ => EditAction::Down { section, question },
                }
            }
            _ => return None,
        })
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

    /// Reads the editor form: `title`, `s0.title`, `s0.q2.text`, …
    /// Fields of sections or questions beyond the limits are ignored.
    pub fn from_form(pairs: &[(String, String)]) -> Self {
        let mut d = QuestionnaireDraft::default();
        for (key, value) in pairs {
            match key.as_str() {
                "q_id" => d.id = value.clone(),
                "q_version" => d.version = value.clone(),
                "title" => d.title = value.clone(),
                "description" => d.description = value.clone(),
                _ => d.set_field(key, value),
            }
        }
        d
    }

    fn set_field(&mut self, key: &str, value: &str) {
        let Some((section, rest)) = key
            .strip_prefix('s')
            .and_then(|k| k.split_once('.'))
            .and_then(|(i, rest)| Some((i.parse::<usize>().ok()?, rest)))
        else {
            return;
        };
        if section >= MAX_SECTIONS {
            return;
        }
        if self.sections.len() <= section {
            self.sections
                .resize_with(section + 1, SectionDraft::default);
        }
        let s = &mut self.sections[section];
        let value = value.to_string();
        match rest {
            "id" => s.id = value,
            "title" => s.title = value,
            "description" => s.description = value,
            _ => {
                let Some((question, field)) = rest
                    .strip_prefix('q')
                    .and_then(|k| k.split_once('.'))
                    .and_then(|(i, f)| Some((i.parse::<usize>().ok()?, f)))
                else {
                    return;
                };
                if question >= MAX_QUESTIONS_PER_SECTION {
                    return;
                }
                if s.questions.len() <= question {
                    s.questions
                        .resize_with(question + 1, QuestionDraft::default);
                }
                let q = &mut s.questions[question];
                let on = value == "on" || value == "true" || value == "1";
                match field {
                    "id" => q.id = value,
                    "type" => q.kind = value,
                    "text" => q.text = value,
                    "help" => q.help = value,
                    "required" => q.required = on,
                    "options" => q.options = value,
                    "options_from" => q.options_from = value,
                    "items" => q.items = value,
                    "scale" => q.scale = value,
                    "max_choices" => q.max_choices = value,
                    "min" => q.min = value,
                    "max" => q.max = value,
                    "integer" => q.integer = on,
                    "unit" => q.unit = value,
                    "max_length" => q.max_length = value,
                    "multiline" => q.multiline = on,
                    "if_question" => q.if_question = value,
                    "if_value" => q.if_value = value,
                    _ => {}
                }
            }
        }
    }

    /// The form fields the editor page sends for this draft (checkboxes
    /// only when ticked), for clients that fill the form without a browser.
    pub fn form_pairs(&self) -> Vec<(String, String)> {
        let d = self;
        let mut pairs = vec![
            ("q_id".to_string(), d.id.clone()),
            ("q_version".to_string(), d.version.clone()),
            ("title".to_string(), d.title.clone()),
            ("description".to_string(), d.description.clone()),
        ];
        for (i, s) in d.sections.iter().enumerate() {
            pairs.push((format!("s{i}.id"), s.id.clone()));
            pairs.push((format!("s{i}.title"), s.title.clone()));
            pairs.push((format!("s{i}.description"), s.description.clone()));
            for (j, q) in s.questions.iter().enumerate() {
                let p = format!("s{i}.q{j}.");
                for (name, value) in [
                    ("id", &q.id),
                    ("type", &q.kind),
                    ("text", &q.text),
                    ("help", &q.help),
                    ("options", &q.options),
                    ("options_from", &q.options_from),
                    ("items", &q.items),
                    ("scale", &q.scale),
                    ("max_choices", &q.max_choices),
                    ("min", &q.min),
                    ("max", &q.max),
                    ("unit", &q.unit),
                    ("max_length", &q.max_length),
                    ("if_question", &q.if_question),
                    ("if_value", &q.if_value),
                ] {
                    pairs.push((format!("{p}{name}"), value.clone()));
                }
                for (name, on) in [
                    ("required", q.required),
                    ("integer", q.integer),
                    ("multiline", q.multiline),
                ] {
                    if on {
                        pairs.push((format!("{p}{name}"), "on".into()));
                    }
                }
            }
        }
        pairs
    }

    /// An id not yet used by any question (`f1`, `f2`, …).
    fn fresh_question_id(&self) -> String {
        (1..)
            .map(|n| format!("f{n}"))
            .find(|id| {
                !self
                    .sections
                    .iter()
                    .flat_map(|s| &s.questions)
                    .any(|q| &q.id == id)
            })
            .unwrap_or_default()
    }

    fn fresh_section_id(&self) -> String {
        (1..)
            .map(|n| format!("abschnitt{n}"))
            .find(|id| !self.sections.iter().any(|s| &s.id == id))
            .unwrap_or_default()
    }

    /// Applies one button's action; indexes out of range change nothing.
    pub fn apply(&mut self, action: &EditAction) {
        let swap = |list_len: usize, a: usize, b: usize| a < list_len && b < list_len;
        match action {
            EditAction::AddSection => {
                if self.sections.len() < MAX_SECTIONS {
                    let id = self.fresh_section_id();
                    self.sections.push(SectionDraft {
                        id,
                        ..SectionDraft::default()
                    });
                }
            }
            EditAction::AddQuestion { section, kind } => {
                let id = self.fresh_question_id();
                if let Some(s) = self.sections.get_mut(*section) {
                    if s.questions.len() < MAX_QUESTIONS_PER_SECTION {
                        s.questions.push(QuestionDraft::new(id, kind));
                    }
                }
            }
            EditAction::RemoveSection(i) => {
                if *i < self.sections.len() {
                    self.sections.remove(*i);
                }
            }
            EditAction::SectionUp(i) => {
                if *i > 0 && swap(self.sections.len(), *i - 1, *i) {
                    self.sections.swap(*i - 1, *i);
                }
            }
            EditAction::SectionDown(i) => {
                if swap(self.sections.len(), *i, *i + 1) {
                    self.sections.swap(*i, *i + 1);
                }
            }
            EditAction::Remove { section, question } => {
                if let Some(s) = self.sections.get_mut(*section) {
                    if *question < s.questions.len() {
                        s.questions.remove(*question);
                    }
                }
            }
            EditAction::Up { section, question } => {
                if let Some(s) = self.sections.get_mut(*section) {
                    if *question > 0 && swap(s.questions.len(), *question - 1, *question) {
                        s.questions.swap(*question - 1, *question);
                    }
                }
            }
            EditAction::Down { section, question } => {
                if let Some(s) = self.sections.get_mut(*section) {
                    if swap(s.questions.len(), *question, *question + 1) {
                        s.questions.swap(*question, *question + 1);
                    }
                }
            }
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::default_questionnaire;

    #[test]
    fn the_default_questionnaire_survives_a_round_trip_through_the_editor_form() {
        let q = default_questionnaire().unwrap();
        let draft = QuestionnaireDraft::from_questionnaire(&q);
        let back = QuestionnaireDraft::from_form(&draft.form_pairs());
        assert_eq!(back, draft);
        let mut expected = q.clone();
        expected.schema = None;
        assert_eq!(back.to_questionnaire().unwrap(), expected);
    }

    #[test]
    fn a_number_that_is_no_number_is_named_per_question_and_the_text_is_kept() {
        let q = default_questionnaire().unwrap();
        let mut draft = QuestionnaireDraft::from_questionnaire(&q);
        draft.apply(&EditAction::AddQuestion {
            section: 0,
            kind: "number".into(),
        });
        let new = draft.sections[0].questions.last_mut().unwrap();
        new.text = "Wie viele Stunden?".into();
        new.min = "zwei".into();
        let id = new.id.clone();
        let issues = draft.to_questionnaire().unwrap_err();
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].question.as_deref(), Some(id.as_str()));
        assert!(issues[0].message.contains("„zwei“ ist keine Zahl"));
        assert_eq!(draft.sections[0].questions.last().unwrap().min, "zwei");
    }

    #[test]
    fn domain_validation_names_the_question_with_an_unknown_condition_target() {
        let q = default_questionnaire().unwrap();
        let mut draft = QuestionnaireDraft::from_questionnaire(&q);
        let target = &mut draft.sections[0].questions[0];
        target.if_question = "gibt-es-nicht".into();
        target.if_value = "ja".into();
        let id = target.id.clone();
        let issues = draft.to_questionnaire().unwrap_err();
        assert!(issues
            .iter()
            .any(|i| i.question.as_deref() == Some(id.as_str())));
    }

    #[test]
    fn questions_move_within_their_section_and_sections_move_and_disappear() {
        let mut draft = QuestionnaireDraft::default();
        draft.apply(&EditAction::AddSection);
        for kind in ["likert", "text", "single_choice"] {
            draft.apply(&EditAction::AddQuestion {
                section: 0,
                kind: kind.into(),
            });
        }
        let ids = |d: &QuestionnaireDraft| -> Vec<String> {
            d.sections[0]
                .questions
                .iter()
                .map(|q| q.id.clone())
                .collect()
        };
        assert_eq!(ids(&draft), ["f1", "f2", "f3"]);
        draft.apply(&EditAction::Up {
            section: 0,
            question: 2,
        });
        assert_eq!(ids(&draft), ["f1", "f3", "f2"]);
        draft.apply(&EditAction::Down {
            section: 0,
            question: 2,
        });
        assert_eq!(ids(&draft), ["f1", "f3", "f2"]);
        draft.apply(&EditAction::Remove {
            section: 0,
            question: 0,
        });
        assert_eq!(ids(&draft), ["f3", "f2"]);
        assert_eq!(draft.sections[0].questions[1].kind, "text");
        draft.apply(&EditAction::AddSection);
        draft.sections[1].title = "Zweiter".into();
        draft.apply(&EditAction::SectionUp(1));
        assert_eq!(draft.sections[0].title, "Zweiter");
        draft.apply(&EditAction::RemoveSection(0));
        assert_eq!(draft.sections.len(), 1);
        assert_eq!(ids(&draft), ["f3", "f2"]);
    }

    #[test]
    fn button_values_parse_to_actions_and_anything_else_is_none() {
        assert_eq!(
            EditAction::parse("add-question:2:likert_matrix"),
            Some(EditAction::AddQuestion {
                section: 2,
                kind: "likert_matrix".into()
            })
        );
        assert_eq!(
            EditAction::parse("down:1:4"),
            Some(EditAction::Down {
                section: 1,
                question: 4
            })
        );
        assert_eq!(EditAction::parse("save"), None);
        assert_eq!(EditAction::parse("up:x:1"), None);
    }

    #[test]
    fn conditions_become_contains_for_multiple_choice_and_any_of_for_several_values() {
        let mut draft = QuestionnaireDraft {
            id: "t".into(),
            title: "Test".into(),
            ..QuestionnaireDraft::default()
        };
        draft.apply(&EditAction::AddSection);
        draft.sections[0].title = "Eins".into();
        for kind in ["multiple_choice", "single_choice", "text", "text"] {
            draft.apply(&EditAction::AddQuestion {
                section: 0,
                kind: kind.into(),
            });
        }
        let qs = &mut draft.sections[0].questions;
        qs[0].text = "Welche?".into();
        qs[0].options = "Chat\nkeine | Keine | exklusiv".into();
        qs[1].text = "Ja?".into();
        qs[1].options = "ja | Ja\nnein | Nein".into();
        qs[2].text = "Wofür?".into();
        qs[2].if_question = "f1".into();
        qs[2].if_value = "chat".into();
        qs[3].text = "Warum?".into();
        qs[3].if_question = "f2".into();
        qs[3].if_value = "ja, nein".into();
        let q = draft.to_questionnaire().unwrap();
        let all: Vec<&Question> = q.questions().map(|(_, q)| q).collect();
        assert!(all[0].kind.options().unwrap().list[1].exclusive);
        assert_eq!(all[0].kind.options().unwrap().list[0].id, "chat");
        assert_eq!(
            all[2].show_if.as_ref().unwrap().test,
            ConditionTest::Contains("chat".into())
        );
        assert_eq!(
            all[3].show_if.as_ref().unwrap().test,
            ConditionTest::AnyOf(vec!["ja".into(), "nein".into()])
        );
    }
}
