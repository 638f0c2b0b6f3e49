//! Accounts that sign in from the directory (LDAP / Active Directory, later
//! OpenID Connect): created on first sign-in, linked to an existing local
//! account by e-mail, and kept in step with the directory at every sign-in
//! and directory sync. Never deleted: a leaver is deactivated, so the audit
//! log and adopted documents keep their names.

use journey::access::Role;

use crate::users::{insert_user, normalize_email, UserRow, USER_COLUMNS};
use crate::{on_db, write_audit, Actor, Result, Store, StoreError};

/// What the directory says about an account, after the mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectoryAccount {
    /// The login name in the directory (sAMAccountName, uid): the link.
    pub login: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub department: Option<String>,
    /// What the directory left open, one German sentence each.
    pub gaps: Vec<String>,
}

/// How [`Store::provision_directory_account`] found the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provisioned {
    Created,
    /// An existing local account with the same e-mail, now linked.
    Linked,
    Existing,
}

impl Store {
    pub async fn user_by_directory_login(&self, login: &str) -> Result<Option<crate::users::User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE directory_login = $1");
        let row: Option<UserRow> = on_db!(self, pool => {
            sqlx::query_as(&sql).bind(login.to_lowercase()).fetch_optional(pool).await?
        });
        Ok(row.map(Into::into))
    }

    /// Every account linked to the directory, active or not.
    pub async fn directory_users(&self) -> Result<Vec<crate::users::User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE directory_login IS NOT NULL ORDER BY id"
        );
        let rows: Vec<UserRow> = on_db!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Finds or creates the account for a directory sign-in and makes its
    /// name, role, department and gaps what the directory says. A local
    /// account is taken over only by its e-mail address, and only while no
    /// other directory login holds it. A deactivated account stays
    /// deactivated (the caller refuses the sign-in).
    pub async fn provision_directory_account(
        &self,
        actor: &Actor,
        account: &DirectoryAccount,
    ) -> Result<(crate::users::User, Provisioned)> {
        let login = account.login.trim().to_lowercase();
        let email = normalize_email(&account.email);
        let gaps = account.gaps.join("\n");
        let (existing, how) = match self.user_by_directory_login(&login).await? {
            Some(user) => (Some(user), Provisioned::Existing),
            None => match self.user_by_email(&email).await? {
                Some(user) if user.directory_login.is_some() => {
                    return Err(StoreError::Duplicate(format!(
                        "Die E-Mail-Adresse {email} gehört bereits zu einem anderen Verzeichniskonto."
                    )))
                }
                Some(user) => (Some(user), Provisioned::Linked),
                None => (None, Provisioned::Created),
            },
        };
        let id = match existing {
            None => on_db!(self, pool => {
                let mut tx = pool.begin().await?;
                let new = crate::users::NewUser {
                    email: email.clone(),
                    name: account.name.clone(),
                    role: account.role,
                    department: account.department.clone(),
                    password_hash: None,
                };
                let (id, email) = insert_user!(tx, new);
                sqlx::query("UPDATE users SET directory_login = $1, directory_gaps = $2 WHERE id = $3")
                    .bind(&login)
                    .bind(&gaps)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                write_audit!(tx, actor, "Benutzer aus dem Verzeichnis angelegt",
                    format!("Benutzer {email}"),
                    format!("Anmeldename: {login}; Rolle: {}", account.role.label()));
                tx.commit().await?;
                id
            }),
            Some(before) => {
                self.follow_directory(actor, &before, &login, account, &gaps, how)
                    .await?;
                before.id
            }
        };
        Ok((self.user(id).await?, how))
    }

    /// Brings an existing account in line with the directory. The last
    /// active administration keeps its role even if the directory takes it
    /// away, so the instance never locks itself out.
    async fn follow_directory(
        &self,
        actor: &Actor,
        before: &crate::users::User,
        login: &str,
        account: &DirectoryAccount,
        gaps: &str,
        how: Provisioned,
    ) -> Result<()> {
        let mut role = account.role;
        if before.role == Role::Admin
            && role != Role::Admin
            && before.active
            && self.count_active_admins().await? <= 1
        {
            role = Role::Admin;
        }
        let name = account.name.trim();
        let mut changes = Vec::new();
        if how == Provisioned::Linked {
            changes.push(format!("mit Verzeichniskonto {login} verknüpft"));
        }
        if before.name != name {
            changes.push(format!("Name: {} → {name}", before.name));
        }
        if before.role != role {
            changes.push(format!("Rolle: {} → {}", before.role.label(), role.label()));
        }
        if before.department != account.department {
            changes.push(format!(
                "Fachbereich: {} → {}",
                before.department.as_deref().unwrap_or("–"),
                account.department.as_deref().unwrap_or("–")
            ));
        }
        let gaps_changed = before.directory_gaps.join("\n") != gaps;
        if changes.is_empty() && !gaps_changed {
            return Ok(());
        }
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "UPDATE users SET name = $1, role = $2, department = $3, directory_login = $4, \
                 directory_gaps = $5, version = version + 1 WHERE id = $6",
            )
            .bind(name)
            .bind(role.as_str())
            .bind(account.department.as_deref())
            .bind(login)
            .bind(gaps)
            .bind(before.id)
            .execute(&mut *tx)
            .await?;
            if !changes.is_empty() {
                write_audit!(tx, actor, "Benutzer aus dem Verzeichnis aktualisiert",
                    format!("Benutzer {}", before.email), changes.join("; "));
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
