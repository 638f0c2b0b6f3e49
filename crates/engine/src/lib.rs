//! `engine` runs GGUF language models (llama, qwen2, qwen3 families) on the
//! CPU in pure Rust: file reading, tokenizer, chat template, quantised
//! kernels, sampling, and a batched step function for a server to build
//! continuous batching on. It is not an HTTP server, a model downloader or a
//! GPU runtime; the gateway and the CLI sit on top of it.
//!
//! ```no_run
//! use engine::{BatchItem, Engine, EngineOptions, Message, Model};
//!
//! # fn main() -> engine::Result<()> {
//! let model = Model::load("model.gguf".as_ref())?.shared();
//! let prompt = model.template()?.render(&[Message::new("user", "Hallo!")], true)?;
//! let tokens = model.tokenizer.encode(&prompt, true, true);
//! let mut engine = Engine::new(model.clone(), EngineOptions::default());
//! // Continuous batching: each step may mix prompt chunks and decode tokens
//! // of many sequences.
//! let seq = engine.new_sequence();
//! let logits = engine.step(&[BatchItem { seq, tokens: &tokens, logits: true }])?;
//! let next = engine::sampler::argmax(logits[0].as_deref().unwrap_or_default());
//! # let _ = next;
//! # Ok(())
//! # }
//! ```

pub mod chat;
pub mod cli;
pub mod draft;
pub mod embed;
mod error;
pub mod gguf;
#[allow(unsafe_code)]
pub mod kernels;
mod kv;
// The two calls into memmap2 that it marks unsafe; each says why it holds.
#[allow(unsafe_code)]
mod mapping;
pub mod model;
pub mod prefix_cache;
pub mod prompt;
pub mod quant;
pub mod sampler;
pub mod session;
pub mod synthetic;
#[doc(hidden)]
pub mod test_support;
pub mod tokenizer;
mod vocab;

pub use chat::{ChatTemplate, Message};
pub use error::{Error, Result};
pub use model::Model;
pub use sampler::{Sampler, SamplerOptions};
pub use session::{BatchItem, DraftItem, Engine, EngineOptions, EngineStats, KvType, SeqId};
pub use tokenizer::{TokenId, Tokenizer};
