//! The AI Act duties of a use case as tracked tasks: each obligation the
//! classification lists gets an owner, a due date, a status, evidence (an
//! uploaded file or a link) and a review date, after the Dutch Algorithm
//! Management Toolkit.
//!
//! Files: [`sync`] derives the duties from the classification and merges
//! them with the tasks already kept (nothing a person entered is lost),
//! [`update`] checks a change a person makes, [`evidence`] recognises an
//! uploaded file by its content and cleans its name, and this file holds
//! the task itself and when it is overdue.

pub mod evidence;
pub mod sync;
pub mod update;

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ai_act::Role;
pub use evidence::{EvidenceFile, EvidenceKind, EvidenceLink, StoredName};
pub use sync::{derive, synchronise, DerivedDuty};
pub use update::{DutyProblem, DutyUpdate};

/// Where a duty stands. A duty that is `not_applicable` carries the reason
/// why; one that is `fulfilled` carries evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DutyStatus {
    Open,
    InProgress,
    Fulfilled,
    NotApplicable,
}

impl DutyStatus {
    pub const ALL: [DutyStatus; 4] = [
        DutyStatus::Open,
        DutyStatus::InProgress,
        DutyStatus::Fulfilled,
        DutyStatus::NotApplicable,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DutyStatus::Open => "offen",
            DutyStatus::InProgress => "in Arbeit",
            DutyStatus::Fulfilled => "erfüllt",
            DutyStatus::NotApplicable => "nicht anwendbar",
        }
    }

    /// The code name used in the API and the database (`in_progress`).
    pub fn key(self) -> &'static str {
        match self {
            DutyStatus::Open => "open",
            DutyStatus::InProgress => "in_progress",
            DutyStatus::Fulfilled => "fulfilled",
            DutyStatus::NotApplicable => "not_applicable",
        }
    }

    pub fn from_key(key: &str) -> Option<DutyStatus> {
        DutyStatus::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Whether nothing more is to be done (until the review date).
    pub fn is_settled(self) -> bool {
        matches!(self, DutyStatus::Fulfilled | DutyStatus::NotApplicable)
    }
}

impl fmt::Display for DutyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One duty of one use case as a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyTask {
    pub use_case: String,
    /// The obligation's id in the decision tree (`art-27`).
    pub duty: String,
    pub title: String,
    pub articles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duty_of: Option<Role>,
    /// ISO date from which the AI Act applies the duty.
    pub applies_from: String,
    /// The portal user who sees to it.
    pub owner: Option<i64>,
    /// ISO date by which it is to be done.
    pub due: String,
    /// True once a person set `due`; the derived date no longer replaces it.
    pub due_set: bool,
    pub status: DutyStatus,
    /// Why the duty does not apply; required for `not_applicable`.
    pub reason: String,
    pub evidence_file: Option<EvidenceFile>,
    pub evidence_link: Option<EvidenceLink>,
    /// ISO date on which the evidence is to be checked again.
    pub review_on: Option<String>,
    /// False once the classification no longer lists the duty; the task
    /// stays with all that was entered, marked instead of deleted.
    pub current: bool,
}

impl DutyTask {
    pub fn has_evidence(&self) -> bool {
        self.evidence_file.is_some() || self.evidence_link.is_some()
    }

    /// Due before `today` (ISO) and not settled, for a duty the
    /// classification still lists.
    pub fn is_overdue(&self, today: &str) -> bool {
        self.current && !self.status.is_settled() && self.due.as_str() < today
    }

    /// Settled, but the review date has come.
    pub fn review_due(&self, today: &str) -> bool {
        self.current
            && self.status.is_settled()
            && self.review_on.as_deref().is_some_and(|r| r <= today)
    }
}

/// The order of an overview: overdue duties first (oldest due date
/// first), then the open ones by due date, then the settled ones, and
/// those the classification no longer lists last.
pub fn overview_order(tasks: &mut [DutyTask], today: &str) {
    tasks.sort_by(|a, b| {
        let rank = |t: &DutyTask| {
            if !t.current {
                3
            } else if t.is_overdue(today) {
                0
            } else if t.status.is_settled() {
                2
            } else {
                1
            }
        };
        (rank(a), &a.due, &a.use_case, &a.duty).cmp(&(rank(b), &b.due, &b.use_case, &b.duty))
    });
}

#[cfg(test)]
mod tests;
