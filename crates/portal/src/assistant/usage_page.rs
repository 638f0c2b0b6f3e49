//! Usage of the KI-Gateway as metadata only (who — by department —, which
//! model, how many tokens, how fast, errors): a table per day, model and
//! department, a bar chart of tokens per day, and CSV export. Prompt and
//! answer texts are never part of it.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use store::usage::UsageSummaryRow;

use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

#[derive(Deserialize)]
pub struct RangeQuery {
    /// Days back from today (default 30, at most 366).
    tage: Option<i64>,
}

fn range(q: &RangeQuery) -> (i64, i64, i64) {
    let days = q.tage.unwrap_or(30).clamp(1, 366);
    let to = store::now() + 1;
    (days, to - days * 86_400, to)
}

struct Row {
    day: String,
    model: String,
    department: String,
    requests: i64,
    errors: i64,
    tokens_in: i64,
    tokens_out: i64,
    latency: i64,
}

#[derive(askama::Template)]
#[template(path = "assistant/usage.html")]
struct UsagePage {
    layout: Layout,
    days: i64,
    rows: Vec<Row>,
    chart: String,
    total_requests: i64,
    total_tokens: i64,
}

/// Tokens per day as an SVG bar chart with a title and description; the
/// table on the page holds the same numbers.
fn chart(rows: &[UsageSummaryRow]) -> String {
    let mut per_day: std::collections::BTreeMap<&str, i64> = Default::default();
    for r in rows {
        *per_day.entry(r.day.as_str()).or_default() += r.tokens_in + r.tokens_out;
    }
    if per_day.is_empty() {
        return String::new();
    }
    let max = per_day.values().copied().max().unwrap_or(1).max(1) as f64;
    let (w, h, bar_gap) = (640.0, 200.0, 2.0);
    let bar_w = (w / per_day.len() as f64 - bar_gap).max(1.0);
    let mut svg = format!(
        "<svg role=\"img\" aria-labelledby=\"usage-title usage-desc\" viewBox=\"0 0 {w} {}\" class=\"chart\">\
         <title id=\"usage-title\">Tokens pro Tag</title>\
         <desc id=\"usage-desc\">Balkendiagramm der verarbeiteten Tokens (Eingabe und Ausgabe) je Tag; die Tabelle nennt dieselben Werte.</desc>",
        h + 20.0
    );
    for (i, (day, tokens)) in per_day.iter().enumerate() {
        let bh = (*tokens as f64 / max) * h;
        let x = i as f64 * (bar_w + bar_gap);
        svg.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar_w:.1}\" height=\"{bh:.1}\" fill=\"#1f5f99\"><title>{day}: {tokens} Tokens</title></rect>",
            h - bh
        ));
    }
    svg.push_str("</svg>");
    svg
}

async fn summary(state: &AppState, from: i64, to: i64) -> Result<Vec<UsageSummaryRow>, AppError> {
    Ok(state.store.usage_summary(from, to).await?)
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Query(q): Query<RangeQuery>,
) -> Result<Response, PageError> {
    let (days, from, to) = range(&q);
    let rows = summary(&state, from, to).await?;
    render(&UsagePage {
        layout: Layout::for_user(&state, &cu, "Nutzung des KI-Gateways", "/assistent").await,
        days,
        chart: chart(&rows),
        total_requests: rows.iter().map(|r| r.requests).sum(),
        total_tokens: rows.iter().map(|r| r.tokens_in + r.tokens_out).sum(),
        rows: rows
            .into_iter()
            .map(|r| Row {
                day: r.day,
                model: r.model,
                department: r.department.unwrap_or_else(|| "ohne Angabe".into()),
                requests: r.requests,
                errors: r.errors,
                tokens_in: r.tokens_in,
                tokens_out: r.tokens_out,
                latency: r.mean_latency_ms,
            })
            .collect(),
    })
}

pub async fn csv(
    State(state): State<AppState>,
    Query(q): Query<RangeQuery>,
) -> Result<Response, PageError> {
    let (_, from, to) = range(&q);
    let rows = summary(&state, from, to).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let write = |w: &mut csv::Writer<Vec<u8>>, r: &[String]| {
        w.write_record(r)
            .map_err(|e| AppError::internal("write the usage CSV", e))
    };
    write(
        &mut w,
        &[
            "tag",
            "modell",
            "fachbereich",
            "anfragen",
            "fehler",
            "tokens_ein",
            "tokens_aus",
            "mittlere_latenz_ms",
        ]
        .map(String::from),
    )?;
    for r in rows {
        write(
            &mut w,
            &[
                r.day,
                r.model,
                r.department.unwrap_or_default(),
                r.requests.to_string(),
                r.errors.to_string(),
                r.tokens_in.to_string(),
                r.tokens_out.to_string(),
                r.mean_latency_ms.to_string(),
            ],
        )?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::internal("write the usage CSV", e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"ki-gateway-nutzung.csv\"",
            ),
        ],
        bytes,
    )
        .into_response())
}
