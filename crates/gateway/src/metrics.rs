//! The gateway's Prometheus metrics: requests and tokens by model, backend,
//! data class and status, latency and time to first token, backend health,
//! and the local scheduler's queue. A registry of its own, as in the
//! portal, so that tests with several gateways do not share numbers.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::Duration;

use crate::balance::PoolStats;
use crate::local::Stats;
use crate::openai::Usage;
use journey::escape::prometheus_label as escape;

const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

#[derive(Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (b, bound) in self.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *b += 1;
            }
        }
        self.sum += seconds;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        for (bound, n) in BUCKETS.iter().zip(self.buckets) {
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {n}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

#[derive(Default)]
struct Registry {
    in_flight: BTreeMap<String, i64>,
    requests: BTreeMap<(String, String, String, String), u64>,
    tokens: BTreeMap<(String, &'static str), u64>,
    latency: BTreeMap<String, Histogram>,
    first_token: BTreeMap<String, Histogram>,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Registry>,
}

impl Metrics {
    pub(crate) fn started(&self, backend: &str) {
        if let Ok(mut r) = self.inner.lock() {
            *r.in_flight.entry(backend.to_string()).or_default() += 1;
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn finished(
        &self,
        model: &str,
        backend: &str,
        class: &str,
        status: &str,
        usage: Usage,
        latency: Duration,
        first_token: Option<Duration>,
    ) {
        let Ok(mut r) = self.inner.lock() else {
            return;
        };
        *r.in_flight.entry(backend.to_string()).or_default() -= 1;
        *r.requests
            .entry((
                model.to_string(),
                backend.to_string(),
                class.to_string(),
                status.to_string(),
            ))
            .or_default() += 1;
        *r.tokens.entry((model.to_string(), "in")).or_default() += u64::from(usage.prompt_tokens);
        *r.tokens.entry((model.to_string(), "out")).or_default() +=
            u64::from(usage.completion_tokens);
        r.latency
            .entry(backend.to_string())
            .or_default()
            .observe(latency.as_secs_f64());
        if let Some(t) = first_token {
            r.first_token
                .entry(backend.to_string())
                .or_default()
                .observe(t.as_secs_f64());
        }
    }

    pub(crate) fn render(
        &self,
        local: Option<&Stats>,
        health: &[(String, bool)],
        pools: &[PoolStats],
    ) -> String {
        let mut out = String::new();
        let Ok(r) = self.inner.lock() else {
            return out;
        };
        out.push_str("# HELP kireise_gateway_requests_total Answered generation requests.\n# TYPE kireise_gateway_requests_total counter\n");
        for ((model, backend, class, status), n) in &r.requests {
            let _ = writeln!(
                out,
                "kireise_gateway_requests_total{{model=\"{}\",backend=\"{}\",data_class=\"{class}\",status=\"{status}\"}} {n}",
                escape(model),
                escape(backend)
            );
        }
        out.push_str("# HELP kireise_gateway_in_flight Answers being generated.\n# TYPE kireise_gateway_in_flight gauge\n");
        for (backend, n) in &r.in_flight {
            let _ = writeln!(
                out,
                "kireise_gateway_in_flight{{backend=\"{}\"}} {n}",
                escape(backend)
            );
        }
        out.push_str("# HELP kireise_gateway_tokens_total Tokens read (in) and generated (out).\n# TYPE kireise_gateway_tokens_total counter\n");
        for ((model, dir), n) in &r.tokens {
            let _ = writeln!(
                out,
                "kireise_gateway_tokens_total{{model=\"{}\",direction=\"{dir}\"}} {n}",
                escape(model)
            );
        }
        out.push_str("# HELP kireise_gateway_request_duration_seconds Time from request to the end of the answer.\n# TYPE kireise_gateway_request_duration_seconds histogram\n");
        for (backend, h) in &r.latency {
            h.render(
                &mut out,
                "kireise_gateway_request_duration_seconds",
                &format!("backend=\"{}\"", escape(backend)),
            );
        }
        out.push_str("# HELP kireise_gateway_time_to_first_token_seconds Time from request to the first text.\n# TYPE kireise_gateway_time_to_first_token_seconds histogram\n");
        for (backend, h) in &r.first_token {
            h.render(
                &mut out,
                "kireise_gateway_time_to_first_token_seconds",
                &format!("backend=\"{}\"", escape(backend)),
            );
        }
        out.push_str("# HELP kireise_gateway_backend_healthy 1 if the backend answers its health check.\n# TYPE kireise_gateway_backend_healthy gauge\n");
        for (backend, ok) in health {
            let _ = writeln!(
                out,
                "kireise_gateway_backend_healthy{{backend=\"{}\"}} {}",
                escape(backend),
                u8::from(*ok)
            );
        }
        render_pools(&mut out, pools);
        if let Some(s) = local {
            let gauges = [
                (
                    "kireise_engine_queued",
                    "Requests waiting for a slot.",
                    "gauge",
                    s.queued.load(Ordering::Relaxed) as u64,
                ),
                (
                    "kireise_engine_running",
                    "Sequences being decoded.",
                    "gauge",
                    s.running.load(Ordering::Relaxed) as u64,
                ),
                (
                    "kireise_engine_steps_total",
                    "Batched forward passes.",
                    "counter",
                    s.steps.load(Ordering::Relaxed),
                ),
                (
                    "kireise_engine_generated_tokens_total",
                    "Tokens sampled.",
                    "counter",
                    s.tokens_generated.load(Ordering::Relaxed),
                ),
                (
                    "kireise_engine_prompt_tokens_total",
                    "Prompt tokens fed.",
                    "counter",
                    s.prompt_tokens.load(Ordering::Relaxed),
                ),
                (
                    "kireise_engine_prefix_cache_hits_total",
                    "Requests that started from a cached prompt prefix.",
                    "counter",
                    s.prefix_hits.load(Ordering::Relaxed),
                ),
                (
                    "kireise_engine_prefix_cache_misses_total",
                    "Requests that found no cached prompt prefix.",
                    "counter",
                    s.prefix_misses.load(Ordering::Relaxed),
                ),
                (
                    "kireise_engine_prefix_cache_hit_tokens_total",
                    "Prompt tokens taken from the prefix cache instead of computed.",
                    "counter",
                    s.prefix_hit_tokens.load(Ordering::Relaxed),
                ),
                (
                    "kireise_engine_draft_tokens_total",
                    "Tokens guessed by prompt lookup (speculative decoding).",
                    "counter",
                    s.drafted_tokens.load(Ordering::Relaxed),
                ),
                (
                    "kireise_engine_draft_accepted_tokens_total",
                    "Guessed tokens the model confirmed.",
                    "counter",
                    s.accepted_tokens.load(Ordering::Relaxed),
                ),
                (
                    "kireise_engine_prefix_cache_bytes",
                    "Memory held by the prefix cache.",
                    "gauge",
                    s.prefix_cache_bytes.load(Ordering::Relaxed),
                ),
            ];
            for (name, help, kind, v) in gauges {
                let _ = writeln!(
                    out,
                    "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}"
                );
            }
        }
        out
    }
}

/// A metric's name, help, type and how to read it from `T`.
type Series<T> = (&'static str, &'static str, &'static str, fn(&T) -> u64);

/// Queue and replicas of each remote backend.
fn render_pools(out: &mut String, pools: &[PoolStats]) {
    let queues: [Series<PoolStats>; 2] = [
        (
            "kireise_gateway_backend_queued",
            "Requests waiting for a free replica.",
            "gauge",
            |p| p.waiting as u64,
        ),
        (
            "kireise_gateway_backend_rejected_total",
            "Requests turned away with 503 because every replica was at its limit (queue full or wait over).",
            "counter",
            |p| p.rejected,
        ),
    ];
    let backends: Vec<_> = pools
        .iter()
        .map(|p| (format!("backend=\"{}\"", escape(&p.backend)), p))
        .collect();
    write_families(out, &queues, &backends);
    let series: [Series<crate::balance::ReplicaStats>; 4] = [
        (
            "kireise_gateway_replica_outstanding",
            "Requests a replica works on now (streams until they end).",
            "gauge",
            |r| r.outstanding as u64,
        ),
        (
            "kireise_gateway_replica_healthy",
            "1 if the replica answered its last probe and no request failed on it since.",
            "gauge",
            |r| u64::from(r.healthy),
        ),
        (
            "kireise_gateway_replica_requests_total",
            "Requests sent to a replica.",
            "counter",
            |r| r.requests,
        ),
        (
            "kireise_gateway_replica_errors_total",
            "Requests that failed on a replica (no connection, 5xx, a stream cut off).",
            "counter",
            |r| r.errors,
        ),
    ];
    let replicas: Vec<_> = pools
        .iter()
        .flat_map(|p| {
            p.replicas.iter().map(move |r| {
                let labels = format!(
                    "backend=\"{}\",replica=\"{}\"",
                    escape(&p.backend),
                    escape(&r.replica)
                );
                (labels, r)
            })
        })
        .collect();
    write_families(out, &series, &replicas);
}

/// Each series once with its help and type, then one line per row: a
/// label set and the item the series reads.
fn write_families<T>(out: &mut String, series: &[Series<T>], rows: &[(String, &T)]) {
    for (name, help, kind, value) in series {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, item) in rows {
            let _ = writeln!(out, "{name}{{{labels}}} {}", value(item));
        }
    }
}
