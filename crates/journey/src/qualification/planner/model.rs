//! What the planner takes and gives: cohorts with their levels, and the plan
//! per cohort, department and municipality.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// People of one role in one department who share their current levels.
/// A cohort may be a single person (`headcount: 1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cohort {
    pub department: String,
    pub role: String,
    pub headcount: u32,
    /// Current level per area; missing areas count as 0.
    #[serde(default)]
    pub levels: BTreeMap<String, u8>,
}

/// The distance between where a cohort stands and its target in one area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    pub area: String,
    pub current: u8,
    pub target: u8,
    /// The level the proposed path reaches; below `target` means uncovered.
    pub reachable: u8,
}

impl Gap {
    pub fn is_covered(&self) -> bool {
        self.reachable >= self.target
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelChange {
    pub area: String,
    pub from: u8,
    pub to: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposedStep {
    pub offer: String,
    pub title: String,
    pub hours: f64,
    pub cost_eur: Option<f64>,
    /// What the step raises for this cohort.
    pub raises: Vec<LevelChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposedPath {
    /// The curated learning path this follows, or `None` when the planner
    /// composed it from single offers.
    pub curated: Option<String>,
    pub steps: Vec<ProposedStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortPlan {
    pub department: String,
    pub role: String,
    pub headcount: u32,
    /// Only areas below target.
    pub gaps: Vec<Gap>,
    pub path: ProposedPath,
    pub hours_per_person: f64,
    pub cost_per_person: f64,
    /// Steps whose offer has no known price (counted as 0 €).
    pub unknown_costs: usize,
}

impl CohortPlan {
    pub fn uncovered(&self) -> impl Iterator<Item = &Gap> {
        self.gaps.iter().filter(|g| !g.is_covered())
    }
}

/// One cell of the heat map: a department in an area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeatCell {
    pub area: String,
    pub persons: u64,
    pub below_target: u64,
    /// Headcount-weighted mean of max(0, target − current).
    pub mean_gap: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepartmentPlan {
    pub department: String,
    pub persons: u64,
    pub persons_with_gaps: u64,
    pub hours: f64,
    pub cost_eur: f64,
    pub cells: Vec<HeatCell>,
}

/// Gaps no offer closes, summed over cohorts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UncoveredNeed {
    pub area: String,
    /// From this level (what offers reach) …
    pub from: u8,
    /// … to this target.
    pub to: u8,
    pub persons: u64,
    pub departments: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub areas: Vec<String>,
    pub cohorts: Vec<CohortPlan>,
    pub departments: Vec<DepartmentPlan>,
    pub uncovered: Vec<UncoveredNeed>,
    pub persons: u64,
    pub persons_with_gaps: u64,
    pub hours: f64,
    pub cost_eur: f64,
}
