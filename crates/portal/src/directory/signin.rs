//! Sign-in with the directory account: the password checked by the
//! directory, the account created or updated from the mapping, a session
//! started as for a local login.

use store::directory_accounts::Provisioned;
use store::users::User;

use super::accounts::{self, Outcome};
use super::client::{self, DirectoryError};
use super::config::DirectoryConfig;
use crate::AppState;

pub const UNREACHABLE: &str =
    "Der Verzeichnisdienst (Active Directory/LDAP) ist gerade nicht erreichbar. \
     Bitte versuchen Sie es in einigen Minuten erneut. Die Administration kann sich im Notfall \
     mit ihrem lokalen Konto anmelden.";

/// The German sentence for a directory failure, for page and CLI.
pub fn directory_message(e: &DirectoryError) -> String {
    match e {
        DirectoryError::Unreachable(_) => UNREACHABLE.to_string(),
        DirectoryError::InvalidCredentials => {
            "Anmeldename oder Passwort ist falsch, oder das Konto ist deaktiviert.".to_string()
        }
        DirectoryError::Directory(detail) => format!(
            "Der Verzeichnisdienst hat die Anfrage abgewiesen ({detail}). Bitte wenden Sie sich an die Administration."
        ),
        DirectoryError::Config(detail) => format!(
            "Die Anmeldung über das Verzeichnis ist nicht vollständig eingerichtet: {detail}"
        ),
    }
}

/// Why a directory sign-in did not give a session.
#[derive(Debug)]
pub enum Refusal {
    /// Wrong name or password: counts for the lockout.
    Credentials,
    Other(String),
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::Credentials => directory_message(&DirectoryError::InvalidCredentials),
            Refusal::Other(m) => m.clone(),
        }
    }
}

/// Authenticates `login` at the directory and returns the account.
pub async fn sign_in(
    state: &AppState,
    config: &DirectoryConfig,
    login: &str,
    password: &str,
) -> Result<User, Refusal> {
    let entry = match client::authenticate(config, login, password).await {
        Ok(entry) => entry,
        Err(DirectoryError::InvalidCredentials) => return Err(Refusal::Credentials),
        Err(e) => {
            tracing::warn!(error = %e, "directory sign-in failed");
            return Err(Refusal::Other(directory_message(&e)));
        }
    };
    let outcome = accounts::provision(&state.store, &config.mapping, &entry)
        .await
        .map_err(|e| match e {
            store::StoreError::Duplicate(m) => Refusal::Other(m),
            e => {
                tracing::error!(error = %e, "directory account could not be stored");
                Refusal::Other(
                    "Das Konto konnte nicht angelegt werden. Bitte versuchen Sie es erneut.".into(),
                )
            }
        })?;
    match outcome {
        Outcome::SignedIn(user, how) => {
            if how == Provisioned::Linked {
                tracing::info!(user = user.id, "local account linked to the directory");
            }
            Ok(user)
        }
        Outcome::Deactivated => Err(Refusal::Credentials),
        Outcome::NoRole => Err(Refusal::Other(
            "Ihr Dienstkonto ist für KI-Reise nicht freigeschaltet (keine zugeordnete Gruppe). \
             Bitte wenden Sie sich an die Administration."
                .into(),
        )),
    }
}
