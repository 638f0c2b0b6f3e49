//! A local SMTP sink for the stories that send mail: it accepts every
//! message and keeps its DATA (no mail leaves the machine).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The port to configure and the messages received so far.
pub type Mails = Arc<Mutex<Vec<String>>>;

/// A minimal SMTP server: accepts every message and keeps its DATA.
pub async fn smtp_sink() -> (u16, Mails) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mails = Arc::new(Mutex::new(Vec::new()));
    let store = mails.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.ok();
                let mut in_data = false;
                let mut data = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            store.lock().unwrap().push(std::mem::take(&mut data));
                            write.write_all(b"250 queued\r\n").await.ok();
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250 sink\r\n"
                    } else if upper.starts_with("DATA") {
                        in_data = true;
                        b"354 go on\r\n"
                    } else if upper.starts_with("QUIT") {
                        write.write_all(b"221 bye\r\n").await.ok();
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    write.write_all(reply).await.ok();
                }
            });
        }
    });
    (port, mails)
}

/// A PortalConfig that sends mail to the sink on `port`.
pub fn smtp_config(port: u16) -> portal::PortalConfig {
    portal::PortalConfig {
        smtp: Some(portal::mail::SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            from: "KI-Reise <ki-reise@musterstadt.de>".into(),
            username: None,
            password: None,
        }),
        ..portal::PortalConfig::default()
    }
}
