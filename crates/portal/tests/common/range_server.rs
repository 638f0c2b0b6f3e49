//! A small HTTP server for download tests, shared by `ki-reise model add`
//! (crates/ki-reise/tests/model_command.rs) and the portal's catalogue
//! download (crates/portal/tests/model_catalogue_story.rs).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Serves `body` at any path; honours `Range: bytes=N-`. The first
/// `cut_first` responses stop after half the body (a dropped connection).
pub fn serve(body: Vec<u8>, cut_first: usize) -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/modelle/klein.gguf",
        listener.local_addr().unwrap()
    );
    let served = Arc::new(AtomicUsize::new(0));
    let ranged = Arc::new(AtomicUsize::new(0));
    let (s, r) = (served.clone(), ranged.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
            }
            let request = String::from_utf8_lossy(&request).to_lowercase();
            let start = request
                .lines()
                .find_map(|l| l.strip_prefix("range: bytes="))
                .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok());
            let n = s.fetch_add(1, Ordering::SeqCst);
            let (status, from) = match start {
                Some(from) => {
                    r.fetch_add(1, Ordering::SeqCst);
                    ("206 Partial Content", from)
                }
                None => ("200 OK", 0),
            };
            let rest = &body[from..];
            let header = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                rest.len()
            );
            let _ = stream.write_all(header.as_bytes());
            let send = if n < cut_first {
                &rest[..rest.len() / 2]
            } else {
                rest
            };
            let _ = stream.write_all(send);
        }
    });
    (url, served, ranged)
}
