//! Tests of the planner.

use super::*;
use crate::qualification::offer::{Coverage, Format, LearningOffer, ProviderType};
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
    assert_eq!(
        levels.departments.len(),
        1,
        "the overall group is not a department"
    );
    assert_eq!(
        levels.departments["Bauamt"],
        [("ki_verstehen".to_string(), 1)].into()
    );
    assert_eq!(
        levels.organisation,
        [("ki_verstehen".to_string(), 3)].into()
    );
}

#[test]
fn suppressed_departments_are_unknown_and_never_a_silent_level_zero() {
    let levels = SurveyLevels {
        asked: vec!["ki_verstehen".to_string(), "datenkompetenz".to_string()],
        organisation: [
            ("ki_verstehen".to_string(), 2),
            ("datenkompetenz".to_string(), 1),
        ]
        .into(),
        departments: [
            (
                "Bauamt".to_string(),
                [("ki_verstehen".to_string(), 3)].into(),
            ),
            ("Kämmerei".to_string(), BTreeMap::new()),
        ]
        .into(),
    };
    let areas = vec![
        "ki_verstehen".to_string(),
        "datenkompetenz".to_string(),
        "ki_gestalten".to_string(),
    ];
    assert_eq!(levels.unknown_areas("Bauamt", &areas), ["datenkompetenz"]);
    assert_eq!(levels.unknown_areas("Kämmerei", &areas).len(), 2);
    assert_eq!(
        levels.unknown_areas("Ordnungsamt", &areas).len(),
        2,
        "a department without any answer is unknown, too"
    );
    assert_eq!(
        levels.resolve("Kämmerei", &areas, UnknownChoice::Organisation),
        Some(levels.organisation.clone())
    );
    assert_eq!(
        levels.resolve("Bauamt", &areas, UnknownChoice::Level(2)),
        Some(
            [
                ("ki_verstehen".to_string(), 3),
                ("datenkompetenz".to_string(), 2)
            ]
            .into()
        )
    );
    assert_eq!(
        levels.resolve("Kämmerei", &areas, UnknownChoice::LeaveOut),
        None
    );
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
