//! `gateway` is ki-reise's OpenAI-compatible API (`/v1/...`): the local
//! engine with continuous batching, remote OpenAI-compatible backends
//! (llama-server, Ollama, vLLM) with replicas, health checks and fallback,
//! routing by the data class that the KI-Richtlinie's rule set
//! ([`journey::policy::RuleSet`]) allows for each backend, API-key
//! authentication, token quotas, rate limits and metering as metadata.
//!
//! It is not the portal: no pages, sessions or CSRF here. The portal uses
//! [`Gateway`] directly for the staff chat (`Caller::user`,
//! [`Gateway::generate`], [`Gateway::models`], [`Gateway::usage_summary`]).
//!
//! ```no_run
//! # async fn demo(store: store::Store) -> Result<(), gateway::ApiError> {
//! use gateway::{Gateway, GatewayConfig};
//! let gw = Gateway::new(store, GatewayConfig::default(), Default::default(), None)?;
//! let app: axum::Router = gateway::router(gw);
//! # let _ = app; Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

pub mod backend;
mod backend_url;
mod balance;
mod error;
mod events;
mod gateway;
mod http;
pub mod local;
mod meter;
mod metrics;
pub mod openai;
mod pseudonym;
pub mod remote;
mod reply;
pub mod request;
mod screening;
pub mod tools;

pub use backend::Event;
pub use backend_url::{check_backend_url, host_and_port, host_entry};
pub use balance::Limits as BackendLimits;
pub use error::ApiError;
pub use gateway::{Caller, Gateway, GatewayConfig, ModelInfo};
pub use http::{router, DATA_CLASS_HEADER, EFFECTIVE_CLASS_HEADER, PSEUDONYMISED_HEADER};
pub use local::embeddings::{EmbeddingConfig, LocalEmbeddings};
pub use local::{LocalBackend, LocalConfig, LocalOptions};
pub use remote::RemoteConfig;
pub use reply::Reply;
pub use request::{GenerateRequest, Input, Params};
pub use screening::Screening;
