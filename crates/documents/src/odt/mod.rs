//! Markdown to an OpenDocument text file (ODF 1.3).
//!
//! No maintained ODF crate exists, so the package is written here: a zip with
//! `mimetype` first and uncompressed (how office suites recognise the file),
//! the manifest, and content, styles and metadata as XML. The output is
//! deterministic (fixed zip timestamps), so the same version always gives the
//! same bytes.

mod body;
mod columns;

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::figure::Figure;
use crate::meta::{is_iso_date, Adoption, DocMeta};
use body::{BodyWriter, BULLETS};
use journey::escape::xml as escape;

pub const MIME_TYPE: &str = "application/vnd.oasis.opendocument.text";

const NAMESPACES: &str = concat!(
    "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" ",
    "xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\" ",
    "xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" ",
    "xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" ",
    "xmlns:fo=\"urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0\" ",
    "xmlns:draw=\"urn:oasis:names:tc:opendocument:xmlns:drawing:1.0\" ",
    "xmlns:svg=\"urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0\" ",
    "xmlns:xlink=\"http://www.w3.org/1999/xlink\""
);

/// The parts of the package after `mimetype`, with their media types.
const PARTS: [&str; 3] = ["content.xml", "styles.xml", "meta.xml"];

/// The ODT package for `markdown` with `meta`.
pub fn to_odt(markdown: &str, meta: &DocMeta) -> Vec<u8> {
    to_odt_with_figures(markdown, meta, &[])
}

/// The ODT package with each figure stored as `Pictures/FILE` (SVG, which
/// LibreOffice and other office suites read) and shown in a frame where
/// the Markdown refers to it as an image (see [`crate::figure`]).
pub fn to_odt_with_figures(markdown: &str, meta: &DocMeta, figures: &[Figure]) -> Vec<u8> {
    let mut parts = vec![
        (
            "content.xml".to_string(),
            content_xml(markdown, meta, figures),
        ),
        ("styles.xml".to_string(), styles_xml(meta)),
        ("meta.xml".to_string(), meta_xml(meta)),
        ("META-INF/manifest.xml".to_string(), manifest_xml(figures)),
    ];
    parts.extend(
        figures
            .iter()
            .map(|f| (format!("Pictures/{}", f.file), f.svg.clone())),
    );
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    // Writing into memory cannot fail for I/O reasons; the zip writer's
    // errors here would be bugs (e.g. a duplicate name), caught by the tests.
    let written = (|| -> zip::result::ZipResult<Vec<u8>> {
        zip.start_file("mimetype", stored)?;
        zip.write_all(MIME_TYPE.as_bytes())?;
        for (name, text) in &parts {
            zip.start_file(name.as_str(), deflated)?;
            zip.write_all(text.as_bytes())?;
        }
        Ok(zip.finish()?.into_inner())
    })();
    written.unwrap_or_default()
}

fn content_xml(markdown: &str, meta: &DocMeta, figures: &[Figure]) -> String {
    let mut body = BodyWriter::new();
    body.figures = figures.to_vec();
    if !crate::sections::starts_with_title(markdown) {
        body.out.push_str(&format!(
            "<text:p text:style-name=\"Title\">{}</text:p>",
            escape(&meta.title)
        ));
    }
    if let Some(subtitle) = meta.subtitle.as_deref().filter(|s| !s.trim().is_empty()) {
        body.out.push_str(&format!(
            "<text:p text:style-name=\"Subtitle\">{}</text:p>",
            escape(subtitle)
        ));
    }
    let facts = meta.facts();
    if !facts.is_empty() {
        let line: Vec<String> = facts
            .iter()
            .map(|f| format!("{}: {}", f.label, escape(&f.value)))
            .collect();
        body.out.push_str(&format!(
            "<text:p text:style-name=\"Dokumentangaben\">{}</text:p>",
            line.join(" · ")
        ));
    }
    body.markdown(markdown);
    if let Some(adoption) = &meta.adoption {
        body.out.push_str(&signature_block(adoption));
    }
    if !meta.sources.is_empty() {
        body.out.push_str(
            "<text:h text:style-name=\"Heading_20_1\" text:outline-level=\"1\">Quellen</text:h>",
        );
        body.out
            .push_str(&format!("<text:list text:style-name=\"{BULLETS}\">"));
        for source in &meta.sources {
            body.out.push_str(&format!(
                "<text:list-item><text:p text:style-name=\"List_20_Contents\">{}",
                escape(&source.title)
            ));
            let url = escape(&source.url);
            body.note(&format!(
                "<text:p text:style-name=\"Footnote\"><text:a xlink:type=\"simple\" \
                 xlink:href=\"{url}\">{url}</text:a></text:p>"
            ));
            body.out.push_str("</text:p></text:list-item>");
        }
        body.out.push_str("</text:list>");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <office:document-content {NAMESPACES} office:version=\"1.3\">\
         <office:automatic-styles>\
         <style:style style:name=\"Tabelle\" style:family=\"table\">\
         <style:table-properties style:width=\"16.5cm\" table:align=\"margins\" fo:margin-bottom=\"0.3cm\"/></style:style>\
         <style:style style:name=\"TabelleSpalte\" style:family=\"table-column\"/>\
         <style:style style:name=\"TabelleZelle\" style:family=\"table-cell\">\
         <style:table-cell-properties fo:padding=\"0.1cm\" fo:border=\"0.5pt solid #767676\"/></style:style>\
         {}\
         </office:automatic-styles>\
         <office:body><office:text>{}</office:text></office:body></office:document-content>\n",
        body.column_styles,
        body.out
    )
}

fn list_levels() -> (String, String) {
    let mut bullets = String::new();
    let mut numbers = String::new();
    for level in 1..=10 {
        let indent = format!("{:.1}cm", 0.6 * level as f64);
        let alignment = format!(
            "<style:list-level-properties text:list-level-position-and-space-mode=\"label-alignment\">\
             <style:list-level-label-alignment text:label-followed-by=\"listtab\" \
             text:list-tab-stop-position=\"{indent}\" fo:text-indent=\"-0.6cm\" fo:margin-left=\"{indent}\"/>\
             </style:list-level-properties>"
        );
        let bullet = ["•", "◦", "▪"][(level - 1) % 3];
        bullets.push_str(&format!(
            "<text:list-level-style-bullet text:level=\"{level}\" text:bullet-char=\"{bullet}\">{alignment}</text:list-level-style-bullet>\n"
        ));
        numbers.push_str(&format!(
            "<text:list-level-style-number text:level=\"{level}\" style:num-suffix=\".\" style:num-format=\"1\">{alignment}</text:list-level-style-number>\n"
        ));
    }
    (bullets, numbers)
}

fn styles_xml(meta: &DocMeta) -> String {
    let (lang, country) = meta.language_parts();
    let country = country.unwrap_or(if lang == "de" { "DE" } else { "none" });
    let (bullets, numbers) = list_levels();
    include_str!("styles.xml")
        .replace("@LANG@", &escape(lang))
        .replace("@COUNTRY@", &escape(country))
        .replace("@BULLETS@", &bullets)
        .replace("@NUMBERS@", &numbers)
}

/// The adoption, the place/date line, the line to sign over name and
/// function, and the place for the seal; kept together on one page.
fn signature_block(adoption: &Adoption) -> String {
    let mut xml = format!(
        "<text:p text:style-name=\"Beschluss\">{}</text:p>\
         <text:p text:style-name=\"Ort_20_Datum\">{}</text:p>",
        escape(&adoption.sentence()),
        escape(&adoption.place_and_date())
    );
    for (i, line) in adoption.signer_lines().iter().enumerate() {
        let style = if i == 0 {
            "Unterschriftslinie"
        } else {
            "Unterschrift"
        };
        xml.push_str(&format!(
            "<text:p text:style-name=\"{style}\">{}</text:p>",
            escape(line)
        ));
    }
    xml.push_str("<text:p text:style-name=\"Siegel\">(Dienstsiegel)</text:p>");
    xml
}

fn meta_xml(meta: &DocMeta) -> String {
    let mut fields = format!(
        "<meta:generator>ki-reise/{}</meta:generator><dc:title>{}</dc:title>",
        env!("CARGO_PKG_VERSION"),
        escape(&meta.title)
    );
    if let Some(subtitle) = &meta.subtitle {
        fields.push_str(&format!("<dc:subject>{}</dc:subject>", escape(subtitle)));
    }
    if let Some(author) = &meta.author {
        let author = escape(author);
        fields.push_str(&format!(
            "<meta:initial-creator>{author}</meta:initial-creator><dc:creator>{author}</dc:creator>"
        ));
    }
    if let Some(date) = meta.date.as_deref().filter(|d| is_iso_date(d)) {
        let date = format!("{}T00:00:00", date.trim());
        fields.push_str(&format!(
            "<meta:creation-date>{date}</meta:creation-date><dc:date>{date}</dc:date>"
        ));
    }
    fields.push_str(&format!(
        "<dc:language>{}</dc:language>",
        escape(&meta.language)
    ));
    for fact in [&meta.version, &meta.status]
        .iter()
        .zip(["Version", "Status"])
        .filter_map(|(v, label)| v.as_deref().map(|v| (label, v)))
    {
        fields.push_str(&format!(
            "<meta:user-defined meta:name=\"{}\">{}</meta:user-defined>",
            fact.0,
            escape(fact.1)
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <office:document-meta xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
         xmlns:meta=\"urn:oasis:names:tc:opendocument:xmlns:meta:1.0\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" office:version=\"1.3\">\
         <office:meta>{fields}</office:meta></office:document-meta>\n"
    )
}

fn manifest_xml(figures: &[Figure]) -> String {
    let mut entries: String = PARTS
        .iter()
        .map(|p| {
            format!("<manifest:file-entry manifest:full-path=\"{p}\" manifest:media-type=\"text/xml\"/>\n")
        })
        .collect();
    for figure in figures {
        entries.push_str(&format!(
            "<manifest:file-entry manifest:full-path=\"Pictures/{}\" manifest:media-type=\"image/svg+xml\"/>\n",
            escape(&figure.file)
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.3\">\n\
         <manifest:file-entry manifest:full-path=\"/\" manifest:version=\"1.3\" manifest:media-type=\"{MIME_TYPE}\"/>\n\
         {entries}</manifest:manifest>\n"
    )
}
