//! The anonymised answer-level export for admins: one CSV row per response,
//! with department and kind of role coarsened until every combination of
//! the two occurs at least k times (k-anonymity over these quasi-
//! identifiers), rows in a content order (not submission order), and free
//! texts left out unless asked for.
//!
//! Other answers could identify a person too (an unusual number, a
//! telling free text); that is why free texts are off by default and why
//! this export is for admins only.

use std::collections::BTreeMap;

use super::aggregate::LOWEST_MIN_GROUP_SIZE;
use super::model::{QuestionKind, Questionnaire};
use super::response::{Answer, Response};
use super::suppress::suppressed;
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
    let dept_q = q.department_question().map(|d| d.id.clone());
    let role_q = q.role_question().map(|r| r.id.clone());
    let value = |r: &Response, question: &Option<String>| -> String {
        question
            .as_deref()
            .and_then(|id| r.choice(id))
            .unwrap_or("")
            .to_string()
    };
    let mut depts: Vec<String> = responses.iter().map(|r| value(r, &dept_q)).collect();
    let mut roles: Vec<String> = responses.iter().map(|r| value(r, &role_q)).collect();

    // Departments hidden in the results are hidden here too.
    let mut sizes: BTreeMap<String, usize> = BTreeMap::new();
    for d in &depts {
        *sizes.entry(d.clone()).or_default() += 1;
    }
    let names: Vec<&String> = sizes.keys().collect();
    let counts: Vec<u64> = sizes.values().map(|n| *n as u64).collect();
    let hidden = suppressed(&counts, &[], k as u64);
    let hidden_depts: Vec<String> = names
        .iter()
        .zip(&hidden)
        .filter(|(_, h)| **h)
        .map(|(n, _)| (*n).clone())
        .collect();
    for d in depts.iter_mut() {
        if hidden_depts.contains(d) {
            *d = GENERALISED.to_string();
        }
    }
    // Coarsen (department, role) classes below k: first the role, then the
    // department, then merge the smallest class into the fully coarsened one.
    loop {
        let mut classes: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
        for i in 0..responses.len() {
            classes
                .entry((depts[i].clone(), roles[i].clone()))
                .or_default()
                .push(i);
        }
        let small = classes
            .iter()
            .filter(|(_, rows)| rows.len() < k)
            .min_by_key(|(key, rows)| (key.0 == GENERALISED && key.1 == GENERALISED, rows.len()))
            .map(|(key, rows)| (key.clone(), rows.clone()));
        let Some(((dept, role), rows)) = small else {
            break;
        };
        if role != GENERALISED {
            for i in rows {
                roles[i] = GENERALISED.to_string();
            }
        } else if dept != GENERALISED {
            for i in rows {
                depts[i] = GENERALISED.to_string();
            }
        } else {
            // The fully coarsened class is too small: pull in the smallest other.
            let other = classes
                .iter()
                .filter(|(key, _)| !(key.0 == GENERALISED && key.1 == GENERALISED))
                .min_by_key(|(_, rows)| rows.len())
                .map(|(_, rows)| rows.clone());
            match other {
                Some(rows) => {
                    for i in rows {
                        depts[i] = GENERALISED.to_string();
                        roles[i] = GENERALISED.to_string();
                    }
                }
                // Only one class left, and it has fewer than k rows: cannot
                // happen because there are at least k responses.
                None => break,
            }
        }
    }

    let label = |question: &Option<String>, id: &str| -> String {
        if id == GENERALISED || id.is_empty() {
            return id.to_string();
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
