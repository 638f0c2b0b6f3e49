//! Figures (charts) that a report embeds: the Markdown refers to each by
//! its file name as an image (`![Titel](diagramm-1.svg)`); the HTML export
//! puts the SVG in place, the ODT export stores it in the package under
//! `Pictures/` and shows it in a frame. Images that name no figure stay
//! as they were (their alternative text).

/// One SVG figure: its file name, title (the frame's name and alternative
/// text in ODT), size in SVG user units and the SVG markup itself, which
/// the caller has generated with all text escaped.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub file: String,
    pub title: String,
    pub width: u32,
    pub height: u32,
    pub svg: String,
}

impl From<journey::survey::chart::Chart> for Figure {
    fn from(chart: journey::survey::chart::Chart) -> Figure {
        Figure {
            file: chart.file,
            title: chart.title,
            width: chart.width,
            height: chart.height,
            svg: chart.svg,
        }
    }
}

/// Puts each figure's SVG where the rendered HTML shows it as an image
/// (`<img src="FILE" …>`), as a `<figure>` instead of the paragraph that
/// held the image.
pub(crate) fn inline_svg(html: &str, figures: &[Figure]) -> String {
    let mut out = html.to_string();
    for figure in figures {
        let needle = format!("<img src=\"{}\"", journey::escape::xml(&figure.file));
        let Some(start) = out.find(&needle) else {
            continue;
        };
        // Attribute values have their quotes escaped, so the tag ends at
        // the first quote followed by `>`.
        let Some(end) = out[start..].find("\">").map(|i| start + i + 2) else {
            continue;
        };
        let (start, end) = if out[..start].ends_with("<p>") && out[end..].starts_with("</p>") {
            (start - 3, end + 4)
        } else {
            (start, end)
        };
        out.replace_range(
            start..end,
            &format!("<figure class=\"chart\">{}</figure>", figure.svg),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DocMeta;
    use std::io::Read;

    fn figure() -> Figure {
        Figure {
            file: "diagramm-1.svg".into(),
            title: "Wer nutzt KI? <alle>".into(),
            width: 640,
            height: 320,
            svg: "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"><title>T</title></svg>"
                .into(),
        }
    }

    const MARKDOWN: &str =
        "# Bericht\n\nText.\n\n![Wer nutzt KI? \\<alle\\>](diagramm-1.svg)\n\nEnde.\n";

    #[test]
    fn the_html_report_shows_the_svg_where_the_markdown_has_the_image() {
        let html = crate::html::document_with_figures(MARKDOWN, &DocMeta::new("B"), &[figure()]);
        assert!(
            html.contains("<figure class=\"chart\"><svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"><title>T</title></svg></figure>"),
            "{html}"
        );
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<p><figure"), "{html}");
    }

    #[test]
    fn the_odt_report_embeds_the_svg_in_the_package_and_shows_it_in_a_frame() {
        let odt = crate::odt::to_odt_with_figures(MARKDOWN, &DocMeta::new("B"), &[figure()]);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(odt)).unwrap();
        let mut read = |name: &str| {
            let mut text = String::new();
            zip.by_name(name)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text
        };
        assert_eq!(read("Pictures/diagramm-1.svg"), figure().svg);
        let manifest = read("META-INF/manifest.xml");
        assert!(manifest.contains(
            "manifest:full-path=\"Pictures/diagramm-1.svg\" manifest:media-type=\"image/svg+xml\""
        ));
        let content = read("content.xml");
        assert!(
            content.contains("<draw:image xlink:href=\"Pictures/diagramm-1.svg\""),
            "{content}"
        );
        assert!(content.contains("svg:width=\"16.00cm\" svg:height=\"8.00cm\""));
        assert!(content.contains("<svg:title>Wer nutzt KI? &lt;alle&gt;</svg:title>"));
        // The alternative text is the frame's title, not body text.
        assert!(!content.contains("</draw:frame>Wer nutzt"), "{content}");
    }
}
