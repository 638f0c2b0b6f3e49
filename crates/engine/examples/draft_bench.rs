//! Decode speed with and without speculative decoding by prompt lookup on
//! the bench task sets (content/de/bench/*.yaml): each item rendered as a
//! chat (the set's system prompt, the item's input), answered greedily both
//! ways in alternating order; prints decode tok/s of both, their ratio and
//! the share of guessed tokens that were right, and checks that the
//! answers are the same.
//!   cargo run --release -p engine --example draft_bench -- MODEL SET.yaml… [MAX_TOKENS] [MAX_DRAFT]

use engine::draft::PromptLookup;
use engine::session::GenerateOptions;
use engine::{Engine, EngineOptions, Message, Model};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (numbers, paths): (Vec<&String>, Vec<&String>) =
        args.iter().partition(|a| a.parse::<usize>().is_ok());
    let model_path = paths.first().expect("MODEL SET.yaml…");
    let max_tokens = numbers.first().map_or(128, |n| n.parse().unwrap());
    let max_draft = numbers.get(1).map_or(8, |n| n.parse().unwrap());
    let model = Model::load(model_path.as_ref()).unwrap().shared();
    let template = model.template().unwrap();
    let mut engine = Engine::new(
        model.clone(),
        EngineOptions {
            threads: 2,
            n_ctx: 2048,
            prefix_cache_bytes: 0,
            ..Default::default()
        },
    );
    let lookup = PromptLookup {
        max_draft,
        ..PromptLookup::default()
    };
    for set in &paths[1..] {
        let spec: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(set).unwrap()).unwrap();
        let system = spec["system"].as_str().unwrap_or_default();
        let (mut plain, mut fast) = ((0usize, 0f64), (0usize, 0f64));
        let (mut drafted, mut accepted, mut differ) = (0u64, 0u64, 0);
        let items = spec["items"].as_sequence().unwrap();
        for (i, item) in items.iter().enumerate() {
            let input = item["input"].as_str().unwrap();
            let text = template
                .render(
                    &[Message::new("system", system), Message::new("user", input)],
                    true,
                )
                .unwrap();
            let prompt = model.tokenizer.encode(&text, true, true);
            let mut run = |draft: Option<PromptLookup>| {
                engine
                    .generate(
                        &prompt,
                        &GenerateOptions {
                            max_tokens,
                            draft,
                            ..Default::default()
                        },
                        &mut |_| true,
                    )
                    .unwrap()
            };
            let (a, b) = if i % 2 == 0 {
                let a = run(None);
                (a, run(Some(lookup)))
            } else {
                let b = run(Some(lookup));
                (run(None), b)
            };
            if a.tokens != b.tokens {
                differ += 1;
            }
            plain.0 += a.tokens.len();
            plain.1 += a.generate_seconds;
            fast.0 += b.tokens.len();
            fast.1 += b.generate_seconds;
            drafted += b.drafts.drafted;
            accepted += b.drafts.accepted;
        }
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let (p, f) = (plain.0 as f64 / plain.1, fast.0 as f64 / fast.1);
        println!(
            "{set}: {} items, {} tokens; decode {p:.1} tok/s plain, {f:.1} tok/s with prompt lookup ({:.2}x); {accepted}/{drafted} guesses right ({:.0} %); answers differ: {differ}; load {}",
            items.len(),
            plain.0,
            f / p,
            100.0 * accepted as f64 / drafted.max(1) as f64,
            load.split(' ').take(3).collect::<Vec<_>>().join(" ")
        );
    }
}
