//! `ki-reise serve` on SIGTERM: requests in flight get the grace period
//! (`--shutdown-grace`), then an open stream ends with an error event and
//! `[DONE]`, and the process exits instead of waiting for the stream.

mod common;

use common::{api_key, has_text, ki_reise, test_model, wait_for_serve};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const GRACE_SECS: u64 = 2;

/// Starts `serve` on a free port and returns the process, `host:port` and
/// the local model's id once the gateway is up.
fn serve(data: &Path, model: &Path) -> (Child, String, String) {
    let mut child = ki_reise(data)
        .args(["serve", "--bind", "127.0.0.1:0", "--model"])
        .arg(model)
        .args(["--shutdown-grace", &GRACE_SECS.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (address, model_id) = wait_for_serve(&mut child, true);
    (child, address, model_id.expect("model id printed"))
}

/// The server goes when the test does, also when an assertion fails.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn sigterm_ends_an_open_stream_after_the_grace_period_and_exits() {
    let Some(model) = test_model() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("daten");
    let key = api_key(&data, "admin");
    let (child, address, model_id) = serve(&data, &model);
    let mut child = KillOnDrop(child);

    // A long answer: thousands of tokens, no stop at end of text.
    let body = serde_json::json!({
        "model": model_id,
        "messages": [{"role": "user", "content": "Erzähle eine lange Geschichte."}],
        "stream": true,
        "max_tokens": 3500,
        "ignore_eos": true,
    })
    .to_string();
    let mut stream = TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 8192];
    // Wait until text is streaming.
    while !has_text(&String::from_utf8_lossy(&seen)) {
        let n = stream
            .read(&mut buf)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&seen)));
        assert!(n > 0, "{}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    let before = seen.len();
    let terminated = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    let cut_after = terminated.elapsed();
    let exit = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            terminated.elapsed() < Duration::from_secs(GRACE_SECS + 8),
            "still running {:?} after SIGTERM",
            terminated.elapsed()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let exited_after = terminated.elapsed();
    let after = String::from_utf8_lossy(&seen[before..]).into_owned();
    assert!(exit.success(), "{exit:?}");
    // The stream ran on through the grace period, then ended clearly.
    assert!(
        cut_after >= Duration::from_secs(GRACE_SECS),
        "cut after {cut_after:?}"
    );
    assert!(
        exited_after < Duration::from_secs(GRACE_SECS + 4),
        "exited after {exited_after:?}"
    );
    let error_at = after
        .find("\"code\":\"server_shutting_down\"")
        .unwrap_or_else(|| panic!("no error event: {after}"));
    let done_at = after.find("data: [DONE]").expect("[DONE]");
    assert!(error_at < done_at, "{after}");
    assert!(after.contains("Der Server wird beendet"), "{after}");
    assert!(
        has_text(&after[..error_at]),
        "text went on during the grace period: {after}"
    );
}
