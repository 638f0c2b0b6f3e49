use std::path::PathBuf;

/// Everything that can go wrong in the engine, from a bad file to a prompt
/// that does not fit the context.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid GGUF file: {0}")]
    Gguf(String),
    #[error("unsupported tensor type {0} (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS)")]
    UnsupportedType(u32),
    #[error("unsupported architecture `{0}` (supported: llama, qwen2, qwen3)")]
    UnsupportedArchitecture(String),
    #[error("model metadata problem: {0}")]
    Model(String),
    #[error("tokenizer problem: {0}")]
    Tokenizer(String),
    #[error(
        "chat template cannot be rendered ({0}); use a fallback template such as ChatML instead"
    )]
    ChatTemplate(String),
    #[error("prompt of {tokens} tokens does not fit the context of {context} tokens")]
    ContextFull { tokens: usize, context: usize },
    #[error("unknown sequence {0}")]
    UnknownSequence(u64),
    #[error("invalid argument: {0}")]
    Invalid(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn gguf(msg: impl Into<String>) -> Self {
        Self::Gguf(msg.into())
    }
}
