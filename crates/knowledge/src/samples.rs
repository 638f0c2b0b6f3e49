//! Small documents written from scratch, for tests and fuzzing seeds: a PDF
//! with a text layer (one page per entry, paragraphs separated by blank
//! lines), and DOCX/ODT archives around given paragraphs.

use std::io::{Cursor, Write};

/// A PDF whose page `i` shows `pages[i]`: each line of the text on a line
/// of its own (Helvetica, WinAnsi, so German letters survive), an empty
/// line as a paragraph gap.
pub fn pdf(pages: &[&str]) -> Vec<u8> {
    let n = pages.len();
    let font = 3 + 2 * n;
    let mut objects: Vec<String> = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {n} >>",
            (0..n)
                .map(|i| format!("{} 0 R", 3 + 2 * i))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    ];
    for (i, text) in pages.iter().enumerate() {
        let mut content = String::from("BT /F1 11 Tf 14 TL 60 780 Td\n");
        for line in text.lines() {
            if line.trim().is_empty() {
                content.push_str("T* T*\n");
            } else {
                content.push_str(&format!("({}) Tj T*\n", win_ansi(line)));
            }
        }
        content.push_str("ET");
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 {font} 0 R >> >> /Contents {} 0 R >>",
            4 + 2 * i
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ));
    }
    objects.push(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into(),
    );
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A PDF string body: Latin-1 letters as octal escapes (WinAnsi agrees
/// with Latin-1 there), delimiters escaped, anything else as '?'.
fn win_ansi(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '(' | ')' | '\\' => format!("\\{c}"),
            ' '..='~' => c.to_string(),
            '\u{a0}'..='\u{ff}' => format!("\\{:03o}", c as u32),
            '€' => "\\200".into(),
            _ => "?".into(),
        })
        .collect()
}

fn zip(entries: &[(&str, String)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        let opts = if *name == "mimetype" {
            stored
        } else {
            deflated
        };
        w.start_file(*name, opts).expect("zip entry");
        w.write_all(data.as_bytes()).expect("zip write");
    }
    w.finish().expect("zip").into_inner()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A DOCX: blocks as (heading level or 0, text).
pub fn docx(blocks: &[(u8, &str)]) -> Vec<u8> {
    let body: String = blocks
        .iter()
        .map(|(level, text)| {
            let style = if *level > 0 {
                format!("<w:pPr><w:pStyle w:val=\"Heading{level}\"/></w:pPr>")
            } else {
                String::new()
            };
            format!(
                "<w:p>{style}<w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
                xml_escape(text)
            )
        })
        .collect();
    zip(&[
        ("[Content_Types].xml", "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>".into()),
        ("word/document.xml", format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>")),
    ])
}

/// An ODT: blocks as (heading level or 0, text).
pub fn odt(blocks: &[(u8, &str)]) -> Vec<u8> {
    let body: String = blocks
        .iter()
        .map(|(level, text)| match level {
            0 => format!("<text:p>{}</text:p>", xml_escape(text)),
            l => format!(
                "<text:h text:outline-level=\"{l}\">{}</text:h>",
                xml_escape(text)
            ),
        })
        .collect();
    zip(&[
        ("mimetype", "application/vnd.oasis.opendocument.text".into()),
        ("content.xml", format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\"><office:body><office:text>{body}</office:text></office:body></office:document-content>")),
    ])
}
