//! Accounts: who may log in, with which role and department.

use journey::access::Role;
use serde::Serialize;

use crate::{on_db, write_audit, Actor, Result, Store, StoreError};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub department: Option<String>,
    pub active: bool,
    pub created_at: i64,
    pub version: i64,
    /// Whether a password is set; an invited user has none until they accept.
    pub has_password: bool,
    /// The directory login this account is linked to (LDAP / AD sign-in).
    pub directory_login: Option<String>,
    /// What the directory did not say about this account, one German
    /// sentence per entry, for the administration to fix.
    pub directory_gaps: Vec<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    department: Option<String>,
    active: bool,
    created_at: i64,
    version: i64,
    password_hash: Option<String>,
    directory_login: Option<String>,
    directory_gaps: String,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> User {
        User {
            id: r.id,
            email: r.email,
            name: r.name,
            // An unknown role in the database (e.g. written by a newer
            // version) grants the least, never the most.
            role: Role::parse(&r.role).unwrap_or(Role::Viewer),
            department: r.department,
            active: r.active,
            created_at: r.created_at,
            version: r.version,
            has_password: r.password_hash.is_some(),
            directory_login: r.directory_login,
            directory_gaps: r
                .directory_gaps
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string)
                .collect(),
        }
    }
}

pub(crate) const USER_COLUMNS: &str =
    "id, email, name, role, department, active, created_at, version, \
     password_hash, directory_login, directory_gaps";

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub department: Option<String>,
    pub password_hash: Option<String>,
}

/// Emails are compared without regard to case and surrounding blanks.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub(crate) fn duplicate_email(email: &str) -> StoreError {
    StoreError::Duplicate(format!("Die E-Mail-Adresse {email} ist bereits vergeben."))
}

/// Inserts a user inside a transaction and evaluates to `(id, email)`; a
/// taken email returns [`StoreError::Duplicate`] from the enclosing function.
macro_rules! insert_user {
    ($tx:expr, $u:expr) => {{
        let email = $crate::users::normalize_email(&$u.email);
        let row: std::result::Result<(i64,), sqlx::Error> = sqlx::query_as(
            "INSERT INTO users (email, name, role, department, password_hash, active, created_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1) RETURNING id",
        )
        .bind(&email)
        .bind($u.name.trim())
        .bind($u.role.as_str())
        .bind($u.department.as_deref())
        .bind($u.password_hash.as_deref())
        .bind(true)
        .bind($crate::now())
        .fetch_one(&mut *$tx)
        .await;
        match row {
            Ok((id,)) => (id, email),
            Err(e) if $crate::is_unique_violation(&e) => {
                return Err($crate::users::duplicate_email(&email))
            }
            Err(e) => return Err(e.into()),
        }
    }};
}
pub(crate) use insert_user;

impl Store {
    pub async fn create_user(&self, actor: &Actor, user: &NewUser) -> Result<User> {
        let id = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let (id, email) = insert_user!(tx, user);
            write_audit!(tx, actor, "Benutzer angelegt", format!("Benutzer {email}"),
                format!("Rolle: {}", user.role.label()));
            tx.commit().await?;
            id
        });
        self.user(id).await
    }

    /// Creates all users or none: the first duplicate aborts the whole batch.
    pub async fn create_users(&self, actor: &Actor, users: &[NewUser]) -> Result<Vec<User>> {
        let ids = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut ids = Vec::with_capacity(users.len());
            for user in users {
                let (id, email) = insert_user!(tx, user);
                write_audit!(tx, actor, "Benutzer importiert", format!("Benutzer {email}"),
                    format!("Rolle: {}", user.role.label()));
                ids.push(id);
            }
            tx.commit().await?;
            ids
        });
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.user(id).await?);
        }
        Ok(out)
    }

    pub async fn user(&self, id: i64) -> Result<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: UserRow = on_db!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_one(pool).await?
        });
        Ok(row.into())
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        Ok(self.user_with_hash(email).await?.map(|(u, _)| u))
    }

    /// The user and the stored password hash, for login.
    pub async fn user_with_hash(&self, email: &str) -> Result<Option<(User, Option<String>)>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let row: Option<UserRow> = on_db!(self, pool => {
            sqlx::query_as(&sql).bind(normalize_email(email)).fetch_optional(pool).await?
        });
        Ok(row.map(|r| {
            let hash = r.password_hash.clone();
            (r.into(), hash)
        }))
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY name, email");
        let rows: Vec<UserRow> = on_db!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(User::from).collect())
    }

    pub async fn count_active_admins(&self) -> Result<i64> {
        let (n,): (i64,) = on_db!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = $1")
                .bind(true)
                .fetch_one(pool)
                .await?
        });
        Ok(n)
    }

    /// Changes name, role and department. `version` is the one the editor
    /// saw; if someone saved in between, nothing changes and the caller gets
    /// [`StoreError::Conflict`]. The last active administrator cannot lose
    /// that role, so the instance never locks itself out.
    pub async fn update_user(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        name: &str,
        role: Role,
        department: Option<&str>,
    ) -> Result<User> {
        let before = self.user(id).await?;
        if before.role == Role::Admin && role != Role::Admin && before.active {
            self.ensure_not_last_admin().await?;
        }
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "UPDATE users SET name = $1, role = $2, department = $3, version = version + 1 \
                 WHERE id = $4 AND version = $5",
            )
            .bind(name.trim())
            .bind(role.as_str())
            .bind(department)
            .bind(id)
            .bind(version)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict);
            }
            let mut changes = Vec::new();
            if before.name != name.trim() {
                changes.push(format!("Name: {} → {}", before.name, name.trim()));
            }
            if before.role != role {
                changes.push(format!("Rolle: {} → {}", before.role.label(), role.label()));
            }
            if before.department.as_deref() != department {
                changes.push(format!(
                    "Fachbereich: {} → {}",
                    before.department.as_deref().unwrap_or("–"),
                    department.unwrap_or("–")
                ));
            }
            write_audit!(tx, actor, "Benutzer geändert", format!("Benutzer {}", before.email), changes.join("; "));
            tx.commit().await?;
        });
        self.user(id).await
    }

    async fn ensure_not_last_admin(&self) -> Result<()> {
        if self.count_active_admins().await? <= 1 {
            return Err(StoreError::Duplicate(
                "Dies ist die letzte aktive Administration. Legen Sie zuerst eine weitere an."
                    .to_string(),
            ));
        }
        Ok(())
    }

    /// Deactivated users cannot log in and lose their sessions at once.
    pub async fn set_user_active(&self, actor: &Actor, id: i64, active: bool) -> Result<User> {
        let before = self.user(id).await?;
        if !active && before.role == Role::Admin && before.active {
            self.ensure_not_last_admin().await?;
        }
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE users SET active = $1, version = version + 1 WHERE id = $2")
                .bind(active)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if !active {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
            }
            let action = if active { "Benutzer aktiviert" } else { "Benutzer deaktiviert" };
            write_audit!(tx, actor, action, format!("Benutzer {}", before.email), String::new());
            tx.commit().await?;
        });
        self.user(id).await
    }

    /// Sets a new password and ends all sessions of that user.
    pub async fn set_password(&self, actor: &Actor, id: i64, password_hash: &str) -> Result<()> {
        let user = self.user(id).await?;
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE users SET password_hash = $1, version = version + 1 WHERE id = $2")
                .bind(password_hash)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
            write_audit!(tx, actor, "Passwort gesetzt", format!("Benutzer {}", user.email), String::new());
            tx.commit().await?;
        });
        Ok(())
    }
}
