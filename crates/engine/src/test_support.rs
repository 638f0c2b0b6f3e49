//! For tests here and in crates built on the engine: where the SmolLM2 test
//! model lies (fetched by `scripts/fetch-test-model.sh`).

use std::path::PathBuf;

/// The SmolLM2 test model, or `None` (with a notice) when it has not been
/// fetched; under CI its absence is a failure.
pub fn test_model() -> Option<PathBuf> {
    let path = std::env::var_os("KI_REISE_TEST_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf")
        });
    if path.exists() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "test model missing at {}: run scripts/fetch-test-model.sh first",
            path.display()
        );
    }
    eprintln!(
        "skipping: test model not found at {} (run scripts/fetch-test-model.sh)",
        path.display()
    );
    None
}
