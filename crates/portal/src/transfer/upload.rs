//! The uploaded bundle on its way to the Nachnutzung page: streamed to the
//! data folder as it arrives (never held in memory), up to its own limit,
//! far above the portal's 4 MB for other requests; and the uploads that
//! were checked but never confirmed, removed after a day.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use axum::extract::multipart::{Field, Multipart, MultipartError};
use axum::http::StatusCode;
use rand::RngCore;
use tokio::io::AsyncWriteExt;

/// The route of the upload; the router gives it [`MAX_UPLOAD_BYTES`].
pub const UPLOAD_PATH: &str = "/nachnutzung/import";
/// Its twin in the API, with the same limit.
pub const API_UPLOAD_PATH: &str = "/api/v1/transfer/check";
/// Largest request body of an upload. A bundle of a large town with all its
/// documents is a few MB; this leaves room for years of bench reports.
pub const MAX_UPLOAD_BYTES: usize = 256 * 1024 * 1024;
/// How long a checked upload waits for its confirmation.
pub const KEEP_UNCONFIRMED: Duration = Duration::from_secs(24 * 3600);

/// The folder where uploaded bundles and exports wait briefly.
pub fn work_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("nachnutzung")
}

pub fn random_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An upload stored under `work_dir/<token>.zip`.
#[derive(Debug)]
pub struct Upload {
    pub token: String,
    pub path: PathBuf,
}

#[derive(Debug)]
pub enum UploadError {
    /// No file, or an empty one.
    Missing,
    /// Over [`MAX_UPLOAD_BYTES`]; nothing was kept.
    TooLarge,
    /// The body broke off or is no valid multipart form.
    Incomplete(String),
    /// The data folder could not be written.
    Storage(String),
}

impl UploadError {
    fn from_multipart(e: MultipartError) -> UploadError {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            UploadError::TooLarge
        } else {
            UploadError::Incomplete(e.body_text())
        }
    }
}

/// Whether a declared `Content-Length` is already over the limit.
pub fn declared_too_large(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .is_some_and(|n| n > MAX_UPLOAD_BYTES as u64)
}

/// Streams the form's `paket` file into the work folder. Fields after it
/// are not read (the page's form has none).
pub async fn receive(multipart: &mut Multipart, data_dir: &Path) -> Result<Upload, UploadError> {
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(UploadError::from_multipart)?
    {
        if field.name() == Some("paket") {
            return store(field, data_dir).await;
        }
    }
    Err(UploadError::Missing)
}

async fn store(mut field: Field<'_>, data_dir: &Path) -> Result<Upload, UploadError> {
    let dir = work_dir(data_dir);
    let storage = |e: std::io::Error| UploadError::Storage(format!("{}: {e}", dir.display()));
    tokio::fs::create_dir_all(&dir).await.map_err(storage)?;
    let token = random_token();
    let path = dir.join(format!("{token}.zip"));
    let mut file = tokio::fs::File::create(&path).await.map_err(storage)?;
    let written = copy(&mut field, &mut file).await;
    drop(file);
    let stored = match written {
        Ok(0) => Err(UploadError::Missing),
        Ok(_) => return Ok(Upload { token, path }),
        Err(e) => Err(e),
    };
    // Nothing half-written stays behind.
    let _ = std::fs::remove_file(&path);
    stored
}

async fn copy(field: &mut Field<'_>, file: &mut tokio::fs::File) -> Result<usize, UploadError> {
    let mut written = 0usize;
    while let Some(chunk) = field.chunk().await.map_err(UploadError::from_multipart)? {
        written += chunk.len();
        if written > MAX_UPLOAD_BYTES {
            return Err(UploadError::TooLarge);
        }
        file.write_all(&chunk)
            .await
            .map_err(|e| UploadError::Storage(e.to_string()))?;
    }
    file.flush()
        .await
        .map_err(|e| UploadError::Storage(e.to_string()))?;
    Ok(written)
}

/// Removes what waits in the work folder since before `now` minus
/// [`KEEP_UNCONFIRMED`]: uploads checked but never confirmed, and exports
/// left by an interrupted download. Returns how many files went.
pub fn purge_stale(data_dir: &Path, now: SystemTime) -> std::io::Result<usize> {
    let dir = work_dir(data_dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let cutoff = now
        .checked_sub(KEEP_UNCONFIRMED)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let mut removed = 0;
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        let stale = meta.modified().is_ok_and(|m| m < cutoff);
        if meta.is_file() && stale && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}
