//! Configuration: command-line flags and `KI_REISE_*` variables win over the
//! config file, which wins over the defaults.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cli::{DbArgs, LogFormat, ServeArgs};
use crate::CliError;

pub const DEFAULT_CONFIG: &str = r#"# ki-reise – Konfiguration (TOML)
# Jede Angabe gibt es auch als Kommandozeilen-Option und als Umgebungsvariable;
# diese haben Vorrang vor dieser Datei. Start mit:
#   ki-reise serve --config ki-reise.toml

# Adresse und Port des Portals (--bind, KI_REISE_BIND).
bind = "127.0.0.1:8080"

# Datenordner: SQLite-Datei, Modelle, eigene Inhalte (--data, KI_REISE_DATA).
data = "./ki-reise-data"

# Datenbank (--database-url, KI_REISE_DATABASE_URL). Ohne Angabe: SQLite im
# Datenordner. Für viele Nutzer und mehrere Instanzen PostgreSQL, z. B.:
# database_url = "postgres://kireise@db.intern:5432/kireise"

# Öffentliche Adresse für Links in Einladungen (--public-url, KI_REISE_PUBLIC_URL).
# Mit https:// werden Cookies nur noch verschlüsselt übertragen.
# public_url = "https://ki.stadt.de"

# Hinter einem Reverse-Proxy (nginx, Apache, Traefik) auf true setzen, damit
# die Adresse der Nutzer aus X-Forwarded-For für die Anmeldesperre zählt
# (--trust-proxy, KI_REISE_TRUST_PROXY).
trust_proxy = false

# Wie viele Reverse-Proxys hintereinander X-Forwarded-For ergänzen. Gezählt
# wird der Eintrag so viele Stellen von rechts; was der Browser selbst
# hineinschreibt, zählt nicht (--trusted-proxies, KI_REISE_TRUSTED_PROXIES).
trusted_proxies = 1

# Wer /metrics und /metrics/gateway lesen darf (sie nennen Modelle, Backends
# und Anfragen je Datenklasse): mit metrics_token nur, wer ihn als
# "Authorization: Bearer …" mitschickt (sonst 401), ohne nur Programme auf
# diesem Rechner, die nicht über einen Reverse-Proxy kommen (sonst 403).
# Auch als Umgebungsvariable KI_REISE_METRICS_TOKEN.
# metrics_token = "lange-zufaellige-zeichenkette"

# Beim Beenden (SIGTERM, systemctl stop) haben laufende Anfragen so viele
# Sekunden; danach enden offene Antwort-Streams mit einer Fehlermeldung und
# [DONE], und ki-reise beendet sich (--shutdown-grace, KI_REISE_SHUTDOWN_GRACE).
shutdown_grace_secs = 30

# Wie lange eine Anmeldung gilt, in Stunden.
session_hours = 12

# E-Mails (Einladungen, Umfrage-Einladungen und -Erinnerungen) über den
# SMTP-Server der Verwaltung (--smtp-host, --smtp-port, --smtp-from,
# --smtp-user, --smtp-security, --smtp-ca-file; das Passwort nur über die
# Umgebungsvariable KI_REISE_SMTP_PASSWORD). Ohne smtp_host zeigt ki-reise
# die Links zum Weitergeben an. smtp_security: "none" (Klartext an ein
# internes Relay, Port 25), "starttls" (Port 587) oder "tls" (TLS von
# Anfang an, Port 465). smtp_ca_file: PEM-Datei der internen CA, die das
# Zertifikat des Servers ausgestellt hat; dann gilt nur sie, sonst die
# öffentlichen Wurzelzertifikate. Sammel-E-Mails gehen in Portionen:
# smtp_batch_size E-Mails alle smtp_batch_interval_secs Sekunden.
# smtp_host = "mail.intern"
# smtp_port = 587
# smtp_from = "KI-Reise <ki-reise@stadt.de>"
# smtp_user = "ki-reise"
# smtp_security = "starttls"
# smtp_ca_file = "/etc/ki-reise/interne-ca.pem"
# smtp_batch_size = 20
# smtp_batch_interval_secs = 10

# Anmeldung über das Verzeichnis (LDAP / Active Directory); auch im Portal
# unter /benutzer/verzeichnis einstellbar (was dort gespeichert wird, gilt
# dann an Stelle dieses Abschnitts). Das Passwort des Dienstkontos besser über
# die Umgebungsvariable KI_REISE_DIRECTORY_BIND_PASSWORD. Siehe
# docs/verzeichnis-anmeldung.md.
# [directory]
# enabled = true
# url = "ldaps://dc1.stadt.intern"
# ca_cert_file = "/etc/ki-reise/interne-ca.pem"
# bind_dn = "CN=svc-kireise,OU=Dienstkonten,DC=stadt,DC=intern"
# base_dn = "OU=Verwaltung,DC=stadt,DC=intern"
# user_filter = "(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2))(|(sAMAccountName={login})(mail={login})))"
# login_attribute = "sAMAccountName"
# nested_groups = "active-directory"
# timeout_secs = 5
# local_login = "break-glass-only"
# break_glass_email = "notfall-admin@stadt.de"
# [directory.mapping]
# department_attribute = "department"
# default_role = "staff"
# roles = [{ group = "GG-KI-Projektteam", role = "project-team" }, { group = "GG-KI-Admins", role = "admin" }]
# functions = [{ group = "GG-Datenschutz", function = "data-protection" }]
# departments = [{ directory = "FB 3 Bürgerdienste", department = "Bürgerdienste" }]

# Anmeldung über den Anmeldedienst der Verwaltung (OpenID Connect: Keycloak,
# ADFS, Entra ID). Beim Anmeldedienst als Rücksprungadresse eintragen:
# <public_url>/anmelden/dienstkonto/zurueck, nach der Abmeldung:
# <public_url>/anmelden, für Back-Channel-Logout:
# <public_url>/anmelden/dienstkonto/abmelden. Das Client-Geheimnis besser über
# die Umgebungsvariable KI_REISE_OIDC_CLIENT_SECRET (sie gilt vor dem Wert in
# dieser Datei). Unter /benutzer/dienstkonto einstellbar; was dort gespeichert
# wird, gilt an Stelle dieses Abschnitts. Siehe docs/verzeichnis-anmeldung.md.
# [oidc]
# enabled = true
# issuer = "https://login.stadt.de/realms/verwaltung"
# client_id = "ki-reise"
# scopes = ["email", "profile"]
# groups_claim = "groups"
# department_claim = "department"
# timeout_secs = 5
# local_login = "break-glass-only"
# break_glass_email = "notfall-admin@stadt.de"
# [oidc.mapping]
# default_role = "staff"
# roles = [{ group = "KI-Projektteam", role = "project-team" }, { group = "KI-Admins", role = "admin" }]
# functions = [{ group = "Datenschutz", function = "data-protection" }]
# departments = [{ directory = "FB 3 Bürgerdienste", department = "Bürgerdienste" }]

# KI-Gateway: die OpenAI-kompatible Schnittstelle unter /v1 (z. B. für
# Open WebUI oder eigene Skripte: base_url = http://host:8080/v1).
[gateway]
# Größte Anfrage in Bytes (größere: 413).
max_body_bytes = 1048576
# Anfragen je Minute und API-Schlüssel, sofern der Schlüssel nichts anderes sagt.
# requests_per_minute = 60
# Sekunden zwischen zwei Prüfungen der entfernten Backends (GET /v1/models).
health_interval_secs = 10

# Das lokale Modell (auch: ki-reise serve --model DATEI, KI_REISE_MODEL).
[gateway.local]
# model = "./ki-reise-data/modelle/SmolLM2-135M-Instruct.Q4_1.gguf"
# model_id = "smollm2"
# threads = 4
context = 4096
# Gleichzeitig bearbeitete Anfragen, KV-Speicher in Token, Prompt-Token je Schritt,
# wartende Anfragen (darüber: 429 mit Retry-After).
max_sequences = 16
max_kv_tokens = 32768
prefill_chunk = 256
queue = 64
# Speicher in MiB für die KV-Blöcke zuletzt gesehener Prompt-Anfänge (Anweisungen
# eines Assistenten, bisheriger Chatverlauf): eine Anfrage mit demselben Anfang
# rechnet nur den neuen Teil (0: aus).
prefix_cache_mb = 512
# Spekulatives Dekodieren: Textstellen, die die Antwort aus dem Prompt übernimmt
# (Zusammenfassungen, Extraktion), werden mehrere Token auf einmal geprüft; die
# Antwort bleibt dieselbe.
speculative = false
# Der KV-Cache in "f16" (Antworten wie llama.cpp) oder "q8_0": 47 % weniger
# Speicher je Nutzer und schnelleres Antworten bei langen Gesprächen, Prompts
# etwas langsamer, Antworten können in seltenen Fällen abweichen.
kv_cache = "f16"

# Das lokale Embedding-Modell für POST /v1/embeddings (auch im Portal unter
# /assistent/einstellungen wählbar). Dieselbe Datei wie oben wird nur einmal
# geladen. Ohne model_id heißt das Modell wie die Datei ohne .gguf.
[gateway.embeddings]
# model = "./ki-reise-data/models/SmolLM2-135M-Instruct.Q4_1.gguf"
# model_id = "smollm2-embed"
# Threads; ohne Angabe die Hälfte der Kerne, damit der Chat weiterläuft.
# threads = 2
# Längste Eingabe in Token, Eingaben je Anfrage, wartende Anfragen (darüber: 429).
context = 4096
max_inputs = 256
queue = 16

# Entfernte OpenAI-kompatible Backends (llama-server, Ollama, vLLM), in der
# Reihenfolge, in der sie bei Ausfall einspringen (weitere trägt die
# Administration im Portal unter /assistent/einstellungen ein; sie folgen
# diesen). reach sagt, wo das Backend
# läuft: local, private-cloud oder public-cloud. Welche Datenklasse welches
# Backend erreichen darf, legt das Regelwerk der KI-Richtlinie fest
# (policy/regelwerk.json im Datenordner, sonst die Voreinstellung).
# [[gateway.backends]]
# name = "vllm-rechenzentrum"
# urls = ["https://vllm-1.intern/v1", "https://vllm-2.intern/v1"]
# api_key = "…"
# models = ["llama-3.1-70b-instruct"]
# timeout_secs = 60
# reach = "private-cloud"
# Je Replik höchstens max_concurrent Anfragen gleichzeitig; sind alle voll,
# warten höchstens queue Anfragen bis zu queue_wait_secs Sekunden (danach 503
# mit Retry-After). Eine ausgefallene Replik wird nach 1 s, dann in wachsenden
# Abständen bis probe_max_secs erneut geprüft (docs/operations.md).
# limits = { max_concurrent = 16, queue = 64, queue_wait_secs = 10, probe_max_secs = 30 }
"#;

/// Where the portal listens when neither flag, variable nor file says.
const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<String>,
    data: Option<PathBuf>,
    database_url: Option<String>,
    public_url: Option<String>,
    trust_proxy: Option<bool>,
    trusted_proxies: Option<usize>,
    session_hours: Option<i64>,
    shutdown_grace_secs: Option<u64>,
    metrics_token: Option<String>,
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    smtp_from: Option<String>,
    smtp_user: Option<String>,
    smtp_security: Option<String>,
    smtp_ca_file: Option<PathBuf>,
    smtp_batch_size: Option<usize>,
    smtp_batch_interval_secs: Option<u64>,
    gateway: Option<gateway::GatewayConfig>,
    directory: Option<portal::directory::config::DirectoryConfig>,
    oidc: Option<portal::oidc::config::OidcConfig>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: String,
    pub data: PathBuf,
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    pub trust_proxy: bool,
    pub trusted_proxies: usize,
    pub session_hours: i64,
    pub metrics_token: Option<String>,
    /// How long requests in flight may still run after SIGTERM.
    pub shutdown_grace: std::time::Duration,
    pub smtp: Option<portal::mail::SmtpConfig>,
    pub gateway: gateway::GatewayConfig,
    /// `[directory]`: sign-in from LDAP / Active Directory.
    pub directory: Option<portal::directory::config::DirectoryConfig>,
    /// `[oidc]`: sign-in with OpenID Connect.
    pub oidc: Option<portal::oidc::config::OidcConfig>,
}

/// The SMTP server from the command line and the config file (the
/// command line wins); `None` without a host.
fn resolve_smtp(
    serve: Option<&ServeArgs>,
    file: &FileConfig,
) -> Result<Option<portal::mail::SmtpConfig>, CliError> {
    let Some(host) = serve
        .and_then(|s| s.smtp_host.clone())
        .or(file.smtp_host.clone())
    else {
        return Ok(None);
    };
    let security = match serve
        .and_then(|s| s.smtp_security.clone())
        .or(file.smtp_security.clone())
    {
        None => portal::mail::SmtpSecurity::None,
        Some(s) => portal::mail::SmtpSecurity::parse(&s).ok_or_else(|| {
            CliError(format!(
                "smtp_security „{s}“ gibt es nicht; möglich sind none, starttls und tls."
            ))
        })?,
    };
    let ca_file = serve
        .and_then(|s| s.smtp_ca_file.clone())
        .or(file.smtp_ca_file.clone());
    if ca_file.is_some() && security == portal::mail::SmtpSecurity::None {
        return Err(CliError(
            "smtp_ca_file gilt nur mit smtp_security = \"starttls\" oder \"tls\".".into(),
        ));
    }
    let defaults = portal::mail::SmtpConfig::default();
    let batch_size = file.smtp_batch_size.unwrap_or(defaults.batch_size);
    if !(1..=1000).contains(&batch_size) {
        return Err(CliError(
            "smtp_batch_size muss zwischen 1 und 1000 liegen.".into(),
        ));
    }
    Ok(Some(portal::mail::SmtpConfig {
        host,
        port: serve
            .and_then(|s| s.smtp_port)
            .or(file.smtp_port)
            .unwrap_or(security.default_port()),
        from: serve
            .and_then(|s| s.smtp_from.clone())
            .or(file.smtp_from.clone())
            .ok_or_else(|| CliError("Mit --smtp-host bitte auch --smtp-from angeben, z. B. \"KI-Reise <ki-reise@stadt.de>\".".into()))?,
        username: serve
            .and_then(|s| s.smtp_user.clone())
            .or(file.smtp_user.clone()),
        password: std::env::var("KI_REISE_SMTP_PASSWORD").ok(),
        security,
        ca_file,
        batch_size,
        batch_interval: file
            .smtp_batch_interval_secs
            .map(std::time::Duration::from_secs)
            .unwrap_or(defaults.batch_interval),
        ..defaults
    }))
}

/// The `bind` setting of a configuration file (or the default), for
/// commands that talk to the running portal.
pub fn bind_from_file(path: Option<&Path>) -> Result<String, CliError> {
    let file = match path {
        Some(path) => read_file(path)?,
        None => FileConfig::default(),
    };
    Ok(file.bind.unwrap_or_else(|| DEFAULT_BIND.to_string()))
}

fn read_file(path: &Path) -> Result<FileConfig, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError(format!(
            "Die Konfigurationsdatei „{}“ ist nicht lesbar: {e}.",
            path.display()
        ))
    })?;
    toml::from_str(&text).map_err(|e| {
        CliError(format!(
            "Die Konfigurationsdatei „{}“ ist fehlerhaft: {}",
            path.display(),
            e.message()
        ))
    })
}

impl Settings {
    pub fn resolve(db: &DbArgs, serve: Option<&ServeArgs>) -> Result<Settings, CliError> {
        let file = match &db.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let session_hours = file.session_hours.unwrap_or(12);
        if !(1..=24 * 30).contains(&session_hours) {
            return Err(CliError(
                "session_hours muss zwischen 1 und 720 liegen.".into(),
            ));
        }
        let smtp = resolve_smtp(serve, &file)?;
        let mut gateway = file.gateway.unwrap_or_default();
        if let Some(model) = serve.and_then(|s| s.model.clone()) {
            gateway.local.model = Some(model);
        }
        let directory = file.directory.map(resolve_directory).transpose()?;
        // The secret from the environment wins (files are easily shared).
        let oidc = file.oidc.map(|mut o| {
            if let Ok(secret) = std::env::var("KI_REISE_OIDC_CLIENT_SECRET") {
                o.client_secret = secret;
            }
            o
        });
        Ok(Settings {
            directory,
            oidc,
            gateway,
            smtp,
            bind: serve
                .and_then(|s| s.bind.clone())
                .or(file.bind)
                .unwrap_or_else(|| DEFAULT_BIND.to_string()),
            data: db
                .data
                .clone()
                .or(file.data)
                .unwrap_or_else(|| PathBuf::from("./ki-reise-data")),
            database_url: db.database_url.clone().or(file.database_url),
            public_url: serve.and_then(|s| s.public_url.clone()).or(file.public_url),
            trust_proxy: serve.is_some_and(|s| s.trust_proxy) || file.trust_proxy.unwrap_or(false),
            trusted_proxies: serve
                .and_then(|s| s.trusted_proxies)
                .or(file.trusted_proxies)
                .unwrap_or(1)
                .max(1),
            session_hours,
            shutdown_grace: std::time::Duration::from_secs(
                serve
                    .and_then(|s| s.shutdown_grace)
                    .or(file.shutdown_grace_secs)
                    .unwrap_or(30),
            ),
            // From the environment only, not a flag: flags show in `ps`.
            metrics_token: std::env::var("KI_REISE_METRICS_TOKEN")
                .ok()
                .or(file.metrics_token)
                .filter(|t| !t.trim().is_empty()),
        })
    }
}

/// The bind password from the environment wins (files are easily shared);
/// the CA certificate file is read once here.
fn resolve_directory(
    mut d: portal::directory::config::DirectoryConfig,
) -> Result<portal::directory::config::DirectoryConfig, CliError> {
    if let Ok(pw) = std::env::var("KI_REISE_DIRECTORY_BIND_PASSWORD") {
        d.bind_password = pw;
    }
    if let Some(path) = &d.ca_cert_file {
        d.ca_cert_pem = std::fs::read_to_string(path).map_err(|e| {
            CliError(format!(
                "Das CA-Zertifikat „{}“ (directory.ca_cert_file) ist nicht lesbar: {e}.",
                path.display()
            ))
        })?;
    }
    Ok(d)
}

pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KI_REISE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_config_parses_and_names_every_setting() {
        let parsed: FileConfig = toml::from_str(DEFAULT_CONFIG).unwrap();
        assert_eq!(parsed.bind.as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(parsed.trust_proxy, Some(false));
        assert_eq!(parsed.session_hours, Some(12));
        assert_eq!(parsed.shutdown_grace_secs, Some(30));
        let gw = parsed.gateway.unwrap();
        assert_eq!(gw.max_body_bytes, 1024 * 1024);
        assert_eq!(gw.local.queue, 64);
        assert_eq!(gw.embeddings, gateway::EmbeddingConfig::default());
        assert_eq!(gw.local.kv_cache, engine::KvType::F16);
    }

    #[test]
    fn the_kv_cache_type_is_one_the_engine_knows() {
        let parsed: FileConfig = toml::from_str("[gateway.local]\nkv_cache = \"Q8_0\"\n").unwrap();
        assert_eq!(parsed.gateway.unwrap().local.kv_cache, engine::KvType::Q8_0);
        let e = toml::from_str::<FileConfig>("[gateway.local]\nkv_cache = \"q4\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("„q4“ ist kein Typ des KV-Caches"), "{e}");
    }

    /// The commented example between two lines of the default file, with
    /// the comment signs taken away.
    fn example(from: &str, to: &str) -> FileConfig {
        let start = DEFAULT_CONFIG.find(from).unwrap();
        let end = DEFAULT_CONFIG.find(to).unwrap();
        let text: String = DEFAULT_CONFIG[start..end]
            .lines()
            .map(|l| l.strip_prefix("# ").unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n");
        toml::from_str(&text).unwrap()
    }

    /// The commented `[directory]` example, switched on, is a valid setting.
    #[test]
    fn the_directory_example_parses_when_uncommented() {
        let d = example("# [directory]", "# Anmeldung über den Anmeldedienst")
            .directory
            .unwrap();
        assert!(d.enabled);
        assert_eq!(d.mapping.roles.len(), 2);
        assert_eq!(
            d.mapping.functions[0].function,
            journey::access::Function::DataProtection
        );
        assert_eq!(
            d.ca_cert_file,
            Some(PathBuf::from("/etc/ki-reise/interne-ca.pem"))
        );
        assert!(d.problems().is_empty(), "{:?}", d.problems());
    }

    /// The commented SMTP example, switched on, is STARTTLS with the
    /// internal CA; a mode that does not exist is refused in German.
    #[test]
    fn the_smtp_example_parses_when_uncommented() {
        let start = DEFAULT_CONFIG.find("# smtp_host").unwrap();
        let end = DEFAULT_CONFIG[start..].find("\n\n").unwrap() + start;
        let example: String = DEFAULT_CONFIG[start..end]
            .lines()
            .map(|l| l.strip_prefix("# ").unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n");
        let file: FileConfig = toml::from_str(&example).unwrap();
        let smtp = resolve_smtp(None, &file).unwrap().unwrap();
        assert_eq!(smtp.security, portal::mail::SmtpSecurity::Starttls);
        assert_eq!(smtp.port, 587);
        assert_eq!(
            smtp.ca_file,
            Some(PathBuf::from("/etc/ki-reise/interne-ca.pem"))
        );
        assert_eq!(smtp.batch_size, 20);
        let wrong: FileConfig =
            toml::from_str("smtp_host = \"m\"\nsmtp_from = \"a@b.de\"\nsmtp_security = \"ssl\"")
                .unwrap();
        let e = resolve_smtp(None, &wrong).unwrap_err();
        assert!(e.0.contains("none, starttls und tls"), "{}", e.0);
        let plain: FileConfig =
            toml::from_str("smtp_host = \"m\"\nsmtp_from = \"a@b.de\"").unwrap();
        assert_eq!(resolve_smtp(None, &plain).unwrap().unwrap().port, 25);
    }

    /// The commented `[oidc]` example, switched on, is a valid setting.
    #[test]
    fn the_oidc_example_parses_when_uncommented() {
        let mut o = example("# [oidc]", "# KI-Gateway").oidc.unwrap();
        assert!(o.enabled);
        assert_eq!(o.mapping.roles.len(), 2);
        assert_eq!(o.scope(), "openid email profile");
        o.client_secret = "aus-der-umgebung".into();
        assert!(o.problems().is_empty(), "{:?}", o.problems());
    }

    #[test]
    fn flags_win_over_the_file() {
        let dir = std::env::temp_dir().join(format!("kr-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("k.toml");
        std::fs::write(&file, "bind = \"0.0.0.0:9000\"\ndata = \"/srv/ki\"\n").unwrap();
        let db = DbArgs {
            data: None,
            database_url: None,
            config: Some(file.clone()),
        };
        let serve = ServeArgs {
            bind: Some("127.0.0.1:1".into()),
            public_url: None,
            trust_proxy: false,
            trusted_proxies: None,
            smtp_host: None,
            smtp_port: None,
            smtp_from: None,
            smtp_user: None,
            smtp_security: None,
            smtp_ca_file: None,
            model: Some(PathBuf::from("/modelle/klein.gguf")),
            shutdown_grace: Some(2),
            db: db.clone(),
        };
        let s = Settings::resolve(&db, Some(&serve)).unwrap();
        assert_eq!(s.bind, "127.0.0.1:1");
        assert_eq!(s.shutdown_grace, std::time::Duration::from_secs(2));
        assert_eq!(s.data, PathBuf::from("/srv/ki"));
        assert_eq!(
            s.gateway.local.model,
            Some(PathBuf::from("/modelle/klein.gguf"))
        );
        std::fs::write(&file, "bind = 5\n").unwrap();
        assert!(Settings::resolve(&db, None)
            .unwrap_err()
            .0
            .contains("fehlerhaft"));
    }
}
