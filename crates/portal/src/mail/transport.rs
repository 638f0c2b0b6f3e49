//! SMTP as the operator configured it: plain to an internal relay,
//! STARTTLS, or implicit TLS; optionally with login. TLS is rustls with
//! the ring provider (already in the build for the directory), so no
//! second crypto library comes in. The CA file is read once at start from
//! the path in the operator's configuration; no user value reaches it.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain SMTP (port 25), for a relay inside the administration's network.
    #[default]
    None,
    /// Plain connect, then STARTTLS, required (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl SmtpSecurity {
    pub fn parse(s: &str) -> Option<SmtpSecurity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "" => Some(SmtpSecurity::None),
            "starttls" => Some(SmtpSecurity::Starttls),
            "tls" => Some(SmtpSecurity::Tls),
            _ => None,
        }
    }

    /// The usual port of the mode.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::None => 25,
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SmtpSecurity::None => "ohne TLS",
            SmtpSecurity::Starttls => "STARTTLS",
            SmtpSecurity::Tls => "TLS",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// Sender, e.g. `KI-Reise <ki-reise@stadt.de>`.
    pub from: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub security: SmtpSecurity,
    /// PEM file of the internal CA that signed the server's certificate;
    /// when given, only it is trusted (not the public roots).
    pub ca_file: Option<PathBuf>,
    /// Messages the outbox sends per batch.
    pub batch_size: usize,
    /// Pause between two batches: with `batch_size`, the sending rate.
    pub batch_interval: Duration,
    /// First wait after a failed attempt; it doubles per attempt (at most
    /// an hour).
    pub retry_base: Duration,
    /// Attempts before a message is given up.
    pub max_attempts: i64,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: String::new(),
            port: 25,
            from: String::new(),
            username: None,
            password: None,
            security: SmtpSecurity::None,
            ca_file: None,
            batch_size: 20,
            batch_interval: Duration::from_secs(10),
            retry_base: Duration::from_secs(60),
            max_attempts: 10,
        }
    }
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    pub config: SmtpConfig,
}

/// What a link is for; decides the wording of the email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkMail {
    Invite,
    Reset,
}

/// Why a message did not go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// A German sentence for the administration.
    pub message: String,
    /// The server refused for good (5xx, e.g. unknown mailbox): trying
    /// again would not help.
    pub permanent: bool,
}

impl Mailer {
    pub fn new(config: &SmtpConfig) -> Result<Mailer, String> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| format!("Die Absenderadresse „{}“ ist ungültig: {e}", config.from))?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .timeout(Some(Duration::from_secs(30)));
        if config.security != SmtpSecurity::None {
            let tls = tls_parameters(config)?;
            builder = builder.tls(match config.security {
                SmtpSecurity::Tls => Tls::Wrapper(tls),
                _ => Tls::Required(tls),
            });
        }
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
            config: config.clone(),
        })
    }

    /// Sends the one-time link; the error is a German sentence for the admin.
    pub async fn send_link(
        &self,
        kind: LinkMail,
        to_name: &str,
        to_email: &str,
        municipality: &str,
        url: &str,
    ) -> Result<(), String> {
        let (subject, body) = match kind {
            LinkMail::Invite => (
                format!("Einladung zur KI-Reise {municipality}"),
                format!(
                    "Guten Tag {to_name},\n\nSie wurden zu ki-reise eingeladen, der Plattform für die KI-Reise {municipality}.\n\nÜber diesen Link legen Sie Ihr Passwort fest (gültig 7 Tage, nur einmal nutzbar):\n{url}\n\nWenn Sie diese Einladung nicht erwartet haben, ignorieren Sie diese E-Mail bitte.\n"
                ),
            ),
            LinkMail::Reset => (
                "Neues Passwort für ki-reise".to_string(),
                format!(
                    "Guten Tag {to_name},\n\nfür Ihr Konto bei ki-reise ({municipality}) wurde ein neues Passwort angefordert.\n\nÜber diesen Link legen Sie es fest (gültig 7 Tage, nur einmal nutzbar):\n{url}\n\nWenn Sie das nicht veranlasst haben, wenden Sie sich bitte an die Administration.\n"
                ),
            ),
        };
        self.send(to_name, to_email, subject, body).await
    }

    /// Sends a plain-text notice at once; the error is a German sentence
    /// for the log.
    pub async fn send(
        &self,
        to_name: &str,
        to_email: &str,
        subject: String,
        body: String,
    ) -> Result<(), String> {
        self.send_message(Outgoing {
            message_id: None,
            to_name,
            to_email,
            subject,
            body,
            calendar: None,
        })
        .await
        .map_err(|e| e.message)
    }

    /// Sends one message.
    pub async fn send_message(&self, m: Outgoing<'_>) -> Result<(), SendError> {
        let invalid = |message: String| SendError {
            message,
            permanent: true,
        };
        let to_email = m.to_email;
        let to: Mailbox = format!("{} <{to_email}>", m.to_name)
            .parse()
            .or_else(|_| to_email.parse())
            .map_err(|e| invalid(format!("Die Empfängeradresse {to_email} ist ungültig: {e}")))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject);
        if let Some(id) = m.message_id {
            builder = builder.message_id(Some(format!("<{id}@{}>", self.from.email.domain())));
        }
        let built = match m.calendar {
            None => builder.header(ContentType::TEXT_PLAIN).body(m.body),
            Some((file, ics)) => builder.multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(m.body))
                    .singlepart(Attachment::new(file).body(ics, calendar_type())),
            ),
        };
        let message =
            built.map_err(|e| invalid(format!("Die E-Mail konnte nicht erstellt werden: {e}")))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| SendError {
                message: format!("Die E-Mail an {to_email} konnte nicht gesendet werden: {e}"),
                permanent: e.is_permanent(),
            })
    }
}

/// One message to send.
pub struct Outgoing<'a> {
    /// The outbox id: it becomes the Message-ID, so a copy sent twice
    /// after a crash can be recognised.
    pub message_id: Option<&'a str>,
    pub to_name: &'a str,
    pub to_email: &'a str,
    pub subject: String,
    pub body: String,
    /// A calendar file to attach (file name, iCalendar text).
    pub calendar: Option<(String, String)>,
}

fn calendar_type() -> ContentType {
    ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
        .unwrap_or(ContentType::TEXT_PLAIN)
}

/// TLS towards `host`: the internal CA alone when the operator named its
/// file, else the public roots.
fn tls_parameters(config: &SmtpConfig) -> Result<TlsParameters, String> {
    let mut builder = TlsParameters::builder(config.host.clone());
    if let Some(path) = &config.ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            format!(
                "Die CA-Datei „{}“ für den SMTP-Server ist nicht lesbar: {e}.",
                path.display()
            )
        })?;
        let not_pem = || {
            format!(
                "Die CA-Datei „{}“ enthält kein Zertifikat im PEM-Format.",
                path.display()
            )
        };
        if !pem
            .windows(b"-----BEGIN CERTIFICATE-----".len())
            .any(|w| w == b"-----BEGIN CERTIFICATE-----")
        {
            return Err(not_pem());
        }
        let cert = Certificate::from_pem(&pem).map_err(|_| not_pem())?;
        builder = builder
            .certificate_store(CertificateStore::None)
            .add_root_certificate(cert);
    }
    builder
        .build_rustls()
        .map_err(|e| format!("TLS für den SMTP-Server lässt sich nicht einrichten: {e}"))
}
