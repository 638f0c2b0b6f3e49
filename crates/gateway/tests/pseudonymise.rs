//! Pseudonymisation for remote backends (issue 24.2): where the adopted
//! rule set allows it, a request whose personal data would keep it from a
//! remote model goes there with placeholders instead of the values, and
//! the answer is re-identified before the caller reads it, also when a
//! placeholder arrives split over stream chunks. With the rule off the
//! request is refused as before.

mod common;

use common::{account, mock, post_chat as post, remote, serve, sse_data, Db, Mode};
use gateway::{Gateway, GatewayConfig};
use journey::policy::RuleSet;
use serde_json::{json, Value};

const LETTER: &str = "Sehr geehrte Frau Brodersen, bitte überweisen Sie die Erstattung auf DE89 3704 0044 0532 0130 00.";
/// What the mock cloud answers: it only knows the placeholders.
const ANSWER: &str = "Entwurf: Die Erstattung für Frau [PERSON_1] geht auf [IBAN_1].";
const REIDENTIFIED: &str =
    "Entwurf: Die Erstattung für Frau Brodersen geht auf DE89 3704 0044 0532 0130 00.";

fn letter(stream: bool) -> Value {
    json!({"model": "gross", "stream": stream,
        "messages": [{"role": "user", "content": LETTER}]})
}

async fn story(db: Db) {
    let acc = account(db).await;
    let cloud = mock(ANSWER).await;
    let config = GatewayConfig {
        backends: vec![remote("cloud", &cloud, "gross", "private-cloud")],
        ..GatewayConfig::default()
    };
    // The shipped rules: personal data local only, internal data (the
    // default class) may reach the private cloud.
    let rules = RuleSet {
        pseudonymise_remote: true,
        ..RuleSet::default()
    };
    let gw = Gateway::new(acc.store.clone(), config, rules, None).unwrap();
    let base = serve(gw.clone()).await;

    let r = post(&base, &acc.key, &letter(false)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-datenklasse-wirksam"], "internal");
    assert_eq!(r.headers()["x-pseudonymisiert"], "ja");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], REIDENTIFIED);
    let sent = cloud.received();
    assert_eq!(sent.len(), 1);
    let seen = sent[0].to_string();
    assert!(!seen.contains("DE89") && !seen.contains("3704"), "{seen}");
    assert!(!seen.contains("Brodersen"), "{seen}");
    assert_eq!(
        sent[0]["messages"][0]["content"],
        "Sehr geehrte Frau [PERSON_1], bitte überweisen Sie die Erstattung auf [IBAN_1]."
    );

    // Streamed three characters at a time, "[IBAN_1]" arrives as "[IB",
    // "AN_", "1]." and so on: nothing of a placeholder shows, the values do.
    cloud.set_mode(Mode::Pieces(3));
    let r = post(&base, &acc.key, &letter(true)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-pseudonymisiert"], "ja");
    let events = sse_data(&r.text().await.unwrap());
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
    let pieces: Vec<String> = events
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(e).ok())
        .filter_map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    assert!(pieces.len() > 5, "{pieces:?}");
    assert!(pieces.iter().all(|p| !p.contains('[')), "{pieces:?}");
    assert_eq!(pieces.concat(), REIDENTIFIED);
    assert!(!cloud.received()[1].to_string().contains("DE89"));

    // The usage records say that, not what: categories and the mark.
    gw.flush_usage().await;
    let records = acc.store.usage_records(0, i64::MAX).await.unwrap();
    assert_eq!(records.len(), 2, "{records:?}");
    for r in &records {
        assert_eq!(r.detected, "iban,name,pseudonymisiert");
        assert_eq!(r.data_class, "internal");
        assert_eq!(r.backend, "cloud");
    }
    let csv = acc.store.usage_csv(0, i64::MAX).await.unwrap();
    assert!(!csv.contains("DE89") && !csv.contains("Brodersen"), "{csv}");

    // With the rule off, the old behaviour: refused, the cloud sees nothing.
    gw.set_rules(RuleSet::default());
    let r = post(&base, &acc.key, &letter(false)).await;
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "policy_violation");
    assert!(!v.to_string().contains("DE89"));
    assert_eq!(cloud.received().len(), 2);

    // Declared personal by the caller, the request is not the detector's
    // finding to undo: refused even with the rule on.
    gw.set_rules(RuleSet {
        pseudonymise_remote: true,
        ..RuleSet::default()
    });
    let r = reqwest::Client::new()
        .post(format!("{base}/chat/completions"))
        .bearer_auth(&acc.key)
        .header("X-Datenklasse", "personal")
        .json(&letter(false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(cloud.received().len(), 2);
}

#[tokio::test]
async fn a_pseudonymised_request_reaches_the_cloud_without_the_values() {
    story(Db::Sqlite).await;
}

#[tokio::test]
async fn a_pseudonymised_request_reaches_the_cloud_without_the_values_on_postgres() {
    story(Db::Postgres).await;
}
