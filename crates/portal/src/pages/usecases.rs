//! Use cases (Anwendungsfälle): the list with ranking and benefit/feasibility
//! matrix, the intake form for every staff member, the detail page with the
//! canvas, status changes and the register entry for the project team, and
//! the library of use cases from other municipalities.
//!
//! Forms are read as plain field pairs, so repeated fields (checkboxes, rows
//! of data sources and risks) need no JavaScript; on an error the page is
//! rendered again with the input kept and the message next to its field.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use journey::access::Permission;
use journey::usecase::ai_act::{Classification, DecisionTree};
use journey::usecase::canvas::{
    AiKind, Benefit, Canvas, DataClass, DataSource, Feasibility, HumanOversight, Intake,
    Integration, IntegrationKind, Rating, Risk,
};
use journey::usecase::library::Library;
use journey::usecase::matrix::{matrix_svg, matrix_table_html};
use journey::usecase::model::{Origin, Status, UseCase};
use journey::usecase::register::{RegisterEntry, RegisterField};
use journey::usecase::scoring::{rank, Candidate, Criteria, Ranking};
use journey::usecase::UseCaseError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use store::usecases::UseCaseRecord;
use store::StoreError;

use super::{render, FieldErrors};
use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::view::{format_time, Layout};
use crate::AppState;

const NAV: &str = "/anwendungsfaelle";

// ---------------------------------------------------------------------------
// Shipped content, parsed once.

pub fn cached<T>(
    cell: &'static OnceLock<Result<T, String>>,
    load: impl FnOnce() -> Result<T, UseCaseError>,
) -> Result<&'static T, AppError> {
    cell.get_or_init(|| load().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| AppError::Internal(e.clone()))
}

/// The EU AI Act decision tree shipped with ki-reise.
pub fn decision_tree() -> Result<&'static DecisionTree, AppError> {
    static TREE: OnceLock<Result<DecisionTree, String>> = OnceLock::new();
    cached(&TREE, DecisionTree::shipped)
}

/// The scoring criteria shipped with ki-reise.
pub fn criteria() -> Result<&'static Criteria, AppError> {
    static CRITERIA: OnceLock<Result<Criteria, String>> = OnceLock::new();
    cached(&CRITERIA, Criteria::shipped)
}

/// The library of use cases seen in German municipalities.
pub fn library() -> Result<&'static Library, AppError> {
    static LIBRARY: OnceLock<Result<Library, String>> = OnceLock::new();
    cached(&LIBRARY, Library::shipped)
}

// ---------------------------------------------------------------------------
// Shared helpers for pages and API.

/// A new use-case id: `af-` and eight hex digits.
pub fn new_id() -> String {
    format!("af-{}", store::random_token(4))
}

/// Now as an RFC 3339 timestamp (UTC), for the status history.
pub fn timestamp() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The serde name of a value (`generative_text`, `pilot`, …).
pub fn key<T: Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The value with this serde name.
pub fn from_key<T: DeserializeOwned>(key: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(key.trim().to_owned())).ok()
}

/// The register entry with the fields that follow from the use case brought
/// up to date; what the project team wrote (name, description, contact,
/// what is internal, whether it is published) stays.
pub fn refresh_register(entry: Option<&RegisterEntry>, uc: &UseCase) -> Option<RegisterEntry> {
    let old = entry?;
    let mut fresh = RegisterEntry::draft_from(uc);
    fresh.name.clone_from(&old.name);
    fresh.description.clone_from(&old.description);
    fresh.contact.clone_from(&old.contact);
    fresh.internal.clone_from(&old.internal);
    fresh.published = old.published;
    Some(fresh)
}

/// Saves the use case (and its register entry, refreshed) with an audit note.
pub async fn save(
    state: &AppState,
    cu: &CurrentUser,
    record: &UseCaseRecord,
    uc: &UseCase,
    expected_version: i64,
    change: &str,
) -> Result<UseCaseRecord, StoreError> {
    let register = refresh_register(record.register.as_ref(), uc);
    state
        .store
        .save_use_case(&cu.actor(), uc, register.as_ref(), expected_version, change)
        .await
}

/// The text after "im Canvas fehlen" etc.: the transition error without its
/// generic prefix, for showing next to the status field.
fn use_case_message(e: &UseCaseError) -> String {
    e.to_string()
}

// ---------------------------------------------------------------------------
// Form values.

/// The fields of a posted form, in order; repeated names are kept.
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn new(pairs: Vec<(String, String)>) -> Fields {
        Fields(pairs)
    }

    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    fn version(&self) -> i64 {
        self.get("version").trim().parse().unwrap_or(-1)
    }
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn choices<'a>(
    options: impl IntoIterator<Item = (String, &'a str)>,
    selected: &[&str],
) -> Vec<Choice> {
    options
        .into_iter()
        .map(|(value, label)| Choice {
            selected: selected.contains(&value.as_str()),
            value,
            label: label.to_owned(),
        })
        .collect()
}

fn rating_choices(selected: &str) -> Vec<Choice> {
    let mut out = vec![Choice {
        value: String::new(),
        label: "– nicht bewertet –".to_owned(),
        selected: selected.trim().is_empty(),
    }];
    out.extend((Rating::MIN..=Rating::MAX).map(|n| Choice {
        value: n.to_string(),
        label: n.to_string(),
        selected: selected.trim() == n.to_string(),
    }));
    out
}

fn parse_rating(fields: &Fields, name: &str, errors: &mut FieldErrors) -> Option<Rating> {
    let raw = fields.get(name).trim();
    if raw.is_empty() {
        return None;
    }
    let rating = raw.parse::<u8>().ok().and_then(Rating::new);
    if rating.is_none() {
        errors.insert(name, "Bitte eine Bewertung von 1 bis 5 wählen.");
    }
    rating
}

// ---------------------------------------------------------------------------
// Intake.

/// Reads an intake form; `department` must be one of the municipality's.
pub fn parse_intake(fields: &Fields, departments: &[String], errors: &mut FieldErrors) -> Intake {
    let text = |name: &str| fields.get(name).trim().to_owned();
    let title = text("title");
    if title.is_empty() {
        errors.insert("title", "Bitte geben Sie der Idee einen kurzen Titel.");
    } else if title.chars().count() > 200 {
        errors.insert("title", "Der Titel ist zu lang (höchstens 200 Zeichen).");
    }
    let problem = text("problem");
    if problem.is_empty() {
        errors.insert(
            "problem",
            "Bitte beschreiben Sie, welches Problem die Idee lösen soll.",
        );
    }
    let cases = text("cases_per_year");
    let cases_per_year = if cases.is_empty() {
        None
    } else {
        let parsed = cases.replace('.', "").parse::<u32>().ok();
        if parsed.is_none() {
            errors.insert(
                "cases_per_year",
                "Bitte eine ganze Zahl angeben, z. B. 1200.",
            );
        }
        parsed
    };
    let department = text("department");
    let department = if department.is_empty() {
        None
    } else if departments.contains(&department) {
        Some(department)
    } else {
        errors.insert(
            "department",
            "Bitte einen Fachbereich aus der Liste wählen.",
        );
        None
    };
    Intake {
        title,
        problem,
        current_process: text("current_process"),
        affected: text("affected"),
        data: text("data"),
        expected_benefit: text("expected_benefit"),
        volume: text("volume"),
        cases_per_year,
        department,
    }
}

async fn departments(state: &AppState) -> Result<Vec<String>, PageError> {
    Ok(state
        .store
        .profile()
        .await?
        .map(|(p, _)| p.departments.into_iter().map(|d| d.name).collect())
        .unwrap_or_default())
}

pub struct IntakeForm {
    pub title: String,
    pub problem: String,
    pub current_process: String,
    pub affected: String,
    pub data: String,
    pub expected_benefit: String,
    pub volume: String,
    pub cases_per_year: String,
    pub departments: Vec<Choice>,
}

impl IntakeForm {
    fn from_fields(fields: &Fields, departments: &[String]) -> IntakeForm {
        let f = |n: &str| fields.get(n).to_owned();
        let mut options = vec![(String::new(), "– keiner –")];
        options.extend(departments.iter().map(|d| (d.clone(), d.as_str())));
        IntakeForm {
            title: f("title"),
            problem: f("problem"),
            current_process: f("current_process"),
            affected: f("affected"),
            data: f("data"),
            expected_benefit: f("expected_benefit"),
            volume: f("volume"),
            cases_per_year: f("cases_per_year"),
            departments: choices(options, &[fields.get("department")]),
        }
    }
}

#[derive(Template)]
#[template(path = "usecase_new.html")]
struct NewPage {
    layout: Layout,
    form: IntakeForm,
    errors: FieldErrors,
    form_error: String,
}

pub async fn new_form(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Response, PageError> {
    let departments = departments(&state).await?;
    let mut fields = Fields::default();
    if let Some(d) = &cu.user.department {
        fields.push("department", d.clone());
    }
    render(&NewPage {
        layout: Layout::for_user(&state, &cu, "Idee einreichen", NAV).await,
        form: IntakeForm::from_fields(&fields, &departments),
        errors: FieldErrors::new(),
        form_error: String::new(),
    })
}

pub async fn create(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    let departments = departments(&state).await?;
    let mut errors = FieldErrors::new();
    let intake = parse_intake(&fields, &departments, &mut errors);
    if errors.is_empty() {
        let uc = UseCase::new(&new_id(), intake, Origin::Own)
            .map_err(|e| AppError::invalid("title", e.to_string()))?;
        let record = state.store.create_use_case(&cu.actor(), &uc).await?;
        return Ok(
            Redirect::to(&format!("/anwendungsfaelle/{}?neu=1", record.use_case.id))
                .into_response(),
        );
    }
    let mut response = render(&NewPage {
        layout: Layout::for_user(&state, &cu, "Idee einreichen", NAV).await,
        form: IntakeForm::from_fields(&fields, &departments),
        errors,
        form_error: "Bitte prüfen Sie die markierten Felder.".to_owned(),
    })?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

// ---------------------------------------------------------------------------
// List with ranking and matrix.

pub struct ListRow {
    pub id: String,
    pub title: String,
    pub status: &'static str,
    pub department: String,
    pub risk: String,
    pub updated: String,
}

pub struct IncompleteRow {
    pub id: String,
    pub title: String,
    pub missing: String,
}

#[derive(Template)]
#[template(path = "usecases.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<ListRow>,
    matrix_svg: String,
    matrix_table: String,
    ranked: usize,
    incomplete: Vec<IncompleteRow>,
    can_submit: bool,
    can_assess: bool,
}

/// The accessible name of the benefit/feasibility matrix chart.
pub const MATRIX_TITLE: &str = "Nutzen und Machbarkeit der Anwendungsfälle";

/// The ranking of the use cases still in play (all but the stopped ones)
/// under the criteria in force.
pub async fn ranking(state: &AppState, records: &[UseCaseRecord]) -> Result<Ranking, AppError> {
    let criteria_now = super::usecase_criteria::current(state).await?;
    let active = records
        .iter()
        .map(|r| &r.use_case)
        .filter(|uc| uc.status != Status::Stopped);
    rank(active.map(Candidate::from), &criteria_now).map_err(|e| AppError::Internal(e.to_string()))
}

pub async fn list(State(state): State<AppState>, cu: CurrentUser) -> Result<Response, PageError> {
    let records = state.store.use_cases().await?;
    let rows = records
        .iter()
        .map(|r| {
            let uc = &r.use_case;
            ListRow {
                id: uc.id.clone(),
                title: uc.intake.title.clone(),
                status: uc.status.label(),
                department: uc.intake.department.clone().unwrap_or_else(|| "–".into()),
                risk: uc
                    .classification
                    .as_ref()
                    .map_or_else(|| "noch nicht eingestuft".into(), |c| c.risk.label().into()),
                updated: format_time(r.updated_at),
            }
        })
        .collect();
    let ranking = ranking(&state, &records).await?;
    let ranked = ranking.ranked.len();
    let (svg, table) = if ranked == 0 {
        (String::new(), String::new())
    } else {
        (
            matrix_svg(&ranking, "matrix", MATRIX_TITLE),
            matrix_table_html(&ranking, "Rangfolge nach Nutzen und Machbarkeit"),
        )
    };
    let incomplete = ranking
        .incomplete
        .iter()
        .map(|u| IncompleteRow {
            id: u.id.clone(),
            title: u.title.clone(),
            missing: u
                .missing
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    render(&ListPage {
        layout: Layout::for_user(&state, &cu, "Anwendungsfälle", NAV).await,
        rows,
        matrix_svg: svg,
        matrix_table: table,
        ranked,
        incomplete,
        can_submit: cu.user.role.can(Permission::SubmitUseCases),
        can_assess: cu.user.role.can(Permission::AssessUseCases),
    })
}

// ---------------------------------------------------------------------------
// Canvas form.

const SOURCE_ROWS_EXTRA: usize = 2;
const RISK_ROWS_EXTRA: usize = 1;
const MAX_ROWS: usize = 30;

const RATING_FIELDS: [(&str, &str); 6] = [
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

fn used_rows(fields: &Fields, prefixes: &[&str]) -> Vec<usize> {
    (0..MAX_ROWS)
        .filter(|i| {
            prefixes
                .iter()
                .any(|p| !fields.get(&format!("{p}{i}")).trim().is_empty())
        })
        .collect()
}

fn with_blank_rows(mut rows: Vec<usize>, extra: usize) -> Vec<usize> {
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

// ---------------------------------------------------------------------------
// Detail page.

pub struct ObligationView {
    pub title: String,
    pub articles: String,
    pub description: String,
    pub applies_from: String,
}

pub struct ClassificationView {
    pub conclusion: String,
    pub risk: &'static str,
    pub summary: String,
    pub obligations: Vec<ObligationView>,
    pub answers: Vec<(String, String)>,
    pub needs_review: bool,
    pub fria_required: bool,
    pub tree_version: String,
}

/// The obligations with their articles and dates, as the tree describes them.
pub fn obligation_views(tree: &DecisionTree, ids: &[String]) -> Vec<ObligationView> {
    ids.iter()
        .filter_map(|id| tree.obligation(id))
        .map(|o| ObligationView {
            title: o.title.clone(),
            articles: o.articles.join(", "),
            description: o.description.clone(),
            applies_from: tree.date(&o.applies_from).map_or_else(
                || o.applies_from.clone(),
                |d| format!("{} ({})", german_date(&d.date), d.label),
            ),
        })
        .collect()
}

/// `2026-08-02` → `02.08.2026`.
pub fn german_date(iso: &str) -> String {
    match (iso.get(0..4), iso.get(5..7), iso.get(8..10)) {
        (Some(y), Some(m), Some(d)) if iso.len() == 10 => format!("{d}.{m}.{y}"),
        _ => iso.to_owned(),
    }
}

fn classification_view(tree: &DecisionTree, c: &Classification) -> ClassificationView {
    let answers = c
        .answers
        .iter()
        .map(|(q, a)| {
            let question = tree.question(q);
            let text = question.map_or_else(|| q.clone(), |q| q.text.clone());
            let answer = question
                .and_then(|q| q.answers.iter().find(|x| &x.id == a))
                .map_or_else(|| a.clone(), |a| a.label.clone());
            (text, answer)
        })
        .collect();
    ClassificationView {
        conclusion: c.conclusion_label.clone(),
        risk: c.risk.label(),
        summary: c.summary(tree),
        obligations: obligation_views(tree, &c.obligations),
        answers,
        needs_review: c.needs_review(tree),
        fria_required: c.fria_required,
        tree_version: c.tree_version.clone(),
    }
}

pub struct TransitionView {
    pub value: String,
    pub label: &'static str,
    pub blockers: Vec<String>,
    pub selected: bool,
}

pub struct HistoryView {
    pub from: &'static str,
    pub to: &'static str,
    pub at: String,
    pub reason: String,
}

pub struct RegisterFieldView {
    pub key: &'static str,
    pub label: &'static str,
    pub internal: bool,
}

pub struct RegisterForm {
    pub name: String,
    pub description: String,
    pub contact: String,
    pub published: bool,
    pub fields: Vec<RegisterFieldView>,
}

impl RegisterForm {
    fn from_entry(e: &RegisterEntry) -> RegisterForm {
        RegisterForm {
            name: e.name.clone(),
            description: e.description.clone(),
            contact: e.contact.clone(),
            published: e.published,
            fields: RegisterField::ALL
                .into_iter()
                .filter(|f| *f != RegisterField::Name)
                .map(|f| RegisterFieldView {
                    key: f.key(),
                    label: f.label(),
                    internal: e.internal.contains(&f),
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "usecase.html")]
struct DetailPage {
    layout: Layout,
    uc: UseCase,
    origin: String,
    version: i64,
    created: String,
    updated: String,
    can_assess: bool,
    canvas: CanvasForm,
    missing: String,
    score: Option<(String, String, String)>,
    transitions: Vec<TransitionView>,
    reason: String,
    history: Vec<HistoryView>,
    classification: Option<ClassificationView>,
    register: RegisterForm,
    register_published: bool,
    errors: FieldErrors,
    canvas_error: String,
    status_error: String,
    register_error: String,
}

fn origin_label(o: &Origin) -> String {
    match o {
        Origin::Own => "eigene Idee".to_owned(),
        Origin::Survey => "aus der Bestandsaufnahme übernommen".to_owned(),
        Origin::Library { entry } => format!("aus der Bibliothek übernommen ({entry})"),
        Origin::Imported { from } => format!("importiert von {from}"),
    }
}

/// What a detail page shows besides the stored use case: posted input and
/// errors for one of its forms.
#[derive(Default)]
struct DetailInput {
    canvas: Option<Fields>,
    status: Option<Fields>,
    register: Option<RegisterEntry>,
    errors: FieldErrors,
    canvas_error: String,
    status_error: String,
    register_error: String,
    flash: Option<(&'static str, String)>,
}

async fn detail_page(
    state: &AppState,
    cu: &CurrentUser,
    record: &UseCaseRecord,
    input: DetailInput,
) -> Result<Response, PageError> {
    let uc = &record.use_case;
    let tree = decision_tree()?;
    let canvas_fields = input
        .canvas
        .unwrap_or_else(|| canvas_fields(&uc.canvas, record.version));
    let missing = uc
        .canvas
        .missing_fields()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let score = super::usecase_criteria::current(state)
        .await?
        .score(&uc.canvas)
        .ok()
        .map(|s| {
            (
                journey::usecase::matrix::decimal(s.benefit),
                journey::usecase::matrix::decimal(s.feasibility),
                journey::usecase::matrix::decimal(s.total),
            )
        });
    let chosen = input
        .status
        .as_ref()
        .map(|f| f.get("to").to_owned())
        .unwrap_or_default();
    let transitions = uc
        .status
        .allowed_next()
        .iter()
        .map(|to| {
            let mut blockers = uc.blockers(*to);
            if *to == Status::Stopped {
                blockers.push("eine Begründung ist nötig".to_owned());
            }
            TransitionView {
                value: key(*to),
                label: to.label(),
                selected: chosen == key(*to),
                blockers,
            }
        })
        .collect();
    let register_entry = input
        .register
        .or_else(|| record.register.clone())
        .unwrap_or_else(|| RegisterEntry::draft_from(uc));
    let mut layout = Layout::for_user(state, cu, &uc.intake.title, NAV).await;
    if let Some((kind, message)) = input.flash {
        layout = layout.with_flash(kind, message);
    }
    render(&DetailPage {
        layout,
        origin: origin_label(&uc.origin),
        version: record.version,
        created: format_time(record.created_at),
        updated: format_time(record.updated_at),
        can_assess: cu.user.role.can(Permission::AssessUseCases),
        canvas: CanvasForm::from_fields(&canvas_fields, &input.errors),
        missing,
        score,
        transitions,
        reason: input
            .status
            .as_ref()
            .map(|f| f.get("reason").to_owned())
            .unwrap_or_default(),
        history: uc
            .history
            .iter()
            .rev()
            .map(|h| HistoryView {
                from: h.from.label(),
                to: h.to.label(),
                at: h.at.replace('T', " ").replace('Z', " UTC"),
                reason: h.reason.clone(),
            })
            .collect(),
        classification: uc
            .classification
            .as_ref()
            .map(|c| classification_view(tree, c)),
        register: RegisterForm::from_entry(&register_entry),
        register_published: record.register.as_ref().is_some_and(|r| r.published),
        errors: input.errors,
        canvas_error: input.canvas_error,
        status_error: input.status_error,
        register_error: input.register_error,
        uc: uc.clone(),
    })
}

fn with_status(mut response: Response, status: StatusCode) -> Response {
    *response.status_mut() = status;
    response
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let record = state.store.use_case(&id).await?;
    let query = Fields::new(query);
    let flash = if query.has("neu") {
        Some((
            "ok",
            "Vielen Dank! Die Idee ist eingereicht; das Projektteam bewertet sie.".to_owned(),
        ))
    } else if query.has("gespeichert") {
        Some(("ok", "Gespeichert.".to_owned()))
    } else {
        None
    };
    detail_page(
        &state,
        &cu,
        &record,
        DetailInput {
            flash,
            ..DetailInput::default()
        },
    )
    .await
}

pub fn conflict_note() -> String {
    StoreError::Conflict.to_string()
        + " Ihre Eingaben stehen noch im Formular; ein erneutes Speichern überschreibt den neuen Stand."
}

pub async fn save_canvas(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let record = state.store.use_case(&id).await?;
    let mut fields = Fields::new(pairs);
    let mut errors = FieldErrors::new();
    let canvas = parse_canvas(&fields, &record.use_case.canvas, &mut errors);
    if !errors.is_empty() {
        let page = detail_page(
            &state,
            &cu,
            &record,
            DetailInput {
                canvas: Some(fields),
                errors,
                canvas_error: "Bitte prüfen Sie die markierten Felder im Canvas.".to_owned(),
                ..DetailInput::default()
            },
        )
        .await?;
        return Ok(with_status(page, StatusCode::UNPROCESSABLE_ENTITY));
    }
    let mut uc = record.use_case.clone();
    uc.canvas = canvas;
    match save(
        &state,
        &cu,
        &record,
        &uc,
        fields.version(),
        "Canvas gespeichert",
    )
    .await
    {
        Ok(saved) => Ok(Redirect::to(&format!(
            "/anwendungsfaelle/{}?gespeichert=1#canvas",
            saved.use_case.id
        ))
        .into_response()),
        Err(StoreError::Conflict) => {
            // The form keeps the input but takes the current version, so a
            // deliberate second save overwrites.
            fields.0.retain(|(k, _)| k != "version");
            fields.push("version", record.version.to_string());
            let page = detail_page(
                &state,
                &cu,
                &record,
                DetailInput {
                    canvas: Some(fields),
                    canvas_error: conflict_note(),
                    ..DetailInput::default()
                },
            )
            .await?;
            Ok(with_status(page, StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn change_status(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let record = state.store.use_case(&id).await?;
    let fields = Fields::new(pairs);
    let mut uc = record.use_case.clone();
    let from = uc.status;
    let mut errors = FieldErrors::new();
    match from_key::<Status>(fields.get("to")) {
        None => errors.insert("to", "Bitte den neuen Status wählen."),
        Some(to) => {
            if let Err(e) = uc.change_status(to, &timestamp(), fields.get("reason")) {
                let field = if to == Status::Stopped && fields.get("reason").trim().is_empty() {
                    "reason"
                } else {
                    "to"
                };
                errors.insert(field, use_case_message(&e));
            }
        }
    }
    let status_error = if errors.is_empty() {
        let change = format!("Status: {} → {}", from.label(), uc.status.label());
        match save(&state, &cu, &record, &uc, fields.version(), &change).await {
            Ok(saved) => {
                return Ok(Redirect::to(&format!(
                    "/anwendungsfaelle/{}?gespeichert=1#status",
                    saved.use_case.id
                ))
                .into_response())
            }
            Err(StoreError::Conflict) => StoreError::Conflict.to_string(),
            Err(e) => return Err(e.into()),
        }
    } else {
        "Der Status wurde nicht geändert.".to_owned()
    };
    let conflict = errors.is_empty();
    let page = detail_page(
        &state,
        &cu,
        &record,
        DetailInput {
            status: Some(fields),
            errors,
            status_error,
            ..DetailInput::default()
        },
    )
    .await?;
    Ok(with_status(
        page,
        if conflict {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
    ))
}

/// The register entry of `uc` with what the project team writes; the
/// other fields follow from the use case.
pub fn register_entry(
    uc: &UseCase,
    name: &str,
    description: &str,
    contact: &str,
    published: bool,
    internal: BTreeSet<RegisterField>,
) -> RegisterEntry {
    let mut entry = RegisterEntry::draft_from(uc);
    entry.name = name.trim().to_owned();
    entry.description = description.trim().to_owned();
    entry.contact = contact.trim().to_owned();
    entry.published = published;
    entry.internal = internal;
    entry
}

/// What is wrong with an entry, as (`name` or `description`, message).
pub fn register_problems(entry: &RegisterEntry) -> Vec<(&'static str, String)> {
    entry
        .problems()
        .into_iter()
        .map(|problem| {
            let field = if problem.contains("Kurzbeschreibung") {
                "description"
            } else {
                "name"
            };
            (field, format!("Bitte korrigieren: {problem}."))
        })
        .collect()
}

/// Stores the register entry of `uc`, noting in the audit log whether it
/// is published.
pub async fn save_register_entry(
    state: &AppState,
    cu: &CurrentUser,
    uc: &UseCase,
    entry: &RegisterEntry,
    expected_version: i64,
) -> Result<UseCaseRecord, StoreError> {
    let change = if entry.published {
        "Registereintrag gespeichert (veröffentlicht)"
    } else {
        "Registereintrag gespeichert (nicht veröffentlicht)"
    };
    state
        .store
        .save_use_case(&cu.actor(), uc, Some(entry), expected_version, change)
        .await
}

pub async fn save_register(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let record = state.store.use_case(&id).await?;
    let fields = Fields::new(pairs);
    let uc = &record.use_case;
    let entry = register_entry(
        uc,
        fields.get("reg_name"),
        fields.get("reg_description"),
        fields.get("reg_contact"),
        fields.get("reg_published") == "1",
        fields
            .all("reg_internal")
            .into_iter()
            .filter_map(from_key::<RegisterField>)
            .collect(),
    );
    let mut errors = FieldErrors::new();
    for (field, problem) in register_problems(&entry) {
        errors.insert(format!("reg_{field}"), problem);
    }
    let register_error = if errors.is_empty() {
        let saved = save_register_entry(&state, &cu, uc, &entry, fields.version()).await;
        match saved {
            Ok(saved) => {
                return Ok(Redirect::to(&format!(
                    "/anwendungsfaelle/{}?gespeichert=1#register",
                    saved.use_case.id
                ))
                .into_response())
            }
            Err(StoreError::Conflict) => conflict_note(),
            Err(e) => return Err(e.into()),
        }
    } else {
        "Bitte prüfen Sie die markierten Felder des Registereintrags.".to_owned()
    };
    let conflict = errors.is_empty();
    let page = detail_page(
        &state,
        &cu,
        &record,
        DetailInput {
            register: Some(entry),
            errors,
            register_error,
            ..DetailInput::default()
        },
    )
    .await?;
    Ok(with_status(
        page,
        if conflict {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
    ))
}

// ---------------------------------------------------------------------------
// Library.

pub struct LibraryRow {
    pub id: String,
    pub title: String,
    pub problem: String,
    pub seen_at: String,
    pub expected: String,
}

#[derive(Template)]
#[template(path = "usecase_library.html")]
struct LibraryPage {
    layout: Layout,
    entries: Vec<LibraryRow>,
}

pub async fn library_page(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Response, PageError> {
    let tree = decision_tree()?;
    let entries = library()?
        .entries
        .iter()
        .map(|e| LibraryRow {
            id: e.id.clone(),
            title: e.intake.title.clone(),
            problem: e.intake.problem.clone(),
            seen_at: e.seen_at.join(", "),
            expected: tree
                .conclusion(&e.classification.expected)
                .map_or_else(|| e.classification.expected.clone(), |c| c.label.clone()),
        })
        .collect();
    render(&LibraryPage {
        layout: Layout::for_user(&state, &cu, "Bibliothek der Anwendungsfälle", NAV).await,
        entries,
    })
}

pub async fn adopt(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(entry): Path<String>,
) -> Result<Response, PageError> {
    let record = adopt_from_library(&state, &cu, &entry).await?;
    Ok(Redirect::to(&format!(
        "/anwendungsfaelle/{}?gespeichert=1",
        record.use_case.id
    ))
    .into_response())
}

/// A new use case from the library entry `key`: intake and canvas copied,
/// the preset answers classified with the current tree. An unknown key is
/// `NotFound`.
pub async fn adopt_from_library(
    state: &AppState,
    cu: &CurrentUser,
    key: &str,
) -> Result<UseCaseRecord, AppError> {
    let entry = library()?.entry(key).ok_or(AppError::NotFound)?;
    let uc = entry
        .adopt(&new_id(), decision_tree()?)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(state.store.create_use_case(&cu.actor(), &uc).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_canvas_survives_the_round_trip_through_its_form_fields() {
        let entry = &library().unwrap().entries[0];
        let fields = canvas_fields(&entry.canvas, 3);
        let mut errors = FieldErrors::new();
        let canvas = parse_canvas(&fields, &entry.canvas, &mut errors);
        assert!(errors.is_empty());
        assert_eq!(canvas, entry.canvas);
        assert_eq!(fields.version(), 3);
    }

    #[test]
    fn canvas_input_errors_are_named_by_field() {
        let fields = Fields::new(vec![
            ("hours_saved_per_year".into(), "viele".into()),
            ("source_name_0".into(), "Akten".into()),
            ("quality".into(), "9".into()),
        ]);
        let mut errors = FieldErrors::new();
        parse_canvas(&fields, &Canvas::default(), &mut errors);
        assert!(errors.contains_key("hours_saved_per_year"));
        assert!(errors.contains_key("source_class_0"));
        assert!(errors.contains_key("quality"));
    }

    #[test]
    fn an_intake_needs_title_and_problem_and_a_known_department() {
        let fields = Fields::new(vec![("department".into(), "Mond".into())]);
        let mut errors = FieldErrors::new();
        parse_intake(&fields, &["Bauamt".into()], &mut errors);
        for f in ["title", "problem", "department"] {
            assert!(errors.contains_key(f), "{f}");
        }
    }

    #[test]
    fn dates_are_shown_the_german_way() {
        assert_eq!(german_date("2026-08-02"), "02.08.2026");
        assert_eq!(timestamp().len(), 20);
    }
}
