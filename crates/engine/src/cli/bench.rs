//! `ki-reise bench engine`: prompt processing (pp) and token generation
//! (tg) speed, printed as a table shaped like llama-bench's so the two can
//! be compared line by line.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::model::Model;
use crate::session::{BatchItem, Engine, EngineOptions};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchArgs {
    /// Prompt lengths (`-p`); 0 entries are skipped.
    pub prompt: Vec<usize>,
    /// Generation lengths (`-n`); 0 entries are skipped.
    pub generate: Vec<usize>,
    /// Thread counts (`-t`).
    pub threads: Vec<usize>,
    /// Repetitions (`-r`).
    pub reps: usize,
}

impl Default for BenchArgs {
    fn default() -> Self {
        Self {
            prompt: vec![512],
            generate: vec![128],
            threads: vec![crate::session::physical_cores()],
            reps: 3,
        }
    }
}

/// One line of the table.
#[derive(Debug, Clone)]
pub struct BenchRow {
    pub test: String,
    pub threads: usize,
    pub mean: f64,
    pub stddev: f64,
    pub samples: Vec<f64>,
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (m, var.sqrt())
}

/// Deterministic pseudo-random tokens, as llama-bench feeds random ids.
pub fn tokens(n: usize, vocab: usize, seed: u64) -> Vec<u32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((s >> 33) % vocab as u64) as u32
        })
        .collect()
}

/// Loads `model_path` and runs the benchmark, printing the table to `out`
/// as rows complete.
pub fn bench_engine(
    model_path: &Path,
    args: &BenchArgs,
    out: &mut dyn Write,
) -> Result<Vec<BenchRow>> {
    let model = Model::load(model_path)?.shared();
    let io = |e: std::io::Error| Error::Io {
        path: "<output>".into(),
        source: e,
    };
    let c = &model.config;
    let size_mib = model.file_size() as f64 / (1024.0 * 1024.0);
    let name = format!(
        "{} {}L {} {}",
        c.arch,
        c.n_layer,
        c.n_embd,
        model.layers.first().map_or("?", |l| l.gate.ty.name())
    );
    writeln!(out, "| model | size | backend | threads | test | t/s |").map_err(io)?;
    writeln!(out, "| --- | ---: | --- | ---: | ---: | ---: |").map_err(io)?;
    let vocab = model.tokenizer.vocab_size();
    let mut rows = Vec::new();
    let n_ctx = args
        .prompt
        .iter()
        .chain(&args.generate)
        .copied()
        .max()
        .unwrap_or(1)
        + 1;
    for &threads in &args.threads {
        let mut engine = Engine::new(
            model.clone(),
            EngineOptions {
                threads,
                n_ctx,
                max_batch_tokens: EngineOptions::default().max_batch_tokens,
                // Every repetition prefills the same prompt afresh.
                prefix_cache_bytes: 0,
                kv_type: EngineOptions::default().kv_type,
            },
        );
        // Warm-up: page the weights in and spin the workers up.
        let seq = engine.new_sequence();
        engine.step(&[BatchItem {
            seq,
            tokens: &tokens(16, vocab, 1),
            logits: true,
        }])?;
        engine.remove_sequence(seq);
        let tests: Vec<(bool, usize)> = args
            .prompt
            .iter()
            .filter(|&&p| p > 0)
            .map(|&p| (true, p))
            .chain(
                args.generate
                    .iter()
                    .filter(|&&n| n > 0)
                    .map(|&n| (false, n)),
            )
            .collect();
        for (is_prompt, n) in tests {
            let mut samples = Vec::new();
            for r in 0..args.reps.max(1) {
                let toks = tokens(n, vocab, 7 + r as u64);
                let seq = engine.new_sequence();
                let t0 = Instant::now();
                if is_prompt {
                    engine.step(&[BatchItem {
                        seq,
                        tokens: &toks,
                        logits: true,
                    }])?;
                } else {
                    for t in &toks {
                        engine.step(&[BatchItem {
                            seq,
                            tokens: std::slice::from_ref(t),
                            logits: true,
                        }])?;
                    }
                }
                samples.push(n as f64 / t0.elapsed().as_secs_f64());
                engine.remove_sequence(seq);
            }
            let (mean, stddev) = mean_sd(&samples);
            let test = format!("{}{n}", if is_prompt { "pp" } else { "tg" });
            writeln!(out, "| {name} | {size_mib:.2} MiB | CPU {} | {threads} | {test} | {mean:.2} ± {stddev:.2} |", model.isa.name())
                .map_err(io)?;
            rows.push(BenchRow {
                test,
                threads,
                mean,
                stddev,
                samples,
            });
        }
    }
    // What each concurrent user's conversation holds in memory, at the
    // context a served request gets by default ([gateway.local] context).
    let per_user = |kv: crate::KvType| {
        (kv.bytes_per_token(c) * EngineOptions::default().n_ctx) as f64 / (1024.0 * 1024.0)
    };
    writeln!(
        out,
        "KV-Cache je gleichzeitigem Nutzer ({} Tokens Kontext): {:.1} MiB in f16, {:.1} MiB in q8_0 ([gateway.local] kv_cache)",
        EngineOptions::default().n_ctx,
        per_user(crate::KvType::F16),
        per_user(crate::KvType::Q8_0)
    )
    .map_err(io)?;
    if let Some(peak) = peak_rss_bytes() {
        // Keys and values of every layer for every position.
        let kv = (EngineOptions::default().kv_type.bytes_per_token(c) * n_ctx) as f64;
        let mib = |b: f64| b / (1024.0 * 1024.0);
        let bound = (model.file_size() as f64 + kv) * 1.1;
        writeln!(
            out,
            "Spitzen-Arbeitsspeicher (RSS): {:.1} MiB; Modelldatei {size_mib:.1} MiB + KV-Cache {:.1} MiB (n_ctx {n_ctx}) + 10 % = {:.1} MiB{}",
            mib(peak as f64),
            mib(kv),
            mib(bound),
            if peak as f64 <= bound { "" } else { " (überschritten)" }
        )
        .map_err(io)?;
    }
    Ok(rows)
}

/// The process's peak resident memory so far (Linux; elsewhere unknown).
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    Some(
        kb.trim()
            .trim_end_matches("kB")
            .trim()
            .parse::<u64>()
            .ok()?
            * 1024,
    )
}
