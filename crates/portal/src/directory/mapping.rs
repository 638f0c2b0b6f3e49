//! From what a directory says about a person to an account: e-mail, display
//! name, department, role and functions, and the gaps the administration
//! must fill. Pure and independent of LDAP: an OpenID Connect sign-in feeds
//! the same [`Mapping::apply`] with its claims and group names.
//!
//! Precedence: a person in several groups mapped to roles gets the role with
//! the most rights (admin before project-team before staff before viewer),
//! so moving someone up in the directory never needs them removed from the
//! lower group first. Functions add up: every mapped group gives its function.

use std::collections::HashMap;

use journey::access::{Function, Role};
use serde::{Deserialize, Serialize};

/// A department name as the directory writes it, and the profile's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentRule {
    pub directory: String,
    pub department: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupRole {
    pub group: String,
    /// `admin`, `project-team`, `staff` or `viewer`.
    #[schema(value_type = String, pattern = "^(admin|project-team|staff|viewer)$")]
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupFunction {
    pub group: String,
    /// A function such as `data-protection` (see the account functions).
    #[schema(value_type = String)]
    pub function: Function,
}

/// Which attributes (or claims) carry what, and the group tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mapping {
    pub email_attribute: String,
    pub name_attribute: String,
    pub department_attribute: String,
    /// Directory names that differ from the profile's departments.
    pub departments: Vec<DepartmentRule>,
    pub roles: Vec<GroupRole>,
    pub functions: Vec<GroupFunction>,
    /// The role of someone in none of the mapped groups; without one, such
    /// a person cannot sign in.
    pub default_role: Option<Role>,
}

impl Default for Mapping {
    fn default() -> Self {
        Mapping {
            email_attribute: "mail".into(),
            name_attribute: "displayName".into(),
            department_attribute: "department".into(),
            departments: Vec::new(),
            roles: Vec::new(),
            functions: Vec::new(),
            default_role: Some(Role::Staff),
        }
    }
}

/// What the mapping makes of one person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MappedAccount {
    pub email: Option<String>,
    pub name: String,
    pub department: Option<String>,
    /// `None`: in no mapped group and no default role, so no sign-in.
    pub role: Option<Role>,
    pub functions: Vec<Function>,
    pub gaps: Vec<String>,
}

/// Attribute names are case-insensitive in LDAP (`mail` = `Mail`).
fn first<'a>(attrs: &'a HashMap<String, Vec<String>>, name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.iter().map(|s| s.trim()).find(|s| !s.is_empty()))
}

/// A rule's group matches a group's common name or its whole DN, without
/// regard to case (directories differ in how they write either).
fn group_matches(rule: &str, groups: &[String]) -> bool {
    let rule = rule.trim();
    !rule.is_empty() && groups.iter().any(|g| g.trim().eq_ignore_ascii_case(rule))
}

fn rank(role: Role) -> u8 {
    match role {
        Role::Admin => 0,
        Role::ProjectTeam => 1,
        Role::Staff => 2,
        Role::Viewer => 3,
    }
}

impl Mapping {
    /// `groups` holds each group's name and DN (both may be listed);
    /// `profile_departments` are the names in the municipality's profile.
    pub fn apply(
        &self,
        attrs: &HashMap<String, Vec<String>>,
        groups: &[String],
        login: &str,
        profile_departments: &[String],
    ) -> MappedAccount {
        let mut gaps = Vec::new();
        let email = first(attrs, &self.email_attribute)
            .filter(|e| crate::form::check_email(e).is_none())
            .map(str::to_string);
        if email.is_none() {
            gaps.push(format!(
                "Keine gültige E-Mail-Adresse im Verzeichnis (Attribut „{}“).",
                self.email_attribute
            ));
        }
        let name = first(attrs, &self.name_attribute)
            .map(str::to_string)
            .unwrap_or_else(|| login.to_string());
        let department = match first(attrs, &self.department_attribute) {
            None => {
                gaps.push(format!(
                    "Kein Fachbereich im Verzeichnis (Attribut „{}“).",
                    self.department_attribute
                ));
                None
            }
            Some(raw) => {
                let wanted = self
                    .departments
                    .iter()
                    .find(|r| r.directory.trim().eq_ignore_ascii_case(raw))
                    .map(|r| r.department.trim())
                    .unwrap_or(raw);
                let found = profile_departments
                    .iter()
                    .find(|d| d.trim().eq_ignore_ascii_case(wanted));
                if found.is_none() {
                    gaps.push(format!(
                        "Den Fachbereich „{raw}“ aus dem Verzeichnis gibt es im Profil der Kommune nicht; \
                         bitte in der Zuordnungstabelle ergänzen."
                    ));
                }
                found.cloned()
            }
        };
        let role = self
            .roles
            .iter()
            .filter(|r| group_matches(&r.group, groups))
            .map(|r| r.role)
            .min_by_key(|r| rank(*r))
            .or(self.default_role);
        let mut functions: Vec<Function> = self
            .functions
            .iter()
            .filter(|f| group_matches(&f.group, groups))
            .map(|f| f.function)
            .collect();
        functions.sort();
        functions.dedup();
        MappedAccount {
            email,
            name,
            department,
            role,
            functions,
            gaps,
        }
    }
}

/// The e-mail an account without one in the directory gets: unique, clearly
/// not deliverable (`.invalid`, RFC 2606), and shown as a gap.
pub fn placeholder_email(login: &str) -> String {
    let safe: String = login
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}@verzeichnis.invalid")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> HashMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
            .collect()
    }

    fn mapping() -> Mapping {
        Mapping {
            departments: vec![DepartmentRule {
                directory: "FB 3 - Bürgerdienste".into(),
                department: "Bürgerdienste".into(),
            }],
            roles: vec![
                GroupRole {
                    group: "KI-Mitarbeitende".into(),
                    role: Role::Staff,
                },
                GroupRole {
                    group: "cn=KI-Projektteam,ou=Gruppen,dc=stadt,dc=de".into(),
                    role: Role::ProjectTeam,
                },
            ],
            functions: vec![GroupFunction {
                group: "Datenschutz".into(),
                function: Function::DataProtection,
            }],
            default_role: None,
            ..Mapping::default()
        }
    }

    #[test]
    fn the_role_with_most_rights_wins_and_departments_map_by_table() {
        let m = mapping().apply(
            &attrs(&[
                ("Mail", "a.b@stadt.de"),
                ("displayName", "Anna B"),
                ("department", "FB 3 - Bürgerdienste"),
            ]),
            &[
                "ki-mitarbeitende".into(),
                "CN=KI-Projektteam,OU=Gruppen,DC=stadt,DC=de".into(),
                "Datenschutz".into(),
            ],
            "ab",
            &["Bürgerdienste".into(), "IT".into()],
        );
        assert_eq!(m.email.as_deref(), Some("a.b@stadt.de"));
        assert_eq!(m.department.as_deref(), Some("Bürgerdienste"));
        assert_eq!(m.role, Some(Role::ProjectTeam));
        assert_eq!(m.functions, vec![Function::DataProtection]);
        assert!(m.gaps.is_empty(), "{:?}", m.gaps);
    }

    #[test]
    fn missing_email_and_department_are_gaps_not_errors() {
        let m = mapping().apply(&attrs(&[("department", "Gibt es nicht")]), &[], "xy", &[]);
        assert_eq!(m.email, None);
        assert_eq!(m.name, "xy");
        assert_eq!(m.department, None);
        assert_eq!(m.role, None, "no group, no default role");
        assert_eq!(m.gaps.len(), 2, "{:?}", m.gaps);
        assert_eq!(placeholder_email("X Y*"), "x_y_@verzeichnis.invalid");
    }
}
