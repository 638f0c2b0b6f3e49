//! Inference on several servers, with real engines: three `ki-reise serve
//! --model` processes are the replicas of one remote backend of a fourth
//! `ki-reise serve` (the gateway). Under load of streaming and whole
//! answers one replica is killed with SIGKILL: requests that had not
//! started go to the survivors, the stream that ran on it ends with an
//! error event, nothing hangs; restarted on the same port it gets requests
//! again.

mod common;

use common::{api_key, has_text, ki_reise, test_model, wait_for_serve};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Per replica at once; the gateway queues the rest.
const MAX_CONCURRENT: usize = 2;
/// Longest a request may take before the test calls it hung.
const HANG: Duration = Duration::from_secs(40);

/// The server goes when the test does, also when an assertion fails.
struct Server {
    child: Child,
    address: String,
    model_id: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `ki-reise serve` on `bind` with the given config and returns it
/// once it accepts connections.
fn serve(data: &Path, config: &Path, bind: &str, model: Option<&Path>) -> Server {
    let mut c = ki_reise(data);
    c.args(["serve", "--bind", bind, "--config"]).arg(config);
    if let Some(m) = model {
        c.arg("--model").arg(m);
    }
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (address, model_id) = wait_for_serve(&mut child, model.is_some());
    Server {
        child,
        address,
        model_id,
    }
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// 200 and a complete answer.
    Answered,
    /// A clean error: a JSON error body or an SSE error event.
    Error(String),
    /// Anything else: no status, cut off, timed out.
    Broken(String),
}

/// A raw HTTP/1.1 request; the connection closes after the answer, so the
/// body is whatever arrives until the end.
fn send(
    address: &str,
    method: &str,
    path: &str,
    key: &str,
    body: &str,
    seen: Option<&AtomicBool>,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(address)?;
    s.set_read_timeout(Some(HANG))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut all = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = s.read(&mut buf)?;
        if n == 0 {
            break;
        }
        all.extend_from_slice(&buf[..n]);
        if let Some(flag) = seen {
            if has_text(&String::from_utf8_lossy(&all)) {
                flag.store(true, Ordering::Relaxed);
            }
        }
    }
    let text = String::from_utf8_lossy(&all).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, text))
}

fn chat(model: &str, stream: bool, max_tokens: u32) -> String {
    serde_json::json!({
        "model": model,
        "messages": [{"role": "user", "content": "Nenne eine Farbe."}],
        "stream": stream,
        "max_tokens": max_tokens,
        "ignore_eos": true,
    })
    .to_string()
}

fn ask(address: &str, key: &str, body: &str, stream: bool, seen: Option<&AtomicBool>) -> Outcome {
    let (status, text) = match send(address, "POST", "/v1/chat/completions", key, body, seen) {
        Ok(r) => r,
        Err(e) => return Outcome::Broken(e.to_string()),
    };
    if status != 200 {
        return if text.contains("\"error\"") {
            Outcome::Error(format!("{status}: {}", text.lines().last().unwrap_or("")))
        } else {
            Outcome::Broken(text)
        };
    }
    if stream {
        if let Some(at) = text.find("data: {\"error\"") {
            return Outcome::Error(text[at..].lines().next().unwrap_or("").to_string());
        }
        if text.contains("\"finish_reason\":\"length\"") && text.contains("data: [DONE]") {
            return Outcome::Answered;
        }
        return Outcome::Broken(text);
    }
    if text.contains("\"finish_reason\":\"length\"") {
        Outcome::Answered
    } else {
        Outcome::Broken(text)
    }
}

/// A value of the gateway's metrics.
fn metric(gateway: &str, key: &str, name: &str, replica: &str) -> Option<f64> {
    let (_, text) = send(gateway, "GET", "/metrics/gateway", key, "", None).ok()?;
    let prefix = format!("{name}{{backend=\"verbund\",replica=\"{replica}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
}

/// Each request's start and end, whether it streamed, and how it ended.
type Log = Arc<Mutex<Vec<(Instant, Instant, bool, Outcome)>>>;

const BACKEND_CONFIG: &str = "[gateway.local]\nthreads = 1\ncontext = 1024\nmax_sequences = 4\nmax_kv_tokens = 8192\nprefix_cache_mb = 0\n";

#[test]
fn a_killed_replica_loses_no_waiting_request_and_rejoins_when_back() {
    let Some(model) = test_model() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // One account for the three replicas (the gateway sends one key).
    let first = tmp.path().join("replica-0");
    let backend_key = api_key(&first, "staff");
    let backend_config = tmp.path().join("replica.toml");
    std::fs::write(&backend_config, BACKEND_CONFIG).unwrap();
    let mut datas = vec![first.clone()];
    for i in 1..3 {
        let data = tmp.path().join(format!("replica-{i}"));
        std::fs::create_dir_all(&data).unwrap();
        for entry in std::fs::read_dir(&first).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                std::fs::copy(entry.path(), data.join(entry.file_name())).unwrap();
            }
        }
        datas.push(data);
    }
    let mut replicas: Vec<Server> = datas
        .iter()
        .map(|d| serve(d, &backend_config, "127.0.0.1:0", Some(&model)))
        .collect();
    let model_id = replicas[0].model_id.clone().expect("model id printed");
    let urls: Vec<String> = replicas
        .iter()
        .map(|r| format!("\"http://{}/v1\"", r.address))
        .collect();

    let front = tmp.path().join("gateway");
    let key = api_key(&front, "staff");
    let front_config = tmp.path().join("gateway.toml");
    std::fs::write(
        &front_config,
        format!(
            "[gateway]\nhealth_interval_secs = 1\n\n[[gateway.backends]]\nname = \"verbund\"\nurls = [{}]\napi_key = \"{backend_key}\"\nmodels = [\"{model_id}\"]\ntimeout_secs = 20\nreach = \"local\"\nlimits = {{ max_concurrent = {MAX_CONCURRENT}, queue = 64, queue_wait_secs = 30, probe_max_secs = 2 }}\n",
            urls.join(", ")
        ),
    )
    .unwrap();
    let gateway = serve(&front, &front_config, "127.0.0.1:0", None);
    let gw = gateway.address.clone();

    // One long stream on each replica (least outstanding spreads them).
    let long: Vec<_> = (0..3)
        .map(|_| {
            let (gw, key, body) = (gw.clone(), key.clone(), chat(&model_id, true, 800));
            let seen = Arc::new(AtomicBool::new(false));
            let flag = Arc::clone(&seen);
            let t = std::thread::spawn(move || ask(&gw, &key, &body, true, Some(&flag)));
            while !seen.load(Ordering::Relaxed) {
                assert!(!t.is_finished(), "a long stream ended early");
                std::thread::sleep(Duration::from_millis(20));
            }
            t
        })
        .collect();

    // Short requests, streamed and whole, from four clients.
    let stop = Arc::new(AtomicBool::new(false));
    let log: Log = Arc::default();
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let (gw, key, model_id) = (gw.clone(), key.clone(), model_id.clone());
            let (stop, log) = (Arc::clone(&stop), Arc::clone(&log));
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let stream = (c + i) % 2 == 0;
                    let at = Instant::now();
                    let outcome = ask(&gw, &key, &chat(&model_id, stream, 8), stream, None);
                    log.lock()
                        .unwrap()
                        .push((at, Instant::now(), stream, outcome));
                    i += 1;
                }
            })
        })
        .collect();

    std::thread::sleep(Duration::from_millis(1000));
    let killed_address = replicas[1].address.clone();
    let killed_url = format!("http://{killed_address}/v1");
    replicas[1].child.kill().unwrap();
    let killed_at = Instant::now();
    replicas[1].child.wait().unwrap();
    std::thread::sleep(Duration::from_secs(4));
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    let long: Vec<Outcome> = long.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(killed_at.elapsed() < HANG, "took {:?}", killed_at.elapsed());

    // The stream on the killed replica ended with an error event; the
    // others ran to their end.
    let errors: Vec<&Outcome> = long
        .iter()
        .filter(|o| matches!(o, Outcome::Error(_)))
        .collect();
    assert_eq!(errors.len(), 1, "{long:?}");
    assert!(
        matches!(errors[0], Outcome::Error(e) if e.contains("backend_error") && e.contains("abgebrochen")),
        "{long:?}"
    );
    assert_eq!(
        long.iter().filter(|o| **o == Outcome::Answered).count(),
        2,
        "{long:?}"
    );

    let log = log.lock().unwrap().clone();
    let after: Vec<_> = log.iter().filter(|(at, ..)| *at > killed_at).collect();
    let during: Vec<_> = log
        .iter()
        .filter(|(at, end, ..)| *at <= killed_at && *end > killed_at)
        .collect();
    assert!(after.len() >= 4, "too few requests after the kill: {log:?}");
    for (_, _, stream, outcome) in &after {
        assert_eq!(
            *outcome,
            Outcome::Answered,
            "a request sent after the kill failed (stream: {stream})"
        );
    }
    // Requests under way on the killed replica end with a clean error;
    // at most as many as it was working on.
    let failed: Vec<_> = during
        .iter()
        .filter(|(.., o)| *o != Outcome::Answered)
        .collect();
    assert!(
        failed.iter().all(|(.., o)| matches!(o, Outcome::Error(_))),
        "{failed:?}"
    );
    assert!(failed.len() < MAX_CONCURRENT, "{failed:?}");
    assert!(log.iter().all(|(.., o)| !matches!(o, Outcome::Broken(_))));
    let first_after = after
        .iter()
        .map(|(_, end, ..)| end.duration_since(killed_at))
        .min()
        .unwrap();
    eprintln!(
        "requests: {} in all, {} under way at the kill ({} failed cleanly), {} after it (all answered); first answer after the kill {first_after:?}",
        log.len(),
        during.len(),
        failed.len(),
        after.len()
    );
    assert_eq!(
        metric(&gw, &key, "kireise_gateway_replica_healthy", &killed_url),
        Some(0.0)
    );
    assert!(
        metric(
            &gw,
            &key,
            "kireise_gateway_replica_errors_total",
            &killed_url
        ) >= Some(1.0)
    );

    // Back on the same port: probed again, healthy, and given requests.
    let before = metric(
        &gw,
        &key,
        "kireise_gateway_replica_requests_total",
        &killed_url,
    )
    .unwrap();
    replicas[1] = serve(&datas[1], &backend_config, &killed_address, Some(&model));
    let back = Instant::now();
    while metric(&gw, &key, "kireise_gateway_replica_healthy", &killed_url) != Some(1.0) {
        assert!(back.elapsed() < Duration::from_secs(15), "not back");
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!("healthy again {:?} after the restart", back.elapsed());
    let round: Vec<_> = (0..6)
        .map(|_| {
            let (gw, key, body) = (gw.clone(), key.clone(), chat(&model_id, false, 8));
            std::thread::spawn(move || ask(&gw, &key, &body, false, None))
        })
        .collect();
    for t in round {
        assert_eq!(t.join().unwrap(), Outcome::Answered);
    }
    let now = metric(
        &gw,
        &key,
        "kireise_gateway_replica_requests_total",
        &killed_url,
    )
    .unwrap();
    assert!(now > before, "the restarted replica got nothing");
}
