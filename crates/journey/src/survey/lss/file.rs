//! Reading an `.lss` file: the XML document (without DTD), its tables as
//! rows of columns, and the rows of the survey's language gathered per
//! group, question and scale. Nothing here maps to our model.

use std::collections::{BTreeMap, HashMap, HashSet};

use roxmltree::{Document, Node, ParsingOptions};

use super::text::shorten;
use crate::survey::SurveyError;

/// Elements bigger than any real survey are refused early.
const NODES_LIMIT: u32 = 2_000_000;
/// Far above any real survey (the questionnaire allows 500 questions).
const MAX_QUESTION_ROWS: usize = 20_000;

/// The tables read here; others with rows are reported as not taken over.
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

pub(super) type Row = HashMap<String, String>;
/// An answer option: (sortorder, code, label).
pub(super) type LsAnswer = (i64, String, String);

/// Parses the XML and checks that it is a LimeSurvey survey export.
pub(super) fn parse(text: &str) -> Result<Document<'_>, SurveyError> {
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
    Ok(doc)
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

pub(super) fn get<'r>(row: &'r Row, key: &str) -> &'r str {
    row.get(key).map(|s| s.trim()).unwrap_or("")
}

pub(super) fn number(row: &Row, key: &str) -> i64 {
    get(row, key).parse().unwrap_or(0)
}

/// One LimeSurvey question with what belongs to it.
pub(super) struct LsQuestion {
    pub(super) qid: String,
    pub(super) gid: String,
    pub(super) kind: String,
    pub(super) title: String,
    pub(super) order: i64,
    pub(super) mandatory: String,
    pub(super) other: bool,
    pub(super) relevance: String,
    pub(super) text: String,
    pub(super) help: String,
    /// JavaScript of the question (`question_l10ns.script`), never run.
    pub(super) script: String,
}

/// What an `.lss` file holds in the survey's language, as rows.
pub(super) struct LssFile {
    pub(super) db_version: String,
    /// Whether the file has a `surveys` table (whose settings are not
    /// taken over).
    pub(super) has_survey_settings: bool,
    pub(super) sid: String,
    /// The survey's language; rows in other languages are left out.
    pub(super) language: String,
    /// The file's other languages, in the file's order.
    pub(super) other_languages: Vec<String>,
    /// The `surveys_languagesettings` row of the language.
    pub(super) settings: Row,
    /// Groups by `group_order`, without repeats.
    pub(super) groups: Vec<Row>,
    /// Group texts (`group_l10ns`) by gid.
    pub(super) group_texts: HashMap<String, Row>,
    /// Top-level questions by `question_order`.
    pub(super) questions: Vec<LsQuestion>,
    /// Subquestions by parent qid, by scale and `question_order`.
    pub(super) subquestions: BTreeMap<String, Vec<Row>>,
    /// Answer options by (qid, scale), by `sortorder`, without repeated codes.
    pub(super) answers: BTreeMap<(String, i64), Vec<LsAnswer>>,
    /// Attribute name → value by qid.
    pub(super) attributes: BTreeMap<String, BTreeMap<String, String>>,
    /// Question texts (`question_l10ns`) by qid.
    question_texts: HashMap<String, Row>,
    /// Tables not read that have rows: (name, number of rows), in file order.
    pub(super) other_tables: Vec<(String, usize)>,
}

impl LssFile {
    pub(super) fn read(root: Node) -> Result<LssFile, SurveyError> {
        let db_version = child_text(root, "DBVersion").unwrap_or_default();
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
        let language = Some(get(&survey, "language").to_string())
            .filter(|l| !l.is_empty())
            .or_else(|| languages.first().cloned())
            .unwrap_or_else(|| "de".to_string());
        let other_languages = languages
            .iter()
            .filter(|l| **l != language)
            .cloned()
            .collect();
        // Rows of a table in the survey's language (rows without a language
        // column are kept).
        let localized = |name: &str| -> Vec<Row> {
            table(root, name)
                .into_iter()
                .filter(|r| !r.contains_key("language") || get(r, "language") == language)
                .collect()
        };
        let settings = localized("surveys_languagesettings")
            .into_iter()
            .find(|r| {
                get(r, "surveyls_language") == language || !r.contains_key("surveyls_language")
            })
            .unwrap_or_default();

        let group_texts: HashMap<String, Row> = localized("group_l10ns")
            .into_iter()
            .map(|r| (get(&r, "gid").to_string(), r))
            .collect();
        let mut groups: Vec<Row> = localized("groups");
        groups.sort_by_key(|g| (number(g, "group_order"), number(g, "gid")));
        groups.dedup_by(|a, b| get(a, "gid") == get(b, "gid"));

        // Question texts (l10n table or inline).
        let question_texts: HashMap<String, Row> = localized("question_l10ns")
            .into_iter()
            .map(|r| (get(&r, "qid").to_string(), r))
            .collect();
        let mut all_questions = localized("questions");
        all_questions.extend(localized("subquestions"));
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

        // Answers by qid and scale, with texts.
        let answer_texts: HashMap<String, String> = localized("answer_l10ns")
            .into_iter()
            .map(|r| (get(&r, "aid").to_string(), get(&r, "answer").to_string()))
            .collect();
        let mut answers: BTreeMap<(String, i64), Vec<LsAnswer>> = BTreeMap::new();
        for row in localized("answers") {
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
            if !lang.is_empty() && lang != language {
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

        let mut file = LssFile {
            db_version,
            has_survey_settings: !surveys.is_empty(),
            sid: get(&survey, "sid").to_string(),
            language,
            other_languages,
            settings,
            groups,
            group_texts,
            questions: Vec::new(),
            subquestions,
            answers,
            attributes,
            question_texts,
            other_tables: other_tables(root),
        };
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
                text: file.text_of(row, "question"),
                help: file.text_of(row, "help"),
                script: file.text_of(row, "script"),
            })
            .collect();
        questions.sort_by_key(|q| q.order);
        file.questions = questions;
        Ok(file)
    }

    /// A question's or subquestion's text from the l10n table, else inline.
    pub(super) fn text_of(&self, row: &Row, field: &str) -> String {
        self.question_texts
            .get(get(row, "qid"))
            .map(|t| get(t, field).to_string())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| get(row, field).to_string())
    }
}

/// Tables other than those read, with their number of rows (or themes).
fn other_tables(root: Node) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for table in root.children().filter(|c| c.is_element()) {
        let name = table.tag_name().name();
        if READ.contains(&name) {
            continue;
        }
        // Direct entries only: `rows/row`, or `theme` for the layout
        // tables; a theme's options may nest elements of the same names.
        let rows = table
            .children()
            .filter(|c| c.is_element())
            .map(|c| match c.tag_name().name() {
                "rows" => c
                    .children()
                    .filter(|r| r.is_element() && r.tag_name().name() == "row")
                    .count(),
                "theme" | "row" => 1,
                _ => 0,
            })
            .sum::<usize>();
        if rows > 0 {
            out.push((name.to_string(), rows));
        }
    }
    out
}
