//! Evaluating learning offers by the rubric and comparing them.

use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::form::Fields;
use crate::qualification::page::flashed;
use crate::qualification::page::render_form;
use crate::qualification::page::NAV;
use crate::text_input::Form;
use crate::view::Layout;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use journey::qualification::rubric::{compare, Decision, Evaluation};
use std::collections::BTreeMap;

pub struct CriterionInput {
    pub id: String,
    pub label: String,
    pub description: String,
    pub weight: String,
}

pub struct ComparisonRowView {
    pub label: String,
    pub weight: String,
    /// Rating per offer ("–" where not yet rated) and whether it is the
    /// best in the row.
    pub cells: Vec<(String, bool)>,
}

pub struct ComparisonView {
    /// Title, points, decision, reason.
    pub offers: Vec<(String, String, String, String)>,
    /// "Title: criteria" of offers not rated on criteria added since.
    pub unrated: Vec<String>,
    pub rows: Vec<ComparisonRowView>,
}

#[derive(Template)]
#[template(path = "qualification/evaluation.html")]
pub(super) struct EvaluationPage {
    pub(super) layout: Layout,
    pub(super) criteria: Vec<CriterionInput>,
    pub(super) offers: Vec<(String, String)>,
    pub(super) comparison: Option<ComparisonView>,
    pub(super) form_error: String,
}

pub(super) async fn evaluation_page(
    state: &AppState,
    cu: &CurrentUser,
    flash: Option<(&'static str, String)>,
    form_error: String,
) -> Result<Response, PageError> {
    let (rubric, _) = crate::qualification::rubric::current(state).await?;
    let catalogue = state.store.active_catalogue().await?;
    // Archived offers leave the comparison with the catalogue.
    let evaluations: Vec<Evaluation> = state
        .store
        .evaluations()
        .await?
        .into_iter()
        .map(|e| e.evaluation)
        .filter(|e| catalogue.offer(&e.offer).is_some())
        .collect();
    let comparison = if evaluations.is_empty() {
        None
    } else {
        let cmp = compare(&rubric, &evaluations);
        let title = |id: &str| {
            catalogue
                .offer(id)
                .map_or(id.to_string(), |o| o.title.clone())
        };
        Some(ComparisonView {
            offers: cmp
                .offers
                .iter()
                .map(|o| {
                    (
                        title(&o.offer),
                        journey::qualification::rubric::format_number(o.total),
                        o.decision.label().to_string(),
                        o.reason.clone(),
                    )
                })
                .collect(),
            unrated: cmp
                .offers
                .iter()
                .filter(|o| !o.unrated.is_empty())
                .map(|o| format!("{}: {}", title(&o.offer), o.unrated.join(", ")))
                .collect(),
            rows: cmp
                .rows
                .iter()
                .map(|r| ComparisonRowView {
                    label: r.label.clone(),
                    weight: journey::qualification::rubric::format_number(r.weight),
                    cells: r
                        .ratings
                        .iter()
                        .enumerate()
                        .map(|(i, v)| {
                            let text = v.map_or("–".to_string(), |v| v.to_string());
                            (text, r.best.contains(&i))
                        })
                        .collect(),
                })
                .collect(),
        })
    };
    let layout = flashed(
        Layout::for_user(state, cu, "Lernangebote bewerten", NAV).await,
        flash,
    );
    let failed = !form_error.is_empty();
    render_form(
        &EvaluationPage {
            layout,
            criteria: rubric
                .criteria
                .iter()
                .map(|c| CriterionInput {
                    id: c.id.clone(),
                    label: c.label.clone(),
                    description: c.description.clone(),
                    weight: journey::qualification::rubric::format_number(c.weight),
                })
                .collect(),
            offers: catalogue
                .offers
                .iter()
                .map(|o| (o.id.clone(), o.title.clone()))
                .collect(),
            comparison,
            form_error,
        },
        failed,
    )
}

pub async fn evaluation(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Response, PageError> {
    evaluation_page(&state, &cu, None, String::new()).await
}

/// Reads an evaluation form: `offer`, `r.<criterion>`, `decision`, `reason`.
pub fn parse_evaluation(fields: &Fields) -> Evaluation {
    let ratings = fields
        .pairs()
        .iter()
        .filter_map(|(k, v)| {
            Some((
                k.strip_prefix("r.")?.to_string(),
                v.trim().parse::<u8>().unwrap_or(0),
            ))
        })
        .collect::<BTreeMap<_, _>>();
    Evaluation {
        offer: fields.get("offer").trim().to_string(),
        ratings,
        decision: Decision::parse(fields.get("decision")).unwrap_or(Decision::Pruefen),
        reason: fields.get("reason").trim().to_string(),
    }
}

pub async fn evaluate(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let evaluation = parse_evaluation(&Fields::new(pairs));
    if state.store.offer(&evaluation.offer).await.is_err() {
        return evaluation_page(
            &state,
            &cu,
            None,
            "Bitte ein Lernangebot aus der Liste wählen.".into(),
        )
        .await;
    }
    let (rubric, _) = crate::qualification::rubric::current(&state).await?;
    match rubric.score(&evaluation) {
        Ok(score) => {
            state
                .store
                .save_evaluation(&cu.actor(), &evaluation, &score)
                .await?;
            let message = format!(
                "Bewertung gespeichert: {} Punkte (Vorschlag: {}), Entscheidung: {}.",
                journey::qualification::rubric::format_number(score.total),
                score.suggested.label(),
                score.decision.label()
            );
            evaluation_page(&state, &cu, Some(("ok", message)), String::new()).await
        }
        Err(e) => evaluation_page(&state, &cu, None, e.to_string()).await,
    }
}
