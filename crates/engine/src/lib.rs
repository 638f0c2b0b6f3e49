//! `engine` runs GGUF language models (llama, qwen2, qwen3 families) on the
//! CPU in pure Rust: file reading, tokenizer, chat template, quantised
//! kernels, sampling, and a batched step function for a server to build
//! continuous batching on. It is not an HTTP server, a model downloader or a
//! GPU runtime; the gateway and the CLI sit on top of it.

pub mod chat;
pub mod cli;
mod error;
pub mod gguf;
#[allow(unsafe_code)]
pub mod kernels;
pub mod model;
pub mod quant;
pub mod sampler;
pub mod session;
pub mod synthetic;
pub mod tokenizer;

pub use chat::{ChatTemplate, Message};
pub use error::{Error, Result};
pub use model::Model;
pub use sampler::{Sampler, SamplerOptions};
pub use session::{BatchItem, Engine, EngineOptions, SeqId};
pub use tokenizer::{TokenId, Tokenizer};
