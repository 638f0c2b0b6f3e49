//! Text from HTML without a browser engine: tags are dropped, the content
//! of scripts, styles and other non-text elements is skipped, entities are
//! decoded, and headings and block elements end a block. Nothing of the
//! markup survives, so hostile HTML is just text afterwards (and the portal
//! escapes it again when it shows it).

use crate::block::{Block, BlockKind};

/// Elements whose content is not text a reader sees.
const SKIPPED: &[&str] = &[
    "script", "style", "head", "noscript", "template", "svg", "math", "iframe", "object",
    "textarea", "select",
];

/// Elements that end the running paragraph.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "section",
    "article",
    "blockquote",
    "pre",
    "dd",
    "dt",
    "dl",
    "header",
    "footer",
    "main",
    "nav",
    "aside",
    "hr",
    "figure",
    "figcaption",
    "address",
    "body",
    "html",
    "td",
    "th",
];

pub fn blocks(html: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut heading: Option<u8> = None;
    let mut skip_until: Option<String> = None;
    let mut rest = html;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            if skip_until.is_none() {
                text.push_str(rest);
            }
            break;
        };
        if skip_until.is_none() {
            text.push_str(&rest[..lt]);
        }
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        let Some(gt) = rest.find('>') else { break };
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if let Some(skipped) = &skip_until {
            if closing && &name == skipped {
                skip_until = None;
            }
            continue;
        }
        if !closing && SKIPPED.contains(&name.as_str()) && !tag.ends_with('/') {
            skip_until = Some(name);
            continue;
        }
        let level = match name.as_bytes() {
            [b'h', d @ b'1'..=b'6'] => Some(d - b'0'),
            _ => None,
        };
        if level.is_some() || BLOCKS.contains(&name.as_str()) {
            end_block(&mut out, &mut text, heading);
            heading = if closing { None } else { level.or(heading) };
        }
    }
    end_block(&mut out, &mut text, heading);
    out
}

fn end_block(out: &mut Vec<Block>, text: &mut String, heading: Option<u8>) {
    let decoded = decode_entities(text);
    text.clear();
    let words: Vec<&str> = decoded.split_whitespace().collect();
    if words.is_empty() {
        return;
    }
    out.push(Block {
        kind: heading.map_or(BlockKind::Paragraph, BlockKind::Heading),
        text: words.join(" "),
        page: None,
    });
}

/// The named entities German text uses, and every numeric one.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest[1..].find(';').map(|i| i + 1).filter(|&i| {
            i <= 12
                && rest[1..i]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '#')
        });
        let decoded = end.and_then(|i| entity(&rest[1..i]).map(|c| (c, i)));
        match decoded {
            Some((c, i)) => {
                out.push(c);
                rest = &rest[i + 1..];
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

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).filter(|c| *c != '\0');
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "auml" => 'ä',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "Auml" => 'Ä',
        "Ouml" => 'Ö',
        "Uuml" => 'Ü',
        "szlig" => 'ß',
        "sect" => '§',
        "euro" => '€',
        "ndash" => '–',
        "mdash" => '—',
        "bdquo" => '„',
        "ldquo" => '“',
        "rdquo" => '”',
        "shy" => '\u{ad}',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_html_becomes_plain_text() {
        let html = "<html><head><title>x</title><script>alert('<p>')</script></head>\
            <body><h2>Geb&uuml;hren</h2><p onclick=\"evil()\">Die Geb&uuml;hr &amp; mehr<br>zweite Zeile</p>\
            <style>p{}</style><!-- <h1>nein</h1> --><p>&lt;script&gt; bleibt Text &#x41;</p></body></html>";
        let b = blocks(html);
        let texts: Vec<&str> = b.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Gebühren",
                "Die Gebühr & mehr",
                "zweite Zeile",
                "<script> bleibt Text A"
            ]
        );
        assert_eq!(b[0].kind, BlockKind::Heading(2));
        assert_eq!(b[1].kind, BlockKind::Paragraph);
    }

    #[test]
    fn broken_markup_ends_without_panic() {
        for s in [
            "<",
            "<p",
            "&#99999999;",
            "<script>never closed",
            "&",
            "<h1>a</h2>b",
        ] {
            let _ = blocks(s);
        }
    }
}
