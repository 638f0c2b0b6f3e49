//! `ki-reise`: the one binary of the KI-Reise für Kommunen. It parses the
//! command line, reads the configuration and wires the library crates; the
//! work itself lives in those crates.
#![forbid(unsafe_code)]

mod args;
mod backup_cmd;
mod bench_cmd;
mod bench_portal;
mod bench_survey;
mod bundle_cmd;
mod cli;
mod config;
mod database;
mod directory_cmd;
mod doctor_advice;
mod engine_cmd;
mod error;
mod model_cmd;
mod probe_cmd;
mod serve;
mod users;

use std::process::ExitCode;

use clap::Parser;

pub use error::CliError;

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
