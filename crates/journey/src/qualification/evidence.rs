//! Evidence for Art. 4 of the EU AI Act (AI literacy): per person what they
//! completed and which target levels of their role they reach, summed per
//! department and role, as CSV and Markdown.
//!
//! Art. 4 asks for no certificate, but supervisors will ask what a deployer
//! did; this report is that record. Levels count as reached when the person
//! started there (survey or manager's entry) or completed offers teaching
//! them, replayed in the order of completion.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::catalogue::Catalogue;
use crate::competency::CompetencyModel;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    pub offer: String,
    /// `YYYY-MM-DD`.
    pub completed_on: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonRecord {
    pub name: String,
    pub department: String,
    pub role: String,
    /// Levels before any recorded training; missing areas count as 0.
    #[serde(default)]
    pub start_levels: BTreeMap<String, u8>,
    pub completions: Vec<Completion>,
    /// Titles of credentials issued (Open Badges).
    #[serde(default)]
    pub credentials: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenGap {
    pub area: String,
    pub level: u8,
    pub target: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonEvidence {
    pub name: String,
    pub department: String,
    pub role: String,
    /// "Titel (Datum)" of each completion.
    pub completed: Vec<String>,
    pub credentials: Vec<String>,
    pub targets_met: usize,
    pub targets: usize,
    pub open: Vec<OpenGap>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupEvidence {
    pub department: String,
    pub role: String,
    pub persons: usize,
    /// Persons who reach every target of their role.
    pub fully_covered: usize,
    /// Targets met / targets, over all persons (0–100).
    pub coverage_percent: f64,
    /// Area → persons below target.
    pub open_by_area: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Art4Report {
    pub title: String,
    pub generated_on: String,
    pub groups: Vec<GroupEvidence>,
    pub persons: Vec<PersonEvidence>,
}

pub fn art4_report(
    title: &str,
    generated_on: &str,
    model: &CompetencyModel,
    catalogue: &Catalogue,
    records: &[PersonRecord],
) -> Art4Report {
    let mut persons = Vec::with_capacity(records.len());
    for r in records {
        let mut completions = r.completions.clone();
        completions.sort_by(|a, b| a.completed_on.cmp(&b.completed_on));
        let mut levels = r.start_levels.clone();
        for c in &completions {
            if let Some(offer) = catalogue.offer(&c.offer) {
                for area in &model.areas {
                    let l = levels.entry(area.id.clone()).or_insert(0);
                    *l = offer.apply(&area.id, *l);
                }
            }
        }
        let mut targets = 0;
        let mut open = Vec::new();
        for area in &model.areas {
            let target = model.target(Some(&r.role), &area.id);
            if target == 0 {
                continue;
            }
            targets += 1;
            let level = levels.get(&area.id).copied().unwrap_or(0);
            if level < target {
                open.push(OpenGap {
                    area: area.id.clone(),
                    level,
                    target,
                });
            }
        }
        persons.push(PersonEvidence {
            name: r.name.clone(),
            department: r.department.clone(),
            role: r.role.clone(),
            completed: completions
                .iter()
                .map(|c| {
                    let title = catalogue
                        .offer(&c.offer)
                        .map_or(c.offer.as_str(), |o| o.title.as_str());
                    format!("{title} ({})", c.completed_on)
                })
                .collect(),
            credentials: r.credentials.clone(),
            targets_met: targets - open.len(),
            targets,
            open,
        });
    }
    persons
        .sort_by(|a, b| (&a.department, &a.role, &a.name).cmp(&(&b.department, &b.role, &b.name)));

    let mut groups: BTreeMap<(String, String), (GroupEvidence, usize, usize)> = BTreeMap::new();
    for p in &persons {
        let (g, met, all) = groups
            .entry((p.department.clone(), p.role.clone()))
            .or_insert_with(|| {
                (
                    GroupEvidence {
                        department: p.department.clone(),
                        role: p.role.clone(),
                        persons: 0,
                        fully_covered: 0,
                        coverage_percent: 0.0,
                        open_by_area: BTreeMap::new(),
                    },
                    0,
                    0,
                )
            });
        g.persons += 1;
        if p.open.is_empty() {
            g.fully_covered += 1;
        }
        *met += p.targets_met;
        *all += p.targets;
        for gap in &p.open {
            *g.open_by_area.entry(gap.area.clone()).or_insert(0) += 1;
        }
    }
    let groups = groups
        .into_values()
        .map(|(mut g, met, all)| {
            g.coverage_percent = if all == 0 {
                100.0
            } else {
                (met as f64 * 1000.0 / all as f64).round() / 10.0
            };
            g
        })
        .collect();
    Art4Report {
        title: title.to_string(),
        generated_on: generated_on.to_string(),
        groups,
        persons,
    }
}

fn role_name<'a>(model: &'a CompetencyModel, role: &'a str) -> &'a str {
    model.role_profile(role).map_or(role, |r| r.name.as_str())
}

fn area_name<'a>(model: &'a CompetencyModel, area: &'a str) -> &'a str {
    model.area(area).map_or(area, |a| a.short_name.as_str())
}

fn open_text(model: &CompetencyModel, open: &[OpenGap]) -> String {
    open.iter()
        .map(|g| format!("{} {}→{}", area_name(model, &g.area), g.level, g.target))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Art4Report {
    /// One row per person (RFC 4180, UTF-8).
    pub fn to_csv(&self, model: &CompetencyModel) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record([
            "Fachbereich",
            "Rolle",
            "Name",
            "Abgeschlossen",
            "Nachweise",
            "Ziele erreicht",
            "Ziele gesamt",
            "Offene Lücken",
        ]);
        for p in &self.persons {
            let _ = w.write_record([
                p.department.as_str(),
                role_name(model, &p.role),
                &p.name,
                &p.completed.join("; "),
                &p.credentials.join("; "),
                &p.targets_met.to_string(),
                &p.targets.to_string(),
                &open_text(model, &p.open),
            ]);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    pub fn to_markdown(&self, model: &CompetencyModel) -> String {
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let mut md = String::new();
        let _ = writeln!(md, "# {}\n", cell(&self.title));
        let _ = writeln!(
            md,
            "Stand: {}. Nachweis der Maßnahmen zur KI-Kompetenz nach Art. 4 der KI-Verordnung (EU) 2024/1689: Zielstufen je Rolle laut Kompetenzrahmen „{}“.\n",
            crate::german::date(&self.generated_on),
            cell(&model.title)
        );
        md.push_str("## Übersicht nach Fachbereich und Rolle\n\n");
        md.push_str("| Fachbereich | Rolle | Personen | Ziele vollständig erreicht | Abdeckung | Offene Lücken |\n|---|---|---:|---:|---:|---|\n");
        for g in &self.groups {
            let open = g
                .open_by_area
                .iter()
                .map(|(a, n)| format!("{} ({n})", area_name(model, a)))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} % | {} |",
                cell(&g.department),
                cell(role_name(model, &g.role)),
                g.persons,
                g.fully_covered,
                crate::qualification::rubric::format_number(g.coverage_percent),
                cell(&open)
            );
        }
        md.push_str("\n## Personen\n\n| Fachbereich | Rolle | Name | Abgeschlossen | Ziele | Offene Lücken |\n|---|---|---|---|---:|---|\n");
        for p in &self.persons {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {}/{} | {} |",
                cell(&p.department),
                cell(role_name(model, &p.role)),
                cell(&p.name),
                cell(&p.completed.join("; ")),
                p.targets_met,
                p.targets,
                cell(&open_text(model, &p.open))
            );
        }
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, dept: &str, role: &str, offers: &[&str]) -> PersonRecord {
        PersonRecord {
            name: name.into(),
            department: dept.into(),
            role: role.into(),
            start_levels: BTreeMap::new(),
            completions: offers
                .iter()
                .enumerate()
                .map(|(i, o)| Completion {
                    offer: o.to_string(),
                    completed_on: format!("2026-11-0{}", i + 1),
                })
                .collect(),
            credentials: Vec::new(),
        }
    }

    #[test]
    fn coverage_counts_targets_reached_through_completed_offers() {
        let model = CompetencyModel::default_model().unwrap();
        let catalogue = Catalogue::shipped(&model).unwrap();
        let records = [
            record(
                "Anna",
                "Bauamt",
                "alle",
                &["elements_of_ai", "intern_dienstanweisung"],
            ),
            record("Bernd", "Bauamt", "alle", &["intern_dienstanweisung"]),
            record("Cem", "Bauamt | Planung", "it", &[]),
        ];
        let report = art4_report("KI-Kompetenz", "2026-11-26", &model, &catalogue, &records);
        let anna = report.persons.iter().find(|p| p.name == "Anna").unwrap();
        assert_eq!((anna.targets_met, anna.targets), (5, 5));
        let bernd = report.persons.iter().find(|p| p.name == "Bernd").unwrap();
        assert_eq!(
            bernd.open,
            vec![OpenGap {
                area: "ki_verstehen".into(),
                level: 0,
                target: 1
            }]
        );
        let staff = report
            .groups
            .iter()
            .find(|g| g.department == "Bauamt")
            .unwrap();
        assert_eq!((staff.persons, staff.fully_covered), (2, 1));
        assert_eq!(staff.coverage_percent, 90.0);
        assert_eq!(staff.open_by_area["ki_verstehen"], 1);
        let md = report.to_markdown(&model);
        assert!(
            md.contains("| Bauamt | Alle Beschäftigten | 2 | 1 | 90 % |"),
            "{md}"
        );
        assert!(md.contains("Bauamt \\| Planung"));
        let csv = report.to_csv(&model);
        assert_eq!(csv.lines().count(), 4);
        assert!(
            csv.contains("Anna,\"Elements of AI (deutsche Fassung) (2026-11-01); KI im Dienst"),
            "{csv}"
        );
    }
}
