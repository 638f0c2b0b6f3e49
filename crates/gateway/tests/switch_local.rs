//! Switching the local model while the gateway runs (issue 27): an answer
//! already streaming ends on the old model, the next request goes to the
//! new one, the old model's memory is given back once its last answer has
//! ended, and a model file without sampling of its own samples as the
//! model catalogue says.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{chat_request, gateway_with_local, serve, test_model};
use futures_util::StreamExt;
use gateway::LocalConfig;
use serde_json::{json, Value};

/// SmolLM2 under the file name `name` (a link), so that it gets its own id.
fn linked(dir: &std::path::Path, name: &str) -> Option<std::path::PathBuf> {
    let path = dir.join(name);
    std::os::unix::fs::symlink(test_model()?, &path).ok()?;
    Some(path)
}

fn config() -> LocalConfig {
    LocalConfig {
        threads: Some(2),
        context: 1024,
        ..LocalConfig::default()
    }
}

fn chat(model: &str, stream: bool, max_tokens: u32) -> Value {
    json!({"model": model, "stream": stream, "max_tokens": max_tokens, "temperature": 0,
        "messages": [{"role": "user", "content": "Count from one to twenty."}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switch_lets_the_running_answer_finish_and_sends_the_next_request_to_the_new_model() {
    let dir = std::env::temp_dir().join(format!("ki-reise-switch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (Some(a), Some(b)) = (linked(&dir, "alt.gguf"), linked(&dir, "neu.gguf")) else {
        eprintln!("skipped: test model missing (scripts/fetch-test-model.sh)");
        return;
    };
    let old = engine::Model::load(&a).unwrap().shared();
    let old_weak = Arc::downgrade(&old);
    let local = gateway::LocalBackend::start(old, config().options("alt".into())).unwrap();
    let (gw, acc) = gateway_with_local(local).await;
    let base = serve(gw.clone()).await;

    // An answer starts streaming on the old model ...
    let running = chat_request(&base, &acc.key, None, &chat("alt", true, 48))
        .send()
        .await
        .unwrap();
    assert_eq!(running.status(), 200);
    let mut body = running.bytes_stream();
    let first = body.next().await.unwrap().unwrap();
    assert!(!first.is_empty());

    // ... and the administration switches to the new one.
    let switched = gateway::local::load(&b, &config(), None).unwrap();
    gw.switch_local(Some(switched));
    assert_eq!(gw.local_model_id().as_deref(), Some("neu"));

    let mut rest = String::from_utf8_lossy(&first).into_owned();
    while let Some(chunk) = body.next().await {
        rest.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
    }
    let events = common::sse_data(&rest);
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"), "{rest}");
    assert!(
        !rest.contains("\"error\""),
        "the running answer ended without an error: {rest}"
    );
    let text: String = events
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(e).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert!(text.len() > 10, "the old model finished its answer: {text}");

    // New requests go to the new model; the old name is gone.
    let r = chat_request(&base, &acc.key, None, &chat("neu", false, 8))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["model"], "neu");
    let r = chat_request(&base, &acc.key, None, &chat("alt", false, 8))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "{}", r.text().await.unwrap());
    let listed: Vec<String> = gw.models().into_iter().map(|m| m.id).collect();
    assert_eq!(listed, ["neu"]);

    // The old engine ends once its last answer has: its model is freed.
    let mut freed = false;
    for _ in 0..100 {
        if old_weak.upgrade().is_none() {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(freed, "the old model is still held");

    // Removing the local model leaves no local backend.
    gw.switch_local(None);
    assert_eq!(gw.local_model_id(), None);
    assert!(gw.models().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_model_file_without_sampling_of_its_own_samples_as_the_catalogue_says() {
    let catalogue = journey::models::Catalogue::shipped().unwrap();
    let Some(model) = test_model() else {
        eprintln!("skipped: test model missing");
        return;
    };
    let from_catalogue = gateway::local::sampling_for_file(&catalogue, &model)
        .expect("SmolLM2's file is in the catalogue");
    let entry = catalogue
        .models
        .iter()
        .find(|m| m.id == "smollm2-135m-instruct")
        .unwrap();
    assert_eq!(from_catalogue.temperature, entry.sampling.temperature);
    assert_eq!(Some(from_catalogue.top_p), entry.sampling.top_p);
    assert_ne!(
        from_catalogue,
        engine::SamplerOptions::recommended(),
        "the catalogue's values differ from the general recommendation"
    );
    let unknown = std::path::Path::new("/tmp/eigenes-modell.gguf");
    assert!(gateway::local::sampling_for_file(&catalogue, unknown).is_none());

    let backend = gateway::local::load(&model, &config(), Some(&catalogue)).unwrap();
    let file = engine::Model::load(&model).unwrap();
    let names_its_own = file
        .header()
        .get("general.sampling.temp")
        .or_else(|| file.header().get("general.sampling.top_p"))
        .is_some();
    let expected = if names_its_own {
        file.sampling_defaults()
    } else {
        from_catalogue
    };
    assert_eq!(backend.sampling_defaults(), &expected);
    let without = gateway::local::load(&model, &config(), None).unwrap();
    assert_eq!(without.sampling_defaults(), &file.sampling_defaults());
}
