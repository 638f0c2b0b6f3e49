//! Arguments that several commands share or that the configuration reads
//! (database, serving, accounts); kept apart from the command tree so the
//! commands and the configuration need not import the command line.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
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
    /// Schutz der Verbindung zum SMTP-Server: none, starttls oder tls.
    #[arg(long, env = "KI_REISE_SMTP_SECURITY", value_name = "none|starttls|tls")]
    pub smtp_security: Option<String>,
    /// PEM-Datei der internen CA, die das Zertifikat des SMTP-Servers ausgestellt hat.
    #[arg(long, env = "KI_REISE_SMTP_CA_FILE", value_name = "DATEI")]
    pub smtp_ca_file: Option<std::path::PathBuf>,
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
