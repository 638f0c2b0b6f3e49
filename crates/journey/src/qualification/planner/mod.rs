//! The planner: current levels per department × role and the role profiles
//! give the gaps; the catalogue's curated paths, or else the cheapest chain
//! of offers per area, close them; what no offer covers is listed as an
//! uncovered gap (where to buy or create a training). Hours and cost are
//! summed per person, per department and for the whole municipality.
//!
//! Every proposed path is checked by replaying it on the cohort's levels, so
//! it never claims more than its offers teach.

pub mod csv_input;
mod model;
mod search;
mod survey;

use std::collections::{BTreeMap, HashMap};

use super::catalogue::Catalogue;
use super::QualificationError;
use crate::competency::CompetencyModel;
pub use model::{
    Cohort, CohortPlan, DepartmentPlan, Gap, HeatCell, LevelChange, Plan, ProposedPath,
    ProposedStep, UncoveredNeed,
};
use search::Planner;
pub use survey::{levels_from_survey, SurveyLevels, UnknownChoice};

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
