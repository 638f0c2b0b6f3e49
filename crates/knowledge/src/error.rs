//! Why a document could not be read, as the person who uploaded it should
//! hear it. No message quotes the file's content.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    #[error("Dateien mit der Endung „{0}“ werden nicht angenommen. Erlaubt sind PDF, DOCX, ODT, TXT, Markdown (.md), HTML und E-Mails (.eml).")]
    Unsupported(String),
    #[error("Die Datei endet auf „.{declared}“, ist ihrem Inhalt nach aber {found}. Bitte laden Sie sie mit der richtigen Endung hoch.")]
    ExtensionMismatch {
        declared: String,
        found: &'static str,
    },
    #[error("Die Datei ist kein gültiges {0}-Dokument oder ist beschädigt.")]
    Malformed(&'static str),
    #[error("Die {kind}-Datei würde entpackt mehr als {limit_mb} MB ergeben; sie wird aus Sicherheitsgründen nicht gelesen.")]
    Expands { kind: &'static str, limit_mb: u64 },
    #[error("Die PDF-Datei hat {pages} Seiten; höchstens {max} Seiten werden gelesen. Bitte teilen Sie sie auf.")]
    TooManyPages { pages: u64, max: u64 },
    #[error("Die PDF-Datei ist verschlüsselt oder kennwortgeschützt. Bitte laden Sie eine Fassung ohne Kennwort hoch.")]
    Encrypted,
    #[error("Die Datei enthält keinen lesbaren Text. Gescannte PDF-Dateien ohne Textebene werden noch nicht erkannt (keine Texterkennung).")]
    NoText,
    #[error("Das Lesen der Datei hat zu lange gedauert und wurde abgebrochen.")]
    Timeout,
    #[error("Der Text der Datei ist länger als {0} Millionen Zeichen; bitte teilen Sie sie auf.")]
    TextTooLong(usize),
    /// The server lacks a tool (pdftotext); the detail is for the log.
    #[error("PDF-Dateien können auf diesem Server nicht gelesen werden (pdftotext aus poppler-utils fehlt).")]
    ToolMissing(String),
    /// A failure of ours (temporary file, pipe); the detail is for the log.
    #[error("Die Datei konnte wegen eines Serverfehlers nicht gelesen werden.")]
    Internal(String),
}
