//! Tool calls on the local engine, in the `<tool_call>{"name", "arguments"}
//! </tool_call>` form of Hermes, Qwen2.5 and Qwen3: how the tools reach the
//! model (its own template where that reads `tools`, else a system message
//! that describes them), the grammar that makes a call's arguments valid
//! against the function's schema, and reading calls back out of the text.

use std::sync::Arc;

use serde_json::Value;

use super::schema::{Grammar, SchemaError};
use crate::backend::Event;
use crate::error::ApiError;
use crate::openai::{WireFunction, WireToolCall};
use crate::request::ToolChoice;

pub const OPEN: &str = "<tool_call>";
pub const CLOSE: &str = "</tool_call>";

/// How a request's tools are generated.
#[derive(Debug, Clone)]
pub struct ToolPlan {
    /// Binding from the first token (`required` or a named function).
    pub forced: Option<Arc<Grammar>>,
    /// Binding once the model opens a call by itself (`auto`).
    pub lazy: Option<Arc<Grammar>>,
}

fn name_of(tool: &Value) -> &str {
    tool["function"]["name"].as_str().unwrap_or_default()
}

/// The grammar of one call of any of `tools`, starting after `start`.
fn call_grammar(tools: &[&Value], start: &str) -> Result<Grammar, ApiError> {
    let alternatives: Vec<(String, &Value, String)> = tools
        .iter()
        .map(|t| {
            let name = Value::String(name_of(t).to_string());
            (
                format!("{start}{{\"name\": {name}, \"arguments\": "),
                &t["function"]["parameters"],
                format!("}}\n{CLOSE}"),
            )
        })
        .collect();
    Grammar::wrapped(&alternatives).map_err(|(i, e): (usize, SchemaError)| {
        ApiError::invalid(
            &format!("tools[{i}].function.parameters"),
            format!("Schema an der Stelle {}: {}", e.path, e.message),
        )
        .with_code("unsupported_schema")
    })
}

/// The grammars for `tools` under `choice`; `None` when no call is made.
pub fn plan(tools: &[Value], choice: &ToolChoice) -> Result<Option<ToolPlan>, ApiError> {
    if tools.is_empty() || *choice == ToolChoice::None {
        return Ok(None);
    }
    let all: Vec<&Value> = tools.iter().collect();
    // Every schema is checked, whichever the model would call.
    let lazy = Arc::new(call_grammar(&all, "")?);
    Ok(Some(match choice {
        ToolChoice::Auto | ToolChoice::None => ToolPlan {
            forced: None,
            lazy: Some(lazy),
        },
        ToolChoice::Required => ToolPlan {
            forced: Some(Arc::new(call_grammar(&all, &format!("{OPEN}\n"))?)),
            lazy: None,
        },
        ToolChoice::Named(n) => {
            let named: Vec<&Value> = all.into_iter().filter(|t| name_of(t) == n).collect();
            ToolPlan {
                forced: Some(Arc::new(call_grammar(&named, &format!("{OPEN}\n"))?)),
                lazy: None,
            }
        }
    }))
}

/// For a template with no place for tools: the tools described in a
/// system message, earlier calls and their results written in the form
/// the model is asked to use.
pub fn describe(messages: &[engine::Message], tools: &[Value]) -> Vec<engine::Message> {
    let mut text = format!(
        "You can call functions. To call one, answer with exactly\n{OPEN}\n{{\"name\": <function name>, \"arguments\": <arguments as a JSON object>}}\n{CLOSE}\nThe functions:\n"
    );
    for t in tools {
        text.push_str(&t["function"].to_string());
        text.push('\n');
    }
    let mut out = Vec::with_capacity(messages.len() + 1);
    let mut rest = messages;
    match messages.first() {
        Some(m) if m.role == "system" => {
            out.push(engine::Message::new(
                "system",
                format!("{}\n\n{text}", m.content),
            ));
            rest = &messages[1..];
        }
        _ => out.push(engine::Message::new("system", text)),
    }
    for m in rest {
        out.push(match m.role.as_str() {
            "assistant" if !m.tool_calls.is_empty() => {
                let mut content = m.content.clone();
                for c in &m.tool_calls {
                    let call = serde_json::json!({"name": c.function.name, "arguments": c.function.arguments});
                    content.push_str(&format!("{OPEN}\n{call}\n{CLOSE}"));
                }
                engine::Message::new("assistant", content)
            }
            "tool" => engine::Message::new(
                "user",
                format!("<tool_response>\n{}\n</tool_response>", m.content),
            ),
            _ => m.clone(),
        });
    }
    out
}

/// Splits generated text into answer text and tool calls.
#[derive(Debug, Default)]
pub struct CallParser {
    held: String,
    /// Inside `<tool_call>`: the text since.
    call: Option<String>,
    pub calls: u32,
}

impl CallParser {
    /// Inside a call, with the text after its opening tag.
    pub fn open_call(&self) -> Option<&str> {
        self.call.as_deref()
    }

    /// Takes the next piece of text; returns the events it completes.
    pub fn push(&mut self, piece: &str) -> Vec<Event> {
        let mut out = Vec::new();
        self.held.push_str(piece);
        loop {
            match &mut self.call {
                None => {
                    if let Some(p) = self.held.find(OPEN) {
                        if p > 0 {
                            out.push(Event::Text(self.held[..p].to_string()));
                        }
                        self.held.drain(..p + OPEN.len());
                        self.call = Some(String::new());
                        continue;
                    }
                    // Hold back what may be the start of `<tool_call>`.
                    let keep = (1..OPEN.len())
                        .rev()
                        .find(|&n| self.held.ends_with(&OPEN[..n]))
                        .unwrap_or(0);
                    let cut = self.held.len() - keep;
                    if cut > 0 {
                        out.push(Event::Text(self.held[..cut].to_string()));
                        self.held.drain(..cut);
                    }
                    return out;
                }
                Some(call) => {
                    call.push_str(&self.held);
                    self.held.clear();
                    let Some(end) = call.find(CLOSE) else {
                        return out;
                    };
                    let body = call[..end].to_string();
                    self.held = call[end + CLOSE.len()..].to_string();
                    self.call = None;
                    match parse_call(&body) {
                        Some(c) => {
                            self.calls += 1;
                            out.push(Event::ToolCall(c));
                        }
                        None => out.push(Event::Text(format!("{OPEN}{body}{CLOSE}"))),
                    }
                }
            }
        }
    }

    /// The text still held at the end (an unfinished call stays text).
    pub fn finish(&mut self) -> Option<Event> {
        let mut rest = String::new();
        if let Some(call) = self.call.take() {
            rest.push_str(OPEN);
            rest.push_str(&call);
        }
        rest.push_str(&std::mem::take(&mut self.held));
        (!rest.is_empty()).then_some(Event::Text(rest))
    }
}

fn parse_call(body: &str) -> Option<WireToolCall> {
    let v: Value = serde_json::from_str(body.trim()).ok()?;
    let name = v["name"].as_str()?.to_string();
    let arguments = match &v["arguments"] {
        Value::Null => "{}".to_string(),
        Value::String(s) => s.clone(),
        a => a.to_string(),
    };
    Some(WireToolCall {
        id: crate::openai::new_id("call"),
        kind: "function".into(),
        function: WireFunction { name, arguments },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn calls_are_cut_out_of_the_text_across_pieces() {
        let mut p = CallParser::default();
        let mut events = Vec::new();
        for piece in [
            "Moment. <tool",
            "_call>\n{\"name\": \"wetter\", ",
            "\"arguments\": {\"ort\": \"Ulm\"}}\n</tool_",
            "call>",
        ] {
            events.extend(p.push(piece));
        }
        events.extend(p.finish());
        assert_eq!(events[0], Event::Text("Moment. ".into()));
        let Event::ToolCall(c) = &events[1] else {
            panic!("{events:?}")
        };
        assert_eq!(c.function.name, "wetter");
        assert_eq!(c.function.arguments, r#"{"ort":"Ulm"}"#);
        assert_eq!(events.len(), 2);
    }

    #[test]
    fn a_forced_call_follows_the_functions_schema() {
        let tools = vec![json!({"type": "function", "function": {"name": "wetter",
            "parameters": {"type": "object", "properties": {"ort": {"type": "string"}}, "required": ["ort"]}}})];
        let plan = plan(&tools, &ToolChoice::Required).unwrap().unwrap();
        let m = super::super::constraint::Matcher::new(plan.forced.unwrap());
        let good =
            "<tool_call>\n{\"name\": \"wetter\", \"arguments\": {\"ort\": \"Ulm\"}}\n</tool_call>";
        let mut g = m.clone();
        assert!(good.bytes().all(|b| g.feed(b)) && g.is_finished());
        assert!(!m.accepts(b"Hallo"));
        assert!(!m.accepts(b"<tool_call>\n{\"name\": \"regen\""));
    }
}
