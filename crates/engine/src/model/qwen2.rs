//! Qwen2 and Qwen2.5: the llama graph with biases on Q, K and V and RoPE on
//! the two halves of each head (NeoX style).

use super::{Architecture, Config, RopeStyle};
use crate::error::Result;
use crate::gguf::Header;

#[derive(Debug)]
pub struct Qwen2;

impl Architecture for Qwen2 {
    fn name(&self) -> &'static str {
        "qwen2"
    }

    fn config(&self, h: &Header) -> Result<Config> {
        let mut c = Config::from_metadata(h, "qwen2", RopeStyle::Halves)?;
        c.qkv_bias = true;
        Ok(c)
    }
}
