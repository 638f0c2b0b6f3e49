//! `POST /v1/embeddings` from the local engine on SmolLM2, driven by a real
//! OpenAI client library (`async-openai`) over HTTP, with its error shapes;
//! and a remote-only embedding model that still passes through.

mod common;

use async_openai::config::OpenAIConfig;
use async_openai::types::{CreateEmbeddingRequest, CreateEmbeddingRequestArgs, EncodingFormat};
use async_openai::Client;
use common::{account, api_error, mock, remote, serve, test_model, Db};
use gateway::{EmbeddingConfig, Gateway, GatewayConfig, LocalEmbeddings};
use journey::policy::RuleSet;
use serde_json::{json, Value};

/// SmolLM2 as chat model „smollm2“ and, from the same mapped file, as
/// embedding model „smollm2-embed“ with a context of 64 tokens and at most
/// four inputs per request; remote backends from `config`.
async fn gateway(config: GatewayConfig) -> Option<(std::sync::Arc<Gateway>, common::Account)> {
    let model = engine::Model::load(&test_model()?).expect("model").shared();
    let chat = gateway::LocalBackend::start(
        model.clone(),
        gateway::LocalOptions {
            model_id: "smollm2".into(),
            engine: engine::EngineOptions {
                threads: 2,
                n_ctx: 256,
                max_batch_tokens: 256,
                ..Default::default()
            },
            limits: gateway::local::Limits::default(),
            queue: 4,
            sampling: None,
        },
    )
    .expect("chat engine");
    let embeddings = LocalEmbeddings::start(
        model,
        "smollm2-embed".into(),
        &EmbeddingConfig {
            threads: Some(1),
            context: 64,
            max_inputs: 4,
            ..EmbeddingConfig::default()
        },
    )
    .expect("embedding engine");
    let acc = account(Db::Sqlite).await;
    let gw = Gateway::with_embeddings(
        acc.store.clone(),
        config,
        RuleSet::default(),
        Some(chat),
        Some(embeddings),
    )
    .expect("gateway");
    Some((gw, acc))
}

fn client(base: &str, key: &str) -> Client<OpenAIConfig> {
    Client::with_config(OpenAIConfig::new().with_api_base(base).with_api_key(key))
}

fn request(
    model: &str,
    input: impl Into<async_openai::types::EmbeddingInput>,
) -> CreateEmbeddingRequest {
    CreateEmbeddingRequestArgs::default()
        .model(model)
        .input(input)
        .build()
        .unwrap()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_openai_client_gets_unit_vectors_from_the_local_embedding_model() {
    let Some((gw, acc)) = gateway(GatewayConfig::default()).await else {
        return;
    };
    let base = serve(gw.clone()).await;
    let client = client(&base, &acc.key);

    let models = client.models().list().await.unwrap();
    let ids: Vec<&str> = models.data.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["smollm2", "smollm2-embed"]);
    // The staff chat offers chat models only.
    assert_eq!(gw.models().len(), 1);

    let one = client
        .embeddings()
        .create(request("smollm2-embed", "The cat sat on the mat."))
        .await
        .unwrap();
    assert_eq!(one.object, "list");
    assert_eq!(one.model, "smollm2-embed");
    assert_eq!(one.data.len(), 1);
    assert_eq!(
        (one.data[0].index, one.data[0].object.as_str()),
        (0, "embedding")
    );
    let cat = &one.data[0].embedding;
    assert_eq!(cat.len(), 576, "SmolLM2-135M's embedding width");
    let length = cosine(cat, cat).sqrt();
    assert!((length - 1.0).abs() < 1e-4, "length {length}");
    assert!(one.usage.prompt_tokens > 3);
    assert_eq!(one.usage.total_tokens, one.usage.prompt_tokens);

    let texts = [
        "The cat sat on the mat.",
        "A cat was sitting on the mat.",
        "Quarterly tax revenue rose by four percent.",
    ];
    let many = client
        .embeddings()
        .create(request("smollm2-embed", texts.to_vec()))
        .await
        .unwrap();
    let indexes: Vec<u32> = many.data.iter().map(|d| d.index).collect();
    assert_eq!(indexes, [0, 1, 2]);
    let v: Vec<&Vec<f32>> = many.data.iter().map(|d| &d.embedding).collect();
    assert!(
        cosine(cat, v[0]) > 0.9999,
        "a text alone and in a batch agree"
    );
    assert!(cosine(v[0], v[1]) > cosine(v[0], v[2]) + 0.1);
    assert!(many.usage.prompt_tokens > one.usage.prompt_tokens * 2);

    let mut b64 = request("smollm2-embed", "The cat sat on the mat.");
    b64.encoding_format = Some(EncodingFormat::Base64);
    let packed = client.embeddings().create_base64(b64).await.unwrap();
    let unpacked: Vec<f32> = packed.data[0].embedding.clone().into();
    assert_eq!(&unpacked, cat);

    // Errors in OpenAI's shape, naming the field.
    let e = api_error(
        client
            .embeddings()
            .create(request("gibtsnicht", "Hallo"))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (e.param.as_deref(), e.code.as_deref()),
        (Some("model"), Some("model_not_found"))
    );
    let e = api_error(
        client
            .embeddings()
            .create(request("smollm2", "Hallo"))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e.param.as_deref(),
        Some("model"),
        "the chat model makes no embeddings"
    );
    assert!(e.message.contains("keine Embeddings"), "{}", e.message);
    let e = api_error(
        client
            .embeddings()
            .create(request("smollm2-embed", ""))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.param.as_deref(), Some("input"));
    let e = api_error(
        client
            .embeddings()
            .create(request(
                "smollm2-embed",
                vec!["Hallo", "word ".repeat(100).as_str()],
            ))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (e.param.as_deref(), e.code.as_deref()),
        (Some("input[1]"), Some("context_length_exceeded"))
    );
    let e = api_error(
        client
            .embeddings()
            .create(request("smollm2-embed", vec!["a", "b", "c", "d", "e"]))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.param.as_deref(), Some("input"));
    assert!(e.message.contains("höchstens 4"), "{}", e.message);
    // Token ids are OpenAI's (see the test below): one list, one vector.
    let ids = client
        .embeddings()
        .create(request("smollm2-embed", vec![vec![1u32, 2, 3]]))
        .await
        .unwrap();
    assert_eq!(ids.data.len(), 1);

    // Metered as chat is: metadata only, tokens in, on the local backend.
    gw.flush_usage().await;
    let day = store::usage::QuotaPeriod::Day.bounds(store::now());
    let records = acc.store.usage_records(day.0, day.1).await.unwrap();
    let tokens: Vec<i64> = records.iter().map(|r| r.tokens_in).collect();
    assert_eq!(
        tokens,
        [
            i64::from(one.usage.prompt_tokens),
            i64::from(many.usage.prompt_tokens),
            i64::from(packed.usage.prompt_tokens),
            i64::from(ids.usage.prompt_tokens)
        ]
    );
    assert!(records
        .iter()
        .all(|r| r.backend == "lokal" && r.model == "smollm2-embed" && r.status == "ok"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_embedding_requests_name_the_field() {
    let Some((gw, acc)) = gateway(GatewayConfig::default()).await else {
        return;
    };
    let base = serve(gw.clone()).await;
    let http = reqwest::Client::new();
    let cases = [
        (json!({"input": "Hallo"}), "model"),
        (json!({"model": "smollm2-embed"}), "input"),
        (json!({"model": "smollm2-embed", "input": 42}), "input"),
        (json!({"model": "smollm2-embed", "input": []}), "input"),
        (
            json!({"model": "smollm2-embed", "input": ["Hallo", ""]}),
            "input[1]",
        ),
        (
            json!({"model": "smollm2-embed", "input": ["Hallo", {"text": "x"}]}),
            "input[1]",
        ),
        (
            json!({"model": "smollm2-embed", "input": "Hallo", "encoding_format": "hex"}),
            "encoding_format",
        ),
        (
            json!({"model": "smollm2-embed", "input": "Hallo", "dimensions": 64}),
            "dimensions",
        ),
        (json!({"model": "smollm2-embed", "input": [1, -2]}), "input"),
        (
            json!({"model": "smollm2-embed", "input": [[1], [999999999]]}),
            "input[1]",
        ),
    ];
    for (body, param) in cases {
        let r = http
            .post(format!("{base}/embeddings"))
            .bearer_auth(&acc.key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["param"], param, "{body}: {v}");
        assert_eq!(v["error"]["type"], "invalid_request_error", "{v}");
        assert!(
            v["error"]["message"].is_string() && v["error"]["code"].is_string(),
            "{v}"
        );
    }
    // The model's own width is a valid `dimensions`.
    let r = http
        .post(format!("{base}/embeddings"))
        .bearer_auth(&acc.key)
        .json(&json!({"model": "smollm2-embed", "input": "Hallo", "dimensions": 576}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Nothing but the last request was metered.
    gw.flush_usage().await;
    let day = store::usage::QuotaPeriod::Day.bounds(store::now());
    assert_eq!(
        acc.store.usage_records(day.0, day.1).await.unwrap().len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_only_embedding_model_still_passes_through_beside_the_local_one() {
    let m = mock("-").await;
    let config = GatewayConfig {
        backends: vec![remote("emb", &m, "einbettung", "private-cloud")],
        ..GatewayConfig::default()
    };
    let Some((gw, acc)) = gateway(config).await else {
        return;
    };
    let base = serve(gw.clone()).await;
    let answer = client(&base, &acc.key)
        .embeddings()
        .create(request("einbettung", vec!["Hallo", "Welt"]))
        .await
        .unwrap();
    assert_eq!(answer.data[0].embedding, [0.1, 0.2]);
    assert_eq!(m.received()[0]["input"], json!(["Hallo", "Welt"]));
    gw.flush_usage().await;
    let day = store::usage::QuotaPeriod::Day.bounds(store::now());
    let records = acc.store.usage_records(day.0, day.1).await.unwrap();
    assert_eq!(
        (records[0].backend.as_str(), records[0].tokens_in),
        ("emb", 3)
    );
    // Personal data may not reach the private cloud; the local model is
    // allowed every class.
    let http = reqwest::Client::new();
    for (model, status) in [("einbettung", 403), ("smollm2-embed", 200)] {
        let r = http
            .post(format!("{base}/embeddings"))
            .bearer_auth(&acc.key)
            .header("X-Datenklasse", "personal")
            .json(&json!({"model": model, "input": "Hallo"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{model}");
    }
    assert_eq!(m.received().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_ids_as_langchain_sends_them_embed_the_text_they_stand_for() {
    let Some((gw, acc)) = gateway(GatewayConfig::default()).await else {
        return;
    };
    let base = serve(gw).await;
    let texts = ["Der Bauantrag ist eingegangen.", "Grüß Gott, Öhringen!"];
    let ids: Vec<Vec<u32>> = texts
        .iter()
        .map(|t| tiktoken_rs::cl100k_base_singleton().encode_ordinary(t))
        .collect();
    let embed = |input: Value| {
        let (base, key) = (base.clone(), acc.key.clone());
        async move {
            let r = reqwest::Client::new()
                .post(format!("{base}/embeddings"))
                .bearer_auth(key)
                .json(&json!({"model": "smollm2-embed", "input": input}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let v: Value = r.json().await.unwrap();
            v["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| serde_json::from_value::<Vec<f32>>(d["embedding"].clone()).unwrap())
                .collect::<Vec<_>>()
        }
    };
    let from_text = embed(json!(texts)).await;
    let from_ids = embed(json!(ids)).await;
    let one = embed(json!(ids[1])).await;
    assert_eq!(from_ids.len(), 2);
    for (a, b) in from_text.iter().zip(&from_ids) {
        assert!(cosine(a, b) > 0.9999, "{}", cosine(a, b));
    }
    assert!(cosine(&one[0], &from_text[1]) > 0.9999);
}
