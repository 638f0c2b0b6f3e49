//! Import of LimeSurvey survey exports (`.lss`, XML).
//!
//! An `.lss` file is a dump of LimeSurvey's tables: `<document>` with
//! `<LimeSurveyDocType>Survey</LimeSurveyDocType>`, `<DBVersion>`, and one
//! element per table (`<groups>`, `<questions>`, `<subquestions>`,
//! `<answers>`, `<question_attributes>`, …), each with `<rows><row>` and one
//! child element per column. Since LimeSurvey 4 the texts sit in separate
//! `*_l10ns` tables; older exports keep them inline with a `language`
//! column. Both are read.
//!
//! Mapped: question groups → sections; types L, !, O, Y, G → single choice;
//! M, P → multiple choice; 5 → Likert; A, B, F, H, E, C → Likert matrix;
//! N → number; S, T, U → free text; X (text display) → section description;
//! mandatory; simple relevance equations (`Q1 == "A1"`, `… or …`,
//! `Q2_SQ001 == "Y"`); some attributes. Everything else is listed in the
//! [`ImportReport`]. HTML in texts becomes plain text, scripts are removed.
//!
//! The XML parser (roxmltree) refuses documents with a DTD, so external
//! entities and entity expansion never happen.

use std::collections::{BTreeMap, HashMap, HashSet};

use roxmltree::{Document, Node, ParsingOptions};

use super::import::{checked_text, ImportReport, ImportedQuestionnaire, Severity};
use super::model::{
    agreement_scale, ChoiceOption, Choices, Condition, ConditionTest, Question, QuestionKind,
    Questionnaire, ScalePoint, Section, MAX_TEXT_ANSWER,
};
use super::validate::{contains_markup, validate_questionnaire, MAX_LABEL_CHARS};
use super::{is_valid_id, SurveyError};

/// Elements bigger than any real survey are refused early.
const NODES_LIMIT: u32 = 2_000_000;
/// Far above any real survey (the questionnaire allows 500 questions).
const MAX_QUESTION_ROWS: usize = 20_000;

type Row = HashMap<String, String>;
/// An answer option: (sortorder, code, label).
type LsAnswer = (i64, String, String);

/// Reads an `.lss` export.
pub fn import_lss(bytes: &[u8]) -> Result<ImportedQuestionnaire, SurveyError> {
    let text = checked_text(bytes)?;
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: NODES_LIMIT,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| SurveyError::Parse {
        format: "XML",
        message: match e {
            roxmltree::Error::DtdDetected => {
                "Die Datei enthält eine DTD (<!DOCTYPE …>); das ist aus Sicherheitsgründen nicht erlaubt.".to_string()
            }
            // roxmltree's own messages are English; people get German
            // and the place, not the parser's words.
            roxmltree::Error::UnexpectedEndOfStream | roxmltree::Error::UnclosedRootNode => {
                "Die Datei endet mitten im Inhalt; sie wurde vermutlich nicht vollständig heruntergeladen oder gekürzt. Bitte exportieren Sie die Umfrage erneut aus LimeSurvey.".to_string()
            }
            other => {
                let pos = other.pos();
                format!(
                    "Die Datei ist in Zeile {}, Spalte {} beschädigt. Bitte exportieren Sie die Umfrage erneut aus LimeSurvey.",
                    pos.row, pos.col
                )
            }
        },
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "document" {
        return Err(SurveyError::NotLimeSurvey(format!(
            "Das Wurzelelement heißt „{}“ statt „document“.",
            shorten(root.tag_name().name(), 40)
        )));
    }
    let doc_type = child_text(root, "LimeSurveyDocType").unwrap_or_default();
    if doc_type.trim() != "Survey" {
        return Err(SurveyError::NotLimeSurvey(
            "Es fehlt <LimeSurveyDocType>Survey</LimeSurveyDocType> (Fragegruppen- oder Fragenexporte werden nicht unterstützt).".to_string(),
        ));
    }
    Importer::new(root).run()
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn child_text(node: Node, name: &str) -> Option<String> {
    child(node, name).map(element_text)
}

/// All text and CDATA inside an element.
fn element_text(node: Node) -> String {
    node.descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect()
}

/// The rows of a table element: `<table><rows><row><col>…</col></row></rows></table>`.
fn table(root: Node, name: &str) -> Vec<Row> {
    let Some(rows) = child(root, name).and_then(|t| child(t, "rows")) else {
        return Vec::new();
    };
    rows.children()
        .filter(|r| r.is_element() && r.tag_name().name() == "row")
        .map(|r| {
            r.children()
                .filter(|c| c.is_element())
                .map(|c| (c.tag_name().name().to_string(), element_text(c)))
                .collect()
        })
        .collect()
}

fn get<'r>(row: &'r Row, key: &str) -> &'r str {
    row.get(key).map(|s| s.trim()).unwrap_or("")
}

fn number(row: &Row, key: &str) -> i64 {
    get(row, key).parse().unwrap_or(0)
}

fn shorten(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

/// Plain text from LimeSurvey's HTML: tags dropped, `<script>`/`<style>`
/// dropped with their content, entities decoded, whitespace collapsed.
/// Returns the text and whether something active (script, style, event
/// handler) was removed.
pub fn plain_text(html: &str) -> (String, bool) {
    let mut out = String::new();
    let mut removed_active = false;
    let lower = html.to_ascii_lowercase();
    let mut i = 0;
    let bytes = html.as_bytes();
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let rest = &lower[i..];
            let skip_block = ["script", "style"].iter().find_map(|tag| {
                let open = format!("<{tag}");
                rest.starts_with(&open).then(|| {
                    let close = format!("</{tag}");
                    match rest.find(&close) {
                        Some(end) => rest[end..]
                            .find('>')
                            .map(|g| end + g + 1)
                            .unwrap_or(rest.len()),
                        None => rest.len(),
                    }
                })
            });
            if let Some(len) = skip_block {
                removed_active = true;
                i += len;
                out.push(' ');
                continue;
            }
            match rest.find('>') {
                Some(end) => {
                    let tag = &rest[..end];
                    if tag.contains(" on") || tag.contains("javascript:") {
                        removed_active = true;
                    }
                    let name: String = tag
                        .trim_start_matches(['<', '/'])
                        .chars()
                        .take_while(char::is_ascii_alphanumeric)
                        .collect();
                    const INLINE: [&str; 13] = [
                        "a", "abbr", "b", "em", "font", "i", "mark", "small", "span", "strong",
                        "sub", "sup", "u",
                    ];
                    if matches!(
                        name.as_str(),
                        "br" | "p" | "li" | "div" | "tr" | "h1" | "h2" | "h3"
                    ) {
                        out.push('\n');
                    } else if !INLINE.contains(&name.as_str()) {
                        out.push(' ');
                    }
                    i += end + 1;
                }
                None => {
                    // A lone "<" is text.
                    out.push('<');
                    i += 1;
                }
            }
            continue;
        }
        let next = html[i..].find('<').map(|p| i + p).unwrap_or(html.len());
        out.push_str(&decode_entities(&html[i..next]));
        i = next;
    }
    // Collapse spaces per line, drop empty lines.
    let text = out
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    (text, removed_active)
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.bytes().take(12).position(|b| b == b';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..semi];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "#39" => Some('\''),
            "nbsp" => Some(' '),
            "auml" => Some('ä'),
            "ouml" => Some('ö'),
            "uuml" => Some('ü'),
            "Auml" => Some('Ä'),
            "Ouml" => Some('Ö'),
            "Uuml" => Some('Ü'),
            "szlig" => Some('ß'),
            "euro" => Some('€'),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32)
                .filter(|c| !c.is_control() || *c == '\n'),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
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

/// Hands out valid, unique ids made from LimeSurvey codes.
#[derive(Default)]
struct Ids {
    taken: HashSet<String>,
    /// Next suffix per base, so that many equal codes stay linear.
    next: HashMap<String, u32>,
}

impl Ids {
    fn make(&mut self, raw: &str, fallback: &str) -> String {
        let mut id: String = raw
            .trim()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(56)
            .collect();
        if !id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric()) {
            id = format!("{fallback}{id}").chars().take(56).collect();
        }
        let base = id.clone();
        while !self.taken.insert(id.clone()) {
            let n = self.next.entry(base.clone()).or_insert(2);
            id = format!("{base}_{n}");
            *n += 1;
        }
        debug_assert!(is_valid_id(&id));
        id
    }
}

struct Importer<'a, 'i> {
    root: Node<'a, 'i>,
    report: ImportReport,
    language: String,
}

/// One LimeSurvey question with what belongs to it.
struct LsQuestion {
    qid: String,
    gid: String,
    kind: String,
    title: String,
    order: i64,
    mandatory: String,
    other: bool,
    relevance: String,
    text: String,
    help: String,
}

impl<'a, 'i> Importer<'a, 'i> {
    fn new(root: Node<'a, 'i>) -> Self {
        Importer {
            root,
            report: ImportReport::default(),
            language: String::new(),
        }
    }

    /// Rows of `name` in the survey's language (rows without a language
    /// column are kept).
    fn localized(&self, name: &str) -> Vec<Row> {
        table(self.root, name)
            .into_iter()
            .filter(|r| !r.contains_key("language") || get(r, "language") == self.language)
            .collect()
    }

    /// Turns a LimeSurvey text into ours, reporting what changed.
    fn text(&mut self, location: &str, what: &str, raw: &str) -> String {
        let (mut text, active) = plain_text(raw);
        if active {
            self.report.push(
                location,
                Severity::Changed,
                format!("{what}: Skript, Stil oder Ereignis-Attribut entfernt."),
            );
        }
        if contains_markup(&text) {
            text = text.replace('<', "‹").replace('>', "›");
            self.report.push(
                location,
                Severity::Changed,
                format!("{what}: spitze Klammern ersetzt, damit kein HTML entsteht."),
            );
        }
        if text.contains('{') && text.contains('}') {
            self.report.push(
                location,
                Severity::NotMapped,
                format!("{what}: LimeSurvey-Ausdrücke in geschweiften Klammern werden nicht ausgewertet und stehen als Text da."),
            );
        }
        if text.chars().count() > MAX_LABEL_CHARS {
            text = text.chars().take(MAX_LABEL_CHARS).collect();
            self.report.push(
                location,
                Severity::Changed,
                format!("{what}: auf {MAX_LABEL_CHARS} Zeichen gekürzt."),
            );
        }
        text
    }

    fn run(mut self) -> Result<ImportedQuestionnaire, SurveyError> {
        let root = self.root;
        let db_version = child_text(root, "DBVersion").unwrap_or_default();
        self.report.source = format!("LimeSurvey (DBVersion {})", shorten(db_version.trim(), 12));

        let surveys = table(root, "surveys");
        let survey = surveys.first().cloned().unwrap_or_default();
        let languages: Vec<String> = child(root, "languages")
            .map(|l| {
                l.children()
                    .filter(|c| c.is_element())
                    .map(|c| element_text(c).trim().to_string())
                    .collect()
            })
            .unwrap_or_default();
        self.language = Some(get(&survey, "language").to_string())
            .filter(|l| !l.is_empty())
            .or_else(|| languages.first().cloned())
            .unwrap_or_else(|| "de".to_string());
        let others: Vec<&String> = languages.iter().filter(|l| **l != self.language).collect();
        if !others.is_empty() {
            self.report.push(
                "Umfrage",
                Severity::NotMapped,
                format!(
                    "Nur die Sprache „{}“ wurde übernommen, nicht: {}.",
                    self.language,
                    others
                        .iter()
                        .map(|s| format!("„{}“", shorten(s, 12)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        if !surveys.is_empty() {
            self.report.push(
                "Umfrage",
                Severity::Note,
                "Umfrage-Einstellungen von LimeSurvey (Zugang, Zeiten, Darstellung, E-Mails) werden nicht übernommen; sie werden in ki-reise neu festgelegt.",
            );
        }
        let sid = get(&survey, "sid").to_string();
        let settings = self
            .localized("surveys_languagesettings")
            .into_iter()
            .find(|r| {
                get(r, "surveyls_language") == self.language || !r.contains_key("surveyls_language")
            })
            .unwrap_or_default();
        let title = self.text("Umfrage", "Titel", get(&settings, "surveyls_title"));
        let description = self.text(
            "Umfrage",
            "Beschreibung",
            get(&settings, "surveyls_description"),
        );

        // Groups, ordered.
        let group_texts: HashMap<String, Row> = self
            .localized("group_l10ns")
            .into_iter()
            .map(|r| (get(&r, "gid").to_string(), r))
            .collect();
        let mut groups: Vec<Row> = self.localized("groups");
        groups.sort_by_key(|g| (number(g, "group_order"), number(g, "gid")));
        groups.dedup_by(|a, b| get(a, "gid") == get(b, "gid"));

        // Question texts (l10n table or inline).
        let question_texts: HashMap<String, Row> = self
            .localized("question_l10ns")
            .into_iter()
            .map(|r| (get(&r, "qid").to_string(), r))
            .collect();
        let mut all_questions = self.localized("questions");
        all_questions.extend(self.localized("subquestions"));
        let mut parents = Vec::new();
        let mut subquestions: BTreeMap<String, Vec<Row>> = BTreeMap::new();
        let mut seen_qids = HashSet::new();
        for row in all_questions {
            let parent = get(&row, "parent_qid");
            if parent.is_empty() || parent == "0" {
                if seen_qids.insert(get(&row, "qid").to_string()) {
                    parents.push(row);
                }
            } else {
                subquestions
                    .entry(parent.to_string())
                    .or_default()
                    .push(row);
            }
        }
        let rows = parents.len() + subquestions.values().map(Vec::len).sum::<usize>();
        if rows > MAX_QUESTION_ROWS {
            return Err(SurveyError::Parse {
                format: "LimeSurvey",
                message: format!(
                    "Die Umfrage hat {rows} Fragen und Teilfragen; mehr als {MAX_QUESTION_ROWS} werden nicht eingelesen."
                ),
            });
        }
        for subs in subquestions.values_mut() {
            subs.sort_by_key(|s| (number(s, "scale_id"), number(s, "question_order")));
            subs.dedup_by(|a, b| get(a, "qid") == get(b, "qid"));
        }
        let text_of = |row: &Row, field: &str| -> String {
            question_texts
                .get(get(row, "qid"))
                .map(|t| get(t, field).to_string())
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| get(row, field).to_string())
        };

        // Answers by qid and scale, with texts.
        let answer_texts: HashMap<String, String> = self
            .localized("answer_l10ns")
            .into_iter()
            .map(|r| (get(&r, "aid").to_string(), get(&r, "answer").to_string()))
            .collect();
        let mut answers: BTreeMap<(String, i64), Vec<LsAnswer>> = BTreeMap::new();
        for row in self.localized("answers") {
            let label = answer_texts
                .get(get(&row, "aid"))
                .cloned()
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| get(&row, "answer").to_string());
            answers
                .entry((get(&row, "qid").to_string(), number(&row, "scale_id")))
                .or_default()
                .push((
                    number(&row, "sortorder"),
                    get(&row, "code").to_string(),
                    label,
                ));
        }
        for list in answers.values_mut() {
            list.sort_by_key(|a| a.0);
            list.dedup_by(|a, b| a.1 == b.1);
        }

        // Attributes by qid.
        let mut attributes: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for row in table(root, "question_attributes") {
            let lang = get(&row, "language");
            if !lang.is_empty() && lang != self.language {
                continue;
            }
            attributes
                .entry(get(&row, "qid").to_string())
                .or_default()
                .insert(
                    get(&row, "attribute").to_string(),
                    get(&row, "value").to_string(),
                );
        }

        let mut questions: Vec<LsQuestion> = parents
            .iter()
            .map(|row| LsQuestion {
                qid: get(row, "qid").to_string(),
                gid: get(row, "gid").to_string(),
                kind: get(row, "type").to_string(),
                title: get(row, "title").to_string(),
                order: number(row, "question_order"),
                mandatory: get(row, "mandatory").to_string(),
                other: get(row, "other") == "Y",
                relevance: get(row, "relevance").to_string(),
                text: text_of(row, "question"),
                help: text_of(row, "help"),
            })
            .collect();
        questions.sort_by_key(|q| q.order);

        let mut question_ids = Ids::default();
        // LimeSurvey code → (our id, our kind) of mapped questions so far.
        let mut mapped: HashMap<String, (String, QuestionKind)> = HashMap::new();
        let mut sections = Vec::new();
        let mut section_ids = Ids::default();
        let known_groups: HashSet<String> =
            groups.iter().map(|g| get(g, "gid").to_string()).collect();
        let orphans: Vec<&LsQuestion> = questions
            .iter()
            .filter(|q| !known_groups.contains(&q.gid))
            .collect();
        for q in &orphans {
            self.report.push(
                format!("Frage {}", q.title),
                Severity::NotMapped,
                format!("Die Frage gehört zu keiner bekannten Gruppe (gid {}) und wurde nicht übernommen.", shorten(&q.gid, 12)),
            );
        }

        for group in &groups {
            let gid = get(group, "gid").to_string();
            let texts = group_texts
                .get(&gid)
                .cloned()
                .unwrap_or_else(|| group.clone());
            let location = format!("Gruppe {gid}");
            let mut section_title = self.text(&location, "Gruppenname", get(&texts, "group_name"));
            if section_title.is_empty() {
                section_title = format!("Abschnitt {gid}");
            }
            let mut description =
                self.text(&location, "Gruppenbeschreibung", get(&texts, "description"));
            let relevance = get(group, "grelevance");
            if !relevance.is_empty() && relevance != "1" {
                self.report.push(
                    location.as_str(),
                    Severity::NotMapped,
                    format!("Die Bedingung der Gruppe ({}) wurde nicht übernommen; die Gruppe wird immer gezeigt.", shorten(relevance, 200)),
                );
            }
            let mut section_questions = Vec::new();
            for lq in questions.iter().filter(|q| q.gid == gid) {
                let loc = format!("Frage {}", lq.title);
                let subs = subquestions.get(&lq.qid).cloned().unwrap_or_default();
                let attrs = attributes.get(&lq.qid).cloned().unwrap_or_default();
                let scale0 = answers
                    .get(&(lq.qid.clone(), 0))
                    .cloned()
                    .unwrap_or_default();
                if answers.contains_key(&(lq.qid.clone(), 1))
                    || subs.iter().any(|s| number(s, "scale_id") > 0)
                {
                    self.report.push(
                        loc.as_str(),
                        Severity::NotMapped,
                        "Die zweite Skala bzw. zweite Achse der Frage wurde nicht übernommen.",
                    );
                }
                if lq.kind == "X" {
                    let text = self.text(&loc, "Textanzeige", &lq.text);
                    if !text.is_empty() {
                        if !description.is_empty() {
                            description.push('\n');
                        }
                        description.push_str(&text);
                    }
                    self.report.push(
                        loc.as_str(),
                        Severity::Changed,
                        "Textanzeige (Typ X) in die Abschnittsbeschreibung übernommen.",
                    );
                    continue;
                }
                let Some(kind) = self.kind(lq, &loc, &subs, &scale0, &attrs, &text_of) else {
                    continue;
                };
                let id = question_ids.make(&lq.title, "q");
                if id != lq.title {
                    self.report.push(
                        loc.as_str(),
                        Severity::Changed,
                        format!(
                            "Fragecode „{}“ als Kennung „{id}“ übernommen.",
                            shorten(&lq.title, 64)
                        ),
                    );
                }
                let mut text = self.text(&loc, "Fragetext", &lq.text);
                if text.is_empty() {
                    text = lq.title.clone();
                    self.report.push(
                        loc.as_str(),
                        Severity::Changed,
                        "Leerer Fragetext: der Fragecode steht an seiner Stelle.",
                    );
                }
                let help = Some(self.text(&loc, "Hilfetext", &lq.help)).filter(|h| !h.is_empty());
                let required = match lq.mandatory.as_str() {
                    "Y" => true,
                    "S" => {
                        self.report.push(
                            loc.as_str(),
                            Severity::Changed,
                            "„Weiche Pflicht“ (Hinweis, aber keine Pflicht) als freiwillige Frage übernommen.",
                        );
                        false
                    }
                    _ => false,
                };
                let show_if = self.condition(&loc, &lq.relevance, &mapped);
                self.attributes_left(&loc, &attrs);
                mapped.insert(lq.title.clone(), (id.clone(), kind.clone()));
                section_questions.push(Question {
                    id,
                    text,
                    help,
                    required,
                    show_if,
                    kind,
                });
            }
            if section_questions.is_empty() {
                self.report.push(
                    location.as_str(),
                    Severity::NotMapped,
                    format!(
                        "Die Gruppe „{}“ enthält keine übertragbare Frage und wurde weggelassen.",
                        shorten(&section_title, 80)
                    ),
                );
                continue;
            }
            sections.push(Section {
                id: section_ids.make(&format!("g{gid}"), "g"),
                title: section_title,
                description: Some(description).filter(|d| !d.is_empty()),
                questions: section_questions,
            });
        }

        self.report_other_tables();
        let id_source = if sid.is_empty() {
            "import".to_string()
        } else {
            format!("lss-{sid}")
        };
        let questionnaire = Questionnaire {
            schema: None,
            id: Ids::default().make(&id_source, "lss-"),
            version: 1,
            title: if title.is_empty() {
                "Importierte Umfrage".to_string()
            } else {
                title
            },
            description: Some(description).filter(|d| !d.is_empty()),
            language: if self.language.len() == 2 {
                self.language.clone()
            } else {
                "de".to_string()
            },
            sections,
        };
        let issues = validate_questionnaire(&questionnaire);
        if !issues.is_empty() {
            return Err(SurveyError::Invalid(issues));
        }
        Ok(ImportedQuestionnaire {
            questionnaire,
            report: self.report,
        })
    }

    fn kind(
        &mut self,
        lq: &LsQuestion,
        loc: &str,
        subs: &[Row],
        scale0: &[LsAnswer],
        attrs: &BTreeMap<String, String>,
        text_of: &dyn Fn(&Row, &str) -> String,
    ) -> Option<QuestionKind> {
        let mut option_ids = Ids::default();
        let mut options_from_answers = |this: &mut Self| -> Vec<ChoiceOption> {
            scale0
                .iter()
                .map(|(_, code, label)| {
                    let label = this.text(loc, &format!("Antwort {code}"), label);
                    ChoiceOption::new(
                        option_ids.make(code, "a"),
                        if label.is_empty() {
                            code.clone()
                        } else {
                            label
                        },
                    )
                })
                .collect()
        };
        let mut item_ids = Ids::default();
        let mut items_from_subs = |this: &mut Self| -> Vec<ChoiceOption> {
            subs.iter()
                .filter(|s| number(s, "scale_id") == 0)
                .map(|s| {
                    let code = get(s, "title").to_string();
                    let label =
                        this.text(loc, &format!("Teilfrage {code}"), &text_of(s, "question"));
                    ChoiceOption::new(
                        item_ids.make(&code, "i"),
                        if label.is_empty() { code } else { label },
                    )
                })
                .collect()
        };
        let numeric_scale = |n: i64| -> Vec<ScalePoint> {
            (1..=n)
                .map(|v| ScalePoint {
                    value: v,
                    label: v.to_string(),
                })
                .collect()
        };
        let add_other = |this: &mut Self, options: &mut Vec<ChoiceOption>| {
            if lq.other {
                options.push(ChoiceOption::new("other", "Sonstiges"));
                this.report.push(
                    loc,
                    Severity::NotMapped,
                    "Die Antwort „Sonstiges“ wurde als Option übernommen, ihr Freitextfeld nicht.",
                );
            }
        };
        let kind = match lq.kind.as_str() {
            "L" | "!" | "O" => {
                let mut options = options_from_answers(self);
                add_other(self, &mut options);
                if lq.kind == "O" {
                    self.report.push(
                        loc,
                        Severity::NotMapped,
                        "Das Kommentarfeld der Liste wurde nicht übernommen.",
                    );
                }
                QuestionKind::SingleChoice {
                    options: Choices::fixed(options),
                }
            }
            "Y" => QuestionKind::SingleChoice {
                options: Choices::fixed(vec![
                    ChoiceOption::new("Y", "Ja"),
                    ChoiceOption::new("N", "Nein"),
                ]),
            },
            "G" => {
                self.report.push(loc, Severity::Note, "Geschlechtsfrage als Einfachauswahl übernommen; bitte prüfen, ob sie für eine anonyme Umfrage nötig ist.");
                QuestionKind::SingleChoice {
                    options: Choices::fixed(vec![
                        ChoiceOption::new("F", "weiblich"),
                        ChoiceOption::new("M", "männlich"),
                        ChoiceOption::new("D", "divers"),
                    ]),
                }
            }
            "M" | "P" => {
                let mut options = items_from_subs(self);
                add_other(self, &mut options);
                if lq.kind == "P" {
                    self.report.push(
                        loc,
                        Severity::NotMapped,
                        "Die Kommentarfelder der Mehrfachauswahl wurden nicht übernommen.",
                    );
                }
                let max_choices = attrs
                    .get("max_answers")
                    .and_then(|v| v.parse::<u32>().ok())
                    .filter(|m| *m > 0);
                QuestionKind::MultipleChoice {
                    options: Choices::fixed(options),
                    max_choices,
                }
            }
            "5" => QuestionKind::Likert {
                scale: numeric_scale(5),
            },
            "A" => QuestionKind::LikertMatrix {
                items: Choices::fixed(items_from_subs(self)),
                scale: numeric_scale(5),
            },
            "B" => QuestionKind::LikertMatrix {
                items: Choices::fixed(items_from_subs(self)),
                scale: numeric_scale(10),
            },
            "E" => QuestionKind::LikertMatrix {
                items: Choices::fixed(items_from_subs(self)),
                scale: vec![
                    ScalePoint {
                        value: 1,
                        label: "Abnahme".into(),
                    },
                    ScalePoint {
                        value: 2,
                        label: "Gleich".into(),
                    },
                    ScalePoint {
                        value: 3,
                        label: "Zunahme".into(),
                    },
                ],
            },
            "C" => {
                self.report.push(
                    loc,
                    Severity::Changed,
                    "Ja/Unsicher/Nein als Skala 1 (Ja) bis 3 (Nein) übernommen.",
                );
                QuestionKind::LikertMatrix {
                    items: Choices::fixed(items_from_subs(self)),
                    scale: vec![
                        ScalePoint {
                            value: 1,
                            label: "Ja".into(),
                        },
                        ScalePoint {
                            value: 2,
                            label: "Unsicher".into(),
                        },
                        ScalePoint {
                            value: 3,
                            label: "Nein".into(),
                        },
                    ],
                }
            }
            "F" | "H" => {
                let labels: Vec<ScalePoint> = scale0
                    .iter()
                    .zip(1..)
                    .map(|((_, code, label), value)| {
                        let label = self.text(loc, &format!("Antwort {code}"), label);
                        ScalePoint {
                            value,
                            label: if label.is_empty() {
                                code.clone()
                            } else {
                                label
                            },
                        }
                    })
                    .collect();
                if !labels.is_empty() {
                    self.report.push(
                        loc,
                        Severity::Changed,
                        format!(
                            "Die Antwortcodes {} wurden in dieser Reihenfolge als Skalenwerte 1 bis {} übernommen.",
                            scale0.iter().map(|a| a.1.as_str()).collect::<Vec<_>>().join(", "),
                            labels.len()
                        ),
                    );
                }
                if lq.kind == "H" {
                    self.report.push(
                        loc,
                        Severity::Changed,
                        "Die nach Spalten angeordnete Matrix wird zeilenweise gezeigt.",
                    );
                }
                QuestionKind::LikertMatrix {
                    items: Choices::fixed(items_from_subs(self)),
                    scale: if labels.is_empty() {
                        agreement_scale()
                    } else {
                        labels
                    },
                }
            }
            "N" => {
                let parse = |k: &str| {
                    attrs
                        .get(k)
                        .and_then(|v| v.trim().replace(',', ".").parse::<f64>().ok())
                        .filter(|v| v.is_finite())
                };
                QuestionKind::Number {
                    min: parse("min_num_value_n"),
                    max: parse("max_num_value_n"),
                    integer: attrs.get("num_value_int_only").is_some_and(|v| v == "1"),
                    unit: attrs
                        .get("suffix")
                        .map(|s| plain_text(s).0)
                        .filter(|s| !s.is_empty() && s.chars().count() <= 50),
                }
            }
            "S" | "T" | "U" => {
                let requested = attrs
                    .get("maximum_chars")
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .filter(|v| *v > 0);
                let max_length = match requested {
                    Some(v) if v > u64::from(MAX_TEXT_ANSWER) => {
                        self.report.push(
                            loc,
                            Severity::Changed,
                            format!("Höchstlänge {v} auf {MAX_TEXT_ANSWER} Zeichen begrenzt."),
                        );
                        MAX_TEXT_ANSWER
                    }
                    Some(v) => v as u32,
                    None => MAX_TEXT_ANSWER,
                };
                QuestionKind::Text {
                    max_length,
                    multiline: lq.kind != "S",
                }
            }
            other => {
                let name = match other {
                    "D" => "Datum",
                    "R" => "Rangfolge",
                    "1" => "Matrix mit zwei Skalen",
                    ":" => "Matrix mit Zahlen",
                    ";" => "Matrix mit Texten",
                    "K" => "Mehrere Zahlen",
                    "Q" => "Mehrere kurze Texte",
                    "|" => "Datei-Upload",
                    "*" => "Gleichung",
                    "I" => "Sprachauswahl",
                    _ => "unbekannt",
                };
                self.report.push(
                    loc,
                    Severity::NotMapped,
                    format!(
                        "Fragetyp „{}“ ({name}) gibt es hier nicht; die Frage „{}“ wurde nicht übernommen.",
                        shorten(other, 8),
                        shorten(&plain_text(&lq.text).0, 120)
                    ),
                );
                return None;
            }
        };
        let empty = match &kind {
            QuestionKind::SingleChoice { options }
            | QuestionKind::MultipleChoice { options, .. } => options.list.is_empty(),
            QuestionKind::LikertMatrix { items, .. } => items.list.is_empty(),
            _ => false,
        };
        if empty {
            self.report.push(
                loc,
                Severity::NotMapped,
                "Die Frage hat keine Antwortmöglichkeiten bzw. Teilfragen und wurde nicht übernommen.",
            );
            return None;
        }
        Some(kind)
    }

    /// Attributes with a value that we did not use.
    fn attributes_left(&mut self, loc: &str, attrs: &BTreeMap<String, String>) {
        const USED: [&str; 6] = [
            "min_num_value_n",
            "max_num_value_n",
            "num_value_int_only",
            "maximum_chars",
            "max_answers",
            "suffix",
        ];
        let left: Vec<String> = attrs
            .iter()
            .filter(|(k, v)| !USED.contains(&k.as_str()) && !v.is_empty())
            .map(|(k, v)| format!("{}={}", shorten(k, 40), shorten(v, 40)))
            .collect();
        if !left.is_empty() {
            self.report.push(
                loc,
                Severity::NotMapped,
                format!("Einstellungen nicht übernommen: {}.", left.join(", ")),
            );
        }
    }

    /// Simple relevance equations become conditions; anything else is reported.
    fn condition(
        &mut self,
        loc: &str,
        relevance: &str,
        mapped: &HashMap<String, (String, QuestionKind)>,
    ) -> Option<Condition> {
        let expr = relevance.trim();
        if expr.is_empty() || expr == "1" {
            return None;
        }
        let parsed = parse_relevance(expr).and_then(|terms| {
            // All terms must test the same question.
            let (var, _) = terms.first()?;
            let (code, sub) = match mapped.get(var.as_str()) {
                Some(_) => (var.clone(), None),
                None => {
                    let (c, s) = var.split_once('_')?;
                    (c.to_string(), Some(s.to_string()))
                }
            };
            let (id, kind) = mapped.get(&code)?;
            let values: Vec<String> = terms
                .iter()
                .map(|(v, value)| {
                    let expected = match &sub {
                        None => code.clone(),
                        Some(s) => format!("{code}_{s}"),
                    };
                    (*v == expected).then(|| value.clone())
                })
                .collect::<Option<_>>()?;
            let test = match (kind, &sub) {
                (QuestionKind::SingleChoice { options }, None) => {
                    if values.iter().any(|v| options.get(v).is_none()) {
                        return None;
                    }
                    if values.len() == 1 {
                        ConditionTest::Equals(values[0].clone())
                    } else {
                        ConditionTest::AnyOf(values)
                    }
                }
                (QuestionKind::Likert { scale }, None) => {
                    if values
                        .iter()
                        .any(|v| !scale.iter().any(|p| p.value.to_string() == *v))
                    {
                        return None;
                    }
                    if values.len() == 1 {
                        ConditionTest::Equals(values[0].clone())
                    } else {
                        ConditionTest::AnyOf(values)
                    }
                }
                (QuestionKind::MultipleChoice { options, .. }, Some(sub))
                    if terms.len() == 1 && values[0] == "Y" =>
                {
                    options.get(sub)?;
                    ConditionTest::Contains(sub.clone())
                }
                _ => return None,
            };
            Some(Condition {
                question: id.clone(),
                test,
            })
        });
        if parsed.is_none() {
            self.report.push(
                loc,
                Severity::NotMapped,
                format!(
                    "Die Bedingung „{}“ konnte nicht übernommen werden; die Frage wird immer gezeigt.",
                    shorten(expr, 200)
                ),
            );
        }
        parsed
    }

    fn report_other_tables(&mut self) {
        const READ: [&str; 13] = [
            "LimeSurveyDocType",
            "DBVersion",
            "languages",
            "answers",
            "answer_l10ns",
            "groups",
            "group_l10ns",
            "questions",
            "subquestions",
            "question_l10ns",
            "question_attributes",
            "surveys",
            "surveys_languagesettings",
        ];
        let root = self.root;
        for table in root.children().filter(|c| c.is_element()) {
            let name = table.tag_name().name();
            if READ.contains(&name) {
                continue;
            }
            let rows = table
                .descendants()
                .filter(|d| {
                    d.is_element()
                        && (d.tag_name().name() == "row" || d.tag_name().name() == "theme")
                })
                .count();
            if rows > 0 {
                let what = match name {
                    "conditions" => "Bedingungen im alten Format (conditions)".to_string(),
                    "quota" | "quota_members" | "quota_languagesettings" => {
                        format!("Quoten ({name})")
                    }
                    "assessments" => "Bewertungen (assessments)".to_string(),
                    "themes" | "themes_inherited" => format!("Layout ({name})"),
                    other => format!("Bereich „{}“", shorten(other, 40)),
                };
                self.report.push(
                    "Umfrage",
                    Severity::NotMapped,
                    format!("{what} mit {rows} Einträgen nicht übernommen."),
                );
            }
        }
    }
}

/// `Q1 == "A1"`, `Q1.NAOK == 'A1'`, `(Q1 == "A1" or Q1 == "A2")`, also `||`.
/// Returns (variable, value) per term, or `None` if anything else appears.
fn parse_relevance(expr: &str) -> Option<Vec<(String, String)>> {
    let mut e = expr.trim();
    while e.starts_with('(') && e.ends_with(')') && balanced(&e[1..e.len() - 1]) {
        e = e[1..e.len() - 1].trim();
    }
    let normalized = e.replace("||", " or ");
    let mut out = Vec::new();
    for term in normalized.split(" or ") {
        let mut t = term.trim();
        while t.starts_with('(') && t.ends_with(')') && balanced(&t[1..t.len() - 1]) {
            t = t[1..t.len() - 1].trim();
        }
        let (lhs, rhs) = t.split_once("==")?;
        let var = lhs.trim();
        let var = var.strip_suffix(".NAOK").unwrap_or(var);
        if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        let rhs = rhs.trim();
        let value = rhs
            .strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .or_else(|| rhs.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))
            .or_else(|| rhs.chars().all(|c| c.is_ascii_digit()).then_some(rhs))?;
        if value.is_empty() || value.contains(['"', '\'']) {
            return None;
        }
        out.push((var.to_string(), value.to_string()));
    }
    (!out.is_empty()).then_some(out)
}

fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_drops_tags_scripts_and_decodes_entities() {
        let (t, active) =
            plain_text("<p>Wie oft &amp; wof&uuml;r?</p><script>alert('x')</script><b>Bitte</b>");
        assert_eq!(t, "Wie oft & wofür?\nBitte");
        assert!(active);
        let (t, active) = plain_text("weniger als 5 &lt; 6");
        assert_eq!(t, "weniger als 5 < 6");
        assert!(!active);
        let (_, active) = plain_text("<img src=x onerror=alert(1)>");
        assert!(active);
    }

    #[test]
    fn relevance_equations_of_the_common_shapes_are_parsed() {
        assert_eq!(
            parse_relevance("((Q1.NAOK == \"A1\"))"),
            Some(vec![("Q1".into(), "A1".into())])
        );
        assert_eq!(
            parse_relevance("Q1 == 'A1' or Q1 == 'A2'"),
            Some(vec![("Q1".into(), "A1".into()), ("Q1".into(), "A2".into())])
        );
        assert_eq!(
            parse_relevance("Q5 == 3"),
            Some(vec![("Q5".into(), "3".into())])
        );
        assert_eq!(parse_relevance("Q1 > 3"), None);
        assert_eq!(parse_relevance("Q1 == \"A\" and Q2 == \"B\""), None);
        assert_eq!(parse_relevance("is_empty(Q1)"), None);
    }

    #[test]
    fn ids_from_codes_are_made_valid_and_unique() {
        let mut taken = Ids::default();
        assert_eq!(taken.make("Q1", "q"), "Q1");
        assert_eq!(taken.make("Q1", "q"), "Q1_2");
        assert_eq!(taken.make("_x y", "q"), "q_x_y");
    }
}
