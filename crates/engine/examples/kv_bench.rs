//! The KV cache types side by side:
//! `cargo run --release -p engine --example kv_bench -- MODEL [--kv f16,q8_0] [-p 512,4000] [-n 32] [-t 2] [-r 2]`
//!
//! One engine per type, used in turn (prompts one after the other,
//! decoding switching every four tokens) so that a machine whose load
//! changes meanwhile treats the types alike. For each prompt length:
//! prefill speed of a prompt of that many random tokens, then decode speed
//! of `-n` tokens after it (attention then reads the whole prompt's
//! cache), each with the load average when it finished; at the end the
//! median of the repetitions.

use std::time::Instant;

use engine::cli::bench::tokens;
use engine::{BatchItem, Engine, EngineOptions, KvType, Model};

fn list(v: &str) -> Vec<usize> {
    v.split(',').filter_map(|s| s.trim().parse().ok()).collect()
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: kv_bench MODEL [--kv f16,q8_0] [-p 512,4000] [-n 32] [-t 2] [-r 2]");
        std::process::exit(2);
    };
    let mut kinds = vec![KvType::F16, KvType::Q8_0];
    let (mut prompts, mut gen, mut reps) = (vec![512, 4000], 32, 2);
    let mut threads = engine::session::physical_cores();
    while let (Some(flag), Some(val)) = (args.next(), args.next()) {
        match flag.as_str() {
            "--kv" => kinds = val.split(',').filter_map(KvType::parse).collect(),
            "-p" => prompts = list(&val),
            "-n" => gen = val.parse().unwrap_or(gen),
            "-t" => threads = val.parse().unwrap_or(threads),
            "-r" => reps = val.parse().unwrap_or(reps),
            _ => {}
        }
    }
    let model = Model::load(path.as_ref()).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(1);
    });
    let model = model.shared();
    let vocab = model.tokenizer.vocab_size();
    let n_ctx = prompts.iter().max().copied().unwrap_or(0) + gen + 1;
    let mut engines: Vec<(KvType, Engine)> = kinds
        .iter()
        .map(|&kv_type| {
            let mut e = Engine::new(
                model.clone(),
                EngineOptions {
                    threads,
                    n_ctx,
                    prefix_cache_bytes: 0,
                    kv_type,
                    ..EngineOptions::default()
                },
            );
            // Warm-up: page the weights in, spin the workers up.
            let seq = e.new_sequence();
            step(&mut e, seq, &tokens(16, vocab, 1));
            e.remove_sequence(seq);
            (kv_type, e)
        })
        .collect();
    println!("| rep | kv | test | tok/s | KV bytes/token | loadavg |");
    println!("| ---: | --- | --- | ---: | ---: | --- |");
    // Per test and type, the rate of every repetition.
    let mut rates: Vec<(String, KvType, Vec<f64>)> = Vec::new();
    let mut record = |rep: usize, ty: KvType, per_token: usize, test: String, rate: f64| {
        println!(
            "| {rep} | {} | {test} | {rate:.1} | {per_token} | {} |",
            ty.name(),
            loadavg()
        );
        match rates.iter_mut().find(|(t, k, _)| *t == test && *k == ty) {
            Some((_, _, v)) => v.push(rate),
            None => rates.push((test, ty, vec![rate])),
        }
    };
    for rep in 0..reps {
        for &p in &prompts {
            let toks = tokens(p + gen, vocab, 7 + rep as u64);
            let mut seqs = Vec::new();
            for (ty, e) in &mut engines {
                let seq = e.new_sequence();
                let t0 = Instant::now();
                step(e, seq, &toks[..p]);
                let rate = p as f64 / t0.elapsed().as_secs_f64();
                record(rep, *ty, e.kv_bytes_per_token(), format!("pp{p}"), rate);
                seqs.push(seq);
            }
            // Decoding alternates between the types every few tokens, so
            // that a change of load meanwhile hits both alike.
            let mut spent = vec![0f64; engines.len()];
            for chunk in toks[p..].chunks(4) {
                for ((_, e), (&seq, t)) in engines.iter_mut().zip(seqs.iter().zip(&mut spent)) {
                    let t0 = Instant::now();
                    for tok in chunk {
                        step(e, seq, std::slice::from_ref(tok));
                    }
                    *t += t0.elapsed().as_secs_f64();
                }
            }
            for ((ty, e), (seq, t)) in engines.iter_mut().zip(seqs.into_iter().zip(spent)) {
                record(
                    rep,
                    *ty,
                    e.kv_bytes_per_token(),
                    format!("tg{gen} @ {p}"),
                    gen as f64 / t,
                );
                e.remove_sequence(seq);
            }
        }
    }
    println!();
    println!("| test | kv | median tok/s | runs |");
    println!("| --- | --- | ---: | ---: |");
    for (test, ty, mut v) in rates {
        v.sort_by(f64::total_cmp);
        println!(
            "| {test} | {} | {:.1} | {} |",
            ty.name(),
            v[v.len() / 2],
            v.len()
        );
    }
}

fn step(e: &mut Engine, seq: u64, t: &[u32]) {
    e.step(&[BatchItem {
        seq,
        tokens: t,
        logits: true,
    }])
    .expect("step");
}
