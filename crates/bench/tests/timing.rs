//! Accuracy of the harness: against a server that streams with scripted
//! time to first token and gaps between tokens, the measured figures must
//! match the script. In its own test binary so that no other test competes
//! for the CPU while it measures.

mod mock;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bench::load::{run_level, LevelPlan, OnDone};
use bench::metrics::{level_metrics, TokenSource};
use bench::spec::Slo;
use mock::{plan, synthetic, MockConfig, MockServer};

/// The timing tests run one after the other: in parallel they would
/// measure each other.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measured_ttft_and_inter_token_latency_match_the_scripted_server() {
    let _alone = SERIAL.lock().await;
    let server = MockServer::start(MockConfig {
        ttft: Duration::from_millis(60),
        itl: Duration::from_millis(15),
        default_tokens: 20,
        ..MockConfig::default()
    })
    .await;
    let plan = LevelPlan {
        warmup: 2,
        ..plan(4, 16)
    };
    let done = Arc::new(AtomicU64::new(0));
    let d = done.clone();
    let on_done: OnDone = Arc::new(move |_| {
        d.fetch_add(1, Ordering::Relaxed);
    });
    let cancel = Arc::new(AtomicBool::new(false));
    let source = synthetic(20);
    let run = run_level(&server.endpoint(), &source, &plan, on_done, &cancel).await;
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
    // Against the script: the server's sleeps end at or after the scripted
    // time (tokio's timer rounds up to the next millisecond), and TTFT also
    // holds the request's way to the server. The medians hold anywhere; the
    // tails mostly measure how late the *mock* wakes up on a busy machine,
    // so they are checked only on a quiet runner (BENCH_STRICT_TIMING=1).
    let strict = std::env::var_os("BENCH_STRICT_TIMING").is_some();
    let (ttft50, ttft99) = (m.ttft_ms.p50.unwrap(), m.ttft_ms.p99.unwrap());
    let (itl50, itl99) = (m.itl_ms.p50.unwrap(), m.itl_ms.p99.unwrap());
    assert!((60.0..70.0).contains(&ttft50), "ttft p50 {ttft50}");
    assert!((14.5..17.0).contains(&itl50), "itl p50 {itl50}");
    if strict {
        assert!((60.0..65.0).contains(&ttft99), "ttft p99 {ttft99}");
        assert!((14.0..16.0).contains(&itl99), "itl p99 {itl99}");
    }
    assert_eq!(m.itl_ms.count, 16 * 19);
    // Against the server's own record of when it handed each token to the
    // socket, the harness's error excludes the mock's lateness: this is the
    // accuracy the issue asks for (≤ 1 ms at p99 on a quiet machine).
    let mut itl_err = Vec::new();
    let mut ttft_err = Vec::new();
    for s in &run.samples {
        // The 16 measured prompts differ (rotation 7·i mod 24), so each
        // content names one request.
        let content = source.request(s.index).0.messages[0].content.clone();
        let tl = server.timeline(&content).expect("server saw the request");
        let gaps: Vec<f64> = tl
            .tokens
            .windows(2)
            .map(|w| (w[1] - w[0]).as_secs_f64() * 1000.0)
            .collect();
        assert_eq!(gaps.len(), s.outcome.itl.len());
        for (client, server) in s.outcome.itl.iter().zip(&gaps) {
            itl_err.push((client.as_secs_f64() * 1000.0 - server).abs());
        }
        let server_ttft = (tl.tokens[0] - tl.received.unwrap()).as_secs_f64() * 1000.0;
        ttft_err.push(s.outcome.ttft.unwrap().as_secs_f64() * 1000.0 - server_ttft);
    }
    let itl_err = bench::metrics::Stats::of(itl_err);
    let ttft_err = bench::metrics::Stats::of(ttft_err);
    eprintln!("harness error: itl {itl_err:?}; ttft (incl. request transfer) {ttft_err:?}");
    // Measured here on a shared 2-core box: ITL error p99 0.26 ms, TTFT
    // error p99 0.8 ms (it includes sending the request).
    let (itl_max, ttft_max) = if strict { (1.0, 1.5) } else { (10.0, 15.0) };
    assert!(itl_err.p99.unwrap() < itl_max, "{itl_err:?}");
    assert!(ttft_err.p99.unwrap() < ttft_max, "{ttft_err:?}");
    // 60 ms + 19 × 15 ms = 345 ms per request.
    let e2e = m.e2e_ms.p50.unwrap();
    assert!((345.0..355.0).contains(&e2e), "e2e p50 {e2e}");
    let tpot = m.tpot_ms.p50.unwrap();
    assert!((14.5..15.5).contains(&tpot), "tpot p50 {tpot}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poisson_arrivals_keep_their_schedule_and_report_the_lag() {
    let _alone = SERIAL.lock().await;
    let server = MockServer::start(MockConfig::default()).await;
    let plan = LevelPlan {
        rate_per_s: Some(60.0),
        seed: 7,
        ..plan(16, 30)
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
    assert!(lag.p50.unwrap() < 5.0, "{lag:?}");
    let lag99_max = if std::env::var_os("BENCH_STRICT_TIMING").is_some() {
        5.0
    } else {
        50.0
    };
    assert!(lag.p99.unwrap() < lag99_max, "{lag:?}");
    // 30 arrivals at 60/s take about half a second.
    assert!(run.wall > Duration::from_millis(200) && run.wall < Duration::from_secs(2));
}

/// The load claim: one core holds ≥ 1,000 concurrent streams
/// without falling behind its arrival schedule. The client runs on a
/// current-thread runtime (one core); the mock server gets its own threads
/// so that it does not eat the client's core. Slow in a debug build, so it
/// runs on request: `cargo test -p bench --release --test timing -- --ignored`.
#[test]
#[ignore = "load benchmark; run with --release -- --ignored"]
fn one_core_holds_a_thousand_concurrent_streams_on_schedule() {
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let server = server_rt.block_on(MockServer::start(MockConfig {
        ttft: Duration::from_millis(500),
        itl: Duration::from_millis(50),
        default_tokens: 20,
        slots: 100_000,
        ..MockConfig::default()
    }));
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Each request lasts ≈ 0.5 s + 19 × 50 ms ≈ 1.45 s; 800 arrivals a
    // second keep about 1,150 in flight, 23,000 token chunks a second.
    let plan = LevelPlan {
        rate_per_s: Some(800.0),
        seed: 3,
        ..plan(4000, 3000)
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let (run, peak) = client_rt.block_on(async {
        let in_flight = Arc::new(AtomicU64::new(0));
        let peak = Arc::new(AtomicU64::new(0));
        let (i, p) = (in_flight.clone(), peak.clone());
        // Sample how many streams are open at once from the server's count
        // of started requests minus the finished ones reported to us.
        let done = Arc::new(AtomicU64::new(0));
        let d = done.clone();
        let on_done: OnDone = Arc::new(move |_| {
            d.fetch_add(1, Ordering::Relaxed);
        });
        let ep = server.endpoint();
        let src = synthetic(20);
        let sampler = {
            let done = done.clone();
            let server_requests = move || server.requests();
            async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let open = server_requests().saturating_sub(done.load(Ordering::Relaxed));
                    i.store(open, Ordering::Relaxed);
                    p.fetch_max(open, Ordering::Relaxed);
                }
            }
        };
        let run = tokio::select! {
            run = run_level(&ep, &src, &plan, on_done, &cancel) => run,
            _ = sampler => unreachable!("the sampler never ends"),
        };
        (run, peak.load(Ordering::Relaxed))
    });
    let m = level_metrics(
        "mock",
        "w",
        2000,
        &run.samples,
        run.wall.as_secs_f64(),
        &Slo::default(),
    );
    let lag = m.schedule_lag_ms.clone().unwrap();
    eprintln!(
        "peak open streams {peak}; ok {} failed {}; lag p50 {:?} p99 {:?} max {:?} ms; ttft p99 {:?} ms; wall {:?}",
        m.requests_ok, m.requests_failed, lag.p50, lag.p99, lag.max, m.ttft_ms.p99, run.wall
    );
    assert_eq!(m.requests_failed, 0, "{:?}", m.errors);
    assert!(peak >= 1000, "only {peak} streams were open at once");
    // Measured in release on the shared 2-core dev box (load average 6,
    // the mock on the same cores): 1,200–1,350 open streams, lag p50
    // 1.1–1.5 ms, p99 13–25 ms. A quiet runner must keep p99 under 10 ms.
    let strict = std::env::var_os("BENCH_STRICT_TIMING").is_some();
    assert!(lag.p50.unwrap() < 5.0, "{lag:?}");
    assert!(
        lag.p99.unwrap() < if strict { 10.0 } else { 50.0 },
        "{lag:?}"
    );
}
