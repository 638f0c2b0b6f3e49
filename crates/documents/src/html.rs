//! A complete, accessible HTML page for a document: German language tag,
//! title and metadata, print styles inline, no scripts. Opens in any browser
//! and prints as a clean A4 document.

use crate::figure::Figure;
use crate::markdown::to_html_fragment;
use crate::meta::DocMeta;

const STYLE: &str = include_str!("document.css");

/// Escapes text for HTML element content and attribute values.
pub use journey::escape::xml as escape;

/// The whole page for `markdown` with `meta`.
pub fn document(markdown: &str, meta: &DocMeta) -> String {
    document_with_figures(markdown, meta, &[])
}

/// The whole page, with each figure's SVG where the Markdown shows it as
/// an image (see [`crate::figure`]).
pub fn document_with_figures(markdown: &str, meta: &DocMeta, figures: &[Figure]) -> String {
    let title = escape(&meta.title);
    let mut head_meta = String::new();
    let mut facts = String::new();
    for fact in meta.facts() {
        let value = escape(&fact.value);
        head_meta.push_str(&format!(
            "<meta name=\"{}\" content=\"{}\">\n",
            fact.html_name,
            escape(&fact.machine)
        ));
        facts.push_str(&format!("<dt>{}</dt><dd>{value}</dd>\n", fact.label));
    }
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
    // The body's own first-level heading is the visible title if it has one.
    let title_line = if crate::sections::starts_with_title(markdown) {
        String::new()
    } else {
        format!("<p class=\"doc-title\">{title}</p>\n")
    };
    let mut body = crate::figure::inline_svg(&to_html_fragment(markdown), figures);
    if let Some(a) = &meta.adoption {
        let signer: String = a
            .signer_lines()
            .iter()
            .map(|l| format!("<br>{}", escape(l)))
            .collect();
        body.push_str(&format!(
            "<section class=\"adoption\">\n<p>{}</p>\n<p>{}</p>\n\
             <p class=\"signature\">{}</p>\n<p class=\"seal\">(Dienstsiegel)</p>\n</section>\n",
            escape(&a.sentence()),
            escape(&a.place_and_date()),
            signer.trim_start_matches("<br>")
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"ki-reise\">\n{head_meta}<title>{title}</title>\n\
         <style>\n{STYLE}</style>\n</head>\n<body>\n<header>\n{title_line}{subtitle}{facts}</header>\n<main>\n{body}</main>\n{sources}</body>\n</html>\n"
    )
}
