//! Competency gaps per department: the self-assessed level per competency
//! area (the matrix with `items_from: competency_areas`) against the target
//! level of each person's role (the question with `options_from:
//! role_profiles`). This is the survey's input for the learning paths.
//!
//! The same k-anonymity rules as for the results apply, per area.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::aggregate::{mean, median, AggregateOptions, LOWEST_MIN_GROUP_SIZE, NO_GROUP};
use super::identifiers::QuasiIdentifiers;
use super::model::{ChoiceOption, QuestionKind, Questionnaire};
use super::response::{Answer, Response};
use super::suppress::suppressed;
use super::SurveyError;
use crate::competency::CompetencyModel;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompetencyGaps {
    pub min_group_size: u32,
    pub areas: Vec<ChoiceOption>,
    /// First all responses (`group: None`), then one entry per department.
    pub groups: Vec<GroupGaps>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupGaps {
    pub group: Option<String>,
    pub label: String,
    pub areas: Vec<AreaGap>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaGap {
    pub area: String,
    pub suppressed: bool,
    pub answered: Option<u64>,
    /// Mean self-assessed level (0 = no knowledge yet … 4).
    pub mean_level: Option<f64>,
    pub median_level: Option<f64>,
    /// Mean target level of the people who answered, by their roles.
    pub mean_target: Option<f64>,
    /// How many are below their target, and their share.
    pub below_target: Option<u64>,
    pub share_below_target: Option<f64>,
    /// Mean of max(0, target − level).
    pub mean_gap: Option<f64>,
}

#[derive(Default)]
struct AreaTally {
    levels: Vec<f64>,
    targets: Vec<f64>,
    gaps: Vec<f64>,
    below: u64,
}

/// Gaps overall and per department, with small groups hidden.
pub fn competency_gaps(
    q: &Questionnaire,
    responses: &[Response],
    model: &CompetencyModel,
    options: &AggregateOptions,
) -> Result<CompetencyGaps, SurveyError> {
    if options.min_group_size < LOWEST_MIN_GROUP_SIZE {
        return Err(SurveyError::MinGroupSizeTooSmall {
            given: options.min_group_size,
            min: LOWEST_MIN_GROUP_SIZE,
        });
    }
    let k = u64::from(options.min_group_size);
    let matrix = q.competency_question().ok_or(SurveyError::MissingQuestion(
        "Selbsteinschätzung der Kompetenzbereiche",
    ))?;
    let QuestionKind::LikertMatrix { items, .. } = &matrix.kind else {
        return Err(SurveyError::MissingQuestion(
            "Selbsteinschätzung der Kompetenzbereiche",
        ));
    };
    let areas: Vec<ChoiceOption> = items
        .list
        .iter()
        .filter(|i| model.area(&i.id).is_some())
        .cloned()
        .collect();
    let role_question = q.role_question().map(|r| r.id.clone());
    let dept_question = q.department_question();
    let mut groups: Vec<ChoiceOption> = dept_question
        .and_then(|d| d.kind.options())
        .map(|o| o.list.clone())
        .unwrap_or_default();

    // members[g] = responses of group g; the last group collects the rest.
    let mut members: Vec<Vec<&Response>> = vec![Vec::new(); groups.len() + 1];
    for r in responses {
        let g = dept_question
            .and_then(|d| r.choice(&d.id))
            .and_then(|c| groups.iter().position(|g| g.id == c))
            .unwrap_or(groups.len());
        members[g].push(r);
    }
    if members[groups.len()].is_empty() {
        members.pop();
    } else {
        groups.push(ChoiceOption::new(NO_GROUP, "Ohne Angabe"));
    }

    // Group-level suppression by response counts, as in the results.
    let total = responses.len() as u64;
    let sizes: Vec<u64> = members.iter().map(|m| m.len() as u64).collect();
    let group_hidden = if total < k {
        vec![true; sizes.len()]
    } else {
        suppressed(&sizes, &[], k)
    };

    // Where the protected department × role table hides a cell, the role
    // mix of that department is not public, and neither is its mean target.
    let qi = QuasiIdentifiers::new(q, responses, k);
    // A hidden part that is 0 follows from the published rest: no secret.
    let role_totals = qi.margins(super::identifiers::Axis::Role);
    let roles_shown_overall = !role_totals.iter().any(|(n, h)| *h && *n > 0);
    let last_row = qi.rows.len() - 1;
    let roles_shown: Vec<bool> = groups
        .iter()
        .enumerate()
        .map(|(g, option)| {
            let row = if option.id == NO_GROUP {
                last_row
            } else {
                g.min(last_row)
            };
            !qi.hidden.cells[row]
                .iter()
                .zip(&qi.counts[row])
                .any(|(h, n)| *h && *n > 0)
        })
        .collect();
    let mut overall = GroupGaps {
        group: None,
        label: "Alle".to_string(),
        areas: Vec::new(),
    };
    let mut per_group: Vec<GroupGaps> = groups
        .iter()
        .map(|g| GroupGaps {
            group: Some(g.id.clone()),
            label: g.label.clone(),
            areas: Vec::new(),
        })
        .collect();
    for area in &areas {
        let tallies: Vec<AreaTally> = members
            .iter()
            .map(|rs| {
                let mut t = AreaTally::default();
                for r in rs {
                    let Some(Answer::Matrix(rows)) = r.answers.get(&matrix.id) else {
                        continue;
                    };
                    let Some(&level) = rows.get(&area.id) else {
                        continue;
                    };
                    let role = role_question.as_deref().and_then(|rq| r.choice(rq));
                    let target = i64::from(model.target(role, &area.id));
                    t.levels.push(level as f64);
                    t.targets.push(target as f64);
                    t.gaps.push((target - level).max(0) as f64);
                    if level < target {
                        t.below += 1;
                    }
                }
                t
            })
            .collect();
        let mut all = AreaTally::default();
        for t in &tallies {
            all.levels.extend(&t.levels);
            all.targets.extend(&t.targets);
            all.gaps.extend(&t.gaps);
            all.below += t.below;
        }
        let bases: Vec<u64> = tallies.iter().map(|t| t.levels.len() as u64).collect();
        let answered = all.levels.len() as u64;
        let hidden = if answered < k {
            vec![true; bases.len()]
        } else {
            suppressed(&bases, &group_hidden, k)
        };
        overall
            .areas
            .push(area_gap(&area.id, &all, answered < k, !roles_shown_overall));
        for (((g, t), h), line) in per_group
            .iter_mut()
            .zip(&tallies)
            .zip(&hidden)
            .zip(&roles_shown)
        {
            g.areas.push(area_gap(&area.id, t, *h, !line));
        }
    }
    let mut out = vec![overall];
    out.extend(per_group);
    Ok(CompetencyGaps {
        min_group_size: options.min_group_size,
        areas,
        groups: out,
    })
}

/// `hide_target`: the mean target follows from the mix of roles, so it is
/// shown only where that mix is itself published.
fn area_gap(area: &str, t: &AreaTally, hidden: bool, hide_target: bool) -> AreaGap {
    let n = t.levels.len() as u64;
    if hidden {
        return AreaGap {
            area: area.to_string(),
            suppressed: true,
            answered: None,
            mean_level: None,
            median_level: None,
            mean_target: None,
            below_target: None,
            share_below_target: None,
            mean_gap: None,
        };
    }
    AreaGap {
        area: area.to_string(),
        suppressed: false,
        answered: Some(n),
        mean_level: mean(&t.levels),
        median_level: median(&t.levels),
        mean_target: if hide_target { None } else { mean(&t.targets) },
        below_target: Some(t.below),
        share_below_target: (n > 0).then(|| t.below as f64 / n as f64),
        mean_gap: mean(&t.gaps),
    }
}

impl CompetencyGaps {
    /// For the learning-path planner: the mean self-assessed level per
    /// department id and area id, only where it may be shown.
    pub fn current_levels_by_department(&self) -> BTreeMap<String, BTreeMap<String, f64>> {
        self.groups
            .iter()
            .filter_map(|g| {
                let id = g.group.clone()?;
                let levels: BTreeMap<String, f64> = g
                    .areas
                    .iter()
                    .filter_map(|a| Some((a.area.clone(), a.mean_level?)))
                    .collect();
                (!levels.is_empty()).then_some((id, levels))
            })
            .collect()
    }
}
