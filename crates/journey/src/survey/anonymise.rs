//! The anonymised answer-level export for admins: one CSV row per response,
//! with department and kind of role coarsened until every combination of
//! the two occurs at least k times (k-anonymity over these quasi-
//! identifiers), rows in a content order (not submission order), and free
//! texts left out unless asked for.
//!
//! Other answers could identify a person too (an unusual number, a
//! telling free text); that is why free texts are off by default and why
//! this export is for admins only.

use super::aggregate::{LOWEST_MIN_GROUP_SIZE, NO_GROUP};
use super::identifiers::QuasiIdentifiers;
use super::model::{QuestionKind, Questionnaire};
use super::response::{Answer, Response};
use super::SurveyError;

/// What replaces a department or role that would single people out.
pub const GENERALISED: &str = "zusammengefasst";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerExportOptions {
    pub min_group_size: u32,
    pub include_free_texts: bool,
}

impl Default for AnswerExportOptions {
    fn default() -> Self {
        AnswerExportOptions {
            min_group_size: super::aggregate::DEFAULT_MIN_GROUP_SIZE,
            include_free_texts: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnonymisedAnswers {
    /// UTF-8, RFC 4180, CRLF.
    pub csv: String,
    pub rows: usize,
    /// Rows whose department, or kind of role, was replaced by [`GENERALISED`].
    pub generalised_departments: usize,
    pub generalised_roles: usize,
}

/// Builds the export; refuses when there are fewer than k responses.
pub fn anonymised_answers_csv(
    q: &Questionnaire,
    responses: &[Response],
    options: &AnswerExportOptions,
) -> Result<AnonymisedAnswers, SurveyError> {
    if options.min_group_size < LOWEST_MIN_GROUP_SIZE {
        return Err(SurveyError::MinGroupSizeTooSmall {
            given: options.min_group_size,
            min: LOWEST_MIN_GROUP_SIZE,
        });
    }
    let k = options.min_group_size as usize;
    if responses.len() < k {
        return Err(SurveyError::TooFewResponses {
            given: responses.len(),
            min: k,
        });
    }
    // Coarsen exactly what the protected department × role table hides: a
    // hidden cell loses its role, a hidden department row loses both. Each
    // remaining combination then has 0 or at least k rows, and nothing here
    // adds to what the results publish.
    let qi = QuasiIdentifiers::new(q, responses, k as u64);
    let dept_q = qi.department.clone();
    let role_q = qi.role.clone();
    let mut depts = Vec::with_capacity(responses.len());
    let mut roles = Vec::with_capacity(responses.len());
    for &(row, col) in &qi.position {
        let row_hidden = qi.hidden.rows[row];
        let cell_hidden = qi.hidden.cells[row][col];
        depts.push(if row_hidden {
            GENERALISED.to_string()
        } else {
            qi.rows[row].id.clone()
        });
        roles.push(if row_hidden || cell_hidden {
            GENERALISED.to_string()
        } else {
            qi.cols[col].id.clone()
        });
    }

    let label = |question: &Option<String>, id: &str| -> String {
        if id == GENERALISED {
            return id.to_string();
        }
        if id == NO_GROUP {
            return String::new();
        }
        question
            .as_deref()
            .and_then(|qid| q.question(qid))
            .and_then(|question| question.kind.options())
            .and_then(|o| o.get(id))
            .map(|o| o.label.clone())
            .unwrap_or_else(|| id.to_string())
    };

    // Columns.
    let mut header = vec!["fachbereich".to_string(), "taetigkeit".to_string()];
    let mut columns: Vec<Column> = Vec::new();
    for (_, question) in q.questions() {
        if Some(&question.id) == dept_q.as_ref() || Some(&question.id) == role_q.as_ref() {
            continue;
        }
        match &question.kind {
            QuestionKind::MultipleChoice { options, .. } => {
                for o in &options.list {
                    header.push(format!("{}.{}", question.id, o.id));
                    columns.push(Column::Chosen(question.id.clone(), o.id.clone()));
                }
            }
            QuestionKind::LikertMatrix { items, .. } => {
                for i in &items.list {
                    header.push(format!("{}.{}", question.id, i.id));
                    columns.push(Column::Row(question.id.clone(), i.id.clone()));
                }
            }
            QuestionKind::Text { .. } if !options.include_free_texts => {}
            _ => {
                header.push(question.id.clone());
                columns.push(Column::Plain(question.id.clone()));
            }
        }
    }

    let mut rows: Vec<Vec<String>> = responses
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut row = vec![label(&dept_q, &depts[i]), label(&role_q, &roles[i])];
            row.extend(columns.iter().map(|c| c.value(r)));
            row
        })
        .collect();
    rows.sort();

    let csv_err = |e: csv::Error| SurveyError::Parse {
        format: "CSV",
        message: e.to_string(),
    };
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(&header).map_err(csv_err)?;
    for row in &rows {
        w.write_record(row).map_err(csv_err)?;
    }
    let bytes = w.into_inner().map_err(|e| SurveyError::Parse {
        format: "CSV",
        message: e.to_string(),
    })?;
    Ok(AnonymisedAnswers {
        csv: String::from_utf8_lossy(&bytes).into_owned(),
        rows: rows.len(),
        generalised_departments: depts.iter().filter(|d| *d == GENERALISED).count(),
        generalised_roles: roles.iter().filter(|r| *r == GENERALISED).count(),
    })
}

enum Column {
    Plain(String),
    Chosen(String, String),
    Row(String, String),
}

impl Column {
    fn value(&self, r: &Response) -> String {
        match self {
            Column::Plain(q) => match r.answers.get(q) {
                Some(Answer::Choice(c)) => c.clone(),
                Some(Answer::Scale(v)) => v.to_string(),
                Some(Answer::Number(x)) => x.to_string(),
                Some(Answer::Text(t)) => t.clone(),
                _ => String::new(),
            },
            Column::Chosen(q, o) => match r.answers.get(q) {
                Some(Answer::Choices(cs)) => u8::from(cs.contains(o)).to_string(),
                _ => String::new(),
            },
            Column::Row(q, i) => match r.answers.get(q) {
                Some(Answer::Matrix(rows)) => rows.get(i).map(i64::to_string).unwrap_or_default(),
                _ => String::new(),
            },
        }
    }
}
