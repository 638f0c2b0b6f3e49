//! Markdown events to the body of `content.xml`: headings with outline
//! levels, paragraphs, spans, lists, tables, links, quotes and footnotes.
//! Style names refer to `styles.xml`; all text goes through the XML escaper.

use std::collections::{HashMap, VecDeque};

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

use crate::figure::Figure;
use crate::sections::{level_number, parser};
use journey::escape::xml as escape;

/// Paragraph styles, defined in `styles.xml`.
const BODY: &str = "Text_20_body";
const LIST_CONTENTS: &str = "List_20_Contents";
const QUOTE: &str = "Quotations";
const CODE: &str = "Preformatted_20_Text";
const TABLE_CONTENTS: &str = "Table_20_Contents";
const TABLE_HEADING: &str = "Table_20_Heading";
const FOOTNOTE: &str = "Footnote";
pub(crate) const BULLETS: &str = "Liste_Punkte";
pub(crate) const NUMBERS: &str = "Liste_Nummern";

/// Writes the body of a document; footnote definitions are rendered first
/// and placed where they are referenced, as ODF wants.
pub(crate) struct BodyWriter {
    pub(crate) out: String,
    /// The closing tag of the open paragraph or heading, if one is open.
    open_block: Option<&'static str>,
    quote_depth: usize,
    item_depth: usize,
    in_cell: bool,
    in_head: bool,
    code: Option<String>,
    links: Vec<bool>,
    /// Ordered lists' start numbers, waiting for their first item.
    pending_start: Option<u64>,
    tables: usize,
    /// The column widths (cm) of the tables still to come, in order.
    table_widths: VecDeque<Vec<f64>>,
    /// Automatic styles for the tables' columns, for `content.xml`.
    pub(crate) column_styles: String,
    /// Inside a footnote body, where ODF allows no further notes.
    in_note: bool,
    notes: HashMap<String, String>,
    /// Shared note counter, so that ids stay unique across the document.
    pub(crate) note_count: usize,
    /// Figures the Markdown may show as images (stored under `Pictures/`).
    pub(crate) figures: Vec<Figure>,
    /// Inside an image shown as a figure: its alternative text is the
    /// frame's title, not text of the paragraph.
    in_figure: bool,
}

impl BodyWriter {
    pub(crate) fn new() -> BodyWriter {
        BodyWriter {
            out: String::new(),
            open_block: None,
            quote_depth: 0,
            item_depth: 0,
            in_cell: false,
            in_head: false,
            code: None,
            links: Vec::new(),
            pending_start: None,
            tables: 0,
            table_widths: VecDeque::new(),
            column_styles: String::new(),
            in_note: false,
            notes: HashMap::new(),
            note_count: 0,
            figures: Vec::new(),
            in_figure: false,
        }
    }

    /// Converts a whole Markdown document.
    pub(crate) fn markdown(&mut self, markdown: &str) {
        let mut main = Vec::new();
        let mut definitions: Vec<(String, Vec<Event>)> = Vec::new();
        let mut current: Option<(String, Vec<Event>)> = None;
        for event in parser(markdown) {
            match event {
                Event::Start(Tag::FootnoteDefinition(label)) => {
                    current = Some((label.to_string(), Vec::new()));
                }
                Event::End(TagEnd::FootnoteDefinition) => {
                    definitions.extend(current.take());
                }
                event => match current.as_mut() {
                    Some((_, events)) => events.push(event),
                    None => main.push(event),
                },
            }
        }
        for (label, events) in &definitions {
            let mut note = BodyWriter::new();
            note.in_note = true;
            for event in events.iter().cloned() {
                note.event(event);
            }
            note.close_block();
            if note.out.is_empty() {
                note.out = format!("<text:p text:style-name=\"{FOOTNOTE}\"/>");
            }
            self.notes.insert(label.clone(), note.out);
        }
        self.table_widths = super::columns::table_widths(&main).into();
        for event in main {
            self.event(event);
        }
        self.close_block();
    }

    fn paragraph_style(&self) -> &'static str {
        if self.in_note {
            FOOTNOTE
        } else if self.in_cell {
            if self.in_head {
                TABLE_HEADING
            } else {
                TABLE_CONTENTS
            }
        } else if self.quote_depth > 0 {
            QUOTE
        } else if self.item_depth > 0 {
            LIST_CONTENTS
        } else {
            BODY
        }
    }

    fn open_paragraph(&mut self) {
        self.close_block();
        let style = self.paragraph_style();
        self.out
            .push_str(&format!("<text:p text:style-name=\"{style}\">"));
        self.open_block = Some("</text:p>");
    }

    fn ensure_paragraph(&mut self) {
        if self.open_block.is_none() {
            self.open_paragraph();
        }
    }

    fn close_block(&mut self) {
        if let Some(end) = self.open_block.take() {
            self.out.push_str(end);
        }
    }

    /// Adds a footnote at the current position.
    pub(crate) fn note(&mut self, body_xml: &str) {
        self.note_count += 1;
        let n = self.note_count;
        self.out.push_str(&format!(
            "<text:note text:id=\"ftn{n}\" text:note-class=\"footnote\">\
             <text:note-citation>{n}</text:note-citation>\
             <text:note-body>{body_xml}</text:note-body></text:note>"
        ));
    }

    fn event(&mut self, event: Event) {
        if self.in_figure && !matches!(event, Event::End(TagEnd::Image)) {
            return;
        }
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => {
                if let Some(code) = self.code.as_mut() {
                    code.push_str(&text);
                } else {
                    self.ensure_paragraph();
                    self.out.push_str(&text_xml(&text, false));
                }
            }
            // Raw HTML is shown as text, as in the HTML export.
            Event::Html(text) | Event::InlineHtml(text) => {
                self.ensure_paragraph();
                self.out.push_str(&text_xml(&text, false));
            }
            Event::Code(text) => {
                self.ensure_paragraph();
                self.out.push_str(&format!(
                    "<text:span text:style-name=\"Source_20_Text\">{}</text:span>",
                    text_xml(&text, true)
                ));
            }
            Event::SoftBreak if self.code.is_none() => self.out.push(' '),
            Event::HardBreak => {
                self.ensure_paragraph();
                self.out.push_str("<text:line-break/>");
            }
            Event::Rule => {
                self.close_block();
                self.out
                    .push_str("<text:p text:style-name=\"Horizontal_20_Line\"/>");
            }
            Event::FootnoteReference(label) => self.footnote_reference(&label),
            _ => {}
        }
    }

    fn footnote_reference(&mut self, label: &CowStr) {
        self.ensure_paragraph();
        match self.notes.get(label.as_ref()).cloned() {
            Some(body) if !self.in_note => self.note(&body),
            _ => self.out.push_str(&format!("[{}]", escape(label))),
        }
    }

    fn start(&mut self, tag: Tag) {
        match tag {
            Tag::Paragraph => self.open_paragraph(),
            Tag::Heading { level, .. } => {
                self.close_block();
                let n = level_number(level);
                self.out.push_str(&format!(
                    "<text:h text:style-name=\"Heading_20_{n}\" text:outline-level=\"{n}\">"
                ));
                self.open_block = Some("</text:h>");
            }
            Tag::BlockQuote(_) => {
                self.close_block();
                self.quote_depth += 1;
            }
            Tag::CodeBlock(_) => {
                self.close_block();
                self.code = Some(String::new());
            }
            Tag::List(start) => {
                self.close_block();
                let style = if start.is_some() { NUMBERS } else { BULLETS };
                self.pending_start = start.filter(|&n| n != 1);
                self.out
                    .push_str(&format!("<text:list text:style-name=\"{style}\">"));
            }
            Tag::Item => {
                self.close_block();
                self.item_depth += 1;
                match self.pending_start.take() {
                    Some(n) => self
                        .out
                        .push_str(&format!("<text:list-item text:start-value=\"{n}\">")),
                    None => self.out.push_str("<text:list-item>"),
                }
            }
            Tag::Table(alignments) => {
                self.close_block();
                self.tables += 1;
                let columns = alignments.len().max(1);
                let n = self.tables;
                self.out.push_str(&format!(
                    "<table:table table:name=\"Tabelle{n}\" table:style-name=\"Tabelle\">"
                ));
                match self.table_widths.pop_front() {
                    Some(widths) if widths.len() == columns => {
                        for (i, cm) in widths.iter().enumerate() {
                            let style = format!("Tabelle{n}.{}", i + 1);
                            self.column_styles.push_str(&format!(
                                "<style:style style:name=\"{style}\" style:family=\"table-column\">\
                                 <style:table-column-properties style:column-width=\"{cm:.2}cm\" \
                                 style:rel-column-width=\"{}*\"/></style:style>",
                                (cm * 1000.0).round()
                            ));
                            self.out.push_str(&format!(
                                "<table:table-column table:style-name=\"{style}\"/>"
                            ));
                        }
                    }
                    _ => self.out.push_str(&format!(
                        "<table:table-column table:style-name=\"TabelleSpalte\" \
                         table:number-columns-repeated=\"{columns}\"/>"
                    )),
                }
            }
            Tag::TableHead => {
                self.in_head = true;
                self.out
                    .push_str("<table:table-header-rows><table:table-row>");
            }
            Tag::TableRow => self.out.push_str("<table:table-row>"),
            Tag::TableCell => {
                self.in_cell = true;
                self.out.push_str(
                    "<table:table-cell table:style-name=\"TabelleZelle\" office:value-type=\"string\">",
                );
            }
            Tag::Emphasis => self.span("Emphasis"),
            Tag::Strong => self.span("Strong_20_Emphasis"),
            Tag::Strikethrough => self.span("Durchgestrichen"),
            Tag::Link { dest_url, .. } => {
                self.ensure_paragraph();
                let safe = is_safe_link(&dest_url);
                if safe {
                    self.out.push_str(&format!(
                        "<text:a xlink:type=\"simple\" xlink:href=\"{}\">",
                        escape(&dest_url)
                    ));
                }
                self.links.push(safe);
            }
            Tag::Image { dest_url, .. } => {
                self.ensure_paragraph();
                self.figure(&dest_url);
            }
            _ => {}
        }
    }

    /// A frame showing the figure stored as `Pictures/FILE`, 16 cm wide,
    /// with its title as the frame's alternative text.
    fn figure(&mut self, file: &str) {
        let Some(figure) = self.figures.iter().find(|f| f.file == file) else {
            return;
        };
        let width_cm = 16.0;
        let height_cm = width_cm * f64::from(figure.height) / f64::from(figure.width.max(1));
        let name = escape(figure.file.trim_end_matches(".svg"));
        self.out.push_str(&format!(
            "<draw:frame draw:name=\"{name}\" text:anchor-type=\"as-char\" \
             svg:width=\"{width_cm:.2}cm\" svg:height=\"{height_cm:.2}cm\">\
             <draw:image xlink:href=\"Pictures/{}\" xlink:type=\"simple\" xlink:show=\"embed\" xlink:actuate=\"onLoad\"/>\
             <svg:title>{}</svg:title></draw:frame>",
            escape(&figure.file),
            escape(&figure.title)
        ));
        self.in_figure = true;
    }

    fn span(&mut self, style: &str) {
        self.ensure_paragraph();
        self.out
            .push_str(&format!("<text:span text:style-name=\"{style}\">"));
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::Heading(_) => self.close_block(),
            TagEnd::BlockQuote(_) => {
                self.close_block();
                self.quote_depth = self.quote_depth.saturating_sub(1);
            }
            TagEnd::CodeBlock => {
                let code = self.code.take().unwrap_or_default();
                for line in code.trim_end_matches('\n').split('\n') {
                    self.out.push_str(&format!(
                        "<text:p text:style-name=\"{CODE}\">{}</text:p>",
                        text_xml(line, true)
                    ));
                }
            }
            TagEnd::List(_) => {
                self.close_block();
                self.out.push_str("</text:list>");
            }
            TagEnd::Item => {
                self.ensure_paragraph();
                self.close_block();
                self.item_depth = self.item_depth.saturating_sub(1);
                self.out.push_str("</text:list-item>");
            }
            TagEnd::Table => self.out.push_str("</table:table>"),
            TagEnd::TableHead => {
                self.in_head = false;
                self.out
                    .push_str("</table:table-row></table:table-header-rows>");
            }
            TagEnd::TableRow => self.out.push_str("</table:table-row>"),
            TagEnd::TableCell => {
                self.ensure_paragraph();
                self.close_block();
                self.in_cell = false;
                self.out.push_str("</table:table-cell>");
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.out.push_str("</text:span>");
            }
            // Popping in the guard: every link end must pop its start.
            TagEnd::Link if self.links.pop() == Some(true) => self.out.push_str("</text:a>"),
            TagEnd::Image => self.in_figure = false,
            _ => {}
        }
    }
}

/// Only links a reader can follow safely become links; others stay text.
fn is_safe_link(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    ["https://", "http://", "mailto:", "#"]
        .iter()
        .any(|p| lower.starts_with(p))
}

/// Escaped text; with `preserve`, runs of spaces and tabs are kept with
/// `text:s` and `text:tab` (ODF collapses plain whitespace).
fn text_xml(text: &str, preserve: bool) -> String {
    if !preserve {
        return escape(&text.replace(['\n', '\t'], " "));
    }
    let mut out = String::new();
    let mut spaces = 0usize;
    let flush = |out: &mut String, spaces: &mut usize| {
        match *spaces {
            0 => {}
            1 if !out.is_empty() => out.push(' '),
            n => out.push_str(&format!("<text:s text:c=\"{n}\"/>")),
        }
        *spaces = 0;
    };
    for c in text.chars() {
        match c {
            ' ' => spaces += 1,
            '\t' => {
                flush(&mut out, &mut spaces);
                out.push_str("<text:tab/>");
            }
            c => {
                flush(&mut out, &mut spaces);
                out.push_str(&escape(c.encode_utf8(&mut [0; 4])));
            }
        }
    }
    flush(&mut out, &mut spaces);
    out
}
