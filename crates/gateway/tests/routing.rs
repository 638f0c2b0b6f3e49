//! Routing by data class with mock remote backends that record what they
//! received: a request never reaches a backend its class may not reach,
//! also not under fallback; broken backends give clean errors.

mod common;

use std::time::Duration;

use common::{account, chat_request, mock, remote, serve, sse_data, Db, Mode};
use gateway::{Gateway, GatewayConfig};
use journey::policy::RuleSet;
use serde_json::{json, Value};

fn chat(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "Fasse den Bescheid zusammen."}]})
}

async fn post(base: &str, key: &str, class: Option<&str>, body: &Value) -> reqwest::Response {
    chat_request(base, key, class, body).send().await.unwrap()
}

#[tokio::test]
async fn personal_data_never_reaches_a_cloud_backend_even_when_the_local_one_is_missing() {
    let acc = account(Db::Sqlite).await;
    let private = mock("aus der privaten Cloud").await;
    let public = mock("vom öffentlichen Dienst").await;
    let config = GatewayConfig {
        backends: vec![
            remote("private", &private, "gross", "private-cloud"),
            remote("public", &public, "gross", "public-cloud"),
        ],
        ..GatewayConfig::default()
    };
    let gw = Gateway::new(acc.store.clone(), config, RuleSet::default(), None).unwrap();
    let base = serve(gw.clone()).await;

    // Internal data (the rule set's default) may go to the private cloud.
    let r = post(&base, &acc.key, None, &chat("gross")).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "aus der privaten Cloud"
    );
    assert_eq!(private.received().len(), 1);

    // Personal data may only stay local: refused, and nobody received it.
    let r = post(&base, &acc.key, Some("personenbezogen"), &chat("gross")).await;
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "policy_violation");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("personenbezogen"));
    assert_eq!(private.received().len(), 1);
    assert!(public.received().is_empty());

    // The private cloud fails: internal data must not fall back to the
    // public service, which internal data may not reach.
    private.set_mode(Mode::Fail);
    let r = post(&base, &acc.key, Some("intern"), &chat("gross")).await;
    assert_eq!(r.status(), 503);
    assert!(public.received().is_empty());

    // Public data does fall back to the public service.
    private.set_mode(Mode::Answer);
    gw.check_health().await;
    private.set_mode(Mode::Fail);
    let r = post(&base, &acc.key, Some("public"), &chat("gross")).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "vom öffentlichen Dienst"
    );
    assert_eq!(public.received().len(), 1);
    assert_eq!(
        public.received()[0]["messages"][0]["content"],
        "Fasse den Bescheid zusammen."
    );
}

#[tokio::test]
async fn the_keys_default_class_applies_and_an_adopted_rule_set_takes_effect_at_once() {
    let acc = account(Db::Sqlite).await;
    acc.store
        .set_api_key_gateway(
            &store::Actor::system(),
            acc.key_id,
            Some("public"),
            None,
            None,
        )
        .await
        .unwrap();
    let public = mock("öffentlich").await;
    let config = GatewayConfig {
        backends: vec![remote("public", &public, "gross", "public-cloud")],
        ..GatewayConfig::default()
    };
    let gw = Gateway::new(acc.store.clone(), config, RuleSet::default(), None).unwrap();
    let base = serve(gw.clone()).await;
    assert_eq!(
        post(&base, &acc.key, None, &chat("gross")).await.status(),
        200
    );
    // The header wins over the key's default.
    assert_eq!(
        post(&base, &acc.key, Some("internal"), &chat("gross"))
            .await
            .status(),
        403
    );
    // A stricter policy: nothing may reach a public service.
    let mut strict = RuleSet::default();
    strict.classes[0]
        .allowed
        .retain(|r| *r != journey::policy::Reach::PublicCloud);
    gw.set_rules(strict);
    assert_eq!(
        post(&base, &acc.key, None, &chat("gross")).await.status(),
        403
    );
    assert_eq!(public.received().len(), 1);
    let r = post(&base, &acc.key, Some("geheim"), &chat("gross")).await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["param"], "X-Datenklasse");
}

#[tokio::test]
async fn replicas_take_turns_and_an_unhealthy_one_is_skipped_until_it_recovers() {
    let acc = account(Db::Sqlite).await;
    let a = mock("a").await;
    let b = mock("b").await;
    let mut cfg = remote("pool", &a, "gross", "private-cloud");
    cfg.urls.push(b.base.clone());
    let config = GatewayConfig {
        backends: vec![cfg],
        ..GatewayConfig::default()
    };
    let gw = Gateway::new(acc.store.clone(), config, RuleSet::default(), None).unwrap();
    let base = serve(gw.clone()).await;
    for _ in 0..4 {
        assert_eq!(
            post(&base, &acc.key, None, &chat("gross")).await.status(),
            200
        );
    }
    assert_eq!((a.received().len(), b.received().len()), (2, 2));
    b.set_mode(Mode::Fail);
    gw.check_health().await;
    for _ in 0..3 {
        assert_eq!(
            post(&base, &acc.key, None, &chat("gross")).await.status(),
            200
        );
    }
    assert_eq!((a.received().len(), b.received().len()), (5, 2));
    b.set_mode(Mode::Answer);
    gw.check_health().await;
    for _ in 0..2 {
        post(&base, &acc.key, None, &chat("gross")).await;
    }
    assert_eq!(b.received().len(), 3);
}

#[tokio::test]
async fn a_stalled_or_malformed_stream_ends_in_a_clean_error_event_and_marks_the_backend_down() {
    let acc = account(Db::Sqlite).await;
    let slow = mock("erstes Wort").await;
    let other = mock("anderes Modell").await;
    let config = GatewayConfig {
        backends: vec![
            remote("slow", &slow, "gross", "private-cloud"),
            remote("other", &other, "klein", "private-cloud"),
        ],
        ..GatewayConfig::default()
    };
    let gw = Gateway::new(acc.store.clone(), config, RuleSet::default(), None).unwrap();
    let base = serve(gw.clone()).await;
    let mut body = chat("gross");
    body["stream"] = json!(true);

    for mode in [Mode::Stall, Mode::Malformed] {
        slow.set_mode(mode);
        gw.check_health().await;
        let started = std::time::Instant::now();
        // Another model's requests run meanwhile, unaffected.
        let (r, other_r) = tokio::join!(post(&base, &acc.key, None, &body), async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            post(&base, &acc.key, None, &chat("klein")).await
        });
        assert_eq!(other_r.status(), 200);
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(10));
        let data = sse_data(&text);
        let last: Value = serde_json::from_str(data.last().unwrap()).unwrap();
        assert_eq!(last["error"]["code"], "backend_error", "{mode:?}: {text}");
        assert!(!data.iter().any(|d| d == "[DONE]"));
        let models: Vec<_> = gw
            .models()
            .into_iter()
            .filter(|m| m.id == "gross")
            .collect();
        assert!(!models[0].healthy, "{mode:?} left the backend healthy");
    }
    // Marked down: the next request is refused at once with 503.
    let r = post(&base, &acc.key, None, &chat("gross")).await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn embeddings_pass_through_to_an_allowed_remote_backend() {
    let acc = account(Db::Sqlite).await;
    let m = mock("-").await;
    let config = GatewayConfig {
        backends: vec![remote("emb", &m, "einbettung", "private-cloud")],
        ..GatewayConfig::default()
    };
    let gw = Gateway::new(acc.store.clone(), config, RuleSet::default(), None).unwrap();
    let base = serve(gw.clone()).await;
    let r = reqwest::Client::new()
        .post(format!("{base}/embeddings"))
        .bearer_auth(&acc.key)
        .json(&json!({"model": "einbettung", "input": "Hallo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["data"][0]["embedding"][1], 0.2);
    assert_eq!(m.received()[0]["input"], "Hallo");
    let r = reqwest::Client::new()
        .post(format!("{base}/embeddings"))
        .bearer_auth(&acc.key)
        .header("X-Datenklasse", "personal")
        .json(&json!({"model": "einbettung", "input": "Hallo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(m.received().len(), 1);
}

#[tokio::test]
async fn the_local_model_is_listed_with_its_own_name_beside_its_id() {
    let path = std::env::temp_dir().join(format!("ki-reise-named-{}.gguf", std::process::id()));
    engine::synthetic::write_model(
        &path,
        engine::synthetic::Shape::TINY,
        engine::gguf::GgmlType::Q8_0,
    )
    .unwrap();
    let options = gateway::LocalOptions {
        model_id: "tiny-q8".into(),
        engine: engine::EngineOptions {
            threads: 1,
            n_ctx: 256,
            ..Default::default()
        },
        limits: gateway::local::Limits::default(),
        queue: 4,
        sampling: None,
    };
    let (gw, _acc, _stats) = common::gateway_on_model(&path, options).await;
    let _ = std::fs::remove_file(&path);
    let models = gw.models();
    assert_eq!(models[0].id, "tiny-q8");
    assert_eq!(models[0].name, "synthetic llama 2L Q8_0");
}

/// A message with an IBAN declared `public`: the detector raises it to
/// `personal`, so it goes to the local backend (never to the cloud that
/// public data may reach), the answer says so in `X-Datenklasse-Wirksam`,
/// and the usage record keeps both classes and the category, not the text.
async fn personal_data_found_before_routing(db: Db) {
    let acc = account(db).await;
    let cloud = mock("aus der Cloud").await;
    let local = mock("vom eigenen Server").await;
    let config = GatewayConfig {
        backends: vec![
            remote("cloud", &cloud, "gross", "private-cloud"),
            remote("eigener-server", &local, "gross", "local"),
        ],
        ..GatewayConfig::default()
    };
    let gw = Gateway::new(acc.store.clone(), config, RuleSet::default(), None).unwrap();
    let base = serve(gw.clone()).await;
    let with =
        |text: &str| json!({"model": "gross", "messages": [{"role": "user", "content": text}]});

    // Without personal data, public data goes to the first allowed backend.
    let r = post(&base, &acc.key, Some("public"), &chat("gross")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-datenklasse-wirksam"], "public");
    assert_eq!(cloud.received().len(), 1);

    let iban = "Bitte die Erstattung auf DE89 3704 0044 0532 0130 00 überweisen.";
    let r = post(&base, &acc.key, Some("public"), &with(iban)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-datenklasse-wirksam"], "personal");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "vom eigenen Server");
    assert_eq!(cloud.received().len(), 1, "the cloud never saw the IBAN");
    assert_eq!(local.received().len(), 1);

    // Streaming answers carry the header too.
    let mut body = with(iban);
    body["stream"] = json!(true);
    let r = post(&base, &acc.key, Some("public"), &body).await;
    assert_eq!(r.headers()["x-datenklasse-wirksam"], "personal");
    assert!(sse_data(&r.text().await.unwrap()).contains(&"[DONE]".to_string()));

    // Where personal data may reach no backend serving the model, the
    // refusal says what was found, never the value.
    let only_cloud = GatewayConfig {
        backends: vec![remote("cloud", &cloud, "gross", "private-cloud")],
        ..GatewayConfig::default()
    };
    let gw2 = Gateway::new(acc.store.clone(), only_cloud, RuleSet::default(), None).unwrap();
    let base2 = serve(gw2.clone()).await;
    let r = post(&base2, &acc.key, Some("public"), &with(iban)).await;
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("IBAN") && message.contains("personenbezogen"),
        "{message}"
    );
    assert!(!message.contains("DE89"), "{message}");
    assert_eq!(cloud.received().len(), 1);

    gw.flush_usage().await;
    let records = acc.store.usage_records(0, i64::MAX).await.unwrap();
    let raised: Vec<_> = records.iter().filter(|r| r.detected == "iban").collect();
    assert_eq!(raised.len(), 2, "{records:?}");
    for r in raised {
        assert_eq!(r.backend, "eigener-server");
        assert_eq!(r.data_class, "personal");
        assert_eq!(r.declared_class.as_deref(), Some("public"));
    }
    let plain = &records[0];
    assert_eq!(
        (plain.data_class.as_str(), plain.detected.as_str()),
        ("public", "")
    );
    let csv = acc.store.usage_csv(0, i64::MAX).await.unwrap();
    assert!(csv.contains(",personal,public,iban,"), "{csv}");
    assert!(!csv.contains("DE89"), "metadata only");
}

#[tokio::test]
async fn an_iban_declared_public_is_routed_locally_as_personal() {
    personal_data_found_before_routing(Db::Sqlite).await;
}

#[tokio::test]
async fn an_iban_declared_public_is_routed_locally_as_personal_on_postgres() {
    personal_data_found_before_routing(Db::Postgres).await;
}
