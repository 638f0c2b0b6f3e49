//! The instance's badge signing key, issued Open Badges and the Art. 4
//! evidence per person.

use journey::qualification::evidence::{Completion, PersonRecord};

use super::{from_json, CredentialRecord, SIGNING_KEY_SETTING};
use crate::{on_db, write_audit, Actor, Result, Store, StoreError};

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: i64,
    name: String,
    department: Option<String>,
    role_profile: Option<String>,
    start_levels: Option<String>,
}

impl Store {
    // ----- credentials -----------------------------------------------------

    /// The instance's Ed25519 seed; created on first use. Two instances
    /// racing to create it agree, because only the first insert wins.
    pub async fn signing_key_seed(&self) -> Result<[u8; 32]> {
        if self.setting(SIGNING_KEY_SETTING).await?.is_none() {
            use rand::RngCore;
            let mut seed = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut seed);
            on_db!(self, pool => {
                sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                    .bind(SIGNING_KEY_SETTING)
                    .bind(hex::encode(seed))
                    .execute(pool)
                    .await?;
            });
        }
        let text = self.setting(SIGNING_KEY_SETTING).await?.unwrap_or_default();
        hex::decode(&text)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| {
                StoreError::Database(sqlx::Error::Protocol(
                    "Der Signaturschlüssel der Instanz ist beschädigt.".into(),
                ))
            })
    }

    pub async fn save_credential(
        &self,
        actor: &Actor,
        credential: &CredentialRecord,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO qualification_credentials (id, user_id, path_id, title, document, issued_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&credential.id)
            .bind(credential.user_id)
            .bind(&credential.path_id)
            .bind(&credential.title)
            .bind(&credential.document)
            .bind(credential.issued_at)
            .execute(&mut *tx)
            .await?;
            write_audit!(tx, actor, "Nachweis ausgestellt", format!("Benutzer {}", credential.user_id),
                format!("Open Badge „{}“ ({})", credential.title, credential.id));
            tx.commit().await?;
        });
        Ok(())
    }

    const CREDENTIAL_SQL: &'static str =
        "SELECT id, user_id, path_id, title, document, issued_at FROM qualification_credentials";

    pub async fn credential(&self, id: &str) -> Result<CredentialRecord> {
        let sql = format!("{} WHERE id = $1", Self::CREDENTIAL_SQL);
        let row: (String, i64, String, String, String, i64) = on_db!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_one(pool).await?
        });
        Ok(credential_from(row))
    }

    pub async fn credentials(&self, user_id: Option<i64>) -> Result<Vec<CredentialRecord>> {
        let sql = format!(
            "{} WHERE ($1 IS NULL OR user_id = $1) ORDER BY issued_at, id",
            Self::CREDENTIAL_SQL
        );
        let rows: Vec<(String, i64, String, String, String, i64)> = on_db!(self, pool => {
            sqlx::query_as(&sql).bind(user_id).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(credential_from).collect())
    }

    // ----- Art. 4 evidence -------------------------------------------------

    /// One record per active account with a qualification profile (or the
    /// baseline role `baseline_role` without one), optionally only one
    /// department or one person.
    pub async fn person_records(
        &self,
        baseline_role: &str,
        department: Option<&str>,
        user_id: Option<i64>,
    ) -> Result<Vec<(i64, PersonRecord)>> {
        let people: Vec<PersonRow> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT u.id, u.name, u.department, p.role_profile, p.start_levels FROM users u \
                 LEFT JOIN qualification_people p ON p.user_id = u.id \
                 WHERE u.active = $1 AND ($2 IS NULL OR u.department = $2) AND ($3 IS NULL OR u.id = $3) \
                 ORDER BY u.department, u.name, u.id",
            )
            .bind(true)
            .bind(department)
            .bind(user_id)
            .fetch_all(pool)
            .await?
        });
        let completions: Vec<(i64, String, String)> = on_db!(self, pool => {
            sqlx::query_as("SELECT user_id, offer_id, completed_on FROM qualification_completions ORDER BY completed_on")
                .fetch_all(pool)
                .await?
        });
        let credentials = self.credentials(user_id).await?;
        let mut out = Vec::with_capacity(people.len());
        for PersonRow {
            id,
            name,
            department: dept,
            role_profile: role,
            start_levels: levels,
        } in people
        {
            out.push((
                id,
                PersonRecord {
                    name,
                    department: dept.unwrap_or_else(|| "ohne Fachbereich".to_string()),
                    role: role.unwrap_or_else(|| baseline_role.to_string()),
                    start_levels: levels
                        .as_deref()
                        .map(from_json)
                        .transpose()?
                        .unwrap_or_default(),
                    completions: completions
                        .iter()
                        .filter(|(u, ..)| *u == id)
                        .map(|(_, offer, on)| Completion {
                            offer: offer.clone(),
                            completed_on: on.clone(),
                        })
                        .collect(),
                    credentials: credentials
                        .iter()
                        .filter(|c| c.user_id == id)
                        .map(|c| c.title.clone())
                        .collect(),
                },
            ));
        }
        Ok(out)
    }
}

fn credential_from(
    (id, user_id, path_id, title, document, issued_at): (String, i64, String, String, String, i64),
) -> CredentialRecord {
    CredentialRecord {
        id,
        user_id,
        path_id,
        title,
        document,
        issued_at,
    }
}
