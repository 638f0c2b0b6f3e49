//! A change a person makes to a duty, checked field by field: dates must
//! be dates, `not_applicable` needs a reason, and `fulfilled` needs
//! evidence (a file already uploaded or a link), because a duty ticked off
//! without proof is what the tracking is meant to prevent.

use super::evidence::EvidenceLink;
use super::{DutyStatus, DutyTask};
use crate::usecase::is_iso_date;

/// Longest reason accepted.
pub const MAX_REASON_CHARS: usize = 2000;

/// What a person sets on a duty; everything else follows from the
/// classification. `due: None` goes back to the derived date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DutyUpdate {
    pub owner: Option<i64>,
    pub due: Option<String>,
    pub status: DutyStatus,
    pub reason: String,
    pub evidence_link: Option<String>,
    pub review_on: Option<String>,
}

/// A refusal naming the field (`due`, `review_on`, `reason`,
/// `evidence_link`), in German.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DutyProblem {
    pub field: &'static str,
    pub message: String,
}

fn problem(field: &'static str, message: impl Into<String>) -> DutyProblem {
    DutyProblem {
        field,
        message: message.into(),
    }
}

fn date(
    field: &'static str,
    label: &str,
    value: Option<&str>,
) -> Result<Option<String>, DutyProblem> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if is_iso_date(v) => Ok(Some(v.to_owned())),
        Some(v) => Err(problem(
            field,
            format!("{label}: „{v}“ ist kein Datum der Form JJJJ-MM-TT."),
        )),
    }
}

impl DutyUpdate {
    /// The task with this change, or the first thing wrong with it. The
    /// uploaded file stays; an empty link removes the link.
    pub fn apply(&self, task: &DutyTask) -> Result<DutyTask, DutyProblem> {
        let due = date("due", "Fällig am", self.due.as_deref())?;
        let review_on = date("review_on", "Überprüfen am", self.review_on.as_deref())?;
        let reason = self.reason.trim().to_owned();
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(problem(
                "reason",
                format!("Die Begründung ist länger als {MAX_REASON_CHARS} Zeichen."),
            ));
        }
        let evidence_link = match self.evidence_link.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(l) => Some(EvidenceLink::parse(l).map_err(|m| problem("evidence_link", m))?),
        };
        if self.status == DutyStatus::NotApplicable && reason.is_empty() {
            return Err(problem(
                "reason",
                "Bitte begründen, warum die Pflicht nicht anwendbar ist.",
            ));
        }
        if self.status == DutyStatus::Fulfilled
            && task.evidence_file.is_none()
            && evidence_link.is_none()
        {
            return Err(problem(
                "evidence_link",
                "Für „erfüllt“ bitte einen Nachweis hochladen oder einen Link auf den Nachweis angeben.",
            ));
        }
        let mut next = task.clone();
        next.owner = self.owner;
        next.due_set = due.is_some();
        if let Some(d) = due {
            next.due = d;
        }
        next.status = self.status;
        next.reason = reason;
        next.evidence_link = evidence_link;
        next.review_on = review_on;
        Ok(next)
    }
}
