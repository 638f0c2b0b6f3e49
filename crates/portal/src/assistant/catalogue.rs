//! The model catalogue on the gateway's settings page: which catalogue
//! files suit the server's machine (free memory, measured bandwidth; see
//! `journey::models::recommend`) and downloading one into `models/` in the
//! background with the shared, resumable and checksummed fetch
//! ([`crate::model_fetch`]). One operation for the page and the API.
//!
//! Security: a client names only a catalogue entry and a quantisation; the
//! address and the file name come from the catalogue on the server (the
//! shipped one, or `content/models.yaml` in the data folder), so the portal
//! fetches nothing a request invents.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use journey::models::recommend::Machine;
use journey::models::{Catalogue, OVERRIDE_PATH};
use serde::Serialize;
use tokio::sync::OnceCell;
use utoipa::ToSchema;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;

pub const UNKNOWN_ENTRY: &str =
    "Diesen Eintrag gibt es im Modellkatalog nicht. Bitte einen aus der Liste wählen.";

/// Where a download stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DownloadStatus {
    Running,
    Finished,
    Failed,
}

/// One catalogue download since the server started.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DownloadState {
    /// The catalogue entry's id.
    pub model: String,
    pub quant: String,
    /// The file name in `models/`.
    pub file: String,
    pub status: DownloadStatus,
    /// Bytes in the file so far (with those of an earlier attempt).
    pub done_bytes: u64,
    /// The whole size, when the server said it.
    pub total_bytes: Option<u64>,
    /// Why it failed (German).
    pub error: Option<String>,
}

impl DownloadState {
    pub fn is_running(&self) -> bool {
        self.status == DownloadStatus::Running
    }

    pub fn is_failed(&self) -> bool {
        self.status == DownloadStatus::Failed
    }

    /// Percent done, when the size is known.
    pub fn percent(&self) -> Option<u64> {
        self.total_bytes
            .filter(|t| *t > 0)
            .map(|t| (self.done_bytes.min(t) * 100) / t)
    }
}

/// The downloads since the server started, by file name.
#[derive(Default)]
pub struct Downloads(Arc<Mutex<BTreeMap<String, DownloadState>>>);

impl Downloads {
    pub fn all(&self) -> Vec<DownloadState> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    pub fn of(&self, file: &str) -> Option<DownloadState> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(file)
            .cloned()
    }
}

/// Writes a download's progress into the shared table.
struct Tracker {
    table: Arc<Mutex<BTreeMap<String, DownloadState>>>,
    file: String,
}

impl Tracker {
    fn update(&self, f: impl FnOnce(&mut DownloadState)) {
        if let Some(d) = self
            .table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(&self.file)
        {
            f(d);
        }
    }
}

impl crate::model_fetch::Progress for Tracker {
    fn start(&mut self, total: Option<u64>, resumed_at: u64) {
        self.update(|d| {
            d.total_bytes = total;
            d.done_bytes = resumed_at;
        });
    }
    fn advance(&mut self, bytes: u64) {
        self.update(|d| d.done_bytes += bytes);
    }
}

/// The catalogue in force: the data folder's own, else the shipped one.
pub fn load(state: &AppState) -> Result<Catalogue, AppError> {
    load_from(&state.config.data_dir).map_err(|e| AppError::Internal(e.to_string()))
}

/// The catalogue in force for the data folder `data_dir`.
pub fn load_from(data_dir: &std::path::Path) -> Result<Catalogue, journey::models::CatalogueError> {
    match std::fs::read_to_string(data_dir.join(OVERRIDE_PATH)) {
        Ok(text) => Catalogue::parse(&text),
        Err(_) => Catalogue::shipped(),
    }
}

/// Free memory now and the read bandwidth (measured once per process).
pub async fn machine() -> Machine {
    static BANDWIDTH: OnceCell<f64> = OnceCell::const_new();
    let bandwidth = *BANDWIDTH
        .get_or_init(|| async {
            tokio::task::spawn_blocking(|| {
                engine::cli::doctor::measure_bandwidth(256 << 20, engine::session::physical_cores())
            })
            .await
            .unwrap_or(0.0)
        })
        .await;
    Machine {
        available_bytes: engine::cli::doctor::available_memory(),
        bandwidth,
    }
}

fn models_dir(state: &AppState) -> PathBuf {
    state.config.data_dir.join("models")
}

/// Starts downloading the catalogue's file `quant` of model `id` into
/// `models/` and returns its state; a download of that file already
/// running is returned as it is. An entry not in the catalogue is
/// [`AppError::NotFound`], a file already there [`AppError::Conflict`].
pub async fn start(
    state: &AppState,
    cu: &CurrentUser,
    id: &str,
    quant: &str,
) -> Result<DownloadState, AppError> {
    let catalogue = load(state)?;
    let Some((model, file)) = catalogue.find(id.trim(), quant.trim()) else {
        return Err(AppError::NotFound);
    };
    let dir = models_dir(state);
    let target = dir.join(&file.file);
    if target.exists() {
        return Err(AppError::Conflict(format!(
            "Die Datei {} liegt schon im Datenordner.",
            file.file
        )));
    }
    let fresh = DownloadState {
        model: model.id.clone(),
        quant: file.quant.clone(),
        file: file.file.clone(),
        status: DownloadStatus::Running,
        done_bytes: 0,
        total_bytes: Some(file.size_bytes),
        error: None,
    };
    {
        let mut table = state
            .model_downloads
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(d) = table.get(&file.file) {
            if d.status == DownloadStatus::Running {
                return Ok(d.clone());
            }
        }
        table.insert(file.file.clone(), fresh.clone());
    }
    std::fs::create_dir_all(&dir).map_err(|e| AppError::Internal(e.to_string()))?;
    state
        .store
        .record_event(
            &cu.actor(),
            "Modell aus dem Katalog heruntergeladen",
            &file.file,
            &file.url,
        )
        .await?;
    let mut tracker = Tracker {
        table: state.model_downloads.0.clone(),
        file: file.file.clone(),
    };
    let url = file.url.clone();
    let sha256 = file.sha256.clone();
    tokio::spawn(async move {
        let part = crate::model_fetch::part_path(&target);
        let mut result = crate::model_fetch::download(&url, &part, &mut tracker).await;
        if result.is_ok() {
            result = tokio::task::spawn_blocking(move || {
                crate::model_fetch::finish(&part, &target, sha256.as_deref()).map(|_| ())
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
        }
        if let Err(e) = &result {
            tracing::warn!(url, error = %e, "model download failed");
        }
        tracker.update(|d| match result {
            Ok(()) => d.status = DownloadStatus::Finished,
            Err(e) => {
                d.status = DownloadStatus::Failed;
                d.error = Some(e);
            }
        });
    });
    Ok(fresh)
}
