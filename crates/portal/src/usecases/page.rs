//! Use cases (Anwendungsfälle): the list with ranking and benefit/feasibility
//! matrix, the intake form for every staff member, the detail page with the
//! canvas, status changes and the register entry for the project team, and
//! the library of use cases from other municipalities.
//!
//! Forms are read as plain field pairs, so repeated fields (checkboxes, rows
//! of data sources and risks) need no JavaScript; on an error the page is
//! rendered again with the input kept and the message next to its field.

use crate::text_input::Form;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use journey::access::Permission;
use journey::usecase::canvas::{Intake, Rating};
use journey::usecase::matrix::{matrix_svg, matrix_table_html, prohibited_html};
use journey::usecase::model::{Origin, UseCase};
use journey::usecase::UseCaseError;

use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::FieldErrors;
use crate::form::Fields;
use crate::usecases::intake::new_id;
use crate::usecases::scoring::ranking;
use crate::usecases::scoring::MATRIX_TITLE;
use crate::view::render;
use crate::view::{format_time, Layout};
use crate::AppState;

pub(super) const NAV: &str = "/anwendungsfaelle";

/// The text after "im Canvas fehlen" etc.: the transition error without its
/// generic prefix, for showing next to the status field.
pub(super) fn use_case_message(e: &UseCaseError) -> String {
    e.to_string()
}

// ---------------------------------------------------------------------------
// Form values.

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub(super) fn choices<'a>(
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

pub(super) fn rating_choices(selected: &str) -> Vec<Choice> {
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

pub(super) fn parse_rating(
    fields: &Fields,
    name: &str,
    errors: &mut FieldErrors,
) -> Option<Rating> {
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

pub(super) async fn departments(state: &AppState) -> Result<Vec<String>, PageError> {
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
#[template(path = "usecases/new.html")]
pub(super) struct NewPage {
    pub(super) layout: Layout,
    pub(super) form: IntakeForm,
    pub(super) errors: FieldErrors,
    pub(super) form_error: String,
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
#[template(path = "usecases/usecases.html")]
pub(super) struct ListPage {
    pub(super) layout: Layout,
    pub(super) rows: Vec<ListRow>,
    pub(super) matrix_svg: String,
    pub(super) matrix_table: String,
    pub(super) ranked: usize,
    pub(super) incomplete: Vec<IncompleteRow>,
    pub(super) can_submit: bool,
    pub(super) can_assess: bool,
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
        (String::new(), prohibited_html(&ranking))
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

#[cfg(test)]
mod tests {
    use journey::usecase::canvas::Canvas;

    use super::*;
    use crate::usecases::assessment::timestamp;
    use crate::usecases::canvas_form::{canvas_fields, parse_canvas};
    use crate::usecases::content::library;

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
        assert_eq!(journey::date::german("2026-08-02"), "02.08.2026");
        assert_eq!(timestamp().len(), 20);
    }
}
