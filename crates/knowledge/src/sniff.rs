//! What a file is by its content, whatever its name says: the first bytes
//! of a PDF, the entries of a zip that make it DOCX or ODT, text or not.

use std::io::{Cursor, Read};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Empty,
    Pdf,
    Docx,
    Odt,
    /// A zip that is neither (e.g. an ODS, an XLSX or a plain archive).
    OtherZip,
    Text,
    Binary,
}

impl Sniffed {
    /// For "… ist ihrem Inhalt nach aber {label}".
    pub fn label(self) -> &'static str {
        match self {
            Sniffed::Empty => "leer",
            Sniffed::Pdf => "eine PDF-Datei",
            Sniffed::Docx => "ein Word-Dokument (DOCX)",
            Sniffed::Odt => "ein ODF-Textdokument (ODT)",
            Sniffed::OtherZip => "ein anderes ZIP-Archiv",
            Sniffed::Text => "eine Textdatei",
            Sniffed::Binary => "eine Binärdatei",
        }
    }
}

const ODT_MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.text";

pub fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.is_empty() {
        return Sniffed::Empty;
    }
    // Some writers put a few bytes before the header; PDF readers accept
    // the header within the first kilobyte.
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Sniffed::Pdf;
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return zip_kind(bytes);
    }
    if looks_like_text(bytes) {
        Sniffed::Text
    } else {
        Sniffed::Binary
    }
}

fn zip_kind(bytes: &[u8]) -> Sniffed {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Sniffed::OtherZip;
    };
    if archive.index_for_name("word/document.xml").is_some() {
        return Sniffed::Docx;
    }
    if let Ok(entry) = archive.by_name("mimetype") {
        let mut mime = Vec::new();
        if entry.take(100).read_to_end(&mut mime).is_ok() && mime.trim_ascii() == ODT_MIMETYPE {
            return Sniffed::Odt;
        }
    }
    Sniffed::OtherZip
}

/// No NUL and few control characters in the first 8 KiB: text in some
/// 8-bit encoding or UTF-8.
fn looks_like_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return false;
    }
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c))
        .count();
    control * 20 < head.len().max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Sniffed::Pdf);
        assert_eq!(sniff(b"Hallo Welt\n"), Sniffed::Text);
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01\0\0\0"), Sniffed::Binary);
        assert_eq!(sniff(b"PK\x03\x04garbage"), Sniffed::OtherZip);
        assert_eq!(sniff(b""), Sniffed::Empty);
    }
}
