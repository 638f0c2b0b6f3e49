//! From an OpenAI request body to a checked [`GenerateRequest`] that every
//! backend understands. Each refusal names the offending field in `param`.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;
use crate::openai::{
    ChatCompletionRequest, CompletionRequest, Content, PromptInput, SamplingFields,
};
pub use crate::tools::ToolChoice;

/// What to generate from.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A conversation, rendered with the model's chat template.
    Chat(Vec<engine::Message>),
    /// Raw text, continued as is.
    Text(String),
}

/// Sampling settings, as given (backends fill in their defaults).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    /// Not OpenAI's; llama-server's and vLLM's extensions.
    pub top_k: Option<usize>,
    pub min_p: Option<f32>,
    pub repeat_penalty: Option<f32>,
    pub stop: Vec<String>,
    pub seed: Option<i64>,
    /// How many choices to generate (OpenAI's `n`; `None`: one).
    pub n: Option<u32>,
    pub presence_penalty: Option<f32>,
    pub frequency_penalty: Option<f32>,
    /// `response_format: {"type": "json_object"}`.
    pub json_object: bool,
    /// Generate until `max_tokens` even past the end-of-text token.
    pub ignore_eos: bool,
    /// `response_format: {"type": "json_schema"}`: the schema the answer
    /// follows (`true` when the client gave none: any JSON value).
    pub json_schema: Option<Value>,
    /// Log probabilities wanted, with this many alternatives per token.
    pub logprobs: Option<u8>,
    /// The functions offered (OpenAI's `tools`, as sent).
    pub tools: Vec<Value>,
    pub tool_choice: ToolChoice,
    /// Several calls in one answer allowed (`parallel_tool_calls`).
    pub parallel_tool_calls: bool,
    /// The client's body as sent: remote backends get it unchanged (but
    /// for streaming), so fields the gateway does not know reach them.
    pub body: Option<Value>,
}

/// The most choices one request may ask for: each is a sequence of its
/// own in the engine, and a few requests must not fill all its slots.
pub const MAX_CHOICES: u32 = 8;

impl Params {
    /// How many choices are asked for (at least one).
    pub fn choices(&self) -> u32 {
        self.n.unwrap_or(1).max(1)
    }

    /// The portal assistant's settings: administrative questions want the
    /// likeliest answer, not a creative one, so the temperature is low.
    pub fn factual(max_tokens: u32) -> Params {
        Params {
            max_tokens: Some(max_tokens),
            temperature: Some(0.2),
            ..Params::default()
        }
    }
}

/// A generation request, independent of the wire format and the backend.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateRequest {
    pub model: String,
    pub input: Input,
    pub params: Params,
}

/// How the client wants the answer delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    pub stream: bool,
    pub include_usage: bool,
}

/// Parses a body into JSON, refusing anything but an object.
pub fn parse_body(bytes: &[u8]) -> Result<Value, ApiError> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::malformed_json(&e.to_string()))?;
    if !value.is_object() {
        return Err(ApiError::malformed_json(
            "erwartet wird ein JSON-Objekt { … }",
        ));
    }
    Ok(value)
}

/// Reads `T` from the body; a field of the wrong type is refused with its
/// path (`messages.0.content`) as `param`.
pub fn typed<T: DeserializeOwned>(value: &Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if let Some(field) = inner
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
        {
            let param = if path == "." {
                field.to_string()
            } else {
                format!("{path}.{field}")
            };
            return ApiError::invalid(&param, format!("Das Feld „{param}“ fehlt."))
                .with_code("missing_required_parameter");
        }
        ApiError::invalid(
            &path,
            format!("Das Feld „{path}“ hat den falschen Typ oder Wert: {inner}"),
        )
        .with_code("invalid_type")
    })
}

fn range(param: &str, value: Option<f32>, lo: f32, hi: f32) -> Result<(), ApiError> {
    match value {
        Some(v) if !(lo..=hi).contains(&v) || v.is_nan() => Err(ApiError::invalid(
            param,
            format!("„{param}“ muss zwischen {lo} und {hi} liegen, nicht {v}."),
        )),
        _ => Ok(()),
    }
}

/// Checks the shared sampling fields and returns them with the delivery.
pub fn sampling(value: &Value) -> Result<(Params, Delivery), ApiError> {
    let f: SamplingFields = typed(value)?;
    range("temperature", f.temperature, 0.0, 2.0)?;
    range("top_p", f.top_p, 0.0, 1.0)?;
    range("min_p", f.min_p, 0.0, 1.0)?;
    range("repeat_penalty", f.repeat_penalty, 0.0, 10.0)?;
    range("presence_penalty", f.presence_penalty, -2.0, 2.0)?;
    range("frequency_penalty", f.frequency_penalty, -2.0, 2.0)?;
    if let Some(n) = f.n {
        if !(1..=MAX_CHOICES).contains(&n) {
            return Err(ApiError::invalid(
                "n",
                format!("„n“ muss zwischen 1 und {MAX_CHOICES} liegen, nicht {n}."),
            ));
        }
    }
    // Chat says `logprobs: true, top_logprobs: k`; completions say
    // `logprobs: k`.
    let logprobs = match (&f.logprobs, f.top_logprobs) {
        (None | Some(Value::Bool(false)) | Some(Value::Null), None) => None,
        (None | Some(Value::Bool(false)) | Some(Value::Null), Some(_)) => {
            return Err(ApiError::invalid(
                "top_logprobs",
                "„top_logprobs“ gilt nur zusammen mit „logprobs“: true.",
            ))
        }
        (Some(Value::Bool(true)), k) if k.unwrap_or(0) <= 20 => Some(k.unwrap_or(0) as u8),
        (Some(Value::Number(n)), None) if n.as_u64().is_some_and(|k| k <= 20) => {
            n.as_u64().map(|k| k as u8)
        }
        _ => {
            return Err(ApiError::invalid(
                "logprobs",
                "„logprobs“ ist true/false (mit „top_logprobs“ bis 20) oder bei /v1/completions eine Zahl bis 20.",
            ))
        }
    };
    let (max_param, max_tokens) = match (f.max_completion_tokens, f.max_tokens) {
        (Some(m), _) => ("max_completion_tokens", Some(m)),
        (None, m) => ("max_tokens", m),
    };
    if max_tokens == Some(0) {
        return Err(ApiError::invalid(
            max_param,
            format!("„{max_param}“ muss mindestens 1 sein."),
        ));
    }
    let stop = f.stop.map(|s| s.into_vec()).unwrap_or_default();
    if stop.len() > 4 {
        return Err(ApiError::invalid(
            "stop",
            "Höchstens vier Stopp-Zeichenfolgen sind erlaubt.",
        ));
    }
    let mut json_schema = None;
    let json_object = match f.response_format.as_ref().map(|r| r.kind.as_str()) {
        None | Some("text") => false,
        Some("json_object") => true,
        Some("json_schema") => {
            let given = f.response_format.and_then(|r| r.json_schema).ok_or_else(|| {
                ApiError::invalid(
                    "response_format.json_schema",
                    "Bei „json_schema“ fehlt das Feld „response_format.json_schema“ mit dem Schema.",
                )
            })?;
            json_schema = Some(given.schema.unwrap_or(Value::Bool(true)));
            false
        }
        Some(other) => {
            return Err(ApiError::invalid(
                "response_format",
                format!(
                "Das Antwortformat „{other}“ wird nicht unterstützt (erlaubt: text, json_object, json_schema)."
            ),
            ))
        }
    };
    Ok((
        Params {
            max_tokens,
            temperature: f.temperature,
            top_p: f.top_p,
            top_k: f.top_k.map(|k| k as usize),
            min_p: f.min_p,
            repeat_penalty: f.repeat_penalty,
            stop: stop.into_iter().filter(|s| !s.is_empty()).collect(),
            seed: f.seed,
            n: f.n,
            presence_penalty: f.presence_penalty,
            frequency_penalty: f.frequency_penalty,
            json_object,
            json_schema,
            logprobs,
            ignore_eos: f.ignore_eos,
            tools: Vec::new(),
            tool_choice: ToolChoice::Auto,
            parallel_tool_calls: true,
            body: Some(value.clone()),
        },
        Delivery {
            stream: f.stream,
            include_usage: f.stream && f.stream_options.is_some_and(|o| o.include_usage),
        },
    ))
}

fn model_name(model: &str) -> Result<String, ApiError> {
    let model = model.trim();
    if model.is_empty() {
        return Err(ApiError::invalid(
            "model",
            "Bitte ein Modell angeben (siehe GET /v1/models).",
        ));
    }
    Ok(model.to_string())
}

/// `POST /v1/chat/completions`.
pub fn chat(value: &Value) -> Result<(GenerateRequest, Delivery), ApiError> {
    let body: ChatCompletionRequest = typed(value)?;
    let (params, delivery) = sampling(value)?;
    if body.messages.is_empty() {
        return Err(ApiError::invalid(
            "messages",
            "„messages“ ist leer: Es braucht mindestens eine Nachricht.",
        ));
    }
    let mut messages = Vec::with_capacity(body.messages.len());
    for (i, m) in body.messages.into_iter().enumerate() {
        let role = match m.role.as_str() {
            "system" | "developer" => "system",
            "user" => "user",
            "assistant" => "assistant",
            "tool" => "tool",
            other => {
                return Err(ApiError::invalid(
                    &format!("messages[{i}].role"),
                    format!("Die Rolle „{other}“ wird nicht unterstützt (erlaubt: system, developer, user, assistant, tool)."),
                ))
            }
        };
        if role == "tool" && m.tool_call_id.as_deref().is_none_or(str::is_empty) {
            return Err(ApiError::invalid(
                &format!("messages[{i}].tool_call_id"),
                "Eine Nachricht mit der Rolle „tool“ braucht „tool_call_id“: die id des Aufrufs, den sie beantwortet.",
            )
            .with_code("missing_required_parameter"));
        }
        let tool_calls = crate::tools::calls(m.tool_calls, i)?;
        let tool_call_id = m.tool_call_id;
        let name = m.name;
        let content = match m.content {
            None => String::new(),
            Some(Content::Text(t)) => t,
            Some(Content::Parts(parts)) => {
                let mut text = String::new();
                for (j, p) in parts.into_iter().enumerate() {
                    match (p.kind.as_str(), p.text) {
                        ("text", Some(t)) => text.push_str(&t),
                        (kind, _) => {
                            return Err(ApiError::invalid(
                                &format!("messages[{i}].content[{j}]"),
                                format!(
                                    "Inhalte vom Typ „{kind}“ werden nicht unterstützt, nur Text."
                                ),
                            ))
                        }
                    }
                }
                text
            }
        };
        messages.push(engine::Message {
            tool_calls,
            tool_call_id,
            name,
            ..engine::Message::new(role, content)
        });
    }
    let mut params = params;
    params.tools = crate::tools::tools(body.tools)?;
    params.tool_choice = crate::tools::choice(body.tool_choice, &params.tools)?;
    params.parallel_tool_calls = body.parallel_tool_calls.unwrap_or(true);
    Ok((
        GenerateRequest {
            model: model_name(&body.model)?,
            input: Input::Chat(messages),
            params,
        },
        delivery,
    ))
}

/// `POST /v1/completions`.
pub fn completion(value: &Value) -> Result<(GenerateRequest, Delivery), ApiError> {
    let body: CompletionRequest = typed(value)?;
    let (params, delivery) = sampling(value)?;
    if params.json_object || params.json_schema.is_some() {
        return Err(ApiError::invalid(
            "response_format",
            "„response_format“ gibt es nur bei /v1/chat/completions.",
        ));
    }
    let prompt = match body.prompt {
        PromptInput::One(p) => p,
        PromptInput::Many(mut v) if v.len() == 1 => v.remove(0),
        PromptInput::Many(_) => {
            return Err(ApiError::invalid(
                "prompt",
                "Es wird genau ein Prompt je Anfrage verarbeitet.",
            ))
        }
    };
    if prompt.is_empty() {
        return Err(ApiError::invalid("prompt", "„prompt“ ist leer."));
    }
    Ok((
        GenerateRequest {
            model: model_name(&body.model)?,
            input: Input::Text(prompt),
            params,
        },
        delivery,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_chat_request_keeps_roles_and_parameters() {
        let v = json!({"model": "m", "messages": [{"role": "developer", "content": "kurz"},
            {"role": "user", "content": [{"type": "text", "text": "Hallo"}]}],
            "max_completion_tokens": 5, "max_tokens": 9, "stop": "X", "stream": true,
            "stream_options": {"include_usage": true}, "seed": -3});
        let (req, delivery) = chat(&v).unwrap();
        assert_eq!(
            req.input,
            Input::Chat(vec![
                engine::Message::new("system", "kurz"),
                engine::Message::new("user", "Hallo")
            ])
        );
        assert_eq!(req.params.max_tokens, Some(5));
        assert_eq!(req.params.stop, vec!["X".to_string()]);
        assert_eq!(req.params.seed, Some(-3));
        assert!(delivery.stream && delivery.include_usage);
    }

    #[test]
    fn wrong_types_and_values_name_the_field() {
        let e =
            chat(&json!({"model": "m", "messages": [{"role": "user", "content": 5}]})).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("messages[0].content"));
        let e = chat(&json!({"model": "m", "messages": [], "temperature": 1})).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("messages"));
        let e = chat(&json!({"model": "m", "messages": [{"role": "user", "content": "a"}], "temperature": "heiß"})).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("temperature"));
        let e =
            chat(&json!({"model": "m", "messages": [{"role": "user", "content": "a"}], "n": 9}))
                .unwrap_err();
        assert_eq!(e.param.as_deref(), Some("n"));
        let e =
            chat(&json!({"model": "m", "messages": [{"role": "user", "content": "a"}], "n": 0}))
                .unwrap_err();
        assert_eq!(e.param.as_deref(), Some("n"));
        let (req, _) =
            chat(&json!({"model": "m", "messages": [{"role": "user", "content": "a"}], "n": 8}))
                .unwrap();
        assert_eq!(req.params.choices(), 8);
        let e = chat(&json!({"messages": [{"role": "user", "content": "a"}]})).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("model"));
        let e = chat(
            &json!({"model": "m", "messages": [{"role": "user", "content": "a"}], "top_p": 1.5}),
        )
        .unwrap_err();
        assert_eq!(e.param.as_deref(), Some("top_p"));
    }

    #[test]
    fn malformed_json_and_non_objects_are_refused() {
        assert_eq!(
            parse_body(b"{\"model\":").unwrap_err().code,
            Some("invalid_json")
        );
        assert_eq!(parse_body(b"[1]").unwrap_err().code, Some("invalid_json"));
    }
}
