//! From classification to tasks: which duties a use case has and by when,
//! and how they merge with the tasks already kept when the classification
//! or the pilot's start changes.

use super::{DutyStatus, DutyTask};
use crate::usecase::ai_act::{Classification, DecisionTree, Role};
use crate::usecase::is_iso_date;

/// A duty as the classification and the tree give it, with its due date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedDuty {
    pub duty: String,
    pub title: String,
    pub articles: Vec<String>,
    pub duty_of: Option<Role>,
    pub applies_from: String,
    pub due: String,
}

impl DerivedDuty {
    /// The duty as a new task: open, nobody's, due when derived.
    pub fn open_task(&self, use_case: &str) -> DutyTask {
        DutyTask {
            use_case: use_case.to_owned(),
            duty: self.duty.clone(),
            title: self.title.clone(),
            articles: self.articles.clone(),
            duty_of: self.duty_of,
            applies_from: self.applies_from.clone(),
            owner: None,
            due: self.due.clone(),
            due_set: false,
            status: DutyStatus::Open,
            reason: String::new(),
            evidence_file: None,
            evidence_link: None,
            review_on: None,
            current: true,
        }
    }
}

/// The duties of a classification, each due when the AI Act applies it,
/// or, where the use is to start later, by the pilot's start: a duty must
/// be met before the system is used, but not before the law asks for it.
/// Obligations the tree no longer knows are left out (the classification
/// is flagged for review then, and the kept task is marked as no longer
/// listed).
pub fn derive(
    tree: &DecisionTree,
    classification: Option<&Classification>,
    pilot_start: Option<&str>,
) -> Vec<DerivedDuty> {
    let Some(c) = classification else {
        return Vec::new();
    };
    let start = pilot_start.map(str::trim).filter(|s| is_iso_date(s));
    c.obligations
        .iter()
        .filter_map(|id| {
            let o = tree.obligation(id)?;
            let applies_from = tree.date(&o.applies_from)?.date.clone();
            let due = match start {
                Some(s) if s > applies_from.as_str() => s.to_owned(),
                _ => applies_from.clone(),
            };
            Some(DerivedDuty {
                duty: o.id.clone(),
                title: o.title.clone(),
                articles: o.articles.clone(),
                duty_of: o.duty_of,
                applies_from,
                due,
            })
        })
        .collect()
}

/// The tasks of a use case after its duties were derived anew: a new duty
/// becomes an open task without owner; a kept one takes the tree's title
/// and dates (its due date only while no person set one) and keeps owner,
/// status, reason, evidence and review date; one no longer derived is
/// marked as such and kept, so no evidence and no decision is lost. The
/// derived duties come first, in the classification's order.
pub fn synchronise(
    use_case: &str,
    existing: &[DutyTask],
    derived: &[DerivedDuty],
) -> Vec<DutyTask> {
    let mut tasks: Vec<DutyTask> = derived
        .iter()
        .map(|d| {
            let kept = existing.iter().find(|t| t.duty == d.duty);
            let mut task = kept.cloned().unwrap_or_else(|| d.open_task(use_case));
            task.title.clone_from(&d.title);
            task.articles.clone_from(&d.articles);
            task.duty_of = d.duty_of;
            task.applies_from.clone_from(&d.applies_from);
            if !task.due_set {
                task.due.clone_from(&d.due);
            }
            task.current = true;
            task
        })
        .collect();
    tasks.extend(
        existing
            .iter()
            .filter(|t| !derived.iter().any(|d| d.duty == t.duty))
            .map(|t| DutyTask {
                current: false,
                ..t.clone()
            }),
    );
    tasks
}
