//! `ki-reise`: the one binary of the KI-Reise für Kommunen. It parses the
//! command line, reads the configuration and wires the library crates; the
//! work itself lives in those crates.
#![forbid(unsafe_code)]

mod backup_cmd;
mod bench_cmd;
mod bench_portal;
mod bench_survey;
mod bundle_cmd;
mod cli;
mod config;
mod database;
mod engine_cmd;
mod model_cmd;
mod serve;
mod users;

use std::process::ExitCode;

use clap::Parser;

/// An error for the person at the console: one German sentence that says
/// what is wrong and what to do. Never a panic trace.
#[derive(Debug)]
pub struct CliError(pub String);

impl<E: std::fmt::Display> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    config::init_logging(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Fehler: Die Laufzeitumgebung konnte nicht starten: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError(message)) => {
            eprintln!("Fehler: {message}");
            ExitCode::FAILURE
        }
    }
}
