//! DOCX and ODT: the one XML part that holds the text, read from the zip
//! within limits (entries, declared and real unpacked size), parsed without
//! DTDs (no entity expansion) and with a bounded number of nodes.

use std::io::{Cursor, Read};

use roxmltree::{Document, Node, ParsingOptions};

use crate::block::{Block, BlockKind};
use crate::error::ExtractError;

/// More entries than any text document has; an archive with more is not
/// one we read.
const MAX_ENTRIES: usize = 10_000;
/// The unpacked XML part at most: a 1,000-page document is about 20 MB.
pub const MAX_XML_BYTES: u64 = 64 * 1024 * 1024;
const MAX_NODES: u32 = 5_000_000;

/// Reads the entry `name`, stopping at [`MAX_XML_BYTES`] whatever the zip
/// header declares.
fn read_part(bytes: &[u8], name: &str, kind: &'static str) -> Result<String, ExtractError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| ExtractError::Malformed(kind))?;
    if archive.len() > MAX_ENTRIES {
        return Err(ExtractError::Malformed(kind));
    }
    let expands = ExtractError::Expands {
        kind,
        limit_mb: MAX_XML_BYTES / (1024 * 1024),
    };
    let entry = archive
        .by_name(name)
        .map_err(|_| ExtractError::Malformed(kind))?;
    if entry.size() > MAX_XML_BYTES {
        return Err(expands);
    }
    let mut data = Vec::new();
    entry
        .take(MAX_XML_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(|_| ExtractError::Malformed(kind))?;
    if data.len() as u64 > MAX_XML_BYTES {
        return Err(expands);
    }
    String::from_utf8(data).map_err(|_| ExtractError::Malformed(kind))
}

fn parse<'a>(xml: &'a str, kind: &'static str) -> Result<Document<'a>, ExtractError> {
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(xml, options).map_err(|_| ExtractError::Malformed(kind))
}

fn push(out: &mut Vec<Block>, kind: BlockKind, text: String) {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if !text.is_empty() {
        out.push(Block {
            kind,
            text,
            page: None,
        });
    }
}

/// Word: each `w:p` is a block; a heading style (`Heading2`,
/// `Überschrift2`, `Title`) or an outline level makes it a heading.
pub fn docx(bytes: &[u8]) -> Result<Vec<Block>, ExtractError> {
    let xml = read_part(bytes, "word/document.xml", "DOCX")?;
    let doc = parse(&xml, "DOCX")?;
    let mut out = Vec::new();
    for p in doc.descendants().filter(|n| {
        n.has_tag_name((
            "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
            "p",
        ))
    }) {
        let mut text = String::new();
        docx_text(p, &mut text);
        push(
            &mut out,
            docx_heading(p).map_or(BlockKind::Paragraph, BlockKind::Heading),
            text,
        );
    }
    Ok(out)
}

/// The text of one paragraph, leaving out paragraphs nested in it (text
/// boxes), which come as blocks of their own.
fn docx_text(node: Node, text: &mut String) {
    for child in node.children() {
        match child.tag_name().name() {
            "t" => text.push_str(child.text().unwrap_or("")),
            "tab" | "br" | "cr" => text.push(' '),
            "p" | "pPr" | "rPr" | "instrText" | "delText" => {}
            _ => docx_text(child, text),
        }
    }
}

fn docx_heading(p: Node) -> Option<u8> {
    let ppr = p.children().find(|n| n.tag_name().name() == "pPr")?;
    let value = |name: &str| {
        ppr.children()
            .find(|n| n.tag_name().name() == name)
            .and_then(|n| {
                n.attributes()
                    .find(|a| a.name() == "val")
                    .map(|a| a.value().to_owned())
            })
    };
    if let Some(level) = value("outlineLvl").and_then(|l| l.parse::<u8>().ok()) {
        return Some(level.saturating_add(1).min(6));
    }
    let style = value("pStyle")?.to_lowercase();
    if style == "title" || style == "titel" {
        return Some(1);
    }
    let rest = style
        .strip_prefix("heading")
        .or_else(|| style.strip_prefix("überschrift"))
        .or_else(|| style.strip_prefix("berschrift"))?;
    Some(rest.trim().parse::<u8>().unwrap_or(1).clamp(1, 6))
}

const ODF_TEXT: &str = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";

/// ODF: `text:h` (with its outline level) and `text:p`.
pub fn odt(bytes: &[u8]) -> Result<Vec<Block>, ExtractError> {
    let xml = read_part(bytes, "content.xml", "ODT")?;
    let doc = parse(&xml, "ODT")?;
    let mut out = Vec::new();
    for node in doc
        .descendants()
        .filter(|n| n.tag_name().namespace() == Some(ODF_TEXT))
    {
        let kind = match node.tag_name().name() {
            "h" => BlockKind::Heading(
                node.attribute((ODF_TEXT, "outline-level"))
                    .and_then(|l| l.parse::<u8>().ok())
                    .unwrap_or(1)
                    .clamp(1, 6),
            ),
            "p" => BlockKind::Paragraph,
            _ => continue,
        };
        let mut text = String::new();
        odt_text(node, &mut text);
        push(&mut out, kind, text);
    }
    Ok(out)
}

fn odt_text(node: Node, text: &mut String) {
    for child in node.children() {
        if child.is_text() {
            text.push_str(child.text().unwrap_or(""));
            continue;
        }
        match child.tag_name().name() {
            "s" => {
                let n = child
                    .attribute((ODF_TEXT, "c"))
                    .and_then(|c| c.parse::<usize>().ok())
                    .unwrap_or(1)
                    .min(8);
                text.push_str(&" ".repeat(n));
            }
            "tab" | "line-break" => text.push(' '),
            // Nested paragraphs (frames, notes) are blocks of their own.
            "p" | "h" | "annotation" | "note" => {}
            _ => odt_text(child, text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    const W: &str = "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"";

    #[test]
    fn docx_headings_and_paragraphs() {
        let xml = format!(
            "<w:document {W}><w:body>\
             <w:p><w:pPr><w:pStyle w:val=\"Heading2\"/></w:pPr><w:r><w:t>§ 4 Fristen</w:t></w:r></w:p>\
             <w:p><w:r><w:t xml:space=\"preserve\">Die Frist </w:t></w:r><w:r><w:tab/><w:t>beträgt</w:t></w:r><w:r><w:t> zwei Wochen.</w:t></w:r></w:p>\
             </w:body></w:document>"
        );
        let blocks = docx(&zip_of(&[("word/document.xml", xml.as_bytes())])).unwrap();
        assert_eq!(blocks[0].kind, BlockKind::Heading(2));
        assert_eq!(blocks[0].text, "§ 4 Fristen");
        assert_eq!(blocks[1].text, "Die Frist beträgt zwei Wochen.");
    }

    #[test]
    fn odt_headings_and_spaces() {
        let xml = format!(
            "<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:text=\"{ODF_TEXT}\"><office:body><office:text>\
             <text:h text:outline-level=\"1\">Hauptsatzung</text:h>\
             <text:p>Der Rat<text:s text:c=\"2\"/>tagt <text:span>öffentlich</text:span>.</text:p>\
             </office:text></office:body></office:document-content>"
        );
        let blocks = odt(&zip_of(&[("content.xml", xml.as_bytes())])).unwrap();
        assert_eq!(blocks[0].kind, BlockKind::Heading(1));
        assert_eq!(blocks[1].text, "Der Rat tagt öffentlich.");
    }

    #[test]
    fn a_zip_bomb_is_refused_before_it_fills_memory() {
        let big = vec![b'a'; (MAX_XML_BYTES + 10) as usize];
        let bomb = zip_of(&[("word/document.xml", &big)]);
        assert!(bomb.len() < 1024 * 1024, "deflate packs it small");
        assert!(matches!(docx(&bomb), Err(ExtractError::Expands { .. })));
    }

    #[test]
    fn broken_xml_and_dtds_are_malformed() {
        let dtd = "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><w:document/>";
        for xml in ["<w:document", dtd] {
            let z = zip_of(&[("word/document.xml", xml.as_bytes())]);
            assert_eq!(docx(&z), Err(ExtractError::Malformed("DOCX")));
        }
        assert_eq!(docx(b"PK\x03\x04"), Err(ExtractError::Malformed("DOCX")));
    }
}
