//! The search for a path: per area, the cheapest chain of offers through
//! the levels (Dijkstra over levels, by cost then hours), curated paths
//! first, and the replay that checks what a path really raises.

use std::collections::{BTreeMap, BinaryHeap, HashMap};

use super::model::{Cohort, CohortPlan, Gap, LevelChange, ProposedPath, ProposedStep};
use crate::competency::CompetencyModel;
use crate::qualification::catalogue::Catalogue;
use crate::qualification::offer::LearningOffer;

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

pub(super) struct Planner<'a> {
    model: &'a CompetencyModel,
    catalogue: &'a Catalogue,
    pub(super) areas: Vec<String>,
    graphs: HashMap<&'a str, AreaGraph>,
    /// Chains depend only on (area, current, target): computed once.
    chains: HashMap<(usize, u8, u8), Chain>,
}

impl<'a> Planner<'a> {
    pub(super) fn new(model: &'a CompetencyModel, catalogue: &'a Catalogue) -> Planner<'a> {
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

    pub(super) fn plan_cohort(&mut self, cohort: &Cohort) -> CohortPlan {
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
