//! The planner: current levels per department × role and the role profiles
//! give the gaps; the catalogue's curated paths, or else the cheapest chain
//! of offers per area, close them; what no offer covers is listed as an
//! uncovered gap (where to buy or create a training). Hours and cost are
//! summed per person, per department and for the whole municipality.
//!
//! Every proposed path is checked by replaying it on the cohort's levels, so
//! it never claims more than its offers teach.

mod search;
mod survey;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::offer::Catalogue;
use super::QualificationError;
use crate::competency::CompetencyModel;
use search::Planner;
pub use survey::{levels_from_survey, SurveyLevels, UnknownChoice};

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

/// Checks cohorts against the model; every problem names the cohort.
pub fn check_cohorts(
    model: &CompetencyModel,
    cohorts: &[Cohort],
) -> Result<(), QualificationError> {
    let max = model.max_level();
    let mut problems = Vec::new();
    for (i, c) in cohorts.iter().enumerate() {
        let name = format!("Zeile {} ({} / {})", i + 1, c.department, c.role);
        if c.department.trim().is_empty() {
            problems.push(format!("{name}: Der Fachbereich fehlt."));
        }
        if model.role_profile(&c.role).is_none() {
            problems.push(format!(
                "{name}: Das Rollenprofil „{}“ gibt es nicht.",
                c.role
            ));
        }
        for (area, &level) in &c.levels {
            if model.area(area).is_none() {
                problems.push(format!(
                    "{name}: Den Kompetenzbereich „{area}“ gibt es nicht."
                ));
            } else if level > max {
                problems.push(format!(
                    "{name}: Die Stufe {level} in „{area}“ gibt es nicht (höchste Stufe: {max})."
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(QualificationError::InvalidPlanInput { problems })
    }
}

/// Plans every cohort and sums up per department and overall.
pub fn plan(
    model: &CompetencyModel,
    catalogue: &Catalogue,
    cohorts: &[Cohort],
) -> Result<Plan, QualificationError> {
    check_cohorts(model, cohorts)?;
    let mut planner = Planner::new(model, catalogue);
    let plans: Vec<CohortPlan> = cohorts.iter().map(|c| planner.plan_cohort(c)).collect();
    let areas = planner.areas.clone();

    let mut departments: Vec<DepartmentPlan> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut gap_sums: Vec<Vec<f64>> = Vec::new();
    for (cohort, p) in cohorts.iter().zip(&plans) {
        let d = *index.entry(p.department.as_str()).or_insert_with(|| {
            departments.push(DepartmentPlan {
                department: p.department.clone(),
                persons: 0,
                persons_with_gaps: 0,
                hours: 0.0,
                cost_eur: 0.0,
                cells: areas
                    .iter()
                    .map(|a| HeatCell {
                        area: a.clone(),
                        persons: 0,
                        below_target: 0,
                        mean_gap: 0.0,
                    })
                    .collect(),
            });
            gap_sums.push(vec![0.0; areas.len()]);
            departments.len() - 1
        });
        let n = u64::from(p.headcount);
        let dept = &mut departments[d];
        dept.persons += n;
        if !p.gaps.is_empty() {
            dept.persons_with_gaps += n;
        }
        dept.hours += p.hours_per_person * n as f64;
        dept.cost_eur += p.cost_per_person * n as f64;
        for (i, area) in areas.iter().enumerate() {
            let current = cohort.levels.get(area).copied().unwrap_or(0);
            let target = model.target(Some(&cohort.role), area);
            dept.cells[i].persons += n;
            if current < target {
                dept.cells[i].below_target += n;
                gap_sums[d][i] += f64::from(target - current) * n as f64;
            }
        }
    }
    for (dept, sums) in departments.iter_mut().zip(&gap_sums) {
        for (cell, sum) in dept.cells.iter_mut().zip(sums) {
            if cell.persons > 0 {
                cell.mean_gap = sum / cell.persons as f64;
            }
        }
    }

    let mut uncovered: BTreeMap<(usize, u8, u8), UncoveredNeed> = BTreeMap::new();
    for p in &plans {
        for g in p.uncovered() {
            let i = areas.iter().position(|a| a == &g.area).unwrap_or(0);
            let need = uncovered
                .entry((i, g.reachable, g.target))
                .or_insert_with(|| UncoveredNeed {
                    area: g.area.clone(),
                    from: g.reachable,
                    to: g.target,
                    persons: 0,
                    departments: Vec::new(),
                });
            need.persons += u64::from(p.headcount);
            if !need.departments.contains(&p.department) {
                need.departments.push(p.department.clone());
            }
        }
    }

    Ok(Plan {
        persons: departments.iter().map(|d| d.persons).sum(),
        persons_with_gaps: departments.iter().map(|d| d.persons_with_gaps).sum(),
        hours: departments.iter().map(|d| d.hours).sum(),
        cost_eur: departments.iter().map(|d| d.cost_eur).sum(),
        areas,
        cohorts: plans,
        departments,
        uncovered: uncovered.into_values().collect(),
    })
}

#[cfg(test)]
mod tests;
