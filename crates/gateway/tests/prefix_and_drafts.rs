//! The local engine's prefix cache and speculative decoding through the
//! gateway (SmolLM2): a second request with the same long instructions
//! computes only its own tokens and answers as a gateway without the cache
//! does; prompt lookup gives the same answers, alone and batched, and both
//! show in the metrics.

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use gateway::local::Limits;
use gateway::{Caller, Event, Gateway, GenerateRequest, Input, Params};

async fn gateway(
    prefix_cache_bytes: usize,
    draft: bool,
) -> Option<(Arc<Gateway>, Caller, Arc<gateway::local::Stats>)> {
    let options = gateway::LocalOptions {
        model_id: "smollm2".into(),
        engine: engine::EngineOptions {
            threads: 2,
            n_ctx: 1024,
            max_batch_tokens: 256,
            prefix_cache_bytes,
            ..Default::default()
        },
        limits: Limits {
            max_sequences: 4,
            max_total_tokens: 4096,
            prefill_chunk: 128,
            draft: draft.then(engine::draft::PromptLookup::default),
        },
        queue: 8,
        sampling: None,
    };
    let (gw, acc, stats) = common::gateway_on_model(&common::test_model()?, options).await;
    Some((gw, Caller::user(acc.user), stats))
}

fn instructions() -> String {
    let mut s = String::from("Du bist der KI-Assistent des Bürgerbüros. ");
    for i in 1..=10 {
        s.push_str(&format!(
            "Regel {i}: Nenne bei Fragen zum Thema {i} die Öffnungszeiten, die Unterlagen und die Gebühr. "
        ));
    }
    s
}

fn request(system: &str, user: &str, max_tokens: u32) -> GenerateRequest {
    GenerateRequest {
        model: "smollm2".into(),
        input: Input::Chat(vec![
            engine::Message::new("system", system),
            engine::Message::new("user", user),
        ]),
        params: Params {
            max_tokens: Some(max_tokens),
            temperature: Some(0.0),
            ..Params::default()
        },
    }
}

async fn complete(gw: &Arc<Gateway>, caller: &Caller, req: GenerateRequest) -> (String, u32) {
    let mut reply = gw.generate(caller, None, req).await.unwrap();
    let mut text = String::new();
    while let Some(ev) = reply.next().await {
        match ev {
            Event::Text(t) => text.push_str(&t),
            Event::Done { usage, .. } => return (text, usage.prompt_tokens),
            Event::Failed(e) => panic!("{e}"),
            other => panic!("{other:?}"),
        }
    }
    panic!("no end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_request_with_the_same_instructions_computes_only_its_own_tokens() {
    let Some((warm, caller, stats)) = gateway(64 << 20, false).await else {
        return;
    };
    let (cold, cold_caller, _) = gateway(0, false).await.unwrap();
    let sys = instructions();
    let first = request(&sys, "Wie melde ich einen Umzug?", 16);
    let second = request(&sys, "Was kostet ein Führungszeugnis?", 16);
    let (_, first_tokens) = complete(&warm, &caller, first).await;
    assert_eq!(
        stats.prompt_tokens.load(Ordering::Relaxed),
        u64::from(first_tokens)
    );
    let (answer, second_tokens) = complete(&warm, &caller, second.clone()).await;
    let computed = stats.prompt_tokens.load(Ordering::Relaxed) - u64::from(first_tokens);
    // The instructions (some 200 tokens) came from the cache.
    assert!(
        computed + 150 < u64::from(second_tokens),
        "computed {computed} of {second_tokens}"
    );
    assert_eq!(stats.prefix_hits.load(Ordering::Relaxed), 1);
    assert_eq!(stats.prefix_misses.load(Ordering::Relaxed), 1);
    assert_eq!(
        stats.prefix_hit_tokens.load(Ordering::Relaxed) + computed,
        u64::from(second_tokens)
    );
    assert_eq!(complete(&cold, &cold_caller, second).await.0, answer);
    let metrics = warm.render_metrics();
    assert!(
        metrics.contains("kireise_engine_prefix_cache_hits_total 1")
            && metrics.contains("kireise_engine_prefix_cache_misses_total 1"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_lookup_gives_the_same_answers_alone_and_batched() {
    let Some((plain, caller, _)) = gateway(0, false).await else {
        return;
    };
    let (fast, fast_caller, stats) = gateway(0, true).await.unwrap();
    let sys = "Gib den Text des Antrags wörtlich wieder und ergänze nichts.";
    let inputs = [
        "Hiermit beantrage ich Wohngeld ab dem 01.04.2026. Ich heiße Anna Meier, geboren am 12.03.1985, und wohne in der Lindenstraße 14, 06108 Halle (Saale).",
        "Ich melde zum 15.01.2026 meinen Hund Bruno zur Hundesteuer an. Halter: Stefan Koch, Am Markt 3, 06110 Halle (Saale).",
        "Ich beantrage einen Bewohnerparkausweis für das Kennzeichen HAL-KM 204. Name: Kai Müller, Rannische Straße 8, 06108 Halle (Saale).",
    ];
    let mut expected = Vec::new();
    for i in inputs {
        expected.push(complete(&plain, &caller, request(sys, i, 48)).await.0);
    }
    for (i, want) in inputs.iter().zip(&expected) {
        assert_eq!(
            &complete(&fast, &fast_caller, request(sys, i, 48)).await.0,
            want
        );
    }
    let together = futures_util::future::join_all(
        inputs
            .iter()
            .map(|i| complete(&fast, &fast_caller, request(sys, i, 48))),
    )
    .await;
    for (t, want) in together.iter().zip(&expected) {
        assert_eq!(&t.0, want);
    }
    let drafted = stats.drafted_tokens.load(Ordering::Relaxed);
    let accepted = stats.accepted_tokens.load(Ordering::Relaxed);
    assert!(drafted > 0 && accepted > 0, "{accepted}/{drafted}");
    let metrics = fast.render_metrics();
    assert!(
        metrics.contains(&format!(
            "kireise_engine_draft_accepted_tokens_total {accepted}"
        )),
        "{metrics}"
    );
}
