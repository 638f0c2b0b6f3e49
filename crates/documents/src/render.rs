//! From a template and the interview's answers to the document's Markdown.
//!
//! Answers override the prefill context, which overrides the question's
//! default. Every answer is checked against its question first, so a form
//! with a typo gets a message per field. Values are escaped for Markdown when
//! they are written into the body: an answer can never add a heading, a link
//! or raw HTML to the document. A template may opt out for one value with
//! `|safe`, which is meant for long texts that are themselves Markdown.

use std::collections::BTreeSet;

use minijinja::value::ValueKind;
use minijinja::{Environment, ErrorKind, UndefinedBehavior};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::template::{Question, QuestionKind, Template, TemplateError};
use journey::date::is_iso_date;
use journey::german;

/// Upper bound on template instructions per render: a template from an
/// imported set must not loop for ever.
const FUEL: u64 = 5_000_000;
const MAX_TEXT: usize = 500;
const MAX_LONG_TEXT: usize = 20_000;

/// One answer that does not fit its question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerError {
    /// The question's name (the form field).
    pub name: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("{file}, Zeile {line}, Spalte {column}: Syntaxfehler im Vorlagentext: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// Required questions without an answer, and variables the body uses that
    /// no question declares.
    #[error("Es fehlen Antworten auf: {}", .0.join(", "))]
    MissingAnswers(Vec<String>),
    #[error("Ungültige Antworten: {}", .0.iter().map(|e| format!("{}: {}", e.name, e.message)).collect::<Vec<_>>().join("; "))]
    InvalidAnswers(Vec<AnswerError>),
    #[error("{file}, Zeile {line}: Das Dokument ließ sich nicht erzeugen: {message}")]
    Render {
        file: String,
        line: usize,
        message: String,
    },
}

/// A syntax error found while compiling a body, before the file is known.
#[derive(Debug)]
pub(crate) struct SyntaxError {
    line: usize,
    column: usize,
    message: String,
}

impl SyntaxError {
    pub(crate) fn with_file(self, file: &str) -> TemplateError {
        TemplateError::Syntax {
            file: file.to_owned(),
            line: self.line,
            column: self.column,
            message: self.message,
        }
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env.set_fuel(Some(FUEL));
    env.add_filter("datum", german_date);
    env.add_filter("zahl", german_number);
    env.add_filter("satzanfang", sentence_start);
    // The municipality's name with its article: "{{ kommune|genitiv }}" →
    // "der Stadt Musterstadt".
    env.add_filter("nominativ", |name: String| {
        german::with_article(&name, german::Case::Nominative)
    });
    env.add_filter("genitiv", |name: String| {
        german::with_article(&name, german::Case::Genitive)
    });
    env.add_filter("dativ", |name: String| {
        german::with_article(&name, german::Case::Dative)
    });
    env.set_formatter(|out, _state, value| {
        if value.is_none() || value.is_undefined() {
            return Ok(());
        }
        let text = display(value);
        if value.is_safe() {
            out.write_str(&text)?;
        } else {
            out.write_str(&escape_markdown(&text))?;
        }
        Ok(())
    });
    env
}

/// `2026-03-31` → `31. März 2026`; anything else is returned unchanged.
fn german_date(value: String) -> String {
    journey::date::german_long(&value)
}

/// Capitalises the first letter only, for a value that opens a sentence
/// ("die oder der KI-Beauftragte koordiniert …").
fn sentence_start(value: String) -> String {
    let mut chars = value.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => value,
    }
}

/// `120000` → `120.000`, `2.5` → `2,5` (German separators).
fn german_number(value: f64) -> String {
    german::decimal(value, 2)
}

/// German display of a value: yes/no for booleans, lists joined by commas.
fn display(value: &minijinja::Value) -> String {
    match value.kind() {
        ValueKind::Bool => if value.is_true() { "ja" } else { "nein" }.to_owned(),
        ValueKind::Seq => value
            .try_iter()
            .map(|items| items.map(|v| display(&v)).collect::<Vec<_>>().join(", "))
            .unwrap_or_default(),
        _ => value
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| value.to_string()),
    }
}

/// Backslash-escapes the characters that would make an answer Markdown or
/// HTML; line breaks stay, so a long answer keeps its paragraphs.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '&' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn compile_error(body: &str, body_line: usize, e: &minijinja::Error) -> SyntaxError {
    let line = e.line().unwrap_or(1);
    let column = e
        .range()
        .map(|r| {
            let start = r.start.min(body.len());
            let line_start = body[..start].rfind('\n').map_or(0, |i| i + 1);
            body[line_start..start].chars().count() + 1
        })
        .unwrap_or(1);
    SyntaxError {
        line: line + body_line.saturating_sub(1),
        column,
        message: e.detail().unwrap_or("unbekannter Fehler").to_owned(),
    }
}

/// Variables the body uses that no question declares, sorted.
pub(crate) fn undeclared_variables(t: &Template) -> Result<Vec<String>, SyntaxError> {
    let env = environment();
    let compiled = env
        .template_from_str(&t.body)
        .map_err(|e| compile_error(&t.body, t.body_line, &e))?;
    let globals: BTreeSet<&str> = env.globals().map(|(name, _)| name).collect();
    let mut names: Vec<String> = compiled
        .undeclared_variables(false)
        .into_iter()
        .filter(|v| t.question(v).is_none() && !globals.contains(v.as_str()))
        .collect();
    names.sort();
    Ok(names)
}

/// Checks one answer against its question and brings it into the form the
/// body sees. `Ok(None)` means "not answered" (null, empty text, empty list).
pub(crate) fn coerce(q: &Question, value: &Value) -> Result<Option<Value>, String> {
    let is_empty = match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty() && q.kind != QuestionKind::Multi,
        _ => false,
    };
    if is_empty {
        return Ok(None);
    }
    match q.kind {
        QuestionKind::Text | QuestionKind::LongText => {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Array(items) if items.iter().all(Value::is_string) => {
                    let items: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                    if q.kind == QuestionKind::Text {
                        items.join(", ")
                    } else {
                        items.iter().map(|i| format!("- {i}\n")).collect()
                    }
                }
                _ => return Err("Bitte einen Text eingeben.".into()),
            };
            let max = if q.kind == QuestionKind::Text {
                MAX_TEXT
            } else {
                MAX_LONG_TEXT
            };
            let len = text.chars().count();
            if len > max {
                return Err(format!("Höchstens {max} Zeichen (jetzt {len})."));
            }
            if text
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            {
                return Err("Der Text enthält unzulässige Steuerzeichen.".into());
            }
            Ok(Some(Value::String(text)))
        }
        QuestionKind::Choice => {
            let v = value.as_str().ok_or("Bitte eine der Optionen wählen.")?;
            check_option(q, v)?;
            Ok(Some(Value::String(v.to_owned())))
        }
        QuestionKind::Multi => {
            let items: Vec<&str> = match value {
                Value::String(s) => vec![s.as_str()],
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().ok_or("Bitte Optionen aus der Liste wählen."))
                    .collect::<Result<_, _>>()?,
                _ => return Err("Bitte Optionen aus der Liste wählen.".into()),
            };
            for item in &items {
                check_option(q, item)?;
            }
            // Keep the options' order, so that the text reads the same
            // whichever order the form sent them in.
            let chosen: Vec<Value> = q
                .options
                .iter()
                .filter(|o| items.contains(&o.value.as_str()))
                .map(|o| Value::String(o.value.clone()))
                .collect();
            Ok(Some(Value::Array(chosen)))
        }
        QuestionKind::Bool => match value {
            Value::Bool(b) => Ok(Some(Value::Bool(*b))),
            Value::String(s) => match s.trim().to_lowercase().as_str() {
                "true" | "ja" | "on" | "1" => Ok(Some(Value::Bool(true))),
                "false" | "nein" | "off" | "0" => Ok(Some(Value::Bool(false))),
                _ => Err("Bitte „ja“ oder „nein“ wählen.".into()),
            },
            _ => Err("Bitte „ja“ oder „nein“ wählen.".into()),
        },
        QuestionKind::Number => {
            let n = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().replace(',', ".").parse::<f64>().ok(),
                _ => None,
            }
            .filter(|n| n.is_finite())
            .ok_or("Bitte eine Zahl eingeben.")?;
            if n.fract() == 0.0 && n.abs() < 1e15 {
                Ok(Some(Value::from(n as i64)))
            } else {
                Ok(serde_json::Number::from_f64(n).map(Value::Number))
            }
        }
        QuestionKind::Date => {
            let s = value.as_str().ok_or("Bitte ein Datum eingeben.")?.trim();
            if is_iso_date(s) {
                Ok(Some(Value::String(s.to_owned())))
            } else {
                Err(format!(
                    "„{s}“ ist kein Datum im Format JJJJ-MM-TT (z. B. 2026-03-31)."
                ))
            }
        }
    }
}

fn check_option(q: &Question, value: &str) -> Result<(), String> {
    if q.options.iter().any(|o| o.value == value) {
        Ok(())
    } else {
        let allowed: Vec<&str> = q.options.iter().map(|o| o.value.as_str()).collect();
        Err(format!(
            "„{value}“ ist keine der Optionen ({}).",
            allowed.join(", ")
        ))
    }
}

/// The value a dotted key ("profile.name") names in the prefill context.
fn lookup<'a>(prefill: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.').try_fold(prefill, |v, part| v.get(part))
}

/// What the body sees for a question nobody answered: an empty value of the
/// question's kind, so that conditions and loops work under strict undefined.
fn empty_value(kind: QuestionKind) -> Value {
    match kind {
        QuestionKind::Text | QuestionKind::LongText | QuestionKind::Choice => {
            Value::String(String::new())
        }
        QuestionKind::Multi => Value::Array(Vec::new()),
        QuestionKind::Bool => Value::Bool(false),
        QuestionKind::Number | QuestionKind::Date => Value::Null,
    }
}

impl Template {
    /// The answers to show in the interview form before the user types
    /// anything: the prefill context where it has a usable value, else the
    /// question's default. Questions with neither are left out.
    pub fn initial_answers(&self, prefill: &Value) -> Map<String, Value> {
        let mut answers = Map::new();
        for q in &self.questions {
            let from_prefill = q
                .prefill
                .as_deref()
                .and_then(|key| lookup(prefill, key))
                .and_then(|v| coerce(q, v).ok().flatten());
            let value = from_prefill
                .or_else(|| q.default.as_ref().and_then(|v| coerce(q, v).ok().flatten()));
            if let Some(value) = value {
                answers.insert(q.name.clone(), value);
            }
        }
        answers
    }

    /// Checks the answers and returns them complete: one value per question,
    /// answers over prefill over defaults.
    pub fn resolve_answers(
        &self,
        answers: &Map<String, Value>,
        prefill: &Value,
    ) -> Result<Map<String, Value>, RenderError> {
        let initial = self.initial_answers(prefill);
        let mut invalid = Vec::new();
        let mut missing = Vec::new();
        let mut resolved = Map::new();
        for q in &self.questions {
            let value = match answers.get(&q.name) {
                Some(given) => match coerce(q, given) {
                    Ok(v) => v,
                    Err(message) => {
                        invalid.push(AnswerError {
                            name: q.name.clone(),
                            message,
                        });
                        continue;
                    }
                },
                None => initial.get(&q.name).cloned(),
            };
            // An empty list is a valid answer to an optional multi ("none of
            // these"), but a required one needs at least one option.
            let unanswered = match &value {
                None => true,
                Some(Value::Array(items)) => items.is_empty(),
                Some(_) => false,
            };
            if unanswered && q.required {
                missing.push(q.name.clone());
            }
            resolved.insert(q.name.clone(), value.unwrap_or_else(|| empty_value(q.kind)));
        }
        if !invalid.is_empty() {
            return Err(RenderError::InvalidAnswers(invalid));
        }
        if !missing.is_empty() {
            return Err(RenderError::MissingAnswers(missing));
        }
        Ok(resolved)
    }

    /// Renders the document's Markdown.
    pub fn render(
        &self,
        answers: &Map<String, Value>,
        prefill: &Value,
    ) -> Result<String, RenderError> {
        let file = self.file_name();
        let undeclared = undeclared_variables(self).map_err(|e| RenderError::Syntax {
            file: file.clone(),
            line: e.line,
            column: e.column,
            message: e.message,
        })?;
        let context = match self.resolve_answers(answers, prefill) {
            Err(RenderError::MissingAnswers(mut names)) => {
                names.extend(undeclared);
                return Err(RenderError::MissingAnswers(names));
            }
            Err(e) => return Err(e),
            Ok(_) if !undeclared.is_empty() => {
                return Err(RenderError::MissingAnswers(undeclared));
            }
            Ok(context) => context,
        };
        let env = environment();
        let compiled = env.template_from_str(&self.body).map_err(|e| {
            let e = compile_error(&self.body, self.body_line, &e);
            RenderError::Syntax {
                file: file.clone(),
                line: e.line,
                column: e.column,
                message: e.message,
            }
        })?;
        compiled
            .render(minijinja::Value::from_serialize(&context))
            .map_err(|e| {
                let line = e.line().unwrap_or(1) + self.body_line.saturating_sub(1);
                let message = match e.kind() {
                    ErrorKind::OutOfFuel => {
                        "Die Vorlage rechnet zu lange (Endlosschleife?).".to_owned()
                    }
                    _ => e.detail().unwrap_or("unbekannter Fehler").to_owned(),
                };
                RenderError::Render {
                    file: file.clone(),
                    line,
                    message,
                }
            })
    }
}
