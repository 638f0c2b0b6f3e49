//! A complete, accessible HTML page for a document: German language tag,
//! title and metadata, print styles inline, no scripts. Opens in any browser
//! and prints as a clean A4 document.

use crate::markdown::to_html_fragment;
use crate::meta::DocMeta;

const STYLE: &str = include_str!("document.css");

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The whole page for `markdown` with `meta`.
pub fn document(markdown: &str, meta: &DocMeta) -> String {
    let title = escape(&meta.title);
    let mut head_meta = String::new();
    let mut facts = String::new();
    let mut fact = |name: &str, label: &str, value: &Option<String>| {
        if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            let v = escape(v);
            head_meta.push_str(&format!("<meta name=\"{name}\" content=\"{v}\">\n"));
            facts.push_str(&format!("<dt>{label}</dt><dd>{v}</dd>\n"));
        }
    };
    fact("author", "Verfasst von", &meta.author);
    fact("dcterms.date", "Datum", &meta.date);
    fact("dcterms.hasVersion", "Version", &meta.version);
    fact("dcterms.status", "Status", &meta.status);
    let subtitle = meta
        .subtitle
        .as_deref()
        .map(|s| format!("<p class=\"subtitle\">{}</p>\n", escape(s)))
        .unwrap_or_default();
    let facts = if facts.is_empty() {
        String::new()
    } else {
        format!("<dl class=\"meta\">\n{facts}</dl>\n")
    };
    let sources = if meta.sources.is_empty() {
        String::new()
    } else {
        let items: String = meta
            .sources
            .iter()
            .map(|s| {
                format!(
                    "<li>{} – <a href=\"{}\">{}</a></li>\n",
                    escape(&s.title),
                    escape(&s.url),
                    escape(&s.url)
                )
            })
            .collect();
        format!(
            "<section class=\"sources\" aria-labelledby=\"quellen\">\n<h2 id=\"quellen\">Quellen</h2>\n<ol>\n{items}</ol>\n</section>\n"
        )
    };
    let lang = escape(&meta.language);
    let body = to_html_fragment(markdown);
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"ki-reise\">\n{head_meta}<title>{title}</title>\n\
         <style>\n{STYLE}</style>\n</head>\n<body>\n<header>\n<p class=\"doc-title\">{title}</p>\n\
         {subtitle}{facts}</header>\n<main>\n{body}</main>\n{sources}</body>\n</html>\n"
    )
}
