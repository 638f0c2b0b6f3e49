//! Whether a report ranks from noise: two identical servers must come out
//! as "kein belastbarer Unterschied", equal quality as a tie, and a run
//! with too few requests is flagged.

mod mock;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bench::{run_spec_file, NoProgress};
use mock::{MockConfig, MockServer};

fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("bench-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Right answers to every routing item.
fn right_answers() -> HashMap<String, String> {
    let set = bench::tasks::builtin("weiterleitung").unwrap();
    set.items
        .iter()
        .map(|item| {
            (
                set.messages(item)[1].content.clone(),
                set.reference_answer(item),
            )
        })
        .collect()
}

async fn server() -> MockServer {
    MockServer::start(MockConfig {
        ttft: Duration::from_millis(15),
        itl: Duration::from_millis(4),
        slots: 64,
        answers: right_answers(),
        ..MockConfig::default()
    })
    .await
}

fn spec(a: &str, b: &str, requests: u64, repetitions: u32) -> String {
    format!(
        r#"
name: "Zwei gleiche Server"
targets:
  - name: "Server A"
    base_url: "{a}"
    model: "m"
    cost: {{ monthly: {{ eur_per_month: 500 }} }}
  - name: "Server B"
    base_url: "{b}"
    model: "m"
    cost: {{ monthly: {{ eur_per_month: 500 }} }}
workloads:
  - name: "Tempo"
    synthetic: {{ input_tokens: {{ fixed: 20 }}, output_tokens: {{ uniform: {{ min: 5, max: 30 }} }}, seed: 3 }}
  - name: "Weiterleitung"
    task: "weiterleitung"
    load: "Qualität"
load_profiles:
  - name: "Staffel"
    concurrency: [1, 4]
    requests: {requests}
    repetitions: {repetitions}
  - name: "Qualität"
    concurrency: [4]
slo: {{ ttft_p95_ms: 2000, min_tokens_per_s: 1, max_error_rate: 0.5 }}
users: {{ active_share: 0.1, staff: 30 }}
"#
    )
}

async fn run(requests: u64, repetitions: u32) -> bench::Report {
    let (a, b) = (server().await, server().await);
    let dir = temp_dir("gleich");
    let path = dir.join("spec.yaml");
    std::fs::write(
        &path,
        spec(&a.base_url(), &b.base_url(), requests, repetitions),
    )
    .unwrap();
    let summary = run_spec_file(&path, &dir.join("out"), Arc::new(NoProgress))
        .await
        .unwrap();
    let html = std::fs::read_to_string(dir.join("out/report.html")).unwrap();
    assert!(html.contains("95-%-Intervall"), "intervals shown");
    assert_tables_fit(&html);
    let _ = std::fs::remove_dir_all(&dir);
    summary.report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_identical_targets_show_no_reliable_difference_and_tie_on_quality() {
    let report = run(24, 2).await;
    let rec = &report.recommendation;
    assert!(
        rec.starts_with("Kein belastbarer Unterschied zwischen Server"),
        "{rec}"
    );
    assert!(!rec.contains("Empfehlung:"), "{rec}");
    assert!(
        rec.contains("liegen Server A und Server B gleichauf (je 100 von 100 Punkten)")
            || rec.contains("liegen Server B und Server A gleichauf (je 100 von 100 Punkten)"),
        "{rec}"
    );
    assert!(!rec.contains("beste Antwortqualität"), "{rec}");
    // Every level states its repetitions and an interval of its throughput.
    for l in report.levels.iter().filter(|l| l.workload == "Tempo") {
        assert_eq!(l.repetitions, 2);
        assert_eq!(l.output_tokens_per_s_runs.len(), 2);
        let ci = l.output_tokens_per_s_ci.expect("interval");
        assert!(ci.low <= ci.high);
    }
    for t in &report.targets {
        assert!(t.max_output_tokens_per_s_ci.is_some(), "{t:?}");
        assert!(t.quality_ci.is_some(), "{t:?}");
    }
    assert!(
        !report
            .warnings
            .iter()
            .any(|w| w.contains("Zu wenige Anfragen")),
        "{:?}",
        report.warnings
    );
    assert!(report.host.is_some() || !std::path::Path::new("/proc/loadavg").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_with_too_few_requests_per_level_is_flagged() {
    let report = run(4, 1).await;
    let w = report
        .warnings
        .iter()
        .find(|w| w.contains("Zu wenige Anfragen bei Server A"))
        .unwrap_or_else(|| panic!("{:?}", report.warnings));
    assert!(
        w.contains("2 von 3 Messstufen") && w.contains("die kleinste 4"),
        "{w}"
    );
    assert!(
        report.recommendation.contains("Achtung"),
        "{}",
        report.recommendation
    );
}

/// Every table has as many cells in each row as in its header, and sits
/// in a box that scrolls sideways instead of widening the page.
fn assert_tables_fit(html: &str) {
    assert!(html.contains("div.tabelle{max-width:100%;overflow-x:auto"));
    let tables: Vec<&str> = html.split("<table>").skip(1).collect();
    assert!(tables.len() >= 6);
    assert_eq!(
        html.matches("<div class=\"tabelle\"").count(),
        tables.len(),
        "every table in its own scroll box"
    );
    for t in tables {
        let t = &t[..t.find("</table>").unwrap()];
        let (head, body) = t.split_once("</thead>").unwrap();
        let header_cells = head.matches("<th ").count();
        for row in body.split("<tr>").skip(1) {
            let cells = row.matches("<td").count() + row.matches("<th ").count();
            assert_eq!(
                cells, header_cells,
                "row {row:?} in table with header {head:?}"
            );
        }
    }
}
