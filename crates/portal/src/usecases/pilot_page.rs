//! The pilot of a use case: the plan (goal, dates, participants, model and
//! backend, goal metrics with baseline and target), the measured values and
//! staff feedback, the evaluation against the targets, and the decision that
//! follows. The status moves on the use-case page; this page holds what the
//! status checks need.

use crate::text_input::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use journey::usecase::pilot::{DecisionKind, Metric, Pilot, PilotDecision, PilotEvaluation};
use store::usecases::UseCaseRecord;
use store::StoreError;

use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::{key, FieldErrors, Fields};
use crate::usecases::assessment::{save, timestamp};
use crate::usecases::detail_page::conflict_note;
use crate::view::Layout;
use crate::view::{decimal_de, render};
use crate::AppState;

/// Rows for goal metrics shown in the form; empty rows are ignored.
const METRIC_ROWS: usize = 6;

struct MetricRow {
    index: usize,
    name: String,
    unit: String,
    baseline: String,
    target: String,
    measured: String,
}

struct ResultRow {
    name: String,
    unit: String,
    baseline: String,
    target: String,
    measured: String,
    verdict: &'static str,
}

#[derive(askama::Template)]
#[template(path = "usecases/pilot.html")]
struct PilotPage {
    layout: Layout,
    id: String,
    title: String,
    status: &'static str,
    version: i64,
    goal: String,
    start: String,
    end: String,
    participants: String,
    model: String,
    backend: String,
    metrics: Vec<MetricRow>,
    feedback: String,
    decision: String,
    decision_reason: String,
    decision_options: Vec<(String, &'static str)>,
    results: Vec<ResultRow>,
    summary: String,
    problems: Vec<String>,
    errors: FieldErrors,
    form_error: String,
    can_assess: bool,
}

fn results(eval: &PilotEvaluation) -> (Vec<ResultRow>, String) {
    let rows = eval
        .results
        .iter()
        .map(|r| ResultRow {
            name: r.name.clone(),
            unit: r.unit.clone(),
            baseline: decimal_de(r.baseline),
            target: decimal_de(r.target),
            measured: r.measured.map(decimal_de).unwrap_or_else(|| "–".into()),
            verdict: match r.achieved {
                Some(true) => "erreicht",
                Some(false) => "nicht erreicht",
                None => "noch nicht gemessen",
            },
        })
        .collect();
    let summary = format!(
        "{} erreicht, {} nicht erreicht, {} noch nicht gemessen",
        eval.achieved, eval.missed, eval.unmeasured
    );
    (rows, summary)
}

async fn page(
    state: &AppState,
    cu: &CurrentUser,
    record: &UseCaseRecord,
    pilot: &Pilot,
    metric_text: Option<Vec<MetricRow>>,
) -> PilotPage {
    let uc = &record.use_case;
    let mut metrics = metric_text.unwrap_or_else(|| {
        pilot
            .metrics
            .iter()
            .enumerate()
            .map(|(index, m)| MetricRow {
                index,
                name: m.name.clone(),
                unit: m.unit.clone(),
                baseline: decimal_de(m.baseline),
                target: decimal_de(m.target),
                measured: m.measured.map(decimal_de).unwrap_or_default(),
            })
            .collect()
    });
    while metrics.len() < METRIC_ROWS {
        metrics.push(MetricRow {
            index: metrics.len(),
            name: String::new(),
            unit: String::new(),
            baseline: String::new(),
            target: String::new(),
            measured: String::new(),
        });
    }
    let (results, summary) = results(&pilot.evaluate());
    PilotPage {
        layout: Layout::for_user(
            state,
            cu,
            &format!("Pilot: {}", uc.intake.title),
            "/anwendungsfaelle",
        )
        .await,
        id: uc.id.clone(),
        title: uc.intake.title.clone(),
        status: uc.status.label(),
        version: record.version,
        goal: pilot.goal.clone(),
        start: pilot.start.clone().unwrap_or_default(),
        end: pilot.end.clone().unwrap_or_default(),
        participants: pilot.participants.clone(),
        model: pilot.model.clone(),
        backend: pilot.backend.clone(),
        metrics,
        feedback: pilot.staff_feedback.join("\n"),
        decision: pilot
            .decision
            .as_ref()
            .map(|d| key(d.kind))
            .unwrap_or_default(),
        decision_reason: pilot
            .decision
            .as_ref()
            .map(|d| d.reason.clone())
            .unwrap_or_default(),
        decision_options: [
            DecisionKind::Operate,
            DecisionKind::Extend,
            DecisionKind::Stop,
        ]
        .into_iter()
        .map(|k| (key(k), k.label()))
        .collect(),
        results,
        summary,
        problems: pilot.plan_problems(),
        errors: FieldErrors::new(),
        form_error: String::new(),
        can_assess: cu
            .user
            .role
            .can(journey::access::Permission::AssessUseCases),
    }
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let record = state.store.use_case(&id).await?;
    let pilot = record.use_case.pilot.clone().unwrap_or_default();
    render(&page(&state, &cu, &record, &pilot, None).await)
}

/// A decimal number as staff type it ("1.200,5" or "1200.5").
fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    let normalised = if s.contains(',') {
        s.replace('.', "").replace(',', ".")
    } else {
        s.to_owned()
    };
    normalised.parse::<f64>().ok().filter(|v| v.is_finite())
}

pub async fn save_pilot(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let record = state.store.use_case(&id).await?;
    let f = Fields::new(pairs);
    let mut errors = FieldErrors::new();
    let optional = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let mut pilot = Pilot {
        goal: f.get("goal").trim().to_owned(),
        start: optional(f.get("start")),
        end: optional(f.get("end")),
        participants: f.get("participants").trim().to_owned(),
        model: f.get("model").trim().to_owned(),
        backend: f.get("backend").trim().to_owned(),
        metrics: Vec::new(),
        staff_feedback: f
            .get("feedback")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        decision: None,
    };
    let mut rows = Vec::new();
    for index in 0..METRIC_ROWS {
        let get = |name: &str| f.get(&format!("m{index}.{name}")).trim().to_owned();
        let row = MetricRow {
            index,
            name: get("name"),
            unit: get("unit"),
            baseline: get("baseline"),
            target: get("target"),
            measured: get("measured"),
        };
        if row.name.is_empty() && row.baseline.is_empty() && row.target.is_empty() {
            rows.push(row);
            continue;
        }
        let baseline = parse_number(&row.baseline);
        let target = parse_number(&row.target);
        let measured = parse_number(&row.measured);
        if row.name.is_empty() {
            errors.insert(format!("m{index}.name"), "Bitte die Zielgröße benennen.");
        }
        if baseline.is_none() {
            errors.insert(
                format!("m{index}.baseline"),
                "Bitte den Ausgangswert als Zahl angeben.",
            );
        }
        if target.is_none() {
            errors.insert(
                format!("m{index}.target"),
                "Bitte den Zielwert als Zahl angeben.",
            );
        }
        if !row.measured.is_empty() && measured.is_none() {
            errors.insert(
                format!("m{index}.measured"),
                "Der Messwert muss eine Zahl sein.",
            );
        }
        if let (Some(baseline), Some(target)) = (baseline, target) {
            pilot.metrics.push(Metric {
                name: row.name.clone(),
                unit: row.unit.clone(),
                baseline,
                target,
                measured,
            });
        }
        rows.push(row);
    }
    let decision = f.get("decision").trim();
    if !decision.is_empty() {
        match crate::form::from_key::<DecisionKind>(decision) {
            Some(kind) if !f.get("decision_reason").trim().is_empty() => {
                pilot.decision = Some(PilotDecision {
                    kind,
                    reason: f.get("decision_reason").trim().to_owned(),
                    at: timestamp(),
                })
            }
            Some(_) => errors.insert("decision_reason", "Bitte die Entscheidung begründen."),
            None => errors.insert("decision", "Bitte eine der Entscheidungen wählen."),
        }
    }
    for (field, value) in [("start", &pilot.start), ("end", &pilot.end)] {
        if let Some(v) = value {
            if !journey::usecase::is_iso_date(v) {
                errors.insert(field, format!("„{v}“ ist kein Datum der Form JJJJ-MM-TT."));
            }
        }
    }
    if errors.is_empty() {
        let mut uc = record.use_case.clone();
        uc.pilot = Some(pilot.clone());
        let version: i64 = f.get("version").trim().parse().unwrap_or(-1);
        match save(&state, &cu, &record, &uc, version, "Pilot gespeichert").await {
            Ok(saved) => {
                return Ok(Redirect::to(&format!(
                    "/anwendungsfaelle/{}/pilot?gespeichert=1",
                    saved.use_case.id
                ))
                .into_response())
            }
            Err(StoreError::Conflict) => {
                let current = state.store.use_case(&id).await?;
                let mut p = page(&state, &cu, &current, &pilot, Some(rows)).await;
                p.version = current.version;
                p.form_error = conflict_note();
                let mut response = render(&p)?;
                *response.status_mut() = StatusCode::CONFLICT;
                return Ok(response);
            }
            Err(e) => return Err(AppError::from(e).into()),
        }
    }
    let mut p = page(&state, &cu, &record, &pilot, Some(rows)).await;
    p.errors = errors;
    p.form_error = "Bitte prüfen Sie die markierten Felder. Nichts wurde gespeichert.".into();
    let mut response = render(&p)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_the_german_way_and_the_plain_way() {
        assert_eq!(parse_number("1.200,5"), Some(1200.5));
        assert_eq!(parse_number("1200.5"), Some(1200.5));
        assert_eq!(parse_number(" 12 "), Some(12.0));
        assert_eq!(parse_number("zwölf"), None);
        assert_eq!(decimal_de(1200.5), "1200,5");
        assert_eq!(decimal_de(3.0), "3");
    }
}
