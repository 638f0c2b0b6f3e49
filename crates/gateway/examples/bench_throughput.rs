//! Multi-user throughput: N concurrent streams, each sending requests one
//! after another, against the built-in engine behind the gateway (a GGUF
//! file) or any OpenAI-compatible URL (e.g. llama-server). Prints aggregate
//! output tokens/s and time to first token p50/p99 per level.
//!
//! `cargo run --release -p gateway --example bench_throughput -- \
//!     (--model-file FILE [--threads 2] | --url URL --model NAME) \
//!     [--levels 1,2,4,8,16] [--requests 2] [--max-tokens 64]`

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bench::client::{ChatRequest, Endpoint};
use bench::tasks::ChatMessage;
use common::serve;
use gateway::LocalConfig;

const TOPICS: [&str; 8] = [
    "the town library",
    "a new bicycle lane",
    "the council meeting",
    "waste collection dates",
    "a school renovation",
    "the summer festival",
    "parking permits",
    "the city archive",
];

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

struct Level {
    streams: usize,
    tokens: u64,
    wall: Duration,
    ttft: Vec<Duration>,
    failed: usize,
}

async fn level(endpoint: Arc<Endpoint>, streams: usize, requests: usize, max_tokens: u32) -> Level {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for s in 0..streams {
        let e = endpoint.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for r in 0..requests {
                let topic = TOPICS[(s * requests + r) % TOPICS.len()];
                let req = ChatRequest {
                    messages: vec![ChatMessage {
                        role: "user".into(),
                        content: format!(
                            "Write a short notice for citizens about {topic} (stream {s})."
                        ),
                    }],
                    max_tokens,
                    temperature: 0.0,
                    ignore_eos: true,
                };
                out.push(e.send(&req).await);
            }
            out
        }));
    }
    let mut lv = Level {
        streams,
        tokens: 0,
        wall: Duration::ZERO,
        ttft: Vec::new(),
        failed: 0,
    };
    for t in tasks {
        for o in t.await.unwrap_or_default() {
            if let Some(e) = &o.error {
                eprintln!("request failed: {}", e.message);
                lv.failed += 1;
                continue;
            }
            lv.tokens += o.usage.map_or(o.text_chunks, |u| u.completion_tokens);
            lv.ttft.extend(o.ttft);
        }
    }
    lv.wall = start.elapsed();
    lv.ttft.sort();
    lv
}

fn pct(v: &[Duration], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let levels: Vec<usize> = arg(&args, "--levels")
        .unwrap_or_else(|| "1,2,4,8,16".into())
        .split(',')
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    let requests: usize = arg(&args, "--requests")
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let max_tokens: u32 = arg(&args, "--max-tokens")
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let timeout = Duration::from_secs(600);
        let (endpoint, label) = if let Some(url) = arg(&args, "--url") {
            let model = arg(&args, "--model").unwrap_or_else(|| "model".into());
            (
                Endpoint::new(&url, None, &model, timeout).expect("client"),
                url,
            )
        } else {
            let file = arg(&args, "--model-file").expect("--model-file FILE or --url URL");
            let threads: usize = arg(&args, "--threads")
                .and_then(|v| v.parse().ok())
                .unwrap_or(2);
            let local = LocalConfig {
                model_id: Some("local".into()),
                threads: Some(threads),
                context: 1024,
                max_sequences: 16,
                ..LocalConfig::default()
            };
            let (gw, acc, _) =
                common::gateway_on_model(file.as_ref(), local.options("local".into())).await;
            let base = serve(gw).await;
            (
                Endpoint::new(&base, Some(acc.key.clone()), "local", timeout).expect("client"),
                format!("ki-reise engine, {threads} threads"),
            )
        };
        let endpoint = Arc::new(endpoint);
        // Warm-up: page in the weights.
        level(endpoint.clone(), 1, 1, 8).await;
        println!("target: {label}; {requests} requests per stream, {max_tokens} tokens each");
        println!("streams | output tok/s | TTFT p50 ms | TTFT p99 ms | failed | load avg (1 min)");
        for n in levels {
            let lv = level(endpoint.clone(), n, requests, max_tokens).await;
            let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
            println!(
                "{:>7} | {:>12.1} | {:>11.0} | {:>11.0} | {:>6} | {}",
                lv.streams,
                lv.tokens as f64 / lv.wall.as_secs_f64(),
                pct(&lv.ttft, 0.5),
                pct(&lv.ttft, 0.99),
                lv.failed,
                load.split_whitespace().next().unwrap_or("?")
            );
        }
    });
}
