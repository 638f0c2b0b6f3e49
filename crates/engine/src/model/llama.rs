//! Llama and the models that share its graph: SmolLM2, Llama 3.x,
//! Mistral-style files (converted with `general.architecture = llama`).

use super::{Architecture, Config, RopeStyle};
use crate::error::Result;
use crate::gguf::Header;

#[derive(Debug)]
pub struct Llama;

impl Architecture for Llama {
    fn name(&self) -> &'static str {
        "llama"
    }

    fn config(&self, h: &Header) -> Result<Config> {
        Config::from_metadata(h, "llama", RopeStyle::Adjacent)
    }
}
