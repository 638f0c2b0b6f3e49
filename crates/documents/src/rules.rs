//! The KI-Richtlinie's rule set from the interview answers: for each data
//! class the kinds of backend it may reach, the default class, the labelling
//! duty and how long prompts are kept. The gateway enforces the result.
//!
//! The answers are read as the form sends them or as rendering resolved them
//! (strings or JSON values), so the stored answers of an adopted version can
//! be handed over as they are. `source` and `adopted_on` are left for the
//! caller, who knows the version and the date of adoption.

use journey::policy::{ClassRule, DataClass, KiPassRule, Reach, RuleSet, Tool, MAX_GRACE_DAYS};
use serde_json::{Map, Value};

/// The question names the KI-Richtlinie template uses for the rule set.
pub const DEFAULT_CLASS: &str = "standard_klasse";
pub const LABELLING: &str = "kennzeichnungspflicht";
pub const RETENTION_DAYS: &str = "speicherdauer_tage";
pub const KI_PASS: &str = "ki_pass";
pub const KI_PASS_PATH: &str = "ki_pass_lernpfad";
pub const KI_PASS_TOOLS: &str = "ki_pass_werkzeuge";
pub const KI_PASS_GRACE_DAYS: &str = "ki_pass_frist_tage";
pub const PSEUDONYMISE_REMOTE: &str = "pseudonymisierung_remote";
/// Prompts are kept ten years at the most: longer is a typo, not a decision.
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// The question name for the reaches a class may use, e.g. `erlaubt_personal`.
pub fn allowed_question(class: DataClass) -> String {
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
    let mut classes = Vec::new();
    for class in DataClass::ALL {
        let allowed = allowed_reaches(class, answers.get(&allowed_question(class)))?;
        classes.push(ClassRule {
            class,
            note: note(class, &allowed),
            allowed,
        });
    }
    let default_class = match answers.get(DEFAULT_CLASS) {
        Some(Value::String(s)) if !s.trim().is_empty() => DataClass::parse(s)?,
        _ => {
            return Err(RulesError::Answer(
                "Es fehlt die Datenklasse, die gilt, wenn keine angegeben ist.".into(),
            ))
        }
    };
    let rules = RuleSet {
        format: 1,
        source: None,
        adopted_on: None,
        default_class,
        classes,
        labelling_required: flag(answers.get(LABELLING))?,
        prompt_retention_days: retention_days(answers.get(RETENTION_DAYS))?,
        ki_pass: ki_pass(answers)?,
        pseudonymise_remote: flag(answers.get(PSEUDONYMISE_REMOTE))?,
    };
    rules.validate()?;
    Ok(rules)
}

/// The KI-Pass rule when the policy asks for training before use.
fn ki_pass(answers: &Map<String, Value>) -> Result<Option<KiPassRule>, RulesError> {
    if !flag(answers.get(KI_PASS))? {
        return Ok(None);
    }
    let learning_path = match answers.get(KI_PASS_PATH) {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => {
            return Err(RulesError::Answer(
                "KI-Pass: Es fehlt der Lernpfad, den Beschäftigte vor der Nutzung abschließen."
                    .into(),
            ))
        }
    };
    let names: Vec<&str> = match answers.get(KI_PASS_TOOLS) {
        // Older answers without the question: the pass covers every tool.
        None | Some(Value::Null) => Tool::ALL.iter().map(|t| t.slug()).collect(),
        Some(Value::String(s)) if s.trim().is_empty() => Vec::new(),
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(other) => {
            return Err(RulesError::Answer(format!(
                "KI-Pass: „{other}“ ist keine Liste von KI-Werkzeugen."
            )))
        }
    };
    let mut tools = Vec::new();
    for name in names {
        let tool = Tool::parse(name).ok_or_else(|| {
            RulesError::Answer(format!(
                "KI-Pass: unbekanntes KI-Werkzeug „{name}“ (erlaubt: assistant, api)."
            ))
        })?;
        if !tools.contains(&tool) {
            tools.push(tool);
        }
    }
    tools.sort();
    let grace_days = days(
        answers.get(KI_PASS_GRACE_DAYS),
        MAX_GRACE_DAYS,
        "KI-Pass-Übergangsfrist",
    )?;
    Ok(Some(KiPassRule {
        learning_path,
        tools,
        grace_days,
    }))
}

fn allowed_reaches(class: DataClass, answer: Option<&Value>) -> Result<Vec<Reach>, RulesError> {
    let values: Vec<&str> = match answer {
        None | Some(Value::Null) => {
            return Err(RulesError::Answer(format!(
                "Für die Datenklasse „{}“ fehlt die Angabe, welche KI-Werkzeuge sie erreichen darf.",
                class.label()
            )))
        }
        Some(Value::String(s)) if s.trim().is_empty() => Vec::new(),
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str().ok_or_else(|| {
                    RulesError::Answer(format!(
                        "Datenklasse „{}“: „{v}“ ist keine Betriebsart (erlaubt: local, private-cloud, public-cloud).",
                        class.label()
                    ))
                })
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(RulesError::Answer(format!(
                "Datenklasse „{}“: „{other}“ ist keine Liste von Betriebsarten.",
                class.label()
            )))
        }
    };
    let mut reaches = Vec::new();
    for value in values {
        let reach: Reach = value.parse().map_err(|_| {
            RulesError::Answer(format!(
                "Datenklasse „{}“: unbekannte Betriebsart „{value}“ (erlaubt: local, private-cloud, public-cloud).",
                class.label()
            ))
        })?;
        if !reaches.contains(&reach) {
            reaches.push(reach);
        }
    }
    reaches.sort();
    Ok(reaches)
}

/// The sentence staff see when the gateway refuses or routes a request.
fn note(class: DataClass, allowed: &[Reach]) -> String {
    if allowed.is_empty() {
        return format!(
            "Daten der Klasse „{}“ dürfen in kein KI-Werkzeug eingegeben werden.",
            class.label()
        );
    }
    let labels: Vec<&str> = allowed.iter().map(|r| r.label()).collect();
    format!(
        "Daten der Klasse „{}“ dürfen nur in diese KI-Werkzeuge: {}.",
        class.label(),
        labels.join(", ")
    )
}

fn flag(answer: Option<&Value>) -> Result<bool, RulesError> {
    match answer {
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) => match s.trim().to_lowercase().as_str() {
            "true" | "ja" | "on" | "1" => Ok(true),
            "false" | "nein" | "off" | "0" | "" => Ok(false),
            _ => Err(RulesError::Answer(format!(
                "Kennzeichnungspflicht: „{s}“ ist weder ja noch nein."
            ))),
        },
        // An unchecked checkbox sends nothing: no labelling duty.
        None | Some(Value::Null) => Ok(false),
        Some(other) => Err(RulesError::Answer(format!(
            "Kennzeichnungspflicht: „{other}“ ist weder ja noch nein."
        ))),
    }
}

fn retention_days(answer: Option<&Value>) -> Result<u32, RulesError> {
    days(answer, MAX_RETENTION_DAYS, "Speicherdauer")
}

/// A number of days between 0 and `max`; nothing given is 0.
fn days(answer: Option<&Value>, max: u32, what: &str) -> Result<u32, RulesError> {
    let invalid = |shown: String| {
        RulesError::Answer(format!(
            "{what}: „{shown}“ ist keine ganze Zahl von Tagen zwischen 0 und {max}."
        ))
    };
    let days = match answer {
        None | Some(Value::Null) => return Ok(0),
        Some(Value::Number(n)) => n.as_u64().ok_or_else(|| invalid(n.to_string()))?,
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(0),
        Some(Value::String(s)) => s.trim().parse::<u64>().map_err(|_| invalid(s.clone()))?,
        Some(other) => return Err(invalid(other.to_string())),
    };
    u32::try_from(days)
        .ok()
        .filter(|d| *d <= max)
        .ok_or_else(|| invalid(days.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answers(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    fn conservative() -> Map<String, Value> {
        answers(json!({
            "erlaubt_public": ["local", "private-cloud", "public-cloud"],
            "erlaubt_internal": ["private-cloud", "local"],
            "erlaubt_confidential": ["local"],
            "erlaubt_personal": "local",
            "erlaubt_special_categories": [],
            "standard_klasse": "internal",
            "kennzeichnungspflicht": true,
            "speicherdauer_tage": 30,
            "ki_pass": true,
            "ki_pass_lernpfad": "grundlagen_alle",
            "ki_pass_werkzeuge": ["api", "assistant"],
            "ki_pass_frist_tage": "14"
        }))
    }

    #[test]
    fn answers_become_a_valid_rule_set() {
        let rules = policy_rules(&conservative()).unwrap();
        assert_eq!(
            rules.allowed(DataClass::Internal),
            &[Reach::Local, Reach::PrivateCloud]
        );
        assert_eq!(rules.allowed(DataClass::Personal), &[Reach::Local]);
        assert!(rules.allowed(DataClass::SpecialCategories).is_empty());
        assert!(rules
            .note(DataClass::SpecialCategories)
            .contains("in kein KI-Werkzeug"));
        assert_eq!(rules.default_class, DataClass::Internal);
        assert!(rules.labelling_required);
        assert_eq!(rules.prompt_retention_days, 30);
        let pass = rules.ki_pass.as_ref().unwrap();
        assert_eq!(pass.learning_path, "grundlagen_alle");
        assert_eq!(pass.tools, vec![Tool::Assistant, Tool::Api]);
        assert_eq!(pass.grace_days, 14);
        // What the gateway reads back is the same rule set.
        assert_eq!(RuleSet::from_json(&rules.to_json()).unwrap(), rules);
    }

    #[test]
    fn form_strings_are_accepted() {
        let mut a = conservative();
        a.insert(LABELLING.into(), json!("nein"));
        a.insert(RETENTION_DAYS.into(), json!("7"));
        let rules = policy_rules(&a).unwrap();
        assert!(!rules.labelling_required);
        assert_eq!(rules.prompt_retention_days, 7);
    }

    #[test]
    fn the_builtin_policy_defaults_give_the_shipped_default_rules() {
        let template = crate::builtin_templates()
            .into_iter()
            .find(|t| t.id == "ki-richtlinie")
            .unwrap();
        let prefill = json!({"profile": {"name": "Musterstadt"}});
        let resolved = template.resolve_answers(&Map::new(), &prefill).unwrap();
        let rules = policy_rules(&resolved).unwrap();
        let shipped = RuleSet::default();
        for class in DataClass::ALL {
            assert_eq!(rules.allowed(class), shipped.allowed(class), "{class:?}");
        }
        assert_eq!(rules.default_class, shipped.default_class);
        assert_eq!(rules.labelling_required, shipped.labelling_required);
        assert_eq!(rules.prompt_retention_days, shipped.prompt_retention_days);
        // The shipped rules apply before any adoption and ask for no pass;
        // the template's default asks for one, for both tools.
        assert_eq!(shipped.ki_pass, None);
        let pass = rules.ki_pass.unwrap();
        assert_eq!(pass.tools, Tool::ALL.to_vec());
        assert_eq!(pass.learning_path, "grundlagen_alle");
    }

    #[test]
    fn the_ki_pass_answers_are_checked() {
        let mut a = conservative();
        a.insert(KI_PASS.into(), json!(false));
        assert_eq!(policy_rules(&a).unwrap().ki_pass, None);
        let mut a = conservative();
        a.insert(KI_PASS_PATH.into(), json!(" "));
        assert!(policy_rules(&a)
            .unwrap_err()
            .to_string()
            .contains("Lernpfad"));
        let mut a = conservative();
        a.insert(KI_PASS_TOOLS.into(), json!(["assistant", "fax"]));
        assert!(policy_rules(&a).unwrap_err().to_string().contains("„fax“"));
        let mut a = conservative();
        a.insert(KI_PASS_TOOLS.into(), json!([]));
        assert!(policy_rules(&a)
            .unwrap_err()
            .to_string()
            .contains("kein KI-Werkzeug"));
        let mut a = conservative();
        a.insert(KI_PASS_GRACE_DAYS.into(), json!(1000));
        assert!(policy_rules(&a)
            .unwrap_err()
            .to_string()
            .contains("Übergangsfrist"));
    }

    #[test]
    fn an_unknown_reach_names_the_class() {
        let mut a = conservative();
        a.insert("erlaubt_personal".into(), json!(["local", "satellit"]));
        let err = policy_rules(&a).unwrap_err().to_string();
        assert!(
            err.contains("„personenbezogen“") && err.contains("„satellit“"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_class_answer_names_the_class() {
        let mut a = conservative();
        a.remove("erlaubt_confidential");
        let err = policy_rules(&a).unwrap_err().to_string();
        assert!(err.contains("„vertraulich“"), "{err}");
    }

    #[test]
    fn personal_data_may_not_reach_further_than_internal_data() {
        let mut a = conservative();
        a.insert("erlaubt_personal".into(), json!(["local", "public-cloud"]));
        let err = policy_rules(&a).unwrap_err();
        assert!(matches!(
            err,
            RulesError::Policy(journey::policy::PolicyError::NotMonotonic {
                stricter: "personenbezogen",
                ..
            })
        ));
        assert!(err.to_string().contains("personenbezogen"));
    }

    #[test]
    fn default_class_and_retention_are_checked() {
        let mut a = conservative();
        a.insert(DEFAULT_CLASS.into(), json!("geheim"));
        assert!(policy_rules(&a).unwrap_err().to_string().contains("geheim"));
        let mut a = conservative();
        a.remove(DEFAULT_CLASS);
        assert!(matches!(policy_rules(&a), Err(RulesError::Answer(_))));
        let mut a = conservative();
        a.insert(RETENTION_DAYS.into(), json!(-3));
        assert!(policy_rules(&a)
            .unwrap_err()
            .to_string()
            .contains("Speicherdauer"));
        a.insert(RETENTION_DAYS.into(), json!(100_000));
        assert!(policy_rules(&a).is_err());
    }
}
