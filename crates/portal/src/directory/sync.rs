//! Leavers and movers: every account linked to the directory is looked up
//! again. Who is gone is deactivated (never deleted: the audit log and
//! adopted documents keep the name) and loses sessions and API keys at
//! once; who moved gets the new department and role. Runs hourly in
//! `serve` and on demand with `ki-reise directory sync` or the admin page.

use store::{Actor, Store, StoreError};

use super::accounts::{self, Outcome};
use super::client::{DirectoryError, Session};
use super::config::DirectoryConfig;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct SyncReport {
    pub checked: usize,
    /// E-mail addresses of the accounts deactivated now.
    pub deactivated: Vec<String>,
    /// Accounts the directory still has.
    pub present: usize,
    /// Accounts that could not be updated, with the reason (German).
    pub problems: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    Directory(#[from] DirectoryError),
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The directory would have every (or most) account deactivated: more
    /// likely a wrong search base than everybody leaving at once.
    #[error("Abgleich abgebrochen: {missing} von {checked} Konten fehlen im Verzeichnis. Bitte Suchbasis und Filter prüfen; es wurde nichts deaktiviert.")]
    Implausible { missing: usize, checked: usize },
}

impl SyncError {
    /// A German sentence for the page and the command line.
    pub fn message(&self) -> String {
        match self {
            SyncError::Directory(e) => super::signin::directory_message(e),
            SyncError::Store(e) => e.to_string(),
            SyncError::Implausible { .. } => self.to_string(),
        }
    }
}

fn sync_actor() -> Actor {
    Actor {
        id: None,
        name: "Verzeichnisabgleich".to_string(),
    }
}

/// Deactivating more than half of over five accounts in one run needs a
/// look by a person first.
fn implausible(missing: usize, checked: usize) -> bool {
    checked > 5 && missing * 2 > checked
}

pub async fn run(store: &Store, config: &DirectoryConfig) -> Result<SyncReport, SyncError> {
    let accounts = store.directory_users().await?;
    let mut session = Session::open(config).await?;
    // First look everyone up, then change anything: an outage half-way
    // through must not leave half the accounts deactivated.
    let mut found = Vec::with_capacity(accounts.len());
    for user in &accounts {
        let login = user.directory_login.clone().unwrap_or_default();
        match session.lookup(&login).await {
            Ok(entry) => found.push(entry),
            Err(e) => {
                session.close().await;
                return Err(e.into());
            }
        }
    }
    session.close().await;
    let missing = found.iter().filter(|e| e.is_none()).count();
    if implausible(missing, accounts.len()) {
        return Err(SyncError::Implausible {
            missing,
            checked: accounts.len(),
        });
    }
    let mut report = SyncReport {
        checked: accounts.len(),
        ..SyncReport::default()
    };
    let actor = sync_actor();
    for (user, entry) in accounts.iter().zip(found) {
        match entry {
            None if user.active => match store.set_user_active(&actor, user.id, false).await {
                Ok(_) => report.deactivated.push(user.email.clone()),
                Err(e) => report.problems.push(format!("{}: {e}", user.email)),
            },
            None => {}
            Some(entry) if user.active => {
                report.present += 1;
                match accounts::provision(store, &config.mapping, &entry).await? {
                    Outcome::SignedIn(..) | Outcome::Deactivated => {}
                    Outcome::NoRole => report.problems.push(format!(
                        "{}: in keiner zugeordneten Gruppe mehr; bitte prüfen.",
                        user.email
                    )),
                }
            }
            Some(_) => report.present += 1,
        }
    }
    Ok(report)
}

/// The hourly run inside `serve`; does nothing while sign-in from the
/// directory is off.
pub async fn scheduled(store: &Store, from_file: Option<&DirectoryConfig>) {
    let config = match super::config::load(store, from_file).await {
        Ok(Some(c)) if c.enabled => c,
        Ok(_) => return,
        Err(e) => {
            tracing::warn!(error = %e, "directory sync: settings unreadable");
            return;
        }
    };
    match run(store, &config).await {
        Ok(r) => tracing::info!(
            checked = r.checked,
            deactivated = r.deactivated.len(),
            problems = r.problems.len(),
            "directory sync done"
        ),
        Err(e) => {
            tracing::warn!(error = %e.message(), "directory sync failed; nothing deactivated")
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_run_that_would_empty_the_instance_stops() {
        assert!(!super::implausible(3, 4));
        assert!(!super::implausible(3, 6));
        assert!(super::implausible(4, 6));
    }
}
