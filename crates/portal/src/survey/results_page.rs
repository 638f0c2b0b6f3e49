//! The results page of a closed survey (anonymous, k-suppressed, with
//! filters by department and kind of role) and the result exports.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use journey::survey;
use journey::survey::aggregate::Cell;
use journey::survey::chart;
use journey::survey::filter::Filter;
use serde::Deserialize;

use super::questionnaire::{questionnaire_of, QUESTIONNAIRE_SCHEMA};
use super::results::{anonymised_answers, compute_results, compute_results_for, Computed};
use crate::auth::CurrentUser;
use crate::download::download;
use crate::error::{AppError, PageError};
use crate::view::{render, Layout};
use crate::AppState;

struct OptionLine {
    label: String,
    cells: Vec<String>,
}

struct Table {
    caption: String,
    lines: Vec<OptionLine>,
    answered: Vec<String>,
    means: Option<Vec<String>>,
}

struct QuestionView {
    text: String,
    /// The bar chart (SVG) of a closed question; the tables are its text.
    chart: Option<String>,
    tables: Vec<Table>,
    free_texts: Vec<String>,
    free_texts_hidden: bool,
}

struct GroupLine {
    label: String,
    responses: String,
    staff: String,
    rate: String,
}

struct GapLine {
    label: String,
    cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "survey/results.html")]
struct ResultsPage {
    layout: Layout,
    /// Filter choices: (id, label, selected).
    departments: Vec<(String, String, bool)>,
    roles: Vec<(String, String, bool)>,
    /// What the figures are filtered to; empty for all answers.
    filter_label: String,
    id: i64,
    title: String,
    k: u32,
    total: String,
    columns: Vec<String>,
    groups: Vec<GroupLine>,
    questions: Vec<QuestionView>,
    gap_areas: Vec<String>,
    gaps: Vec<GapLine>,
    /// The competency levels by department as a chart (SVG).
    gaps_chart: Option<String>,
    /// Administrators may download the anonymised answers.
    can_export_answers: bool,
}

fn number(x: f64, decimals: usize) -> String {
    format!("{x:.decimals$}").replace('.', ",")
}

fn hidden(k: u32) -> String {
    format!("< {k}")
}

fn figure(cell: &Cell, option: &str, k: u32) -> String {
    if cell.suppressed {
        return hidden(k);
    }
    match cell.options.iter().find(|o| o.option == option) {
        Some(o) => match (o.count, o.share) {
            (Some(c), Some(s)) => format!("{c} ({} %)", number(s * 100.0, 0)),
            (Some(c), None) => c.to_string(),
            _ => hidden(k),
        },
        None => "0".into(),
    }
}

fn results_view(c: &Computed) -> (Vec<String>, Vec<QuestionView>) {
    let k = c.results.min_group_size;
    let mut columns = vec!["Alle".to_string()];
    columns.extend(c.results.groups.iter().map(|g| g.label.clone()));
    let mut charts = chart::question_charts(&c.questionnaire, &c.results);
    let mut questions = Vec::new();
    for qr in &c.results.questions {
        let mut tables = Vec::new();
        for row in &qr.rows {
            let options: Vec<(String, String)> = row
                .cells
                .iter()
                .flat_map(|cell| cell.options.iter())
                .fold(Vec::new(), |mut acc, o| {
                    if !acc.iter().any(|(id, _)| id == &o.option) {
                        acc.push((o.option.clone(), o.label.clone()));
                    }
                    acc
                });
            let lines = options
                .iter()
                .map(|(id, label)| OptionLine {
                    label: label.clone(),
                    cells: row.cells.iter().map(|cell| figure(cell, id, k)).collect(),
                })
                .collect();
            let answered = row
                .cells
                .iter()
                .map(|cell| match cell.answered {
                    Some(n) if !cell.suppressed => n.to_string(),
                    _ => hidden(k),
                })
                .collect();
            let means = row.cells.iter().any(|cell| cell.mean.is_some()).then(|| {
                row.cells
                    .iter()
                    .map(|cell| match cell.mean {
                        Some(m) if !cell.suppressed => number(m, 2),
                        _ => hidden(k),
                    })
                    .collect()
            });
            tables.push(Table {
                caption: match &row.item_label {
                    Some(item) => format!("{} – {item}", qr.text),
                    None => qr.text.clone(),
                },
                lines,
                answered,
                means,
            });
        }
        let chart = charts
            .iter()
            .position(|(id, _)| *id == qr.question)
            .map(|i| charts.swap_remove(i).1.svg);
        questions.push(QuestionView {
            text: qr.text.clone(),
            chart,
            tables,
            free_texts_hidden: qr.kind == journey::survey::QuestionType::Text
                && qr.free_texts.is_none(),
            free_texts: qr.free_texts.clone().unwrap_or_default(),
        });
    }
    (columns, questions)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResultsQuery {
    fachbereich: String,
    rolle: String,
}

/// (id, label, selected) for a filter select, "all" first.
fn filter_choices(
    question: Option<&journey::survey::Question>,
    chosen: &str,
) -> Vec<(String, String, bool)> {
    let mut out = vec![(String::new(), "alle".to_string(), chosen.is_empty())];
    if let Some(list) = question.and_then(|q| q.kind.options()) {
        out.extend(
            list.list
                .iter()
                .map(|o| (o.id.clone(), o.label.clone(), o.id == chosen)),
        );
    }
    out
}

pub async fn results(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Query(query): Query<ResultsQuery>,
) -> Result<Response, PageError> {
    let survey = state.store.survey(id).await?;
    let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let filter = Filter {
        department: non_empty(&query.fachbereich),
        role: non_empty(&query.rolle),
    };
    let mut layout = Layout::for_user(
        &state,
        &cu,
        &format!("Ergebnisse: {}", survey.title),
        "/umfrage",
    )
    .await;
    let (computed, filtered) = match compute_results_for(&state, &survey, &filter).await {
        Ok(c) => (c, !filter.is_empty()),
        Err(AppError::Conflict(reason)) if !filter.is_empty() => {
            layout = layout.with_flash("error", format!("{reason} Gezeigt werden alle Antworten."));
            (compute_results(&state, &survey).await?, false)
        }
        Err(e) => return Err(e.into()),
    };
    let departments = filter_choices(
        computed.questionnaire.department_question(),
        if filtered {
            query.fachbereich.trim()
        } else {
            ""
        },
    );
    let roles = filter_choices(
        computed.questionnaire.role_question(),
        if filtered { query.rolle.trim() } else { "" },
    );
    let filter_label = if filtered {
        departments
            .iter()
            .chain(&roles)
            .filter(|(id, _, chosen)| *chosen && !id.is_empty())
            .map(|(_, label, _)| label.clone())
            .collect::<Vec<_>>()
            .join(" · ")
    } else {
        String::new()
    };
    let k = computed.results.min_group_size;
    let (columns, questions) = results_view(&computed);
    let groups = computed
        .results
        .groups
        .iter()
        .map(|g| GroupLine {
            label: g.label.clone(),
            responses: g.responses.map_or_else(|| hidden(k), |n| n.to_string()),
            staff: g.staff_count.map_or_else(|| "–".into(), |n| n.to_string()),
            rate: g
                .response_rate
                .map_or_else(|| "–".into(), |r| format!("{} %", number(r * 100.0, 0))),
        })
        .collect();
    let (gap_areas, gaps) = match &computed.gaps {
        Some(g) => (
            g.areas.iter().map(|a| a.label.clone()).collect(),
            g.groups
                .iter()
                .map(|gg| GapLine {
                    label: gg.label.clone(),
                    cells: gg
                        .areas
                        .iter()
                        .map(
                            |a| match (a.suppressed, a.mean_level, a.share_below_target) {
                                (false, Some(level), Some(share)) => format!(
                                    "Stufe {} · {} % unter Ziel",
                                    number(level, 1),
                                    number(share * 100.0, 0)
                                ),
                                (false, Some(level), None) => format!("Stufe {}", number(level, 1)),
                                _ => hidden(k),
                            },
                        )
                        .collect(),
                })
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    render(&ResultsPage {
        layout,
        departments,
        roles,
        filter_label,
        id,
        title: survey.title.clone(),
        k,
        total: computed
            .results
            .responses
            .map_or_else(|| hidden(k), |n| n.to_string()),
        columns,
        groups,
        questions,
        gap_areas,
        gaps,
        gaps_chart: computed
            .gaps
            .as_ref()
            .and_then(|g| chart::competency_chart(g, "kompetenzen.svg"))
            .map(|c| c.svg),
        can_export_answers: cu
            .user
            .role
            .can(journey::access::Permission::ExportSurveyAnswers),
    })
}

/// The results report with its charts, for the HTML and ODT exports.
fn report_with_charts(computed: &Computed) -> (String, Vec<documents::Figure>) {
    let (markdown, charts) = survey::report::results_markdown_with_charts(
        &computed.questionnaire,
        &computed.results,
        computed.gaps.as_ref(),
    );
    (markdown, charts.into_iter().map(Into::into).collect())
}

/// `json`, `csv`, `md`, `html`, `odt` (results), `antworten` (the
/// anonymised answers, administrators only) or `fragebogen` (the
/// questionnaire).
pub async fn export(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path((id, format)): Path<(i64, String)>,
) -> Result<Response, PageError> {
    let survey = state.store.survey(id).await?;
    let base = format!("bestandsaufnahme-{id}");
    if format == "fragebogen" {
        let q = questionnaire_of(&survey)?;
        return Ok(download(
            "application/json; charset=utf-8",
            format!("{base}-fragebogen.json"),
            survey::export::questionnaire_to_json(&q),
        ));
    }
    if format == "schema" {
        return Ok(download(
            "application/schema+json",
            "questionnaire.schema.json",
            QUESTIONNAIRE_SCHEMA,
        ));
    }
    if format == "antworten" {
        if !cu
            .user
            .role
            .can(journey::access::Permission::ExportSurveyAnswers)
        {
            return Err(AppError::Forbidden.into());
        }
        let export = anonymised_answers(&state, &cu, id, false).await?;
        return Ok(download(
            "text/csv; charset=utf-8",
            export.file_name,
            export.csv,
        ));
    }
    let computed = compute_results(&state, &survey).await?;
    let report_meta = || {
        let mut meta = documents::DocMeta::new(format!("Ergebnisse: {}", survey.title));
        meta.subtitle = Some("Bestandsaufnahme – anonyme Auswertung".into());
        meta
    };
    let response = match format.as_str() {
        "json" => download(
            "application/json; charset=utf-8",
            format!("{base}-ergebnisse.json"),
            survey::export::results_to_json(&computed.results),
        ),
        "csv" => download(
            "text/csv; charset=utf-8",
            format!("{base}-ergebnisse.csv"),
            survey::export::results_to_csv(&computed.results)
                .map_err(|e| AppError::Conflict(e.to_string()))?,
        ),
        "md" => download(
            "text/markdown; charset=utf-8",
            format!("{base}-bericht.md"),
            survey::report::results_markdown(&computed.questionnaire, &computed.results),
        ),
        "html" => {
            let (markdown, figures) = report_with_charts(&computed);
            download(
                "text/html; charset=utf-8",
                format!("{base}-bericht.html"),
                documents::html::document_with_figures(&markdown, &report_meta(), &figures),
            )
        }
        "odt" => {
            let (markdown, figures) = report_with_charts(&computed);
            download(
                "application/vnd.oasis.opendocument.text",
                format!("{base}-bericht.odt"),
                documents::odt::to_odt_with_figures(&markdown, &report_meta(), &figures),
            )
        }
        _ => return Err(AppError::NotFound.into()),
    };
    state
        .store
        .record_event(
            &cu.actor(),
            "Umfrageergebnisse exportiert",
            &format!("Umfrage {id}"),
            &format,
        )
        .await?;
    Ok(response)
}
