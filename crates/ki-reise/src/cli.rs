//! The command line. The names of commands and flags are an interface that
//! users and scripts rely on: change them only with care.

use clap::{Args, Parser, Subcommand};

pub use crate::args::{ApikeyCreateArgs, DbArgs, LogFormat, ServeArgs, UserAddArgs};
use crate::CliError;

#[derive(Debug, Parser)]
#[command(
    name = "ki-reise",
    version,
    about = "Die KI-Reise für Kommunen: Bestandsaufnahme, Qualifizierung, KI-Strategie, Anwendungsfälle, lokale KI und Vergleichstest.",
    long_about = None
)]
pub struct Cli {
    /// Format der Protokollausgabe: text für Menschen, json für Log-Sammler.
    #[arg(
        long,
        global = true,
        value_enum,
        env = "KI_REISE_LOG_FORMAT",
        default_value = "text"
    )]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Startet das Portal (führt vorher die Datenbank-Migrationen aus).
    Serve(ServeArgs),
    /// Bringt die Datenbank auf den neuesten Stand und beendet sich; mit --dry-run nur eine Vorschau.
    Migrate(crate::backup_cmd::MigrateArgs),
    /// Sichert Datenbank und Datenordner im laufenden Betrieb in eine Datei.
    Backup(crate::backup_cmd::BackupArgs),
    /// Stellt eine Sicherung in eine leere Instanz wieder her (SQLite oder PostgreSQL).
    Restore(crate::backup_cmd::RestoreArgs),
    /// Zeigt die Konfiguration.
    Config(ConfigArgs),
    /// Benutzerkonten verwalten.
    #[command(subcommand)]
    User(UserCommand),
    /// API-Schlüssel verwalten.
    #[command(subcommand)]
    Apikey(ApikeyCommand),
    /// Anmeldung über das Verzeichnis (LDAP / Active Directory): Abgleich.
    #[command(subcommand)]
    Directory(crate::directory_cmd::DirectoryCommand),
    /// Lässt ein lokales Sprachmodell (GGUF) antworten; ohne Frage startet ein Chat.
    Run(crate::engine_cmd::RunArgs),
    /// Zeigt, welche Modelle auf diesem Rechner wie schnell laufen werden.
    Doctor,
    /// Fragt das laufende Portal auf diesem Rechner nach /healthz (mit --ready: /readyz); für Health-Checks von Containern.
    Probe(crate::probe_cmd::ProbeArgs),
    /// Lokale Modelle (GGUF) im Datenordner: hinzufügen, auflisten, entfernen.
    #[command(subcommand)]
    Model(crate::model_cmd::ModelCommand),
    /// Messungen: Vergleichstest von KI-Endpunkten, Geschwindigkeit der eingebauten Inferenz.
    #[command(subcommand)]
    Bench(crate::bench_cmd::BenchCommand),
    /// Schreibt die ganze KI-Reise als Paket zur Nachnutzung (Ordner oder ZIP).
    Export(crate::bundle_cmd::ExportArgs),
    /// Übernimmt ein Paket zur Nachnutzung; mit --dry-run nur eine Vorschau.
    Import(crate::bundle_cmd::ImportArgs),
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Gibt eine kommentierte Standard-Konfiguration aus.
    #[arg(long)]
    pub default: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Legt ein Konto an. Das Passwort kommt aus KI_REISE_PASSWORD oder von der Standardeingabe.
    Add(UserAddArgs),
}

#[derive(Debug, Subcommand)]
pub enum ApikeyCommand {
    /// Erstellt einen API-Schlüssel für ein Konto und gibt ihn einmalig aus.
    Create(ApikeyCreateArgs),
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(args) => crate::serve::serve(args).await,
        Command::Migrate(args) => crate::backup_cmd::migrate(args).await,
        Command::Backup(args) => crate::backup_cmd::backup(args).await,
        Command::Restore(args) => crate::backup_cmd::restore(args).await,
        Command::Config(args) => {
            if args.default {
                print!("{}", crate::config::DEFAULT_CONFIG);
                Ok(())
            } else {
                Err(CliError(
                    "Bitte --default angeben: ki-reise config --default > ki-reise.toml".into(),
                ))
            }
        }
        Command::User(UserCommand::Add(args)) => crate::users::add(args).await,
        Command::Apikey(ApikeyCommand::Create(args)) => crate::users::create_api_key(args).await,
        Command::Directory(command) => crate::directory_cmd::run(command).await,
        Command::Bench(command) => crate::bench_cmd::run(command).await,
        Command::Run(args) => crate::engine_cmd::run(args).await,
        Command::Doctor => crate::engine_cmd::doctor().await,
        Command::Probe(args) => crate::probe_cmd::probe(args).await,
        Command::Model(command) => crate::model_cmd::run(command).await,
        Command::Export(args) => crate::bundle_cmd::export(args).await,
        Command::Import(args) => crate::bundle_cmd::import(args).await,
    }
}
