//! E-mails saved as `.eml` (RFC 5322 with MIME), as Outlook and
//! Thunderbird export them: the subject becomes the heading, sender, recipients
//! and date a line under it, the text part the body (the HTML part where
//! there is no text part), and attachments of the accepted kinds are read
//! as documents of their own under an "Anhang" heading.

use base64::Engine as _;

use crate::block::{Block, BlockKind};
use crate::error::ExtractError;
use crate::{html, plain};

/// MIME parts nested deeper than this are not opened: real mails nest
/// three or four levels, and the limit keeps a crafted mail from
/// recursing without end.
const MAX_DEPTH: usize = 8;
/// Parts read per mail, all levels together.
const MAX_PARTS: usize = 200;

/// Reads an attached file by name and bytes.
pub type ReadAttachment<'a> = &'a dyn Fn(&str, &[u8]) -> Result<Vec<Block>, ExtractError>;

/// Reads a mail. `attachment` is the caller's own extractor, so
/// attachments get the same checks as uploads.
pub fn blocks(bytes: &[u8], attachment: ReadAttachment<'_>) -> Result<Vec<Block>, ExtractError> {
    let (headers, body) = split_message(bytes);
    if !headers.iter().any(|(n, _)| {
        ["from", "subject", "date", "to", "message-id"].contains(&n.to_ascii_lowercase().as_str())
    }) {
        return Err(ExtractError::Malformed("E-Mail"));
    }
    let get = |name: &str| header(&headers, name).map(|v| decode_words(&v));
    let mut out = Vec::new();
    let subject = get("subject").unwrap_or_default();
    out.push(paragraph_or_heading(
        if subject.trim().is_empty() {
            "(ohne Betreff)".into()
        } else {
            subject.trim().to_owned()
        },
        true,
    ));
    let meta: Vec<String> = [
        ("Von", "from"),
        ("An", "to"),
        ("Cc", "cc"),
        ("Datum", "date"),
    ]
    .iter()
    .filter_map(|(label, name)| get(name).map(|v| format!("{label}: {}", v.trim())))
    .collect();
    if !meta.is_empty() {
        out.push(paragraph_or_heading(meta.join("; "), false));
    }
    let mut walk = Walk {
        parts: 0,
        text: Vec::new(),
        html: Vec::new(),
        attachments: Vec::new(),
    };
    walk.part(&headers, body, 0)?;
    let body_blocks: Vec<Block> = if !walk.text.is_empty() {
        walk.text
            .iter()
            .flat_map(|t| plain::blocks(t, false))
            .collect()
    } else {
        walk.html.iter().flat_map(|h| html::blocks(h)).collect()
    };
    out.extend(body_blocks);
    for (name, data) in walk.attachments {
        // An attachment of a kind not accepted is named, not read.
        match attachment(&name, &data) {
            Ok(blocks) => {
                out.push(paragraph_or_heading(format!("Anhang: {name}"), true));
                out.extend(blocks.into_iter().map(|mut b| {
                    if let BlockKind::Heading(l) = b.kind {
                        b.kind = BlockKind::Heading(l.saturating_add(1).min(6));
                    }
                    b.page = None;
                    b
                }));
            }
            Err(_) => out.push(paragraph_or_heading(
                format!("Anhang „{name}“ (nicht gelesen)"),
                false,
            )),
        }
    }
    Ok(out)
}

fn paragraph_or_heading(text: String, heading: bool) -> Block {
    Block {
        kind: if heading {
            BlockKind::Heading(1)
        } else {
            BlockKind::Paragraph
        },
        text,
        page: None,
    }
}

struct Walk {
    parts: usize,
    text: Vec<String>,
    html: Vec<String>,
    attachments: Vec<(String, Vec<u8>)>,
}

impl Walk {
    fn part(
        &mut self,
        headers: &[(String, String)],
        body: &[u8],
        depth: usize,
    ) -> Result<(), ExtractError> {
        self.parts += 1;
        if depth > MAX_DEPTH || self.parts > MAX_PARTS {
            return Err(ExtractError::Malformed("E-Mail"));
        }
        let content_type = header(headers, "content-type").unwrap_or_default();
        let (mime, params) = parse_content_type(&content_type);
        if mime.starts_with("multipart/") {
            let Some(boundary) = params.get("boundary") else {
                return Err(ExtractError::Malformed("E-Mail"));
            };
            for part in split_multipart(body, boundary) {
                let (h, b) = split_message(part);
                self.part(&h, b, depth + 1)?;
            }
            return Ok(());
        }
        if mime == "message/rfc822" {
            let (h, b) = split_message(body);
            return self.part(&h, b, depth + 1);
        }
        let disposition = header(headers, "content-disposition").unwrap_or_default();
        let (kind, dparams) = parse_content_type(&disposition);
        let name = dparams
            .get("filename")
            .or_else(|| params.get("name"))
            .map(|n| decode_words(n));
        let data = decode_transfer(
            &header(headers, "content-transfer-encoding").unwrap_or_default(),
            body,
        );
        let is_attachment = kind == "attachment" || (name.is_some() && !mime.starts_with("text/"));
        if is_attachment {
            if let Some(name) = name {
                self.attachments.push((name, data));
            }
            return Ok(());
        }
        let charset = params.get("charset").cloned().unwrap_or_default();
        match mime.as_str() {
            "" | "text/plain" => self.text.push(decode_charset(&charset, &data)),
            "text/html" => self.html.push(decode_charset(&charset, &data)),
            _ => {}
        }
        Ok(())
    }
}

/// Headers (unfolded) and the body after the first empty line.
fn split_message(bytes: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let end = bytes[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| pos + i);
        let line = String::from_utf8_lossy(&bytes[pos..end]);
        let line = line.trim_end_matches('\r');
        pos = (end + 1).min(bytes.len());
        if line.is_empty() {
            return (headers, &bytes[pos..]);
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    (headers, &[])
}

fn header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

/// `text/plain; charset="utf-8"` → ("text/plain", {charset: utf-8}).
fn parse_content_type(value: &str) -> (String, std::collections::HashMap<String, String>) {
    let mut pieces = value.split(';');
    let mime = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
    let params = pieces
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| {
            (
                k.trim().trim_end_matches('*').to_ascii_lowercase(),
                v.trim().trim_matches('"').to_owned(),
            )
        })
        .collect();
    (mime, params)
}

fn split_multipart<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delimiter = format!("--{boundary}");
    let d = delimiter.as_bytes();
    let mut starts = Vec::new();
    let mut i = 0;
    while i + d.len() <= body.len() {
        let at_line_start = i == 0 || body[i - 1] == b'\n';
        // "--b1" must not match the start of "--b10".
        let ends = matches!(
            body.get(i + d.len()),
            None | Some(b'-' | b'\r' | b'\n' | b' ' | b'\t')
        );
        if at_line_start && ends && &body[i..i + d.len()] == d {
            starts.push(i);
            i += d.len();
        } else {
            i += 1;
        }
    }
    let mut parts = Vec::new();
    for w in starts.windows(2) {
        let (from, to) = (w[0] + d.len(), w[1]);
        let part = &body[from..to];
        let part = part
            .strip_prefix(b"\r\n")
            .or_else(|| part.strip_prefix(b"\n"))
            .unwrap_or(part);
        parts.push(part);
    }
    parts
}

fn decode_transfer(encoding: &str, body: &[u8]) -> Vec<u8> {
    match encoding.trim().to_ascii_lowercase().as_str() {
        "base64" => {
            let clean: Vec<u8> = body
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            base64::engine::general_purpose::STANDARD
                .decode(&clean)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(&clean))
                .unwrap_or_default()
        }
        "quoted-printable" => quoted_printable::decode(body, quoted_printable::ParseMode::Robust)
            .unwrap_or_else(|_| body.to_vec()),
        _ => body.to_vec(),
    }
}

fn decode_charset(charset: &str, bytes: &[u8]) -> String {
    match encoding_rs::Encoding::for_label(charset.trim().as_bytes()) {
        Some(enc) => enc.decode(bytes).0.into_owned(),
        None => plain::decode(bytes),
    }
}

/// RFC 2047 encoded words (`=?utf-8?Q?Geb=C3=BChren?=`) in a header.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        let decoded = rest[start + 2..]
            .split_once('?')
            .and_then(|(charset, tail)| {
                let (enc, tail) = tail.split_once('?')?;
                let (text, after) = tail.split_once("?=")?;
                let bytes = match enc.to_ascii_uppercase().as_str() {
                    "B" => base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .ok()?,
                    "Q" => quoted_printable::decode(
                        text.replace('_', " ").as_bytes(),
                        quoted_printable::ParseMode::Robust,
                    )
                    .ok()?,
                    _ => return None,
                };
                Some((decode_charset(charset, &bytes), after))
            });
        match decoded {
            Some((text, after)) => {
                // Whitespace between two encoded words is not part of the text.
                if !(last_was_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&text);
                rest = after;
                last_was_word = true;
            }
            None => {
                out.push_str(&rest[..start + 2]);
                rest = &rest[start + 2..];
                last_was_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_attachments(_: &str, _: &[u8]) -> Result<Vec<Block>, ExtractError> {
        Err(ExtractError::NoText)
    }

    #[test]
    fn a_plain_mail_has_subject_sender_and_body() {
        let mail = "From: =?utf-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@musterstadt.de>\r\n\
To: buergerservice@musterstadt.de\r\n\
Subject: =?utf-8?B?R2Viw7xocmVu?= =?utf-8?Q?_f=C3=BCr_Hunde?=\r\n\
Date: Mon, 7 Dec 2026 09:00:00 +0100\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Die Hundesteuer betr=C3=A4gt 120 Euro.\r\n\
\r\n\
Mit freundlichen Gr=C3=BC=\r\n\
=C3=9Fen\r\n";
        let b = blocks(mail.as_bytes(), &no_attachments).unwrap();
        assert_eq!(b[0].kind, BlockKind::Heading(1));
        assert_eq!(b[0].text, "Gebühren für Hunde");
        assert!(b[1]
            .text
            .starts_with("Von: Jürgen Müller <jm@musterstadt.de>; An: "));
        assert!(b
            .iter()
            .any(|x| x.text == "Die Hundesteuer beträgt 120 Euro."));
        assert!(b.iter().any(|x| x.text == "Mit freundlichen Grüßen"));
    }

    #[test]
    fn multipart_prefers_text_and_reads_attachments() {
        let mail = "From: a@b.de\nSubject: Vorlage\nContent-Type: multipart/mixed; boundary=\"XYZ\"\n\n\
preamble\n--XYZ\nContent-Type: multipart/alternative; boundary=inner\n\n\
--inner\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: base64\n\n\
QW5iZWkgZGllIFZvcmxhZ2Uu\n--inner\nContent-Type: text/html\n\n<p>HTML-Fassung</p>\n--inner--\n\
--XYZ\nContent-Type: application/pdf; name=\"Satzung.pdf\"\nContent-Disposition: attachment; filename=\"Satzung.pdf\"\n\
Content-Transfer-Encoding: base64\n\nJVBERi0xLjQ=\n--XYZ--\n";
        let seen = std::cell::RefCell::new(Vec::new());
        let read = |name: &str, data: &[u8]| {
            seen.borrow_mut().push((name.to_owned(), data.to_vec()));
            Ok(vec![Block {
                kind: BlockKind::Heading(1),
                text: "Satzung".into(),
                page: Some(1),
            }])
        };
        let b = blocks(mail.as_bytes(), &read).unwrap();
        let texts: Vec<&str> = b.iter().map(|x| x.text.as_str()).collect();
        assert!(texts.contains(&"Anbei die Vorlage."), "{texts:?}");
        assert!(
            !texts.iter().any(|t| t.contains("HTML-Fassung")),
            "{texts:?}"
        );
        assert_eq!(
            seen.borrow()[0],
            ("Satzung.pdf".into(), b"%PDF-1.4".to_vec())
        );
        let at = texts
            .iter()
            .position(|t| *t == "Anhang: Satzung.pdf")
            .unwrap();
        assert_eq!(b[at + 1].kind, BlockKind::Heading(2));
        assert_eq!(b[at + 1].page, None);
    }

    #[test]
    fn an_html_only_mail_is_read_as_html() {
        let mail = "Subject: Info\nContent-Type: text/html; charset=utf-8\n\n<h2>Öffnungszeiten</h2><p>Montag 8 bis 12 Uhr</p><script>alert(1)</script>";
        let b = blocks(mail.as_bytes(), &no_attachments).unwrap();
        assert!(b.iter().any(|x| x.text == "Montag 8 bis 12 Uhr"));
        assert!(!b.iter().any(|x| x.text.contains("alert")));
    }

    #[test]
    fn text_without_mail_headers_and_endless_nesting_are_refused() {
        assert_eq!(
            blocks(b"Nur ein Text.\n\nZweiter Absatz.", &no_attachments).unwrap_err(),
            ExtractError::Malformed("E-Mail")
        );
        let mut mail = String::from("Subject: x\n");
        for i in 0..20 {
            mail.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n"
            ));
        }
        mail.push_str("Content-Type: text/plain\n\ninnen\n");
        for i in (0..20).rev() {
            mail.push_str(&format!("--b{i}--\n"));
        }
        assert_eq!(
            blocks(mail.as_bytes(), &no_attachments).unwrap_err(),
            ExtractError::Malformed("E-Mail")
        );
    }
}
