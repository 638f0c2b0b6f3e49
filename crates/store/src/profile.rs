//! The municipality profile (one row) and its departments, and the first-start
//! set-up that creates the profile together with the first administrator.

use journey::profile::{Department, Profile};

use crate::users::NewUser;
use crate::{now, on_db, write_audit, Actor, Result, Store, StoreError};

pub const SETUP_CODE_KEY: &str = "setup_code_hash";

#[derive(sqlx::FromRow)]
struct ProfileRow {
    name: String,
    ags: String,
    staff_count: i64,
    dpo_contact: String,
    it_security_contact: String,
    staff_council_contact: String,
    version: i64,
}

macro_rules! write_profile {
    ($tx:expr, $profile:expr, $version:expr) => {{
        let p = $profile;
        sqlx::query(
            "INSERT INTO municipality (id, name, ags, staff_count, dpo_contact, it_security_contact, \
             staff_council_contact, version, updated_at) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, ags = excluded.ags, \
             staff_count = excluded.staff_count, dpo_contact = excluded.dpo_contact, \
             it_security_contact = excluded.it_security_contact, \
             staff_council_contact = excluded.staff_council_contact, version = excluded.version, \
             updated_at = excluded.updated_at",
        )
        .bind(p.name.trim())
        .bind(p.ags.trim())
        .bind(i64::from(p.staff_count))
        .bind(p.dpo_contact.trim())
        .bind(p.it_security_contact.trim())
        .bind(p.staff_council_contact.trim())
        .bind($version)
        .bind(now())
        .execute(&mut *$tx)
        .await?;
        sqlx::query("DELETE FROM departments").execute(&mut *$tx).await?;
        for (i, d) in p.departments.iter().enumerate() {
            sqlx::query("INSERT INTO departments (name, staff_count, position) VALUES ($1, $2, $3)")
                .bind(d.name.trim())
                .bind(i64::from(d.staff_count))
                .bind(i as i64)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(crate) use write_profile;

impl Store {
    /// The profile and its version, or `None` before set-up.
    pub async fn profile(&self) -> Result<Option<(Profile, i64)>> {
        let (row, deps): (Option<ProfileRow>, Vec<(String, i64)>) = on_db!(self, pool => {
            let row = sqlx::query_as(
                "SELECT name, ags, staff_count, dpo_contact, it_security_contact, staff_council_contact, version \
                 FROM municipality WHERE id = 1",
            )
            .fetch_optional(pool)
            .await?;
            let deps = sqlx::query_as("SELECT name, staff_count FROM departments ORDER BY position")
                .fetch_all(pool)
                .await?;
            (row, deps)
        });
        Ok(row.map(|r| {
            let profile = Profile {
                name: r.name,
                ags: r.ags,
                staff_count: u32::try_from(r.staff_count).unwrap_or(0),
                departments: deps
                    .into_iter()
                    .map(|(name, n)| Department {
                        name,
                        staff_count: u32::try_from(n).unwrap_or(0),
                    })
                    .collect(),
                dpo_contact: r.dpo_contact,
                it_security_contact: r.it_security_contact,
                staff_council_contact: r.staff_council_contact,
            };
            (profile, r.version)
        }))
    }

    /// Saves the profile if nobody saved since `expected_version`.
    pub async fn save_profile(
        &self,
        actor: &Actor,
        profile: &Profile,
        expected_version: i64,
    ) -> Result<i64> {
        let current = self.profile().await?.map(|(_, v)| v).unwrap_or(0);
        if current != expected_version {
            return Err(StoreError::Conflict);
        }
        let new_version = current + 1;
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            // Re-check inside the transaction: another instance may have saved.
            let (v,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(version), 0) FROM municipality")
                .fetch_one(&mut *tx)
                .await?;
            if v != expected_version {
                return Err(StoreError::Conflict);
            }
            write_profile!(tx, profile, new_version);
            write_audit!(tx, actor, "Profil geändert", "Profil der Kommune".to_string(),
                format!("{} ({} Fachbereiche)", profile.name.trim(), profile.departments.len()));
            tx.commit().await?;
        });
        Ok(new_version)
    }

    pub async fn is_set_up(&self) -> Result<bool> {
        Ok(self.count_active_admins().await? > 0)
    }

    /// Creates the first administrator and the profile in one transaction and
    /// retires the set-up code. Fails with [`StoreError::Conflict`] if another
    /// request completed set-up first.
    pub async fn complete_setup(&self, admin: &NewUser, profile: &Profile) -> Result<i64> {
        let id = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let (admins,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = 'admin'")
                .fetch_one(&mut *tx)
                .await?;
            if admins > 0 {
                return Err(StoreError::Conflict);
            }
            // The first account is an administrator whatever the caller passed.
            let admin = NewUser { role: journey::access::Role::Admin, ..admin.clone() };
            let (id, email) = crate::users::insert_user!(tx, admin);
            write_profile!(tx, profile, 1_i64);
            sqlx::query("DELETE FROM settings WHERE key = $1").bind(SETUP_CODE_KEY).execute(&mut *tx).await?;
            let actor = Actor::user(id, admin.name.trim());
            write_audit!(tx, actor, "Ersteinrichtung abgeschlossen", "Profil der Kommune".to_string(),
                format!("{}; erste Administration: {email}", profile.name.trim()));
            tx.commit().await?;
            id
        });
        Ok(id)
    }
}

/// The settings keys of the public register's Impressum and privacy links.
const IMPRINT_KEY: &str = "public_imprint_url";
const PRIVACY_KEY: &str = "public_privacy_url";

impl Store {
    /// The addresses of the municipality's Impressum and privacy notice,
    /// linked from the public pages (the KI-Register).
    pub async fn public_links(&self) -> Result<(Option<String>, Option<String>)> {
        Ok((
            self.setting(IMPRINT_KEY).await?,
            self.setting(PRIVACY_KEY).await?,
        ))
    }

    /// Sets both addresses (checked by the caller); `None` removes one.
    pub async fn set_public_links(
        &self,
        actor: &Actor,
        imprint: Option<&str>,
        privacy: Option<&str>,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            crate::settings::put_setting!(tx, IMPRINT_KEY, imprint);
            crate::settings::put_setting!(tx, PRIVACY_KEY, privacy);
            write_audit!(tx, actor, "Impressum und Datenschutz verlinkt",
                "Profil der Kommune".to_string(),
                format!("{} · {}", imprint.unwrap_or("–"), privacy.unwrap_or("–")));
            tx.commit().await?;
        });
        Ok(())
    }
}
