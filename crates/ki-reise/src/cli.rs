//! The command line. The names of commands and flags are an interface that
//! users and scripts rely on: change them only with care.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
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
    /// Lässt ein lokales Sprachmodell (GGUF) antworten; ohne Frage startet ein Chat.
    Run(crate::engine_cmd::RunArgs),
    /// Zeigt, welche Modelle auf diesem Rechner wie schnell laufen werden.
    Doctor,
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

#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Datenordner (SQLite-Datei, Modelle, eigene Inhalte).
    #[arg(long, env = "KI_REISE_DATA")]
    pub data: Option<PathBuf>,
    /// Datenbank-Adresse, z. B. postgres://benutzer@host/kireise. Ohne Angabe: SQLite im Datenordner.
    #[arg(long, env = "KI_REISE_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Konfigurationsdatei (TOML); Angaben auf der Kommandozeile haben Vorrang.
    #[arg(long, env = "KI_REISE_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Adresse und Port, auf denen das Portal lauscht.
    #[arg(long, env = "KI_REISE_BIND")]
    pub bind: Option<String>,
    /// Öffentliche Adresse für Links in Einladungen, z. B. https://ki.stadt.de.
    #[arg(long, env = "KI_REISE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Hinter einem Reverse-Proxy: X-Forwarded-For und X-Forwarded-Proto vertrauen.
    #[arg(long, env = "KI_REISE_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// Zahl der Reverse-Proxys hintereinander, die X-Forwarded-For ergänzen (Standard 1).
    #[arg(long, env = "KI_REISE_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<usize>,
    /// SMTP-Relay für Einladungs-E-Mails (ohne Angabe werden Links zum Weitergeben angezeigt).
    #[arg(long, env = "KI_REISE_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// Port des SMTP-Relays.
    #[arg(long, env = "KI_REISE_SMTP_PORT")]
    pub smtp_port: Option<u16>,
    /// Absender der E-Mails, z. B. "KI-Reise <ki-reise@stadt.de>".
    #[arg(long, env = "KI_REISE_SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// Benutzername am SMTP-Relay; das Passwort kommt aus KI_REISE_SMTP_PASSWORD.
    #[arg(long, env = "KI_REISE_SMTP_USER")]
    pub smtp_user: Option<String>,
    /// Lokales Sprachmodell (GGUF-Datei), das beim Start geladen und unter /v1 angeboten wird.
    #[arg(long, env = "KI_REISE_MODEL", value_name = "DATEI")]
    pub model: Option<std::path::PathBuf>,
    /// Sekunden, die laufende Antworten beim Beenden (SIGTERM) noch haben; danach
    /// enden offene Streams mit einer Fehlermeldung und ki-reise beendet sich (Standard 30).
    #[arg(long, env = "KI_REISE_SHUTDOWN_GRACE", value_name = "SEKUNDEN")]
    pub shutdown_grace: Option<u64>,
    #[command(flatten)]
    pub db: DbArgs,
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

#[derive(Debug, Args)]
pub struct UserAddArgs {
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub name: String,
    /// admin, project-team, staff oder viewer.
    #[arg(long)]
    pub role: String,
    /// Fachbereich aus dem Profil der Kommune.
    #[arg(long)]
    pub department: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Subcommand)]
pub enum ApikeyCommand {
    /// Erstellt einen API-Schlüssel für ein Konto und gibt ihn einmalig aus.
    Create(ApikeyCreateArgs),
}

#[derive(Debug, Args)]
pub struct ApikeyCreateArgs {
    #[arg(long)]
    pub email: String,
    /// Bezeichnung, an der man den Schlüssel wiedererkennt.
    #[arg(long, default_value = "Kommandozeile")]
    pub name: String,
    #[command(flatten)]
    pub db: DbArgs,
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
        Command::Bench(command) => crate::bench_cmd::run(command).await,
        Command::Run(args) => crate::engine_cmd::run(args).await,
        Command::Doctor => crate::engine_cmd::doctor().await,
        Command::Model(command) => crate::model_cmd::run(command).await,
        Command::Export(args) => crate::bundle_cmd::export(args).await,
        Command::Import(args) => crate::bundle_cmd::import(args).await,
    }
}
