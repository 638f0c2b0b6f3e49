//! Remote backends of the KI-Gateway that an administrator keeps in the
//! portal, beside those in the config file: base URLs (one per replica),
//! key, models, timeout and where the backend runs (`reach`, which the
//! KI-Richtlinie's rule set decides on). The key is stored because the
//! gateway must send it; the portal never shows it again.

use serde::Serialize;

use crate::settings::put_setting;
use crate::{now, on_db, write_audit, Actor, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredBackend {
    pub id: i64,
    pub name: String,
    pub urls: Vec<String>,
    #[serde(skip)]
    pub api_key: Option<String>,
    pub models: Vec<String>,
    pub timeout_secs: i64,
    /// A `journey::policy::Reach` slug.
    pub reach: String,
}

/// A backend as entered in the form.
#[derive(Debug, Clone)]
pub struct BackendInput<'a> {
    pub name: &'a str,
    pub urls: &'a [String],
    /// `None` keeps the stored key (on update), `Some("")` removes it.
    pub api_key: Option<&'a str>,
    pub models: &'a [String],
    pub timeout_secs: i64,
    pub reach: &'a str,
}

type Row = (i64, String, String, Option<String>, String, i64, String);

/// The non-empty lines of a text field, trimmed (one URL or model each).
pub fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

impl Store {
    /// The backends in fallback order.
    pub async fn gateway_backends(&self) -> Result<Vec<StoredBackend>> {
        let rows: Vec<Row> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT id, name, urls, api_key, models, timeout_secs, reach FROM gateway_backends \
                 ORDER BY position, id",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(id, name, urls, api_key, models, timeout_secs, reach)| StoredBackend {
                    id,
                    name,
                    urls: lines(&urls),
                    api_key,
                    models: lines(&models),
                    timeout_secs,
                    reach,
                },
            )
            .collect())
    }

    /// Creates (`id` none) or replaces a backend; names are unique.
    pub async fn save_gateway_backend(
        &self,
        actor: &Actor,
        id: Option<i64>,
        b: &BackendInput<'_>,
    ) -> Result<()> {
        let (name, urls, models) = (b.name.trim(), b.urls.join("\n"), b.models.join("\n"));
        let key = b
            .api_key
            .map(str::trim)
            .map(|k| (!k.is_empty()).then_some(k));
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let result = match id {
                Some(id) => {
                    let r = sqlx::query(
                        "UPDATE gateway_backends SET name = $1, urls = $2, models = $3, \
                         timeout_secs = $4, reach = $5, updated_at = $6 WHERE id = $7",
                    )
                    .bind(name)
                    .bind(&urls)
                    .bind(&models)
                    .bind(b.timeout_secs)
                    .bind(b.reach)
                    .bind(now())
                    .bind(id)
                    .execute(&mut *tx)
                    .await;
                    if let (Ok(_), Some(key)) = (&r, key) {
                        sqlx::query("UPDATE gateway_backends SET api_key = $1 WHERE id = $2")
                            .bind(key)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    r
                }
                None => sqlx::query(
                    "INSERT INTO gateway_backends (name, urls, api_key, models, timeout_secs, reach, position, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, (SELECT COALESCE(MAX(position), 0) + 1 FROM gateway_backends), $7)",
                )
                .bind(name)
                .bind(&urls)
                .bind(key.flatten())
                .bind(&models)
                .bind(b.timeout_secs)
                .bind(b.reach)
                .bind(now())
                .execute(&mut *tx)
                .await,
            };
            match result {
                Ok(r) if r.rows_affected() == 0 => return Err(StoreError::NotFound),
                Ok(_) => {}
                Err(e) if crate::is_unique_violation(&e) => {
                    return Err(StoreError::Duplicate(format!(
                        "Es gibt bereits ein Backend „{name}“."
                    )))
                }
                Err(e) => return Err(e.into()),
            }
            write_audit!(tx, actor, "KI-Backend gespeichert", format!("Backend „{name}“"),
                format!("{} ({}), Modelle: {}", urls.replace('\n', ", "), b.reach, models.replace('\n', ", ")));
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn delete_gateway_backend(&self, actor: &Actor, id: i64) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let (name,): (String,) = sqlx::query_as("SELECT name FROM gateway_backends WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM gateway_backends WHERE id = $1").bind(id).execute(&mut *tx).await?;
            write_audit!(tx, actor, "KI-Backend gelöscht", format!("Backend „{name}“"), String::new());
            tx.commit().await?;
        });
        Ok(())
    }
}

/// The settings keys of the local models chosen in the portal: file names
/// in the data folder's `models/`.
const LOCAL_MODEL_KEY: &str = "local_model";
const LOCAL_EMBEDDING_MODEL_KEY: &str = "local_embedding_model";

impl Store {
    /// The local model file (in `models/`) to load at start, if chosen.
    pub async fn local_model(&self) -> Result<Option<String>> {
        self.setting(LOCAL_MODEL_KEY).await
    }

    /// Chooses the local model to load at the next start (`None`: none).
    pub async fn set_local_model(&self, actor: &Actor, file: Option<&str>) -> Result<()> {
        self.choose_model(actor, LOCAL_MODEL_KEY, "Lokales Modell gewählt", file)
            .await
    }

    /// The local embedding model file (in `models/`) to load at start.
    pub async fn local_embedding_model(&self) -> Result<Option<String>> {
        self.setting(LOCAL_EMBEDDING_MODEL_KEY).await
    }

    /// Chooses the local embedding model to load at the next start.
    pub async fn set_local_embedding_model(&self, actor: &Actor, file: Option<&str>) -> Result<()> {
        self.choose_model(
            actor,
            LOCAL_EMBEDDING_MODEL_KEY,
            "Lokales Embedding-Modell gewählt",
            file,
        )
        .await
    }

    async fn choose_model(
        &self,
        actor: &Actor,
        key: &str,
        action: &str,
        file: Option<&str>,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            put_setting!(tx, key, file);
            write_audit!(tx, actor, action, "KI-Gateway", file.unwrap_or("keines").to_string());
            tx.commit().await?;
        });
        Ok(())
    }
}
