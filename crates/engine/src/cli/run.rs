//! `ki-reise run MODEL [PROMPT]`: one answer to a prompt, or an interactive
//! chat on standard input when no prompt is given. Output is streamed as
//! it is generated.

use std::io::{BufRead, Write};
use std::path::Path;

use crate::chat::{ChatTemplate, Message};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::session::{Engine, EngineOptions, GenerateOptions};

/// Settings of `run`.
#[derive(Debug, Clone, Default)]
pub struct RunArgs {
    pub engine: EngineOptions,
    pub generate: GenerateOptions,
    /// A system message put before the conversation.
    pub system: Option<String>,
}

fn io(e: std::io::Error) -> Error {
    Error::Io {
        path: "<terminal>".into(),
        source: e,
    }
}

/// Answers `prompt`, or chats line by line from `input` until EOF or
/// `/exit` when `prompt` is `None`.
pub fn run(
    model_path: &Path,
    prompt: Option<&str>,
    args: &RunArgs,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<()> {
    let model = Model::load(model_path)?.shared();
    let template = match model.template() {
        Ok(t) => t,
        Err(e) => {
            writeln!(out, "note: {e}; using ChatML").map_err(io)?;
            ChatTemplate::chatml()
        }
    };
    let mut engine = Engine::new(model.clone(), args.engine.clone());
    let mut messages: Vec<Message> = args
        .system
        .iter()
        .map(|s| Message::new("system", s.clone()))
        .collect();
    let turn = |engine: &mut Engine,
                messages: &mut Vec<Message>,
                text: &str,
                out: &mut dyn Write|
     -> Result<()> {
        messages.push(Message::new("user", text));
        let rendered = template.render(messages, true)?;
        let tokens = model.tokenizer.encode(&rendered, true, true);
        let mut failed = None;
        let g = engine.generate(&tokens, &args.generate, &mut |piece| {
            if let Err(e) = out.write_all(piece.as_bytes()).and_then(|()| out.flush()) {
                failed = Some(e);
                return false;
            }
            true
        })?;
        if let Some(e) = failed {
            return Err(io(e));
        }
        writeln!(out).map_err(io)?;
        messages.push(Message::new("assistant", g.text));
        Ok(())
    };
    if let Some(p) = prompt {
        return turn(&mut engine, &mut messages, p, out);
    }
    loop {
        write!(out, "> ").map_err(io)?;
        out.flush().map_err(io)?;
        let mut line = String::new();
        if input.read_line(&mut line).map_err(io)? == 0 {
            return Ok(());
        }
        let line = line.trim();
        if line == "/exit" || line == "/quit" {
            return Ok(());
        }
        if line.is_empty() {
            continue;
        }
        match turn(&mut engine, &mut messages, line, out) {
            Err(Error::ContextFull { .. }) => {
                writeln!(
                    out,
                    "(the conversation no longer fits the context; starting over)"
                )
                .map_err(io)?;
                messages.retain(|m| m.role == "system");
            }
            other => other?,
        }
    }
}
