//! Markdown to a safe HTML fragment, and to plain text for the readability
//! scores. This is the one place where the portal turns Markdown into HTML.
//!
//! Two layers keep hostile input out: raw HTML in the Markdown is turned into
//! visible text before rendering (so a document never carries markup its
//! author did not see in the editor), and ammonia then cleans the result
//! (e.g. `javascript:` links).

use std::collections::HashSet;

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

use crate::sections::{headings, parser};

/// Renders Markdown (CommonMark with tables and footnotes) to sanitised HTML.
/// Headings carry the section anchors of [`crate::sections`] as ids.
pub fn to_html_fragment(markdown: &str) -> String {
    let mut anchors = headings(markdown).into_iter().map(|(_, _, a)| a);
    let events = parser(markdown).map(|event| match event {
        Event::Start(Tag::Heading {
            level,
            classes,
            attrs,
            ..
        }) => Event::Start(Tag::Heading {
            level,
            id: anchors.next().map(CowStr::from),
            classes,
            attrs,
        }),
        Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    sanitizer().clean(&html).to_string()
}

fn sanitizer() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    for tag in ["h1", "h2", "h3", "h4", "h5", "h6"] {
        builder.add_tag_attributes(tag, &["id"]);
    }
    // Footnotes: pulldown-cmark links references to definitions by id.
    builder
        .add_tag_attributes("div", &["id"])
        .add_tag_attributes("sup", &["id"])
        .add_allowed_classes("div", &["footnote-definition"])
        .add_allowed_classes("sup", &["footnote-definition-label", "footnote-reference"])
        .add_tag_attributes("th", &["style"])
        .add_tag_attributes("td", &["style"])
        .filter_style_properties(HashSet::from(["text-align"]));
    builder
}

/// The text of a Markdown document without markup, one block per paragraph,
/// each ending a sentence: headings and list items without a full stop still
/// count as sentences of their own.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::new();
    let mut block = String::new();
    let flush = |block: &mut String, out: &mut String| {
        let text = block.trim();
        if !text.is_empty() {
            out.push_str(text);
            if !text.ends_with(['.', '!', '?', ':']) {
                out.push('.');
            }
            out.push_str("\n\n");
        }
        block.clear();
    };
    for event in parser(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => block.push_str(&t),
            Event::SoftBreak | Event::HardBreak => block.push(' '),
            Event::Start(
                Tag::Paragraph
                | Tag::Heading { .. }
                | Tag::Item
                | Tag::TableCell
                | Tag::BlockQuote(_)
                | Tag::FootnoteDefinition(_),
            )
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::BlockQuote(_)
                | TagEnd::FootnoteDefinition,
            ) => flush(&mut block, &mut out),
            _ => {}
        }
    }
    flush(&mut block, &mut out);
    out
}
