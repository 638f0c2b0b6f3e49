//! Knowledge spaces (Wissensräume): who may read one. The portal asks
//! [`may_read`] for the list, every page and every API call of a space, so
//! a space is visible exactly where its contents are.

use serde::{Deserialize, Serialize};

use crate::access::{Permission, Role};

/// Who reads a space besides the administration and the project team,
/// who manage all spaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "names", rename_all = "snake_case")]
pub enum Readers {
    Everyone,
    /// Accounts of these departments (names as in the profile).
    Departments(Vec<String>),
    /// Accounts with one of these roles.
    Roles(Vec<Role>),
}

impl Readers {
    pub fn slug(&self) -> &'static str {
        match self {
            Readers::Everyone => "everyone",
            Readers::Departments(_) => "departments",
            Readers::Roles(_) => "roles",
        }
    }

    /// The names this kind lists (departments or role slugs).
    pub fn names(&self) -> Vec<String> {
        match self {
            Readers::Everyone => Vec::new(),
            Readers::Departments(d) => d.clone(),
            Readers::Roles(r) => r.iter().map(|r| r.as_str().to_owned()).collect(),
        }
    }

    /// From the stored kind and names; `None` for an unknown kind or role.
    pub fn from_parts(kind: &str, names: Vec<String>) -> Option<Readers> {
        match kind {
            "everyone" => Some(Readers::Everyone),
            "departments" => Some(Readers::Departments(names)),
            "roles" => names
                .iter()
                .map(|n| Role::parse(n))
                .collect::<Option<Vec<_>>>()
                .map(Readers::Roles),
            _ => None,
        }
    }

    /// „alle Beschäftigten“, „Fachbereiche: Ordnungsamt, Bauamt“, …
    pub fn label(&self) -> String {
        match self {
            Readers::Everyone => "alle".to_owned(),
            Readers::Departments(d) => format!("Fachbereiche: {}", d.join(", ")),
            Readers::Roles(r) => format!(
                "Rollen: {}",
                r.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

/// Whether an account with `role` in `department` may read a space.
pub fn may_read(readers: &Readers, role: Role, department: Option<&str>) -> bool {
    if may_manage(role) {
        return true;
    }
    match readers {
        Readers::Everyone => true,
        Readers::Departments(names) => department.is_some_and(|d| {
            names
                .iter()
                .any(|n| n.trim().eq_ignore_ascii_case(d.trim()))
        }),
        Readers::Roles(roles) => roles.contains(&role),
    }
}

/// Who creates spaces and adds or removes their documents.
pub fn may_manage(role: Role) -> bool {
    role.can(Permission::ManageSpaces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn departments_read_their_spaces_and_the_team_reads_all() {
        let readers = Readers::Departments(vec!["Ordnungsamt".into()]);
        assert!(may_read(&readers, Role::Staff, Some("Ordnungsamt")));
        assert!(!may_read(&readers, Role::Staff, Some("Bauamt")));
        assert!(!may_read(&readers, Role::Staff, None));
        assert!(may_read(&readers, Role::ProjectTeam, None));
        assert!(may_read(&readers, Role::Admin, Some("Bauamt")));
        let roles = Readers::Roles(vec![Role::Viewer]);
        assert!(may_read(&roles, Role::Viewer, None));
        assert!(!may_read(&roles, Role::Staff, None));
        assert!(may_read(&Readers::Everyone, Role::Viewer, None));
    }

    #[test]
    fn stored_parts_read_back() {
        let r = Readers::Roles(vec![Role::Staff]);
        assert_eq!(Readers::from_parts(r.slug(), r.names()), Some(r));
        assert_eq!(Readers::from_parts("roles", vec!["kaiser".into()]), None);
    }
}
