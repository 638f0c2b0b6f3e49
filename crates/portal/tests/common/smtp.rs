//! A local SMTP sink for the stories that send mail: it accepts every
//! message and keeps its DATA (no mail leaves the machine). It speaks
//! plain SMTP, STARTTLS or implicit TLS with a certificate from a test CA
//! made with openssl at start, and may demand a login (AUTH PLAIN).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio_rustls::rustls;

/// The messages received so far.
pub type Mails = Arc<Mutex<Vec<String>>>;

/// How the sink protects its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkTls {
    None,
    StartTls,
    Implicit,
}

/// A running sink.
pub struct Sink {
    pub port: u16,
    pub mails: Mails,
    /// Per message received: whether it came over TLS.
    pub over_tls: Arc<Mutex<Vec<bool>>>,
    /// The test CA's certificate (PEM file) for the client to trust.
    pub ca_file: PathBuf,
    /// Mailboxes the server refuses for good (550 to RCPT TO).
    refused: Arc<Mutex<Vec<String>>>,
    /// Holds the certificates' folder.
    _dir: Option<tempfile::TempDir>,
    task: tokio::task::JoinHandle<()>,
}

impl Sink {
    /// From now on, mail to `address` is refused for good (550).
    pub fn refuse(&self, address: &str) {
        self.refused.lock().unwrap().push(address.to_string());
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A minimal plain SMTP server: accepts every message and keeps its DATA.
pub async fn smtp_sink() -> (u16, Mails) {
    let sink = start_sink(0, SinkTls::None, None).await;
    let out = (sink.port, sink.mails.clone());
    // The plain sink lives as long as the test's runtime.
    std::mem::forget(sink);
    out
}

/// A sink on `port` (0: a free one) with the given protection and, if
/// given, the one login it accepts.
pub async fn start_sink(port: u16, tls: SinkTls, login: Option<(&str, &str)>) -> Sink {
    let dir = (tls != SinkTls::None).then(|| tempfile::tempdir().unwrap());
    if let Some(d) = &dir {
        super::slapd::make_certificates(d.path());
    }
    let certs = dir.as_ref().map(|d| d.path().to_path_buf());
    serve(port, tls, login, certs, dir).await
}

/// A sink with TLS whose certificates are already in `certs` (from
/// [`super::slapd::make_certificates`]), e.g. one that comes up later.
pub async fn start_sink_with_ca(
    port: u16,
    tls: SinkTls,
    login: Option<(&str, &str)>,
    certs: &std::path::Path,
) -> Sink {
    serve(port, tls, login, Some(certs.to_path_buf()), None).await
}

async fn serve(
    port: u16,
    tls: SinkTls,
    login: Option<(&str, &str)>,
    certs: Option<PathBuf>,
    dir: Option<tempfile::TempDir>,
) -> Sink {
    let acceptor = certs
        .as_deref()
        .filter(|_| tls != SinkTls::None)
        .map(acceptor);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let mails: Mails = Arc::default();
    let over_tls: Arc<Mutex<Vec<bool>>> = Arc::default();
    let expected_auth = login.map(|(u, p)| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("\0{u}\0{p}"))
    });
    let refused: Arc<Mutex<Vec<String>>> = Arc::default();
    let session = Session {
        mails: mails.clone(),
        over_tls: over_tls.clone(),
        auth: expected_auth,
        refused: refused.clone(),
    };
    let task = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let session = session.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                match (tls, acceptor) {
                    (SinkTls::Implicit, Some(a)) => {
                        if let Ok(stream) = a.accept(socket).await {
                            session.run(stream, true, true, None).await;
                        }
                    }
                    (SinkTls::StartTls, Some(a)) => {
                        if let Some(plain) = session.run(socket, true, false, Some(())).await {
                            if let Ok(stream) = a.accept(plain).await {
                                session.run(stream, false, true, None).await;
                            }
                        }
                    }
                    _ => {
                        session.run(socket, true, false, None).await;
                    }
                }
            });
        }
    });
    Sink {
        port,
        mails,
        over_tls,
        ca_file: certs.map(|c| c.join("ca.pem")).unwrap_or_default(),
        refused,
        _dir: dir,
        task,
    }
}

fn acceptor(dir: &std::path::Path) -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("server.pem"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

#[derive(Clone)]
struct Session {
    mails: Mails,
    over_tls: Arc<Mutex<Vec<bool>>>,
    /// The base64 of AUTH PLAIN that is accepted; without, none is asked.
    auth: Option<String>,
    refused: Arc<Mutex<Vec<String>>>,
}

impl Session {
    /// Speaks SMTP on `stream`. With `starttls` offered, a STARTTLS
    /// command ends the plain part and hands the stream back for the
    /// handshake. Mail is refused before a login when one is demanded.
    async fn run<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        stream: S,
        greet: bool,
        tls: bool,
        starttls: Option<()>,
    ) -> Option<S> {
        let mut reader = BufReader::new(stream);
        if greet {
            reader.get_mut().write_all(b"220 sink ESMTP\r\n").await.ok();
        }
        let mut in_data = false;
        let mut data = String::new();
        let mut logged_in = self.auth.is_none();
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                return None;
            }
            let text = line.trim_end_matches(['\r', '\n']);
            let w = reader.get_mut();
            if in_data {
                if text == "." {
                    in_data = false;
                    self.mails.lock().unwrap().push(std::mem::take(&mut data));
                    self.over_tls.lock().unwrap().push(tls);
                    w.write_all(b"250 queued\r\n").await.ok();
                } else {
                    data.push_str(text);
                    data.push('\n');
                }
                continue;
            }
            let upper = text.to_ascii_uppercase();
            if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                let mut reply = String::from("250-sink\r\n");
                if starttls.is_some() {
                    reply.push_str("250-STARTTLS\r\n");
                }
                if self.auth.is_some() {
                    reply.push_str("250-AUTH PLAIN\r\n");
                }
                reply.push_str("250 8BITMIME\r\n");
                w.write_all(reply.as_bytes()).await.ok();
            } else if upper.starts_with("STARTTLS") && starttls.is_some() {
                w.write_all(b"220 go ahead\r\n").await.ok();
                return Some(reader.into_inner());
            } else if upper.starts_with("AUTH PLAIN") {
                let given = text.get("AUTH PLAIN ".len()..).unwrap_or("").trim();
                if Some(given) == self.auth.as_deref() {
                    logged_in = true;
                    w.write_all(b"235 ok\r\n").await.ok();
                } else {
                    w.write_all(b"535 authentication failed\r\n").await.ok();
                }
            } else if upper.starts_with("MAIL") && !logged_in {
                w.write_all(b"530 authentication required\r\n").await.ok();
            } else if upper.starts_with("RCPT")
                && self
                    .refused
                    .lock()
                    .unwrap()
                    .iter()
                    .any(|r| text.contains(r.as_str()))
            {
                w.write_all(b"550 5.1.1 mailbox unavailable\r\n").await.ok();
            } else if upper.starts_with("DATA") {
                in_data = true;
                w.write_all(b"354 go on\r\n").await.ok();
            } else if upper.starts_with("QUIT") {
                w.write_all(b"221 bye\r\n").await.ok();
                return None;
            } else {
                w.write_all(b"250 ok\r\n").await.ok();
            }
        }
    }
}

/// A PortalConfig that sends mail to the plain sink on `port`.
pub fn smtp_config(port: u16) -> portal::PortalConfig {
    portal::PortalConfig {
        smtp: Some(portal::mail::SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            from: "KI-Reise <ki-reise@musterstadt.de>".into(),
            // Quick rounds of the outbox job, so notices arrive at once.
            batch_interval: std::time::Duration::from_millis(100),
            ..Default::default()
        }),
        ..portal::PortalConfig::default()
    }
}

/// The mails in `mails` to `email` so far, [`readable`].
pub fn readable_mails_to(mails: &Mails, email: &str) -> Vec<String> {
    mails
        .lock()
        .unwrap()
        .iter()
        .map(|m| readable(m.as_str()))
        .filter(|m| m.lines().any(|l| l.starts_with("To:") && l.contains(email)))
        .collect()
}

/// A received mail made readable: each part's body decoded as its
/// `Content-Transfer-Encoding` says (lettre picks 7bit, quoted-printable
/// or base64, whichever is shortest), line ends as LF. Parts stay in place
/// between their boundary lines.
pub fn readable(raw: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    let mut out = String::new();
    let mut part = String::new();
    for line in raw.split_inclusive('\n') {
        if line.starts_with("--") {
            out.push_str(&decode_part(&part));
            out.push_str(line);
            part.clear();
        } else {
            part.push_str(line);
        }
    }
    out.push_str(&decode_part(&part));
    out
}

fn decode_part(part: &str) -> String {
    use base64::Engine;
    let Some((head, body)) = part.split_once("\n\n") else {
        return part.to_string();
    };
    let encoding = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Transfer-Encoding:"))
        .map(|e| e.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let bytes = match encoding.as_str() {
        "base64" => {
            let compact: String = body.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .unwrap_or_else(|_| body.as_bytes().to_vec())
        }
        "quoted-printable" => unquote(&body.replace("=\n", "")),
        _ => return part.to_string(),
    };
    format!("{head}\n\n{}\n", String::from_utf8_lossy(&bytes))
}

/// Quoted-printable `=XX` to bytes (soft breaks already removed).
fn unquote(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (b[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}
