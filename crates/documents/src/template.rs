//! Mustervorlagen: a Markdown file with YAML front matter. The front matter
//! says what the document is and which questions the interview asks; the body
//! is Markdown with minijinja variables and conditions over those answers.
//!
//! Parsing checks everything a municipality could get wrong when it edits or
//! imports a template (YAML, question definitions, template syntax, variables
//! the interview never asks), so that rendering later fails only on missing
//! answers.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The JSON Schema of a template's front matter.
pub const SCHEMA: &str = include_str!("../../../schemas/document-template.schema.json");

/// The keys of the prefill context that a question's `prefill` may name. The
/// portal builds this context from the municipality profile, the survey, the
/// use cases and the configured models (see the crate documentation).
pub const PREFILL_KEYS: [(&str, &str); 10] = [
    ("profile.name", "Name der Kommune"),
    ("profile.staff_count", "Zahl der Beschäftigten"),
    ("profile.dpo_contact", "Datenschutzbeauftragte Person"),
    (
        "profile.it_security_contact",
        "Informationssicherheitsbeauftragte Person",
    ),
    ("profile.staff_council_contact", "Personalrat"),
    ("profile.ai_officer", "KI-Beauftragte Person"),
    (
        "survey.respondents",
        "Zahl der Antworten in der Bestandsaufnahme",
    ),
    ("usecases.adopted", "Beschlossene Anwendungsfälle (Liste)"),
    ("models.local", "Lokal betriebene Modelle (Liste)"),
    ("models.cloud", "Modelle in der privaten Cloud (Liste)"),
];

/// The kind of document a template produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateKind {
    Strategie,
    Richtlinie,
    Dienstvereinbarung,
    Schwellwertanalyse,
    Information,
}

impl TemplateKind {
    pub const ALL: [TemplateKind; 5] = [
        TemplateKind::Strategie,
        TemplateKind::Richtlinie,
        TemplateKind::Dienstvereinbarung,
        TemplateKind::Schwellwertanalyse,
        TemplateKind::Information,
    ];

    pub fn label(self) -> &'static str {
        match self {
            TemplateKind::Strategie => "KI-Strategie",
            TemplateKind::Richtlinie => "KI-Richtlinie (Dienstanweisung)",
            TemplateKind::Dienstvereinbarung => "Dienstvereinbarung",
            TemplateKind::Schwellwertanalyse => "Datenschutz-Schwellwertanalyse",
            TemplateKind::Information => "Information für Beschäftigte",
        }
    }
}

/// A public source the template builds on; exported as a footnote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub title: String,
    pub url: String,
}

/// How a question is answered, and so which form control asks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    Text,
    LongText,
    /// One of `options`.
    Choice,
    /// Any subset of `options`.
    Multi,
    Bool,
    Number,
    /// ISO 8601 date, YYYY-MM-DD.
    Date,
}

/// One allowed answer of a choice or multi question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    pub value: String,
    pub label: String,
}

/// One question of the interview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The variable name in the body: lowercase letters, digits, underscore.
    pub name: String,
    pub label: String,
    #[serde(default)]
    pub help: String,
    pub kind: QuestionKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ChoiceOption>,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// A key of the prefill context ([`PREFILL_KEYS`]) whose value pre-fills
    /// the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefill: Option<String>,
    /// Heading under which the form groups this question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
}

impl Question {
    /// The label of an option value, or the value itself if it has none.
    pub fn option_label<'a>(&'a self, value: &'a str) -> &'a str {
        self.options
            .iter()
            .find(|o| o.value == value)
            .map(|o| o.label.as_str())
            .unwrap_or(value)
    }
}

/// Questions shown together on the interview form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionGroup<'a> {
    /// The `section` the questions name; `None` for those without one.
    pub title: Option<&'a str>,
    pub questions: Vec<&'a Question>,
}

/// A parsed, checked template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub id: String,
    pub title: String,
    pub kind: TemplateKind,
    pub version: String,
    #[serde(default)]
    pub sources: Vec<Source>,
    pub questions: Vec<Question>,
    /// Markdown with minijinja variables and conditions.
    pub body: String,
    /// The 1-based line of the file at which the body starts, so that errors
    /// found while rendering point into the file the author edits.
    #[serde(skip)]
    pub body_line: usize,
}

/// The front matter as written in the file.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    title: String,
    kind: TemplateKind,
    version: String,
    #[serde(default)]
    sources: Vec<Source>,
    #[serde(default)]
    questions: Vec<Question>,
}

/// Why a template file was refused. Every message names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("{file}: Der Vorspann fehlt. Die Datei muss mit einer Zeile „---“ beginnen, dann folgen YAML-Angaben und wieder eine Zeile „---“.")]
    MissingFrontMatter { file: String },
    #[error("{file}, Zeile {line}, Spalte {column}: Der Vorspann ist fehlerhaft: {message}")]
    FrontMatter {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}, Zeile {line}, Spalte {column}: Syntaxfehler im Vorlagentext: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error("{file}: Diese Variablen stehen im Text, werden aber im Interview nicht abgefragt: {}", names.join(", "))]
    UndeclaredVariables { file: String, names: Vec<String> },
}

impl TemplateError {
    /// The file the error is about.
    pub fn file(&self) -> &str {
        match self {
            TemplateError::MissingFrontMatter { file }
            | TemplateError::FrontMatter { file, .. }
            | TemplateError::Syntax { file, .. }
            | TemplateError::Invalid { file, .. }
            | TemplateError::UndeclaredVariables { file, .. } => file,
        }
    }
}

/// The templates shipped with ki-reise, compiled into the binary.
pub const BUILTIN_FILES: [journey::content::ContentFile; 5] = [
    builtin(
        "ki-strategie.md",
        include_str!("../../../content/de/templates/ki-strategie.md"),
    ),
    builtin(
        "ki-richtlinie.md",
        include_str!("../../../content/de/templates/ki-richtlinie.md"),
    ),
    builtin(
        "dienstvereinbarung.md",
        include_str!("../../../content/de/templates/dienstvereinbarung.md"),
    ),
    builtin(
        "schwellwertanalyse.md",
        include_str!("../../../content/de/templates/schwellwertanalyse.md"),
    ),
    builtin(
        "mitarbeiterinformation.md",
        include_str!("../../../content/de/templates/mitarbeiterinformation.md"),
    ),
];

const fn builtin(path: &'static str, default_text: &'static str) -> journey::content::ContentFile {
    journey::content::ContentFile { path, default_text }
}

/// The shipped templates, parsed. A test checks that each one parses, so a
/// broken file is skipped here rather than taking the portal down.
pub fn builtin_templates() -> Vec<Template> {
    BUILTIN_FILES
        .iter()
        .filter_map(|f| Template::parse(f.path, f.default_text).ok())
        .collect()
}

impl Template {
    /// Parses and checks a template file. `file_name` appears in every error.
    pub fn parse(file_name: &str, text: &str) -> Result<Template, TemplateError> {
        let file = file_name.to_owned();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let (yaml, body, body_line) = split_front_matter(text)
            .ok_or_else(|| TemplateError::MissingFrontMatter { file: file.clone() })?;
        let front: FrontMatter = serde_yaml::from_str(yaml).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line() + 1, l.column()))
                .unwrap_or((2, 1));
            TemplateError::FrontMatter {
                file: file.clone(),
                line,
                column,
                message: e.to_string(),
            }
        })?;
        let template = Template {
            id: front.id,
            title: front.title,
            kind: front.kind,
            version: front.version,
            sources: front.sources,
            questions: front.questions,
            body: body.to_owned(),
            body_line,
        };
        template.check(&file)?;
        Ok(template)
    }

    /// The file name this template is stored and exported under.
    pub fn file_name(&self) -> String {
        format!("{}.md", self.id)
    }

    /// The template as a file again: front matter and body. Parsing the result
    /// gives back an equal template.
    pub fn to_file_text(&self) -> String {
        let front = FrontMatter {
            id: self.id.clone(),
            title: self.title.clone(),
            kind: self.kind,
            version: self.version.clone(),
            sources: self.sources.clone(),
            questions: self.questions.clone(),
        };
        let yaml = serde_yaml::to_string(&front).unwrap_or_default();
        format!("---\n{yaml}---\n{}", self.body)
    }

    /// The questions grouped by their `section`, groups in the order they
    /// first appear, for the interview form's fieldsets.
    pub fn question_groups(&self) -> Vec<QuestionGroup<'_>> {
        let mut groups: Vec<QuestionGroup> = Vec::new();
        for q in &self.questions {
            let title = q.section.as_deref();
            match groups.iter_mut().find(|g| g.title == title) {
                Some(group) => group.questions.push(q),
                None => groups.push(QuestionGroup {
                    title,
                    questions: vec![q],
                }),
            }
        }
        groups
    }

    pub fn question(&self, name: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.name == name)
    }
}

/// Splits `---\n<yaml>\n---\n<body>`; returns the YAML, the body and the
/// 1-based line at which the body starts.
fn split_front_matter(text: &str) -> Option<(&str, &str, usize)> {
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let mut offset = 0;
    for (i, line) in rest.split_inclusive('\n').enumerate() {
        if line.trim_end() == "---" {
            let yaml = &rest[..offset];
            let body = &rest[offset + line.len()..];
            // Line 1 is the opening marker, then i YAML lines, then the closing one.
            return Some((yaml, body, i + 3));
        }
        offset += line.len();
    }
    None
}
