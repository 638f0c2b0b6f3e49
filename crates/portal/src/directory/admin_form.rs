//! The admin page's form: what it sends, checked field by field, and how a
//! saved setting is written back into it. The bind password is write-only:
//! the form never carries it back, and an empty field keeps the stored one.

use journey::access::{Function, Role};
use serde::Deserialize;

use super::config::{DirectoryConfig, LocalLogin, NestedGroups};
use super::mapping::{DepartmentRule, GroupFunction, GroupRole, Mapping};
use crate::form::FieldErrors;

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct DirectoryForm {
    pub enabled: String,
    pub url: String,
    pub starttls: String,
    pub ca_cert_pem: String,
    pub bind_dn: String,
    /// Empty: keep the stored password.
    pub bind_password: String,
    pub base_dn: String,
    pub group_base_dn: String,
    pub user_filter: String,
    pub login_attribute: String,
    pub nested_groups: String,
    pub timeout_secs: String,
    pub email_attribute: String,
    pub name_attribute: String,
    pub department_attribute: String,
    pub departments: String,
    pub roles: String,
    pub functions: String,
    pub default_role: String,
    pub local_login: String,
    pub break_glass_email: String,
}

fn lines(rules: impl Iterator<Item = (String, String)>) -> String {
    rules
        .map(|(a, b)| format!("{a} = {b}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl DirectoryForm {
    /// The form for a stored setting, without its password.
    pub fn from_config(c: &DirectoryConfig) -> DirectoryForm {
        let m = &c.mapping;
        DirectoryForm {
            enabled: if c.enabled {
                "on".into()
            } else {
                String::new()
            },
            url: c.url.clone(),
            starttls: if c.starttls {
                "on".into()
            } else {
                String::new()
            },
            ca_cert_pem: c.ca_cert_pem.clone(),
            bind_dn: c.bind_dn.clone(),
            bind_password: String::new(),
            base_dn: c.base_dn.clone(),
            group_base_dn: c.group_base_dn.clone(),
            user_filter: c.user_filter.clone(),
            login_attribute: c.login_attribute.clone(),
            nested_groups: match c.nested_groups {
                NestedGroups::ActiveDirectory => "active-directory".into(),
                NestedGroups::Walk => "walk".into(),
            },
            timeout_secs: c.timeout_secs.to_string(),
            email_attribute: m.email_attribute.clone(),
            name_attribute: m.name_attribute.clone(),
            department_attribute: m.department_attribute.clone(),
            departments: lines(
                m.departments
                    .iter()
                    .map(|r| (r.directory.clone(), r.department.clone())),
            ),
            roles: lines(
                m.roles
                    .iter()
                    .map(|r| (r.group.clone(), r.role.as_str().to_string())),
            ),
            functions: lines(
                m.functions
                    .iter()
                    .map(|r| (r.group.clone(), r.function.as_str().to_string())),
            ),
            default_role: m
                .default_role
                .map(|r| r.as_str().to_string())
                .unwrap_or_default(),
            local_login: match c.local_login {
                LocalLogin::Everyone => "everyone".into(),
                LocalLogin::BreakGlassOnly => "break-glass-only".into(),
            },
            break_glass_email: c.break_glass_email.clone(),
        }
    }

    /// The setting this form describes; `stored_password` stays unless a
    /// new one was typed.
    pub fn to_config(
        &self,
        stored_password: &str,
        departments: &[String],
    ) -> Result<DirectoryConfig, FieldErrors> {
        let mut errors = FieldErrors::new();
        let pairs = |field: &str, text: &str, errors: &mut FieldErrors| -> Vec<(String, String)> {
            let mut out = Vec::new();
            for (n, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                match line.rsplit_once('=') {
                    Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
                        out.push((a.trim().to_string(), b.trim().to_string()))
                    }
                    _ => errors.insert(
                        field,
                        format!(
                            "Zeile {}: bitte in der Form „Gruppe = Wert“ angeben.",
                            n + 1
                        ),
                    ),
                }
            }
            out
        };
        let mut department_rules = Vec::new();
        for (directory, department) in pairs("departments", &self.departments, &mut errors) {
            if !departments.iter().any(|d| d == &department) {
                errors.insert(
                    "departments",
                    format!("Den Fachbereich „{department}“ gibt es im Profil der Kommune nicht."),
                );
            }
            department_rules.push(DepartmentRule {
                directory,
                department,
            });
        }
        let mut roles = Vec::new();
        for (group, role) in pairs("roles", &self.roles, &mut errors) {
            match Role::parse(&role) {
                Some(role) => roles.push(GroupRole { group, role }),
                None => errors.insert(
                    "roles",
                    format!("Die Rolle „{role}“ gibt es nicht. Erlaubt: admin, project-team, staff, viewer."),
                ),
            }
        }
        let mut functions = Vec::new();
        for (group, function) in pairs("functions", &self.functions, &mut errors) {
            match Function::parse(&function) {
                Some(function) => functions.push(GroupFunction { group, function }),
                None => errors.insert(
                    "functions",
                    format!(
                        "Die Funktion „{function}“ gibt es nicht. Erlaubt: {}.",
                        Function::ALL.map(|f| f.as_str()).join(", ")
                    ),
                ),
            }
        }
        let default_role = match self.default_role.trim() {
            "" => None,
            r => match Role::parse(r) {
                Some(r) => Some(r),
                None => {
                    errors.insert("default_role", "Bitte eine Rolle aus der Liste wählen.");
                    None
                }
            },
        };
        let timeout_secs = match self.timeout_secs.trim().parse::<u64>() {
            Ok(n) if (1..=120).contains(&n) => n,
            _ => {
                errors.insert(
                    "timeout_secs",
                    "Bitte eine Zahl von 1 bis 120 Sekunden angeben.",
                );
                5
            }
        };
        if !self.break_glass_email.trim().is_empty() {
            if let Some(msg) = crate::form::check_email(self.break_glass_email.trim()) {
                errors.insert("break_glass_email", msg);
            }
        }
        let config = DirectoryConfig {
            enabled: !self.enabled.is_empty(),
            url: self.url.trim().to_string(),
            starttls: !self.starttls.is_empty(),
            ca_cert_pem: self.ca_cert_pem.trim().to_string(),
            ca_cert_file: None,
            bind_dn: self.bind_dn.trim().to_string(),
            bind_password: if self.bind_password.is_empty() {
                stored_password.to_string()
            } else {
                self.bind_password.clone()
            },
            base_dn: self.base_dn.trim().to_string(),
            group_base_dn: self.group_base_dn.trim().to_string(),
            user_filter: self.user_filter.trim().to_string(),
            login_attribute: self.login_attribute.trim().to_string(),
            nested_groups: if self.nested_groups == "walk" {
                NestedGroups::Walk
            } else {
                NestedGroups::ActiveDirectory
            },
            timeout_secs,
            mapping: Mapping {
                email_attribute: self.email_attribute.trim().to_string(),
                name_attribute: self.name_attribute.trim().to_string(),
                department_attribute: self.department_attribute.trim().to_string(),
                departments: department_rules,
                roles,
                functions,
                default_role,
            },
            local_login: if self.local_login == "break-glass-only" {
                LocalLogin::BreakGlassOnly
            } else {
                LocalLogin::Everyone
            },
            break_glass_email: self.break_glass_email.trim().to_string(),
        };
        // A setting that is switched on must be complete; one saved switched
        // off may be a draft.
        if config.enabled {
            for problem in config.problems() {
                let field = if problem.starts_with("Adresse") {
                    "url"
                } else if problem.starts_with("Suchbasis") {
                    "base_dn"
                } else if problem.contains("{login}") {
                    "user_filter"
                } else if problem.starts_with("Attribut") {
                    "login_attribute"
                } else {
                    "break_glass_email"
                };
                errors.insert(field, problem);
            }
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

    #[test]
    fn the_form_round_trips_without_the_password() {
        let mut config = DirectoryConfig {
            enabled: true,
            url: "ldaps://dc.stadt.intern".into(),
            base_dn: "dc=stadt,dc=de".into(),
            bind_password: "geheim".into(),
            ..DirectoryConfig::default()
        };
        config.mapping.roles.push(GroupRole {
            group: "KI-Team".into(),
            role: Role::ProjectTeam,
        });
        let form = DirectoryForm::from_config(&config);
        assert!(form.bind_password.is_empty());
        assert_eq!(form.to_config("geheim", &[]).unwrap(), config);
        let bad = DirectoryForm {
            roles: "KI-Team = chef\nohne Gleichheitszeichen".into(),
            url: "ldap://unverschluesselt".into(),
            ..form
        };
        let errors = bad.to_config("geheim", &[]).unwrap_err();
        assert!(errors.get("roles").is_some());
        assert!(errors.get("url").is_some());
    }
}
