//! The mapping tables as the admin pages show them, one rule a line
//! ("Gruppe = Rolle"), for the directory and for OpenID Connect alike.

use journey::access::{Function, Role};

use super::mapping::{DepartmentRule, GroupFunction, GroupRole, Mapping};
use crate::form::FieldErrors;

/// The four mapping fields of a form.
#[derive(Debug, Default, Clone)]
pub struct MappingText {
    pub departments: String,
    pub roles: String,
    pub functions: String,
    pub default_role: String,
}

fn lines(rules: impl Iterator<Item = (String, String)>) -> String {
    rules
        .map(|(a, b)| format!("{a} = {b}"))
        .collect::<Vec<_>>()
        .join("\n")
}

type Parsed = (
    Vec<DepartmentRule>,
    Vec<GroupRole>,
    Vec<GroupFunction>,
    Option<Role>,
);

impl MappingText {
    pub fn of(m: &Mapping) -> MappingText {
        MappingText {
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
        }
    }

    /// The rules, each line checked; problems go into `errors` under the
    /// field's name. `departments` are the profile's.
    pub fn parse(&self, departments: &[String], errors: &mut FieldErrors) -> Parsed {
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
        for (directory, department) in pairs("departments", &self.departments, errors) {
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
        for (group, role) in pairs("roles", &self.roles, errors) {
            match Role::parse(&role) {
                Some(role) => roles.push(GroupRole { group, role }),
                None => errors.insert(
                    "roles",
                    format!("Die Rolle „{role}“ gibt es nicht. Erlaubt: admin, project-team, staff, viewer."),
                ),
            }
        }
        let mut functions = Vec::new();
        for (group, function) in pairs("functions", &self.functions, errors) {
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
        (department_rules, roles, functions, default_role)
    }
}
