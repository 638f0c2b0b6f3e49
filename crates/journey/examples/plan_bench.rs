//! Planner benchmark: 5,000 staff (each its own cohort) in 40 departments,
//! 60 offers, the shipped model's 6 areas and 7 roles. Prints the time to
//! plan and the process's peak memory.
//!
//! `cargo run --release -p journey --example plan_bench`

use std::time::Instant;

use journey::competency::CompetencyModel;
use journey::qualification::catalogue::Catalogue;
use journey::qualification::offer::{Coverage, Format, LearningOffer, ProviderType};
use journey::qualification::planner::{plan, Cohort};

/// A fixed linear congruential generator: the same input on every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let model = CompetencyModel::default_model().expect("shipped model");
    let areas: Vec<String> = model.areas.iter().map(|a| a.id.clone()).collect();
    let roles: Vec<String> = model.role_profiles.iter().map(|r| r.id.clone()).collect();
    let mut rng = Lcg(42);
    let offers: Vec<LearningOffer> = (0..60)
        .map(|i| {
            let mut covers: Vec<Coverage> = Vec::new();
            for _ in 0..1 + rng.below(3) {
                let area = areas[rng.below(areas.len() as u64) as usize].clone();
                if covers.iter().any(|c| c.area == area) {
                    continue;
                }
                let from = rng.below(4) as u8;
                let to = from + 1 + rng.below(u64::from(4 - from)) as u8;
                covers.push(Coverage { area, from, to });
            }
            LearningOffer {
                id: format!("angebot_{i}"),
                title: format!("Angebot {i}"),
                description: String::new(),
                provider: "Synthetisch".into(),
                provider_type: ProviderType::Intern,
                format: Format::Praesenz,
                duration_hours: 1.0 + rng.below(40) as f64,
                cost_eur: Some(rng.below(800) as f64),
                language: "de".into(),
                accessibility: String::new(),
                certificate: String::new(),
                licence: String::new(),
                url: None,
                covers,
                partner: None,
                checked_on: None,
            }
        })
        .collect();
    let catalogue = Catalogue {
        offers,
        ..Catalogue::default()
    };
    let cohorts: Vec<Cohort> = (0..5_000)
        .map(|i| Cohort {
            department: format!("Fachbereich {}", i % 40 + 1),
            role: roles[rng.below(roles.len() as u64) as usize].clone(),
            headcount: 1,
            levels: areas
                .iter()
                .map(|a| (a.clone(), rng.below(3) as u8))
                .collect(),
        })
        .collect();
    let before = peak_memory_kib();
    let start = Instant::now();
    let result = plan(&model, &catalogue, &cohorts).expect("valid input");
    let elapsed = start.elapsed();
    println!(
        "Planer: {} Personen, {} Fachbereiche, {} Angebote, {} Bereiche, {} Rollen",
        result.persons,
        result.departments.len(),
        catalogue.offers.len(),
        areas.len(),
        roles.len()
    );
    println!("Zeit für plan(): {:.1} ms", elapsed.as_secs_f64() * 1000.0);
    if let (Some(b), Some(a)) = (before, peak_memory_kib()) {
        println!(
            "Spitzenspeicher des Prozesses: {:.1} MiB (vor dem Planen {:.1} MiB)",
            a as f64 / 1024.0,
            b as f64 / 1024.0
        );
    }
    println!(
        "Ergebnis: {} Personen mit Lücken, {} ungedeckte Lücken, {:.0} Stunden, {:.0} €",
        result.persons_with_gaps,
        result.uncovered.len(),
        result.hours,
        result.cost_eur
    );
}
