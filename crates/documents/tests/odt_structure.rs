//! The ODT package is checked the way an office suite reads it: zip entries,
//! the uncompressed `mimetype` first, every XML part well-formed, and the
//! document's structure (outline levels, lists, tables, footnotes, metadata).

use std::io::{Cursor, Read};

use documents::odt::{to_odt, MIME_TYPE};
use documents::{DocMeta, Source};

const NS_TEXT: &str = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
const NS_TABLE: &str = "urn:oasis:names:tc:opendocument:xmlns:table:1.0";
const NS_STYLE: &str = "urn:oasis:names:tc:opendocument:xmlns:style:1.0";
const NS_DC: &str = "http://purl.org/dc/elements/1.1/";
const NS_META: &str = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0";
const NS_MANIFEST: &str = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0";

struct Entry {
    name: String,
    stored: bool,
    text: String,
}

fn unzip(bytes: &[u8]) -> Vec<Entry> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip file");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut text = String::new();
            file.read_to_string(&mut text).unwrap();
            Entry {
                name: file.name().to_owned(),
                stored: file.compression() == zip::CompressionMethod::Stored,
                text,
            }
        })
        .collect()
}

fn part<'a>(entries: &'a [Entry], name: &str) -> &'a str {
    &entries
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("{name} fehlt"))
        .text
}

fn meta() -> DocMeta {
    let mut meta = DocMeta::new("KI-Richtlinie der Stadt Musterstadt");
    meta.subtitle = Some("Dienstanweisung".into());
    meta.author = Some("Hauptamt".into());
    meta.date = Some("2026-03-31".into());
    meta.version = Some("3".into());
    meta.status = Some("beschlossen".into());
    meta.sources = vec![Source {
        title: "BSI: Kriterienkatalog für generative KI-Modelle".into(),
        url: "https://www.bsi.bund.de/".into(),
    }];
    meta
}

const SAMPLE: &str = "\
# Zweck

Diese Richtlinie gilt für **alle** Beschäftigten.[^art4] Sie ist *verbindlich*.

## Grundsätze

1. Menschen entscheiden.
2. KI bereitet vor:
   - Entwürfe
   - Zusammenfassungen

### Datenklassen

| Klasse | lokal | Cloud |
|---|---|---|
| öffentlich | ja | ja |
| personenbezogen | ja | nein |

> Im Zweifel fragen Sie die KI-Beauftragte.

Mehr unter [der Seite des BSI](https://www.bsi.bund.de/) und `code`.

[^art4]: Art. 4 KI-Verordnung verlangt KI-Kompetenz.
";

/// The text content of a node (text nodes only; element `.text()` would
/// count each text twice).
fn text_of(node: roxmltree::Node) -> String {
    node.descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect()
}

fn content_doc(text: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(text).expect("content.xml is well-formed")
}

#[test]
fn mimetype_comes_first_and_is_stored_uncompressed() {
    let entries = unzip(&to_odt(SAMPLE, &meta()));
    assert_eq!(entries[0].name, "mimetype");
    assert!(entries[0].stored);
    assert_eq!(entries[0].text, MIME_TYPE);
    // The ODF spec also forbids an extra field before the mimetype bytes: the
    // text must start at offset 38 (30-byte header + 8-byte name).
    let bytes = to_odt(SAMPLE, &meta());
    assert_eq!(&bytes[30..38], b"mimetype");
    assert_eq!(&bytes[38..38 + MIME_TYPE.len()], MIME_TYPE.as_bytes());
}

#[test]
fn every_part_is_well_formed_and_listed_in_the_manifest() {
    let entries = unzip(&to_odt(SAMPLE, &meta()));
    let manifest = roxmltree::Document::parse(part(&entries, "META-INF/manifest.xml")).unwrap();
    let listed: Vec<&str> = manifest
        .descendants()
        .filter_map(|n| n.attribute((NS_MANIFEST, "full-path")))
        .collect();
    assert!(listed.contains(&"/"));
    for entry in &entries {
        if entry.name.ends_with(".xml") {
            roxmltree::Document::parse(&entry.text)
                .unwrap_or_else(|e| panic!("{} is not well-formed: {e}", entry.name));
        }
        if entry.name != "mimetype" && entry.name != "META-INF/manifest.xml" {
            assert!(
                listed.contains(&entry.name.as_str()),
                "{} not in manifest",
                entry.name
            );
        }
    }
    for name in ["content.xml", "styles.xml", "meta.xml"] {
        assert!(entries.iter().any(|e| e.name == name), "{name} missing");
    }
}

#[test]
fn headings_carry_outline_levels() {
    let entries = unzip(&to_odt(SAMPLE, &meta()));
    let doc = content_doc(part(&entries, "content.xml"));
    let headings: Vec<(String, String)> = doc
        .descendants()
        .filter(|n| n.has_tag_name((NS_TEXT, "h")))
        .map(|n| {
            (
                n.attribute((NS_TEXT, "outline-level")).unwrap().to_owned(),
                n.text().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        headings,
        [
            ("1".into(), "Zweck".into()),
            ("2".into(), "Grundsätze".into()),
            ("3".into(), "Datenklassen".into()),
            ("1".into(), "Quellen".into()),
        ]
    );
}

#[test]
fn markdown_footnotes_and_sources_become_notes() {
    let entries = unzip(&to_odt(SAMPLE, &meta()));
    let doc = content_doc(part(&entries, "content.xml"));
    let notes: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name((NS_TEXT, "note")))
        .map(|n| {
            assert_eq!(n.attribute((NS_TEXT, "note-class")), Some("footnote"));
            let body = n
                .children()
                .find(|c| c.has_tag_name((NS_TEXT, "note-body")))
                .expect("note body");
            text_of(body)
        })
        .collect();
    assert_eq!(
        notes,
        [
            "Art. 4 KI-Verordnung verlangt KI-Kompetenz.",
            "https://www.bsi.bund.de/"
        ]
    );
    // The definition is not repeated as body text.
    let body_paragraphs: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name((NS_TEXT, "p")))
        .filter(|n| !n.ancestors().any(|a| a.has_tag_name((NS_TEXT, "note"))))
        .map(|n| {
            n.descendants()
                .filter(|d| d.is_text())
                .filter(|d| !d.ancestors().any(|a| a.has_tag_name((NS_TEXT, "note"))))
                .filter_map(|d| d.text())
                .collect::<String>()
        })
        .collect();
    assert!(body_paragraphs
        .iter()
        .any(|p| p.contains("für alle Beschäftigten.")));
    assert!(!body_paragraphs
        .iter()
        .any(|p| p.contains("verlangt KI-Kompetenz")));
}

#[test]
fn lists_nest_and_tables_keep_their_rows() {
    let entries = unzip(&to_odt(SAMPLE, &meta()));
    let doc = content_doc(part(&entries, "content.xml"));
    let nested = doc
        .descendants()
        .filter(|n| n.has_tag_name((NS_TEXT, "list")))
        .filter(|n| {
            n.ancestors()
                .skip(1)
                .any(|a| a.has_tag_name((NS_TEXT, "list-item")))
        })
        .count();
    assert_eq!(nested, 1);
    let items: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name((NS_TEXT, "list-item")))
        .map(|n| {
            n.first_child()
                .unwrap()
                .text()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert!(items.contains(&"Entwürfe".to_owned()), "{items:?}");
    let table = doc
        .descendants()
        .find(|n| n.has_tag_name((NS_TABLE, "table")))
        .expect("a table");
    let header_rows = table
        .children()
        .find(|n| n.has_tag_name((NS_TABLE, "table-header-rows")))
        .expect("header rows");
    assert_eq!(header_rows.children().count(), 1);
    let rows = table
        .descendants()
        .filter(|n| n.has_tag_name((NS_TABLE, "table-row")))
        .count();
    assert_eq!(rows, 3);
    // One column each, with a width of its own (fitted to its words).
    let columns: Vec<&str> = table
        .children()
        .filter(|n| n.has_tag_name((NS_TABLE, "table-column")))
        .filter_map(|c| c.attribute((NS_TABLE, "style-name")))
        .collect();
    assert_eq!(columns.len(), 3);
    for style in columns {
        let width = doc
            .descendants()
            .find(|n| n.attribute((NS_STYLE, "name")) == Some(style))
            .and_then(|s| s.first_element_child())
            .and_then(|p| p.attribute((NS_STYLE, "column-width")));
        assert!(
            width.is_some_and(|w| w.ends_with("cm")),
            "{style}: {width:?}"
        );
    }
    let cells: Vec<String> = table
        .descendants()
        .filter(|n| n.has_tag_name((NS_TABLE, "table-cell")))
        .map(text_of)
        .collect();
    assert_eq!(cells[3..6], ["öffentlich", "ja", "ja"]);
}

#[test]
fn spans_links_and_quotes_are_styled() {
    let entries = unzip(&to_odt(SAMPLE, &meta()));
    let content = part(&entries, "content.xml");
    assert!(content.contains("<text:span text:style-name=\"Strong_20_Emphasis\">alle</text:span>"));
    assert!(content.contains("<text:span text:style-name=\"Emphasis\">verbindlich</text:span>"));
    assert!(content.contains("<text:span text:style-name=\"Source_20_Text\">code</text:span>"));
    assert!(content.contains(
        "<text:a xlink:type=\"simple\" xlink:href=\"https://www.bsi.bund.de/\">der Seite des BSI</text:a>"
    ));
    assert!(content.contains(
        "<text:p text:style-name=\"Quotations\">Im Zweifel fragen Sie die KI-Beauftragte.</text:p>"
    ));
    let styles = part(&entries, "styles.xml");
    for style in [
        "Strong_20_Emphasis",
        "Emphasis",
        "Source_20_Text",
        "Quotations",
        "Heading_20_3",
    ] {
        assert!(
            styles.contains(&format!("style:name=\"{style}\"")),
            "{style}"
        );
    }
}

#[test]
fn metadata_names_title_author_date_language_and_generator() {
    let entries = unzip(&to_odt(SAMPLE, &meta()));
    let doc = roxmltree::Document::parse(part(&entries, "meta.xml")).unwrap();
    let text = |ns: &str, name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name((ns, name)))
            .and_then(|n| n.text())
            .map(str::to_owned)
    };
    assert_eq!(
        text(NS_DC, "title").as_deref(),
        Some("KI-Richtlinie der Stadt Musterstadt")
    );
    assert_eq!(text(NS_DC, "creator").as_deref(), Some("Hauptamt"));
    assert_eq!(text(NS_DC, "date").as_deref(), Some("2026-03-31T00:00:00"));
    assert_eq!(text(NS_DC, "language").as_deref(), Some("de"));
    assert!(text(NS_META, "generator").unwrap().starts_with("ki-reise/"));
    let user: Vec<(String, String)> = doc
        .descendants()
        .filter(|n| n.has_tag_name((NS_META, "user-defined")))
        .map(|n| {
            (
                n.attribute((NS_META, "name")).unwrap().to_owned(),
                n.text().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        user,
        [
            ("Version".into(), "3".into()),
            ("Status".into(), "beschlossen".into())
        ]
    );
}

#[test]
fn hostile_strings_are_escaped_in_every_part() {
    let hostile = "<script>alert('x')</script> & \"Zitat\" ]]> \u{0}\u{1b}<!--";
    let mut meta = meta();
    meta.title = hostile.into();
    meta.author = Some(hostile.into());
    meta.subtitle = Some(hostile.into());
    meta.sources = vec![Source {
        title: hostile.into(),
        url: format!("https://example.org/?a=1&b=\"{hostile}"),
    }];
    let markdown = format!(
        "# {hostile}\n\n{hostile}\n\n<div onclick=\"x\">roh</div>\n\n[Link](javascript:alert(1)) `{hostile}`\n\n| {hostile} |\n|---|\n| x |\n"
    );
    let entries = unzip(&to_odt(&markdown, &meta));
    for entry in entries.iter().filter(|e| e.name.ends_with(".xml")) {
        let doc = roxmltree::Document::parse(&entry.text)
            .unwrap_or_else(|e| panic!("{} broken by hostile text: {e}", entry.name));
        // No element from the hostile text made it into the tree.
        assert!(!doc.descendants().any(|n| n.tag_name().name() == "script"));
        assert!(!doc.descendants().any(|n| n.tag_name().name() == "div"));
    }
    let content = part(&entries, "content.xml");
    assert!(!content.contains("javascript:"), "unsafe link kept");
    let doc = content_doc(content);
    let texts = text_of(doc.root());
    assert!(texts.contains("<script>alert('x')</script> & \"Zitat\" ]]>"));
    assert!(texts.contains("<div onclick=\"x\">roh</div>"));
    assert!(!texts.contains('\u{0}'));
}

#[test]
fn the_same_document_gives_the_same_bytes() {
    assert_eq!(to_odt(SAMPLE, &meta()), to_odt(SAMPLE, &meta()));
}
