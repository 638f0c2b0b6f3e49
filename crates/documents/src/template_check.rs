//! Whether a template is well-formed: its id, title, sources and questions,
//! and that its body uses only variables it declares. Kept apart from the
//! template's data so that parsing (template) and rendering (render) do not
//! need each other.

use std::collections::BTreeSet;

use crate::render;
use crate::template::{Question, QuestionKind, Template, TemplateError, PREFILL_KEYS};

impl Template {
    pub(crate) fn check(&self, file: &str) -> Result<(), TemplateError> {
        let invalid = |message: String| TemplateError::Invalid {
            file: file.to_owned(),
            message,
        };
        if !is_slug(&self.id) {
            return Err(invalid(format!(
                "Die Kennung „{}“ ist ungültig: erlaubt sind Kleinbuchstaben a–z, Ziffern und Bindestriche.",
                self.id
            )));
        }
        if self.title.trim().is_empty() {
            return Err(invalid("Der Titel fehlt.".into()));
        }
        if self.version.trim().is_empty() {
            return Err(invalid("Die Version fehlt.".into()));
        }
        for source in &self.sources {
            if !(source.url.starts_with("https://") || source.url.starts_with("http://")) {
                return Err(invalid(format!(
                    "Die Quelle „{}“ braucht eine Adresse, die mit https:// beginnt.",
                    source.title
                )));
            }
        }
        let mut names = BTreeSet::new();
        for q in &self.questions {
            check_question(q).map_err(|m| invalid(format!("Frage „{}“: {m}", q.name)))?;
            if !names.insert(q.name.as_str()) {
                return Err(invalid(format!(
                    "Die Frage „{}“ ist mehrfach erklärt.",
                    q.name
                )));
            }
        }
        let undeclared = render::undeclared_variables(self).map_err(|e| e.with_file(file))?;
        if !undeclared.is_empty() {
            return Err(TemplateError::UndeclaredVariables {
                file: file.to_owned(),
                names: undeclared,
            });
        }
        Ok(())
    }
}

fn check_question(q: &Question) -> Result<(), String> {
    if !is_identifier(&q.name) {
        return Err(
            "Der Name ist ungültig: erlaubt sind Kleinbuchstaben a–z, Ziffern und Unterstrich, am Anfang ein Buchstabe."
                .into(),
        );
    }
    if q.label.trim().is_empty() {
        return Err("Die Beschriftung fehlt.".into());
    }
    let has_options = matches!(q.kind, QuestionKind::Choice | QuestionKind::Multi);
    if has_options && q.options.is_empty() {
        return Err("Eine Auswahlfrage braucht Optionen.".into());
    }
    if !has_options && !q.options.is_empty() {
        return Err("Nur Auswahlfragen (choice, multi) haben Optionen.".into());
    }
    let mut values = BTreeSet::new();
    for o in &q.options {
        if !values.insert(o.value.as_str()) {
            return Err(format!("Die Option „{}“ steht mehrfach da.", o.value));
        }
    }
    if let Some(key) = &q.prefill {
        if !PREFILL_KEYS.iter().any(|(k, _)| k == key) {
            let known: Vec<&str> = PREFILL_KEYS.iter().map(|(k, _)| *k).collect();
            return Err(format!(
                "Unbekannter Vorbelegungsschlüssel „{key}“ (bekannt: {}).",
                known.join(", ")
            ));
        }
    }
    if let Some(default) = &q.default {
        render::coerce(q, default).map_err(|m| format!("Voreinstellung: {m}"))?;
    }
    Ok(())
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
}

fn is_identifier(s: &str) -> bool {
    s.len() <= 64
        && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}
