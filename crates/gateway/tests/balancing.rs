//! Replicas of one remote backend with a concurrency limit and a queue:
//! a request that finds every replica full waits, and when the queue is
//! full or the wait is over it gets 503 with `Retry-After`; a replica that
//! is gone before answering costs the client nothing. (The same with real
//! `ki-reise serve` processes and SIGKILL: `crates/ki-reise/tests/failover.rs`.)

mod common;

use std::time::{Duration, Instant};

use common::{account, mock, post_chat as post, remote, serve, Db, Mode};
use gateway::{BackendLimits, Gateway, GatewayConfig};
use journey::policy::RuleSet;
use serde_json::{json, Value};

fn chat(stream: bool) -> Value {
    json!({"model": "gross", "stream": stream, "messages": [{"role": "user", "content": "Hallo"}]})
}

#[tokio::test]
async fn a_full_backend_queues_then_answers_503_with_retry_after() {
    let acc = account(Db::Sqlite).await;
    let slow = mock("erstes Wort").await;
    slow.set_mode(Mode::Stall);
    let mut cfg = remote("pool", &slow, "gross", "private-cloud");
    cfg.timeout_secs = 3;
    cfg.limits = BackendLimits {
        max_concurrent: 1,
        queue: 1,
        queue_wait_secs: 1,
        ..BackendLimits::default()
    };
    let config = GatewayConfig {
        backends: vec![cfg],
        ..GatewayConfig::default()
    };
    let gw = Gateway::new(acc.store.clone(), config, RuleSet::default(), None).unwrap();
    let base = serve(gw.clone()).await;

    // The first stream holds the only place (its backend stalls).
    let first = post(&base, &acc.key, &chat(true)).await;
    assert_eq!(first.status(), 200);
    // The second waits in the queue; the third finds the queue full.
    let started = Instant::now();
    let whole = chat(false);
    let (second, third) = tokio::join!(post(&base, &acc.key, &whole), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        post(&base, &acc.key, &chat(false)).await
    });
    for (r, waited) in [(third, false), (second, true)] {
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["retry-after"], "1");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["type"], "server_error");
        assert_eq!(v["error"]["code"], "backend_overloaded");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains("ausgelastet"), "{message}");
        if waited {
            assert!(message.contains("gewartet"), "{message}");
            assert!(started.elapsed() >= Duration::from_millis(900));
        } else {
            assert!(message.contains("Warteschlange ist voll"), "{message}");
        }
    }
    let metrics = reqwest::get(format!("{}/metrics/gateway", base.trim_end_matches("/v1")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("kireise_gateway_backend_rejected_total{backend=\"pool\"} 2"),
        "{metrics}"
    );
    let replica = format!("replica=\"{}\"", slow.base);
    assert!(
        metrics.contains(&format!(
            "kireise_gateway_replica_outstanding{{backend=\"pool\",{replica}}} 1"
        )),
        "{metrics}"
    );
    drop(first);
}

#[tokio::test]
async fn a_replica_that_is_gone_before_answering_costs_the_client_nothing() {
    let acc = account(Db::Sqlite).await;
    let alive = mock("da").await;
    // A port that nobody listens on any more.
    let gone = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/v1", l.local_addr().unwrap())
    };
    let mut cfg = remote("pool", &alive, "gross", "private-cloud");
    cfg.urls.insert(0, gone.clone());
    let config = GatewayConfig {
        backends: vec![cfg],
        ..GatewayConfig::default()
    };
    let gw = Gateway::new(acc.store.clone(), config, RuleSet::default(), None).unwrap();
    let base = serve(gw.clone()).await;
    for stream in [true, false, true, false] {
        let r = post(&base, &acc.key, &chat(stream)).await;
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        assert!(text.contains("da"), "{text}");
    }
    assert_eq!(alive.received().len(), 4);
    let models = gw.models();
    assert!(models[0].healthy, "the backend as a whole stays up");
}
