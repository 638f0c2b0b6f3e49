//! Test support for the tests that run the `ki-reise` binary: the test
//! model, the command with a clean environment, an account with an API key.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// The SmolLM2 test model (`scripts/fetch-test-model.sh`); `None` (test
/// skipped) where it is missing outside CI.
pub fn test_model() -> Option<PathBuf> {
    let path = std::env::var_os("KI_REISE_TEST_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf")
        });
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "test model missing at {}: run scripts/fetch-test-model.sh",
        path.display()
    );
    eprintln!("skipping: no test model at {}", path.display());
    None
}

/// `ki-reise` on the data folder `data`, untouched by the caller's
/// `KI_REISE_*` settings.
pub fn ki_reise(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ki-reise"));
    for var in [
        "KI_REISE_DATABASE_URL",
        "KI_REISE_CONFIG",
        "KI_REISE_SHUTDOWN_GRACE",
        "KI_REISE_MODEL",
        "KI_REISE_BIND",
    ] {
        c.env_remove(var);
    }
    c.env("KI_REISE_DATA", data);
    c
}

/// An account with `role` and an API key for it, by the command line.
pub fn api_key(data: &Path, role: &str) -> String {
    let out = ki_reise(data)
        .args(["user", "add", "--email", "ada@stadt.de", "--name", "Ada"])
        .args(["--role", role])
        .env("KI_REISE_PASSWORD", "ein langes Passwort 42")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = ki_reise(data)
        .args(["apikey", "create", "--email", "ada@stadt.de"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Whether a piece of an SSE stream holds a delta with some text.
pub fn has_text(sse: &str) -> bool {
    let key = "\"content\":\"";
    sse.match_indices(key)
        .any(|(at, _)| !sse[at + key.len()..].starts_with('"'))
}

/// Reads a starting `serve`'s stdout (piped) until it names its address
/// and, with a model, the model's id; keeps draining it so the server never
/// blocks on a full pipe, and returns once the server accepts connections.
pub fn wait_for_serve(child: &mut Child, with_model: bool) -> (String, Option<String>) {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut address, mut model_id) = (None, None);
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.split("läuft unter http://").nth(1) {
            address = Some(rest.trim().to_string());
            if !with_model {
                break;
            }
        }
        // "  Modell „id“ über lokal (…)", after "Modell „pfad“ gelesen".
        if let Some(rest) = line
            .trim()
            .strip_prefix("Modell „")
            .filter(|_| line.contains(" über "))
        {
            model_id = rest.split('“').next().map(str::to_string);
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let address = address.expect("address printed");
    let started = Instant::now();
    while TcpStream::connect(&address).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "no server");
        std::thread::sleep(Duration::from_millis(100));
    }
    (address, model_id)
}
