//! The planner page: current levels per department × role (entered as CSV
//! or taken over from before), the gaps against the role profiles, proposed
//! paths, what no offer covers, hours and cost, and the heat map.
//!
//! Offers the evaluation rejected are left out of the plan.

use crate::text_input::Form;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use journey::competency::CompetencyModel;
use journey::qualification::catalogue::Catalogue;
use journey::qualification::exchange::{cohorts_csv, cohorts_from_csv};
use journey::qualification::heatmap::{heatmap_svg, heatmap_table_html};
use journey::qualification::planner::{
    levels_from_survey, plan, Cohort, Plan, SurveyLevels, UnknownChoice,
};
use journey::qualification::rubric::format_number;
use journey::qualification::QualificationError;

use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::Fields;
use crate::qualification::catalogue::planning_catalogue;
use crate::qualification::catalogue::{invalid, model};
use crate::qualification::page::{flashed, render_form, NAV};
use crate::view::Layout;
use crate::AppState;

pub struct CohortRow {
    pub department: String,
    pub role: String,
    pub headcount: u32,
    pub gaps: String,
    pub path: String,
    pub uncovered: String,
    pub hours: String,
    pub cost: String,
}

#[derive(Template)]
#[template(path = "qualification/planner.html")]
struct PlannerPage {
    layout: Layout,
    csv: String,
    /// Why the CSV was refused, one line each, beside the field.
    csv_problems: Vec<String>,
    /// The survey chosen, and why its levels could not be taken.
    survey: String,
    survey_error: String,
    rows: Vec<CohortRow>,
    uncovered: Vec<String>,
    heatmap: String,
    table: String,
    surveys: Vec<(i64, String)>,
    /// Departments the chosen survey gives no level for, to decide on.
    unknown: Option<UnknownStep>,
    persons: u64,
    persons_with_gaps: u64,
    hours: String,
    cost: String,
}

/// The step after "Stufen übernehmen" when departments have no level from
/// the survey (fewer answers than the survey shows).
pub struct UnknownStep {
    survey: i64,
    min_group_size: u32,
    pub(super) departments: Vec<UnknownDepartment>,
}

pub struct UnknownDepartment {
    /// Position in the profile's list; names the form fields.
    index: usize,
    pub(super) name: String,
    /// "alle Bereiche" or the areas' names.
    pub(super) areas: String,
    /// The organisation-wide levels of those areas, e.g. "KI verstehen 2".
    pub(super) organisation: String,
    choice: String,
    level: String,
    pub(super) error: String,
}

fn area_name<'a>(model: &'a CompetencyModel, id: &'a str) -> &'a str {
    model.area(id).map_or(id, |a| a.short_name.as_str())
}

fn rows(model: &CompetencyModel, catalogue: &Catalogue, plan: &Plan) -> Vec<CohortRow> {
    plan.cohorts
        .iter()
        .map(|c| CohortRow {
            department: c.department.clone(),
            role: model
                .role_profile(&c.role)
                .map_or(c.role.clone(), |r| r.name.clone()),
            headcount: c.headcount,
            gaps: c
                .gaps
                .iter()
                .map(|g| format!("{} {}→{}", area_name(model, &g.area), g.current, g.target))
                .collect::<Vec<_>>()
                .join(", "),
            path: match (&c.path.curated, c.path.steps.is_empty()) {
                (_, true) => "–".to_string(),
                (Some(id), false) => format!(
                    "Lernpfad „{}“: {}",
                    catalogue.path(id).map_or(id.as_str(), |p| p.title.as_str()),
                    c.path
                        .steps
                        .iter()
                        .map(|s| s.title.as_str())
                        .collect::<Vec<_>>()
                        .join(" → ")
                ),
                (None, false) => c
                    .path
                    .steps
                    .iter()
                    .map(|s| s.title.as_str())
                    .collect::<Vec<_>>()
                    .join(" → "),
            },
            uncovered: c
                .uncovered()
                .map(|g| format!("{} {}→{}", area_name(model, &g.area), g.reachable, g.target))
                .collect::<Vec<_>>()
                .join(", "),
            hours: format_number(c.hours_per_person),
            cost: format!(
                "{} €{}",
                format_number(c.cost_per_person),
                if c.unknown_costs > 0 {
                    " (ohne Angebote mit Preis auf Anfrage)"
                } else {
                    ""
                }
            ),
        })
        .collect()
}

/// What the planner's forms sent, kept when refused.
#[derive(Default)]
struct Input {
    /// The CSV as typed; `None` shows the stored cohorts.
    csv: Option<String>,
    csv_problems: Vec<String>,
    survey: String,
    survey_error: String,
}

async fn planner_page(
    state: &AppState,
    cu: &CurrentUser,
    input: Input,
    flash: Option<String>,
    unknown: Option<UnknownStep>,
) -> Result<Response, PageError> {
    let model = model(state).await?;
    let cohorts = state.store.cohorts().await?;
    let catalogue = planning_catalogue(state).await?;
    let result = plan(&model, &catalogue, &cohorts).map_err(invalid)?;
    let layout = flashed(
        Layout::for_user(state, cu, "Qualifizierung planen", NAV).await,
        flash.map(|m| ("ok", m)),
    );
    let failed = !input.csv_problems.is_empty()
        || !input.survey_error.is_empty()
        || unknown
            .as_ref()
            .is_some_and(|u| u.departments.iter().any(|d| !d.error.is_empty()));
    render_form(
        &PlannerPage {
            layout,
            csv: input.csv.unwrap_or_else(|| cohorts_csv(&cohorts, &model)),
            csv_problems: input.csv_problems,
            survey: input.survey,
            survey_error: input.survey_error,
            rows: rows(&model, &catalogue, &result),
            uncovered: result
                .uncovered
                .iter()
                .map(|n| {
                    format!(
                        "{} von Stufe {} auf {}: {} Personen ({})",
                        area_name(&model, &n.area),
                        n.from,
                        n.to,
                        n.persons,
                        n.departments.join(", ")
                    )
                })
                .collect(),
            heatmap: if result.departments.is_empty() {
                String::new()
            } else {
                heatmap_svg(
                    &result,
                    &model,
                    "luecken",
                    "Kompetenzlücken je Fachbereich und Bereich",
                )
            },
            table: heatmap_table_html(
                &result,
                &model,
                "Mittlere Lücke in Stufen je Fachbereich und Kompetenzbereich",
            ),
            surveys: state
                .store
                .surveys()
                .await?
                .into_iter()
                .filter(|s| s.status == store::survey::SurveyStatus::Closed)
                .map(|s| (s.id, s.title))
                .collect(),
            unknown,
            persons: result.persons,
            persons_with_gaps: result.persons_with_gaps,
            hours: format_number(result.hours),
            cost: format_number(result.cost_eur),
        },
        failed,
    )
}

pub async fn show(State(state): State<AppState>, cu: CurrentUser) -> Result<Response, PageError> {
    planner_page(&state, &cu, Input::default(), None, None).await
}

/// Takes the current levels per department from a closed survey (the mean
/// self-assessment, rounded down; small groups stay hidden) for everyone in
/// the baseline role, with the department's staff count from the profile.
pub async fn from_survey(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    let survey = fields.get("survey").trim().parse::<i64>().ok();
    let chosen = |index: usize, _: &str| {
        (
            fields.get(&format!("wahl-{index}")).trim().to_owned(),
            fields.get(&format!("stufe-{index}")).trim().to_owned(),
        )
    };
    // Sent from the decision form itself: a department left undecided says
    // so, instead of the same form coming back.
    let decided = fields.get("entscheidung") == "1";
    match take_survey_levels(&state, &cu, survey, &chosen, decided).await? {
        SurveyTakeOver::Taken { message, .. } => {
            planner_page(&state, &cu, Input::default(), Some(message), None).await
        }
        SurveyTakeOver::Refused(message) => {
            let input = Input {
                survey: fields.get("survey").trim().to_owned(),
                survey_error: message,
                ..Input::default()
            };
            planner_page(&state, &cu, input, None, None).await
        }
        SurveyTakeOver::Undecided(step) => {
            planner_page(&state, &cu, Input::default(), None, Some(step)).await
        }
    }
}

/// What taking levels from a survey came to.
pub enum SurveyTakeOver {
    /// Saved as the planner's input.
    Taken {
        cohorts: Vec<Cohort>,
        /// Departments the decision left out of the plan.
        left_out: Vec<String>,
        message: String,
    },
    /// The survey cannot give levels: why.
    Refused(String),
    /// Some department has no levels from the survey and needs a decision
    /// first; nothing was saved.
    Undecided(UnknownStep),
}

/// Takes levels from a closed survey into the planner. `chosen(index,
/// department)` is the decision sent for a department without levels:
/// (`gesamt`, `weglassen` or `stufe`; the level for `stufe`), empty when
/// none; with `decided`, a missing decision is an error of its own.
pub async fn take_survey_levels(
    state: &AppState,
    cu: &CurrentUser,
    survey: Option<i64>,
    chosen: &(dyn Fn(usize, &str) -> (String, String) + Sync),
    decided: bool,
) -> Result<SurveyTakeOver, AppError> {
    let refused = || {
        Ok(SurveyTakeOver::Refused(
            "Bitte eine abgeschlossene Umfrage wählen.".to_string(),
        ))
    };
    let Some(id) = survey else {
        return refused();
    };
    let survey = match state.store.survey(id).await {
        Ok(s) if s.status == store::survey::SurveyStatus::Closed => s,
        Ok(_) | Err(store::StoreError::NotFound) => return refused(),
        Err(e) => return Err(e.into()),
    };
    let computed = crate::survey::results::compute_results(state, &survey).await?;
    let Some(gaps) = computed.gaps else {
        return Ok(SurveyTakeOver::Refused(
            "Die Umfrage enthält keine Selbsteinschätzung der Kompetenzbereiche.".to_string(),
        ));
    };
    let levels = levels_from_survey(&gaps);
    let model = model(state).await?;
    let baseline = model
        .baseline()
        .map_or("alle".to_string(), |b| b.id.clone());
    let departments = state
        .store
        .profile()
        .await?
        .map(|(p, _)| p.departments)
        .unwrap_or_default();
    let areas: Vec<String> = model.areas.iter().map(|a| a.id.clone()).collect();
    let mut step = UnknownStep {
        survey: id,
        min_group_size: gaps.min_group_size,
        departments: Vec::new(),
    };
    let mut cohorts = Vec::new();
    let mut left_out = Vec::new();
    for (index, d) in departments.iter().enumerate() {
        let unknown = levels.unknown_areas(&d.name, &areas);
        let choice = if unknown.is_empty() {
            Ok(UnknownChoice::Organisation)
        } else {
            let view = unknown_view(&model, &levels, index, &d.name, &unknown, chosen);
            let choice = choice_of(&view);
            step.departments.push(UnknownDepartment {
                error: match &choice {
                    Err(Some(message)) => message.clone(),
                    Err(None) if decided => {
                        format!("Bitte für {} eine der drei Möglichkeiten wählen.", d.name)
                    }
                    _ => String::new(),
                },
                ..view
            });
            choice
        };
        match choice.map(|c| levels.resolve(&d.name, &areas, c)) {
            Ok(Some(levels)) => cohorts.push(Cohort {
                department: d.name.clone(),
                role: baseline.clone(),
                headcount: d.staff_count,
                levels,
            }),
            Ok(None) => left_out.push(d.name.clone()),
            Err(_) => {}
        }
    }
    if cohorts.len() + left_out.len() < departments.len() {
        return Ok(SurveyTakeOver::Undecided(step));
    }
    state.store.save_cohorts(&cu.actor(), &cohorts).await?;
    let mut message = format!(
        "Stufen aus der Umfrage „{}“ für {} übernommen; Rollen und Anzahlen können Sie unten anpassen.",
        survey.title,
        journey::german::count(cohorts.len(), "Fachbereich", "Fachbereiche")
    );
    if !left_out.is_empty() {
        message.push_str(&format!(" Nicht eingeplant: {}.", left_out.join(", ")));
    }
    Ok(SurveyTakeOver::Taken {
        cohorts,
        left_out,
        message,
    })
}

/// The question about one department without a level from the survey, with
/// what the form sent for it so far.
fn unknown_view(
    model: &CompetencyModel,
    levels: &SurveyLevels,
    index: usize,
    name: &str,
    unknown: &[&str],
    chosen: &(dyn Fn(usize, &str) -> (String, String) + Sync),
) -> UnknownDepartment {
    let asked = model
        .areas
        .iter()
        .filter(|a| levels.asked.contains(&a.id))
        .count();
    let areas = if unknown.len() == asked {
        "alle Kompetenzbereiche".to_string()
    } else {
        unknown
            .iter()
            .map(|a| area_name(model, a))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let organisation = unknown
        .iter()
        .map(|a| match levels.organisation.get(*a) {
            Some(n) => format!("{} {n}", area_name(model, a)),
            None => format!("{} unbekannt", area_name(model, a)),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let (choice, level) = chosen(index, name);
    UnknownDepartment {
        index,
        name: name.to_owned(),
        areas,
        organisation,
        choice,
        level,
        error: String::new(),
    }
}

/// The choice the form made for a department; `Err(None)` when none was
/// made yet, `Err(Some(message))` when it cannot be used.
fn choice_of(d: &UnknownDepartment) -> Result<UnknownChoice, Option<String>> {
    match d.choice.as_str() {
        "gesamt" => Ok(UnknownChoice::Organisation),
        "weglassen" => Ok(UnknownChoice::LeaveOut),
        "stufe" => match d.level.parse::<u8>() {
            Ok(n) if n <= 4 => Ok(UnknownChoice::Level(n)),
            _ => Err(Some(format!(
                "Bitte für {} eine Stufe von 0 bis 4 eingeben.",
                d.name
            ))),
        },
        "" => Err(None),
        _ => Err(Some(format!(
            "Bitte für {} eine der drei Möglichkeiten wählen.",
            d.name
        ))),
    }
}

pub async fn save(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    let text = fields.get("csv").to_string();
    let model = model(&state).await?;
    let departments: Vec<String> = state
        .store
        .profile()
        .await?
        .map(|(p, _)| p.departments.into_iter().map(|d| d.name).collect())
        .unwrap_or_default();
    match cohorts_from_csv(&text, &model, &departments) {
        Ok(cohorts) => {
            state.store.save_cohorts(&cu.actor(), &cohorts).await?;
            let n = cohorts.len();
            planner_page(
                &state,
                &cu,
                Input::default(),
                Some(format!(
                    "{} gespeichert und geplant.",
                    journey::german::count(n, "Gruppe", "Gruppen")
                )),
                None,
            )
            .await
        }
        Err(QualificationError::InvalidImport { problems }) => {
            let input = Input {
                csv: Some(text),
                csv_problems: problems,
                ..Input::default()
            };
            planner_page(&state, &cu, input, None, None).await
        }
        Err(e) => Err(invalid(e).into()),
    }
}
