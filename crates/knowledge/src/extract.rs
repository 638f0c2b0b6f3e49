//! From uploaded bytes and the file's name to text blocks: the kind the
//! name declares must be the kind the content is (a `.pdf` that is a zip
//! is refused), then the kind's own reader runs within its limits.

pub use crate::block::{Block, BlockKind, DocumentKind, Extracted, MAX_TEXT_CHARS};
use crate::error::ExtractError;
use crate::sniff::{sniff, Sniffed};
use crate::{eml, html, office, pdf, plain};

/// Reads an uploaded document. The name's ending declares its kind; the
/// content must agree.
pub fn extract(file_name: &str, bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let declared = DocumentKind::from_file_name(file_name)?;
    let found = sniff(bytes);
    let agrees = match declared {
        DocumentKind::Pdf => found == Sniffed::Pdf,
        DocumentKind::Docx => found == Sniffed::Docx,
        DocumentKind::Odt => found == Sniffed::Odt,
        DocumentKind::Text | DocumentKind::Markdown | DocumentKind::Html | DocumentKind::Eml => {
            found == Sniffed::Text
        }
    };
    if !agrees {
        if found == Sniffed::Empty {
            return Err(ExtractError::NoText);
        }
        return Err(ExtractError::ExtensionMismatch {
            declared: declared.slug().to_owned(),
            found: found.label(),
        });
    }
    let (blocks, pages) = match declared {
        DocumentKind::Pdf => {
            let (blocks, pages) = pdf::extract(bytes)?;
            (blocks, Some(pages))
        }
        DocumentKind::Docx => (office::docx(bytes)?, None),
        DocumentKind::Odt => (office::odt(bytes)?, None),
        DocumentKind::Text => (plain::blocks(&plain::decode(bytes), false), None),
        DocumentKind::Markdown => (plain::blocks(&plain::decode(bytes), true), None),
        DocumentKind::Html => (html::blocks(&plain::decode(bytes)), None),
        DocumentKind::Eml => (eml::blocks(bytes, &attachment)?, None),
    };
    let extracted = Extracted {
        kind: declared,
        blocks,
        pages,
    };
    if extracted.blocks.iter().all(|b| b.text.trim().is_empty()) {
        return Err(ExtractError::NoText);
    }
    if extracted.chars() > MAX_TEXT_CHARS {
        return Err(ExtractError::TextTooLong(MAX_TEXT_CHARS / 1_000_000));
    }
    Ok(extracted)
}

/// An attachment of a mail, read like an upload of its own; a mail inside
/// a mail is named, not opened, so nesting stays bounded.
fn attachment(name: &str, bytes: &[u8]) -> Result<Vec<Block>, ExtractError> {
    if DocumentKind::from_file_name(name)? == DocumentKind::Eml {
        return Err(ExtractError::Unsupported(".eml".into()));
    }
    extract(name, bytes).map(|e| e.blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endings_come_from_an_allow_list() {
        assert_eq!(
            DocumentKind::from_file_name("Satzung.PDF").unwrap(),
            DocumentKind::Pdf
        );
        assert!(matches!(
            DocumentKind::from_file_name("run.exe"),
            Err(ExtractError::Unsupported(e)) if e == ".exe"
        ));
        assert!(DocumentKind::from_file_name("README").is_err());
    }

    #[test]
    fn a_lying_ending_is_refused() {
        let err = extract("bescheid.pdf", b"Nur Text, kein PDF.").unwrap_err();
        assert_eq!(
            err,
            ExtractError::ExtensionMismatch {
                declared: "pdf".into(),
                found: "eine Textdatei"
            }
        );
        let err = extract("notiz.txt", b"%PDF-1.4\n...").unwrap_err();
        assert!(err.to_string().contains("PDF"), "{err}");
        assert_eq!(extract("leer.txt", b"").unwrap_err(), ExtractError::NoText);
    }

    #[test]
    fn text_and_markdown_keep_their_headings() {
        let md = extract(
            "a.md",
            "# Gebühren\n\nDie Gebühr beträgt 5 Euro.\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(md.blocks[0].kind, BlockKind::Heading(1));
        assert_eq!(md.blocks[1].text, "Die Gebühr beträgt 5 Euro.");
    }

    #[test]
    fn pdf_pages_come_from_pdftotext() {
        let pdf = crate::samples::pdf(&[
            "Hundesteuersatzung\n\n§ 1 Steuerpflicht\nSteuerpflichtig ist, wer einen Hund hält.",
            "§ 2 Steuersatz\nDie Steuer beträgt 120 Euro für den ersten Hund.",
        ]);
        let e = extract("satzung.pdf", &pdf).unwrap();
        assert_eq!(e.pages, Some(2));
        let rate = e
            .blocks
            .iter()
            .find(|b| b.text.contains("120 Euro"))
            .unwrap();
        assert_eq!(rate.page, Some(2));
        assert!(e
            .blocks
            .iter()
            .any(|b| b.kind == BlockKind::Heading(6) && b.text == "§ 1 Steuerpflicht"));
    }

    #[test]
    fn a_damaged_pdf_is_refused() {
        let err = extract("kaputt.pdf", b"%PDF-1.4\nnothing else").unwrap_err();
        assert_eq!(err, ExtractError::Malformed("PDF"));
    }

    #[test]
    fn office_samples_read_back() {
        let blocks = [(1, "Geschäftsordnung"), (0, "Der Rat tagt öffentlich.")];
        for (name, bytes) in [
            ("a.docx", crate::samples::docx(&blocks)),
            ("a.odt", crate::samples::odt(&blocks)),
        ] {
            let e = extract(name, &bytes).unwrap();
            assert_eq!(e.blocks[0].kind, BlockKind::Heading(1), "{name}");
            assert_eq!(e.blocks[1].text, "Der Rat tagt öffentlich.", "{name}");
        }
        let err = extract("a.odt", &crate::samples::docx(&blocks)).unwrap_err();
        assert!(matches!(err, ExtractError::ExtensionMismatch { .. }));
    }

    #[test]
    fn a_mail_with_an_attached_docx_is_read_with_it() {
        use base64::Engine as _;
        let docx = crate::samples::docx(&[(1, "Dienstanweisung"), (0, "KI nur mit KI-Pass.")]);
        let b64 = base64::engine::general_purpose::STANDARD.encode(docx);
        let mail = format!(
            "From: it@musterstadt.de\nSubject: Neue Regeln\nContent-Type: multipart/mixed; boundary=b\n\n\
--b\nContent-Type: text/plain\n\nSiehe Anhang.\n\
--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=Regeln.docx\n\
Content-Transfer-Encoding: base64\n\n{b64}\n--b--\n"
        );
        let e = extract("Regeln.eml", mail.as_bytes()).unwrap();
        assert_eq!(e.kind, DocumentKind::Eml);
        let texts: Vec<&str> = e.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts[0], "Neue Regeln");
        assert!(texts.contains(&"Siehe Anhang."), "{texts:?}");
        assert!(texts.contains(&"Anhang: Regeln.docx"), "{texts:?}");
        assert!(texts.contains(&"KI nur mit KI-Pass."), "{texts:?}");
        // A mail inside a mail is named, not opened.
        let inner = mail.replace("Regeln.docx", "Weiter.eml");
        let e = extract("a.eml", inner.as_bytes()).unwrap();
        assert!(e
            .blocks
            .iter()
            .any(|b| b.text == "Anhang „Weiter.eml“ (nicht gelesen)"));
    }
}
