//! Learning paths (Lernpfade): ordered steps of offers, with alternatives per
//! step, that lead a role from one level to another per area.
//!
//! Steps are listed in order; a step may also name steps it builds on
//! (`after`), which lets a path say "either order, but both before the
//! workshop". A cycle among those is an error naming its steps.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::offer::{LearningOffer, OfferLookup};
use super::QualificationError;
use crate::competency::CompetencyModel;
use crate::survey::is_valid_id;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathStep {
    pub id: String,
    pub title: String,
    /// Offer ids; any one of them completes the step, the first is preferred.
    pub offers: Vec<String>,
    /// Steps that must come before this one, besides the list order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearningPath {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The role profile the path is made for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The levels a learner starts from (missing areas: 0).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub start: BTreeMap<String, u8>,
    /// The levels the path promises; checked against its offers.
    pub targets: BTreeMap<String, u8>,
    pub steps: Vec<PathStep>,
}

/// Hours and cost of a path when each step takes its first offer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PathEffort {
    pub hours: f64,
    pub cost_eur: f64,
    /// Steps whose preferred offer has no known price.
    pub unknown_costs: usize,
}

impl LearningPath {
    /// The step indices in the order a learner takes them: list order, except
    /// where `after` demands otherwise. Errors name unknown steps and cycles.
    pub fn order(&self) -> Result<Vec<usize>, Vec<String>> {
        let index: HashMap<&str, usize> = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let mut problems = Vec::new();
        let mut needs: Vec<Vec<usize>> = vec![Vec::new(); self.steps.len()];
        for (i, step) in self.steps.iter().enumerate() {
            for before in &step.after {
                match index.get(before.as_str()) {
                    Some(&j) if j == i => problems.push(format!(
                        "Schritt „{}“ kann nicht auf sich selbst folgen.",
                        step.id
                    )),
                    Some(&j) => needs[i].push(j),
                    None => problems.push(format!(
                        "Schritt „{}“ folgt auf „{before}“, den es im Lernpfad nicht gibt.",
                        step.id
                    )),
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut done = vec![false; self.steps.len()];
        let mut order = Vec::with_capacity(self.steps.len());
        while order.len() < self.steps.len() {
            // The first step in list order whose prerequisites are done.
            let next =
                (0..self.steps.len()).find(|&i| !done[i] && needs[i].iter().all(|&j| done[j]));
            match next {
                Some(i) => {
                    done[i] = true;
                    order.push(i);
                }
                None => {
                    let stuck: Vec<&str> = (0..self.steps.len())
                        .filter(|&i| !done[i])
                        .map(|i| self.steps[i].id.as_str())
                        .collect();
                    return Err(vec![format!(
                        "Die Schritte {} hängen im Kreis voneinander ab.",
                        stuck
                            .iter()
                            .map(|s| format!("„{s}“"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )]);
                }
            }
        }
        Ok(order)
    }

    /// The levels after the whole path, starting from `start`. Each step
    /// counts with what *every* alternative teaches, because a learner may
    /// take any of them. Unknown offers teach nothing.
    pub fn outcome(
        &self,
        catalogue: &impl OfferLookup,
        areas: &[String],
        start: &BTreeMap<String, u8>,
    ) -> BTreeMap<String, u8> {
        let mut levels: BTreeMap<String, u8> = areas
            .iter()
            .map(|a| (a.clone(), start.get(a).copied().unwrap_or(0)))
            .collect();
        let order = self
            .order()
            .unwrap_or_else(|_| (0..self.steps.len()).collect());
        for i in order {
            let offers: Vec<&LearningOffer> = self.steps[i]
                .offers
                .iter()
                .filter_map(|id| catalogue.offer(id))
                .collect();
            if offers.is_empty() {
                continue;
            }
            for (area, level) in levels.iter_mut() {
                *level = offers
                    .iter()
                    .map(|o| o.apply(area, *level))
                    .min()
                    .unwrap_or(*level);
            }
        }
        levels
    }

    pub fn effort(&self, catalogue: &impl OfferLookup) -> PathEffort {
        let mut effort = PathEffort {
            hours: 0.0,
            cost_eur: 0.0,
            unknown_costs: 0,
        };
        for offer in self
            .steps
            .iter()
            .filter_map(|s| s.offers.first())
            .filter_map(|id| catalogue.offer(id))
        {
            effort.hours += offer.duration_hours;
            match offer.cost_eur {
                Some(c) => effort.cost_eur += c,
                None => effort.unknown_costs += 1,
            }
        }
        effort
    }

    /// The steps not yet done by someone who completed `completed` offers
    /// (any alternative counts). Empty means the path is complete.
    pub fn missing_steps(&self, completed: &[&str]) -> Vec<&PathStep> {
        self.steps
            .iter()
            .filter(|s| !s.offers.iter().any(|o| completed.contains(&o.as_str())))
            .collect()
    }

    /// Everything wrong with the path (without its own name; the caller adds
    /// it where several paths are checked together).
    pub fn problems(&self, catalogue: &impl OfferLookup, model: &CompetencyModel) -> Vec<String> {
        let mut out = Vec::new();
        if !is_valid_id(&self.id) {
            out.push("Die Kennung darf nur Buchstaben, Ziffern, _ und - enthalten.".to_string());
        }
        if self.title.trim().is_empty() {
            out.push("Der Titel fehlt.".to_string());
        }
        if let Some(role) = self
            .role
            .as_deref()
            .filter(|r| model.role_profile(r).is_none())
        {
            out.push(format!("Das Rollenprofil „{role}“ gibt es nicht."));
        }
        if self.steps.is_empty() {
            out.push("Der Lernpfad hat keinen Schritt.".to_string());
        }
        let mut step_ids = HashSet::new();
        for step in &self.steps {
            if step.id.trim().is_empty() {
                out.push(format!("Der Schritt „{}“ hat keine Kennung.", step.title));
            }
            if !step_ids.insert(step.id.as_str()) {
                out.push(format!("Der Schritt „{}“ ist doppelt vorhanden.", step.id));
            }
            if step.offers.is_empty() {
                out.push(format!("Der Schritt „{}“ hat kein Lernangebot.", step.id));
            }
            for offer in step.offers.iter().filter(|o| catalogue.offer(o).is_none()) {
                out.push(format!(
                    "Der Schritt „{}“ nennt das Lernangebot „{offer}“, das es im Katalog nicht gibt.",
                    step.id
                ));
            }
        }
        if let Err(problems) = self.order() {
            out.extend(problems);
        }
        let max = model.max_level();
        for (area, &level) in self.start.iter().chain(&self.targets) {
            if model.area(area).is_none() {
                out.push(format!("Den Kompetenzbereich „{area}“ gibt es nicht."));
            } else if level > max {
                out.push(format!(
                    "Bereich „{area}“: Die Stufe {level} gibt es nicht (höchste Stufe: {max})."
                ));
            }
        }
        if self.targets.is_empty() {
            out.push("Der Lernpfad nennt keine Zielstufe.".to_string());
        }
        if out.is_empty() {
            let areas: Vec<String> = model.areas.iter().map(|a| a.id.clone()).collect();
            let reached = self.outcome(catalogue, &areas, &self.start);
            for (area, &target) in &self.targets {
                let got = reached.get(area).copied().unwrap_or(0);
                if got < target {
                    out.push(format!(
                        "Bereich „{area}“: Die Schritte führen nur bis Stufe {got}, versprochen ist Stufe {target}."
                    ));
                }
            }
        }
        out
    }

    pub fn validate(
        &self,
        catalogue: &impl OfferLookup,
        model: &CompetencyModel,
    ) -> Result<(), QualificationError> {
        let problems = self.problems(catalogue, model);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(QualificationError::InvalidPath {
                path: self.id.clone(),
                problems,
            })
        }
    }
}

#[cfg(test)]
mod tests {

    use crate::qualification::shipped as setup;

    #[test]
    fn a_cycle_between_steps_is_reported_with_their_names() {
        let (model, catalogue) = setup();
        let mut path = catalogue.paths[0].clone();
        assert!(path.steps.len() >= 2, "Seed-Pfad braucht zwei Schritte");
        let a = path.steps[0].id.clone();
        let b = path.steps[1].id.clone();
        path.steps[0].after = vec![b.clone()];
        path.steps[1].after = vec![a.clone()];
        let err = path.validate(&catalogue, &model).unwrap_err().to_string();
        assert!(err.contains("im Kreis"), "{err}");
        assert!(err.contains(&a) && err.contains(&b), "{err}");
        assert!(err.contains(&path.id), "{err}");
    }

    #[test]
    fn a_step_without_an_offer_is_reported_by_name() {
        let (model, catalogue) = setup();
        let mut path = catalogue.paths[0].clone();
        path.steps[0].offers.clear();
        let err = path.validate(&catalogue, &model).unwrap_err().to_string();
        assert!(
            err.contains(&format!(
                "Schritt „{}“ hat kein Lernangebot",
                path.steps[0].id
            )),
            "{err}"
        );
    }

    #[test]
    fn a_path_is_complete_when_each_step_has_one_completed_alternative() {
        let (_, catalogue) = setup();
        let path = &catalogue.paths[0];
        let second_choice = path.steps[0].offers[1].as_str();
        let missing = path.missing_steps(&[second_choice]);
        assert_eq!(missing.len(), path.steps.len() - 1);
        let all: Vec<&str> = path
            .steps
            .iter()
            .map(|s| s.offers.last().unwrap().as_str())
            .collect();
        assert!(path.missing_steps(&all).is_empty());
    }

    #[test]
    fn after_reorders_steps_and_list_order_breaks_ties() {
        let (_, catalogue) = setup();
        let mut path = catalogue.paths[0].clone();
        let first = path.steps[0].id.clone();
        path.steps[0].after = vec![path.steps[1].id.clone()];
        let order = path.order().unwrap();
        assert_eq!(order[0], 1);
        assert_eq!(path.steps[order[1]].id, first);
    }

    #[test]
    fn a_path_that_promises_more_than_its_offers_teach_is_rejected() {
        let (model, catalogue) = setup();
        let mut path = catalogue.paths[0].clone();
        path.targets.insert("recht_und_ethik".into(), 4);
        let err = path.validate(&catalogue, &model).unwrap_err().to_string();
        assert!(
            err.contains("recht_und_ethik") && err.contains("versprochen ist Stufe 4"),
            "{err}"
        );
    }

    #[test]
    fn an_alternative_counts_only_with_what_every_choice_teaches() {
        let (_, catalogue) = setup();
        let mut path = catalogue.paths[0].clone();
        let areas: Vec<String> = path.targets.keys().cloned().collect();
        let full = path.outcome(&catalogue, &areas, &path.start);
        // An alternative that teaches nothing the first one does (a pure
        // legal offer alongside a basics course) lowers the guaranteed level.
        let basics = path.steps[0].offers[0].clone();
        let unrelated = catalogue
            .offers
            .iter()
            .find(|o| {
                catalogue
                    .offer(&basics)
                    .unwrap()
                    .covers
                    .iter()
                    .all(|c| o.covers.iter().all(|d| d.area != c.area))
            })
            .expect("ein Angebot in anderen Bereichen")
            .id
            .clone();
        path.steps[0].offers.push(unrelated);
        let weaker = path.outcome(&catalogue, &areas, &path.start);
        assert!(weaker.iter().all(|(a, l)| *l <= full[a]));
        assert_ne!(weaker, full);
    }
}
