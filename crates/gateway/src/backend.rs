//! What every backend delivers: a stream of [`Event`]s, whichever engine or
//! server produced them. The HTTP layer turns that stream into OpenAI's
//! response object or its SSE chunks.

use journey::policy::Reach;

pub use crate::events::{Event, Events, StartError, Started};
use crate::local::LocalBackend;
use crate::remote::RemoteBackend;
use crate::request::GenerateRequest;

#[derive(Debug)]
pub enum Backend {
    Local(LocalBackend),
    Remote(RemoteBackend),
}

impl Backend {
    pub fn name(&self) -> &str {
        match self {
            Backend::Local(_) => "lokal",
            Backend::Remote(r) => r.name(),
        }
    }

    /// Where the backend runs, which the policy rules on.
    pub fn reach(&self) -> Reach {
        match self {
            Backend::Local(_) => Reach::Local,
            Backend::Remote(r) => r.reach(),
        }
    }

    pub fn models(&self) -> Vec<String> {
        match self {
            Backend::Local(l) => vec![l.model_id().to_string()],
            Backend::Remote(r) => r.models().to_vec(),
        }
    }

    /// The name people see for `model` (one this backend serves): the
    /// local model's own name; a remote backend's models are known only by
    /// their ids.
    pub fn display_name(&self, model: &str) -> String {
        match self {
            Backend::Local(l) if l.model_id() == model => l.display_name().to_string(),
            _ => model.to_string(),
        }
    }

    pub fn serves(&self, model: &str) -> bool {
        match self {
            Backend::Local(l) => l.model_id() == model,
            Backend::Remote(r) => r.models().iter().any(|m| m == model),
        }
    }

    pub fn is_healthy(&self) -> bool {
        match self {
            Backend::Local(_) => true,
            Backend::Remote(r) => r.is_healthy(),
        }
    }

    /// Starts an answer. `Ok` means the backend has accepted the request;
    /// the answer follows as events.
    pub async fn start(&self, req: &GenerateRequest) -> Result<Started, StartError> {
        match self {
            Backend::Local(l) => {
                let prepared = l.prepare(req).map_err(StartError::Refused)?;
                let prompt_tokens = Some(prepared.tokens.len() as u32);
                let events = l.submit(req, prepared).map_err(|e| {
                    if e.status == axum::http::StatusCode::TOO_MANY_REQUESTS {
                        StartError::Unavailable(e)
                    } else {
                        StartError::Refused(e)
                    }
                })?;
                Ok(Started {
                    events,
                    prompt_tokens,
                })
            }
            Backend::Remote(r) => Ok(Started {
                events: r.start(req).await?,
                prompt_tokens: None,
            }),
        }
    }
}
