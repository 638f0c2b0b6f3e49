//! Running a loaded model: sequences with their own KV cache (f16 or Q8_0,
//! in blocks shared with the prefix cache), and [`Engine::step`], which
//! advances any mix of sequences by any number of tokens in one forward
//! pass — prompt chunks and single decode tokens side by side — so that a
//! server can build continuous batching on top.
//!
//! Files: `options` holds the settings and the public step types, `engine`
//! the sequences, `forward` the forward pass over a batch, `matmul` and
//! `layers` the operations it is made of, and `generate` one prompt to
//! completion.

mod batch;
mod engine;
mod forward;
mod generate;
mod layers;
mod matmul;
mod options;

pub use engine::Engine;
pub use generate::{GenerateOptions, Generation};
pub(crate) use layers::rms_norm_rows;
pub use options::{
    physical_cores, BatchItem, DraftItem, EngineOptions, EngineStats, KvType, SeqId,
    DEFAULT_PREFIX_CACHE_BYTES,
};
