//! Gateway overhead: one mock OpenAI backend on loopback, measured directly
//! and through the gateway (auth, routing, metering included) at a fixed
//! request rate, with the bench crate's streaming client. Prints p50/p99 of
//! both and the difference.
//!
//! `cargo run --release -p gateway --example bench_overhead -- [RATE] [SECONDS]`

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::Duration;

use bench::client::{ChatRequest, Endpoint};
use bench::tasks::ChatMessage;
use common::{account, mock, remote, serve, Db};
use gateway::{Gateway, GatewayConfig};
use journey::policy::RuleSet;

/// Sends `rate` requests per second for `seconds` (open loop: each leaves
/// on schedule whatever the others do) and returns the latencies of the
/// successful ones and the number of failures.
async fn measure(endpoint: Arc<Endpoint>, rate: f64, seconds: f64) -> (Vec<Duration>, usize) {
    let req = Arc::new(ChatRequest {
        messages: vec![ChatMessage {
            role: "user".into(),
            content: "Hallo".into(),
        }],
        max_tokens: 8,
        temperature: 0.0,
        ignore_eos: false,
    });
    let n = (rate * seconds) as u64;
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(n as usize);
    for i in 0..n {
        tokio::time::sleep_until(start + Duration::from_secs_f64(i as f64 / rate)).await;
        let (e, r) = (endpoint.clone(), req.clone());
        tasks.push(tokio::spawn(async move { e.send(&r).await }));
    }
    let mut ok = Vec::new();
    let mut failed = 0;
    let mut first_error = None;
    for t in tasks {
        match t.await {
            Ok(o) if o.error.is_none() => ok.push(o.e2e),
            Ok(o) => {
                failed += 1;
                first_error = first_error.or(o.error.map(|e| e.message));
            }
            Err(_) => failed += 1,
        }
    }
    if let Some(e) = first_error {
        eprintln!("first failure: {e}");
    }
    ok.sort();
    (ok, failed)
}

fn pct(v: &[Duration], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i].as_secs_f64() * 1000.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rate: f64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000.0);
    let seconds: f64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10.0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let acc = account(Db::Sqlite).await;
        let m = mock("Eine kurze Antwort aus dem Testbackend").await;
        let config = GatewayConfig {
            backends: vec![remote("mock", &m, "mock", "local")],
            ..GatewayConfig::default()
        };
        let gw =
            Gateway::new(acc.store.clone(), config, RuleSet::default(), None).expect("gateway");
        let base = serve(gw).await;
        let timeout = Duration::from_secs(10);
        let direct = Arc::new(Endpoint::new(&m.base, None, "mock", timeout).expect("client"));
        let via =
            Arc::new(Endpoint::new(&base, Some(acc.key.clone()), "mock", timeout).expect("client"));
        // Warm up connections, caches and the key cache.
        measure(direct.clone(), rate, 1.0).await;
        measure(via.clone(), rate, 1.0).await;
        let mut d_all = Vec::new();
        let mut g_all = Vec::new();
        let mut failures = (0, 0);
        // Alternate so that drift in machine load hits both alike.
        for _ in 0..2 {
            let (d, fd) = measure(direct.clone(), rate, seconds / 2.0).await;
            let (g, fg) = measure(via.clone(), rate, seconds / 2.0).await;
            d_all.extend(d);
            g_all.extend(g);
            failures.0 += fd;
            failures.1 += fg;
        }
        d_all.sort();
        g_all.sort();
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        println!("rate {rate}/s, {seconds} s per target, streaming chat, loopback");
        println!(
            "load average: {}",
            load.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        );
        println!(
            "direct:  n={} failed={} p50={:.3} ms p99={:.3} ms",
            d_all.len(),
            failures.0,
            pct(&d_all, 0.5),
            pct(&d_all, 0.99)
        );
        println!(
            "gateway: n={} failed={} p50={:.3} ms p99={:.3} ms",
            g_all.len(),
            failures.1,
            pct(&g_all, 0.5),
            pct(&g_all, 0.99)
        );
        println!(
            "added:   p50={:.3} ms p99={:.3} ms",
            pct(&g_all, 0.5) - pct(&d_all, 0.5),
            pct(&g_all, 0.99) - pct(&d_all, 0.99)
        );
    });
}
