//! Where a use case stands in its workflow, and the allowed moves.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a use case stands. The workflow of issue 7:
/// idea → assessed → approved → pilot → evaluated → operating, and stopped
/// from anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Idea,
    Assessed,
    Approved,
    Pilot,
    Evaluated,
    Operating,
    Stopped,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Idea,
        Status::Assessed,
        Status::Approved,
        Status::Pilot,
        Status::Evaluated,
        Status::Operating,
        Status::Stopped,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Status::Idea => "Idee",
            Status::Assessed => "Bewertet",
            Status::Approved => "Freigegeben",
            Status::Pilot => "In Pilotierung",
            Status::Evaluated => "Evaluiert",
            Status::Operating => "Im Betrieb",
            Status::Stopped => "Gestoppt",
        }
    }

    /// The statuses a use case may move to from this one. Going back one step
    /// is allowed where rework is normal (an assessment revised, a pilot
    /// extended); a stopped use case can be reopened as an idea.
    pub fn allowed_next(self) -> &'static [Status] {
        match self {
            Status::Idea => &[Status::Assessed, Status::Stopped],
            Status::Assessed => &[Status::Approved, Status::Idea, Status::Stopped],
            Status::Approved => &[Status::Pilot, Status::Assessed, Status::Stopped],
            Status::Pilot => &[Status::Evaluated, Status::Stopped],
            Status::Evaluated => &[Status::Operating, Status::Pilot, Status::Stopped],
            Status::Operating => &[Status::Stopped],
            Status::Stopped => &[Status::Idea],
        }
    }

    pub fn can_move_to(self, to: Status) -> bool {
        self.allowed_next().contains(&to)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub from: Status,
    pub to: Status,
    /// When, as the caller's timestamp (this crate has no clock).
    pub at: String,
    #[serde(default)]
    pub reason: String,
}
