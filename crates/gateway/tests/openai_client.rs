//! The gateway with the real engine on SmolLM2, driven by a real OpenAI
//! client library (`async-openai`) over HTTP: models list, chat with and
//! without streaming, text completions, and error shapes.

mod common;

use async_openai::config::OpenAIConfig;
use async_openai::types::{
    ChatCompletionRequestUserMessageArgs, ChatCompletionStreamOptions, CreateChatCompletionRequest,
    CreateChatCompletionRequestArgs, CreateCompletionRequestArgs, FinishReason,
};
use async_openai::Client;
use common::{api_error, serve, smollm2_gateway};
use futures_util::StreamExt;
use gateway::local::Limits;

fn chat(model: &str, max_tokens: u32) -> CreateChatCompletionRequest {
    CreateChatCompletionRequestArgs::default()
        .model(model)
        .max_completion_tokens(max_tokens)
        .temperature(0.0)
        .messages([ChatCompletionRequestUserMessageArgs::default()
            .content("What is the capital of Germany?")
            .build()
            .unwrap()
            .into()])
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_openai_client_lists_models_chats_streams_and_reads_errors() {
    let Some((gw, acc, _)) = smollm2_gateway(Limits::default(), 8, 256).await else {
        return;
    };
    let base = serve(gw.clone()).await;
    let client = Client::with_config(
        OpenAIConfig::new()
            .with_api_base(&base)
            .with_api_key(&acc.key),
    );

    let models = client.models().list().await.unwrap();
    assert_eq!(models.data.len(), 1);
    assert_eq!(models.data[0].id, "smollm2");

    let whole = client.chat().create(chat("smollm2", 12)).await.unwrap();
    let answer = whole.choices[0].message.content.clone().unwrap();
    assert!(!answer.is_empty());
    let usage = whole.usage.unwrap();
    assert!(usage.prompt_tokens > 5);
    assert_eq!(
        usage.total_tokens,
        usage.prompt_tokens + usage.completion_tokens
    );
    assert!(matches!(
        whole.choices[0].finish_reason,
        Some(FinishReason::Stop | FinishReason::Length)
    ));

    // Streaming, greedy: the same answer, piece by piece, then usage.
    let mut req = chat("smollm2", 12);
    req.stream_options = Some(ChatCompletionStreamOptions {
        include_usage: true,
    });
    let mut stream = client.chat().create_stream(req).await.unwrap();
    let mut streamed = String::new();
    let mut roles = 0;
    let mut finish = None;
    let mut stream_usage = None;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        assert_eq!(chunk.object, "chat.completion.chunk");
        if let Some(u) = chunk.usage {
            assert!(chunk.choices.is_empty());
            stream_usage = Some(u);
        }
        for c in chunk.choices {
            roles += usize::from(c.delta.role.is_some());
            streamed.push_str(c.delta.content.as_deref().unwrap_or(""));
            finish = finish.or(c.finish_reason);
        }
    }
    assert_eq!(streamed, answer);
    assert_eq!(roles, 1);
    assert_eq!(finish, whole.choices[0].finish_reason);
    assert_eq!(stream_usage, Some(usage));

    let text = client
        .completions()
        .create(
            CreateCompletionRequestArgs::default()
                .model("smollm2")
                .prompt("Once upon a time")
                .max_tokens(8u32)
                .temperature(0.0)
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(text.object, "text_completion");
    assert!(!text.choices[0].text.is_empty());

    let e = api_error(client.chat().create(chat("gpt-5", 12)).await.unwrap_err());
    assert_eq!(e.code.as_deref(), Some("model_not_found"));
    assert_eq!(e.param.as_deref(), Some("model"));
    assert!(e.message.contains("gpt-5"));

    let e = api_error(
        client
            .chat()
            .create(chat("smollm2", 1000))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.param.as_deref(), Some("max_tokens"));
    assert_eq!(e.code.as_deref(), Some("context_length_exceeded"));

    let mut long = chat("smollm2", 4);
    long.messages = vec![ChatCompletionRequestUserMessageArgs::default()
        .content("Wort ".repeat(400))
        .build()
        .unwrap()
        .into()];
    let e = api_error(client.chat().create(long).await.unwrap_err());
    assert_eq!(e.param.as_deref(), Some("messages"));

    let wrong_key = Client::with_config(
        OpenAIConfig::new()
            .with_api_base(&base)
            .with_api_key("kr_falsch"),
    );
    let e = api_error(wrong_key.models().list().await.unwrap_err());
    assert_eq!(e.code.as_deref(), Some("invalid_api_key"));

    gw.flush_usage().await;
    let day = store::usage::QuotaPeriod::Day.bounds(store::now());
    let records = acc.store.usage_records(day.0, day.1).await.unwrap();
    assert_eq!(records.len(), 3);
    assert!(records
        .iter()
        .all(|r| r.backend == "lokal" && r.status == "ok"));
}
