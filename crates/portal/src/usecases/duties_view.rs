//! How a duty reads on a page (the use case's section, its duties page
//! and the overview across all use cases): German dates and labels, the
//! owner's name, and whether it is overdue.

use std::collections::HashMap;

use journey::date::german;
use journey::usecase::duties::DutyTask;

pub struct DutyRow {
    pub use_case: String,
    pub duty: String,
    pub title: String,
    pub articles: String,
    pub applies_from: String,
    /// ISO, for a date input.
    pub due: String,
    pub due_de: String,
    pub due_set: bool,
    pub status: &'static str,
    pub status_label: &'static str,
    pub owner: Option<i64>,
    pub owner_name: String,
    pub reason: String,
    pub link: String,
    pub file_name: String,
    pub file_kind: &'static str,
    pub review_on: String,
    pub review_on_de: String,
    pub current: bool,
    pub overdue: bool,
    pub review_due: bool,
}

impl DutyRow {
    pub fn new(t: &DutyTask, names: &HashMap<i64, String>, today: &str) -> DutyRow {
        DutyRow {
            use_case: t.use_case.clone(),
            duty: t.duty.clone(),
            title: t.title.clone(),
            articles: t.articles.join(", "),
            applies_from: german(&t.applies_from),
            due: t.due.clone(),
            due_de: german(&t.due),
            due_set: t.due_set,
            status: t.status.key(),
            status_label: t.status.label(),
            owner: t.owner,
            owner_name: t
                .owner
                .and_then(|o| names.get(&o).cloned())
                .unwrap_or_default(),
            reason: t.reason.clone(),
            link: t
                .evidence_link
                .as_ref()
                .map(|l| l.as_str().to_owned())
                .unwrap_or_default(),
            file_name: t
                .evidence_file
                .as_ref()
                .map(|f| f.name.clone())
                .unwrap_or_default(),
            file_kind: t.evidence_file.as_ref().map_or("", |f| f.kind.label()),
            review_on: t.review_on.clone().unwrap_or_default(),
            review_on_de: t.review_on.as_deref().map(german).unwrap_or_default(),
            current: t.current,
            overdue: t.is_overdue(today),
            review_due: t.review_due(today),
        }
    }

    pub fn owned_by(&self, account: &i64) -> bool {
        self.owner == Some(*account)
    }

    /// Where the evidence file is downloaded (same permission as the page).
    pub fn file_url(&self) -> String {
        format!(
            "/anwendungsfaelle/{}/pflichten/{}/nachweis",
            self.use_case, self.duty
        )
    }
}
