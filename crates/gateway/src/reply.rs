//! An answer in progress and the metering of it when it ends: the one
//! place where a generation's usage (tokens, latency, class) is recorded,
//! whichever way the answer ends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use journey::policy::DataClass;
use store::usage::UsageRecord;

use crate::backend::{Event, Events};
use crate::error::ApiError;
use crate::meter::{Meter, Subject};
use crate::metrics::Metrics;
use crate::openai::Usage;
use crate::pseudonym::Reidentifier;
use crate::screening::Screening;

/// Where a finished answer is recorded. The gateway is the ledger; the
/// trait keeps this module from depending on the gateway that creates it.
pub(crate) trait Ledger: Send + Sync {
    fn metrics(&self) -> &Metrics;
    fn meter(&self) -> &Meter;
}

/// An answer in progress. Read it with [`Reply::next`]; when it ends —
/// done, failed or dropped because the client went away — its usage is
/// metered (metadata only).
pub struct Reply {
    pub(crate) ledger: Arc<dyn Ledger>,
    pub id: String,
    pub created: u64,
    pub model: String,
    pub backend: String,
    /// The class the request was routed by (declared, raised by findings).
    pub class: DataClass,
    /// What the personal-data check found.
    pub screening: Screening,
    pub(crate) events: Events,
    pub(crate) started_at: Instant,
    pub(crate) first_token: Option<Duration>,
    pub(crate) prompt_tokens: Option<u32>,
    /// The `n` choices of one request share its prompt: only the first
    /// meters it, or usage and quotas would count the prompt n times.
    pub(crate) meters_prompt: bool,
    pub(crate) text_chars: usize,
    pub(crate) subject: Subject,
    pub(crate) key_id: Option<i64>,
    pub(crate) finished: bool,
    /// For a pseudonymised request: puts the values back into the answer.
    pub(crate) reidentifier: Option<Reidentifier>,
    /// The end event, held while the re-identified rest goes out first.
    pub(crate) held: Option<Event>,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("id", &self.id)
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Reply {
    /// The next event; `None` after the last. A pseudonymised request's
    /// answer comes re-identified.
    pub async fn next(&mut self) -> Option<Event> {
        if let Some(event) = self.held.take() {
            return Some(event);
        }
        loop {
            let event = self.next_from_backend().await?;
            let Some(r) = self.reidentifier.as_mut() else {
                return Some(event);
            };
            match event {
                Event::Text(t) => {
                    let shown = r.push(&t);
                    // A piece that may be the start of a placeholder waits.
                    if !shown.is_empty() {
                        return Some(Event::Text(shown));
                    }
                }
                Event::ToolCall(mut c) => {
                    c.function.arguments = r.pseudonyms().reidentify(&c.function.arguments);
                    return Some(Event::ToolCall(c));
                }
                end @ (Event::Done { .. } | Event::Failed(_)) => {
                    let rest = r.finish();
                    if rest.is_empty() {
                        return Some(end);
                    }
                    self.held = Some(end);
                    return Some(Event::Text(rest));
                }
                other => return Some(other),
            }
        }
    }

    /// The backend's next event, metered as it comes.
    async fn next_from_backend(&mut self) -> Option<Event> {
        if self.finished {
            return None;
        }
        let event = self.events.recv().await.unwrap_or_else(|| {
            Event::Failed(ApiError::internal(
                "Das Backend hat die Antwort ohne Abschluss beendet.",
            ))
        });
        match &event {
            Event::Text(t) => {
                if self.first_token.is_none() {
                    self.first_token = Some(self.started_at.elapsed());
                }
                self.text_chars += t.chars().count();
            }
            Event::ToolCall(c) => self.text_chars += c.function.arguments.chars().count(),
            Event::Logprob(_) => {}
            Event::Done { usage, .. } => self.finish("ok", Some(*usage)),
            Event::Failed(_) => self.finish("error", None),
        }
        Some(event)
    }

    fn finish(&mut self, status: &str, usage: Option<Usage>) {
        if self.finished {
            return;
        }
        self.finished = true;
        let usage = usage.unwrap_or_else(|| {
            Usage::new(
                self.prompt_tokens.unwrap_or(0),
                self.text_chars.div_ceil(4) as u32,
            )
        });
        let usage = if self.meters_prompt {
            usage
        } else {
            Usage::new(0, usage.completion_tokens)
        };
        let latency = self.started_at.elapsed();
        self.ledger.metrics().finished(
            &self.model,
            &self.backend,
            self.class.slug(),
            status,
            usage,
            latency,
            self.first_token,
        );
        self.ledger.meter().record(UsageRecord {
            at: store::now(),
            user_id: Some(self.subject.user_id),
            department: self.subject.department.clone(),
            team: self.subject.team.clone(),
            api_key_id: self.key_id,
            model: self.model.clone(),
            backend: self.backend.clone(),
            data_class: self.class.slug().to_string(),
            declared_class: Some(self.screening.declared.slug().to_string()),
            detected: self.screening.slugs(),
            tokens_in: i64::from(usage.prompt_tokens),
            tokens_out: i64::from(usage.completion_tokens),
            latency_ms: latency.as_millis() as i64,
            status: status.to_string(),
        });
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        self.finish("cancelled", None);
    }
}
