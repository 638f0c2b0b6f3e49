//! Evidence of a duty: a file recognised by its content (never by the name
//! or type the sender claims alone), kept under a name the server makes,
//! with the sender's name cleaned for display; or an http(s) link.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Largest evidence file: a FRIA or training record as PDF is well below.
pub const MAX_EVIDENCE_BYTES: usize = 10 * 1024 * 1024;
/// Longest link accepted.
pub const MAX_LINK_CHARS: usize = 2000;

/// The kinds of file accepted as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    Pdf,
    Odt,
    Ods,
    Docx,
    Xlsx,
    Png,
    Jpeg,
    Text,
}

impl EvidenceKind {
    pub const ALL: [EvidenceKind; 8] = [
        EvidenceKind::Pdf,
        EvidenceKind::Odt,
        EvidenceKind::Ods,
        EvidenceKind::Docx,
        EvidenceKind::Xlsx,
        EvidenceKind::Png,
        EvidenceKind::Jpeg,
        EvidenceKind::Text,
    ];

    pub fn label(self) -> &'static str {
        match self {
            EvidenceKind::Pdf => "PDF-Dokument",
            EvidenceKind::Odt => "ODT-Textdokument",
            EvidenceKind::Ods => "ODS-Tabelle",
            EvidenceKind::Docx => "Word-Dokument",
            EvidenceKind::Xlsx => "Excel-Tabelle",
            EvidenceKind::Png => "PNG-Bild",
            EvidenceKind::Jpeg => "JPEG-Bild",
            EvidenceKind::Text => "Textdatei",
        }
    }

    /// The extension the stored file gets; also the one of the sent name.
    pub fn extension(self) -> &'static str {
        match self {
            EvidenceKind::Pdf => "pdf",
            EvidenceKind::Odt => "odt",
            EvidenceKind::Ods => "ods",
            EvidenceKind::Docx => "docx",
            EvidenceKind::Xlsx => "xlsx",
            EvidenceKind::Png => "png",
            EvidenceKind::Jpeg => "jpg",
            EvidenceKind::Text => "txt",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            EvidenceKind::Pdf => "application/pdf",
            EvidenceKind::Odt => "application/vnd.oasis.opendocument.text",
            EvidenceKind::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            EvidenceKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            EvidenceKind::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            EvidenceKind::Png => "image/png",
            EvidenceKind::Jpeg => "image/jpeg",
            EvidenceKind::Text => "text/plain; charset=utf-8",
        }
    }

    fn from_extension(ext: &str) -> Option<EvidenceKind> {
        match ext.to_ascii_lowercase().as_str() {
            "jpeg" => Some(EvidenceKind::Jpeg),
            "csv" | "md" => Some(EvidenceKind::Text),
            e => EvidenceKind::ALL.into_iter().find(|k| k.extension() == e),
        }
    }

    /// Whether the bytes are what this kind of file starts with (ZIP-based
    /// office files: the part that names their kind).
    fn matches(self, bytes: &[u8]) -> bool {
        let zip = bytes.starts_with(b"PK\x03\x04");
        let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        match self {
            EvidenceKind::Pdf => bytes.starts_with(b"%PDF-"),
            EvidenceKind::Odt => {
                zip && contains(b"mimetypeapplication/vnd.oasis.opendocument.text")
            }
            EvidenceKind::Ods => {
                zip && contains(b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet")
            }
            EvidenceKind::Docx => zip && contains(b"word/"),
            EvidenceKind::Xlsx => zip && contains(b"xl/"),
            EvidenceKind::Png => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            EvidenceKind::Jpeg => bytes.starts_with(b"\xFF\xD8\xFF"),
            EvidenceKind::Text => !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok(),
        }
    }

    /// The kind of an uploaded file: its name's extension must be one of
    /// the accepted kinds, its content must be that kind, and a declared
    /// media type (other than the generic `application/octet-stream`) must
    /// agree. The error names the file in German.
    pub fn recognise(
        name: &str,
        declared_type: Option<&str>,
        bytes: &[u8],
    ) -> Result<EvidenceKind, String> {
        let shown = clean_file_name(name);
        let accepted = "PDF, ODT, ODS, DOCX, XLSX, PNG, JPEG oder Text (TXT, CSV)";
        let kind = shown
            .rsplit_once('.')
            .and_then(|(_, ext)| EvidenceKind::from_extension(ext))
            .ok_or_else(|| {
                format!("„{shown}“ hat keine zulässige Dateiendung; möglich sind {accepted}.")
            })?;
        if bytes.is_empty() {
            return Err(format!("Die Datei „{shown}“ ist leer."));
        }
        if !kind.matches(bytes) {
            return Err(format!(
                "Der Inhalt von „{shown}“ ist kein {}; die Datei wurde nicht gespeichert.",
                kind.label()
            ));
        }
        let declared = declared_type
            .map(|t| {
                t.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .filter(|t| !t.is_empty() && t != "application/octet-stream");
        if let Some(t) = declared {
            let expected = kind.media_type().split(';').next().unwrap_or("");
            let also_text =
                kind == EvidenceKind::Text && matches!(t.as_str(), "text/csv" | "text/markdown");
            if t != expected && !also_text {
                return Err(format!(
                    "„{shown}“ wurde als „{t}“ gesendet, ist aber ein {}; die Datei wurde nicht gespeichert.",
                    kind.label()
                ));
            }
        }
        Ok(kind)
    }
}

/// A file name as sent, made safe to show and to offer for download: only
/// the last path component, letters, digits, spaces and `.-_()`, at most
/// 120 characters, never starting with a dot.
pub fn clean_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    let trimmed = cleaned.trim().trim_start_matches(['.', ' ']).to_owned();
    if trimmed.is_empty() {
        "Nachweis".to_owned()
    } else {
        trimmed
    }
}

/// The name a stored evidence file has in the data folder: 32 hex digits
/// the server chose and the kind's extension. Nothing a user sends ever
/// becomes part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StoredName(String);

impl StoredName {
    /// The name for `random` (16 bytes from the server's generator).
    pub fn new(random: [u8; 16], kind: EvidenceKind) -> StoredName {
        let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
        StoredName(format!("{hex}.{}", kind.extension()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for StoredName {
    type Error = String;

    fn try_from(s: String) -> Result<StoredName, String> {
        let ok = s.split_once('.').is_some_and(|(hex, ext)| {
            hex.len() == 32
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                && EvidenceKind::ALL.iter().any(|k| k.extension() == ext)
        });
        if ok {
            Ok(StoredName(s))
        } else {
            Err(format!(
                "„{s}“ ist kein Name einer gespeicherten Nachweisdatei"
            ))
        }
    }
}

impl From<StoredName> for String {
    fn from(n: StoredName) -> String {
        n.0
    }
}

/// An uploaded evidence file as the task keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceFile {
    pub stored: StoredName,
    /// The sender's file name, cleaned ([`clean_file_name`]).
    pub name: String,
    pub kind: EvidenceKind,
    pub size: u64,
}

/// An http(s) link to evidence kept elsewhere (the register entry, the
/// document management system).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EvidenceLink(String);

impl EvidenceLink {
    /// Checks a link: `http://` or `https://`, a host of letters, digits,
    /// dots and dashes (or an IPv6 address in brackets), an optional port,
    /// and a path of visible ASCII characters without quotes or angle
    /// brackets. The error is German.
    pub fn parse(raw: &str) -> Result<EvidenceLink, String> {
        let s = raw.trim();
        if s.chars().count() > MAX_LINK_CHARS {
            return Err(format!("Der Link ist länger als {MAX_LINK_CHARS} Zeichen."));
        }
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .ok_or("Der Link muss mit http:// oder https:// beginnen.")?;
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let host_ok = |h: &str| {
            !h.is_empty()
                && !h.starts_with(['.', '-'])
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        };
        let authority_ok = if let Some(v6) = authority.strip_prefix('[') {
            v6.split_once(']').is_some_and(|(addr, port)| {
                !addr.is_empty()
                    && addr
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
                    && (port.is_empty() || port_ok(port))
            })
        } else {
            match authority.split_once(':') {
                Some((host, port)) => host_ok(host) && port_ok(&format!(":{port}")),
                None => host_ok(authority),
            }
        };
        if !authority_ok {
            return Err("Der Link nennt keinen gültigen Rechnernamen.".into());
        }
        if !tail
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'<' | b'>' | b'\\' | b'`'))
        {
            return Err("Der Link enthält Leerzeichen oder unzulässige Zeichen.".into());
        }
        Ok(EvidenceLink(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn port_ok(port: &str) -> bool {
    port.strip_prefix(':')
        .is_some_and(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

impl TryFrom<String> for EvidenceLink {
    type Error = String;

    fn try_from(s: String) -> Result<EvidenceLink, String> {
        EvidenceLink::parse(&s)
    }
}

impl From<EvidenceLink> for String {
    fn from(l: EvidenceLink) -> String {
        l.0
    }
}

impl fmt::Display for EvidenceLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
