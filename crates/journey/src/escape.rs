//! Escaping for the text formats every crate writes: XML and HTML (ODF,
//! SVG charts, reports, pages) and Prometheus label values. One place, so
//! that hostile input (a department named `<script>`, a control character
//! pasted from a PDF) is handled the same wherever it ends up.

/// Escapes text for XML or HTML element content and attribute values:
/// the five special characters, and drops what XML 1.0 does not allow at
/// all (most control characters), which would make the document unreadable.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
    out
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes a Prometheus label value (text exposition format): backslash,
/// double quote and line feed.
pub fn prometheus_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_and_forbidden_characters_are_handled() {
        assert_eq!(
            xml("<a href=\"x\">&'\u{0}\u{1b}\u{FFFF}ok\tä"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;ok\tä"
        );
    }

    #[test]
    fn label_values_cannot_end_the_label_or_the_line() {
        assert_eq!(prometheus_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
