//! `ki-reise bench run` (the Vergleichstest of OpenAI-compatible endpoints)
//! and `ki-reise bench engine` (speed of the built-in inference).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bench::{Progress, ProgressEvent};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::CliError;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Führt einen Vergleichstest nach einer Spezifikation (YAML) aus und schreibt den Bericht.
    Run(RunArgs),
    /// Misst die eingebaute Inferenz wie llama-bench: Prompt-Verarbeitung (pp) und Textgenerierung (tg).
    Engine(EngineArgs),
    /// Lastmessung des Portals: viele angemeldete Sitzungen rufen Seiten ab (Anfragen/s, p50, p99).
    Portal(crate::bench_portal::PortalArgs),
    /// Lastmessung der Bestandsaufnahme: viele Teilnehmende schicken vollständige Antworten (Antworten/s, verlorene Antworten).
    Survey(crate::bench_survey::SurveyArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Spezifikation, z. B. content/de/bench/beispiel-spec.yaml.
    pub spec: PathBuf,
    /// Ordner für report.html, report.json, results.csv.
    #[arg(long, default_value = "vergleichstest")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct EngineArgs {
    /// GGUF-Modelldatei.
    pub model: PathBuf,
    /// Prompt-Längen, kommagetrennt.
    #[arg(
        short = 'p',
        long = "n-prompt",
        value_delimiter = ',',
        default_value = "512"
    )]
    pub prompt: Vec<usize>,
    /// Zahl der zu erzeugenden Tokens, kommagetrennt.
    #[arg(
        short = 'n',
        long = "n-gen",
        value_delimiter = ',',
        default_value = "128"
    )]
    pub generate: Vec<usize>,
    /// Thread-Zahlen, kommagetrennt (Standard: physische Kerne).
    #[arg(short = 't', long = "threads", value_delimiter = ',')]
    pub threads: Vec<usize>,
    /// Wiederholungen je Messung.
    #[arg(short = 'r', long = "repetitions", default_value_t = 3)]
    pub reps: usize,
}

/// Drives an indicatif bar from the benchmark's progress events.
struct Bar(ProgressBar);

impl Progress for Bar {
    fn event(&self, event: ProgressEvent) {
        match event {
            ProgressEvent::Started { total_requests } => {
                if let Some(n) = total_requests {
                    self.0.set_length(n);
                }
            }
            ProgressEvent::TargetFailed { target, reason } => {
                self.0
                    .println(format!("Ziel „{target}“ ausgefallen: {reason}"));
            }
            ProgressEvent::LevelStarted {
                target,
                workload,
                concurrency,
                ..
            } => {
                self.0.set_message(format!(
                    "{target} · {workload} · {concurrency} gleichzeitig"
                ));
            }
            ProgressEvent::RequestDone { .. } => self.0.inc(1),
            ProgressEvent::LevelFinished { .. } => {}
            ProgressEvent::Finished { partial } => {
                let note = if partial {
                    "abgebrochen, Teilbericht geschrieben"
                } else {
                    "fertig"
                };
                self.0.finish_with_message(note);
            }
        }
    }
}

pub async fn run(command: BenchCommand) -> Result<(), CliError> {
    match command {
        BenchCommand::Run(args) => run_spec(args).await,
        BenchCommand::Portal(args) => crate::bench_portal::run(args).await,
        BenchCommand::Survey(args) => crate::bench_survey::run(args).await,
        BenchCommand::Engine(args) => {
            let bench_args = engine::cli::bench::BenchArgs {
                prompt: args.prompt,
                generate: args.generate,
                threads: if args.threads.is_empty() {
                    engine::cli::bench::BenchArgs::default().threads
                } else {
                    args.threads
                },
                reps: args.reps.max(1),
            };
            let model = args.model;
            tokio::task::spawn_blocking(move || {
                let mut out = std::io::stdout();
                engine::cli::bench::bench_engine(&model, &bench_args, &mut out).map(|_| ())
            })
            .await
            .map_err(|e| CliError(e.to_string()))??;
            Ok(())
        }
    }
}

async fn run_spec(args: RunArgs) -> Result<(), CliError> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} Anfragen · {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let cancel = Arc::new(AtomicBool::new(false));
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.store(true, Ordering::SeqCst);
        }
    });
    let summary =
        bench::run_spec_file_cancellable(&args.spec, &args.out, Arc::new(Bar(bar)), cancel).await?;
    let mut files = summary.files.clone();
    match portal::comparison::runs::write_odt_summary(&args.out, &summary.report) {
        Ok(odt) => files.push(odt),
        Err(e) => eprintln!("Die Zusammenfassung als ODT konnte nicht geschrieben werden: {e}"),
    }
    println!("Bericht geschrieben:");
    for file in &files {
        println!("  {}", file.display());
    }
    Ok(())
}
