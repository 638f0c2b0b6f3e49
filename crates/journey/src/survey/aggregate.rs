//! Anonymous results: counts and shares per option, Likert distributions
//! with mean and median, numbers, free texts; overall and by department (or
//! another single-choice question), with every figure that rests on fewer
//! than k answers hidden, together with whatever would reveal it by
//! difference (see [`super::suppress`]).
//!
//! Only one breakdown per call and no filtering of the answers before the
//! call: two overlapping breakdowns (all staff by role, and one department
//! by role) could be subtracted from each other, which this module cannot
//! see. Free texts are listed for the whole survey only, sorted, never per
//! group.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::identifiers::{Axis, QuasiIdentifiers};
use super::model::{ChoiceOption, QuestionKind, QuestionType, Questionnaire, ScalePoint};
use super::response::{Answer, Response};
use super::suppress::suppressed;
use super::SurveyError;

pub const DEFAULT_MIN_GROUP_SIZE: u32 = 5;
/// The issue allows configuring k, but never below 3.
pub const LOWEST_MIN_GROUP_SIZE: u32 = 3;
pub use super::identifiers::NO_GROUP;

#[derive(Debug, Clone, PartialEq)]
pub struct AggregateOptions {
    /// k: figures over fewer answers are hidden.
    pub min_group_size: u32,
    /// The single-choice question to break down by; `None` takes the
    /// department question, if there is one.
    pub group_by: Option<String>,
    /// List free-text answers (overall only).
    pub include_free_texts: bool,
    /// Staff per group id, for response rates.
    pub staff_counts: BTreeMap<String, u32>,
}

impl Default for AggregateOptions {
    fn default() -> Self {
        AggregateOptions {
            min_group_size: DEFAULT_MIN_GROUP_SIZE,
            group_by: None,
            include_free_texts: true,
            staff_counts: BTreeMap::new(),
        }
    }
}

/// Everything the results page, the exports and the report show.
/// Schema: `schemas/survey-results.schema.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyResults {
    pub questionnaire: String,
    pub version: u32,
    pub min_group_size: u32,
    /// All responses; `None` when fewer than k (then everything is hidden).
    pub responses: Option<u64>,
    /// The question the groups come from.
    pub group_by: Option<String>,
    pub groups: Vec<GroupSummary>,
    pub questions: Vec<QuestionResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub id: String,
    pub label: String,
    /// `None`: hidden (too few, or would reveal another group by difference).
    pub responses: Option<u64>,
    pub staff_count: Option<u32>,
    pub response_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionResult {
    pub question: String,
    pub section: String,
    pub text: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// One row; a Likert matrix has one row per item.
    pub rows: Vec<RowResult>,
    /// Free-text answers, sorted; only for text questions, only overall,
    /// only when asked for and at least k answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_texts: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowResult {
    pub item: Option<String>,
    pub item_label: Option<String>,
    /// First the overall cell (`group: None`), then one per group.
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// `None` for all responses.
    pub group: Option<String>,
    pub suppressed: bool,
    /// How many answered; `None` when suppressed.
    pub answered: Option<u64>,
    pub options: Vec<OptionFigure>,
    pub mean: Option<f64>,
    pub median: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionFigure {
    pub option: String,
    pub label: String,
    /// `None`: hidden (only for department and role, see [`super::identifiers`]).
    pub count: Option<u64>,
    /// count / answered; for multiple choice the share of those who answered.
    /// `None` when the count or the number answered is hidden.
    pub share: Option<f64>,
}

/// The values one group gave in one row.
#[derive(Default, Clone)]
pub(super) struct Tally {
    pub(super) answered: u64,
    counts: BTreeMap<String, u64>,
    values: Vec<f64>,
}

impl Tally {
    fn add_choice(&mut self, id: &str) {
        *self.counts.entry(id.to_string()).or_default() += 1;
    }
}

/// Computes the results. `responses` are checked answers to `q` (already
/// resolved); answers to unknown questions or options are ignored.
pub fn aggregate(
    q: &Questionnaire,
    responses: &[Response],
    options: &AggregateOptions,
) -> Result<SurveyResults, SurveyError> {
    if options.min_group_size < LOWEST_MIN_GROUP_SIZE {
        return Err(SurveyError::MinGroupSizeTooSmall {
            given: options.min_group_size,
            min: LOWEST_MIN_GROUP_SIZE,
        });
    }
    let k = u64::from(options.min_group_size);
    let qi = QuasiIdentifiers::new(q, responses, k);
    let breakdown = Breakdown::new(q, options.group_by.as_deref(), responses, &qi)?;

    // Group level: response counts, hidden as in the protected table.
    let total = responses.len() as u64;
    let sizes: Vec<u64> = breakdown.members.iter().map(|m| m.len() as u64).collect();
    let group_hidden: Vec<bool> = breakdown.hidden.iter().map(|h| *h || total < k).collect();
    let groups = breakdown
        .groups
        .iter()
        .zip(&sizes)
        .zip(&group_hidden)
        .map(|((g, &n), &hidden)| {
            let staff = options.staff_counts.get(&g.id).copied();
            let responses = (!hidden).then_some(n);
            GroupSummary {
                id: g.id.clone(),
                label: g.label.clone(),
                responses,
                staff_count: staff,
                response_rate: responses
                    .zip(staff.filter(|s| *s > 0))
                    .map(|(n, s)| n as f64 / f64::from(s)),
            }
        })
        .collect();

    let mut questions = Vec::new();
    for (section, question) in q.questions() {
        let rows_spec: Vec<Option<&ChoiceOption>> = match &question.kind {
            QuestionKind::LikertMatrix { items, .. } => items.list.iter().map(Some).collect(),
            _ => vec![None],
        };
        let mut rows = Vec::new();
        for item in rows_spec {
            let tallies: Vec<Tally> = breakdown
                .members
                .iter()
                .map(|members| {
                    let mut t = Tally::default();
                    for r in members {
                        tally(&question.kind, item, r.answers.get(&question.id), &mut t);
                    }
                    t
                })
                .collect();
            let mut overall = Tally::default();
            if breakdown.axis.is_none() {
                // No department or role question: no groups, all answers.
                for r in responses {
                    tally(
                        &question.kind,
                        item,
                        r.answers.get(&question.id),
                        &mut overall,
                    );
                }
            }
            for t in &tallies {
                overall.answered += t.answered;
                for (id, c) in &t.counts {
                    *overall.counts.entry(id.clone()).or_default() += c;
                }
                overall.values.extend(&t.values);
            }
            let bases: Vec<u64> = tallies.iter().map(|t| t.answered).collect();
            let hidden = hide(overall.answered, &bases, &group_hidden, k);
            let mut cells = vec![cell(&question.kind, None, &overall, overall.answered < k)];
            for ((g, t), h) in breakdown.groups.iter().zip(&tallies).zip(&hidden) {
                cells.push(cell(&question.kind, Some(&g.id), t, *h));
            }
            if let Some(own) = qi.axis_of(&question.id) {
                mask_identifier_cells(&qi, own, &breakdown, &mut cells);
            }
            rows.push(RowResult {
                item: item.map(|i| i.id.clone()),
                item_label: item.map(|i| i.label.clone()),
                cells,
            });
        }
        let free_texts = match &question.kind {
            QuestionKind::Text { .. } if options.include_free_texts => {
                let mut texts: Vec<String> = responses
                    .iter()
                    .filter_map(|r| match r.answers.get(&question.id) {
                        Some(Answer::Text(t)) => Some(t.clone()),
                        _ => None,
                    })
                    .collect();
                (texts.len() as u64 >= k).then(|| {
                    texts.sort();
                    texts
                })
            }
            _ => None,
        };
        questions.push(QuestionResult {
            question: question.id.clone(),
            section: section.id.clone(),
            text: question.text.clone(),
            kind: question.kind.question_type(),
            rows,
            free_texts,
        });
    }

    Ok(SurveyResults {
        questionnaire: q.id.clone(),
        version: q.version,
        min_group_size: options.min_group_size,
        responses: (total >= k).then_some(total),
        group_by: breakdown.question,
        groups,
        questions,
    })
}

/// Which groups to hide for one breakdown of `total` answers.
fn hide(total: u64, bases: &[u64], forced: &[bool], k: u64) -> Vec<bool> {
    if total < k {
        vec![true; bases.len()]
    } else {
        suppressed(bases, forced, k)
    }
}

struct Breakdown<'a> {
    question: Option<String>,
    axis: Option<Axis>,
    groups: Vec<ChoiceOption>,
    /// Position of each group along the axis in the protected table.
    positions: Vec<usize>,
    hidden: Vec<bool>,
    members: Vec<Vec<&'a Response>>,
}

impl<'a> Breakdown<'a> {
    /// Breaks down by department (default) or kind of role; other
    /// questions are refused, because only these two are protected as a
    /// table against differencing between reports.
    fn new(
        q: &Questionnaire,
        group_by: Option<&str>,
        responses: &'a [Response],
        qi: &QuasiIdentifiers,
    ) -> Result<Self, SurveyError> {
        let axis = match group_by {
            None => qi.department.as_ref().map(|_| Axis::Department),
            Some(id) => Some(qi.axis_of(id).ok_or(SurveyError::MissingQuestion(
                "Frage nach Fachbereich oder Art der Tätigkeit, nach der gruppiert werden kann",
            ))?),
        };
        let Some(axis) = axis else {
            return Ok(Breakdown {
                question: None,
                axis: None,
                groups: Vec::new(),
                positions: Vec::new(),
                hidden: Vec::new(),
                members: Vec::new(),
            });
        };
        let question = match axis {
            Axis::Department => qi.department.clone(),
            Axis::Role => qi.role.clone(),
        };
        debug_assert!(question.as_deref().and_then(|id| q.question(id)).is_some());
        let options = qi.options(axis);
        let margins = qi.margins(axis);
        let mut members: Vec<Vec<&Response>> = vec![Vec::new(); options.len()];
        for (i, r) in responses.iter().enumerate() {
            members[qi.index(axis, i)].push(r);
        }
        let mut b = Breakdown {
            question,
            axis: Some(axis),
            groups: Vec::new(),
            positions: Vec::new(),
            hidden: Vec::new(),
            members: Vec::new(),
        };
        let last = options.len() - 1;
        for (at, (option, group)) in options.iter().zip(members).enumerate() {
            // The no-answer group appears only when someone is in it.
            if at == last && group.is_empty() {
                continue;
            }
            b.groups.push(option.clone());
            b.positions.push(at);
            b.hidden.push(margins[at].1);
            b.members.push(group);
        }
        Ok(b)
    }
}

/// Hides, in the cells of the department or role question, what the
/// protected table hides: totals of small groups in the overall cell, and
/// the small cells of the department × role table in the per-group cells of
/// the other question.
fn mask_identifier_cells(qi: &QuasiIdentifiers, own: Axis, b: &Breakdown, cells: &mut [Cell]) {
    mask_cell(&mut cells[0], &qi.margins(own));
    if b.axis.is_some_and(|axis| axis != own) {
        let axis = b.axis.unwrap_or(own);
        for (cell, at) in cells[1..].iter_mut().zip(&b.positions) {
            mask_cell(cell, &qi.line(axis, *at));
        }
    }
}

/// Hides in `cell` (one cell of the department or role question) the
/// options that `line` of the protected table hides; `line` runs over the
/// question's options with the no-answer group last.
pub(super) fn mask_cell(cell: &mut Cell, line: &[(u64, bool)]) {
    if cell.suppressed {
        return;
    }
    let (no_answer, no_answer_hidden) = line[line.len() - 1];
    if no_answer_hidden && no_answer > 0 {
        // answered = group size − no answers: hide it, and every share.
        cell.answered = None;
        for o in &mut cell.options {
            o.share = None;
        }
    }
    for (o, (_, hidden)) in cell.options.iter_mut().zip(line) {
        if *hidden {
            o.count = None;
            o.share = None;
        }
    }
}

pub(super) fn tally(
    kind: &QuestionKind,
    item: Option<&ChoiceOption>,
    answer: Option<&Answer>,
    t: &mut Tally,
) {
    match (kind, answer) {
        (QuestionKind::SingleChoice { options }, Some(Answer::Choice(c)))
            if options.get(c).is_some() =>
        {
            t.answered += 1;
            t.add_choice(c);
        }
        (QuestionKind::MultipleChoice { options, .. }, Some(Answer::Choices(cs))) => {
            let known: Vec<&String> = cs.iter().filter(|c| options.get(c).is_some()).collect();
            if !known.is_empty() {
                t.answered += 1;
                for c in known {
                    t.add_choice(c);
                }
            }
        }
        (QuestionKind::Likert { scale }, Some(Answer::Scale(v))) if on_scale(scale, *v) => {
            t.answered += 1;
            t.add_choice(&v.to_string());
            t.values.push(*v as f64);
        }
        (QuestionKind::LikertMatrix { scale, .. }, Some(Answer::Matrix(rows))) => {
            if let Some(v) = item
                .and_then(|i| rows.get(&i.id))
                .filter(|v| on_scale(scale, **v))
            {
                t.answered += 1;
                t.add_choice(&v.to_string());
                t.values.push(*v as f64);
            }
        }
        (QuestionKind::Number { .. }, Some(Answer::Number(x))) if x.is_finite() => {
            t.answered += 1;
            t.values.push(*x);
        }
        (QuestionKind::Text { .. }, Some(Answer::Text(s))) if !s.is_empty() => {
            t.answered += 1;
        }
        _ => {}
    }
}

fn on_scale(scale: &[ScalePoint], v: i64) -> bool {
    scale.iter().any(|p| p.value == v)
}

fn cell(kind: &QuestionKind, group: Option<&str>, t: &Tally, hidden: bool) -> Cell {
    let group = group.map(str::to_string);
    if hidden {
        return Cell {
            group,
            suppressed: true,
            answered: None,
            options: Vec::new(),
            mean: None,
            median: None,
        };
    }
    let share = |count: u64| {
        if t.answered == 0 {
            0.0
        } else {
            count as f64 / t.answered as f64
        }
    };
    let figure = |id: &str, label: &str| {
        let count = t.counts.get(id).copied().unwrap_or(0);
        OptionFigure {
            option: id.to_string(),
            label: label.to_string(),
            count: Some(count),
            share: Some(share(count)),
        }
    };
    let options = match kind {
        QuestionKind::SingleChoice { options } | QuestionKind::MultipleChoice { options, .. } => {
            options
                .list
                .iter()
                .map(|o| figure(&o.id, &o.label))
                .collect()
        }
        QuestionKind::Likert { scale } | QuestionKind::LikertMatrix { scale, .. } => scale
            .iter()
            .map(|p| figure(&p.value.to_string(), &p.label))
            .collect(),
        QuestionKind::Number { .. } | QuestionKind::Text { .. } => Vec::new(),
    };
    Cell {
        group,
        suppressed: false,
        answered: Some(t.answered),
        options,
        mean: mean(&t.values),
        median: median(&t.values),
    }
}

pub(crate) fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

pub(crate) fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if mid * 2 == v.len() {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

impl SurveyResults {
    pub fn question(&self, id: &str) -> Option<&QuestionResult> {
        self.questions.iter().find(|q| q.question == id)
    }
}

impl RowResult {
    /// The cell of a group (`None`: overall).
    pub fn cell(&self, group: Option<&str>) -> Option<&Cell> {
        self.cells.iter().find(|c| c.group.as_deref() == group)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_even_counts_take_the_middle_pair() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[]), None);
        assert_eq!(mean(&[1.0, 2.0]), Some(1.5));
    }
}
