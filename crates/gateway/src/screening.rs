//! The personal-data check before routing: every text a request would
//! send to a backend is scanned by the local detector (`journey::pii`),
//! and what it finds raises the declared data class. The class a request
//! is routed by is therefore never lower than what it contains.

use journey::pii::{self, Category};
use journey::policy::DataClass;

use crate::request::Input;
use crate::ApiError;

/// The mark in the usage record's `detected` list for a request sent
/// pseudonymised.
pub const PSEUDONYMISED: &str = "pseudonymisiert";

/// What the check found and the class the request is routed by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screening {
    /// The class the caller declared (header, key, or the rule set's default).
    pub declared: DataClass,
    /// The declared class raised by the findings; routing uses this one.
    pub effective: DataClass,
    /// The categories found, each once.
    pub found: Vec<Category>,
    /// Whether the findings were replaced by placeholders before the
    /// request left (`pseudonymise_remote`); `effective` is then the class
    /// of the text that was sent.
    pub pseudonymised: bool,
}

impl Screening {
    /// Scans `texts` (all of them: a system prompt or an earlier turn
    /// leaves the house just like the new message).
    pub fn of<'a>(declared: DataClass, texts: impl IntoIterator<Item = &'a str>) -> Screening {
        let mut findings = Vec::new();
        for text in texts {
            findings.extend(pii::scan(text));
        }
        Screening {
            declared,
            effective: pii::effective_class(declared, &findings),
            found: pii::categories(&findings),
            pseudonymised: false,
        }
    }

    pub fn of_input(declared: DataClass, input: &Input) -> Screening {
        match input {
            Input::Chat(messages) => {
                let arguments: Vec<String> = messages
                    .iter()
                    .flat_map(|m| &m.tool_calls)
                    .map(|c| c.function.arguments.to_string())
                    .collect();
                let contents = messages.iter().map(|m| m.content.as_str());
                Screening::of(
                    declared,
                    contents.chain(arguments.iter().map(String::as_str)),
                )
            }
            Input::Text(text) => Screening::of(declared, [text.as_str()]),
        }
    }

    /// The texts of an embeddings request's `input` (a string or a list
    /// of strings; token ids carry no text to scan).
    pub fn of_json(declared: DataClass, input: &serde_json::Value) -> Screening {
        let texts: Vec<&str> = match input {
            serde_json::Value::String(s) => vec![s.as_str()],
            serde_json::Value::Array(items) => items.iter().filter_map(|v| v.as_str()).collect(),
            _ => Vec::new(),
        };
        Screening::of(declared, texts)
    }

    /// A refusal by data class, with why the class is what it is.
    pub fn annotate(&self, mut error: ApiError) -> ApiError {
        if let (Some("policy_violation"), Some(why)) = (error.code, self.explanation()) {
            error.message = format!("{why} {}", error.message);
        }
        error
    }

    /// Whether the findings raised the class.
    pub fn raised(&self) -> bool {
        self.effective > self.declared
    }

    /// The categories as slugs, comma-separated, for the usage record;
    /// a pseudonymised request adds "pseudonymisiert" (what happened, not
    /// what was replaced).
    pub fn slugs(&self) -> String {
        let mut slugs: Vec<&str> = self.found.iter().map(|c| c.slug()).collect();
        if self.pseudonymised {
            slugs.push(PSEUDONYMISED);
        }
        slugs.join(",")
    }

    /// Why the class was raised, in German for the chat page and the
    /// gateway's refusals; none when it was not. Names the categories,
    /// never the values found.
    pub fn explanation(&self) -> Option<String> {
        if self.pseudonymised {
            return Some(format!(
                "Die Nachricht enthält personenbezogene Daten ({}). Wie die KI-Richtlinie es erlaubt, wurde sie pseudonymisiert gesendet: Jede Angabe war durch einen Platzhalter wie [PERSON_1] ersetzt; die Antwort wurde hier wieder mit den echten Angaben versehen.",
                pii::describe(&self.found)
            ));
        }
        self.raised().then(|| {
            format!(
                "Die Nachricht enthält personenbezogene Daten ({}). Deshalb gilt die Datenklasse „{}“ statt der angegebenen „{}“.",
                pii::describe(&self.found),
                self.effective.label(),
                self.declared.label()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_iban_raises_public_to_personal() {
        let s = Screening::of(
            DataClass::Public,
            ["Bitte auf DE89 3704 0044 0532 0130 00 überweisen."],
        );
        assert_eq!(s.effective, DataClass::Personal);
        assert_eq!(s.slugs(), "iban");
        let why = s.explanation().unwrap();
        assert!(
            why.contains("IBAN") && why.contains("personenbezogen"),
            "{why}"
        );
        assert!(!why.contains("DE89"), "the value is not echoed: {why}");
    }

    #[test]
    fn a_higher_declared_class_stays() {
        let s = Screening::of(
            DataClass::SpecialCategories,
            ["Frau Meyer, Tel. 0431 901-2345"],
        );
        assert_eq!(s.effective, DataClass::SpecialCategories);
        assert!(!s.raised());
        assert_eq!(s.explanation(), None);
    }
}
