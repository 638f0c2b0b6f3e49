//! The Vergleichstest in the portal: write or paste a test description
//! (spec), start a run in the background, follow its progress, and browse
//! the reports of earlier runs. Runs and reports live in the data folder
//! (`bench/<id>/`), so they outlast a restart; a run in progress does not.

use std::collections::BTreeMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use bench::{ProgressEvent, Report};
use serde::Deserialize;

use super::{is_htmx, render, FieldErrors};
use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::view::Layout;
use crate::AppState;

const NAV: &str = "/vergleichstest";

/// What the page knows about a run in progress.
#[derive(Debug, Default)]
pub struct LiveRun {
    pub title: String,
    pub total: Option<u64>,
    pub done: u64,
    pub failed_requests: u64,
    pub current: String,
    pub notes: Vec<String>,
    pub finished: bool,
    pub error: Option<String>,
    pub cancel: Arc<AtomicBool>,
}

/// The runs started since the server started, by id.
pub type LiveRuns = Arc<Mutex<BTreeMap<String, LiveRun>>>;

fn bench_dir(state: &AppState) -> PathBuf {
    state.config.data_dir.join("bench")
}

/// Run ids are made here (date and random hex); anything else in a URL is
/// refused before it touches the file system.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 40 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Writes the decision paper as ODT beside its Markdown.
pub fn write_odt_summary(dir: &FsPath, report: &Report) -> std::io::Result<PathBuf> {
    let markdown = std::fs::read_to_string(dir.join("zusammenfassung.md"))?;
    let mut meta = documents::DocMeta::new(report.title.clone());
    meta.subtitle = Some("Vergleichstest: Zusammenfassung für die Entscheidung".into());
    meta.date = report.generated_at.get(..10).map(str::to_owned);
    if report.partial {
        meta.status = Some("unvollständig (abgebrochen)".into());
    }
    let path = dir.join("zusammenfassung.odt");
    std::fs::write(&path, documents::odt::to_odt(&markdown, &meta))?;
    Ok(path)
}

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
#[template(path = "bench_runs.html")]
pub struct ListPage {
    layout: Layout,
    spec: String,
    reports: Vec<ReportRow>,
    live: Vec<LiveRow>,
    keys: Vec<super::bench_keys::KeyRow>,
    pub key_target: String,
    pub key_base_url: String,
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
    ListPage {
        layout: Layout::for_user(state, cu, "Vergleichstest", NAV).await,
        spec,
        reports: reports(&bench_dir(state)),
        live,
        keys: super::bench_keys::key_rows(state).await,
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

/// Largest spec accepted from the form.
const MAX_SPEC_BYTES: usize = 200_000;

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

/// Checks a spec from the portal (page or API) and starts its run in the
/// background; returns the run's id. The spec reaches the run only through
/// [`bench::RunPlan::from_portal`]: no server environment, no server files,
/// keys only from the portal's store and only to the address stored with
/// them, addresses only through the gateway's allow-list.
pub async fn launch(state: &AppState, yaml: &str) -> Result<String, AppError> {
    if yaml.len() > MAX_SPEC_BYTES {
        return Err(AppError::invalid(
            "spec",
            "Die Testbeschreibung ist größer als 200 KB.",
        ));
    }
    let keys = super::bench_keys::stored_keys(state).await?;
    let check_url = |url: &str| gateway::check_backend_url(url);
    let sources = bench::PortalSources {
        check_url: &check_url,
        keys: &keys,
    };
    let plan = bench::RunPlan::from_portal(yaml, &sources).map_err(|e| {
        let field = match &e {
            bench::BenchError::Spec { field, .. } => field.clone(),
            _ => "spec".to_owned(),
        };
        AppError::invalid(&field, e.to_string())
    })?;
    let t = time::OffsetDateTime::now_utc();
    let id = format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}-{}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        store::random_token(3)
    );
    let dir = bench_dir(state).join(&id);
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("spec.yaml"), yaml))
        .map_err(|e| AppError::Internal(format!("bench folder {}: {e}", dir.display())))?;
    let cancel = Arc::new(AtomicBool::new(false));
    if let Ok(mut runs) = state.bench_runs.lock() {
        runs.insert(
            id.clone(),
            LiveRun {
                title: plan.spec().name.clone(),
                cancel: cancel.clone(),
                ..LiveRun::default()
            },
        );
    }
    let runs = state.bench_runs.clone();
    let run_id = id.clone();
    let progress = progress_into(runs.clone(), id.clone());
    tokio::spawn(async move {
        let outcome = async {
            let (report, rows) = bench::run_spec(&plan, progress, cancel).await?;
            bench::write_report(&report, &rows, &dir)?;
            write_odt_summary(&dir, &report).map_err(|source| bench::BenchError::Write {
                path: dir.join("zusammenfassung.odt"),
                source,
            })?;
            Ok::<(), bench::BenchError>(())
        }
        .await;
        if let Ok(mut all) = runs.lock() {
            if let Some(run) = all.get_mut(&run_id) {
                run.finished = true;
                run.error = outcome.err().map(|e| e.to_string());
            }
        }
    });
    Ok(id)
}

/// Progress events of run `id`, written into the live table the page polls.
fn progress_into(runs: LiveRuns, id: String) -> Arc<dyn bench::Progress> {
    Arc::new(move |e: ProgressEvent| {
        let Ok(mut all) = runs.lock() else {
            return;
        };
        let Some(run) = all.get_mut(&id) else {
            return;
        };
        match e {
            ProgressEvent::Started { total_requests } => run.total = total_requests,
            ProgressEvent::RequestDone { ok } => {
                run.done += 1;
                if !ok {
                    run.failed_requests += 1;
                }
            }
            ProgressEvent::LevelStarted {
                target,
                workload,
                concurrency,
                ..
            } => {
                run.current =
                    format!("{target}: {workload} mit {concurrency} gleichzeitigen Anfragen");
            }
            ProgressEvent::TargetFailed { target, reason } => {
                run.notes.push(format!("{target} ausgefallen: {reason}"));
            }
            ProgressEvent::LevelFinished {
                target,
                workload,
                concurrency,
                requests_per_s,
                slo_met,
                ..
            } => {
                run.notes.push(format!(
                    "{target}, {workload}, {concurrency} gleichzeitig: {requests_per_s:.1} Anfragen/s, Ziel {}",
                    if slo_met { "eingehalten" } else { "verfehlt" }
                ));
            }
            ProgressEvent::Finished { .. } => {}
        }
    })
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
#[template(path = "bench_run.html")]
struct RunPage {
    layout: Layout,
    title: String,
    page: RunView,
}

#[derive(askama::Template)]
#[template(path = "bench_progress.html")]
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
    let found = state
        .bench_runs
        .lock()
        .ok()
        .and_then(|runs| {
            runs.get(&id)
                .map(|r| r.cancel.store(true, Ordering::SeqCst))
        })
        .is_some();
    if !found {
        return Err(AppError::NotFound.into());
    }
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
