//! What constrained decoding costs: decode tokens/s of the built-in engine
//! with a JSON Schema (`json_schema`) and a forced tool call, each against
//! unconstrained decoding of the same prompt, alternated round by round in
//! one run so that load on the machine affects both alike. Greedy, one
//! stream; decode rate = (n − 1) tokens / (time for n − time for 1), so
//! that the prompt (the same on both sides) does not count. A tool call is
//! sent whole once it is complete, so time to first text says nothing.
//!
//! `cargo run --release -p gateway --example bench_constrained -- \
//!     --model-file FILE [--threads 2] [--rounds 5] [--max-tokens 128]`

use std::time::Instant;

use gateway::request::{Params, ToolChoice};
use gateway::{Event, GenerateRequest, Input, LocalBackend, LocalConfig};
use serde_json::json;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Seconds one request takes to its end, and its completion tokens.
fn time(backend: &LocalBackend, req: &GenerateRequest) -> (f64, u32) {
    let prepared = backend.prepare(req).expect("prepare");
    let mut events = backend.submit(req, prepared).expect("submit");
    let start = Instant::now();
    loop {
        match events.blocking_recv() {
            Some(Event::Text(_) | Event::ToolCall(_) | Event::Logprob(_)) => {}
            Some(Event::Done { usage, .. }) => {
                return (start.elapsed().as_secs_f64(), usage.completion_tokens)
            }
            Some(Event::Failed(e)) => panic!("{e}"),
            None => panic!("no end"),
        }
    }
}

/// Decode tokens/s of `req`, and its completion tokens.
fn run(backend: &LocalBackend, req: &GenerateRequest) -> (f64, u32) {
    let mut one = req.clone();
    one.params.max_tokens = Some(1);
    let (t1, _) = time(backend, &one);
    let (tn, n) = time(backend, req);
    (f64::from(n.saturating_sub(1)) / (tn - t1).max(1e-9), n)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let file = arg(&args, "--model-file").expect("--model-file FILE");
    let threads: usize = arg(&args, "--threads").map_or(2, |t| t.parse().unwrap());
    let rounds: usize = arg(&args, "--rounds").map_or(5, |t| t.parse().unwrap());
    let max_tokens: u32 = arg(&args, "--max-tokens").map_or(128, |t| t.parse().unwrap());
    let model = engine::Model::load(file.as_ref()).expect("model").shared();
    let config = LocalConfig {
        threads: Some(threads),
        context: 1024,
        ..LocalConfig::default()
    };
    let backend = LocalBackend::start(model, config.options("m".into())).expect("engine");

    let request = |prompt: &str, params: Params| GenerateRequest {
        model: "m".into(),
        input: Input::Chat(vec![engine::Message::new("user", prompt)]),
        params: Params {
            max_tokens: Some(max_tokens),
            temperature: Some(0.0),
            ..params
        },
    };
    // Long enough that max_tokens, not the schema, ends both: the same
    // number of tokens is timed on each side.
    let schema = json!({"type": "object", "properties": {
        "titel": {"type": "string", "maxLength": 60},
        "bereich": {"enum": ["Bürgeramt", "Bauamt", "Ordnungsamt"]},
        "text": {"type": "string", "minLength": 4000}},
        "required": ["titel", "bereich", "text"]});
    let tool = json!({"type": "function", "function": {"name": "bekanntmachung",
        "parameters": schema}});
    let prompt = "Write a notice for citizens about the new opening hours of the town hall.";
    let free = |messages: Vec<engine::Message>| GenerateRequest {
        input: Input::Chat(messages),
        ..request(
            "",
            Params {
                ignore_eos: true,
                ..Params::default()
            },
        )
    };
    let asked = vec![engine::Message::new("user", prompt)];
    // The unconstrained side of the tool call sees the same prompt: the
    // test model's template has no place for tools, so they are described
    // in a system message.
    let tools = vec![tool];
    let described = gateway::local::tool_calls::describe(&asked, &tools);
    let cases = [
        (
            "json_schema",
            request(
                prompt,
                Params {
                    json_schema: Some(schema.clone()),
                    ..Params::default()
                },
            ),
            free(asked.clone()),
        ),
        (
            "tool call",
            request(
                prompt,
                Params {
                    tools,
                    tool_choice: ToolChoice::Required,
                    ..Params::default()
                },
            ),
            free(described),
        ),
    ];
    run(&backend, &cases[0].2); // warm-up
    for (name, constrained, free) in &cases {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let (rate, n) = run(&backend, free);
            assert_eq!(n, max_tokens);
            a.push(rate);
            let (rate, n) = run(&backend, constrained);
            assert_eq!(n, max_tokens, "the schema ended {name} early");
            b.push(rate);
        }
        let (a, b) = (median(a), median(b));
        println!(
            "{name}: unconstrained {a:.1} tok/s, constrained {b:.1} tok/s, ratio {:.3} (cost {:.1} %), {rounds} rounds x {max_tokens} tokens",
            b / a,
            (1.0 - b / a) * 100.0
        );
    }
}
