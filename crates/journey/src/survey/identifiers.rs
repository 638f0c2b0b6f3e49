//! Department and kind of role are the answers that could single a person
//! out (quasi-identifiers). Their two-way table of counts is protected once
//! ([`protect_table`]) and every output takes its hidden parts from there:
//! the group sizes of a breakdown by department (row totals) or by role
//! (column totals), the distribution of either question, the role
//! distribution inside a department and the department distribution inside
//! a role, and the coarsening of the answer-level export. So no two outputs
//! can be subtracted from each other to reveal a small group.

use super::model::{ChoiceOption, Questionnaire};
use super::response::Response;
use super::suppress::{protect_table, TableSuppression};

/// The group of answers that name no (or no longer known) department or
/// role; it is part of every axis.
pub const NO_GROUP: &str = "ohne_angabe";

/// Rows are departments, columns kinds of role; the last row and the last
/// column collect responses without (a known) answer.
#[derive(Debug, Clone)]
pub struct QuasiIdentifiers {
    pub department: Option<String>,
    pub role: Option<String>,
    /// Department options followed by [`NO_GROUP`].
    pub rows: Vec<ChoiceOption>,
    /// Role options followed by [`NO_GROUP`].
    pub cols: Vec<ChoiceOption>,
    /// Row and column of each response, in input order.
    pub position: Vec<(usize, usize)>,
    pub counts: Vec<Vec<u64>>,
    pub hidden: TableSuppression,
}

/// Which of the two questions a breakdown follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    Department,
    Role,
}

impl QuasiIdentifiers {
    pub fn new(q: &Questionnaire, responses: &[Response], k: u64) -> Self {
        let no_answer = ChoiceOption::new(NO_GROUP, "Ohne Angabe");
        let options = |question: Option<&super::model::Question>| -> Vec<ChoiceOption> {
            let mut list = question
                .and_then(|q| q.kind.options())
                .map(|o| o.list.clone())
                .unwrap_or_default();
            list.push(no_answer.clone());
            list
        };
        let department = q.department_question();
        let role = q.role_question();
        let rows = options(department);
        let cols = options(role);
        let index =
            |list: &[ChoiceOption], question: Option<&super::model::Question>, r: &Response| {
                question
                    .and_then(|q| r.choice(&q.id))
                    .and_then(|c| list[..list.len() - 1].iter().position(|o| o.id == c))
                    .unwrap_or(list.len() - 1)
            };
        let mut counts = vec![vec![0u64; cols.len()]; rows.len()];
        let position: Vec<(usize, usize)> = responses
            .iter()
            .map(|r| {
                let at = (index(&rows, department, r), index(&cols, role, r));
                counts[at.0][at.1] += 1;
                at
            })
            .collect();
        let hidden = protect_table(&counts, k);
        QuasiIdentifiers {
            department: department.map(|q| q.id.clone()),
            role: role.map(|q| q.id.clone()),
            rows,
            cols,
            position,
            counts,
            hidden,
        }
    }

    /// The axis a question id belongs to, if it is one of the two.
    pub fn axis_of(&self, question: &str) -> Option<Axis> {
        if self.department.as_deref() == Some(question) {
            Some(Axis::Department)
        } else if self.role.as_deref() == Some(question) {
            Some(Axis::Role)
        } else {
            None
        }
    }

    /// Options (with the no-answer group last) of an axis.
    pub fn options(&self, axis: Axis) -> &[ChoiceOption] {
        match axis {
            Axis::Department => &self.rows,
            Axis::Role => &self.cols,
        }
    }

    /// Totals and whether each is hidden, along an axis.
    pub fn margins(&self, axis: Axis) -> Vec<(u64, bool)> {
        match axis {
            Axis::Department => self
                .counts
                .iter()
                .zip(&self.hidden.rows)
                .map(|(r, h)| (r.iter().sum(), *h))
                .collect(),
            Axis::Role => (0..self.cols.len())
                .map(|j| (self.counts.iter().map(|r| r[j]).sum(), self.hidden.cols[j]))
                .collect(),
        }
    }

    /// The line of the table at position `at` of `axis`, running along the
    /// other axis: (count, hidden) per option of the other axis.
    pub fn line(&self, axis: Axis, at: usize) -> Vec<(u64, bool)> {
        match axis {
            Axis::Department => self.counts[at]
                .iter()
                .zip(&self.hidden.cells[at])
                .map(|(n, h)| (*n, *h))
                .collect(),
            Axis::Role => self
                .counts
                .iter()
                .zip(&self.hidden.cells)
                .map(|(r, h)| (r[at], h[at]))
                .collect(),
        }
    }

    /// Position of response `i` along an axis.
    pub fn index(&self, axis: Axis, i: usize) -> usize {
        match axis {
            Axis::Department => self.position[i].0,
            Axis::Role => self.position[i].1,
        }
    }
}
