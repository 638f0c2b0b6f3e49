//! `n` > 1 on the local engine (SmolLM2): n choices in one answer, for chat
//! and completions, whole and streamed (each chunk with its choice's
//! `index`), different from each other when sampled, the same when greedy,
//! usage (answer and records) counting the prompt once; `n` above the cap is a clear 400.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::{serve, smollm2_gateway, sse_data};
use gateway::local::Limits;
use gateway::Gateway;
use serde_json::{json, Value};

async fn server() -> Option<(String, String)> {
    let (base, key, _, _) = server_with_usage().await?;
    Some((base, key))
}

async fn server_with_usage() -> Option<(String, String, Arc<Gateway>, store::Store)> {
    let limits = Limits {
        max_sequences: 8,
        max_total_tokens: 4096,
        ..Limits::default()
    };
    let (gw, account, _) = smollm2_gateway(limits, 16, 512).await?;
    let base = serve(Arc::clone(&gw)).await;
    Some((base, account.key, gw, account.store))
}

async fn post(base: &str, key: &str, path: &str, body: Value) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn chat(n: u32, temperature: f32, stream: bool) -> Value {
    json!({
        "model": "smollm2",
        "messages": [{"role": "user", "content": "Write a short poem about a town hall."}],
        "n": n, "max_tokens": 16, "temperature": temperature, "seed": 7, "ignore_eos": true,
        "stream": stream, "stream_options": {"include_usage": true},
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n_choices_whole_and_streamed_for_chat_and_completions() {
    let Some((base, key, gw, db)) = server_with_usage().await else {
        return;
    };
    // Chat, whole: four different choices, indexed 0..4.
    let (status, text) = post(&base, &key, "/chat/completions", chat(4, 1.0, false)).await;
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    let choices = answer["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 4, "{answer}");
    let texts: Vec<&str> = choices
        .iter()
        .map(|c| c["message"]["content"].as_str().unwrap())
        .collect();
    for (i, c) in choices.iter().enumerate() {
        assert_eq!(c["index"], i as u64);
        assert!(c["finish_reason"].is_string(), "{c}");
    }
    let distinct: std::collections::HashSet<_> = texts.iter().collect();
    assert!(distinct.len() > 1, "sampled choices are copies: {texts:?}");
    let usage = &answer["usage"];
    let completion = usage["completion_tokens"].as_u64().unwrap();
    assert_eq!(completion, 64, "{usage}");
    let prompt = usage["prompt_tokens"].as_u64().unwrap();
    assert_eq!(usage["total_tokens"].as_u64().unwrap(), prompt + completion);
    // The usage records (usage page, quotas) agree with the answer: one
    // record per choice, the shared prompt counted once.
    gw.flush_usage().await;
    let day = store::usage::QuotaPeriod::Day.bounds(store::now());
    let records = db.usage_records(day.0, day.1).await.unwrap();
    assert_eq!(records.len(), 4, "{records:?}");
    let metered_in: i64 = records.iter().map(|r| r.tokens_in).sum();
    let metered_out: i64 = records.iter().map(|r| r.tokens_out).sum();
    assert_eq!(
        (metered_in, metered_out),
        (prompt as i64, completion as i64)
    );

    // The same request again: each choice is reproducible from its seed.
    let (_, again) = post(&base, &key, "/chat/completions", chat(4, 1.0, false)).await;
    let again: Value = serde_json::from_str(&again).unwrap();
    let again: Vec<&str> = again["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["message"]["content"].as_str().unwrap())
        .collect();
    assert_eq!(texts, again);

    // Chat, streamed: every chunk names its choice; each choice ends with
    // a finish reason; one usage chunk, then one [DONE] at the very end.
    let (status, body) = post(&base, &key, "/chat/completions", chat(3, 1.0, true)).await;
    assert_eq!(status, 200, "{body}");
    let events = sse_data(&body);
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"), "{body}");
    assert_eq!(events.iter().filter(|e| *e == "[DONE]").count(), 1);
    let mut streamed: BTreeMap<u64, (String, Option<String>)> = BTreeMap::new();
    let mut usages = Vec::new();
    for e in &events[..events.len() - 1] {
        let chunk: Value = serde_json::from_str(e).unwrap();
        if chunk["usage"].is_object() {
            usages.push(chunk["usage"].clone());
        }
        for c in chunk["choices"].as_array().unwrap() {
            let entry = streamed.entry(c["index"].as_u64().unwrap()).or_default();
            entry
                .0
                .push_str(c["delta"]["content"].as_str().unwrap_or(""));
            if let Some(f) = c["finish_reason"].as_str() {
                entry.1 = Some(f.to_string());
            }
        }
    }
    assert_eq!(streamed.keys().copied().collect::<Vec<_>>(), vec![0, 1, 2]);
    assert!(
        streamed.values().all(|(t, f)| !t.is_empty() && f.is_some()),
        "{streamed:?}"
    );
    assert_eq!(usages.len(), 1, "{body}");
    assert_eq!(usages[0]["completion_tokens"], 48, "{}", usages[0]);

    // Completions: n texts, greedy choices are all the same.
    let (status, text) = post(
        &base,
        &key,
        "/completions",
        json!({"model": "smollm2", "prompt": "The town hall is", "n": 2,
               "max_tokens": 8, "temperature": 0}),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    let choices = answer["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 2);
    assert_eq!(choices[0]["text"], choices[1]["text"]);
    assert_eq!(choices[1]["index"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n_above_the_cap_is_refused_naming_n() {
    let Some((base, key)) = server().await else {
        return;
    };
    for n in [0, 9, 100] {
        let (status, text) = post(&base, &key, "/chat/completions", chat(n, 1.0, false)).await;
        assert_eq!(status, 400, "{text}");
        let e: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(e["error"]["param"], "n", "{e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("zwischen 1 und 8"),
            "{e}"
        );
    }
}
