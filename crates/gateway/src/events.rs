//! What a backend hands back: a stream of events, whichever engine or
//! server produced them, and why an answer did not start. Apart from
//! `backend` so that the backends need not import the type that holds them.

use tokio::sync::mpsc::UnboundedReceiver;

use crate::error::ApiError;
use crate::openai::{FinishReason, Usage};

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The next piece of the answer (whole UTF-8 characters).
    Text(String),
    /// The log probability of the next token of the answer (sent before
    /// its text, when the request asked for `logprobs`).
    Logprob(crate::openai::TokenLogprob),
    /// A complete function call (its arguments as JSON text).
    ToolCall(crate::openai::WireToolCall),
    /// The answer is complete.
    Done { finish: FinishReason, usage: Usage },
    /// The backend failed after the answer had started.
    Failed(ApiError),
}

pub type Events = UnboundedReceiver<Event>;

/// An answer under way.
#[derive(Debug)]
pub struct Started {
    pub events: Events,
    /// Known at once for the local engine; remote backends report it at
    /// the end.
    pub prompt_tokens: Option<u32>,
}

/// Why a backend did not start an answer.
#[derive(Debug)]
pub enum StartError {
    /// The backend is down or overloaded; the next allowed backend may try.
    Unavailable(ApiError),
    /// The request itself is wrong; no other backend would do better.
    Refused(ApiError),
}

impl StartError {
    pub fn into_error(self) -> ApiError {
        match self {
            StartError::Unavailable(e) | StartError::Refused(e) => e,
        }
    }
}
