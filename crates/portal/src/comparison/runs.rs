//! Comparison runs started from the portal: the spec checked and planned
//! (keys and URLs of targets come from the store, never from the spec),
//! the run in the background with its live progress, and its report files.

use std::collections::BTreeMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use bench::{ProgressEvent, Report};

use crate::error::AppError;
use crate::AppState;

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

pub(super) fn bench_dir(state: &AppState) -> PathBuf {
    state.config.data_dir.join("bench")
}

/// Run ids are made here (date and random hex); anything else in a URL is
/// refused before it touches the file system.
pub(super) fn valid_id(id: &str) -> bool {
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

/// Largest spec accepted from the form.
pub(super) const MAX_SPEC_BYTES: usize = 200_000;

/// Checks a spec from the portal (page or API) and starts its run in the
/// background; returns the run's id. The spec reaches the run only through
/// [`bench::RunPlan::from_portal`]: no server environment, no server files,
/// keys only from the portal's store and only to the address stored with
/// them, addresses only through the gateway's URL rules and the
/// administrator's list of allowed hosts, task sets only built in or
/// uploaded in the portal.
pub async fn launch(state: &AppState, yaml: &str) -> Result<String, AppError> {
    if yaml.len() > MAX_SPEC_BYTES {
        return Err(AppError::invalid(
            "spec",
            "Die Testbeschreibung ist größer als 200 KB.",
        ));
    }
    let keys = super::keys::stored_keys(state).await?;
    let hosts = super::allowed_hosts::in_force(state).await?;
    let check_url = |url: &str| hosts.check(url);
    let task_sets = super::task_sets::parsed(state).await?;
    let sources = bench::PortalSources {
        check_url: &check_url,
        keys: &keys,
        task_sets: &task_sets,
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

/// Asks run `id` to stop after the request in flight; its report is then
/// written as partial. Only runs started since the server started exist.
pub fn cancel(state: &AppState, id: &str) -> Result<(), AppError> {
    let found = state
        .bench_runs
        .lock()
        .ok()
        .and_then(|runs| {
            runs.get(id)
                .map(|r| r.cancel.store(true, std::sync::atomic::Ordering::SeqCst))
        })
        .is_some();
    if found {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Progress events of run `id`, written into the live table the page polls.
pub(super) fn progress_into(runs: LiveRuns, id: String) -> Arc<dyn bench::Progress> {
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
