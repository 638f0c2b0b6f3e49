//! The planner: current levels per department × role and the role profiles
//! give the gaps; the catalogue's curated paths, or else the cheapest chain
//! of offers per area, close them; what no offer covers is listed as an
//! uncovered gap (where to buy or create a training). Hours and cost are
//! summed per person, per department and for the whole municipality.
//!
//! Every proposed path is checked by replaying it on the cohort's levels, so
//! it never claims more than its offers teach.

use std::collections::{BTreeMap, BinaryHeap, HashMap};

use serde::{Deserialize, Serialize};

use super::offer::{Catalogue, LearningOffer};
use super::QualificationError;
use crate::competency::CompetencyModel;

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

/// The cheapest way (by cost, then hours) through one area's levels.
#[derive(Debug, Clone)]
struct Chain {
    offers: Vec<usize>,
    reached: u8,
}

/// Offers teaching one area, as edges between levels.
struct AreaGraph {
    /// (offer index, from, to, cost, hours)
    edges: Vec<(usize, u8, u8, f64, f64)>,
}

#[derive(PartialEq)]
struct Frontier {
    cost: f64,
    hours: f64,
    level: u8,
}

impl Eq for Frontier {}

impl Ord for Frontier {
    // BinaryHeap is a max-heap; the cheapest must come out first.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other
            .cost
            .total_cmp(&self.cost)
            .then_with(|| other.hours.total_cmp(&self.hours))
            .then_with(|| self.level.cmp(&other.level))
    }
}

impl PartialOrd for Frontier {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl AreaGraph {
    /// Dijkstra over levels `current..=max`: the cheapest chain to `target`,
    /// or, when `target` cannot be reached, to the highest reachable level.
    fn chain(&self, current: u8, target: u8, max: u8) -> Chain {
        let n = usize::from(max) + 1;
        let mut best: Vec<Option<(f64, f64)>> = vec![None; n];
        let mut via: Vec<Option<(usize, u8)>> = vec![None; n];
        let mut heap = BinaryHeap::new();
        best[usize::from(current)] = Some((0.0, 0.0));
        heap.push(Frontier {
            cost: 0.0,
            hours: 0.0,
            level: current,
        });
        while let Some(Frontier { cost, hours, level }) = heap.pop() {
            if best[usize::from(level)].is_some_and(|(c, h)| (c, h) < (cost, hours)) {
                continue;
            }
            for &(offer, from, to, c, h) in &self.edges {
                if from <= level && level < to && to <= max {
                    let next = (cost + c, hours + h);
                    let slot = &mut best[usize::from(to)];
                    if slot.is_none_or(|old| next < old) {
                        *slot = Some(next);
                        via[usize::from(to)] = Some((offer, level));
                        heap.push(Frontier {
                            cost: next.0,
                            hours: next.1,
                            level: to,
                        });
                    }
                }
            }
        }
        // The cheapest level at or above target; else the highest reachable.
        let goal = (target..=max)
            .filter(|&l| best[usize::from(l)].is_some())
            .min_by(|&a, &b| {
                let (ca, ha) = best[usize::from(a)].unwrap_or_default();
                let (cb, hb) = best[usize::from(b)].unwrap_or_default();
                ca.total_cmp(&cb).then(ha.total_cmp(&hb)).then(a.cmp(&b))
            })
            .or_else(|| {
                (current..target)
                    .rev()
                    .find(|&l| best[usize::from(l)].is_some())
            })
            .unwrap_or(current);
        let mut offers = Vec::new();
        let mut level = goal;
        while let Some((offer, prev)) = via[usize::from(level)] {
            if level == current {
                break;
            }
            offers.push(offer);
            level = prev;
        }
        offers.reverse();
        Chain {
            offers,
            reached: goal,
        }
    }
}

/// Replays offers in order on `levels`, returning the steps that raised
/// something (others are dropped: the cohort knows that already).
fn replay(offers: &[&LearningOffer], levels: &mut BTreeMap<String, u8>) -> Vec<ProposedStep> {
    let mut steps = Vec::new();
    for offer in offers {
        let mut raises = Vec::new();
        for (area, level) in levels.iter_mut() {
            let after = offer.apply(area, *level);
            if after > *level {
                raises.push(LevelChange {
                    area: area.clone(),
                    from: *level,
                    to: after,
                });
                *level = after;
            }
        }
        if !raises.is_empty() {
            steps.push(ProposedStep {
                offer: offer.id.clone(),
                title: offer.title.clone(),
                hours: offer.duration_hours,
                cost_eur: offer.cost_eur,
                raises,
            });
        }
    }
    steps
}

fn path_cost(steps: &[ProposedStep]) -> (f64, f64) {
    steps.iter().fold((0.0, 0.0), |(c, h), s| {
        (c + s.cost_eur.unwrap_or(0.0), h + s.hours)
    })
}

struct Planner<'a> {
    model: &'a CompetencyModel,
    catalogue: &'a Catalogue,
    areas: Vec<String>,
    graphs: HashMap<&'a str, AreaGraph>,
    /// Chains depend only on (area, current, target): computed once.
    chains: HashMap<(usize, u8, u8), Chain>,
}

impl<'a> Planner<'a> {
    fn new(model: &'a CompetencyModel, catalogue: &'a Catalogue) -> Planner<'a> {
        let mut graphs: HashMap<&str, AreaGraph> = model
            .areas
            .iter()
            .map(|a| (a.id.as_str(), AreaGraph { edges: Vec::new() }))
            .collect();
        for (i, offer) in catalogue.offers.iter().enumerate() {
            for c in &offer.covers {
                if let Some(g) = graphs.get_mut(c.area.as_str()) {
                    g.edges
                        .push((i, c.from, c.to, offer.cost_or_zero(), offer.duration_hours));
                }
            }
        }
        Planner {
            model,
            catalogue,
            areas: model.areas.iter().map(|a| a.id.clone()).collect(),
            graphs,
            chains: HashMap::new(),
        }
    }

    fn chain(&mut self, area_index: usize, current: u8, target: u8) -> Chain {
        let max = self.model.max_level();
        let area = self.areas[area_index].as_str();
        let graph = &self.graphs[area];
        self.chains
            .entry((area_index, current, target))
            .or_insert_with(|| graph.chain(current, target, max))
            .clone()
    }

    fn plan_cohort(&mut self, cohort: &Cohort) -> CohortPlan {
        let current: BTreeMap<String, u8> = self
            .areas
            .iter()
            .map(|a| (a.clone(), cohort.levels.get(a).copied().unwrap_or(0)))
            .collect();
        let targets: Vec<u8> = self
            .areas
            .iter()
            .map(|a| self.model.target(Some(&cohort.role), a))
            .collect();
        let gap_areas: Vec<usize> = (0..self.areas.len())
            .filter(|&i| current[&self.areas[i]] < targets[i])
            .collect();

        let (curated, steps, reached) = if gap_areas.is_empty() {
            (None, Vec::new(), current.clone())
        } else if let Some(found) = self.curated(cohort, &current, &targets, &gap_areas) {
            found
        } else {
            self.composed(&current, &targets, &gap_areas)
        };

        let gaps = gap_areas
            .iter()
            .map(|&i| {
                let area = &self.areas[i];
                Gap {
                    area: area.clone(),
                    current: current[area],
                    target: targets[i],
                    reachable: reached[area].min(targets[i]),
                }
            })
            .collect();
        let (cost, hours) = path_cost(&steps);
        CohortPlan {
            department: cohort.department.clone(),
            role: cohort.role.clone(),
            headcount: cohort.headcount,
            gaps,
            unknown_costs: steps.iter().filter(|s| s.cost_eur.is_none()).count(),
            path: ProposedPath { curated, steps },
            hours_per_person: hours,
            cost_per_person: cost,
        }
    }

    /// The cheapest curated path for the cohort's role (or for everyone)
    /// that closes every gap, replayed with each step's preferred offer.
    #[expect(clippy::type_complexity, reason = "private triple of one caller")]
    fn curated(
        &self,
        cohort: &Cohort,
        current: &BTreeMap<String, u8>,
        targets: &[u8],
        gap_areas: &[usize],
    ) -> Option<(Option<String>, Vec<ProposedStep>, BTreeMap<String, u8>)> {
        let baseline = self.model.baseline().map(|b| b.id.as_str());
        let mut best: Option<((f64, f64), String, Vec<ProposedStep>, BTreeMap<String, u8>)> = None;
        for path in &self.catalogue.paths {
            let fits = match path.role.as_deref() {
                None => true,
                Some(r) => r == cohort.role || Some(r) == baseline,
            };
            let Ok(order) = path.order() else { continue };
            if !fits {
                continue;
            }
            let offers: Vec<&LearningOffer> = order
                .iter()
                .filter_map(|&i| path.steps[i].offers.first())
                .filter_map(|id| self.catalogue.offer(id))
                .collect();
            let mut levels = current.clone();
            let steps = replay(&offers, &mut levels);
            let closes = gap_areas
                .iter()
                .all(|&i| levels[&self.areas[i]] >= targets[i]);
            if closes {
                let cost = path_cost(&steps);
                if best
                    .as_ref()
                    .is_none_or(|(c, id, ..)| (cost, &path.id) < (*c, id))
                {
                    best = Some((cost, path.id.clone(), steps, levels));
                }
            }
        }
        best.map(|(_, id, steps, levels)| (Some(id), steps, levels))
    }

    /// Cheapest chain per area, merged: an offer that serves several areas
    /// is taken once, in an order that respects every prerequisite.
    fn composed(
        &mut self,
        current: &BTreeMap<String, u8>,
        targets: &[u8],
        gap_areas: &[usize],
    ) -> (Option<String>, Vec<ProposedStep>, BTreeMap<String, u8>) {
        let chains: Vec<(usize, Chain)> = gap_areas
            .iter()
            .map(|&i| (i, self.chain(i, current[&self.areas[i]], targets[i])))
            .collect();
        let mut pending: Vec<usize> = Vec::new();
        for (_, chain) in &chains {
            for &o in &chain.offers {
                if !pending.contains(&o) {
                    pending.push(o);
                }
            }
        }
        let offers = &self.catalogue.offers;
        let mut order: Vec<&LearningOffer> = Vec::with_capacity(pending.len());
        let mut levels = current.clone();
        while !pending.is_empty() {
            // The first pending offer whose prerequisites hold in every area
            // it was chosen for; if none (crossed prerequisites), the first.
            let ready = pending
                .iter()
                .position(|&o| {
                    chains
                        .iter()
                        .filter(|(_, c)| c.offers.contains(&o))
                        .all(|(i, _)| {
                            let area = &self.areas[*i];
                            offers[o]
                                .covers
                                .iter()
                                .filter(|c| &c.area == area)
                                .all(|c| c.from <= levels[area])
                        })
                })
                .unwrap_or(0);
            let o = pending.remove(ready);
            for (area, level) in levels.iter_mut() {
                *level = offers[o].apply(area, *level);
            }
            order.push(&offers[o]);
        }
        // Where merging broke a chain, its offers follow again in chain
        // order; levels only rise, so the chain then reaches its level.
        for (i, chain) in &chains {
            if levels[&self.areas[*i]] < chain.reached {
                for &o in &chain.offers {
                    for (area, level) in levels.iter_mut() {
                        *level = offers[o].apply(area, *level);
                    }
                    order.push(&offers[o]);
                }
            }
        }
        let mut replayed = current.clone();
        let steps = replay(&order, &mut replayed);
        (None, steps, replayed)
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

/// Current levels per department from the survey's competency gaps: the
/// mean self-assessed level, rounded down (a half-reached level is not
/// reached). Suppressed areas are left out and count as 0 in the planner.
pub fn levels_from_survey(
    gaps: &crate::survey::gaps::CompetencyGaps,
) -> BTreeMap<String, BTreeMap<String, u8>> {
    gaps.groups
        .iter()
        .filter(|g| g.group.is_some())
        .map(|g| {
            let levels = g
                .areas
                .iter()
                .filter(|a| !a.suppressed)
                .filter_map(|a| {
                    a.mean_level
                        .map(|m| (a.area.clone(), m.floor().clamp(0.0, 8.0) as u8))
                })
                .collect();
            (g.label.clone(), levels)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qualification::offer::{Coverage, Format, ProviderType};
    use proptest::prelude::*;

    fn model() -> CompetencyModel {
        CompetencyModel::default_model().unwrap()
    }

    fn offer(id: &str, cost: Option<f64>, hours: f64, covers: &[(&str, u8, u8)]) -> LearningOffer {
        LearningOffer {
            id: id.into(),
            title: id.into(),
            description: String::new(),
            provider: "Test".into(),
            provider_type: ProviderType::Intern,
            format: Format::Praesenz,
            duration_hours: hours,
            cost_eur: cost,
            language: "de".into(),
            accessibility: String::new(),
            certificate: String::new(),
            licence: String::new(),
            url: None,
            covers: covers
                .iter()
                .map(|&(area, from, to)| Coverage {
                    area: area.into(),
                    from,
                    to,
                })
                .collect(),
            partner: None,
            checked_on: None,
        }
    }

    fn small_catalogue() -> Catalogue {
        Catalogue {
            offers: vec![
                offer(
                    "basics",
                    Some(100.0),
                    4.0,
                    &[("ki_verstehen", 0, 1), ("generative_ki_nutzen", 0, 1)],
                ),
                offer("legal", Some(0.0), 2.0, &[("recht_und_ethik", 0, 1)]),
                offer("legal_adv", Some(200.0), 8.0, &[("recht_und_ethik", 1, 2)]),
                offer("data", None, 5.0, &[("datenkompetenz", 0, 2)]),
            ],
            ..Catalogue::default()
        }
    }

    fn cohort(department: &str, role: &str, headcount: u32, levels: &[(&str, u8)]) -> Cohort {
        Cohort {
            department: department.into(),
            role: role.into(),
            headcount,
            levels: levels.iter().map(|&(a, l)| (a.to_string(), l)).collect(),
        }
    }

    fn all_at(level: u8) -> Vec<(&'static str, u8)> {
        AREAS.into_iter().map(|a| (a, level)).collect()
    }

    fn known_plan() -> Plan {
        plan(
            &model(),
            &small_catalogue(),
            &[
                cohort("Bauamt", "alle", 10, &[]),
                cohort("Bauamt", "fuehrungskraefte", 2, &[("ki_verstehen", 2)]),
                cohort("Ordnungsamt", "alle", 5, &all_at(1)),
            ],
        )
        .unwrap()
    }

    #[test]
    fn gaps_are_target_minus_current_per_role() {
        let plan = known_plan();
        let staff = &plan.cohorts[0];
        let areas: Vec<&str> = staff.gaps.iter().map(|g| g.area.as_str()).collect();
        assert_eq!(
            areas,
            [
                "ki_verstehen",
                "generative_ki_nutzen",
                "recht_und_ethik",
                "datenkompetenz",
                "risiken_und_sicherheit"
            ]
        );
        assert!(staff.gaps.iter().all(|g| g.current == 0 && g.target == 1));
        let lead = &plan.cohorts[1];
        assert!(lead.gaps.iter().all(|g| g.area != "ki_verstehen"));
        assert_eq!(
            lead.gaps
                .iter()
                .find(|g| g.area == "recht_und_ethik")
                .unwrap()
                .target,
            2
        );
        assert!(plan.cohorts[2].gaps.is_empty());
        assert!(plan.cohorts[2].path.steps.is_empty());
    }

    #[test]
    fn the_composed_path_takes_the_cheapest_chain_and_skips_what_is_known() {
        let plan = known_plan();
        let offers = |p: &CohortPlan| {
            p.path
                .steps
                .iter()
                .map(|s| s.offer.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(offers(&plan.cohorts[0]), ["basics", "legal", "data"]);
        assert_eq!(
            offers(&plan.cohorts[1]),
            ["basics", "legal", "legal_adv", "data"]
        );
        // The lead already knows ki_verstehen 2: basics raises only one area.
        let basics = &plan.cohorts[1].path.steps[0];
        assert_eq!(
            basics.raises,
            vec![LevelChange {
                area: "generative_ki_nutzen".into(),
                from: 0,
                to: 1
            }]
        );
    }

    #[test]
    fn hours_and_costs_add_up_per_person_department_and_total() {
        let plan = known_plan();
        assert_eq!(plan.cohorts[0].hours_per_person, 11.0);
        assert_eq!(plan.cohorts[0].cost_per_person, 100.0);
        assert_eq!(plan.cohorts[1].hours_per_person, 19.0);
        assert_eq!(plan.cohorts[1].cost_per_person, 300.0);
        assert_eq!(plan.cohorts[1].unknown_costs, 1);
        assert_eq!(plan.persons, 17);
        assert_eq!(plan.persons_with_gaps, 12);
        assert_eq!(plan.cost_eur, 1600.0);
        assert_eq!(plan.hours, 148.0);
        let bauamt = &plan.departments[0];
        assert_eq!(
            (bauamt.department.as_str(), bauamt.persons, bauamt.cost_eur),
            ("Bauamt", 12, 1600.0)
        );
        assert_eq!(plan.departments[1].cost_eur, 0.0);
    }

    #[test]
    fn gaps_no_offer_closes_are_listed_with_how_far_offers_reach() {
        let plan = known_plan();
        let needs: Vec<(&str, u8, u8, u64)> = plan
            .uncovered
            .iter()
            .map(|n| (n.area.as_str(), n.from, n.to, n.persons))
            .collect();
        assert_eq!(
            needs,
            [
                ("generative_ki_nutzen", 1, 2, 2),
                ("risiken_und_sicherheit", 0, 1, 10),
                ("risiken_und_sicherheit", 0, 2, 2),
                ("ki_gestalten", 0, 2, 2),
            ]
        );
        assert_eq!(plan.uncovered[1].departments, ["Bauamt"]);
    }

    #[test]
    fn the_heat_map_cells_weigh_gaps_by_headcount() {
        let plan = known_plan();
        let recht = plan.departments[0]
            .cells
            .iter()
            .find(|c| c.area == "recht_und_ethik")
            .unwrap();
        // 10 people one level short, 2 people two levels short.
        assert_eq!(recht.below_target, 12);
        assert!((recht.mean_gap - 14.0 / 12.0).abs() < 1e-9);
    }

    #[test]
    fn a_curated_path_is_proposed_when_it_closes_every_gap() {
        let model = model();
        let catalogue = Catalogue::shipped(&model).unwrap();
        let plan = plan(&model, &catalogue, &[cohort("Bürgeramt", "alle", 3, &[])]).unwrap();
        let p = &plan.cohorts[0];
        assert_eq!(p.path.curated.as_deref(), Some("grundlagen_alle"));
        assert!(p.uncovered().next().is_none());
        let expected: f64 = ["elements_of_ai", "intern_dienstanweisung"]
            .iter()
            .map(|id| catalogue.offer(id).unwrap().duration_hours)
            .sum();
        assert_eq!(p.hours_per_person, expected);
    }

    #[test]
    fn survey_levels_are_the_rounded_down_mean_and_hidden_groups_are_left_out() {
        use crate::survey::gaps::{AreaGap, CompetencyGaps, GroupGaps};
        let area = |id: &str, mean: Option<f64>, suppressed: bool| AreaGap {
            area: id.into(),
            suppressed,
            answered: None,
            mean_level: mean,
            median_level: None,
            mean_target: None,
            below_target: None,
            share_below_target: None,
            mean_gap: None,
        };
        let gaps = CompetencyGaps {
            min_group_size: 5,
            areas: Vec::new(),
            groups: vec![
                GroupGaps {
                    group: None,
                    label: "Alle".into(),
                    areas: vec![area("ki_verstehen", Some(3.0), false)],
                },
                GroupGaps {
                    group: Some("bau".into()),
                    label: "Bauamt".into(),
                    areas: vec![
                        area("ki_verstehen", Some(1.9), false),
                        area("datenkompetenz", Some(2.0), true),
                    ],
                },
            ],
        };
        let levels = levels_from_survey(&gaps);
        assert_eq!(levels.len(), 1, "the overall group is not a department");
        assert_eq!(levels["Bauamt"], [("ki_verstehen".to_string(), 1)].into());
    }

    #[test]
    fn unknown_roles_areas_and_levels_are_named_with_the_row() {
        let err = plan(
            &model(),
            &small_catalogue(),
            &[cohort(
                "Bauamt",
                "zauberer",
                1,
                &[("ki_verstehen", 9), ("astrologie", 1)],
            )],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("Zeile 1 (Bauamt / zauberer)"), "{err}");
        assert!(
            err.contains("zauberer") && err.contains("astrologie") && err.contains("Stufe 9"),
            "{err}"
        );
    }

    const AREAS: [&str; 6] = [
        "ki_verstehen",
        "generative_ki_nutzen",
        "recht_und_ethik",
        "datenkompetenz",
        "risiken_und_sicherheit",
        "ki_gestalten",
    ];
    const ROLES: [&str; 7] = [
        "alle",
        "fuehrungskraefte",
        "fachanwendung",
        "ki_lotsen",
        "it",
        "datenschutz_recht",
        "personalrat",
    ];

    fn arb_offer() -> impl Strategy<Value = (Vec<(usize, u8, u8)>, Option<u16>, u8)> {
        (
            proptest::collection::vec((0..6usize, 0..4u8, 1..=4u8), 1..3),
            proptest::option::of(0..500u16),
            1..40u8,
        )
    }

    fn arb_cohort() -> impl Strategy<Value = (usize, [u8; 6])> {
        (0..7usize, proptest::array::uniform6(0..=4u8))
    }

    /// All levels one area can reach from `start` with any offers, by search.
    fn reachable(catalogue: &Catalogue, area: &str, start: u8) -> u8 {
        let mut best = start;
        let mut seen = [false; 5];
        let mut stack = vec![start];
        while let Some(l) = stack.pop() {
            if std::mem::replace(&mut seen[usize::from(l)], true) {
                continue;
            }
            best = best.max(l);
            for o in &catalogue.offers {
                let next = o.apply(area, l);
                if next > l {
                    stack.push(next);
                }
            }
        }
        best
    }

    proptest! {
        #[test]
        fn every_proposed_path_closes_the_gap_it_claims_to(
            raw_offers in proptest::collection::vec(arb_offer(), 0..12),
            raw_cohorts in proptest::collection::vec(arb_cohort(), 1..6),
        ) {
            let model = model();
            let offers: Vec<LearningOffer> = raw_offers
                .iter()
                .enumerate()
                .map(|(i, (covers, cost, hours))| {
                    let mut seen = Vec::new();
                    let covers: Vec<(&str, u8, u8)> = covers
                        .iter()
                        .filter(|(a, from, to)| from < to && { let new = !seen.contains(a); seen.push(*a); new })
                        .map(|&(a, from, to)| (AREAS[a], from, to))
                        .collect();
                    offer(&format!("o{i}"), cost.map(f64::from), f64::from(*hours), &covers)
                })
                .collect();
            let catalogue = Catalogue { offers, ..Catalogue::default() };
            let cohorts: Vec<Cohort> = raw_cohorts
                .iter()
                .map(|(r, levels)| Cohort {
                    department: format!("FB {r}"),
                    role: ROLES[*r].into(),
                    headcount: 1,
                    levels: AREAS.iter().zip(levels).map(|(a, l)| (a.to_string(), *l)).collect(),
                })
                .collect();
            let plan = plan(&model, &catalogue, &cohorts).unwrap();
            for (cohort, p) in cohorts.iter().zip(&plan.cohorts) {
                let mut levels = cohort.levels.clone();
                for step in &p.path.steps {
                    let offer = catalogue.offer(&step.offer).unwrap();
                    for change in &step.raises {
                        prop_assert_eq!(levels[&change.area], change.from);
                    }
                    for (area, level) in levels.iter_mut() {
                        *level = offer.apply(area, *level);
                    }
                    for change in &step.raises {
                        prop_assert_eq!(levels[&change.area], change.to);
                    }
                }
                for gap in &p.gaps {
                    prop_assert!(gap.current < gap.target);
                    prop_assert!(gap.reachable <= gap.target);
                    prop_assert!(levels[&gap.area] >= gap.reachable, "{:?} claims {} but reaches {}", gap, gap.reachable, levels[&gap.area]);
                    // Uncovered only when no combination of offers would do.
                    if !gap.is_covered() {
                        prop_assert!(reachable(&catalogue, &gap.area, gap.current) < gap.target);
                    }
                }
            }
        }
    }
}
