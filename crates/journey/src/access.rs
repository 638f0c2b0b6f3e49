//! Roles and what each may do. This is the one place that decides access;
//! the portal maps every route to a [`Permission`] and asks [`Role::can`].

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Admin,
    ProjectTeam,
    Staff,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::ProjectTeam, Role::Staff, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ProjectTeam => "project-team",
            Role::Staff => "staff",
            Role::Viewer => "viewer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administration",
            Role::ProjectTeam => "Projektteam KI-Reise",
            Role::Staff => "Beschäftigte",
            Role::Viewer => "Nur lesen",
        }
    }

    /// Accepts the code names and the German labels, so that a CSV written
    /// by hand in a spreadsheet imports as expected.
    pub fn parse(s: &str) -> Option<Role> {
        let s = s.trim();
        Role::ALL.into_iter().find(|r| {
            r.as_str().eq_ignore_ascii_case(s)
                || r.label().eq_ignore_ascii_case(s)
                || (s.eq_ignore_ascii_case("projektteam") && *r == Role::ProjectTeam)
                || (s.eq_ignore_ascii_case("project team") && *r == Role::ProjectTeam)
        })
    }

    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match permission {
            ViewJourney | ViewModules | ManageOwnApiKeys | ChangeOwnPassword => true,
            ViewUseCases => true,
            ViewQualification => true,
            EnrolInTrainings => self != Role::Viewer,
            ManageQualification => matches!(self, Role::Admin | Role::ProjectTeam),
            SubmitUseCases => self != Role::Viewer,
            AssessUseCases => matches!(self, Role::Admin | Role::ProjectTeam),
            UpdateSteps | ManageSurveys => matches!(self, Role::Admin | Role::ProjectTeam),
            ManageUsers | EditProfile | ViewAuditLog | ExportSurveyAnswers => self == Role::Admin,
            ViewDocuments => true,
            // The function the account holds decides what it may state or
            // adopt (portal::access::may_give_statement / may_adopt).
            ActInFunction => true,
            EditDocuments | ReviewDocuments => matches!(self, Role::Admin | Role::ProjectTeam),
            AdoptDocuments | ManageGateway => self == Role::Admin,
            RunBenchmarks | ManageAssistants | ViewUsage | ManageQuotas => {
                matches!(self, Role::Admin | Role::ProjectTeam)
            }
            UseAssistant => self != Role::Viewer,
            // Which spaces an account reads is decided per space
            // (`spaces::may_read`).
            ViewSpaces => true,
            ManageSpaces => matches!(self, Role::Admin | Role::ProjectTeam),
        }
    }
}

/// A function an account holds in the municipality, besides its role: the
/// bodies that give their statement on a document before adoption, and the
/// one who adopts. Each function has at most one holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Function {
    DataProtection,
    InformationSecurity,
    StaffCouncil,
    Equality,
    Mayor,
}

impl Function {
    pub const ALL: [Function; 5] = [
        Function::DataProtection,
        Function::InformationSecurity,
        Function::StaffCouncil,
        Function::Equality,
        Function::Mayor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Function::DataProtection => "datenschutz",
            Function::InformationSecurity => "informationssicherheit",
            Function::StaffCouncil => "personalrat",
            Function::Equality => "gleichstellung",
            Function::Mayor => "buergermeister",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Function::DataProtection => "Datenschutzbeauftragte/r",
            Function::InformationSecurity => "Informationssicherheitsbeauftragte/r",
            Function::StaffCouncil => "Personalrat",
            Function::Equality => "Gleichstellungsbeauftragte/r",
            Function::Mayor => "Bürgermeister/in",
        }
    }

    /// Accepts the code names and the German labels (CSV import, API).
    pub fn parse(s: &str) -> Option<Function> {
        let s = s.trim();
        Function::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s) || f.label().eq_ignore_ascii_case(s))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Permission {
    /// See the dashboard, the phases and their steps, the municipality profile.
    ViewJourney,
    /// Open the module pages.
    ViewModules,
    /// Change the status of a journey step.
    UpdateSteps,
    /// Create, invite, import, deactivate users, reset passwords.
    ManageUsers,
    /// Edit the municipality profile and departments.
    EditProfile,
    /// Read the audit log.
    ViewAuditLog,
    /// Set up, open and close surveys, make participation links, see and
    /// export (anonymous) results.
    ManageSurveys,
    /// Export the anonymised answers of a closed survey row by row (one
    /// row per person, coarsened); aggregated results are enough for
    /// everyone else.
    ExportSurveyAnswers,
    /// Create and revoke one's own API keys.
    ManageOwnApiKeys,
    ChangeOwnPassword,
    /// See the use cases, their ranking and classification.
    ViewUseCases,
    /// Submit an idea for a use case.
    SubmitUseCases,
    /// Fill in the canvas, classify, change status, adopt from the library,
    /// publish in the AI register.
    AssessUseCases,
    /// Read adopted documents (the KI-Richtlinie binds everyone).
    ViewDocuments,
    /// Start documents from templates, edit them, see drafts, compare
    /// versions, comment, submit for review, import and export templates.
    EditDocuments,
    /// Comment on the sections of a document (the project team's working
    /// notes).
    ReviewDocuments,
    /// Record the adoption of a reviewed document as the administration,
    /// while no account holds the function Bürgermeister/in.
    AdoptDocuments,
    /// Give the statement of a function one holds (Datenschutz,
    /// Informationssicherheit, Personalrat, Gleichstellung) or adopt as
    /// Bürgermeister/in. Every role may hold a function; the function held
    /// decides, per request.
    ActInFunction,
    /// Start comparison tests (Vergleichstest) and read their reports. The
    /// specs hold endpoint keys, so staff do not see them.
    RunBenchmarks,
    /// Chat with the KI-Assistent (through the gateway, within the policy).
    UseAssistant,
    /// Create, change and delete the shared assistants (system prompts).
    ManageAssistants,
    /// See the gateway's usage (metadata only) and export it.
    ViewUsage,
    /// Set token quotas per user, team and department and the settings of
    /// API keys (rate limit, team, default data class).
    ManageQuotas,
    /// Configure the gateway's remote backends and whether chat texts are
    /// stored on the server (and for how long).
    ManageGateway,
    /// See the training catalogue, learning paths, dates, one's own record
    /// and credentials; the Art. 4 report (scoped: own record for staff, the
    /// department for the project team, everything for admins).
    ViewQualification,
    /// Enrol oneself in a training session.
    EnrolInTrainings,
    /// Edit the catalogue, evaluate offers, build paths, plan, run sessions
    /// (attendance, completion) and issue credentials.
    ManageQualification,
    /// Open the knowledge spaces (Wissensräume) one may read and search them.
    ViewSpaces,
    /// Create knowledge spaces and add or remove their documents.
    ManageSpaces,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everyone_reads_adopted_documents_and_only_admins_record_adoption() {
        for role in Role::ALL {
            assert!(role.can(Permission::ViewDocuments));
            assert_eq!(
                role.can(Permission::EditDocuments),
                matches!(role, Role::Admin | Role::ProjectTeam)
            );
            assert_eq!(role.can(Permission::AdoptDocuments), role == Role::Admin);
        }
    }

    #[test]
    fn only_admins_manage_users_and_read_the_audit_log() {
        for role in Role::ALL {
            assert_eq!(role.can(Permission::ManageUsers), role == Role::Admin);
            assert_eq!(role.can(Permission::ViewAuditLog), role == Role::Admin);
        }
    }

    #[test]
    fn viewers_and_staff_cannot_change_step_status() {
        assert!(!Role::Viewer.can(Permission::UpdateSteps));
        assert!(!Role::Staff.can(Permission::UpdateSteps));
        assert!(Role::ProjectTeam.can(Permission::UpdateSteps));
    }

    #[test]
    fn everyone_but_viewers_submits_ideas_and_only_the_project_team_assesses_them() {
        for role in Role::ALL {
            assert!(role.can(Permission::ViewUseCases));
            assert_eq!(role.can(Permission::SubmitUseCases), role != Role::Viewer);
            assert_eq!(
                role.can(Permission::AssessUseCases),
                matches!(role, Role::Admin | Role::ProjectTeam)
            );
        }
    }

    #[test]
    fn everyone_sees_qualification_viewers_cannot_enrol_and_only_the_team_manages_it() {
        for role in Role::ALL {
            assert!(role.can(Permission::ViewQualification));
            assert_eq!(role.can(Permission::EnrolInTrainings), role != Role::Viewer);
            assert_eq!(
                role.can(Permission::ManageQualification),
                matches!(role, Role::Admin | Role::ProjectTeam)
            );
        }
    }

    #[test]
    fn functions_parse_from_code_names_and_german_labels() {
        for f in Function::ALL {
            assert_eq!(Function::parse(f.as_str()), Some(f));
            assert_eq!(Function::parse(f.label()), Some(f));
        }
        assert_eq!(
            Function::parse(" PERSONALRAT "),
            Some(Function::StaffCouncil)
        );
        assert_eq!(Function::parse("Kämmerei"), None);
    }

    #[test]
    fn roles_parse_from_code_names_and_german_labels() {
        assert_eq!(Role::parse("project-team"), Some(Role::ProjectTeam));
        assert_eq!(Role::parse(" Projektteam "), Some(Role::ProjectTeam));
        assert_eq!(Role::parse("Beschäftigte"), Some(Role::Staff));
        assert_eq!(Role::parse("ADMIN"), Some(Role::Admin));
        assert_eq!(Role::parse("chef"), None);
    }
}
