//! `ki-reise directory sync`: leavers and movers from the directory now,
//! as `serve` does every hour (for cron, or right after someone leaves).

use clap::Subcommand;

use crate::cli::DbArgs;
use crate::config::Settings;
use crate::CliError;

#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Gleicht die Konten mit dem Verzeichnis ab: wer dort fehlt, wird deaktiviert
    /// (nie gelöscht; API-Schlüssel gelten sofort nicht mehr), Fachbereich und Rolle folgen.
    Sync(DbArgs),
}

pub async fn run(command: DirectoryCommand) -> Result<(), CliError> {
    let DirectoryCommand::Sync(db) = command;
    let settings = Settings::resolve(&db, None)?;
    let store = crate::database::open(&settings).await?;
    let config = portal::directory::config::load(&store, settings.directory.as_ref())
        .await?
        .filter(|c| c.enabled)
        .ok_or_else(|| {
            CliError(
                "Die Anmeldung über das Verzeichnis ist nicht eingeschaltet (Portal: /benutzer/verzeichnis, \
                 oder [directory] in der Konfigurationsdatei)."
                    .into(),
            )
        })?;
    let report = portal::directory::sync::run(&store, &config)
        .await
        .map_err(|e| CliError(e.message()))?;
    println!(
        "Abgleich fertig: {} Konten geprüft, {} im Verzeichnis, {} deaktiviert.",
        report.checked,
        report.present,
        report.deactivated.len()
    );
    for email in &report.deactivated {
        println!("  deaktiviert: {email}");
    }
    for problem in &report.problems {
        println!("  zu prüfen: {problem}");
    }
    store.close().await;
    Ok(())
}
