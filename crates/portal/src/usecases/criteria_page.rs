//! The scoring criteria of use cases, editable by the project team: the
//! weight of benefit against feasibility, each criterion's weight and the
//! scale that turns hours saved into a rating. They are kept as one JSON
//! setting (the criteria file's format) and replace the shipped ones.

use crate::text_input::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use journey::usecase::scoring::Criteria;

use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::form::{parse_decimal_de, FieldErrors, Fields};
use crate::usecases::scoring::SETTING;
use crate::view::Layout;
use crate::view::{decimal_de, render};
use crate::AppState;

struct Row {
    id: String,
    label: String,
    description: String,
    dimension: &'static str,
    weight: String,
}

#[derive(askama::Template)]
#[template(path = "usecases/criteria.html")]
struct CriteriaPage {
    layout: Layout,
    benefit: String,
    feasibility: String,
    /// Field name, level and value of each bound of the hours scale.
    hours: Vec<(String, usize, String)>,
    rows: Vec<Row>,
    errors: FieldErrors,
    form_error: String,
    edited: bool,
}

async fn page(state: &AppState, cu: &CurrentUser, c: &Criteria, edited: bool) -> CriteriaPage {
    CriteriaPage {
        layout: Layout::for_user(state, cu, "Bewertungskriterien", "/anwendungsfaelle").await,
        benefit: decimal_de(c.dimension_weights.benefit),
        feasibility: decimal_de(c.dimension_weights.feasibility),
        hours: c
            .hours_scale
            .iter()
            .enumerate()
            .map(|(i, h)| (format!("hours{i}"), i + 2, decimal_de(*h)))
            .collect(),
        rows: c
            .criteria
            .iter()
            .map(|k| Row {
                id: k.id.clone(),
                label: k.label.clone(),
                description: k.description.clone(),
                dimension: match serde_json::to_value(k.dimension)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .as_deref()
                {
                    Some("benefit") => "Nutzen",
                    _ => "Machbarkeit",
                },
                weight: decimal_de(k.weight),
            })
            .collect(),
        errors: FieldErrors::new(),
        form_error: String::new(),
        edited,
    }
}

pub async fn show(State(state): State<AppState>, cu: CurrentUser) -> Result<Response, PageError> {
    let edited = state.store.setting(SETTING).await?.is_some();
    render(
        &page(
            &state,
            &cu,
            &crate::usecases::scoring::current(&state).await?,
            edited,
        )
        .await,
    )
}

pub async fn save(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields::new(pairs);
    if f.has("reset") {
        crate::usecases::scoring::reset(&state).await?;
        return Ok(Redirect::to("/anwendungsfaelle/kriterien?zurueckgesetzt=1").into_response());
    }
    let mut c = crate::usecases::scoring::current(&state).await?;
    let mut errors = FieldErrors::new();
    let mut number = |field: &str, target: &mut f64| match parse_decimal_de(f.get(field)) {
        Some(v) => *target = v,
        None => errors.insert(field, "Bitte eine Zahl angeben."),
    };
    number("benefit", &mut c.dimension_weights.benefit);
    number("feasibility", &mut c.dimension_weights.feasibility);
    for (i, h) in c.hours_scale.iter_mut().enumerate() {
        number(&format!("hours{i}"), h);
    }
    for k in &mut c.criteria {
        number(&format!("w.{}", k.id), &mut k.weight);
    }
    let problems = if errors.is_empty() {
        c.problems()
    } else {
        Vec::new()
    };
    if errors.is_empty() && problems.is_empty() {
        crate::usecases::scoring::replace(&state, &c).await?;
        return Ok(Redirect::to("/anwendungsfaelle/kriterien?gespeichert=1").into_response());
    }
    let mut p = page(&state, &cu, &c, true).await;
    // Show what was typed, not the last valid numbers.
    p.benefit = f.get("benefit").to_owned();
    p.feasibility = f.get("feasibility").to_owned();
    for (name, _, h) in &mut p.hours {
        *h = f.get(name).to_owned();
    }
    for r in &mut p.rows {
        r.weight = f.get(&format!("w.{}", r.id)).to_owned();
    }
    p.errors = errors;
    p.form_error = if problems.is_empty() {
        "Bitte prüfen Sie die markierten Felder. Nichts wurde gespeichert.".into()
    } else {
        format!(
            "Die Kriterien passen nicht zusammen: {}. Nichts wurde gespeichert.",
            problems.join("; ")
        )
    };
    let mut response = render(&p)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}
