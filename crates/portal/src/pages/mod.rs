//! The German pages of the portal, one module per area. Forms post back to
//! their own URL; on an error the page is rendered again with the input kept
//! and a message next to the field.

pub mod account;
pub mod ai_register;
pub mod assistant;
pub mod assistants_admin;
pub mod audit;
pub mod bench_keys;
pub mod bench_runs;
pub mod dashboard;
pub mod document_edit;
pub mod document_export;
pub mod document_review;
pub mod documents;
pub mod gateway_limits;
pub mod gateway_settings;
pub mod invite;
pub mod login;
pub mod modules;
pub mod nachnutzung;
pub mod nachnutzung_upload;
pub mod profile;
pub mod qualification;
pub mod qualification_offer_edit;
pub mod qualification_partners;
pub mod qualification_people;
pub mod qualification_planner;
pub mod qualification_rubric;
pub mod qualification_training;
pub mod setup;
pub mod survey;
pub mod survey_editor;
pub mod usage;
pub mod usecase_classify;
pub mod usecase_criteria;
pub mod usecase_exchange;
pub mod usecase_pilot;
pub mod usecase_protection;
pub mod usecases;
pub mod users;

use std::collections::HashMap;

use askama::Template;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};

use crate::error::PageError;

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

/// A number as German forms show it: up to two decimals, comma, no
/// trailing zeros ("1200,5", "3").
pub fn decimal_de(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0')
        .trim_end_matches('.')
        .replace('.', ",")
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

pub fn render(page: &impl Template) -> Result<Response, PageError> {
    Ok(Html(page.render()?).into_response())
}

pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
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

/// Only same-site paths are followed after login, never another host.
pub fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
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

    #[test]
    fn redirects_after_login_stay_on_this_site() {
        assert_eq!(safe_next("/benutzer"), "/benutzer");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
    }
}
