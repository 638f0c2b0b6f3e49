//! Escaping for the XML we write (ODF). Hand-written because writing needs
//! only this: escape the five special characters and drop what XML 1.0 does
//! not allow at all (most control characters), which hostile input may carry.

/// Escapes text for XML element content and attribute values.
pub fn escape(text: &str) -> String {
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

/// Characters XML 1.0 allows in a document.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_and_forbidden_characters_are_handled() {
        assert_eq!(
            escape("<a href=\"x\">&'\u{0}\u{1b}\u{FFFF}ok"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;ok"
        );
    }
}
