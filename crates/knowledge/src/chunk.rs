//! Passages along the document's structure: a heading (chapter, §, Artikel)
//! starts a new passage and names its section; paragraphs (Absätze) are
//! gathered up to about [`TARGET_CHARS`] and never split unless one alone
//! is longer than [`MAX_CHARS`], then at sentence ends. A passage stays on
//! one PDF page, so its page can be cited.

use crate::extract::{Block, BlockKind};

pub const TARGET_CHARS: usize = 1_000;
pub const MAX_CHARS: usize = 1_600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The headings above the passage, outermost first ("Teil 2 › § 5 Gebühren").
    pub section: String,
    pub page: Option<u32>,
    pub text: String,
}

pub fn chunks(blocks: &[Block]) -> Vec<Chunk> {
    let mut out = Vec::new();
    // (level, text) of the headings in force.
    let mut headings: Vec<(u8, String)> = Vec::new();
    let mut current: Option<Chunk> = None;
    for block in blocks {
        match block.kind {
            BlockKind::Heading(level) => {
                out.extend(current.take());
                headings.retain(|(l, _)| *l < level);
                headings.push((level, block.text.clone()));
            }
            BlockKind::Paragraph => {
                let section = headings
                    .iter()
                    .map(|(_, t)| t.as_str())
                    .collect::<Vec<_>>()
                    .join(" › ");
                for piece in pieces(&block.text) {
                    let fits = current.as_ref().is_some_and(|c| {
                        c.page == block.page && c.text.len() + piece.len() < TARGET_CHARS
                    });
                    if fits {
                        let c = current.as_mut().expect("checked");
                        c.text.push('\n');
                        c.text.push_str(piece);
                    } else {
                        out.extend(current.take());
                        current = Some(Chunk {
                            section: section.clone(),
                            page: block.page,
                            text: piece.to_owned(),
                        });
                    }
                }
            }
        }
    }
    out.extend(current);
    // A section with headings but no text (a table of contents, a title
    // page) still deserves to be found by its headings.
    if out.is_empty() && !headings.is_empty() {
        out.push(Chunk {
            section: String::new(),
            page: blocks.first().and_then(|b| b.page),
            text: headings
                .into_iter()
                .map(|(_, t)| t)
                .collect::<Vec<_>>()
                .join("\n"),
        });
    }
    out
}

/// A paragraph cut at sentence ends into pieces of at most [`MAX_CHARS`]
/// bytes (a sentence longer than that is cut at a space or a char).
fn pieces(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while rest.len() > MAX_CHARS {
        let window = floor_char_boundary(rest, MAX_CHARS);
        let head = &rest[..window];
        let cut = head
            .rmatch_indices(". ")
            .map(|(i, _)| i + 1)
            .find(|&i| i >= TARGET_CHARS / 2)
            .or_else(|| head.rfind(' ').filter(|&i| i > 0))
            .unwrap_or(window);
        out.push(rest[..cut].trim());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(kind: BlockKind, text: &str, page: Option<u32>) -> Block {
        Block {
            kind,
            text: text.into(),
            page,
        }
    }

    #[test]
    fn headings_start_passages_and_name_their_section() {
        let blocks = [
            block(BlockKind::Heading(2), "Teil 1", Some(1)),
            block(BlockKind::Heading(6), "§ 1 Zweck", Some(1)),
            block(BlockKind::Paragraph, "(1) Erster Absatz.", Some(1)),
            block(BlockKind::Paragraph, "(2) Zweiter Absatz.", Some(1)),
            block(BlockKind::Heading(6), "§ 2 Gebühren", Some(1)),
            block(BlockKind::Paragraph, "Die Gebühr.", Some(1)),
            block(BlockKind::Paragraph, "Auf Seite zwei.", Some(2)),
        ];
        let c = chunks(&blocks);
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].section, "Teil 1 › § 1 Zweck");
        assert_eq!(c[0].text, "(1) Erster Absatz.\n(2) Zweiter Absatz.");
        assert_eq!(c[1].section, "Teil 1 › § 2 Gebühren");
        assert_eq!(c[2].page, Some(2));
        assert_eq!(c[2].section, "Teil 1 › § 2 Gebühren");
    }

    #[test]
    fn long_paragraphs_are_cut_at_sentences_within_limits() {
        let sentence = "Dies ist ein Satz über die Gebührenordnung der Stadt. ";
        let long = sentence.repeat(100);
        let c = chunks(&[block(BlockKind::Paragraph, &long, None)]);
        assert!(c.len() > 2);
        assert!(c.iter().all(|c| c.text.len() <= MAX_CHARS));
        assert!(c.iter().all(|c| c.text.ends_with('.')));
        let unbroken = "ä".repeat(3000);
        let c = chunks(&[block(BlockKind::Paragraph, &unbroken, None)]);
        assert_eq!(
            c.iter().map(|c| c.text.len()).sum::<usize>(),
            unbroken.len()
        );
    }
}
