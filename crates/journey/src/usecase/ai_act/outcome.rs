//! What a conclusion leads to: its obligations and those the answers on the
//! way attached, filtered by their conditions and dated, with the notes
//! whose conditions hold.

use std::collections::BTreeSet;

use super::tree::{Answer, ApplicationDate, Conclusion, DecisionTree, Note, Obligation, Role};

/// An obligation with the date from which it applies.
#[derive(Debug, Clone, Copy)]
pub struct DatedObligation<'t> {
    pub obligation: &'t Obligation,
    pub applies_from: &'t ApplicationDate,
}

#[derive(Debug, Clone)]
pub struct Outcome<'t> {
    pub conclusion: &'t Conclusion,
    /// The obligations of everyone first, then the provider's, then the
    /// deployer's; within each, the conclusion's before those the answers
    /// attached; without repeats and without those whose `when` fails.
    pub obligations: Vec<DatedObligation<'t>>,
    /// Notes whose condition holds, in the order of the tree.
    pub notes: Vec<&'t Note>,
}

impl Outcome<'_> {
    /// The conclusion's summary followed by its notes.
    pub fn summary(&self) -> String {
        join_summary(
            &self.conclusion.summary,
            self.notes.iter().map(|n| n.text.as_str()),
        )
    }
}

pub(super) fn join_summary<'a>(summary: &str, notes: impl Iterator<Item = &'a str>) -> String {
    let mut s = summary.trim().to_owned();
    for n in notes {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(n.trim());
    }
    s
}

impl DecisionTree {
    pub(super) fn outcome<'t>(
        &'t self,
        conclusion: &'t Conclusion,
        answered: impl IntoIterator<Item = &'t Answer>,
        labels: &[String],
    ) -> Result<Outcome<'t>, String> {
        let set: BTreeSet<&str> = labels.iter().map(String::as_str).collect();
        let mut seen = BTreeSet::new();
        let mut obligations = Vec::new();
        let ids = conclusion
            .obligations
            .iter()
            .chain(answered.into_iter().flat_map(|a| &a.obligations));
        for id in ids {
            if !seen.insert(id.as_str()) {
                continue;
            }
            let obligation = self
                .obligation(id)
                .ok_or_else(|| format!("nennt die unbekannte Pflicht „{id}“"))?;
            let applies_from = self.date(&obligation.applies_from).ok_or_else(|| {
                format!(
                    "die Pflicht „{id}“ nennt das unbekannte Datum „{}“",
                    obligation.applies_from
                )
            })?;
            if obligation.when.as_ref().is_some_and(|w| !w.holds(&set)) {
                continue;
            }
            obligations.push(DatedObligation {
                obligation,
                applies_from,
            });
        }
        // Stable: keeps the tree's order within each group.
        obligations.sort_by_key(|o| match o.obligation.duty_of {
            None => 0,
            Some(Role::Provider) => 1,
            Some(Role::Deployer) => 2,
        });
        Ok(Outcome {
            conclusion,
            obligations,
            notes: self.notes.iter().filter(|n| n.when.holds(&set)).collect(),
        })
    }
}
