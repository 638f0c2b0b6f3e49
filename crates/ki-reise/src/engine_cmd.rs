//! `ki-reise run` (a local model answers, or chats on the terminal) and
//! `ki-reise doctor` (what this workstation can run, and how fast).

use std::path::PathBuf;

use clap::Args;

use crate::CliError;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// GGUF-Modelldatei, z. B. SmolLM2-135M-Instruct.Q4_1.gguf.
    pub model: PathBuf,
    /// Frage an das Modell; ohne Angabe startet ein Chat auf der Konsole (Ende mit /exit).
    pub prompt: Option<String>,
    /// Systemanweisung vor dem Gespräch.
    #[arg(long)]
    pub system: Option<String>,
    /// Höchstzahl erzeugter Tokens.
    #[arg(short = 'n', long, default_value_t = 256)]
    pub max_tokens: usize,
    /// Temperatur; 0 wählt immer das wahrscheinlichste Token.
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f32,
    #[arg(long, default_value_t = 0)]
    pub top_k: usize,
    #[arg(long, default_value_t = 1.0)]
    pub top_p: f32,
    #[arg(long, default_value_t = 0.0)]
    pub min_p: f32,
    #[arg(long, default_value_t = 1.0)]
    pub repeat_penalty: f32,
    #[arg(long)]
    pub seed: Option<u64>,
    /// Threads (Standard: physische Kerne).
    #[arg(short = 't', long)]
    pub threads: Option<usize>,
    /// Kontextlänge in Tokens.
    #[arg(long, default_value_t = 4096)]
    pub ctx: usize,
}

pub async fn run(args: RunArgs) -> Result<(), CliError> {
    let mut options = engine::cli::run::RunArgs {
        system: args.system.clone(),
        ..Default::default()
    };
    if let Some(t) = args.threads {
        options.engine.threads = t.max(1);
    }
    options.engine.n_ctx = args.ctx.max(16);
    options.generate.max_tokens = args.max_tokens;
    let s = &mut options.generate.sampler;
    s.temperature = args.temperature;
    s.top_k = args.top_k;
    s.top_p = args.top_p;
    s.min_p = args.min_p;
    s.repeat_penalty = args.repeat_penalty;
    if let Some(seed) = args.seed {
        s.seed = seed;
    }
    let model = args.model;
    let prompt = args.prompt;
    tokio::task::spawn_blocking(move || {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        let mut out = std::io::stdout();
        engine::cli::run::run(&model, prompt.as_deref(), &options, &mut input, &mut out)
    })
    .await
    .map_err(|e| CliError(e.to_string()))??;
    Ok(())
}

pub async fn doctor() -> Result<(), CliError> {
    let report = tokio::task::spawn_blocking(|| {
        let mut out = std::io::stdout();
        engine::cli::doctor::doctor(&mut out)
    })
    .await
    .map_err(|e| CliError(e.to_string()))??;
    let catalogue = journey::models::Catalogue::shipped().map_err(|e| CliError(e.to_string()))?;
    let machine = journey::models::recommend::Machine {
        available_bytes: report.ram_available_bytes,
        bandwidth: report.bandwidth,
    };
    print!("{}", crate::doctor_advice::advice(&catalogue, machine));
    Ok(())
}
