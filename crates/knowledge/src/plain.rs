//! Plain text, Markdown and the text pdftotext writes: pages split at form
//! feeds, paragraphs at blank lines, headings from Markdown's `#` and from
//! the lines German rules begin their parts with (`§ 3 Gebühren`,
//! `Artikel 2`, `Abschnitt 1`).

use crate::block::{Block, BlockKind};

/// UTF-8 (with or without BOM), else Windows-1252, which is what older
/// office PCs in German administrations write.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| windows_1252(b)).collect(),
    }
}

fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// The heading level a line has, if it is one.
pub fn heading_level(line: &str, markdown: bool) -> Option<u8> {
    let line = line.trim();
    if line.is_empty() || line.chars().count() > 120 {
        return None;
    }
    if markdown {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            return Some(hashes as u8);
        }
    }
    let first = line.split_whitespace().next().unwrap_or("");
    let numbered = |rest: &str| {
        rest.split_whitespace()
            .nth(1)
            .is_some_and(|n| n.chars().next().is_some_and(|c| c.is_ascii_digit()))
    };
    match first {
        "Teil" | "Kapitel" if numbered(line) => Some(2),
        "Abschnitt" if numbered(line) => Some(3),
        "Artikel" | "Art." if numbered(line) => Some(4),
        _ if line.starts_with('§') && !line.ends_with(['.', ',', ';']) => Some(6),
        _ => None,
    }
}

fn heading_text(line: &str, markdown: bool) -> String {
    let line = line.trim();
    if markdown {
        line.trim_start_matches('#').trim().to_owned()
    } else {
        line.to_owned()
    }
}

/// Joins a paragraph's lines, mending words hyphenated at a line's end.
fn join_lines(lines: &[&str]) -> String {
    let mut text = String::new();
    for line in lines {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mended = text.ends_with('-')
            && text[..text.len() - 1]
                .chars()
                .next_back()
                .is_some_and(char::is_alphabetic)
            && line.chars().next().is_some_and(char::is_lowercase);
        if mended {
            text.pop();
        } else if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(line);
    }
    text
}

/// Blocks of a text; a form feed starts the next page (page numbers only
/// when the text has form feeds, i.e. came from a PDF).
pub fn blocks(text: &str, markdown: bool) -> Vec<Block> {
    let paged = text.contains('\x0c');
    let mut out = Vec::new();
    for (index, page_text) in text.split('\x0c').enumerate() {
        let page = paged.then(|| u32::try_from(index + 1).unwrap_or(u32::MAX));
        let mut lines: Vec<&str> = Vec::new();
        for line in page_text.lines().chain(std::iter::once("")) {
            if let Some(level) = heading_level(line, markdown) {
                flush(&mut out, &mut lines, page);
                out.push(Block {
                    kind: BlockKind::Heading(level),
                    text: heading_text(line, markdown),
                    page,
                });
            } else if line.trim().is_empty() {
                flush(&mut out, &mut lines, page);
            } else {
                lines.push(line);
            }
        }
    }
    out
}

fn flush(out: &mut Vec<Block>, lines: &mut Vec<&str>, page: Option<u32>) {
    let text = join_lines(lines);
    lines.clear();
    if !text.is_empty() {
        out.push(Block {
            kind: BlockKind::Paragraph,
            text,
            page,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_paragraphs_and_rule_headings() {
        let text = "Satzung\n\n§ 1 Geltungsbereich\n(1) Diese Satzung gilt für alle\nVerwal-\ntung.\n\x0c§ 2 Gebühren\nDie Gebühr beträgt 10 Euro.\n";
        let b = blocks(text, false);
        assert_eq!(b[0].text, "Satzung");
        assert_eq!(b[1].kind, BlockKind::Heading(6));
        assert_eq!(b[1].page, Some(1));
        assert_eq!(b[2].text, "(1) Diese Satzung gilt für alle Verwaltung.");
        assert_eq!(b[3].text, "§ 2 Gebühren");
        assert_eq!(b[3].page, Some(2));
        assert_eq!(b[4].page, Some(2));
    }

    #[test]
    fn windows_1252_is_read() {
        assert_eq!(decode(b"Geb\xfchr \x80"), "Gebühr €");
        assert_eq!(decode("Gebühr".as_bytes()), "Gebühr");
    }

    #[test]
    fn a_sentence_about_a_paragraph_is_no_heading() {
        assert_eq!(heading_level("§ 3 gilt entsprechend.", false), None);
        assert_eq!(heading_level("Artikel 3 Inkrafttreten", false), Some(4));
        assert_eq!(heading_level("## Zweck", true), Some(2));
        assert_eq!(heading_level("## Zweck", false), None);
    }
}
