//! API: how use cases are weighed against each other. The scoring criteria
//! (weights of benefit against feasibility, of each criterion, and the
//! scale for hours saved), editable by the project team as on the page
//! „Bewertungskriterien“ and resettable to the shipped ones; the ranking
//! they give, which is also the data of the benefit/feasibility matrix,
//! and that matrix as the SVG chart the page shows.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use journey::usecase::canvas::CanvasField;
use journey::usecase::matrix::{matrix_svg, Quadrant};
use journey::usecase::scoring::{Criteria, CriteriaPart, Ranked, Ranking};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::form::key;
use crate::usecases::scoring::{ranking, MATRIX_TITLE, SETTING};
use crate::AppState;

// ---------------------------------------------------------------------------
// Criteria.

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DimensionWeightsDto {
    /// Weight of benefit in the total, a number ≥ 0.
    pub benefit: f64,
    /// Weight of feasibility in the total, a number ≥ 0 (not both 0).
    pub feasibility: f64,
}

#[derive(Serialize, ToSchema)]
pub struct CriterionDto {
    pub id: String,
    pub label: String,
    pub description: String,
    /// `benefit` or `feasibility`.
    pub dimension: String,
    /// What it reads from the canvas (`hours_saved_per_year`, `quality`, …).
    pub measure: String,
    pub weight: f64,
}

#[derive(Serialize, ToSchema)]
pub struct CriteriaDto {
    /// Send this back when changing the criteria; a different current
    /// revision answers 409.
    pub revision: String,
    /// Whether the municipality changed the shipped criteria.
    pub edited: bool,
    pub dimension_weights: DimensionWeightsDto,
    /// Four ascending bounds (hours saved per year) for the ratings 2 to 5.
    pub hours_scale: Vec<f64>,
    pub criteria: Vec<CriterionDto>,
}

/// The criteria in force, with the revision a change must name: the shipped
/// criteria are `standard`; edited ones are named by a hash of what is
/// stored, so any change in between shows.
async fn criteria_in_force(state: &AppState) -> Result<CriteriaDto, AppError> {
    let stored = state.store.setting(SETTING).await?;
    let revision = stored.as_deref().map_or_else(
        || "standard".to_owned(),
        |json| {
            // Stable within one build, which is all a revision needs to be:
            // at worst an upgrade in between answers one needless 409.
            let mut h = std::collections::hash_map::DefaultHasher::new();
            json.hash(&mut h);
            format!("{:016x}", h.finish())
        },
    );
    let c = crate::usecases::scoring::current(state).await?;
    Ok(CriteriaDto {
        revision,
        edited: stored.is_some(),
        dimension_weights: DimensionWeightsDto {
            benefit: c.dimension_weights.benefit,
            feasibility: c.dimension_weights.feasibility,
        },
        hours_scale: c.hours_scale.to_vec(),
        criteria: c
            .criteria
            .iter()
            .map(|k| CriterionDto {
                id: k.id.clone(),
                label: k.label.clone(),
                description: k.description.clone(),
                dimension: key(k.dimension),
                measure: key(k.measure),
                weight: k.weight,
            })
            .collect(),
    })
}

/// The scoring criteria in force.
#[utoipa::path(get, path = "/api/v1/usecases/criteria", tag = "Anwendungsfälle",
    responses((status = 200, body = CriteriaDto), (status = 403, body = ErrorBody)))]
pub async fn criteria(State(state): State<AppState>) -> Result<Json<CriteriaDto>, ApiError> {
    Ok(Json(criteria_in_force(&state).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriteriaUpdateDto {
    pub dimension_weights: DimensionWeightsDto,
    /// Four ascending positive bounds.
    #[schema(value_type = Vec<f64>)]
    pub hours_scale: [f64; 4],
    /// Criterion id → weight (a number ≥ 0), for every criterion; each
    /// dimension needs one weight above 0.
    pub weights: BTreeMap<String, f64>,
    /// The revision last seen.
    pub revision: String,
}

/// The API field a problem of the criteria concerns.
fn field_of(part: &CriteriaPart) -> String {
    match part {
        CriteriaPart::Weight(id) => format!("weights.{id}"),
        CriteriaPart::Id(_) | CriteriaPart::Dimension(_) => "weights".to_owned(),
        CriteriaPart::DimensionWeights => "dimension_weights".to_owned(),
        CriteriaPart::HoursScale => "hours_scale".to_owned(),
    }
}

/// The criteria in force with the weights and scale of `body`; refusals
/// name the field.
fn reweighted(mut c: Criteria, body: &CriteriaUpdateDto) -> Result<Criteria, AppError> {
    if let Some(unknown) = body
        .weights
        .keys()
        .find(|id| !c.criteria.iter().any(|k| &k.id == *id))
    {
        return Err(AppError::invalid(
            &format!("weights.{unknown}"),
            format!("Ein Kriterium „{unknown}“ gibt es nicht. Nichts wurde gespeichert."),
        ));
    }
    for k in &mut c.criteria {
        k.weight = *body.weights.get(&k.id).ok_or_else(|| {
            AppError::invalid(
                &format!("weights.{}", k.id),
                format!(
                    "Das Gewicht von „{}“ fehlt. Nichts wurde gespeichert.",
                    k.label
                ),
            )
        })?;
    }
    c.dimension_weights.benefit = body.dimension_weights.benefit;
    c.dimension_weights.feasibility = body.dimension_weights.feasibility;
    c.hours_scale = body.hours_scale;
    match c.problems_by_part().into_iter().next() {
        Some((part, message)) => Err(AppError::invalid(
            &field_of(&part),
            format!("Die Kriterien passen nicht zusammen: {message}. Nichts wurde gespeichert."),
        )),
        None => Ok(c),
    }
}

/// Changes the weights and the hours scale (the criteria themselves stay
/// as shipped). What does not fit answers 422 naming the field; nothing is
/// stored then.
#[utoipa::path(put, path = "/api/v1/usecases/criteria", tag = "Anwendungsfälle",
    request_body = CriteriaUpdateDto,
    responses((status = 200, body = CriteriaDto), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_criteria(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CriteriaUpdateDto>,
) -> Result<Json<CriteriaDto>, ApiError> {
    let now = criteria_in_force(&state).await?;
    if now.revision != body.revision {
        return Err(AppError::Conflict(format!(
            "Die Kriterien wurden inzwischen geändert (Stand „{}“). Nichts wurde gespeichert; bitte laden Sie sie neu.",
            now.revision
        ))
        .into());
    }
    let c = reweighted(crate::usecases::scoring::current(&state).await?, &body)?;
    crate::usecases::scoring::replace(&state, &c).await?;
    Ok(Json(criteria_in_force(&state).await?))
}

/// Puts the shipped criteria back in force.
#[utoipa::path(delete, path = "/api/v1/usecases/criteria", tag = "Anwendungsfälle",
    responses((status = 200, body = CriteriaDto), (status = 403, body = ErrorBody)))]
pub async fn reset_criteria(State(state): State<AppState>) -> Result<Json<CriteriaDto>, ApiError> {
    crate::usecases::scoring::reset(&state).await?;
    Ok(Json(criteria_in_force(&state).await?))
}

// ---------------------------------------------------------------------------
// Ranking and matrix.

#[derive(Serialize, ToSchema)]
pub struct ComponentDto {
    pub criterion: String,
    pub label: String,
    /// `benefit` or `feasibility`.
    pub dimension: String,
    pub weight: f64,
    /// The rating 1–5 read from the canvas (hours mapped by the scale).
    pub rating: u8,
    /// 0–100 points, lower-is-better criteria turned around.
    pub points: f64,
}

#[derive(Serialize, ToSchema)]
pub struct RankedDto {
    /// 1-based; equal totals share a rank.
    pub rank: usize,
    pub id: String,
    pub title: String,
    /// 0–100 points each.
    pub benefit: f64,
    pub feasibility: f64,
    pub total: f64,
    /// Where it lies in the benefit/feasibility matrix (split at 50):
    /// `quick_win`, `strategic`, `easy_extra` or `postpone`.
    pub quadrant: String,
    pub quadrant_label: String,
    /// AI Act risk class (`minimal`, `transparency`, `high_risk`, …);
    /// `null` while the use case is not classified.
    pub risk: Option<String>,
    /// The same, in German.
    pub risk_label: String,
    pub components: Vec<ComponentDto>,
}

impl From<&Ranked> for RankedDto {
    fn from(r: &Ranked) -> Self {
        let quadrant = Quadrant::of(r.score.benefit, r.score.feasibility);
        RankedDto {
            rank: r.rank,
            id: r.id.clone(),
            title: r.title.clone(),
            benefit: r.score.benefit,
            feasibility: r.score.feasibility,
            total: r.score.total,
            quadrant: key(quadrant),
            quadrant_label: quadrant.label().to_owned(),
            risk: r.risk.map(key),
            risk_label: journey::usecase::matrix::risk_label(r.risk).to_owned(),
            components: r
                .score
                .parts
                .iter()
                .map(|p| ComponentDto {
                    criterion: p.id.clone(),
                    label: p.label.clone(),
                    dimension: key(p.dimension),
                    weight: p.weight,
                    rating: p.rating,
                    points: p.points,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UnrankedDto {
    pub id: String,
    pub title: String,
    /// Canvas fields the criteria need but that are empty
    /// (`hours_saved_per_year`, …; a municipality's own criterion as
    /// `ratings.<id>`).
    pub missing: Vec<String>,
    /// The same, in German.
    pub missing_labels: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RankingDto {
    /// The criteria revision the scores come from.
    pub criteria_revision: String,
    pub ranked: Vec<RankedDto>,
    /// Use cases whose canvas lacks what the criteria need.
    pub incomplete: Vec<UnrankedDto>,
    /// Use cases classified as prohibited practices (Art. 5 AI Act): not
    /// ranked, whatever their score, with the reason.
    pub prohibited: Vec<ProhibitedDto>,
}

#[derive(Serialize, ToSchema)]
pub struct ProhibitedDto {
    pub id: String,
    pub title: String,
    /// Why, in German, with the article.
    pub reason: String,
}

fn canvas_field_key(f: &CanvasField) -> String {
    match f {
        CanvasField::Rating(id) => format!("ratings.{id}"),
        other => key(other),
    }
}

async fn current_ranking(state: &AppState) -> Result<Ranking, AppError> {
    ranking(state, &state.store.use_cases().await?).await
}

/// All use cases still in play (not stopped), ranked by their weighted
/// score, with the points of each criterion; those whose canvas is not
/// complete enough to score are listed with what is missing. The ranked
/// rows are the data of the benefit/feasibility matrix (`matrix.svg`):
/// feasibility to the right, benefit upwards, numbered by rank.
#[utoipa::path(get, path = "/api/v1/usecases/ranking", tag = "Anwendungsfälle",
    responses((status = 200, body = RankingDto), (status = 401, body = ErrorBody)))]
pub async fn ranking_list(State(state): State<AppState>) -> Result<Json<RankingDto>, ApiError> {
    let ranking = current_ranking(&state).await?;
    Ok(Json(RankingDto {
        criteria_revision: criteria_in_force(&state).await?.revision,
        ranked: ranking.ranked.iter().map(RankedDto::from).collect(),
        incomplete: ranking
            .incomplete
            .iter()
            .map(|u| UnrankedDto {
                id: u.id.clone(),
                title: u.title.clone(),
                missing: u.missing.iter().map(canvas_field_key).collect(),
                missing_labels: u.missing.iter().map(ToString::to_string).collect(),
            })
            .collect(),
        prohibited: ranking
            .prohibited
            .iter()
            .map(|p| ProhibitedDto {
                id: p.id.clone(),
                title: p.title.clone(),
                reason: p.reason.clone(),
            })
            .collect(),
    }))
}

/// The benefit/feasibility matrix as the SVG chart the page shows
/// (accessible name and description included).
#[utoipa::path(get, path = "/api/v1/usecases/matrix.svg", tag = "Anwendungsfälle",
    responses((status = 200, content_type = "image/svg+xml", body = String),
        (status = 401, body = ErrorBody)))]
pub async fn matrix_chart(State(state): State<AppState>) -> Result<Response, ApiError> {
    let ranking = current_ranking(&state).await?;
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        matrix_svg(&ranking, "matrix", MATRIX_TITLE),
    )
        .into_response())
}
