//! The editor's form fields: reading a draft from them and writing it to them.

use super::draft::{
    QuestionDraft, QuestionnaireDraft, SectionDraft, MAX_QUESTIONS_PER_SECTION, MAX_SECTIONS,
};

impl QuestionnaireDraft {
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
}
