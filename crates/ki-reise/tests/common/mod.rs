//! Test support for the tests that run the `ki-reise` binary: the test
//! model, the command with a clean environment, an account with an API key.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

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
