//! The load generator against the scripted mock: timings must match the
//! script, malformed streams must become errors of their request.

mod mock;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bench::client::{ChatRequest, Endpoint, ErrorKind};
use bench::load::{run_level, LevelPlan, OnDone};
use bench::metrics::level_metrics;
use bench::spec::Slo;
use bench::tasks::ChatMessage;
use mock::{plan, synthetic, Misbehaviour, MockConfig, MockServer};

fn request() -> ChatRequest {
    ChatRequest {
        messages: vec![ChatMessage {
            role: "user".into(),
            content: "Hallo".into(),
        }],
        max_tokens: 8,
        temperature: 0.0,
        ignore_eos: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_server_makes_later_requests_wait_for_their_first_token() {
    let server = MockServer::start(MockConfig {
        ttft: Duration::from_millis(20),
        itl: Duration::from_millis(5),
        slots: 1,
        default_tokens: 5,
        ..MockConfig::default()
    })
    .await;
    let plan = plan(3, 6);
    let cancel = Arc::new(AtomicBool::new(false));
    let run = run_level(
        &server.endpoint(),
        &synthetic(5),
        &plan,
        Arc::new(|_| {}),
        &cancel,
    )
    .await;
    let m = level_metrics(
        "mock",
        "w",
        3,
        &run.samples,
        run.wall.as_secs_f64(),
        &Slo::default(),
    );
    // One request takes 20 + 4 × 5 = 40 ms; with one slot, six take ≥ 240 ms
    // and the third in line waits ≈ 80 ms before its first token.
    assert!(run.wall >= Duration::from_millis(235), "{:?}", run.wall);
    assert!(m.ttft_ms.max.unwrap() >= 75.0, "{:?}", m.ttft_ms);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_level_bounded_by_time_stops_by_itself() {
    let server = MockServer::start(MockConfig::default()).await;
    let plan = LevelPlan {
        requests: None,
        duration: Some(Duration::from_millis(300)),
        ..plan(2, 0)
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let run = run_level(
        &server.endpoint(),
        &synthetic(5),
        &plan,
        Arc::new(|_| {}),
        &cancel,
    )
    .await;
    assert!(run.wall < Duration::from_millis(600), "{:?}", run.wall);
    assert!(run.samples.len() >= 4, "{}", run.samples.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_stops_a_level_early() {
    let server = MockServer::start(MockConfig::default()).await;
    let plan = plan(1, 1000);
    let cancel = Arc::new(AtomicBool::new(false));
    let c = cancel.clone();
    let on_done: OnDone = Arc::new(move |_| c.store(true, Ordering::Relaxed));
    let run = run_level(&server.endpoint(), &synthetic(3), &plan, on_done, &cancel).await;
    assert_eq!(run.samples.len(), 1);
}

async fn outcome_with(m: Misbehaviour) -> bench::client::Outcome {
    let server = MockServer::start(MockConfig {
        misbehaviour: m,
        ..MockConfig::default()
    })
    .await;
    server.endpoint().send(&request()).await
}

#[tokio::test]
async fn malformed_json_in_the_stream_is_an_error_of_that_request() {
    let out = outcome_with(Misbehaviour::MalformedJson).await;
    let e = out.error.expect("error");
    assert_eq!(e.kind, ErrorKind::MalformedStream);
    assert!(e.message.contains("kein gültiges JSON"), "{}", e.message);
    assert!(out.ttft.is_some(), "timing up to the error is kept");
}

#[tokio::test]
async fn a_server_that_does_not_stream_is_named_as_such() {
    let e = outcome_with(Misbehaviour::NoStream).await.error.unwrap();
    assert_eq!(e.kind, ErrorKind::MalformedStream);
    assert!(e.message.contains("streamt nicht"), "{}", e.message);
}

#[tokio::test]
async fn a_stream_without_done_is_truncated() {
    let out = outcome_with(Misbehaviour::Truncated).await;
    assert_eq!(out.error.unwrap().kind, ErrorKind::Truncated);
    assert_eq!(out.text_chunks, 2);
}

#[tokio::test]
async fn http_errors_and_error_events_carry_the_servers_reason() {
    let e = outcome_with(Misbehaviour::Http500).await.error.unwrap();
    assert_eq!(e.kind, ErrorKind::HttpStatus);
    assert!(
        e.message.starts_with("HTTP 500") && e.message.contains("kaputt"),
        "{}",
        e.message
    );
    let e = outcome_with(Misbehaviour::ErrorEvent).await.error.unwrap();
    assert_eq!(e.kind, ErrorKind::ServerError);
    assert!(e.message.contains("überlastet"));
}

#[tokio::test]
async fn bad_usage_is_an_error_and_missing_usage_falls_back_to_counting_chunks() {
    let e = outcome_with(Misbehaviour::BadUsage).await.error.unwrap();
    assert_eq!(e.kind, ErrorKind::MalformedUsage);
    let out = outcome_with(Misbehaviour::NoUsage).await;
    assert!(out.error.is_none(), "{:?}", out.error);
    assert!(out.usage.is_none());
    assert_eq!(out.text_chunks, 8, "max_tokens caps the mock's answer");
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_connect_error() {
    // Port 1 on loopback: nothing listens there.
    let ep = Endpoint::new("http://127.0.0.1:1/v1", None, "m", Duration::from_secs(5)).unwrap();
    let e = ep.send(&request()).await.error.unwrap();
    assert_eq!(e.kind, ErrorKind::Connect, "{}", e.message);
}
