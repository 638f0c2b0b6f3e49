//! Exchange with other municipalities: the catalogue as JSON (schema
//! `schemas/qualification-catalogue.schema.json`) with a merge that matches
//! offers by identifier or URL and reports conflicts instead of duplicating;
//! offers as CSV (RFC 4180, UTF-8) with row errors by line number.

use serde::Serialize;

use super::catalogue::Catalogue;
use super::offer::{Coverage, Format, LearningOffer, ProviderType};
pub use super::planner::csv_input::{cohorts_csv, cohorts_from_csv};
use super::QualificationError;
use crate::competency::CompetencyModel;

pub const CATALOGUE_SCHEMA_ID: &str =
    "https://ki-reise.example/schemas/qualification-catalogue.schema.json";

/// The catalogue as pretty JSON with its schema named.
pub fn export_json(catalogue: &Catalogue) -> String {
    let mut c = catalogue.clone();
    c.schema = Some(CATALOGUE_SCHEMA_ID.to_string());
    serde_json::to_string_pretty(&c).unwrap_or_default()
}

/// Reads a catalogue another instance exported; every problem names its item.
pub fn import_json(text: &str, model: &CompetencyModel) -> Result<Catalogue, QualificationError> {
    let catalogue: Catalogue =
        serde_json::from_str(text).map_err(|e| QualificationError::InvalidImport {
            problems: vec![format!("Kein gültiger Katalog (JSON): {e}")],
        })?;
    let problems = catalogue.problems(model);
    if problems.is_empty() {
        Ok(catalogue)
    } else {
        Err(QualificationError::InvalidImport { problems })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    /// "Lernangebot", "Bildungspartner" or "Lernpfad".
    pub kind: &'static str,
    pub id: String,
    /// The local item it matched (differs from `id` when matched by URL).
    pub existing: String,
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergeReport {
    pub added: Vec<String>,
    pub unchanged: Vec<String>,
    pub conflicts: Vec<Conflict>,
}

/// The differing top-level fields of two serialisable items.
fn differing_fields<T: Serialize>(a: &T, b: &T, ignore: &[&str]) -> Vec<String> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(a), serde_json::to_value(b))
    else {
        return vec!["(alles)".into()];
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !ignore.contains(&k.as_str()) && a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

impl MergeReport {
    /// Files one incoming item: added when there is no local match, else
    /// unchanged or a conflict naming the differing fields.
    fn file<T: Serialize + Clone>(
        &mut self,
        kind: &'static str,
        incoming: (&str, &T),
        local: Option<(&str, &T)>,
        ignore: &[&str],
        merged: &mut Vec<T>,
    ) {
        let (id, item) = incoming;
        match local {
            None => {
                merged.push(item.clone());
                self.added.push(format!("{kind} {id}"));
            }
            Some((local_id, local)) => {
                let fields = differing_fields(local, item, ignore);
                if fields.is_empty() {
                    self.unchanged.push(format!("{kind} {id}"));
                } else {
                    self.conflicts.push(Conflict {
                        kind,
                        id: id.to_string(),
                        existing: local_id.to_string(),
                        fields,
                    });
                }
            }
        }
    }
}

/// Merges `incoming` into `existing`: new items are added, equal ones
/// skipped, differing ones left as they are and reported. Offers match by
/// id or by URL; paths of the import are rewritten to the local offer ids.
/// The merged catalogue is checked as a whole before it is returned.
pub fn merge(
    existing: &Catalogue,
    incoming: &Catalogue,
    model: &CompetencyModel,
) -> Result<(Catalogue, MergeReport), QualificationError> {
    let mut merged = existing.clone();
    let mut report = MergeReport {
        added: Vec::new(),
        unchanged: Vec::new(),
        conflicts: Vec::new(),
    };
    // incoming offer id → local id
    let mut renamed: Vec<(String, String)> = Vec::new();
    for offer in &incoming.offers {
        let local = existing.offer(&offer.id).or_else(|| {
            offer
                .url
                .as_ref()
                .and_then(|u| existing.offers.iter().find(|o| o.url.as_ref() == Some(u)))
        });
        if let Some(local) = local.filter(|l| l.id != offer.id) {
            renamed.push((offer.id.clone(), local.id.clone()));
        }
        report.file(
            "Lernangebot",
            (&offer.id, offer),
            local.map(|l| (l.id.as_str(), l)),
            &["id", "checked_on"],
            &mut merged.offers,
        );
    }
    for partner in &incoming.partners {
        let local = existing.partners.iter().find(|p| p.id == partner.id);
        report.file(
            "Bildungspartner",
            (&partner.id, partner),
            local.map(|l| (l.id.as_str(), l)),
            &[],
            &mut merged.partners,
        );
    }
    for path in &incoming.paths {
        let mut path = path.clone();
        for step in &mut path.steps {
            for offer in &mut step.offers {
                if let Some((_, local)) = renamed.iter().find(|(from, _)| from == offer) {
                    *offer = local.clone();
                }
            }
        }
        let local = existing.path(&path.id);
        report.file(
            "Lernpfad",
            (&path.id, &path),
            local.map(|l| (l.id.as_str(), l)),
            &[],
            &mut merged.paths,
        );
    }
    // Imported offers may name partners the import did not bring along.
    for offer in &mut merged.offers {
        if offer
            .partner
            .as_deref()
            .is_some_and(|p| !merged.partners.iter().any(|q| q.id == p))
        {
            offer.partner = None;
        }
    }
    let problems = merged.problems(model);
    if !problems.is_empty() {
        return Err(QualificationError::InvalidImport { problems });
    }
    Ok((merged, report))
}

const CSV_HEADER: [&str; 15] = [
    "id",
    "title",
    "provider",
    "provider_type",
    "format",
    "duration_hours",
    "cost_eur",
    "language",
    "accessibility",
    "certificate",
    "licence",
    "url",
    "covers",
    "checked_on",
    "description",
];

fn enum_key<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// `area:from-to` pairs joined by `;`, e.g. `ki_verstehen:0-2;datenkompetenz:0-1`.
fn covers_text(covers: &[Coverage]) -> String {
    covers
        .iter()
        .map(|c| format!("{}:{}-{}", c.area, c.from, c.to))
        .collect::<Vec<_>>()
        .join(";")
}

fn parse_covers(text: &str) -> Result<Vec<Coverage>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|part| {
            let (area, range) = part
                .split_once(':')
                .ok_or_else(|| format!("„{part}“ hat nicht die Form bereich:von-bis"))?;
            let (from, to) = range
                .split_once('-')
                .ok_or_else(|| format!("„{part}“ hat nicht die Form bereich:von-bis"))?;
            let level = |s: &str| {
                s.trim()
                    .parse::<u8>()
                    .map_err(|_| format!("„{s}“ in „{part}“ ist keine Stufe"))
            };
            Ok(Coverage {
                area: area.trim().to_string(),
                from: level(from)?,
                to: level(to)?,
            })
        })
        .collect()
}

/// The header of a CSV file; an unreadable one is line 1's problem.
fn csv_header(reader: &mut csv::Reader<&[u8]>) -> Result<Vec<String>, QualificationError> {
    Ok(reader
        .headers()
        .map_err(|e| QualificationError::InvalidImport {
            problems: vec![format!("Zeile 1: Die Kopfzeile ist nicht lesbar: {e}")],
        })?
        .iter()
        .map(str::to_owned)
        .collect())
}

pub fn offers_csv(offers: &[LearningOffer]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(CSV_HEADER);
    for o in offers {
        let hours = o.duration_hours.to_string();
        let cost = o.cost_eur.map(|c| c.to_string()).unwrap_or_default();
        let _ = w.write_record([
            o.id.as_str(),
            &o.title,
            &o.provider,
            &enum_key(&o.provider_type),
            &enum_key(&o.format),
            &hours,
            &cost,
            &o.language,
            &o.accessibility,
            &o.certificate,
            &o.licence,
            o.url.as_deref().unwrap_or(""),
            &covers_text(&o.covers),
            o.checked_on.as_deref().unwrap_or(""),
            &o.description,
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn parse_enum<T: serde::de::DeserializeOwned>(value: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(value.trim().to_string())).ok()
}

/// Reads offers from CSV with the export's header. Nothing is returned
/// unless every row is valid; each problem names its line (the header is
/// line 1) and the offer.
pub fn offers_from_csv(
    text: &str,
    model: &CompetencyModel,
) -> Result<Vec<LearningOffer>, QualificationError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let invalid = |problems| QualificationError::InvalidImport { problems };
    let header = csv_header(&mut reader)?;
    let missing: Vec<&str> = CSV_HEADER[..13]
        .iter()
        .copied()
        .filter(|h| !header.iter().any(|x| x == h))
        .collect();
    if !missing.is_empty() {
        return Err(invalid(vec![format!(
            "Zeile 1: Es fehlen die Spalten {}.",
            missing.join(", ")
        )]));
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let mut offers = Vec::new();
    let mut problems = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(format!("Zeile {line}: nicht lesbar: {e}"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let get = |name: &str| {
            col(name)
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let id = get("id");
        let mut row = Vec::new();
        let provider_type = parse_enum::<ProviderType>(&get("provider_type"));
        if provider_type.is_none() {
            row.push(format!(
                "Anbietertyp „{}“ ist unbekannt",
                get("provider_type")
            ));
        }
        let format = parse_enum::<Format>(&get("format"));
        if format.is_none() {
            row.push(format!("Format „{}“ ist unbekannt", get("format")));
        }
        let number = |name: &str, label: &str, row: &mut Vec<String>| -> Option<f64> {
            let raw = get(name);
            if raw.is_empty() {
                return None;
            }
            match raw.replace(',', ".").parse::<f64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    row.push(format!("{label} „{raw}“ ist keine Zahl"));
                    None
                }
            }
        };
        let hours = number("duration_hours", "Dauer", &mut row);
        if hours.is_none() && get("duration_hours").is_empty() {
            row.push("Die Dauer fehlt".into());
        }
        let cost = number("cost_eur", "Kosten", &mut row);
        let covers = parse_covers(&get("covers")).unwrap_or_else(|e| {
            row.push(e);
            Vec::new()
        });
        let optional = |s: String| if s.is_empty() { None } else { Some(s) };
        if let (Some(provider_type), Some(format), Some(hours)) = (provider_type, format, hours) {
            let offer = LearningOffer {
                id: id.clone(),
                title: get("title"),
                description: get("description"),
                provider: get("provider"),
                provider_type,
                format,
                duration_hours: hours,
                cost_eur: cost,
                language: get("language"),
                accessibility: get("accessibility"),
                certificate: get("certificate"),
                licence: get("licence"),
                url: optional(get("url")),
                covers,
                partner: None,
                checked_on: optional(get("checked_on")),
            };
            row.extend(offer.problems(model));
            if row.is_empty() {
                offers.push(offer);
            }
        }
        if !ids.insert(id.clone()) {
            row.push("die Kennung kommt in der Datei mehrfach vor".into());
        }
        if !row.is_empty() {
            problems.push(format!("Zeile {line} („{id}“): {}", row.join("; ")));
        }
    }
    if problems.is_empty() {
        Ok(offers)
    } else {
        Err(invalid(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::qualification::shipped as setup;

    #[test]
    fn offers_survive_a_csv_round_trip() {
        let (model, catalogue) = setup();
        let text = offers_csv(&catalogue.offers);
        let back = offers_from_csv(&text, &model).unwrap();
        let mut expected = catalogue.offers.clone();
        for o in &mut expected {
            o.partner = None;
        }
        assert_eq!(back, expected);
    }

    #[test]
    fn invalid_csv_rows_are_reported_with_line_numbers_and_nothing_is_returned() {
        let (model, catalogue) = setup();
        let mut text = offers_csv(&catalogue.offers[..2]);
        text.push_str(
            "kaputt,Titel,Anbieter,raumschiff,praesenz,abc,,de,,,,ftp://x,ki_verstehen:0-1,,\n",
        );
        let err = offers_from_csv(&text, &model).unwrap_err().to_string();
        assert!(err.contains("Zeile 4 („kaputt“)"), "{err}");
        assert!(
            err.contains("raumschiff") && err.contains("„abc“ ist keine Zahl"),
            "{err}"
        );
        let mut bad_url = offers_csv(&catalogue.offers[..1]);
        bad_url.push_str("neu,Titel,Anbieter,bund,praesenz,2,,de,,,,ftp://x,ki_verstehen:0-1,,\n");
        let err = offers_from_csv(&bad_url, &model).unwrap_err().to_string();
        assert!(err.contains("Zeile 3") && err.contains("ftp://x"), "{err}");
    }

    #[test]
    fn a_missing_column_is_named() {
        let (model, _) = setup();
        let err = offers_from_csv("id,title\nx,y\n", &model)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Zeile 1") && err.contains("provider_type"),
            "{err}"
        );
    }

    #[test]
    fn the_json_export_imports_again_unchanged() {
        let (model, catalogue) = setup();
        let back = import_json(&export_json(&catalogue), &model).unwrap();
        assert_eq!(back.offers, catalogue.offers);
        assert_eq!(back.paths, catalogue.paths);
    }

    #[test]
    fn merging_matches_by_url_reports_conflicts_and_adds_only_new_items() {
        let (model, local) = setup();
        let mut other = local.clone();
        // Same course under another id, with a different price: a conflict.
        other.offers[0].id = "eoa_de".into();
        other.offers[0].cost_eur = Some(10.0);
        for step in other.paths.iter_mut().flat_map(|p| p.steps.iter_mut()) {
            for o in &mut step.offers {
                if o == &local.offers[0].id {
                    *o = "eoa_de".into();
                }
            }
        }
        let mut new = local.offers[1].clone();
        new.id = "neu".into();
        new.url = Some("https://neu.example/kurs".into());
        other.offers.push(new);
        let (merged, report) = merge(&local, &other, &model).unwrap();
        assert_eq!(merged.offers.len(), local.offers.len() + 1);
        assert_eq!(report.added, ["Lernangebot neu"]);
        assert_eq!(report.conflicts.len(), 1);
        let c = &report.conflicts[0];
        assert_eq!(
            (c.id.as_str(), c.existing.as_str()),
            ("eoa_de", local.offers[0].id.as_str())
        );
        assert_eq!(c.fields, ["cost_eur"]);
        // Paths that referred to the import's id match the local path again.
        assert!(
            report.unchanged.iter().any(|u| u.starts_with("Lernpfad")),
            "{report:?}"
        );
        assert_eq!(
            merged.offer(&local.offers[0].id),
            local.offer(&local.offers[0].id)
        );
    }
}
