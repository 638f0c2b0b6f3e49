//! Current levels taken over from a survey. A department whose answers are
//! suppressed (fewer than k) has no known level: the planner must not read
//! that as level 0, so the department is reported as unknown and the
//! project team chooses what to do with it ([`UnknownChoice`]).

use std::collections::BTreeMap;

use crate::survey::gaps::{CompetencyGaps, GroupGaps};

/// What the survey says about current levels.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SurveyLevels {
    /// The areas the survey asks about; others it says nothing about.
    pub asked: Vec<String>,
    /// The mean level of all responses per area (the organisation-wide
    /// level), where it is not suppressed itself.
    pub organisation: BTreeMap<String, u8>,
    /// Per department (its label): the areas with a known level.
    pub departments: BTreeMap<String, BTreeMap<String, u8>>,
}

/// What to do with a department (or the areas of one) the survey gives no
/// level for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownChoice {
    /// Take the organisation-wide level.
    Organisation,
    /// Take this level, as the project team knows it.
    Level(u8),
    /// Leave the department out of the plan.
    LeaveOut,
}

/// A level as the planner uses it: the mean, rounded down (a half-reached
/// level is not reached).
fn level(mean: f64) -> u8 {
    mean.floor().clamp(0.0, 8.0) as u8
}

fn known_levels(group: &GroupGaps) -> BTreeMap<String, u8> {
    group
        .areas
        .iter()
        .filter(|a| !a.suppressed)
        .filter_map(|a| a.mean_level.map(|m| (a.area.clone(), level(m))))
        .collect()
}

/// The known levels per department and for the whole organisation.
/// Suppressed areas are left out; see [`SurveyLevels::unknown_areas`].
pub fn levels_from_survey(gaps: &CompetencyGaps) -> SurveyLevels {
    SurveyLevels {
        asked: gaps.areas.iter().map(|a| a.id.clone()).collect(),
        organisation: gaps
            .groups
            .iter()
            .find(|g| g.group.is_none())
            .map(known_levels)
            .unwrap_or_default(),
        departments: gaps
            .groups
            .iter()
            .filter(|g| g.group.is_some())
            .map(|g| (g.label.clone(), known_levels(g)))
            .collect(),
    }
}

impl SurveyLevels {
    /// The areas of `areas` the survey asks about but gives `department` no
    /// level for: all of them when the department is missing or wholly
    /// suppressed.
    pub fn unknown_areas<'a>(&self, department: &str, areas: &'a [String]) -> Vec<&'a str> {
        let known = self.departments.get(department);
        areas
            .iter()
            .filter(|a| self.asked.contains(a))
            .filter(|a| known.is_none_or(|k| !k.contains_key(a.as_str())))
            .map(String::as_str)
            .collect()
    }

    /// The levels of `department` with its unknown areas filled as chosen;
    /// `None` when it is left out. Areas the organisation-wide level does
    /// not know either stay out (the planner's CSV shows them as 0 to edit).
    pub fn resolve(
        &self,
        department: &str,
        areas: &[String],
        choice: UnknownChoice,
    ) -> Option<BTreeMap<String, u8>> {
        let mut levels = self
            .departments
            .get(department)
            .cloned()
            .unwrap_or_default();
        for area in self.unknown_areas(department, areas) {
            let filled = match choice {
                UnknownChoice::LeaveOut => return None,
                UnknownChoice::Level(n) => Some(n),
                UnknownChoice::Organisation => self.organisation.get(area).copied(),
            };
            if let Some(n) = filled {
                levels.insert(area.to_owned(), n);
            }
        }
        Some(levels)
    }
}
