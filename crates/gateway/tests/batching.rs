//! Continuous batching on the real engine (SmolLM2): concurrent greedy
//! streams give exactly what they give alone, a cancelled stream frees its
//! slot for a queued request, and a full queue is refused with 429.

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use common::smollm2_gateway;
use gateway::local::Limits;
use gateway::{Caller, Event, Gateway, GenerateRequest, Input, Params};

async fn local_gateway(
    limits: Limits,
    queue: usize,
) -> Option<(Arc<Gateway>, Caller, Arc<gateway::local::Stats>)> {
    let (gw, acc, stats) = smollm2_gateway(limits, queue, 512).await?;
    Some((gw, Caller::user(acc.user), stats))
}

fn request(prompt: &str, max_tokens: u32) -> GenerateRequest {
    GenerateRequest {
        model: "smollm2".into(),
        input: Input::Chat(vec![engine::Message::new("user", prompt)]),
        params: Params {
            max_tokens: Some(max_tokens),
            temperature: Some(0.0),
            ..Params::default()
        },
    }
}

/// Runs one request to its end: (text, completion tokens).
async fn complete(gw: &Arc<Gateway>, caller: &Caller, req: GenerateRequest) -> (String, u32) {
    let mut reply = gw.generate(caller, None, req).await.unwrap();
    let mut text = String::new();
    while let Some(ev) = reply.next().await {
        match ev {
            Event::Text(t) => text.push_str(&t),
            Event::ToolCall(c) => panic!("no tools offered, yet called {c:?}"),
            Event::Logprob(_) => panic!("no logprobs asked for"),
            Event::Done { usage, .. } => return (text, usage.completion_tokens),
            Event::Failed(e) => panic!("{e}"),
        }
    }
    panic!("no end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_greedy_streams_each_get_what_they_get_alone() {
    let limits = Limits {
        max_sequences: 4,
        max_total_tokens: 4096,
        prefill_chunk: 16,
        ..Limits::default()
    };
    let Some((gw, caller, stats)) = local_gateway(limits, 8).await else {
        return;
    };
    let prompts = [
        "What is the capital of France?",
        "Name three colours.",
        "Write a haiku about rain.",
        "Explain what a city council does, in one sentence.",
    ];
    let mut alone = Vec::new();
    for p in prompts {
        alone.push(complete(&gw, &caller, request(p, 24)).await);
    }
    let steps_alone = stats.steps.load(Ordering::Relaxed);
    let together = futures_util::future::join_all(
        prompts
            .iter()
            .map(|p| complete(&gw, &caller, request(p, 24))),
    )
    .await;
    for (a, t) in alone.iter().zip(&together) {
        assert!(!a.0.is_empty());
        assert_eq!(a, t);
    }
    // Together they shared steps: far fewer forward passes than alone.
    let steps_together = stats.steps.load(Ordering::Relaxed) - steps_alone;
    assert!(
        steps_together < steps_alone * 3 / 4,
        "{steps_together} steps together vs {steps_alone} alone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_stream_frees_its_slot_for_a_queued_request_and_a_full_queue_is_429() {
    let limits = Limits {
        max_sequences: 1,
        max_total_tokens: 4096,
        prefill_chunk: 256,
        ..Limits::default()
    };
    let Some((gw, caller, stats)) = local_gateway(limits, 1).await else {
        return;
    };
    let mut long = gw
        .generate(
            &caller,
            None,
            request("Tell a very long story about a town hall.", 400),
        )
        .await
        .unwrap();
    assert!(matches!(long.next().await, Some(Event::Text(_))));
    // The slot is taken; this one waits in the queue of one …
    let queued = gw
        .generate(&caller, None, request("Say hello.", 8))
        .await
        .unwrap();
    // … and the queue is full now.
    let refused = gw
        .generate(&caller, None, request("Say goodbye.", 8))
        .await
        .unwrap_err();
    assert_eq!(refused.status, axum::http::StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.retry_after.is_some());

    drop(long);
    let mut queued = queued;
    let finished = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match queued.next().await {
                Some(Event::Done { usage, .. }) => return usage.completion_tokens,
                Some(Event::Text(_)) => {}
                other => panic!("{other:?}"),
            }
        }
    })
    .await
    .expect("the queued request ran after the cancellation");
    let generated = stats.tokens_generated.load(Ordering::Relaxed);
    assert!(
        generated < 200,
        "the cancelled stream kept generating ({generated} tokens)"
    );
    assert!(finished >= 1);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(stats.running.load(Ordering::Relaxed), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_object_answers_are_valid_json() {
    let Some((gw, caller, _)) = local_gateway(Limits::default(), 4).await else {
        return;
    };
    let mut req = request(
        "Return a JSON object with the key \"city\" and the value \"Halle\".",
        300,
    );
    req.params.json_object = true;
    let (text, tokens) = complete(&gw, &caller, req).await;
    // An answer cut by max_tokens stays cut (and says "length", see
    // tests/structured.rs); one that ends by itself is a whole object.
    assert!(tokens < 300, "cut off: {text}");
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    assert!(v.is_object());
}
