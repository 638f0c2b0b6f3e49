//! Role profiles edited by the administration, the planner's cohorts and
//! each person's role profile and start levels.

use std::collections::BTreeMap;

use journey::competency::RoleProfile;
use journey::qualification::planner::Cohort;

use super::{documents, duplicate_or, from_json, PersonProfile};
use crate::usecases::to_json;
use crate::{now, on_db, write_audit, Actor, Result, Store};

impl Store {
    // ----- role profiles, planner input, people ----------------------------

    pub async fn save_role_profile(&self, actor: &Actor, profile: &RoleProfile) -> Result<()> {
        self.save_role_profiles(actor, std::slice::from_ref(profile))
            .await
    }

    /// Saves several edited role profiles together: all or none.
    pub async fn save_role_profiles(&self, actor: &Actor, profiles: &[RoleProfile]) -> Result<()> {
        let data = profiles.iter().map(to_json).collect::<Result<Vec<_>>>()?;
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            for (profile, data) in profiles.iter().zip(&data) {
                sqlx::query(
                    "INSERT INTO qualification_role_profiles (role_id, data, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (role_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
                )
                .bind(&profile.id)
                .bind(data)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                let targets = profile.targets.iter().map(|(a, l)| format!("{a} {l}")).collect::<Vec<_>>().join(", ");
                write_audit!(tx, actor, "Rollenprofil geändert", format!("Rollenprofil {}", profile.id), targets);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Drops every edited role profile, so the shipped ones apply again.
    pub async fn reset_role_profiles(&self, actor: &Actor) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let removed = sqlx::query("DELETE FROM qualification_role_profiles").execute(&mut *tx).await?;
            write_audit!(tx, actor, "Rollenprofile zurückgesetzt", "Rollenprofile".to_string(),
                format!("{} geänderte Profile verworfen", removed.rows_affected()));
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn role_profile_overrides(&self) -> Result<Vec<RoleProfile>> {
        let rows: Vec<(String,)> = on_db!(self, pool => {
            sqlx::query_as("SELECT data FROM qualification_role_profiles ORDER BY role_id").fetch_all(pool).await?
        });
        documents(rows)
    }

    /// Replaces the planner input entered by hand.
    pub async fn save_cohorts(&self, actor: &Actor, cohorts: &[Cohort]) -> Result<()> {
        let levels = cohorts
            .iter()
            .map(|c| to_json(&c.levels))
            .collect::<Result<Vec<_>>>()?;
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM qualification_cohorts").execute(&mut *tx).await?;
            for (c, l) in cohorts.iter().zip(&levels) {
                sqlx::query(
                    "INSERT INTO qualification_cohorts (department, role, headcount, levels) VALUES ($1, $2, $3, $4)",
                )
                .bind(c.department.trim())
                .bind(&c.role)
                .bind(i64::from(c.headcount))
                .bind(l)
                .execute(&mut *tx)
                .await
                .map_err(|e| duplicate_or(e, || format!(
                            "Fachbereich „{}“ mit Rolle „{}“ ist doppelt angegeben.", c.department, c.role
                        )))?;
            }
            write_audit!(tx, actor, "Planungsdaten gespeichert", "Qualifizierungsplanung".to_string(),
                format!("{} Gruppen", cohorts.len()));
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn cohorts(&self) -> Result<Vec<Cohort>> {
        let rows: Vec<(String, String, i64, String)> = on_db!(self, pool => {
            sqlx::query_as("SELECT department, role, headcount, levels FROM qualification_cohorts ORDER BY department, role")
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(department, role, headcount, levels)| {
                Ok(Cohort {
                    department,
                    role,
                    headcount: u32::try_from(headcount).unwrap_or(0),
                    levels: from_json(&levels)?,
                })
            })
            .collect()
    }

    /// Sets a person's role profile and the levels they start from.
    pub async fn set_person_profile(
        &self,
        actor: &Actor,
        user_id: i64,
        profile: &PersonProfile,
    ) -> Result<()> {
        self.set_person_profiles(actor, &[(user_id, profile.clone())])
            .await
    }

    /// Sets several people's profiles together: all or none.
    pub async fn set_person_profiles(
        &self,
        actor: &Actor,
        profiles: &[(i64, PersonProfile)],
    ) -> Result<()> {
        let levels = profiles
            .iter()
            .map(|(_, p)| to_json(&p.start_levels))
            .collect::<Result<Vec<_>>>()?;
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            for ((user_id, profile), levels) in profiles.iter().zip(&levels) {
                sqlx::query(
                    "INSERT INTO qualification_people (user_id, role_profile, start_levels, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (user_id) DO UPDATE SET role_profile = excluded.role_profile, \
                     start_levels = excluded.start_levels, updated_at = excluded.updated_at",
                )
                .bind(user_id)
                .bind(&profile.role_profile)
                .bind(levels)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                let start = profile.start_levels.iter().map(|(a, l)| format!("{a} {l}")).collect::<Vec<_>>().join(", ");
                write_audit!(tx, actor, "Qualifizierungsprofil gesetzt", format!("Benutzer {user_id}"),
                    format!("Rollenprofil: {}; Ausgangsstufen: {start}", profile.role_profile));
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every stored person profile by user id.
    pub async fn person_profiles(&self) -> Result<BTreeMap<i64, PersonProfile>> {
        let rows: Vec<(i64, String, String)> = on_db!(self, pool => {
            sqlx::query_as("SELECT user_id, role_profile, start_levels FROM qualification_people")
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(id, role_profile, levels)| {
                Ok((
                    id,
                    PersonProfile {
                        role_profile,
                        start_levels: from_json(&levels)?,
                    },
                ))
            })
            .collect()
    }

    pub async fn person_profile(&self, user_id: i64) -> Result<Option<PersonProfile>> {
        let row: Option<(String, String)> = on_db!(self, pool => {
            sqlx::query_as("SELECT role_profile, start_levels FROM qualification_people WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(pool)
                .await?
        });
        row.map(|(role_profile, levels)| {
            Ok(PersonProfile {
                role_profile,
                start_levels: from_json(&levels)?,
            })
        })
        .transpose()
    }
}
