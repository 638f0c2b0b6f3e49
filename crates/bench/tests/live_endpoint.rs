//! The built-in German tasks against a real OpenAI-compatible endpoint, e.g.
//! `ki-reise serve` with SmolLM2 in CI. Skipped unless
//! `BENCH_LIVE_BASE_URL` (up to `/v1`) and `BENCH_LIVE_MODEL` are set. A
//! small model scores low; this checks the pipeline, not the model.

use std::sync::Arc;

use bench::report::TargetStatus;
use bench::{run_spec_file, NoProgress};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_builtin_tasks_run_against_a_live_endpoint() {
    let (Ok(url), Ok(model)) = (
        std::env::var("BENCH_LIVE_BASE_URL"),
        std::env::var("BENCH_LIVE_MODEL"),
    ) else {
        eprintln!("skipped: BENCH_LIVE_BASE_URL and BENCH_LIVE_MODEL are not set");
        return;
    };
    let per_task: u64 = std::env::var("BENCH_LIVE_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let tasks = bench::tasks::builtin_ids();
    let workloads: String = tasks
        .iter()
        .map(|t| format!("  - {{ name: \"{t}\", task: \"{t}\", load: \"Qualität\" }}\n"))
        .collect();
    let yaml = format!(
        r#"
name: "Live-Test"
targets:
  - name: "Live"
    base_url: "{url}"
    model: "{model}"
    api_key_env: "BENCH_LIVE_API_KEY"
    cost: {{ monthly: {{ eur_per_month: 0 }} }}
    request_timeout_s: 600
workloads:
  - name: "Tempo"
    synthetic: {{ input_tokens: {{ fixed: 32 }}, output_tokens: {{ fixed: 16 }} }}
{workloads}load_profiles:
  - name: "Tempo"
    concurrency: [1, 2]
    requests: 4
  - name: "Qualität"
    concurrency: [1]
    requests: {per_task}
max_tokens: 256
slo: {{ ttft_p95_ms: 60000, min_tokens_per_s: 0.1, max_error_rate: 0.5 }}
"#
    );
    let dir = std::env::temp_dir().join(format!("bench-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("spec.yaml");
    std::fs::write(&path, yaml).unwrap();
    let summary = run_spec_file(&path, &dir.join("out"), Arc::new(NoProgress))
        .await
        .unwrap();
    let r = &summary.report;
    let t = r.target("Live").unwrap();
    assert_eq!(t.status, TargetStatus::Ok, "{:?}", t.failure);
    assert_eq!(r.quality.len(), tasks.len());
    for q in &r.quality {
        eprintln!("{}: {:.2} {:?}", q.task, q.score, q.metrics);
        assert_eq!(q.items, per_task);
        assert!((0.0..=1.0).contains(&q.score));
    }
    assert_eq!(summary.files.len(), 5);
    let _ = std::fs::remove_dir_all(&dir);
}
