//! The load generator against the scripted mock: timings must match the
//! script, malformed streams must become errors of their request.

mod mock;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bench::client::{ChatRequest, Endpoint, ErrorKind};
use bench::load::{run_level, LevelPlan, OnDone, RequestSource};
use bench::metrics::{level_metrics, TokenSource};
use bench::spec::{Distribution, Slo, Synthetic};
use bench::tasks::ChatMessage;
use mock::{Misbehaviour, MockConfig, MockServer};

fn endpoint(server: &MockServer) -> Endpoint {
    Endpoint::new(&server.base_url(), None, "mock", Duration::from_secs(10)).unwrap()
}

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

fn synthetic(tokens: u32) -> Arc<RequestSource> {
    Arc::new(RequestSource::Synthetic(Synthetic {
        input_tokens: Distribution::Fixed(20),
        output_tokens: Distribution::Fixed(tokens),
        seed: 1,
        ignore_eos: false,
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measured_ttft_and_inter_token_latency_match_the_scripted_server() {
    let server = MockServer::start(MockConfig {
        ttft: Duration::from_millis(60),
        itl: Duration::from_millis(15),
        default_tokens: 20,
        ..MockConfig::default()
    })
    .await;
    let plan = LevelPlan {
        concurrency: 4,
        requests: Some(16),
        duration: None,
        rate_per_s: None,
        warmup: 2,
        seed: 0,
    };
    let done = Arc::new(AtomicU64::new(0));
    let d = done.clone();
    let on_done: OnDone = Arc::new(move |_| {
        d.fetch_add(1, Ordering::Relaxed);
    });
    let cancel = Arc::new(AtomicBool::new(false));
    let run = run_level(&endpoint(&server), &synthetic(20), &plan, on_done, &cancel).await;
    assert_eq!(run.samples.len(), 16);
    assert_eq!(
        done.load(Ordering::Relaxed),
        16,
        "warm-up requests are not reported"
    );
    assert_eq!(server.requests(), 18, "16 measured + 2 warm-up");
    let m = level_metrics(
        "mock",
        "w",
        4,
        &run.samples,
        run.wall.as_secs_f64(),
        &Slo::default(),
    );
    eprintln!(
        "ttft p50 {:?} p99 {:?}; itl p50 {:?} p99 {:?}",
        m.ttft_ms.p50, m.ttft_ms.p99, m.itl_ms.p50, m.itl_ms.p99
    );
    assert_eq!(m.requests_ok, 16);
    assert_eq!(m.token_source, TokenSource::Usage);
    assert_eq!(m.output_tokens_mean, Some(20.0));
    // The server's sleeps end at or after the scripted time (tokio's timer
    // rounds up to the next millisecond); TTFT also holds the request's way
    // to the server. What remains is scheduling noise on a shared CI
    // machine, hence the wider p99 bound.
    let (ttft50, ttft99) = (m.ttft_ms.p50.unwrap(), m.ttft_ms.p99.unwrap());
    assert!((60.0..64.0).contains(&ttft50), "ttft p50 {ttft50}");
    assert!((60.0..70.0).contains(&ttft99), "ttft p99 {ttft99}");
    let (itl50, itl99) = (m.itl_ms.p50.unwrap(), m.itl_ms.p99.unwrap());
    assert!((14.0..16.0).contains(&itl50), "itl p50 {itl50}");
    assert!((10.0..20.0).contains(&itl99), "itl p99 {itl99}");
    assert_eq!(m.itl_ms.count, 16 * 19);
    // 60 ms + 19 × 15 ms = 345 ms per request.
    let e2e = m.e2e_ms.p50.unwrap();
    assert!((345.0..355.0).contains(&e2e), "e2e p50 {e2e}");
    let tpot = m.tpot_ms.p50.unwrap();
    assert!((14.5..15.5).contains(&tpot), "tpot p50 {tpot}");
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
    let plan = LevelPlan {
        concurrency: 3,
        requests: Some(6),
        duration: None,
        rate_per_s: None,
        warmup: 0,
        seed: 0,
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let run = run_level(
        &endpoint(&server),
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
        concurrency: 2,
        requests: None,
        duration: Some(Duration::from_millis(300)),
        rate_per_s: None,
        warmup: 0,
        seed: 0,
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let run = run_level(
        &endpoint(&server),
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
async fn poisson_arrivals_keep_their_schedule_and_report_the_lag() {
    let server = MockServer::start(MockConfig::default()).await;
    let plan = LevelPlan {
        concurrency: 16,
        requests: Some(30),
        duration: None,
        rate_per_s: Some(60.0),
        warmup: 0,
        seed: 7,
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let run = run_level(
        &endpoint(&server),
        &synthetic(5),
        &plan,
        Arc::new(|_| {}),
        &cancel,
    )
    .await;
    assert_eq!(run.samples.len(), 30);
    let m = level_metrics(
        "mock",
        "w",
        16,
        &run.samples,
        run.wall.as_secs_f64(),
        &Slo::default(),
    );
    let lag = m.schedule_lag_ms.expect("lag is reported in Poisson mode");
    eprintln!("schedule lag {lag:?}; wall {:?}", run.wall);
    assert!(lag.p99.unwrap() < 10.0, "{lag:?}");
    // 30 arrivals at 60/s take about half a second.
    assert!(run.wall > Duration::from_millis(200) && run.wall < Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_stops_a_level_early() {
    let server = MockServer::start(MockConfig::default()).await;
    let plan = LevelPlan {
        concurrency: 1,
        requests: Some(1000),
        duration: None,
        rate_per_s: None,
        warmup: 0,
        seed: 0,
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let c = cancel.clone();
    let on_done: OnDone = Arc::new(move |_| c.store(true, Ordering::Relaxed));
    let run = run_level(&endpoint(&server), &synthetic(3), &plan, on_done, &cancel).await;
    assert_eq!(run.samples.len(), 1);
}

async fn outcome_with(m: Misbehaviour) -> bench::client::Outcome {
    let server = MockServer::start(MockConfig {
        misbehaviour: m,
        ..MockConfig::default()
    })
    .await;
    endpoint(&server).send(&request()).await
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
