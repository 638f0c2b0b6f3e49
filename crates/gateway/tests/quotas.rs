//! Quotas and metering on SQLite and PostgreSQL: usage is stored as
//! metadata only, a used-up quota answers 429 in OpenAI's shape, and the
//! summary and CSV export add up.

mod common;

use common::{account, mock, remote, serve, Db};
use gateway::{Gateway, GatewayConfig};
use journey::policy::RuleSet;
use serde_json::{json, Value};
use store::usage::{QuotaPeriod, QuotaScope};
use store::Actor;

async fn quota_story(db: Db) {
    let acc = account(db).await;
    let m = mock("Die Antwort steht hier").await;
    let config = GatewayConfig {
        backends: vec![remote("wolke", &m, "gross", "private-cloud")],
        ..GatewayConfig::default()
    };
    let gw = Gateway::new(acc.store.clone(), config, RuleSet::default(), None).unwrap();
    let base = serve(gw.clone()).await;
    let client = reqwest::Client::new();
    let ask = |stream: bool| {
        client
            .post(format!("{base}/chat/completions"))
            .bearer_auth(&acc.key)
            .json(&json!({"model": "gross", "stream": stream,
                "messages": [{"role": "user", "content": "Geheimer Vermerk zum Haushaltsentwurf"}]}))
            .send()
    };
    // The mock reports 7 prompt + 4 completion tokens per answer.
    assert_eq!(ask(false).await.unwrap().status(), 200);
    assert_eq!(ask(true).await.unwrap().status(), 200);
    gw.flush_usage().await;

    let day = QuotaPeriod::Day.bounds(store::now());
    let records = acc.store.usage_records(day.0, day.1).await.unwrap();
    assert_eq!(records.len(), 2);
    let r = &records[0];
    assert_eq!(
        (
            r.tokens_in,
            r.tokens_out,
            r.status.as_str(),
            r.data_class.as_str()
        ),
        (7, 4, "ok", "internal")
    );
    assert_eq!(r.department.as_deref(), Some("Bürgeramt"));
    assert_eq!((r.model.as_str(), r.backend.as_str()), ("gross", "wolke"));
    assert_eq!(r.api_key_id, Some(acc.key_id));

    // The department may use 30 tokens a day: 22 are used, one more
    // request is allowed, then it is exhausted.
    acc.store
        .set_quota(
            &Actor::system(),
            QuotaScope::Department,
            "Bürgeramt",
            QuotaPeriod::Day,
            30,
        )
        .await
        .unwrap();
    gw.reload_quotas();
    assert_eq!(ask(false).await.unwrap().status(), 200);
    gw.flush_usage().await;
    let refused = ask(false).await.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let v: Value = refused.json().await.unwrap();
    assert_eq!(v["error"]["code"], "insufficient_quota");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Fachbereichs"));
    assert_eq!(m.received().len(), 3);

    // A month quota for another user does not touch this one; a raised
    // day quota lets requests through again.
    acc.store
        .set_quota(
            &Actor::system(),
            QuotaScope::User,
            "999",
            QuotaPeriod::Month,
            0,
        )
        .await
        .unwrap();
    acc.store
        .set_quota(
            &Actor::system(),
            QuotaScope::Department,
            "Bürgeramt",
            QuotaPeriod::Day,
            1000,
        )
        .await
        .unwrap();
    gw.reload_quotas();
    assert_eq!(ask(false).await.unwrap().status(), 200);
    assert_eq!(acc.store.quotas().await.unwrap().len(), 2);
    gw.flush_usage().await;

    let summary = gw.usage_summary(day.0, day.1).await.unwrap();
    assert_eq!(summary.len(), 1);
    let s = &summary[0];
    assert_eq!(
        (s.requests, s.errors, s.tokens_in, s.tokens_out),
        (4, 0, 28, 16)
    );
    assert_eq!(s.department.as_deref(), Some("Bürgeramt"));

    let csv = acc.store.usage_csv(day.0, day.1).await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5);
    assert!(lines[0].starts_with("zeit_utc,benutzer_id,fachbereich"));
    assert!(lines[1].contains(",Bürgeramt,,gross,wolke,internal,internal,,7,4,"));
    // Metadata only: neither the prompt nor the answer is stored anywhere.
    assert!(!csv.contains("Haushaltsentwurf") && !csv.contains("Antwort"));
}

#[tokio::test]
async fn quotas_and_metering_on_sqlite() {
    quota_story(Db::Sqlite).await;
}

#[tokio::test]
async fn quotas_and_metering_on_postgres() {
    quota_story(Db::Postgres).await;
}
