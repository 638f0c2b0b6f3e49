//! The machine-readable rule set of the KI-Richtlinie: which data class may
//! reach which kind of AI backend, whether AI output must be labelled, and how
//! long prompts may be kept. The documents module derives it from the adopted
//! policy; the gateway enforces it on every request. Until a policy is adopted
//! the conservative default below applies.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use crate::usecase::canvas::DataClass;

/// The default rule set, also the commented example of the format.
pub const DEFAULT_RULES: crate::content::ContentFile = crate::content::ContentFile {
    path: "policy/regelwerk.json",
    default_text: include_str!("../../../content/de/policy/regelwerk.json"),
};

/// The JSON Schema of a rule set, published with every export.
pub const SCHEMA: &str = include_str!("../../../schemas/policy-rules.schema.json");

/// Where a backend runs, which decides what data it may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reach {
    /// On the municipality's own hardware (the built-in engine, a local server).
    Local,
    /// A rented private cloud under a data-processing agreement (e.g. vLLM).
    PrivateCloud,
    /// A public AI service (e.g. a chat service of a large provider).
    PublicCloud,
}

impl Reach {
    pub const ALL: [Reach; 3] = [Reach::Local, Reach::PrivateCloud, Reach::PublicCloud];

    pub fn slug(self) -> &'static str {
        match self {
            Reach::Local => "local",
            Reach::PrivateCloud => "private-cloud",
            Reach::PublicCloud => "public-cloud",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Reach::Local => "nur lokal (eigene Hardware)",
            Reach::PrivateCloud => "private Cloud (Auftragsverarbeitung)",
            Reach::PublicCloud => "öffentlicher KI-Dienst",
        }
    }
}

impl fmt::Display for Reach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for Reach {
    type Err = PolicyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reach::ALL
            .into_iter()
            .find(|r| r.slug() == s.trim())
            .ok_or_else(|| PolicyError::UnknownReach(s.to_owned()))
    }
}

impl DataClass {
    /// The slug used in JSON and in the `X-Datenklasse` header.
    pub fn slug(self) -> &'static str {
        match self {
            DataClass::Public => "public",
            DataClass::Internal => "internal",
            DataClass::Confidential => "confidential",
            DataClass::Personal => "personal",
            DataClass::SpecialCategories => "special_categories",
        }
    }

    /// Accepts the slug or the German word staff know from the policy
    /// ("öffentlich", "intern", "vertraulich", "personenbezogen",
    /// "besondere-kategorien"), case-insensitive.
    pub fn parse(s: &str) -> Result<DataClass, PolicyError> {
        let wanted = s.trim().to_lowercase();
        let german = |c: DataClass| match c {
            DataClass::Public => "öffentlich",
            DataClass::Internal => "intern",
            DataClass::Confidential => "vertraulich",
            DataClass::Personal => "personenbezogen",
            DataClass::SpecialCategories => "besondere-kategorien",
        };
        DataClass::ALL
            .into_iter()
            .find(|&c| {
                c.slug() == wanted
                    || german(c) == wanted
                    || (c == DataClass::Public && wanted == "oeffentlich")
            })
            .ok_or_else(|| PolicyError::UnknownClass(s.to_owned()))
    }
}

/// What the policy says about one data class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassRule {
    pub class: DataClass,
    /// The kinds of backend this class may reach; empty means no AI at all.
    pub allowed: Vec<Reach>,
    /// A sentence for staff, shown in the chat and the gateway's refusals.
    #[serde(default)]
    pub note: String,
}

/// An AI tool the KI-Pass rule can cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    /// The staff chat in the portal (`/assistent`).
    Assistant,
    /// The gateway's `/v1` interface with a personal API key.
    Api,
}

impl Tool {
    pub const ALL: [Tool; 2] = [Tool::Assistant, Tool::Api];

    pub fn slug(self) -> &'static str {
        match self {
            Tool::Assistant => "assistant",
            Tool::Api => "api",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Tool::Assistant => "KI-Assistent im Portal",
            Tool::Api => "KI-Schnittstelle mit API-Schlüssel",
        }
    }

    pub fn parse(s: &str) -> Option<Tool> {
        Tool::ALL.into_iter().find(|t| t.slug() == s.trim())
    }
}

/// The KI-Pass: staff use the named tools only after completing a learning
/// path (or with a documented exception).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KiPassRule {
    /// The learning path whose every step must be completed.
    pub learning_path: String,
    /// The tools that need the pass.
    pub tools: Vec<Tool>,
    /// Days after adoption, or after an account was created if later, in
    /// which the tools are still open without the pass.
    #[serde(default)]
    pub grace_days: u32,
}

/// The longest grace period: a year is a transition, more is no rule.
pub const MAX_GRACE_DAYS: u32 = 365;

/// The whole rule set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// Format version of this file (currently 1).
    pub format: u32,
    /// Which document version the rules come from, e.g. "KI-Richtlinie v3".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Date of adoption, ISO 8601 (YYYY-MM-DD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted_on: Option<String>,
    /// The class a request gets when neither key nor header names one.
    pub default_class: DataClass,
    pub classes: Vec<ClassRule>,
    /// Whether AI-generated text must be marked as such (Art. 50 AI Act and
    /// the policy's labelling rule).
    pub labelling_required: bool,
    /// Days prompts and answers may be kept; 0 means they are not stored.
    pub prompt_retention_days: u32,
    /// Training before use; absent means the tools need no pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ki_pass: Option<KiPassRule>,
    /// Whether a request whose detected personal data keeps it from a
    /// remote model may go there pseudonymised: each finding replaced by
    /// a placeholder, the answer re-identified locally. Off unless the
    /// policy says so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pseudonymise_remote: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("Unbekannte Datenklasse „{0}“ (erlaubt: public, internal, confidential, personal, special_categories)")]
    UnknownClass(String),
    #[error("Unbekannte Betriebsart „{0}“ (erlaubt: local, private-cloud, public-cloud)")]
    UnknownReach(String),
    #[error("Regelwerk ist kein gültiges JSON: {0}")]
    Syntax(String),
    #[error("Regelwerk-Format {0} wird nicht unterstützt (erwartet: 1)")]
    Format(u32),
    #[error("Die Datenklasse „{0}“ fehlt im Regelwerk")]
    MissingClass(&'static str),
    #[error("Die Datenklasse „{0}“ steht mehrfach im Regelwerk")]
    DuplicateClass(&'static str),
    #[error("„{stricter}“ darf mehr Betriebsarten erreichen als das weniger schutzbedürftige „{looser}“")]
    NotMonotonic {
        looser: &'static str,
        stricter: &'static str,
    },
    #[error("KI-Pass: {0}")]
    KiPass(String),
}

impl RuleSet {
    /// Parses and checks a rule set.
    pub fn from_json(text: &str) -> Result<RuleSet, PolicyError> {
        let rules: RuleSet =
            serde_json::from_str(text).map_err(|e| PolicyError::Syntax(e.to_string()))?;
        rules.validate()?;
        Ok(rules)
    }

    /// Every class appears exactly once, and a more protected class never
    /// reaches further than a less protected one: a policy that sends
    /// personal data to a public service but keeps internal data local is a
    /// mistake, not a decision.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.format != 1 {
            return Err(PolicyError::Format(self.format));
        }
        for class in DataClass::ALL {
            match self.classes.iter().filter(|r| r.class == class).count() {
                0 => return Err(PolicyError::MissingClass(class.label())),
                1 => {}
                _ => return Err(PolicyError::DuplicateClass(class.label())),
            }
        }
        for pair in DataClass::ALL.windows(2) {
            let (looser, stricter) = (pair[0], pair[1]);
            if self
                .allowed(stricter)
                .iter()
                .any(|r| !self.allowed(looser).contains(r))
            {
                return Err(PolicyError::NotMonotonic {
                    looser: looser.label(),
                    stricter: stricter.label(),
                });
            }
        }
        if let Some(pass) = &self.ki_pass {
            if !crate::survey::is_valid_id(&pass.learning_path) {
                return Err(PolicyError::KiPass(format!(
                    "„{}“ ist keine gültige Kennung eines Lernpfads (Buchstaben, Ziffern, _ und -).",
                    pass.learning_path
                )));
            }
            if pass.tools.is_empty() {
                return Err(PolicyError::KiPass(
                    "Es ist kein KI-Werkzeug genannt, für das der KI-Pass gilt.".into(),
                ));
            }
            if pass.grace_days > MAX_GRACE_DAYS {
                return Err(PolicyError::KiPass(format!(
                    "Die Übergangsfrist von {} Tagen ist länger als {MAX_GRACE_DAYS} Tage.",
                    pass.grace_days
                )));
            }
        }
        Ok(())
    }

    /// The KI-Pass rule, if it covers `tool`.
    pub fn ki_pass_for(&self, tool: Tool) -> Option<&KiPassRule> {
        self.ki_pass.as_ref().filter(|p| p.tools.contains(&tool))
    }

    /// The kinds of backend a class may reach.
    pub fn allowed(&self, class: DataClass) -> &[Reach] {
        self.classes
            .iter()
            .find(|r| r.class == class)
            .map(|r| r.allowed.as_slice())
            .unwrap_or(&[])
    }

    /// Whether a request of `class` may be sent to a backend of `reach`.
    pub fn allows(&self, class: DataClass, reach: Reach) -> bool {
        self.allowed(class).contains(&reach)
    }

    /// The note for staff about a class, if the policy gives one.
    pub fn note(&self, class: DataClass) -> &str {
        self.classes
            .iter()
            .find(|r| r.class == class)
            .map(|r| r.note.as_str())
            .unwrap_or("")
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

impl Default for RuleSet {
    fn default() -> Self {
        match RuleSet::from_json(DEFAULT_RULES.default_text) {
            Ok(rules) => rules,
            // The shipped file is checked by a test; this arm keeps a broken
            // override from opening anything up.
            Err(_) => RuleSet {
                format: 1,
                source: None,
                adopted_on: None,
                default_class: DataClass::Internal,
                classes: DataClass::ALL
                    .into_iter()
                    .map(|class| ClassRule {
                        class,
                        allowed: vec![Reach::Local],
                        note: String::new(),
                    })
                    .collect(),
                labelling_required: true,
                prompt_retention_days: 0,
                ki_pass: None,
                pseudonymise_remote: false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_default_is_valid_and_keeps_personal_data_local() {
        let rules = RuleSet::from_json(DEFAULT_RULES.default_text).unwrap();
        assert_eq!(rules.allowed(DataClass::Personal), &[Reach::Local]);
        assert!(rules.allows(DataClass::Public, Reach::PublicCloud));
        assert!(!rules.allows(DataClass::Internal, Reach::PublicCloud));
        assert_eq!(rules, RuleSet::default());
    }

    #[test]
    fn a_stricter_class_may_not_reach_further() {
        let mut rules = RuleSet::default();
        rules.classes[3].allowed = vec![Reach::Local, Reach::PublicCloud];
        assert!(matches!(
            rules.validate(),
            Err(PolicyError::NotMonotonic {
                stricter: "personenbezogen",
                ..
            })
        ));
    }

    #[test]
    fn missing_and_duplicate_classes_are_named() {
        let mut rules = RuleSet::default();
        rules.classes.pop();
        assert!(matches!(
            rules.validate(),
            Err(PolicyError::MissingClass(_))
        ));
        let mut rules = RuleSet::default();
        let first = rules.classes[0].clone();
        rules.classes.push(first);
        assert!(matches!(
            rules.validate(),
            Err(PolicyError::DuplicateClass("öffentlich"))
        ));
    }

    #[test]
    fn the_ki_pass_rule_is_checked_and_round_trips() {
        let mut rules = RuleSet::default();
        assert!(rules.ki_pass_for(Tool::Assistant).is_none());
        rules.ki_pass = Some(KiPassRule {
            learning_path: "grundlagen_alle".into(),
            tools: vec![Tool::Api],
            grace_days: 30,
        });
        rules.validate().unwrap();
        assert!(rules.ki_pass_for(Tool::Assistant).is_none());
        assert_eq!(rules.ki_pass_for(Tool::Api).unwrap().grace_days, 30);
        assert_eq!(RuleSet::from_json(&rules.to_json()).unwrap(), rules);
        let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let value: serde_json::Value = serde_json::from_str(&rules.to_json()).unwrap();
        assert!(validator.is_valid(&value));

        let mut bad = rules.clone();
        bad.ki_pass.as_mut().unwrap().learning_path = "../etc".into();
        assert!(matches!(bad.validate(), Err(PolicyError::KiPass(_))));
        let mut bad = rules.clone();
        bad.ki_pass.as_mut().unwrap().tools.clear();
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("kein KI-Werkzeug"));
        let mut bad = rules;
        bad.ki_pass.as_mut().unwrap().grace_days = 400;
        assert!(bad.validate().is_err());
    }

    #[test]
    fn classes_parse_from_slug_or_german_word() {
        assert_eq!(DataClass::parse("personenbezogen"), Ok(DataClass::Personal));
        assert_eq!(DataClass::parse("Öffentlich"), Ok(DataClass::Public));
        assert_eq!(
            DataClass::parse("special_categories"),
            Ok(DataClass::SpecialCategories)
        );
        assert!(matches!(
            DataClass::parse("geheim"),
            Err(PolicyError::UnknownClass(_))
        ));
        assert_eq!("private-cloud".parse::<Reach>(), Ok(Reach::PrivateCloud));
    }

    #[test]
    fn the_schema_accepts_the_default() {
        let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
        let value: serde_json::Value = serde_json::from_str(DEFAULT_RULES.default_text).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        assert!(validator.is_valid(&value));
        let bad = serde_json::json!({"format": 1, "default_class": "geheim", "classes": [],
            "labelling_required": true, "prompt_retention_days": 0});
        assert!(!validator.is_valid(&bad));
    }
}
