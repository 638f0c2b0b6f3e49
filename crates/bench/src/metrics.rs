//! From measured requests to the figures of the report: percentiles,
//! throughput, goodput under the service-level objective, and the number of
//! users a target can serve.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::load::Sample;
use crate::spec::{Slo, UserModel};
use crate::uncertainty::{throughput_interval, Interval};

pub use crate::percentile::percentile;

/// Distribution of one measure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub count: usize,
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Stats {
    pub fn of(values: impl IntoIterator<Item = f64>) -> Stats {
        let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            return Stats::default();
        }
        Stats {
            count: v.len(),
            mean: Some(v.iter().sum::<f64>() / v.len() as f64),
            p50: percentile(&v, 50.0),
            p90: percentile(&v, 90.0),
            p95: percentile(&v, 95.0),
            p99: percentile(&v, 99.0),
            min: v.first().copied(),
            max: v.last().copied(),
        }
    }
}

/// Where the output-token counts came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    /// The server's `usage` object, for every request.
    Usage,
    /// Counted text chunks (one chunk ≈ one token), for at least one request.
    Chunks,
}

/// Per-request figures derived from a sample.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestFigures {
    pub ttft_ms: Option<f64>,
    pub e2e_ms: f64,
    pub output_tokens: u64,
    pub input_tokens: Option<u64>,
    /// Time per output token after the first.
    pub tpot_ms: Option<f64>,
    pub from_usage: bool,
}

pub fn figures(s: &Sample) -> RequestFigures {
    let o = &s.outcome;
    let output_tokens = o
        .usage
        .map(|u| u.completion_tokens)
        .unwrap_or(o.text_chunks);
    let ttft_ms = o.ttft.map(|d| d.as_secs_f64() * 1000.0);
    let e2e_ms = o.e2e.as_secs_f64() * 1000.0;
    let tpot_ms = match ttft_ms {
        Some(t) if output_tokens > 1 => Some((e2e_ms - t) / (output_tokens - 1) as f64),
        _ => None,
    };
    RequestFigures {
        ttft_ms,
        e2e_ms,
        output_tokens,
        input_tokens: o.usage.and_then(|u| u.prompt_tokens),
        tpot_ms,
        from_usage: o.usage.is_some(),
    }
}

/// The figures of one target × workload × concurrency level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelMetrics {
    pub target: String,
    pub workload: String,
    /// Closed loop: users; Poisson arrivals: the cap on requests in flight.
    pub concurrency: u32,
    /// Poisson arrivals per second; `None` for the closed loop.
    pub rate_per_s: Option<f64>,
    pub requests_ok: u64,
    pub requests_failed: u64,
    pub errors: BTreeMap<String, u64>,
    pub duration_s: f64,
    pub requests_per_s: f64,
    pub output_tokens_per_s: f64,
    pub goodput_requests_per_s: f64,
    pub ttft_ms: Stats,
    pub itl_ms: Stats,
    pub tpot_ms: Stats,
    pub e2e_ms: Stats,
    pub user_tokens_per_s: Stats,
    pub input_tokens_mean: Option<f64>,
    pub output_tokens_mean: Option<f64>,
    pub token_source: TokenSource,
    pub schedule_lag_ms: Option<Stats>,
    pub slo_met: bool,
    /// Mean main quality score (0..1) of the answers, for task workloads.
    pub quality: Option<f64>,
    /// How often the level was measured (the load profile's `repetitions`).
    #[serde(default = "one")]
    pub repetitions: u32,
    /// Output tokens per second of each repetition, in order.
    #[serde(default)]
    pub output_tokens_per_s_runs: Vec<f64>,
    /// 95 % interval of `output_tokens_per_s`: across repetitions where there
    /// are several, else from resampling the level's requests.
    #[serde(default)]
    pub output_tokens_per_s_ci: Option<Interval>,
}

fn one() -> u32 {
    1
}

/// Aggregates one level. `wall_s` is the level's measured wall time.
pub fn level_metrics(
    target: &str,
    workload: &str,
    concurrency: u32,
    samples: &[Sample],
    wall_s: f64,
    slo: &Slo,
) -> LevelMetrics {
    let ok: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.outcome.error.is_none())
        .collect();
    let figs: Vec<RequestFigures> = ok.iter().map(|s| figures(s)).collect();
    let mut errors = BTreeMap::new();
    for s in samples {
        if let Some(e) = &s.outcome.error {
            *errors
                .entry(
                    serde_json::to_value(e.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default(),
                )
                .or_insert(0) += 1;
        }
    }
    let wall = wall_s.max(1e-9);
    let out_tokens: u64 = figs.iter().map(|f| f.output_tokens).sum();
    let tpot_limit = if slo.min_tokens_per_s > 0.0 {
        1000.0 / slo.min_tokens_per_s
    } else {
        f64::INFINITY
    };
    let good = figs
        .iter()
        .filter(|f| {
            f.ttft_ms.is_some_and(|t| t <= slo.ttft_p95_ms)
                && f.tpot_ms.is_none_or(|t| t <= tpot_limit)
        })
        .count();
    let ttft = Stats::of(figs.iter().filter_map(|f| f.ttft_ms));
    let tpot = Stats::of(figs.iter().filter_map(|f| f.tpot_ms));
    let failed = (samples.len() - ok.len()) as u64;
    let error_rate = if samples.is_empty() {
        1.0
    } else {
        failed as f64 / samples.len() as f64
    };
    let slo_met = !ok.is_empty()
        && ttft.p95.is_some_and(|t| t <= slo.ttft_p95_ms)
        && tpot.p95.is_none_or(|t| t <= tpot_limit)
        && error_rate <= slo.max_error_rate;
    let lags: Vec<f64> = samples
        .iter()
        .filter_map(|s| s.schedule_lag.map(|d| d.as_secs_f64() * 1000.0))
        .collect();
    let mean = |v: Vec<f64>| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    LevelMetrics {
        target: target.into(),
        workload: workload.into(),
        concurrency,
        rate_per_s: None,
        requests_ok: ok.len() as u64,
        requests_failed: failed,
        errors,
        duration_s: wall_s,
        requests_per_s: ok.len() as f64 / wall,
        output_tokens_per_s: out_tokens as f64 / wall,
        goodput_requests_per_s: good as f64 / wall,
        itl_ms: Stats::of(
            ok.iter()
                .flat_map(|s| s.outcome.itl.iter().map(|d| d.as_secs_f64() * 1000.0)),
        ),
        e2e_ms: Stats::of(figs.iter().map(|f| f.e2e_ms)),
        user_tokens_per_s: Stats::of(figs.iter().filter_map(|f| f.tpot_ms.map(|t| 1000.0 / t))),
        ttft_ms: ttft,
        tpot_ms: tpot,
        input_tokens_mean: mean(
            figs.iter()
                .filter_map(|f| f.input_tokens.map(|t| t as f64))
                .collect(),
        ),
        output_tokens_mean: mean(figs.iter().map(|f| f.output_tokens as f64).collect()),
        token_source: if figs.iter().all(|f| f.from_usage) {
            TokenSource::Usage
        } else {
            TokenSource::Chunks
        },
        schedule_lag_ms: (!lags.is_empty()).then(|| Stats::of(lags)),
        slo_met,
        quality: None,
        repetitions: 1,
        output_tokens_per_s_runs: vec![out_tokens as f64 / wall],
        output_tokens_per_s_ci: throughput_interval(
            &figs
                .iter()
                .map(|f| (f.output_tokens as f64, f.e2e_ms / 1000.0))
                .collect::<Vec<_>>(),
            out_tokens as f64 / wall,
        ),
    }
}

/// The highest tested concurrency at which the SLO holds. Levels above a
/// failing one still count: a sweep can fail at 4 through a hiccup and
/// pass at 8, and the report shows every level.
pub fn capacity(levels: &[&LevelMetrics]) -> Option<u32> {
    // Users are what the closed loop simulates; Poisson levels count only
    // where a profile has nothing else.
    let closed = levels.iter().any(|l| l.rate_per_s.is_none());
    levels
        .iter()
        .filter(|l| !closed || l.rate_per_s.is_none())
        .filter(|l| l.slo_met)
        .map(|l| l.concurrency)
        .max()
}

/// Staff one target can serve: each concurrent stream stands for
/// 1 / active_share people.
pub fn users_served(capacity: u32, users: &UserModel) -> u64 {
    if users.active_share <= 0.0 {
        return 0;
    }
    // A small epsilon keeps 2 / 0.1 at 20 despite binary fractions.
    (f64::from(capacity) / users.active_share + 1e-9).floor() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{ErrorKind, Outcome, RequestError, Usage};
    use std::time::Duration;

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 50.0), Some(2.5));
        assert_eq!(percentile(&v, 90.0), Some(3.7));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&v, 100.0), Some(4.0));
        assert_eq!(percentile(&[], 50.0), None);
        let s = Stats::of((1..=100).map(f64::from));
        assert!((s.p99.unwrap() - 99.01).abs() < 1e-9);
        assert_eq!(s.mean, Some(50.5));
    }

    fn sample(ttft_ms: u64, e2e_ms: u64, tokens: u64, err: bool) -> Sample {
        Sample {
            index: 0,
            item: None,
            started: Duration::ZERO,
            schedule_lag: None,
            outcome: Outcome {
                ttft: Some(Duration::from_millis(ttft_ms)),
                itl: vec![Duration::from_millis(10); tokens.saturating_sub(1) as usize],
                e2e: Duration::from_millis(e2e_ms),
                text_chunks: tokens,
                usage: Some(Usage {
                    prompt_tokens: Some(5),
                    completion_tokens: tokens,
                }),
                text: String::new(),
                error: err.then(|| RequestError {
                    kind: ErrorKind::Timeout,
                    message: String::new(),
                }),
            },
        }
    }

    #[test]
    fn level_metrics_compute_throughput_goodput_and_slo() {
        // Two good requests (ttft 100 ms, 11 tokens in 1100 ms → tpot 100 ms
        // = 10 tok/s), one slow (ttft 3000 ms), one failed; 2 s wall time.
        let samples = vec![
            sample(100, 1100, 11, false),
            sample(100, 1100, 11, false),
            sample(3000, 4000, 11, false),
            sample(0, 10, 0, true),
        ];
        let slo = Slo {
            ttft_p95_ms: 2000.0,
            min_tokens_per_s: 5.0,
            max_error_rate: 0.5,
        };
        let m = level_metrics("A", "w", 4, &samples, 2.0, &slo);
        assert_eq!((m.requests_ok, m.requests_failed), (3, 1));
        assert_eq!(m.errors.get("timeout"), Some(&1));
        assert!((m.requests_per_s - 1.5).abs() < 1e-12);
        assert!((m.output_tokens_per_s - 16.5).abs() < 1e-12);
        assert!((m.goodput_requests_per_s - 1.0).abs() < 1e-12);
        assert!((m.tpot_ms.p50.unwrap() - 100.0).abs() < 1e-9);
        assert!((m.user_tokens_per_s.p50.unwrap() - 10.0).abs() < 1e-9);
        assert_eq!(m.token_source, TokenSource::Usage);
        // p95 of ttft [100, 100, 3000] = 100 + 0.9·2900 = 2710 > 2000
        assert!(!m.slo_met);
    }

    #[test]
    fn capacity_is_the_highest_level_meeting_the_slo() {
        let slo = Slo::default();
        let good = vec![sample(100, 1100, 11, false)];
        let bad = vec![sample(5000, 6000, 11, false)];
        let l1 = level_metrics("A", "w", 1, &good, 1.0, &slo);
        let l2 = level_metrics("A", "w", 2, &good, 1.0, &slo);
        let l4 = level_metrics("A", "w", 4, &bad, 1.0, &slo);
        assert_eq!(capacity(&[&l1, &l2, &l4]), Some(2));
        assert_eq!(capacity(&[&l4]), None);
        let users = UserModel {
            active_share: 0.1,
            ..UserModel::default()
        };
        assert_eq!(users_served(2, &users), 20);
    }
}
