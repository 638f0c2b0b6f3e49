//! The Vergleichstest's built-in German quality tasks run once against the
//! local engine on SmolLM2 behind the gateway, as CI runs them: spec, load
//! generator, `/v1` with an API key, engine, scorers and report files. A
//! 135M model scores low; this checks the pipeline, not the model. Few
//! items and short answers keep it to seconds.

mod common;

use std::sync::Arc;

use bench::report::TargetStatus;
use bench::{run_spec_file, NoProgress};
use common::{serve, smollm2_gateway};

/// Items per task and answer length: enough for every scorer to see a
/// real answer, small enough for a CI run.
const ITEMS: u64 = 1;
const MAX_TOKENS: u32 = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_builtin_task_is_scored_against_the_local_engine() {
    let Some((gw, acc, _)) = smollm2_gateway(gateway::local::Limits::default(), 64, 2048).await
    else {
        return;
    };
    let base = serve(gw.clone()).await;
    let tasks = bench::tasks::builtin_ids();
    let workloads: String = tasks
        .iter()
        .map(|t| format!("  - {{ name: \"{t}\", task: \"{t}\", load: \"Qualität\" }}\n"))
        .collect();
    let yaml = format!(
        r#"
name: "Qualität in CI"
targets:
  - name: "Arbeitsplatz"
    base_url: "{base}"
    api_key: "{key}"
    model: "smollm2"
    cost: {{ monthly: {{ eur_per_month: 0 }} }}
    request_timeout_s: 300
workloads:
{workloads}load_profiles:
  - name: "Qualität"
    concurrency: [1]
    requests: {ITEMS}
max_tokens: {MAX_TOKENS}
slo: {{ ttft_p95_ms: 60000, min_tokens_per_s: 0.1, max_error_rate: 0.5 }}
"#,
        key = acc.key,
    );
    let dir = tempdir();
    let path = dir.join("spec.yaml");
    std::fs::write(&path, yaml).unwrap();
    let summary = run_spec_file(&path, &dir.join("out"), Arc::new(NoProgress))
        .await
        .unwrap();
    let report = &summary.report;
    let target = report.target("Arbeitsplatz").unwrap();
    assert_eq!(target.status, TargetStatus::Ok, "{:?}", target.failure);
    let scored: Vec<&str> = report.quality.iter().map(|q| q.task.as_str()).collect();
    assert_eq!(scored.len(), tasks.len(), "tasks scored: {scored:?}");
    for q in &report.quality {
        eprintln!("{}: {:.2} {:?}", q.task, q.score, q.metrics);
        assert_eq!(q.items, ITEMS, "{} scored every item", q.task);
        assert!((0.0..=1.0).contains(&q.score), "{}: {}", q.task, q.score);
    }
    assert_eq!(summary.files.len(), 5);
    // Every request reached the engine, came back whole and was metered
    // (besides the harness's own probe of the target).
    gw.flush_usage().await;
    let usage = acc.store.usage_records(0, i64::MAX).await.unwrap();
    assert!(usage.len() as u64 >= ITEMS * tasks.len() as u64);
    assert!(usage.iter().all(|u| u.status == "ok" && u.tokens_out > 0));
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("bench-quality-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
