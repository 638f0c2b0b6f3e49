//! What forms share: the posted fields, messages next to fields, and
//! reading what people type (German decimals, email addresses, the serde
//! names of choices).

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Field name → German message, shown next to that field.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(HashMap<String, String>);

impl FieldErrors {
    pub fn new() -> FieldErrors {
        FieldErrors::default()
    }

    pub fn get(&self, field: &str) -> Option<&String> {
        self.0.get(field)
    }

    pub fn contains_key(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// Keeps the first message for a field: it is usually the most basic.
    pub fn insert(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| message.into());
    }

    /// The field first in name order and its message, for an API error
    /// that names one field.
    pub fn first(&self) -> Option<(&str, &str)> {
        self.0
            .iter()
            .min_by_key(|(k, _)| k.as_str())
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn extend(&mut self, other: FieldErrors) {
        for (k, v) in other.0 {
            self.insert(k, v);
        }
    }
}

pub fn field_errors(errors: &[journey::profile::FieldError]) -> FieldErrors {
    let mut map = FieldErrors::new();
    for e in errors {
        map.insert(e.field, e.message.clone());
    }
    map
}

/// The fields of a posted form, in order; repeated names are kept.
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn new(pairs: Vec<(String, String)>) -> Fields {
        Fields(pairs)
    }

    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// Drops every field of this name.
    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(k, _)| k != name);
    }

    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    pub fn version(&self) -> i64 {
        self.get("version").trim().parse().unwrap_or(-1)
    }
}

/// The serde name of a value (`generative_text`, `pilot`, …).
pub fn key<T: Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The value with this serde name.
pub fn from_key<T: DeserializeOwned>(key: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(key.trim().to_owned())).ok()
}

/// A number as typed into a German form ("12,5" or "12.5"); `None` for
/// anything else, infinities included.
pub fn parse_decimal_de(s: &str) -> Option<f64> {
    s.trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// A plausible email address; delivery is what really checks it.
pub fn check_email(email: &str) -> Option<String> {
    let email = email.trim();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    (!valid).then(|| {
        "Bitte eine gültige E-Mail-Adresse angeben, z. B. vorname.name@stadt.de.".to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(check_email("anna.schmidt@halle.de").is_none());
        assert!(check_email("anna@localhost").is_some());
        assert!(check_email("@halle.de").is_some());
        assert!(check_email("a b@halle.de").is_some());
    }
}
