//! The OpenID Connect admin form: what the page sends, checked field by
//! field, and a saved setting written back into it. The client secret is
//! write-only: the form never carries it back, and an empty field keeps
//! the stored one.

use serde::Deserialize;

use super::config::OidcConfig;
use crate::directory::config::LocalLogin;
use crate::directory::mapping::Mapping;
use crate::directory::mapping_form::MappingText;
use crate::form::FieldErrors;

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct OidcForm {
    pub enabled: String,
    pub issuer: String,
    pub client_id: String,
    /// Empty: keep the stored secret.
    pub client_secret: String,
    /// Space- or comma-separated, besides `openid`.
    pub scopes: String,
    pub email_claim: String,
    pub name_claim: String,
    pub department_claim: String,
    pub groups_claim: String,
    /// One host a line (or separated by spaces/commas).
    pub allowed_hosts: String,
    pub timeout_secs: String,
    pub departments: String,
    pub roles: String,
    pub functions: String,
    pub default_role: String,
    pub local_login: String,
    pub break_glass_email: String,
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

impl OidcForm {
    /// The form for a setting, without its secret.
    pub fn from_config(c: &OidcConfig) -> OidcForm {
        let text = MappingText::of(&c.mapping);
        OidcForm {
            enabled: if c.enabled {
                "on".into()
            } else {
                String::new()
            },
            issuer: c.issuer.clone(),
            client_id: c.client_id.clone(),
            client_secret: String::new(),
            scopes: c.scopes.join(" "),
            email_claim: c.email_claim.clone(),
            name_claim: c.name_claim.clone(),
            department_claim: c.department_claim.clone(),
            groups_claim: c.groups_claim.clone(),
            allowed_hosts: c.allowed_hosts.join("\n"),
            timeout_secs: c.timeout_secs.to_string(),
            departments: text.departments,
            roles: text.roles,
            functions: text.functions,
            default_role: text.default_role,
            local_login: c.local_login.slug().into(),
            break_glass_email: c.break_glass_email.clone(),
        }
    }

    /// The setting this form describes; `current` gives the stored secret
    /// (kept unless a new one was typed) and what the form does not show.
    pub fn to_config(
        &self,
        current: &OidcConfig,
        departments: &[String],
    ) -> Result<OidcConfig, FieldErrors> {
        let mut errors = FieldErrors::new();
        let (department_rules, roles, functions, default_role) = MappingText {
            departments: self.departments.clone(),
            roles: self.roles.clone(),
            functions: self.functions.clone(),
            default_role: self.default_role.clone(),
        }
        .parse(departments, &mut errors);
        let timeout_secs = match self.timeout_secs.trim().parse::<u64>() {
            Ok(n) if (1..=60).contains(&n) => n,
            _ => {
                errors.insert(
                    "timeout_secs",
                    "Bitte eine Zahl von 1 bis 60 Sekunden angeben.",
                );
                5
            }
        };
        let scopes = words(&self.scopes);
        if let Some(bad) = scopes.iter().find(|s| {
            !s.chars()
                .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
        }) {
            errors.insert(
                "scopes",
                format!(
                    "„{bad}“ ist kein Scope (nur Buchstaben, Ziffern und Zeichen wie _ - . :)."
                ),
            );
        }
        if !self.break_glass_email.trim().is_empty() {
            if let Some(msg) = crate::form::check_email(self.break_glass_email.trim()) {
                errors.insert("break_glass_email", msg);
            }
        }
        let claim = |field: &str, value: &str, errors: &mut FieldErrors| -> String {
            let value = value.trim();
            if value.is_empty() {
                errors.insert(field, "Bitte den Namen des Claims angeben.");
            }
            value.to_string()
        };
        let config = OidcConfig {
            enabled: !self.enabled.is_empty(),
            issuer: self.issuer.trim().trim_end_matches('/').to_string(),
            client_id: self.client_id.trim().to_string(),
            client_secret: if self.client_secret.is_empty() {
                current.client_secret.clone()
            } else {
                self.client_secret.clone()
            },
            scopes,
            email_claim: claim("email_claim", &self.email_claim, &mut errors),
            name_claim: claim("name_claim", &self.name_claim, &mut errors),
            department_claim: claim("department_claim", &self.department_claim, &mut errors),
            groups_claim: claim("groups_claim", &self.groups_claim, &mut errors),
            allowed_hosts: words(&self.allowed_hosts),
            timeout_secs,
            clock_skew_secs: current.clock_skew_secs,
            mapping: Mapping {
                departments: department_rules,
                roles,
                functions,
                default_role,
                ..Mapping::default()
            },
            local_login: if self.local_login == "break-glass-only" {
                LocalLogin::BreakGlassOnly
            } else {
                LocalLogin::Everyone
            },
            break_glass_email: self.break_glass_email.trim().to_string(),
        };
        // Switched on, it must be complete; switched off, an issuer typed
        // must still be an allowed address (it is fetched on save).
        let problems = if config.enabled {
            config.problems()
        } else {
            config
                .problems()
                .into_iter()
                .filter(|p| p.starts_with("Aussteller") && !config.issuer.is_empty())
                .collect()
        };
        for problem in problems {
            let field = if problem.starts_with("Aussteller") {
                "issuer"
            } else if problem.starts_with("Client-ID") {
                "client_id"
            } else if problem.starts_with("Client-Geheimnis") {
                "client_secret"
            } else if problem.contains("Notfallkonto") {
                "break_glass_email"
            } else {
                "allowed_hosts"
            };
            errors.insert(field, problem);
        }
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::mapping::GroupRole;
    use journey::access::Role;

    #[test]
    fn the_form_round_trips_without_the_secret() {
        let mut config = OidcConfig {
            enabled: true,
            issuer: "https://login.stadt.de/realms/verwaltung".into(),
            client_id: "ki-reise".into(),
            client_secret: "geheim".into(),
            scopes: vec!["email".into(), "profile".into(), "dienst".into()],
            allowed_hosts: vec!["graph.microsoft.com".into()],
            ..OidcConfig::default()
        };
        config.mapping.roles.push(GroupRole {
            group: "KI-Team".into(),
            role: Role::ProjectTeam,
        });
        let form = OidcForm::from_config(&config);
        assert!(form.client_secret.is_empty());
        assert_eq!(form.to_config(&config, &[]).unwrap(), config);
        let bad = OidcForm {
            issuer: "http://login.stadt.de".into(),
            client_id: " ".into(),
            roles: "KI-Team = chef".into(),
            scopes: "email \"x\"".into(),
            local_login: "break-glass-only".into(),
            ..form.clone()
        };
        let errors = bad.to_config(&config, &[]).unwrap_err();
        for field in [
            "issuer",
            "client_id",
            "roles",
            "scopes",
            "break_glass_email",
        ] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        assert!(errors.get("issuer").unwrap().contains("https://"));
        // Off, an incomplete draft may be saved, but never a plain-HTTP issuer.
        let draft = OidcForm {
            enabled: String::new(),
            client_id: String::new(),
            ..form.clone()
        };
        assert!(draft.to_config(&OidcConfig::default(), &[]).is_ok());
        let draft = OidcForm {
            enabled: String::new(),
            issuer: "http://intranet.stadt.de".into(),
            ..form
        };
        assert!(draft
            .to_config(&config, &[])
            .unwrap_err()
            .get("issuer")
            .is_some());
    }
}
