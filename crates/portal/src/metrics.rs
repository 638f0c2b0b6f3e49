//! Request metrics in the Prometheus text format, for `/metrics`.
//!
//! A small registry of our own rather than the `metrics` crate's global
//! recorder: each [`crate::AppState`] owns its numbers, so tests that build
//! several apps in one process do not share or fight over a global.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;
use journey::escape::prometheus_label as escape;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Registry>,
}

#[derive(Default)]
struct Registry {
    /// (method, route, status) → count
    requests: BTreeMap<(String, String, u16), u64>,
    /// route → (bucket counts, sum, count)
    latency: BTreeMap<String, ([u64; BUCKETS.len()], f64, u64)>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let Ok(mut reg) = self.inner.lock() else {
            return;
        };
        *reg.requests
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
        let entry = reg
            .latency
            .entry(route.to_string())
            .or_insert(([0; BUCKETS.len()], 0.0, 0));
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                entry.0[i] += 1;
            }
        }
        entry.1 += seconds;
        entry.2 += 1;
    }

    pub fn render(&self, pool: (u32, usize)) -> String {
        let mut out = String::new();
        let Ok(reg) = self.inner.lock() else {
            return out;
        };
        out.push_str("# HELP kireise_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE kireise_http_requests_total counter\n");
        for ((method, route, status), n) in &reg.requests {
            let _ = writeln!(
                out,
                "kireise_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str("# HELP kireise_http_request_duration_seconds Time to answer a request.\n");
        out.push_str("# TYPE kireise_http_request_duration_seconds histogram\n");
        for (route, (buckets, sum, count)) in &reg.latency {
            let route = escape(route);
            for (bound, n) in BUCKETS.iter().zip(buckets) {
                let _ = writeln!(
                    out,
                    "kireise_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "kireise_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "kireise_http_request_duration_seconds_sum{{route=\"{route}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "kireise_http_request_duration_seconds_count{{route=\"{route}\"}} {count}"
            );
        }
        out.push_str("# HELP kireise_db_pool_connections Database connections open.\n");
        out.push_str("# TYPE kireise_db_pool_connections gauge\n");
        let _ = writeln!(out, "kireise_db_pool_connections {}", pool.0);
        out.push_str("# HELP kireise_db_pool_idle Database connections idle.\n");
        out.push_str("# TYPE kireise_db_pool_idle gauge\n");
        let _ = writeln!(out, "kireise_db_pool_idle {}", pool.1);
        out
    }
}

/// The method as a label: one of the standard methods, else `OTHER`, so a
/// client inventing methods cannot add series.
fn method_label(method: &axum::http::Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    }
}

pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    // Unmatched paths are folded into one label so that scanners cannot
    // blow up the number of series.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = method_label(request.method()).to_string();
    let response = next.run(request).await;
    state.metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observed_requests_appear_as_counter_and_histogram() {
        let m = Metrics::default();
        m.observe("GET", "/", 200, 0.003);
        m.observe("GET", "/", 200, 0.2);
        let text = m.render((3, 1));
        assert!(text
            .contains("kireise_http_requests_total{method=\"GET\",route=\"/\",status=\"200\"} 2"));
        assert!(text
            .contains("kireise_http_request_duration_seconds_bucket{route=\"/\",le=\"0.005\"} 1"));
        assert!(text
            .contains("kireise_http_request_duration_seconds_bucket{route=\"/\",le=\"+Inf\"} 2"));
        assert!(text.contains("kireise_db_pool_connections 3"));
    }
}
