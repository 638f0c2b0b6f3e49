//! From a directory entry to the account in the portal: the mapping
//! applied, the account created, linked or brought up to date, and its
//! functions set when the mapping manages functions.

use journey::access::Function;
use store::directory_accounts::{DirectoryAccount, Provisioned};
use store::users::User;
use store::{Actor, Store, StoreError};

use super::client::DirectoryEntry;
use super::mapping::{placeholder_email, MappedAccount, Mapping};

/// The profile's department names, which the mapping matches against.
pub async fn profile_departments(store: &Store) -> Result<Vec<String>, StoreError> {
    Ok(store
        .profile()
        .await?
        .map(|(p, _)| p.departments.into_iter().map(|d| d.name).collect())
        .unwrap_or_default())
}

pub fn map_entry(
    mapping: &Mapping,
    entry: &DirectoryEntry,
    departments: &[String],
) -> MappedAccount {
    mapping.apply(&entry.attrs, &entry.groups, &entry.login, departments)
}

#[derive(Debug)]
pub enum Outcome {
    SignedIn(User, Provisioned),
    /// In no mapped group and no default role.
    NoRole,
    Deactivated,
}

/// Creates or updates the account for `entry`; refuses a person the
/// mapping gives no role, and a deactivated account.
pub async fn provision(
    store: &Store,
    mapping: &Mapping,
    entry: &DirectoryEntry,
) -> Result<Outcome, StoreError> {
    provision_linked(store, mapping, entry, None).await
}

/// As [`provision`]; with `oidc_subject` the account is found by the
/// identity provider's subject instead of the directory login.
pub async fn provision_linked(
    store: &Store,
    mapping: &Mapping,
    entry: &DirectoryEntry,
    oidc_subject: Option<&str>,
) -> Result<Outcome, StoreError> {
    let departments = profile_departments(store).await?;
    let mapped = map_entry(mapping, entry, &departments);
    let Some(role) = mapped.role else {
        return Ok(Outcome::NoRole);
    };
    let account = DirectoryAccount {
        login: entry.login.clone(),
        email: mapped
            .email
            .clone()
            .unwrap_or_else(|| placeholder_email(&entry.login)),
        name: mapped.name.clone(),
        role,
        department: mapped.department.clone(),
        gaps: mapped.gaps.clone(),
    };
    let actor = Actor {
        id: None,
        name: "Verzeichnis".to_string(),
    };
    let (user, how) = match oidc_subject {
        None => store.provision_directory_account(&actor, &account).await?,
        Some(subject) => {
            store
                .provision_oidc_account(&actor, subject, &account)
                .await?
        }
    };
    if !user.active {
        return Ok(Outcome::Deactivated);
    }
    if !mapping.functions.is_empty() {
        sync_functions(store, &actor, &user, &mapped.functions).await?;
    }
    Ok(Outcome::SignedIn(user, how))
}

/// Functions follow the directory only where the mapping names them; with
/// no function groups configured the administration assigns them by hand.
async fn sync_functions(
    store: &Store,
    actor: &Actor,
    user: &User,
    wanted: &[Function],
) -> Result<(), StoreError> {
    let mut held = store.functions_of(user.id).await?;
    held.sort();
    if held != wanted {
        store.set_functions(actor, user.id, wanted).await?;
    }
    Ok(())
}
