//! The uploaded document of a space: one multipart file field read into
//! memory up to [`MAX_DOCUMENT_BYTES`] (the router lets these two routes'
//! bodies be that large, see [`request_limit`]), with an optional title.

use axum::extract::multipart::{Multipart, MultipartError};
use axum::http::StatusCode;

use crate::error::AppError;

/// The largest document a space takes. A 300-page PDF with a text layer
/// is a few MB; scans (which need OCR) are what grows beyond this.
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;
/// The request body of an upload at most: the file and room for the
/// multipart envelope and the title around it.
pub const REQUEST_LIMIT: usize = MAX_DOCUMENT_BYTES + 64 * 1024;

/// The body limit for a request to `path`, if it is a document upload.
pub fn request_limit(path: &str) -> Option<usize> {
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let upload = match path.split('/').collect::<Vec<_>>().as_slice() {
        ["", "api", "v1", "spaces", id, "documents"] => numeric(id),
        ["", "wissensraeume", id, "dokumente"] => numeric(id),
        _ => false,
    };
    upload.then_some(REQUEST_LIMIT)
}

pub fn too_large() -> AppError {
    AppError::TooLarge(format!(
        "Die Datei ist zu groß: höchstens {} MB je Dokument. Bitte teilen Sie das Dokument auf.",
        MAX_DOCUMENT_BYTES >> 20
    ))
}

/// What the form sent.
#[derive(Debug, Default)]
pub struct Received {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub title: Option<String>,
}

fn broken(e: MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        AppError::invalid(
            "file",
            "Der Upload ist unvollständig oder kein gültiges Formular (multipart/form-data); bitte erneut senden.",
        )
    }
}

/// Reads the fields `file` (required) and `title` (optional).
pub async fn receive(multipart: &mut Multipart) -> Result<Received, AppError> {
    let mut received = Received::default();
    let mut had_file = false;
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        match field.name() {
            Some("file") => {
                had_file = true;
                received.file_name = field.file_name().unwrap_or_default().to_owned();
                while let Some(chunk) = field.chunk().await.map_err(broken)? {
                    if received.bytes.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                        return Err(too_large());
                    }
                    received.bytes.extend_from_slice(&chunk);
                }
            }
            Some("title") => {
                let text = field.text().await.map_err(broken)?;
                let text = text.trim();
                if !text.is_empty() {
                    received.title = Some(text.to_owned());
                }
            }
            _ => {}
        }
    }
    if !had_file || received.bytes.is_empty() {
        return Err(AppError::invalid(
            "file",
            "Bitte wählen Sie eine Datei aus (PDF, DOCX, ODT, TXT, Markdown, HTML oder E-Mail als .eml).",
        ));
    }
    Ok(received)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_upload_routes_get_the_larger_limit() {
        assert!(request_limit("/api/v1/spaces/3/documents").is_some());
        assert!(request_limit("/wissensraeume/12/dokumente").is_some());
        assert!(request_limit("/api/v1/spaces/x/documents").is_none());
        assert!(request_limit("/api/v1/spaces/3/documents/4").is_none());
        assert!(request_limit("/api/v1/spaces").is_none());
    }
}
