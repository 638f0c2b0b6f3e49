//! Accounts that sign in from the directory (LDAP / Active Directory, or
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

/// What ties an account to its entry at the directory or the provider.
#[derive(Debug, Clone, Copy)]
enum Link<'a> {
    /// The LDAP login name, lower case.
    Directory(&'a str),
    /// The OpenID provider's `sub`, as written.
    Oidc(&'a str),
}

impl Link<'_> {
    /// The column holding the link: one of two fixed names, never input.
    fn column(self) -> &'static str {
        match self {
            Link::Directory(_) => "directory_login",
            Link::Oidc(_) => "oidc_subject",
        }
    }

    fn value(self) -> String {
        match self {
            Link::Directory(login) => login.trim().to_lowercase(),
            Link::Oidc(subject) => subject.to_string(),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Link::Directory(_) => "Verzeichniskonto",
            Link::Oidc(_) => "Dienstkonto (OpenID Connect)",
        }
    }
}

impl Store {
    pub async fn user_by_oidc_subject(&self, subject: &str) -> Result<Option<crate::users::User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE oidc_subject = $1");
        let row: Option<UserRow> = on_db!(self, pool => {
            sqlx::query_as(&sql).bind(subject).fetch_optional(pool).await?
        });
        Ok(row.map(Into::into))
    }

    async fn user_by_link(&self, link: Link<'_>) -> Result<Option<crate::users::User>> {
        match link {
            Link::Directory(login) => self.user_by_directory_login(login).await,
            Link::Oidc(subject) => self.user_by_oidc_subject(subject).await,
        }
    }

    /// Whether the account already holds a link of `link`'s kind.
    async fn has_link(&self, id: i64, link: Link<'_>) -> Result<bool> {
        let sql = format!("SELECT {} FROM users WHERE id = $1", link.column());
        let value: Option<Option<String>> = on_db!(self, pool => {
            sqlx::query_scalar(&sql).bind(id).fetch_optional(pool).await?
        });
        Ok(value.flatten().is_some())
    }

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
        self.provision_linked(actor, Link::Directory(&account.login), account)
            .await
    }

    /// As [`Store::provision_directory_account`] for a sign-in with OpenID
    /// Connect: the account is found by the provider's `subject`. The
    /// caller passes an e-mail for linking only where the provider marked
    /// it verified. An account may hold both links (a municipality moving
    /// from LDAP to an identity provider keeps its accounts).
    pub async fn provision_oidc_account(
        &self,
        actor: &Actor,
        subject: &str,
        account: &DirectoryAccount,
    ) -> Result<(crate::users::User, Provisioned)> {
        self.provision_linked(actor, Link::Oidc(subject), account)
            .await
    }

    async fn provision_linked(
        &self,
        actor: &Actor,
        link: Link<'_>,
        account: &DirectoryAccount,
    ) -> Result<(crate::users::User, Provisioned)> {
        let login = link.value();
        let email = normalize_email(&account.email);
        let gaps = account.gaps.join("\n");
        let (existing, how) = match self.user_by_link(link).await? {
            Some(user) => (Some(user), Provisioned::Existing),
            // A placeholder address (no e-mail from the directory) never
            // links: it says nothing about who owns the account.
            None if email.ends_with(".invalid") => (None, Provisioned::Created),
            None => match self.user_by_email(&email).await? {
                Some(user) if self.has_link(user.id, link).await? => {
                    return Err(StoreError::Duplicate(format!(
                        "Die E-Mail-Adresse {email} gehört bereits zu einem anderen {}.",
                        link.label()
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
                let sql = format!("UPDATE users SET {} = $1, directory_gaps = $2 WHERE id = $3", link.column());
                sqlx::query(&sql)
                    .bind(&login)
                    .bind(&gaps)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                write_audit!(tx, actor, "Benutzer aus dem Verzeichnis angelegt",
                    format!("Benutzer {email}"),
                    format!("{}: {login}; Rolle: {}", link.label(), account.role.label()));
                tx.commit().await?;
                id
            }),
            Some(before) => {
                self.follow_directory(actor, &before, link, account, &gaps, how)
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
        link: Link<'_>,
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
        let login = link.value();
        if how == Provisioned::Linked {
            changes.push(format!("mit {} {login} verknüpft", link.label()));
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
        let sql = format!(
            "UPDATE users SET name = $1, role = $2, department = $3, {} = $4, \
             directory_gaps = $5, version = version + 1 WHERE id = $6",
            link.column()
        );
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(&sql)
            .bind(name)
            .bind(role.as_str())
            .bind(account.department.as_deref())
            .bind(&login)
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
