//! The admin page's form: what it sends, checked field by field, and how a
//! saved setting is written back into it. The bind password is write-only:
//! the form never carries it back, and an empty field keeps the stored one.

use serde::Deserialize;

use super::config::{DirectoryConfig, LocalLogin, NestedGroups};
use super::mapping::Mapping;
use super::mapping_form::MappingText;
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

impl DirectoryForm {
    /// The form for a stored setting, without its password.
    pub fn from_config(c: &DirectoryConfig) -> DirectoryForm {
        let m = &c.mapping;
        let text = MappingText::of(m);
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
            departments: text.departments,
            roles: text.roles,
            functions: text.functions,
            default_role: text.default_role,
            local_login: c.local_login.slug().into(),
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
        let (department_rules, roles, functions, default_role) = MappingText {
            departments: self.departments.clone(),
            roles: self.roles.clone(),
            functions: self.functions.clone(),
            default_role: self.default_role.clone(),
        }
        .parse(departments, &mut errors);
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
    use crate::directory::mapping::GroupRole;
    use journey::access::Role;

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
