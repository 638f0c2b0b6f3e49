//! The canvas of a use case as form fields and back: rows of data sources
//! and risks, ratings, and the messages next to each field.

use crate::form::from_key;
use crate::form::key;
use crate::form::FieldErrors;
use crate::form::Fields;
use crate::usecases::page::choices;
use crate::usecases::page::parse_rating;
use crate::usecases::page::rating_choices;
use crate::usecases::page::Choice;
use journey::usecase::canvas::{
    AiKind, Benefit, Canvas, DataClass, DataSource, Feasibility, HumanOversight, Integration,
    IntegrationKind, Risk,
};

pub(super) const SOURCE_ROWS_EXTRA: usize = 2;
pub(super) const RISK_ROWS_EXTRA: usize = 1;
pub(super) const MAX_ROWS: usize = 30;

pub(super) const RATING_FIELDS: [(&str, &str); 6] = [
    ("quality", "Qualität der Ergebnisse"),
    ("citizen_service", "Bürgerservice"),
    ("data_availability", "Datenverfügbarkeit"),
    ("technical_maturity", "Technische Reife"),
    ("effort", "Aufwand (5 = sehr hoch)"),
    ("cost", "Kosten (5 = sehr hoch)"),
];

/// The canvas as form fields, so that a stored canvas and a posted form are
/// shown the same way.
pub fn canvas_fields(c: &Canvas, version: i64) -> Fields {
    let mut f = Fields::default();
    f.push("version", version.to_string());
    f.push("goal", c.goal.clone());
    f.push("users", c.users.clone());
    for (i, s) in c.data_sources.iter().enumerate() {
        f.push(format!("source_name_{i}"), s.name.clone());
        f.push(format!("source_class_{i}"), key(s.class));
    }
    for k in &c.ai_kinds {
        f.push("ai_kind", key(*k));
    }
    if let Some(h) = c.human_oversight {
        f.push("human_oversight", key(h));
    }
    if let Some(i) = &c.integration {
        f.push("integration_kind", key(i.kind));
        f.push("integration_procedure", i.procedure.clone());
    }
    if let Some(h) = c.benefit.hours_saved_per_year {
        f.push("hours_saved_per_year", h.to_string());
    }
    let ratings = [
        ("quality", c.benefit.quality),
        ("citizen_service", c.benefit.citizen_service),
        ("data_availability", c.feasibility.data_availability),
        ("technical_maturity", c.feasibility.technical_maturity),
        ("effort", c.feasibility.effort),
        ("cost", c.feasibility.cost),
    ];
    for (name, r) in ratings {
        if let Some(r) = r {
            f.push(name, r.get().to_string());
        }
    }
    for (i, r) in c.risks.iter().enumerate() {
        f.push(format!("risk_description_{i}"), r.description.clone());
        if let Some(l) = r.likelihood {
            f.push(format!("risk_likelihood_{i}"), l.get().to_string());
        }
        if let Some(m) = r.impact {
            f.push(format!("risk_impact_{i}"), m.get().to_string());
        }
        f.push(format!("risk_mitigation_{i}"), r.mitigation.clone());
    }
    f
}

/// Reads the canvas form; `base` keeps what the form does not show
/// (the ratings of custom criteria).
pub fn parse_canvas(fields: &Fields, base: &Canvas, errors: &mut FieldErrors) -> Canvas {
    let text = |n: &str| fields.get(n).trim().to_owned();
    let mut data_sources = Vec::new();
    for i in 0..MAX_ROWS {
        let name = text(&format!("source_name_{i}"));
        let class_field = format!("source_class_{i}");
        let class = text(&class_field);
        if name.is_empty() && class.is_empty() {
            continue;
        }
        match (name.is_empty(), from_key::<DataClass>(&class)) {
            (false, Some(class)) => data_sources.push(DataSource { name, class }),
            (true, _) => errors.insert(
                format!("source_name_{i}"),
                "Bitte die Datenquelle benennen oder die Datenklasse leeren.",
            ),
            (false, None) => errors.insert(class_field, "Bitte eine Datenklasse wählen."),
        }
    }
    let mut ai_kinds = Vec::new();
    for k in fields.all("ai_kind") {
        match from_key::<AiKind>(k) {
            Some(k) if !ai_kinds.contains(&k) => ai_kinds.push(k),
            Some(_) => {}
            None => errors.insert("ai_kind", "Unbekannte Art der KI."),
        }
    }
    let human_oversight = match text("human_oversight").as_str() {
        "" => None,
        k => {
            let h = from_key::<HumanOversight>(k);
            if h.is_none() {
                errors.insert("human_oversight", "Bitte eine der Möglichkeiten wählen.");
            }
            h
        }
    };
    let integration = match text("integration_kind").as_str() {
        "" => None,
        k => match from_key::<IntegrationKind>(k) {
            Some(kind) => Some(Integration {
                kind,
                procedure: text("integration_procedure"),
            }),
            None => {
                errors.insert("integration_kind", "Bitte eine der Möglichkeiten wählen.");
                None
            }
        },
    };
    let hours_raw = text("hours_saved_per_year");
    let hours_saved_per_year = if hours_raw.is_empty() {
        None
    } else {
        match hours_raw.replace(',', ".").parse::<f64>() {
            Ok(h) if h.is_finite() && h >= 0.0 => Some(h),
            _ => {
                errors.insert(
                    "hours_saved_per_year",
                    "Bitte eine Zahl ab 0 angeben, z. B. 450.",
                );
                None
            }
        }
    };
    let mut risks = Vec::new();
    for i in 0..MAX_ROWS {
        let description = text(&format!("risk_description_{i}"));
        let likelihood = parse_rating(fields, &format!("risk_likelihood_{i}"), errors);
        let impact = parse_rating(fields, &format!("risk_impact_{i}"), errors);
        let mitigation = text(&format!("risk_mitigation_{i}"));
        if description.is_empty() {
            if likelihood.is_some() || impact.is_some() || !mitigation.is_empty() {
                errors.insert(
                    format!("risk_description_{i}"),
                    "Bitte das Risiko beschreiben.",
                );
            }
            continue;
        }
        risks.push(Risk {
            description,
            likelihood,
            impact,
            mitigation,
        });
    }
    let canvas = Canvas {
        goal: text("goal"),
        users: text("users"),
        data_sources,
        ai_kinds,
        human_oversight,
        integration,
        benefit: Benefit {
            hours_saved_per_year,
            quality: parse_rating(fields, "quality", errors),
            citizen_service: parse_rating(fields, "citizen_service", errors),
        },
        feasibility: Feasibility {
            data_availability: parse_rating(fields, "data_availability", errors),
            technical_maturity: parse_rating(fields, "technical_maturity", errors),
            effort: parse_rating(fields, "effort", errors),
            cost: parse_rating(fields, "cost", errors),
        },
        risks,
        ratings: base.ratings.clone(),
    };
    if let Err(e) = canvas.validate() {
        errors.insert("hours_saved_per_year", e.to_string());
    }
    canvas
}

pub struct SourceRow {
    pub index: usize,
    pub name: String,
    pub classes: Vec<Choice>,
    pub name_error: String,
    pub class_error: String,
}

pub struct RatingRow {
    pub name: &'static str,
    pub label: &'static str,
    pub choices: Vec<Choice>,
    pub error: String,
}

pub struct RiskRow {
    pub index: usize,
    pub number: usize,
    pub description: String,
    pub likelihood: Vec<Choice>,
    pub impact: Vec<Choice>,
    pub mitigation: String,
    pub error: String,
}

pub struct CanvasForm {
    pub version: String,
    pub goal: String,
    pub users: String,
    pub sources: Vec<SourceRow>,
    pub ai_kinds: Vec<Choice>,
    pub oversight: Vec<Choice>,
    pub integration_kinds: Vec<Choice>,
    pub procedure: String,
    pub hours: String,
    pub ratings: Vec<RatingRow>,
    pub risks: Vec<RiskRow>,
}

pub(super) fn used_rows(fields: &Fields, prefixes: &[&str]) -> Vec<usize> {
    (0..MAX_ROWS)
        .filter(|i| {
            prefixes
                .iter()
                .any(|p| !fields.get(&format!("{p}{i}")).trim().is_empty())
        })
        .collect()
}

pub(super) fn with_blank_rows(mut rows: Vec<usize>, extra: usize) -> Vec<usize> {
    let first = rows.last().map_or(0, |l| l + 1);
    rows.extend((first..MAX_ROWS).take(extra));
    rows
}

impl CanvasForm {
    pub fn from_fields(fields: &Fields, errors: &FieldErrors) -> CanvasForm {
        let err = |n: &str| errors.get(n).cloned().unwrap_or_default();
        let mut class_options = vec![(String::new(), "– bitte wählen –")];
        class_options.extend(DataClass::ALL.into_iter().map(|c| (key(c), c.label())));
        let sources = with_blank_rows(
            used_rows(fields, &["source_name_", "source_class_"]),
            SOURCE_ROWS_EXTRA,
        )
        .into_iter()
        .map(|i| {
            let class_field = format!("source_class_{i}");
            SourceRow {
                index: i,
                name: fields.get(&format!("source_name_{i}")).to_owned(),
                classes: choices(class_options.clone(), &[fields.get(&class_field)]),
                name_error: err(&format!("source_name_{i}")),
                class_error: err(&class_field),
            }
        })
        .collect();
        let risks = with_blank_rows(
            used_rows(
                fields,
                &[
                    "risk_description_",
                    "risk_likelihood_",
                    "risk_impact_",
                    "risk_mitigation_",
                ],
            ),
            RISK_ROWS_EXTRA,
        )
        .into_iter()
        .enumerate()
        .map(|(n, i)| {
            let name = |p: &str| format!("{p}{i}");
            let errors_here: Vec<String> =
                ["risk_description_", "risk_likelihood_", "risk_impact_"]
                    .iter()
                    .filter_map(|p| errors.get(&name(p)).cloned())
                    .collect();
            RiskRow {
                index: i,
                number: n + 1,
                description: fields.get(&name("risk_description_")).to_owned(),
                likelihood: rating_choices(fields.get(&name("risk_likelihood_"))),
                impact: rating_choices(fields.get(&name("risk_impact_"))),
                mitigation: fields.get(&name("risk_mitigation_")).to_owned(),
                error: errors_here.join(" "),
            }
        })
        .collect();
        let mut oversight = vec![(String::new(), "– bitte wählen –")];
        oversight.extend(HumanOversight::ALL.into_iter().map(|h| (key(h), h.label())));
        let mut integration = vec![(String::new(), "– bitte wählen –")];
        integration.extend(
            IntegrationKind::ALL
                .into_iter()
                .map(|k| (key(k), k.label())),
        );
        CanvasForm {
            version: fields.get("version").to_owned(),
            goal: fields.get("goal").to_owned(),
            users: fields.get("users").to_owned(),
            sources,
            ai_kinds: choices(
                AiKind::ALL.into_iter().map(|k| (key(k), k.label())),
                &fields.all("ai_kind"),
            ),
            oversight: choices(oversight, &[fields.get("human_oversight")]),
            integration_kinds: choices(integration, &[fields.get("integration_kind")]),
            procedure: fields.get("integration_procedure").to_owned(),
            hours: fields.get("hours_saved_per_year").to_owned(),
            ratings: RATING_FIELDS
                .iter()
                .map(|(name, label)| RatingRow {
                    name,
                    label,
                    choices: rating_choices(fields.get(name)),
                    error: err(name),
                })
                .collect(),
            risks,
        }
    }
}
