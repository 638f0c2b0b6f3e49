//! Invitation, password-reset and notice emails over SMTP, when an SMTP relay is
//! configured; without one, the portal shows the link to copy instead.
//!
//! Plain SMTP (optionally with login) to the municipality's internal relay:
//! that is how most town halls send mail from applications. TLS to an
//! outside server is not offered yet, since the TLS stack lettre brings would
//! add a second crypto library to the build.

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// Sender, e.g. `KI-Reise <ki-reise@stadt.de>`.
    pub from: String,
    pub username: Option<String>,
    pub password: Option<String>,
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// What a link is for; decides the wording of the email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkMail {
    Invite,
    Reset,
}

impl Mailer {
    pub fn new(config: &SmtpConfig) -> Result<Mailer, String> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| format!("Die Absenderadresse „{}“ ist ungültig: {e}", config.from))?;
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host).port(config.port);
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
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

    /// Sends a plain-text notice (a statement asked for, an adoption
    /// awaited); the error is a German sentence for the log.
    pub async fn send(
        &self,
        to_name: &str,
        to_email: &str,
        subject: String,
        body: String,
    ) -> Result<(), String> {
        let to: Mailbox = format!("{to_name} <{to_email}>")
            .parse()
            .or_else(|_| to_email.parse())
            .map_err(|e| format!("Die Empfängeradresse {to_email} ist ungültig: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| format!("Die E-Mail konnte nicht erstellt werden: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("Die E-Mail an {to_email} konnte nicht gesendet werden: {e}"))
    }
}
