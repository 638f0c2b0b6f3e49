//! A document split at its headings. Each section gets an anchor derived
//! from its heading, unique within the document, so that comments attach to
//! a section and survive edits elsewhere; the HTML export uses the same
//! anchors as heading ids.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Serialize;

/// One section: its heading and the Markdown up to the next heading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    /// Stable, URL-safe id, e.g. `datenklassen` or `ziele-2`.
    pub anchor: String,
    /// The heading's plain text; empty for text before the first heading.
    pub heading: String,
    /// Heading level 1–6; 0 for text before the first heading.
    pub level: u8,
    /// The section's Markdown, heading line included.
    pub markdown: String,
}

/// The anchor of the text before the first heading.
pub const PREAMBLE: &str = "vorspann";

/// The one Markdown dialect of ki-reise (CommonMark with tables, footnotes
/// and strikethrough), for every reader of a document's text.
pub(crate) fn parser(markdown: &str) -> Parser<'_> {
    Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH,
    )
}

pub(crate) fn level_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// The headings of a document in order: (level, plain text, anchor).
pub(crate) fn headings(markdown: &str) -> Vec<(u8, String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(u8, String)> = None;
    for event in parser(markdown) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                current = Some((level_number(level), String::new()));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, text)) = current.as_mut() {
                    text.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, text)) = current.take() {
                    out.push((level, text.trim().to_owned()));
                }
            }
            _ => {}
        }
    }
    let mut anchors = Anchors::default();
    // Reserved for the text before the first heading.
    anchors.used.insert(PREAMBLE.to_owned());
    out.into_iter()
        .map(|(level, text)| {
            let anchor = anchors.next(&text);
            (level, text, anchor)
        })
        .collect()
}

/// Whether the document opens with a first-level heading (its own title).
pub(crate) fn starts_with_title(markdown: &str) -> bool {
    matches!(
        parser(markdown).next(),
        Some(Event::Start(Tag::Heading {
            level: HeadingLevel::H1,
            ..
        }))
    )
}

/// Splits a document at its headings (every level).
pub fn sections(markdown: &str) -> Vec<Section> {
    let mut starts = Vec::new();
    for (event, range) in parser(markdown).into_offset_iter() {
        if let Event::Start(Tag::Heading { .. }) = event {
            starts.push(range.start);
        }
    }
    let headings = headings(markdown);
    let mut out = Vec::new();
    let first = starts.first().copied().unwrap_or(markdown.len());
    if !markdown[..first].trim().is_empty() {
        out.push(Section {
            anchor: PREAMBLE.to_owned(),
            heading: String::new(),
            level: 0,
            markdown: markdown[..first].to_owned(),
        });
    }
    for (i, (start, (level, heading, anchor))) in starts.iter().zip(headings).enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(markdown.len());
        out.push(Section {
            anchor,
            heading,
            level,
            markdown: markdown[*start..end].to_owned(),
        });
    }
    out
}

/// Hands out anchors, numbering repeats (`ziele`, `ziele-2`, …).
#[derive(Default)]
struct Anchors {
    used: std::collections::HashSet<String>,
}

impl Anchors {
    fn next(&mut self, heading: &str) -> String {
        let base = slug(heading);
        let mut anchor = base.clone();
        let mut n = 2;
        while !self.used.insert(anchor.clone()) {
            anchor = format!("{base}-{n}");
            n += 1;
        }
        anchor
    }
}

/// Lowercase ASCII slug; German umlauts are transliterated so anchors stay
/// readable in URLs ("Datenschutz & Übermittlung" → "datenschutz-uebermittlung").
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            c if c.is_ascii_alphanumeric() => out.push(c),
            _ => {
                if !out.is_empty() && !out.ends_with('-') {
                    out.push('-');
                }
            }
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "abschnitt".to_owned()
    } else {
        out.to_owned()
    }
}
