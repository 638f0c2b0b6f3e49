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

/// Progress as lines, where stderr is no terminal (a log file, a CI job,
/// `nohup`): indicatif draws nothing there, and a run of many minutes
/// would otherwise look hung.
struct Lines<W: std::io::Write + Send>(std::sync::Mutex<W>);

impl<W: std::io::Write + Send> Progress for Lines<W> {
    fn event(&self, event: ProgressEvent) {
        let line = match event {
            ProgressEvent::Started {
                total_requests: Some(n),
            } => format!("Vergleichstest gestartet: {n} Anfragen geplant"),
            ProgressEvent::Started {
                total_requests: None,
            } => "Vergleichstest gestartet (Dauer nach Zeit begrenzt)".to_owned(),
            ProgressEvent::TargetFailed { target, reason } => {
                format!("Ziel „{target}“ ausgefallen: {reason}")
            }
            ProgressEvent::LevelStarted {
                target,
                workload,
                concurrency,
                ..
            } => format!("{target} · {workload} · {concurrency} gleichzeitig: läuft"),
            ProgressEvent::LevelFinished {
                target,
                workload,
                concurrency,
                requests_per_s,
                slo_met,
                ..
            } => format!(
                "{target} · {workload} · {concurrency} gleichzeitig: fertig, {} Anfragen/s, Ziel {}",
                bench::report::text_num(requests_per_s, 2),
                if slo_met { "erreicht" } else { "verfehlt" }
            ),
            ProgressEvent::RequestDone { .. } => return,
            ProgressEvent::Finished { partial: true } => {
                "abgebrochen, Teilbericht geschrieben".to_owned()
            }
            ProgressEvent::Finished { partial: false } => "fertig".to_owned(),
        };
        if let Ok(mut w) = self.0.lock() {
            let _ = writeln!(w, "{line}");
        }
    }
}

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

/// A bar in a terminal, lines elsewhere.
fn progress() -> Arc<dyn Progress> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return Arc::new(Lines(std::sync::Mutex::new(std::io::stderr())));
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} Anfragen · {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("verbinde mit den Endpunkten");
    // The first request may take minutes (a cold model loads): the clock
    // and spinner keep moving meanwhile.
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    Arc::new(Bar(bar))
}

async fn run_spec(args: RunArgs) -> Result<(), CliError> {
    let cancel = Arc::new(AtomicBool::new(false));
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.store(true, Ordering::SeqCst);
        }
    });
    let summary =
        bench::run_spec_file_cancellable(&args.spec, &args.out, progress(), cancel).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_terminal_progress_is_written_as_lines() {
        let lines = Lines(std::sync::Mutex::new(Vec::new()));
        lines.event(ProgressEvent::Started {
            total_requests: Some(48),
        });
        lines.event(ProgressEvent::LevelStarted {
            target: "Arbeitsplatz".into(),
            workload: "Tempo".into(),
            concurrency: 4,
            requests: Some(24),
        });
        lines.event(ProgressEvent::RequestDone { ok: true });
        lines.event(ProgressEvent::LevelFinished {
            target: "Arbeitsplatz".into(),
            workload: "Tempo".into(),
            concurrency: 4,
            requests_per_s: 1.5,
            ttft_p95_ms: Some(900.0),
            slo_met: true,
        });
        lines.event(ProgressEvent::Finished { partial: false });
        let text = String::from_utf8(lines.0.into_inner().unwrap()).unwrap();
        assert_eq!(
            text.lines().collect::<Vec<_>>(),
            [
                "Vergleichstest gestartet: 48 Anfragen geplant",
                "Arbeitsplatz · Tempo · 4 gleichzeitig: läuft",
                "Arbeitsplatz · Tempo · 4 gleichzeitig: fertig, 1,50 Anfragen/s, Ziel erreicht",
                "fertig",
            ]
        );
    }
}
