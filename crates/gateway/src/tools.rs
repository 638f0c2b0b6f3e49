//! OpenAI's tool-calling fields (`tools`, `tool_choice`, `tool_calls` and
//! `tool` turns) checked and turned into what the backends use.

use serde_json::Value;

use crate::error::ApiError;
use crate::openai::{ToolDef, WireToolCall};

/// Whether and which function the model must call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ToolChoice {
    /// The model decides (OpenAI's default when tools are given).
    #[default]
    Auto,
    /// No call; the tools are not shown to the model.
    None,
    /// At least one call of any of the tools.
    Required,
    /// A call of this function.
    Named(String),
}

/// Checks `tools` and returns them as sent (templates read that shape).
pub fn tools(defs: Option<Vec<ToolDef>>) -> Result<Vec<Value>, ApiError> {
    let Some(defs) = defs else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(defs.len());
    for (i, d) in defs.into_iter().enumerate() {
        if d.kind != "function" {
            return Err(ApiError::invalid(
                &format!("tools[{i}].type"),
                format!(
                    "Werkzeuge vom Typ „{}“ gibt es nicht, nur „function“.",
                    d.kind
                ),
            ));
        }
        let name = d.function.name.trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(ApiError::invalid(
                &format!("tools[{i}].function.name"),
                "Der Funktionsname darf nur Buchstaben, Ziffern, _ und - enthalten und nicht leer sein.",
            ));
        }
        if out.iter().any(|t: &Value| t["function"]["name"] == name) {
            return Err(ApiError::invalid(
                &format!("tools[{i}].function.name"),
                format!("Die Funktion „{name}“ ist doppelt angegeben."),
            ));
        }
        let parameters = d
            .function
            .parameters
            .unwrap_or_else(|| serde_json::json!({"type": "object", "properties": {}}));
        let mut function = serde_json::json!({"name": name, "parameters": parameters});
        if let Some(desc) = d.function.description {
            function["description"] = Value::String(desc);
        }
        out.push(serde_json::json!({"type": "function", "function": function}));
    }
    Ok(out)
}

/// Reads `tool_choice` against the tools offered.
pub fn choice(value: Option<Value>, tools: &[Value]) -> Result<ToolChoice, ApiError> {
    let choice = match &value {
        None | Some(Value::Null) => ToolChoice::Auto,
        Some(Value::String(s)) => match s.as_str() {
            "auto" => ToolChoice::Auto,
            "none" => ToolChoice::None,
            "required" => ToolChoice::Required,
            other => {
                return Err(ApiError::invalid(
                    "tool_choice",
                    format!("„tool_choice“ = „{other}“ gibt es nicht (möglich: auto, none, required oder eine Funktion)."),
                ))
            }
        },
        Some(v) => match v["function"]["name"].as_str() {
            Some(name) if v["type"] == "function" => ToolChoice::Named(name.to_string()),
            _ => {
                return Err(ApiError::invalid(
                    "tool_choice",
                    "„tool_choice“ als Objekt braucht {\"type\": \"function\", \"function\": {\"name\": …}}.",
                ))
            }
        },
    };
    match &choice {
        ToolChoice::Required | ToolChoice::Named(_) if tools.is_empty() => Err(ApiError::invalid(
            "tool_choice",
            "„tool_choice“ verlangt einen Funktionsaufruf, aber „tools“ ist leer.",
        )),
        ToolChoice::Named(n) if !tools.iter().any(|t| t["function"]["name"] == n.as_str()) => {
            Err(ApiError::invalid(
                "tool_choice",
                format!("Die Funktion „{n}“ steht nicht in „tools“."),
            ))
        }
        _ => Ok(choice),
    }
}

/// An assistant turn's calls as templates expect them: arguments as an
/// object where they are JSON, else the text as sent.
pub fn calls(
    wire: Option<Vec<WireToolCall>>,
    i: usize,
) -> Result<Vec<engine::chat::ToolCall>, ApiError> {
    wire.unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(j, c)| {
            if c.function.name.trim().is_empty() {
                return Err(ApiError::invalid(
                    &format!("messages[{i}].tool_calls[{j}].function.name"),
                    "Der Name der aufgerufenen Funktion fehlt.",
                ));
            }
            let arguments = serde_json::from_str(&c.function.arguments)
                .unwrap_or(Value::String(c.function.arguments));
            Ok(engine::chat::ToolCall {
                id: c.id,
                kind: "function".into(),
                function: engine::chat::FunctionCall {
                    name: c.function.name,
                    arguments,
                },
            })
        })
        .collect()
}
