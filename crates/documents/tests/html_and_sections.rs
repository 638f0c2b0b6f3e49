//! Markdown to HTML: hostile input is neutralised, headings carry the same
//! anchors as the sections, and the full page is accessible and printable.

use documents::html::document;
use documents::markdown::{plain_text, to_html_fragment};
use documents::{sections, DocMeta, Source};

#[test]
fn hostile_html_in_markdown_is_shown_as_text_not_run() {
    let md = "# Titel\n\n<script>alert(1)</script>\n\nText <img src=x onerror=alert(1)> und \
              [klick](javascript:alert(1)) und <a href=\"https://x.de\" onclick=\"y\">a</a>\n";
    let html = to_html_fragment(md);
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("javascript:"), "{html}");
    assert!(!html.contains("<a href=\"https://x.de\""), "{html}");
    assert!(
        html.contains("&lt;a href=\"https://x.de\" onclick=\"y\"&gt;"),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
}

#[test]
fn tables_footnotes_and_links_survive_sanitising() {
    let md = "Satz mit Fußnote.[^1]\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n[BSI](https://www.bsi.bund.de/)\n\n[^1]: Die Fußnote.\n";
    let html = to_html_fragment(md);
    assert!(html.contains("<table>"), "{html}");
    assert!(
        html.contains("<td style=\"text-align:right\">2</td>"),
        "{html}"
    );
    assert!(html.contains("class=\"footnote-definition\""), "{html}");
    assert!(html.contains("href=\"https://www.bsi.bund.de/\""), "{html}");
}

#[test]
fn sections_split_at_headings_with_stable_unique_anchors() {
    let md = "Vorweg.\n\n# KI-Richtlinie\n\nText.\n\n## Ziele & Zweck\n\nA\n\n## Ziele & Zweck\n\nB\n\n### Übermäßige Größe\n";
    let parts = sections(md);
    let anchors: Vec<&str> = parts.iter().map(|s| s.anchor.as_str()).collect();
    assert_eq!(
        anchors,
        [
            "vorspann",
            "ki-richtlinie",
            "ziele-zweck",
            "ziele-zweck-2",
            "uebermaessige-groesse"
        ]
    );
    assert_eq!(parts[0].level, 0);
    assert_eq!(parts[2].level, 2);
    assert_eq!(parts[2].heading, "Ziele & Zweck");
    assert_eq!(parts[2].markdown, "## Ziele & Zweck\n\nA\n\n");
    // Together the sections are the whole document.
    assert_eq!(
        parts
            .iter()
            .map(|s| s.markdown.as_str())
            .collect::<String>(),
        md
    );
    // The HTML uses the same anchors.
    let html = to_html_fragment(md);
    for anchor in &anchors[1..] {
        assert!(
            html.contains(&format!("id=\"{anchor}\"")),
            "{anchor}: {html}"
        );
    }
    // Editing one section leaves the other anchors alone.
    let edited = md.replace("\nA\n", "\nGanz neuer Text mit mehr Worten.\n");
    let again: Vec<String> = sections(&edited).into_iter().map(|s| s.anchor).collect();
    assert_eq!(again, anchors);
}

#[test]
fn section_readability_ignores_markup_and_counts_headings_as_sentences() {
    let md = "## Grundsätze\n\n- **Der Mensch** entscheidet\n- KI bereitet vor\n";
    assert_eq!(
        plain_text(md),
        "Grundsätze.\n\nDer Mensch entscheidet.\n\nKI bereitet vor.\n\n"
    );
    let r = sections(md)[0].readability().unwrap();
    assert_eq!((r.words, r.sentences), (7, 3));
}

#[test]
fn the_html_page_is_complete_accessible_and_script_free() {
    let mut meta = DocMeta::new("KI-Richtlinie <Entwurf>");
    meta.author = Some("Hauptamt".into());
    meta.status = Some("in Prüfung".into());
    meta.sources = vec![Source {
        title: "BMI Leitlinien".into(),
        url: "https://www.bmi.bund.de/".into(),
    }];
    let page = document("Kein eigener Titel.\n", &meta);
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"de\">"));
    assert!(page.contains("<title>KI-Richtlinie &lt;Entwurf&gt;</title>"));
    assert!(page.contains("<meta name=\"author\" content=\"Hauptamt\">"));
    assert!(page.contains("<dt>Status</dt><dd>in Prüfung</dd>"));
    assert!(page.contains("@media print"));
    assert!(page.contains("<main>"));
    assert!(page.contains("<p class=\"doc-title\">"));
    assert!(page.contains("<a href=\"https://www.bmi.bund.de/\">"));
    assert!(!page.to_lowercase().contains("<script"));
    // A document with its own title does not get a second one.
    let page = document("# Eigener Titel\n\nText.\n", &meta);
    assert!(!page.contains("doc-title\">"));
}
