//! `/v1/embeddings` through the gateway: the local embedding model or an
//! allowed remote backend, under the same data-class rules, limits and
//! metering as a chat request.

use std::time::Instant;

use store::usage::UsageRecord;

use super::{Caller, Gateway, LOCAL};
use crate::backend::{Backend, StartError};
use crate::error::ApiError;
use crate::local::embeddings::{EmbedError, LocalEmbeddings};
use crate::openai::{EmbeddingRequest, Usage};
use crate::remote::RemoteBackend;
use crate::screening::Screening;

impl Gateway {
    /// Answers an embeddings request: from the local embedding model when
    /// it has the requested name, else (or when it is busy) from an
    /// allowed remote backend, under the same data-class rules, limits and
    /// metering as a chat request.
    pub async fn embeddings(
        &self,
        caller: &Caller,
        class_header: Option<&str>,
        req: &EmbeddingRequest,
        body: &serde_json::Value,
    ) -> Result<(serde_json::Value, Screening), ApiError> {
        let model = req.model.as_str();
        let screening = Screening::of_json(self.data_class(caller, class_header)?, &req.input);
        let class = screening.effective;
        let mut serving: Vec<Embedder<'_>> = self
            .embedder
            .iter()
            .filter(|e| e.model_id() == model)
            .map(Embedder::Local)
            .collect();
        let backends = self.backends();
        serving.extend(backends.iter().filter(|b| b.serves(model)).filter_map(
            |b| match b.as_ref() {
                Backend::Remote(r) => Some(Embedder::Remote(r)),
                Backend::Local(_) => None,
            },
        ));
        if serving.is_empty() && backends.iter().any(|b| b.serves(model)) {
            return Err(ApiError::invalid(
                "model",
                format!("Das lokale Modell „{model}“ erzeugt keine Embeddings. Dafür braucht es ein Embedding-Modell ([gateway.embeddings] oder „Einstellungen des KI-Gateways“) oder ein Backend, das eines anbietet."),
            ));
        }
        let candidates = self
            .permitted(model, class, serving, Embedder::reach)
            .map_err(|e| screening.annotate(e))?;
        let now = store::now();
        self.check_limits_sync(caller, now)?;
        self.meter.check_quota(&Self::subject(caller), now).await?;
        let started_at = Instant::now();
        let mut last = None;
        for candidate in candidates {
            let (backend, answer) = match candidate {
                Embedder::Local(e) => (
                    LOCAL,
                    e.embed(req).await.map_err(|e| match e {
                        EmbedError::Unavailable(e) => StartError::Unavailable(e),
                        EmbedError::Refused(e) => StartError::Refused(e),
                    }),
                ),
                Embedder::Remote(r) if r.is_healthy() => (r.name(), r.embeddings(body).await),
                Embedder::Remote(_) => continue,
            };
            match answer {
                Ok(v) => {
                    let tokens = v["usage"]["prompt_tokens"].as_u64().unwrap_or(0);
                    let usage = Usage::new(u32::try_from(tokens).unwrap_or(u32::MAX), 0);
                    let latency = started_at.elapsed();
                    self.metrics.started(backend);
                    self.metrics
                        .finished(model, backend, class.slug(), "ok", usage, latency, None);
                    self.meter.record(UsageRecord {
                        at: now,
                        user_id: Some(caller.user.id),
                        department: caller.user.department.clone(),
                        team: caller.team.clone(),
                        api_key_id: caller.key_id,
                        model: model.to_string(),
                        backend: backend.to_string(),
                        data_class: class.slug().to_string(),
                        declared_class: Some(screening.declared.slug().to_string()),
                        detected: screening.slugs(),
                        tokens_in: i64::from(usage.prompt_tokens),
                        tokens_out: 0,
                        latency_ms: latency.as_millis() as i64,
                        status: "ok".into(),
                    });
                    return Ok((v, screening));
                }
                Err(StartError::Refused(e)) => return Err(e),
                Err(StartError::Unavailable(e)) => {
                    tracing::warn!(backend, error = %e, "embeddings unavailable, trying the next allowed backend");
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| {
            ApiError::unavailable("Kein erlaubtes Backend für Embeddings ist gerade verfügbar.")
        }))
    }
}

/// Who may answer an embeddings request.
enum Embedder<'a> {
    Local(&'a LocalEmbeddings),
    Remote(&'a RemoteBackend),
}

impl Embedder<'_> {
    fn reach(&self) -> journey::policy::Reach {
        match self {
            Embedder::Local(_) => journey::policy::Reach::Local,
            Embedder::Remote(r) => r.reach(),
        }
    }
}
