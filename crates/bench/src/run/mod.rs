//! A whole run: every target, every workload, every concurrency level; then
//! scoring, pricing, ranking and the report files.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::client::{ChatRequest, Endpoint, ErrorKind};
use crate::cost::{break_even, price, BreakEven, Scaling};
use crate::error::BenchError;
use crate::host::LoadRecorder;
use crate::load::{run_level, LevelPlan, OnDone, PromptScale, RequestSource, Sample};
use crate::metrics::{figures, level_metrics, LevelMetrics};
use crate::plan::RunPlan;
use crate::progress::{Progress, ProgressEvent};
use crate::report::{self, QualityResult, Report, RequestRow, TargetResult, TargetStatus};
use crate::resources::{ProcessSelector, Sampler};
use crate::spec::{Spec, Target};
use crate::tasks::{ChatMessage, TaskSet};
use crate::uncertainty::mean_interval;

mod summary;

pub use summary::cost_model_de;
use summary::{quality_result, request_row, score_sample, summarise_target};

/// What a finished run hands back: the report and the files written.
#[derive(Debug, Clone)]
pub struct ReportSummary {
    pub report: Report,
    pub files: Vec<PathBuf>,
}

/// Reads a spec, runs it and writes the report into `out_dir`.
pub async fn run_spec_file(
    path: &Path,
    out_dir: &Path,
    progress: Arc<dyn Progress>,
) -> Result<ReportSummary, BenchError> {
    run_spec_file_cancellable(path, out_dir, progress, Arc::new(AtomicBool::new(false))).await
}

/// Like [`run_spec_file`]; setting `cancel` (e.g. on Ctrl-C) stops the run
/// after the requests in flight and writes a report marked partial.
pub async fn run_spec_file_cancellable(
    path: &Path,
    out_dir: &Path,
    progress: Arc<dyn Progress>,
    cancel: Arc<AtomicBool>,
) -> Result<ReportSummary, BenchError> {
    let plan = RunPlan::from_operator_file(path)?;
    let (report, rows) = run_spec(&plan, progress.clone(), cancel).await?;
    let files = write_report(&report, &rows, out_dir)?;
    progress.event(ProgressEvent::Finished {
        partial: report.partial,
    });
    Ok(ReportSummary { report, files })
}

/// Compares two `report.json` files run against run, as Markdown.
pub fn compare_report_files(before: &Path, after: &Path) -> Result<String, BenchError> {
    let read = |p: &Path| {
        let text = std::fs::read_to_string(p).map_err(|source| BenchError::Read {
            path: p.to_path_buf(),
            source,
        })?;
        Report::from_json(&text)
    };
    Ok(report::compare_markdown(&read(before)?, &read(after)?))
}

/// Writes all report files; returns their paths.
pub fn write_report(
    report: &Report,
    rows: &[RequestRow],
    out_dir: &Path,
) -> Result<Vec<PathBuf>, BenchError> {
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BenchError::Write { path, source }
    };
    std::fs::create_dir_all(out_dir).map_err(write_err(out_dir))?;
    let files = [
        ("report.json", report.to_json()?),
        ("results.csv", report::results_csv(report)?),
        ("requests.csv", report::requests_csv(rows)?),
        ("report.html", report::render_html(report)),
        ("zusammenfassung.md", report::markdown_summary(report)),
    ];
    let mut written = Vec::new();
    for (name, content) in files {
        let path = out_dir.join(name);
        std::fs::write(&path, content).map_err(write_err(&path))?;
        written.push(path);
    }
    Ok(written)
}

/// A workload ready to run.
struct Prepared {
    name: String,
    task: Option<Arc<TaskSet>>,
    source: Arc<RequestSource>,
}

fn prepare(plan: &RunPlan) -> Result<Vec<Prepared>, BenchError> {
    let spec = plan.spec();
    spec.workloads
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let task = plan.task(i);
            let source = match (&task, &w.synthetic) {
                (Some(set), _) => RequestSource::Tasks {
                    set: set.clone(),
                    max_tokens: spec.max_tokens,
                    temperature: spec.temperature,
                },
                (None, Some(s)) => RequestSource::Synthetic(s.clone()),
                (None, None) => {
                    return Err(BenchError::spec(
                        format!("workloads.{}", w.name),
                        "genau eines von task, task_file oder synthetic angeben",
                    ))
                }
            };
            Ok(Prepared {
                name: w.name.clone(),
                task,
                source: Arc::new(source),
            })
        })
        .collect()
}

/// Requests per level: the profile's count, else one pass over the items,
/// else unbounded (the duration ends the level).
fn requests_for(spec: &Spec, w: &Prepared, idx: usize) -> Option<u64> {
    spec.profile_for(&spec.workloads[idx])
        .requests
        .or_else(|| w.source.natural_count())
}

/// Runs every target; a target that fails is recorded, not fatal.
pub async fn run_spec(
    plan: &RunPlan,
    progress: Arc<dyn Progress>,
    cancel: Arc<AtomicBool>,
) -> Result<(Report, Vec<RequestRow>), BenchError> {
    let spec = plan.spec();
    let workloads = prepare(plan)?;
    let total = workloads.iter().enumerate().try_fold(0u64, |acc, (i, w)| {
        let profile = spec.profile_for(&spec.workloads[i]);
        let levels = profile.concurrency.len() as u64 * profile.rates().len() as u64;
        requests_for(spec, w, i).map(|r| acc + r * levels * u64::from(profile.repetitions.max(1)))
    });
    progress.event(ProgressEvent::Started {
        total_requests: total.map(|t| t * spec.targets.len() as u64),
    });
    let mut targets = Vec::new();
    let mut levels = Vec::new();
    let mut quality = Vec::new();
    let mut rows = Vec::new();
    let mut partial = false;
    let host = LoadRecorder::start(HOST_INTERVAL);
    for (ti, target) in spec.targets.iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            partial = true;
            break;
        }
        let key = plan.key(ti);
        let run = run_target(spec, target, key, &workloads, &progress, &cancel).await;
        partial |= run.cancelled;
        levels.extend(run.levels);
        quality.extend(run.quality);
        rows.extend(run.rows);
        targets.push(run.result);
    }
    let break_even = break_evens(spec, &targets);
    let mut report = Report {
        report_version: report::REPORT_VERSION,
        title: spec.name.clone(),
        description: spec.description.clone(),
        generated_at: now_rfc3339(),
        partial,
        slo: spec.slo.clone(),
        users: spec.users.clone(),
        capacity_workload: spec.capacity_workload().to_string(),
        ranking: report::rank(&targets),
        targets,
        levels,
        quality,
        break_even,
        recommendation: String::new(),
        host: host.finish().await,
        warnings: Vec::new(),
    };
    report.warnings = report::warnings(&report);
    report.recommendation = report::recommendation(&report);
    Ok((report, rows))
}

/// Break-evens between every pair of measured targets.
fn break_evens(spec: &Spec, targets: &[TargetResult]) -> Vec<BreakEven> {
    let scalings: Vec<(&str, Scaling)> = targets
        .iter()
        .filter(|t| t.status == TargetStatus::Ok)
        .filter_map(|t| {
            let cost = &spec.targets.iter().find(|s| s.name == t.name)?.cost;
            Some((t.name.as_str(), Scaling::of(cost, &t.cost, t.users_served)?))
        })
        .collect();
    let mut out = Vec::new();
    for (i, a) in scalings.iter().enumerate() {
        for b in &scalings[i + 1..] {
            out.extend(break_even(*a, *b));
        }
    }
    out
}

struct TargetRun {
    result: TargetResult,
    levels: Vec<LevelMetrics>,
    quality: Vec<QualityResult>,
    rows: Vec<RequestRow>,
    cancelled: bool,
}

fn failed_result(target: &Target, reason: String) -> TargetResult {
    TargetResult {
        name: target.name.clone(),
        model: target.model.clone(),
        base_url: target.base_url.clone(),
        hardware: target.hardware.clone(),
        data_classes: target.data_classes.clone(),
        status: TargetStatus::Failed,
        failure: Some(reason),
        capacity_concurrency: None,
        users_served: None,
        max_output_tokens_per_s: None,
        max_output_tokens_per_s_ci: None,
        cost_model_de: cost_model_de(&target.cost),
        cost: price(&target.cost, None, None, &Default::default()),
        quality_mean: None,
        quality_ci: None,
        units_for_staff: None,
        monthly_eur_for_staff: None,
        resources: None,
    }
}

/// One short request before the load: an unreachable target fails in
/// seconds with a clear reason instead of after a sweep of timeouts.
async fn preflight(endpoint: &Endpoint) -> Result<(), String> {
    let req = ChatRequest {
        messages: vec![ChatMessage {
            role: "user".into(),
            content: "Antworte mit OK.".into(),
        }],
        max_tokens: 4,
        temperature: 0.0,
        ignore_eos: false,
    };
    let out = endpoint.send(&req).await;
    match out.error {
        Some(e)
            if matches!(
                e.kind,
                ErrorKind::Connect
                    | ErrorKind::HttpStatus
                    | ErrorKind::Timeout
                    | ErrorKind::Transport
            ) =>
        {
            Err(format!("{}: {}", e.kind.label_de(), e.message))
        }
        _ => Ok(()),
    }
}

/// Measures how the target tokenizes synthetic prompts (three requests of
/// one output token each), so that drawn input lengths are the target's
/// tokens. `None` when the server reports no prompt tokens: then one filler
/// word stands for one token, and the report shows the counts it has.
async fn calibrate(endpoint: &Endpoint) -> Option<PromptScale> {
    let mut counts = [0u64; 3];
    for (count, content) in counts.iter_mut().zip(PromptScale::probes()) {
        let req = ChatRequest {
            messages: vec![ChatMessage {
                role: "user".into(),
                content,
            }],
            max_tokens: 1,
            temperature: 0.0,
            ignore_eos: false,
        };
        *count = endpoint.send(&req).await.usage?.prompt_tokens?;
    }
    PromptScale::from_counts(counts[0], counts[1], counts[2])
}

/// What one target needs to measure a level.
struct LevelContext<'a> {
    spec: &'a Spec,
    target: &'a Target,
    endpoint: &'a Endpoint,
    progress: &'a Arc<dyn Progress>,
    cancel: &'a Arc<AtomicBool>,
}

/// The results of one level, with every sample and its score.
struct MeasuredLevel {
    metrics: LevelMetrics,
    rows: Vec<RequestRow>,
    scored: Vec<(Sample, Option<f64>)>,
}

async fn measure_level(
    ctx: &LevelContext<'_>,
    w: &Prepared,
    wi: usize,
    concurrency: u32,
    rate_per_s: Option<f64>,
) -> MeasuredLevel {
    let (spec, target) = (ctx.spec, ctx.target);
    let profile = spec.profile_for(&spec.workloads[wi]);
    let plan = LevelPlan {
        concurrency,
        requests: requests_for(spec, w, wi),
        duration: profile.duration_s.map(Duration::from_secs_f64),
        rate_per_s,
        warmup: profile.warmup_requests,
        seed: profile.seed,
    };
    ctx.progress.event(ProgressEvent::LevelStarted {
        target: target.name.clone(),
        workload: w.name.clone(),
        concurrency,
        requests: plan.requests,
    });
    let p = ctx.progress.clone();
    let on_done: OnDone = Arc::new(move |ok| p.event(ProgressEvent::RequestDone { ok }));
    let mut samples: Vec<Sample> = Vec::new();
    let mut wall = Duration::ZERO;
    let mut runs = Vec::new();
    for rep in 0..profile.repetitions.max(1) {
        if rep > 0 && ctx.cancel.load(Ordering::Relaxed) {
            break;
        }
        let run = run_level(ctx.endpoint, &w.source, &plan, on_done.clone(), ctx.cancel).await;
        let tokens: u64 = run
            .samples
            .iter()
            .filter(|s| s.outcome.error.is_none())
            .map(|s| figures(s).output_tokens)
            .sum();
        runs.push(tokens as f64 / run.wall.as_secs_f64().max(1e-9));
        // Later repetitions continue the level's clock, so that start
        // times in requests.csv stay in order.
        samples.extend(run.samples.into_iter().map(|mut s| {
            s.started += wall;
            s
        }));
        wall += run.wall;
    }
    let mut metrics = level_metrics(
        &target.name,
        &w.name,
        concurrency,
        &samples,
        wall.as_secs_f64(),
        &spec.slo,
    );
    metrics.rate_per_s = rate_per_s;
    metrics.repetitions = runs.len() as u32;
    if runs.len() >= 2 {
        metrics.output_tokens_per_s_ci = mean_interval(&runs);
    }
    metrics.output_tokens_per_s_runs = runs;
    let scores: Vec<Option<f64>> = samples
        .iter()
        .map(|s| score_sample(w.task.as_deref(), s).map(|(main, _)| main))
        .collect();
    if w.task.is_some() && !scores.is_empty() {
        let sum: f64 = scores.iter().map(|s| s.unwrap_or(0.0)).sum();
        metrics.quality = Some(sum / scores.len() as f64);
    }
    let rows = samples
        .iter()
        .zip(&scores)
        .map(|(s, score)| {
            request_row(
                &target.name,
                &w.name,
                (concurrency, rate_per_s),
                s,
                w.task.as_deref(),
                *score,
            )
        })
        .collect();
    ctx.progress.event(ProgressEvent::LevelFinished {
        target: target.name.clone(),
        workload: w.name.clone(),
        concurrency,
        requests_per_s: metrics.requests_per_s,
        ttft_p95_ms: metrics.ttft_ms.p95,
        slo_met: metrics.slo_met,
    });
    MeasuredLevel {
        metrics,
        rows,
        scored: samples.into_iter().zip(scores).collect(),
    }
}

/// The next concurrency to try when searching for the largest one that
/// meets the SLO: double past the highest pass until a level fails, then
/// halve the gap. `None` when the answer is known (or `max` is reached).
pub fn next_search_level(results: &[(u32, bool)], max: u32) -> Option<u32> {
    let lo = results
        .iter()
        .filter(|r| r.1)
        .map(|r| r.0)
        .max()
        .unwrap_or(0);
    let hi = results
        .iter()
        .filter(|r| !r.1 && r.0 > lo)
        .map(|r| r.0)
        .min();
    let next = match hi {
        None => (lo.max(1) * 2).min(max),
        Some(hi) => lo + (hi - lo) / 2,
    };
    let tested = results.iter().any(|r| r.0 == next);
    (next > lo && !tested && next <= max).then_some(next)
}

/// How often a local target's CPU and memory are read.
const RESOURCE_INTERVAL: Duration = Duration::from_millis(500);

/// How often the machine's load average is read.
const HOST_INTERVAL: Duration = Duration::from_secs(1);

/// Bound on search steps, so a noisy target cannot keep a run going.
const MAX_SEARCH_STEPS: usize = 12;

async fn run_target(
    spec: &Spec,
    target: &Target,
    key: Result<Option<String>, String>,
    workloads: &[Prepared],
    progress: &Arc<dyn Progress>,
    cancel: &Arc<AtomicBool>,
) -> TargetRun {
    let fail = |reason: String| {
        progress.event(ProgressEvent::TargetFailed {
            target: target.name.clone(),
            reason: reason.clone(),
        });
        TargetRun {
            result: failed_result(target, reason),
            levels: vec![],
            quality: vec![],
            rows: vec![],
            cancelled: false,
        }
    };
    let key = match key {
        Ok(key) => key,
        Err(reason) => return fail(reason),
    };
    let endpoint = match Endpoint::new(
        &target.base_url,
        key,
        &target.model,
        Duration::from_secs_f64(target.request_timeout_s),
    ) {
        Ok(e) => e,
        Err(e) => return fail(format!("HTTP-Client: {e}")),
    };
    if let Err(reason) = preflight(&endpoint).await {
        return fail(reason);
    }
    let sampler = target
        .local_process
        .as_deref()
        .map(|p| Sampler::start(ProcessSelector::parse(p), RESOURCE_INTERVAL));
    let ctx = LevelContext {
        spec,
        target,
        endpoint: &endpoint,
        progress,
        cancel,
    };
    let mut levels = Vec::new();
    let mut quality = Vec::new();
    let mut rows = Vec::new();
    let mut cancelled = false;
    let mut scale = None;
    'workloads: for (wi, w) in workloads.iter().enumerate() {
        let calibrated;
        let w = match &*w.source {
            RequestSource::Synthetic(syn) => {
                if scale.is_none() {
                    scale = Some(calibrate(&endpoint).await);
                }
                match scale.flatten() {
                    Some(sc) => {
                        calibrated = Prepared {
                            name: w.name.clone(),
                            task: None,
                            source: Arc::new(RequestSource::Calibrated(syn.clone(), sc)),
                        };
                        &calibrated
                    }
                    None => w,
                }
            }
            _ => w,
        };
        let profile = spec.profile_for(&spec.workloads[wi]);
        let mut scored: Vec<(Sample, Option<f64>)> = Vec::new();
        let mut results: Vec<(u32, bool)> = Vec::new();
        // Every rate (or the closed loop) at every listed concurrency; the
        // search then extends the closed loop only.
        let mut queue: Vec<(u32, Option<f64>)> = profile
            .rates()
            .into_iter()
            .flat_map(|r| profile.concurrency.iter().map(move |&c| (c, r)))
            .collect();
        queue.reverse();
        let closed_loop = profile.rates() == vec![None];
        let mut steps = 0;
        loop {
            let next = match queue.pop() {
                Some(level) => Some(level),
                None if steps < MAX_SEARCH_STEPS && closed_loop => {
                    steps += 1;
                    profile
                        .search_max
                        .and_then(|max| next_search_level(&results, max))
                        .map(|c| (c, None))
                }
                None => None,
            };
            let Some((concurrency, rate)) = next else {
                break;
            };
            if cancel.load(Ordering::Relaxed) {
                cancelled = true;
                break 'workloads;
            }
            let m = measure_level(&ctx, w, wi, concurrency, rate).await;
            results.push((concurrency, m.metrics.slo_met));
            levels.push(m.metrics);
            rows.extend(m.rows);
            scored.extend(m.scored);
        }
        if let Some(set) = &w.task {
            if !scored.is_empty() {
                quality.push(quality_result(&target.name, &w.name, set, &scored));
            }
        }
    }
    let resources = match sampler {
        Some(s) => s.finish().await,
        None => None,
    };
    // A search runs levels out of order; readers expect them sorted.
    levels.sort_by(|a, b| {
        let wi = |l: &LevelMetrics| workloads.iter().position(|w| w.name == l.workload);
        (wi(a), a.rate_per_s.is_some(), a.concurrency)
            .cmp(&(wi(b), b.rate_per_s.is_some(), b.concurrency))
            .then(
                a.rate_per_s
                    .unwrap_or(0.0)
                    .total_cmp(&b.rate_per_s.unwrap_or(0.0)),
            )
    });
    if !levels.is_empty() && levels.iter().all(|l| l.requests_ok == 0) {
        let reason = rows
            .iter()
            .rev()
            .find_map(|r| r.error_kind.as_ref().zip(r.error.as_ref()))
            .map(|(k, m)| format!("alle Anfragen scheiterten, zuletzt: {k}: {m}"))
            .unwrap_or_else(|| "alle Anfragen scheiterten".into());
        let mut run = fail(reason);
        run.levels = levels;
        run.rows = rows;
        run.cancelled = cancelled;
        run.result.resources = resources;
        return run;
    }
    let mut result = summarise_target(spec, target, &levels, &quality);
    result.resources = resources;
    TargetRun {
        result,
        levels,
        quality,
        rows,
        cancelled,
    }
}

fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Cost;

    #[test]
    fn the_search_doubles_until_a_level_fails_then_bisects() {
        let pass = |c: &[u32], f: &[u32]| {
            let mut v: Vec<(u32, bool)> = c.iter().map(|&c| (c, true)).collect();
            v.extend(f.iter().map(|&c| (c, false)));
            v
        };
        assert_eq!(next_search_level(&pass(&[1, 2, 4], &[]), 64), Some(8));
        assert_eq!(next_search_level(&pass(&[1, 2, 4], &[8]), 64), Some(6));
        assert_eq!(next_search_level(&pass(&[1, 2, 4, 6], &[8]), 64), Some(7));
        assert_eq!(next_search_level(&pass(&[1, 2, 4, 6], &[7, 8]), 64), None);
        assert_eq!(next_search_level(&pass(&[], &[1]), 64), None);
        assert_eq!(next_search_level(&pass(&[1, 2], &[]), 2), None);
        assert_eq!(next_search_level(&pass(&[1, 2], &[]), 3), Some(3));
    }

    #[test]
    fn cost_models_are_described_in_german() {
        let c = Cost::Hourly {
            eur_per_hour: 1.9,
            hours_per_month: 730.0,
            min_term_months: Some(1.0),
        };
        assert_eq!(
            cost_model_de(&c),
            "Miete 1,90 € je Stunde, 730 Stunden im Monat, Mindestlaufzeit 1 Monat"
        );
    }
}
