//! From an uploaded file to the passages a space stores: text extraction,
//! passages along the structure and their search terms, on a blocking
//! thread (pdftotext runs as a process, parsing is CPU work).

use knowledge::chunk::chunks;
use knowledge::{BlockKind, ExtractError};
use store::spaces::NewPassage;

use crate::error::AppError;

/// What the store needs besides who and where.
#[derive(Debug)]
pub struct Indexed {
    pub kind: &'static str,
    pub pages: Option<i64>,
    /// The first heading above the § level, if the document has one.
    pub heading: Option<String>,
    pub passages: Vec<NewPassage>,
}

/// The search terms of a passage: its section's headings and its text.
pub fn passage_terms(section: &str, text: &str) -> String {
    let mut terms = knowledge::german::terms(section);
    terms.extend(knowledge::german::terms(text));
    terms.join(" ")
}

fn refused(e: ExtractError) -> AppError {
    match e {
        ExtractError::ToolMissing(ref detail) => {
            tracing::error!(%detail, "PDF extraction unavailable");
            AppError::Unavailable(e.to_string())
        }
        ExtractError::Internal(detail) => AppError::internal("extract an upload", detail),
        other => AppError::invalid("file", other.to_string()),
    }
}

/// Reads and cuts a document; nothing is stored yet.
pub async fn index(file_name: String, bytes: std::sync::Arc<Vec<u8>>) -> Result<Indexed, AppError> {
    tokio::task::spawn_blocking(move || {
        let extracted = knowledge::extract(&file_name, &bytes).map_err(refused)?;
        let heading = extracted
            .blocks
            .iter()
            // A § heading names a part, not the document.
            .find(|b| matches!(b.kind, BlockKind::Heading(l) if l < 6))
            .map(|b| b.text.clone());
        let passages = chunks(&extracted.blocks)
            .into_iter()
            .map(|c| NewPassage {
                page: c.page.map(i64::from),
                terms: passage_terms(&c.section, &c.text),
                section: c.section,
                text: c.text,
            })
            .collect();
        Ok(Indexed {
            kind: extracted.kind.slug(),
            pages: extracted.pages.map(i64::from),
            heading,
            passages,
        })
    })
    .await
    .map_err(|e| AppError::internal("index an upload", e))?
}
