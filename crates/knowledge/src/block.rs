//! The kinds of document accepted, and what every reader produces:
//! headings and paragraphs in reading order, with the PDF page each stands
//! on.

use crate::error::ExtractError;

/// The most text a document may yield, in characters. A 1,000-page Satzung
/// is about 3 million.
pub const MAX_TEXT_CHARS: usize = 8_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Pdf,
    Docx,
    Odt,
    Text,
    Markdown,
    Html,
    /// A saved e-mail (RFC 5322 with MIME).
    Eml,
}

impl DocumentKind {
    /// The kind a file name declares, from an allow-list of endings.
    pub fn from_file_name(name: &str) -> Result<DocumentKind, ExtractError> {
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        Ok(match ext.as_str() {
            "pdf" => DocumentKind::Pdf,
            "docx" => DocumentKind::Docx,
            "odt" => DocumentKind::Odt,
            "txt" | "text" => DocumentKind::Text,
            "md" | "markdown" => DocumentKind::Markdown,
            "html" | "htm" => DocumentKind::Html,
            "eml" => DocumentKind::Eml,
            _ => {
                let shown: String = ext.chars().take(12).collect();
                return Err(ExtractError::Unsupported(if shown.is_empty() {
                    "(keine)".into()
                } else {
                    format!(".{shown}")
                }));
            }
        })
    }

    pub fn slug(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "pdf",
            DocumentKind::Docx => "docx",
            DocumentKind::Odt => "odt",
            DocumentKind::Text => "txt",
            DocumentKind::Markdown => "md",
            DocumentKind::Html => "html",
            DocumentKind::Eml => "eml",
        }
    }

    pub fn parse(slug: &str) -> Option<DocumentKind> {
        DocumentKind::from_file_name(&format!("x.{slug}")).ok()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// A heading of this level (1 is the highest); a § line is level 6.
    Heading(u8),
    Paragraph,
}

/// A heading or paragraph, with the PDF page it stands on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub kind: BlockKind,
    pub text: String,
    pub page: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub kind: DocumentKind,
    pub blocks: Vec<Block>,
    /// Pages of a PDF.
    pub pages: Option<u32>,
}

impl Extracted {
    pub fn chars(&self) -> usize {
        self.blocks.iter().map(|b| b.text.chars().count()).sum()
    }
}
