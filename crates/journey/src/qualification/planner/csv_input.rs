//! The planner's current levels as CSV, the way a project team writes them
//! in a spreadsheet: `Fachbereich;Rolle;Anzahl` and one column per
//! competency area, with the names the portal shows (role "Alle
//! Beschäftigten", area "KI-Grundlagen"), never internal ids. Ids are
//! still read, so files written by older versions keep working.

use std::collections::BTreeMap;

use super::Cohort;
use crate::competency::CompetencyModel;
use crate::qualification::QualificationError;

/// Writes the cohorts with role names and the areas' short names.
pub fn cohorts_csv(cohorts: &[Cohort], model: &CompetencyModel) -> String {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    let mut header = vec!["Fachbereich".to_string(), "Rolle".into(), "Anzahl".into()];
    header.extend(model.areas.iter().map(|a| a.short_name.clone()));
    let _ = w.write_record(&header);
    for c in cohorts {
        let role = model
            .role_profile(&c.role)
            .map_or(c.role.clone(), |r| r.name.clone());
        let mut row = vec![c.department.clone(), role, c.headcount.to_string()];
        row.extend(
            model
                .areas
                .iter()
                .map(|a| c.levels.get(&a.id).copied().unwrap_or(0).to_string()),
        );
        let _ = w.write_record(&row);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The same word however it is spelt: trimmed, any case, inner spaces as one.
fn key(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The area named by a header cell: its id, name or short name.
fn area_id(model: &CompetencyModel, cell: &str) -> Option<String> {
    let k = key(cell);
    model
        .areas
        .iter()
        .find(|a| key(&a.id) == k || key(&a.name) == k || key(&a.short_name) == k)
        .map(|a| a.id.clone())
}

/// The role profile named by a cell: its id or name.
fn role_id(model: &CompetencyModel, cell: &str) -> Option<String> {
    let k = key(cell);
    model
        .role_profiles
        .iter()
        .find(|r| key(&r.id) == k || key(&r.name) == k)
        .map(|r| r.id.clone())
}

fn quoted(names: impl Iterator<Item = String>) -> String {
    names
        .map(|n| format!("„{n}“"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads planner input written as [`cohorts_csv`] does (`;` or `,`), with
/// names or ids. `departments` are the profile's departments: when there
/// are any, a row names one of them (in any case) and gets its spelling.
/// Every problem names its line and the value not understood; nothing is
/// returned unless all rows are valid.
pub fn cohorts_from_csv(
    text: &str,
    model: &CompetencyModel,
    departments: &[String],
) -> Result<Vec<Cohort>, QualificationError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.contains(';') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let invalid = |problems| QualificationError::InvalidImport { problems };
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| {
            invalid(vec![format!(
                "Zeile 1: Die Kopfzeile ist nicht lesbar: {e}"
            )])
        })?
        .iter()
        .map(str::to_owned)
        .collect();
    if header.len() < 3 {
        return Err(invalid(vec![
            "Zeile 1: Erwartet werden die Spalten Fachbereich, Rolle, Anzahl und je Kompetenzbereich die Stufe.".into(),
        ]));
    }
    let mut problems = Vec::new();
    // (column, area id, name shown) of every area column.
    let mut areas = Vec::new();
    for (i, cell) in header.iter().enumerate().skip(3) {
        match area_id(model, cell) {
            Some(id) => areas.push((i, id, cell.clone())),
            None => problems.push(format!(
                "Zeile 1: Den Kompetenzbereich „{cell}“ gibt es nicht. Bekannt sind: {}.",
                quoted(model.areas.iter().map(|a| a.short_name.clone()))
            )),
        }
    }
    let max = model.max_level();
    let mut cohorts = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!(
                    "Zeile {}: nicht lesbar ({e})",
                    e.position().map_or(0, |p| p.line())
                ));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let cell = |i: usize| record.get(i).unwrap_or("");
        let mut row = Vec::new();
        let department = if cell(0).is_empty() {
            row.push("Der Fachbereich fehlt".to_string());
            String::new()
        } else if departments.is_empty() {
            cell(0).to_owned()
        } else if let Some(d) = departments.iter().find(|d| key(d) == key(cell(0))) {
            d.clone()
        } else {
            row.push(format!(
                "Den Fachbereich „{}“ gibt es im Profil der Kommune nicht (bekannt: {})",
                cell(0),
                quoted(departments.iter().cloned())
            ));
            String::new()
        };
        let role = role_id(model, cell(1)).unwrap_or_else(|| {
            row.push(format!(
                "Die Rolle „{}“ gibt es nicht (bekannt: {})",
                cell(1),
                quoted(model.role_profiles.iter().map(|r| r.name.clone()))
            ));
            String::new()
        });
        let headcount = cell(2).parse::<u32>().unwrap_or_else(|_| {
            row.push(format!("Anzahl „{}“ ist keine ganze Zahl", cell(2)));
            0
        });
        let mut levels = BTreeMap::new();
        for (i, area, shown) in &areas {
            match cell(*i).parse::<u8>() {
                Ok(level) if level <= max => {
                    levels.insert(area.clone(), level);
                }
                Ok(level) => row.push(format!(
                    "Die Stufe {level} in „{shown}“ gibt es nicht (0 bis {max})"
                )),
                Err(_) if cell(*i).is_empty() => {}
                Err(_) => row.push(format!(
                    "Stufe „{}“ für „{shown}“ ist keine Zahl von 0 bis {max}",
                    cell(*i)
                )),
            }
        }
        if row.is_empty() {
            cohorts.push(Cohort {
                department,
                role,
                headcount,
                levels,
            });
        } else {
            problems.push(format!("Zeile {line}: {}.", row.join("; ")));
        }
    }
    if problems.is_empty() {
        Ok(cohorts)
    } else {
        Err(invalid(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::qualification::shipped as setup;

    fn cohorts(model: &CompetencyModel) -> Vec<Cohort> {
        vec![
            Cohort {
                department: "Bauamt".into(),
                role: "alle".into(),
                headcount: 40,
                levels: model.areas.iter().map(|a| (a.id.clone(), 1)).collect(),
            },
            Cohort {
                department: "IT".into(),
                role: "it".into(),
                headcount: 6,
                levels: model.areas.iter().map(|a| (a.id.clone(), 0)).collect(),
            },
        ]
    }

    #[test]
    fn planner_input_survives_a_csv_round_trip_and_bad_rows_name_their_line() {
        let (model, _) = setup();
        let cohorts = cohorts(&model);
        assert_eq!(
            cohorts_from_csv(&cohorts_csv(&cohorts, &model), &model, &[]).unwrap(),
            cohorts
        );
        let bad = "Fachbereich;Rolle;Anzahl;ki_verstehen\nBauamt;alle;viele;1\nIT;zauberer;2;7\n";
        let err = cohorts_from_csv(bad, &model, &[]).unwrap_err().to_string();
        assert!(err.contains("Zeile 2: Anzahl „viele“"), "{err}");
        assert!(
            err.contains("Zeile 3:") && err.contains("„zauberer“") && err.contains("Stufe 7"),
            "{err}"
        );
    }

    #[test]
    fn the_csv_shows_names_and_reads_names_in_any_case_as_well_as_ids() {
        let (model, _) = setup();
        let text = cohorts_csv(&cohorts(&model), &model);
        assert!(
            text.starts_with("Fachbereich;Rolle;Anzahl;KI-Grundlagen;"),
            "{text}"
        );
        assert!(text.contains("Bauamt;Alle Beschäftigten;40;1;"), "{text}");
        assert!(
            !text.contains("ki_verstehen") && !text.contains(";alle;"),
            "{text}"
        );
        let typed = "Fachbereich;Rolle;Anzahl; ki-grundlagen ;Recht & Ethik;datenkompetenz\n\
                     bauamt ; alle beschäftigten ;3;2;1;0\nIT;IT und Digitalisierung;2;1;1;1\n";
        let read = cohorts_from_csv(typed, &model, &["Bauamt".into(), "IT".into()]).unwrap();
        assert_eq!(read[0].department, "Bauamt");
        assert_eq!(read[0].role, "alle");
        assert_eq!(read[0].levels.get("ki_verstehen"), Some(&2));
        assert_eq!(read[0].levels.get("recht_und_ethik"), Some(&1));
        assert_eq!(read[0].levels.get("datenkompetenz"), Some(&0));
        assert_eq!(read[1].role, "it");
    }

    #[test]
    fn unknown_names_are_refused_line_by_line_naming_the_value() {
        let (model, _) = setup();
        let typed = "Fachbereich;Rolle;Anzahl;KI-Grundlagen;Zauberei\n\
                     Bauamt;Alle Beschäftigten;3;2;1\nStandesamt;Alle Beschäftigten;1;1;1\nBauamt;Hausmeister;2;1;1\n";
        let err = cohorts_from_csv(typed, &model, &["Bauamt".into()])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Zeile 1: Den Kompetenzbereich „Zauberei“ gibt es nicht"),
            "{err}"
        );
        assert!(
            err.contains(
                "Zeile 3: Den Fachbereich „Standesamt“ gibt es im Profil der Kommune nicht"
            ),
            "{err}"
        );
        assert!(
            err.contains("Zeile 4: Die Rolle „Hausmeister“ gibt es nicht"),
            "{err}"
        );
        assert!(err.contains("„Alle Beschäftigten“"), "{err}");
        assert!(
            !err.contains("ki_verstehen") && !err.contains("fuehrungskraefte"),
            "{err}"
        );
    }
}
