//! The Vergleichstest in the portal: write or paste a test description
//! (spec), start a run in the background, follow its progress, and browse
//! the reports of earlier runs. Runs and reports live in the data folder
//! (`bench/<id>/`), so they outlast a restart; a run in progress does not.

use std::path::Path as FsPath;

use crate::text_input::Form;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use bench::Report;
use serde::Deserialize;

use super::runs::{bench_dir, launch, valid_id};
use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::FieldErrors;
use crate::view::Layout;
use crate::view::{is_htmx, render};
use crate::AppState;

const NAV: &str = "/vergleichstest";

struct ReportRow {
    id: String,
    title: String,
    generated: String,
    partial: bool,
    recommendation: String,
}

struct LiveRow {
    id: String,
    title: String,
}

#[derive(askama::Template)]
#[template(path = "comparison/runs.html")]
pub struct ListPage {
    layout: Layout,
    spec: String,
    reports: Vec<ReportRow>,
    live: Vec<LiveRow>,
    keys: Vec<super::keys::KeyRow>,
    pub key_target: String,
    pub key_base_url: String,
    task_sets: Vec<super::task_sets::TaskSetRow>,
    /// The hosts targets may address, and whether that is the default.
    hosts: super::allowed_hosts::AllowedHosts,
    /// Whether this user may change the hosts (administrators).
    may_set_hosts: bool,
    /// The hosts form's text (the list, or what was typed on an error).
    pub hosts_text: String,
    pub errors: FieldErrors,
    form_error: String,
}

fn reports(dir: &FsPath) -> Vec<ReportRow> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut rows: Vec<ReportRow> = entries
        .flatten()
        .filter_map(|e| {
            let id = e.file_name().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(e.path().join("report.json")).ok()?;
            let report = Report::from_json(&text).ok()?;
            Some(ReportRow {
                id,
                title: report.title,
                generated: report
                    .generated_at
                    .replace('T', " ")
                    .trim_end_matches('Z')
                    .to_owned(),
                partial: report.partial,
                recommendation: report.recommendation,
            })
        })
        .collect();
    rows.sort_by(|a, b| b.id.cmp(&a.id));
    rows
}

pub async fn list_page(state: &AppState, cu: &CurrentUser, spec: String) -> ListPage {
    let live = state
        .bench_runs
        .lock()
        .map(|runs| {
            runs.iter()
                .filter(|(_, r)| !r.finished)
                .map(|(id, r)| LiveRow {
                    id: id.clone(),
                    title: r.title.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let hosts =
        super::allowed_hosts::in_force(state)
            .await
            .unwrap_or(super::allowed_hosts::AllowedHosts {
                entries: Vec::new(),
                is_default: true,
            });
    ListPage {
        layout: Layout::for_user(state, cu, "Vergleichstest", NAV).await,
        task_sets: super::task_sets::rows(state).await.unwrap_or_default(),
        hosts_text: hosts.entries.join("\n"),
        hosts,
        may_set_hosts: cu.user.role.can(journey::access::Permission::ManageGateway),
        spec,
        reports: reports(&bench_dir(state)),
        live,
        keys: super::keys::key_rows(state).await,
        key_target: String::new(),
        key_base_url: String::new(),
        errors: FieldErrors::new(),
        form_error: String::new(),
    }
}

pub async fn list(State(state): State<AppState>, cu: CurrentUser) -> Result<Response, PageError> {
    render(&list_page(&state, &cu, bench::PORTAL_EXAMPLE_SPEC.to_owned()).await)
}

#[derive(Deserialize)]
pub struct StartForm {
    spec: String,
}

pub async fn start(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<StartForm>,
) -> Result<Response, PageError> {
    match launch(&state, &form.spec).await {
        Ok(id) => Ok(Redirect::to(&format!("/vergleichstest/{id}")).into_response()),
        Err(AppError::Invalid { message, .. }) => {
            let mut page = list_page(&state, &cu, form.spec.clone()).await;
            page.errors.insert("spec", message);
            page.form_error =
                "Die Testbeschreibung ist fehlerhaft; der Test wurde nicht gestartet.".into();
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

struct FileLink {
    name: &'static str,
    label: &'static str,
}

const FILES: [FileLink; 6] = [
    FileLink {
        name: "report.html",
        label: "Bericht (HTML mit Diagrammen)",
    },
    FileLink {
        name: "zusammenfassung.odt",
        label: "Zusammenfassung für die Entscheidung (ODT)",
    },
    FileLink {
        name: "zusammenfassung.md",
        label: "Zusammenfassung (Markdown)",
    },
    FileLink {
        name: "report.json",
        label: "Ergebnis (JSON)",
    },
    FileLink {
        name: "results.csv",
        label: "Kennzahlen (CSV)",
    },
    FileLink {
        name: "requests.csv",
        label: "Einzelne Anfragen (CSV)",
    },
];

pub struct RunView {
    id: String,
    running: bool,
    percent: Option<u64>,
    done: u64,
    total: String,
    failed: u64,
    current: String,
    notes: Vec<String>,
    error: String,
    files: Vec<&'static FileLink>,
    recommendation: String,
    partial: bool,
}

#[derive(askama::Template)]
#[template(path = "comparison/run.html")]
struct RunPage {
    layout: Layout,
    title: String,
    page: RunView,
}

#[derive(askama::Template)]
#[template(path = "comparison/progress.html")]
struct ProgressFragment {
    page: RunView,
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    if !valid_id(&id) {
        return Err(AppError::NotFound.into());
    }
    let dir = bench_dir(&state).join(&id);
    let report = std::fs::read_to_string(dir.join("report.json"))
        .ok()
        .and_then(|t| Report::from_json(&t).ok());
    let live = state.bench_runs.lock().ok().and_then(|runs| {
        runs.get(&id).map(|r| {
            (
                r.title.clone(),
                r.total,
                r.done,
                r.failed_requests,
                r.current.clone(),
                r.notes.clone(),
                r.finished,
                r.error.clone(),
            )
        })
    });
    if live.is_none() && report.is_none() {
        return Err(AppError::NotFound.into());
    }
    let (title, total, done, failed, current, notes, finished, error) = live.unwrap_or_else(|| {
        (
            report.as_ref().map(|r| r.title.clone()).unwrap_or_default(),
            None,
            0,
            0,
            String::new(),
            Vec::new(),
            true,
            None,
        )
    });
    let running = !finished;
    let view = RunView {
        id,
        running,
        percent: total.filter(|t| *t > 0).map(|t| (done * 100 / t).min(100)),
        done,
        total: total.map_or_else(|| "unbekannt (zeitbegrenzt)".into(), |t| t.to_string()),
        failed,
        current,
        notes,
        error: error.unwrap_or_default(),
        files: if running {
            Vec::new()
        } else {
            FILES
                .iter()
                .filter(|f| dir.join(f.name).is_file())
                .collect()
        },
        recommendation: report
            .as_ref()
            .map(|r| r.recommendation.clone())
            .unwrap_or_default(),
        partial: report.as_ref().is_some_and(|r| r.partial),
    };
    if is_htmx(&headers) {
        return render(&ProgressFragment { page: view });
    }
    render(&RunPage {
        layout: Layout::for_user(&state, &cu, &format!("Vergleichstest: {title}"), NAV).await,
        title,
        page: view,
    })
}

pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    super::runs::cancel(&state, &id)?;
    Ok(Redirect::to(&format!("/vergleichstest/{id}")).into_response())
}

pub async fn file(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let Some(link) = FILES.iter().find(|f| f.name == name) else {
        return Err(AppError::NotFound.into());
    };
    if !valid_id(&id) {
        return Err(AppError::NotFound.into());
    }
    let path = bench_dir(&state).join(&id).join(link.name);
    let bytes = std::fs::read(&path).map_err(|_| AppError::NotFound)?;
    let media = match link.name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("json") => "application/json",
        Some("csv") => "text/csv; charset=utf-8",
        Some("md") => "text/markdown; charset=utf-8",
        _ => "application/vnd.oasis.opendocument.text",
    };
    let disposition = if link.name == "report.html" {
        "inline".to_owned()
    } else {
        format!("attachment; filename=\"vergleichstest-{id}-{}\"", link.name)
    };
    Ok((
        [
            (header::CONTENT_TYPE, media.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            // The report is self-contained: its own styles, no scripts.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response())
}
