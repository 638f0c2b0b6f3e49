//! LimeSurvey's texts as ours: HTML to plain text without markup, within
//! our length limit, and texts shortened for the import report.

use crate::survey::import::{ImportReport, Severity};
use crate::survey::validate::{contains_markup, MAX_LABEL_CHARS};

pub(super) fn shorten(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

/// Turns a LimeSurvey text into ours, reporting what changed.
pub(super) fn imported_text(
    report: &mut ImportReport,
    location: &str,
    what: &str,
    raw: &str,
) -> String {
    let (mut text, active) = plain_text(raw);
    if active {
        report.push(
            location,
            Severity::Changed,
            format!("{what}: Skript, Stil oder Ereignis-Attribut entfernt."),
        );
    }
    if contains_markup(&text) {
        text = text.replace('<', "‹").replace('>', "›");
        report.push(
            location,
            Severity::Changed,
            format!("{what}: spitze Klammern ersetzt, damit kein HTML entsteht."),
        );
    }
    if text.contains('{') && text.contains('}') {
        report.push(
            location,
            Severity::NotMapped,
            format!("{what}: LimeSurvey-Ausdrücke in geschweiften Klammern werden nicht ausgewertet und stehen als Text da."),
        );
    }
    if text.chars().count() > MAX_LABEL_CHARS {
        text = text.chars().take(MAX_LABEL_CHARS).collect();
        report.push(
            location,
            Severity::Changed,
            format!("{what}: auf {MAX_LABEL_CHARS} Zeichen gekürzt."),
        );
    }
    text
}

/// Plain text from LimeSurvey's HTML: tags dropped, `<script>`/`<style>`
/// dropped with their content, entities decoded, whitespace collapsed.
/// Returns the text and whether something active (script, style, event
/// handler) was removed.
pub fn plain_text(html: &str) -> (String, bool) {
    let mut out = String::new();
    let mut removed_active = false;
    let lower = html.to_ascii_lowercase();
    let mut i = 0;
    let bytes = html.as_bytes();
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let rest = &lower[i..];
            let skip_block = ["script", "style"].iter().find_map(|tag| {
                let open = format!("<{tag}");
                rest.starts_with(&open).then(|| {
                    let close = format!("</{tag}");
                    match rest.find(&close) {
                        Some(end) => rest[end..]
                            .find('>')
                            .map(|g| end + g + 1)
                            .unwrap_or(rest.len()),
                        None => rest.len(),
                    }
                })
            });
            if let Some(len) = skip_block {
                removed_active = true;
                i += len;
                out.push(' ');
                continue;
            }
            match rest.find('>') {
                Some(end) => {
                    let tag = &rest[..end];
                    if tag.contains(" on") || tag.contains("javascript:") {
                        removed_active = true;
                    }
                    let name: String = tag
                        .trim_start_matches(['<', '/'])
                        .chars()
                        .take_while(char::is_ascii_alphanumeric)
                        .collect();
                    const INLINE: [&str; 13] = [
                        "a", "abbr", "b", "em", "font", "i", "mark", "small", "span", "strong",
                        "sub", "sup", "u",
                    ];
                    if matches!(
                        name.as_str(),
                        "br" | "p" | "li" | "div" | "tr" | "h1" | "h2" | "h3"
                    ) {
                        out.push('\n');
                    } else if !INLINE.contains(&name.as_str()) {
                        out.push(' ');
                    }
                    i += end + 1;
                }
                None => {
                    // A lone "<" is text.
                    out.push('<');
                    i += 1;
                }
            }
            continue;
        }
        let next = html[i..].find('<').map(|p| i + p).unwrap_or(html.len());
        out.push_str(&decode_entities(&html[i..next]));
        i = next;
    }
    // Collapse spaces per line, drop empty lines.
    let text = out
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    (text, removed_active)
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.bytes().take(12).position(|b| b == b';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..semi];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "#39" => Some('\''),
            "nbsp" => Some(' '),
            "auml" => Some('ä'),
            "ouml" => Some('ö'),
            "uuml" => Some('ü'),
            "Auml" => Some('Ä'),
            "Ouml" => Some('Ö'),
            "Uuml" => Some('Ü'),
            "szlig" => Some('ß'),
            "euro" => Some('€'),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32)
                .filter(|c| !c.is_control() || *c == '\n'),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
