//! Qwen3: no Q/K/V biases, but an RMSNorm on each query and key head before
//! RoPE (NeoX style).

use super::{Architecture, Config, RopeStyle};
use crate::error::Result;
use crate::gguf::Header;

#[derive(Debug)]
pub struct Qwen3;

impl Architecture for Qwen3 {
    fn name(&self) -> &'static str {
        "qwen3"
    }

    fn config(&self, h: &Header) -> Result<Config> {
        let mut c = Config::from_metadata(h, "qwen3", RopeStyle::Halves)?;
        c.qk_norm = true;
        Ok(c)
    }
}
