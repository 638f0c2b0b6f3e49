//! The report: one data model (`Report`), written as `report.json` (schema
//! `schemas/bench-report.schema.json`), `results.csv` (one row per target ×
//! workload × concurrency), `requests.csv` (one row per request),
//! `report.html` (self-contained, for a mayor's office) and
//! `zusammenfassung.md` (a short decision paper).

mod chart;
mod compare;
mod html;
pub(crate) mod numbers;
mod reliability;
mod text;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cost::CostFigures;
use crate::error::BenchError;
use crate::metrics::LevelMetrics;
use crate::spec::{Slo, UserModel};
use crate::tasks::TaskKind;
use crate::uncertainty::Interval;

pub use compare::{changes, compare_markdown, Change};
pub use html::render_html;
pub use numbers::num as text_num;
pub use reliability::{speed_difference, warnings};
pub use text::{markdown_summary, recommendation};

/// JSON Schema of `report.json`.
pub const REPORT_SCHEMA: &str = include_str!("../../../../schemas/bench-report.schema.json");

/// Version of the report format; raised on incompatible changes.
pub const REPORT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub report_version: u32,
    pub title: String,
    pub description: Option<String>,
    /// RFC 3339, UTC.
    pub generated_at: String,
    /// True when the run was cancelled before all levels ran.
    pub partial: bool,
    pub slo: Slo,
    pub users: UserModel,
    pub capacity_workload: String,
    pub targets: Vec<TargetResult>,
    pub levels: Vec<LevelMetrics>,
    pub quality: Vec<QualityResult>,
    /// Names of the working targets, best first.
    pub ranking: Vec<String>,
    /// Staff numbers from which another target becomes the cheaper one.
    pub break_even: Vec<crate::cost::BreakEven>,
    pub recommendation: String,
    /// Load of the machine the test ran on, where it could be read.
    #[serde(default)]
    pub host: Option<crate::host::HostLoad>,
    /// What makes this run less reliable (too few requests, a busy
    /// machine, a single repetition), in German.
    #[serde(default)]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    Ok,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetResult {
    pub name: String,
    pub model: String,
    pub base_url: String,
    pub hardware: Option<String>,
    pub data_classes: Vec<String>,
    pub status: TargetStatus,
    pub failure: Option<String>,
    /// Highest tested concurrency meeting the SLO in the capacity workload.
    pub capacity_concurrency: Option<u32>,
    pub users_served: Option<u64>,
    /// Highest measured output-token throughput in the capacity workload.
    pub max_output_tokens_per_s: Option<f64>,
    /// 95 % interval of `max_output_tokens_per_s`.
    #[serde(default)]
    pub max_output_tokens_per_s_ci: Option<Interval>,
    pub cost_model_de: String,
    pub cost: CostFigures,
    /// Mean main quality score over all task workloads (0..1).
    pub quality_mean: Option<f64>,
    /// 95 % interval of `quality_mean`.
    #[serde(default)]
    pub quality_ci: Option<Interval>,
    /// Instances (devices, rented servers) needed for all planned staff.
    pub units_for_staff: Option<u64>,
    /// Monthly cost of serving all planned staff.
    pub monthly_eur_for_staff: Option<f64>,
    /// CPU and memory of a local target during the run.
    pub resources: Option<crate::resources::ResourceUsage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityResult {
    pub target: String,
    pub workload: String,
    pub task: String,
    pub kind: TaskKind,
    /// Answers scored (failed requests count with score 0).
    pub items: u64,
    pub failed: u64,
    /// Mean main score, 0..1.
    pub score: f64,
    /// 95 % interval of `score` over the answers.
    #[serde(default)]
    pub ci: Option<Interval>,
    /// Means of the individual measures (accuracy, field_f1, rouge_l, chrf, …).
    pub metrics: BTreeMap<String, f64>,
}

/// One row of `requests.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestRow {
    pub target: String,
    pub workload: String,
    pub concurrency: u32,
    pub rate_per_s: Option<f64>,
    pub index: u64,
    pub item: Option<String>,
    pub started_s: f64,
    pub ttft_ms: Option<f64>,
    pub e2e_ms: f64,
    pub tpot_ms: Option<f64>,
    pub itl_mean_ms: Option<f64>,
    pub itl_max_ms: Option<f64>,
    /// Every gap between text chunks, in ms, separated by spaces.
    pub itl_ms: String,
    pub input_tokens: Option<u64>,
    pub output_tokens: u64,
    pub token_source: &'static str,
    pub schedule_lag_ms: Option<f64>,
    pub error_kind: Option<String>,
    pub error: Option<String>,
    pub score: Option<f64>,
}

impl Report {
    pub fn target(&self, name: &str) -> Option<&TargetResult> {
        self.targets.iter().find(|t| t.name == name)
    }

    /// Closed-loop levels of one target and workload, by concurrency (the
    /// Poisson levels where a workload has only those).
    pub fn levels_of(&self, target: &str, workload: &str) -> Vec<&LevelMetrics> {
        let all: Vec<&LevelMetrics> = self
            .levels
            .iter()
            .filter(|l| l.target == target && l.workload == workload)
            .collect();
        let closed = all.iter().any(|l| l.rate_per_s.is_none());
        let mut v: Vec<&LevelMetrics> = all
            .into_iter()
            .filter(|l| !closed || l.rate_per_s.is_none())
            .collect();
        v.sort_by_key(|l| l.concurrency);
        v
    }

    pub fn to_json(&self) -> Result<String, BenchError> {
        serde_json::to_string_pretty(self).map_err(|e| BenchError::Report(e.to_string()))
    }

    pub fn from_json(text: &str) -> Result<Report, BenchError> {
        serde_json::from_str(text).map_err(|e| BenchError::Report(e.to_string()))
    }
}

/// Orders working targets: more users served first, then lower cost per
/// user, then higher quality. Failed targets are not ranked.
pub fn rank(targets: &[TargetResult]) -> Vec<String> {
    let mut ok: Vec<&TargetResult> = targets
        .iter()
        .filter(|t| t.status == TargetStatus::Ok)
        .collect();
    ok.sort_by(|a, b| {
        b.users_served
            .unwrap_or(0)
            .cmp(&a.users_served.unwrap_or(0))
            .then_with(|| {
                let ca = a.cost.eur_per_user_month.unwrap_or(f64::INFINITY);
                let cb = b.cost.eur_per_user_month.unwrap_or(f64::INFINITY);
                ca.total_cmp(&cb)
            })
            .then_with(|| {
                b.quality_mean
                    .unwrap_or(0.0)
                    .total_cmp(&a.quality_mean.unwrap_or(0.0))
            })
    });
    ok.into_iter().map(|t| t.name.clone()).collect()
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.3}")).unwrap_or_default()
}

/// `results.csv`: one row per target × workload × concurrency (RFC 4180,
/// UTF-8, comma, decimal point, so spreadsheet imports stay unambiguous).
pub fn results_csv(report: &Report) -> Result<String, BenchError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let header = [
        "target",
        "workload",
        "concurrency",
        "rate_per_s",
        "requests_ok",
        "requests_failed",
        "duration_s",
        "requests_per_s",
        "output_tokens_per_s",
        "goodput_requests_per_s",
        "ttft_p50_ms",
        "ttft_p90_ms",
        "ttft_p95_ms",
        "ttft_p99_ms",
        "itl_p50_ms",
        "itl_p99_ms",
        "tpot_p50_ms",
        "tpot_p95_ms",
        "e2e_p50_ms",
        "e2e_p95_ms",
        "e2e_p99_ms",
        "user_tokens_per_s_p50",
        "input_tokens_mean",
        "output_tokens_mean",
        "token_source",
        "slo_met",
        "quality",
        "errors",
    ];
    let csv_err = |e: csv::Error| BenchError::Report(e.to_string());
    w.write_record(header).map_err(csv_err)?;
    for l in &report.levels {
        let errors = l
            .errors
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(";");
        let row = vec![
            l.target.clone(),
            l.workload.clone(),
            l.concurrency.to_string(),
            opt(l.rate_per_s),
            l.requests_ok.to_string(),
            l.requests_failed.to_string(),
            format!("{:.3}", l.duration_s),
            format!("{:.3}", l.requests_per_s),
            format!("{:.3}", l.output_tokens_per_s),
            format!("{:.3}", l.goodput_requests_per_s),
            opt(l.ttft_ms.p50),
            opt(l.ttft_ms.p90),
            opt(l.ttft_ms.p95),
            opt(l.ttft_ms.p99),
            opt(l.itl_ms.p50),
            opt(l.itl_ms.p99),
            opt(l.tpot_ms.p50),
            opt(l.tpot_ms.p95),
            opt(l.e2e_ms.p50),
            opt(l.e2e_ms.p95),
            opt(l.e2e_ms.p99),
            opt(l.user_tokens_per_s.p50),
            opt(l.input_tokens_mean),
            opt(l.output_tokens_mean),
            match l.token_source {
                crate::metrics::TokenSource::Usage => "usage".into(),
                crate::metrics::TokenSource::Chunks => "chunks".into(),
            },
            l.slo_met.to_string(),
            opt(l.quality),
            errors,
        ];
        w.write_record(&row).map_err(csv_err)?;
    }
    into_string(w)
}

/// `requests.csv`: the raw per-request records.
pub fn requests_csv(rows: &[RequestRow]) -> Result<String, BenchError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for r in rows {
        w.serialize(r)
            .map_err(|e| BenchError::Report(e.to_string()))?;
    }
    into_string(w)
}

fn into_string(w: csv::Writer<Vec<u8>>) -> Result<String, BenchError> {
    let bytes = w
        .into_inner()
        .map_err(|e| BenchError::Report(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| BenchError::Report(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(name: &str, users: Option<u64>, cost: Option<f64>, ok: bool) -> TargetResult {
        TargetResult {
            name: name.into(),
            model: "m".into(),
            base_url: "http://x/v1".into(),
            hardware: None,
            data_classes: vec![],
            status: if ok {
                TargetStatus::Ok
            } else {
                TargetStatus::Failed
            },
            failure: None,
            capacity_concurrency: None,
            users_served: users,
            max_output_tokens_per_s: None,
            cost_model_de: String::new(),
            cost: CostFigures {
                eur_per_user_month: cost,
                ..CostFigures::default()
            },
            quality_mean: None,
            quality_ci: None,
            max_output_tokens_per_s_ci: None,
            units_for_staff: None,
            monthly_eur_for_staff: None,
            resources: None,
        }
    }

    #[test]
    fn ranking_prefers_more_users_then_lower_cost_and_skips_failed_targets() {
        let ts = vec![
            target("A", Some(10), Some(5.0), true),
            target("B", Some(40), Some(9.0), true),
            target("C", Some(40), Some(3.0), true),
            target("D", Some(100), Some(1.0), false),
        ];
        assert_eq!(rank(&ts), vec!["C", "B", "A"]);
    }
}
