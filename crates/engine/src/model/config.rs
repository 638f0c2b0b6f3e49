//! The hyper-parameters of a model as its file's metadata gives them, and
//! the trait by which each transformer family reads them.

use crate::error::{Error, Result};
use crate::gguf::Header;

/// What distinguishes one transformer family from another.
pub trait Architecture: Sync {
    /// The value of `general.architecture`.
    fn name(&self) -> &'static str;
    /// Reads the hyper-parameters from the file's metadata.
    fn config(&self, h: &Header) -> Result<Config>;
}

/// How RoPE pairs up the dimensions of a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RopeStyle {
    /// (x0, x1), (x2, x3), … — llama.cpp's "norm" style.
    Adjacent,
    /// (x0, x_{n/2}), … — the NeoX style of Qwen.
    Halves,
}

/// Hyper-parameters of a decoder-only transformer.
#[derive(Debug, Clone)]
pub struct Config {
    pub arch: String,
    pub n_layer: usize,
    pub n_embd: usize,
    pub n_ff: usize,
    pub n_head: usize,
    pub n_head_kv: usize,
    pub head_dim: usize,
    pub rope_dim: usize,
    pub rope_base: f32,
    pub rope_freq_scale: f32,
    pub rope_style: RopeStyle,
    pub norm_eps: f32,
    pub n_ctx_train: usize,
    pub qkv_bias: bool,
    pub qk_norm: bool,
}

const MAX_DIM: u64 = 1 << 18;

impl Config {
    pub fn from_metadata(h: &Header, p: &str, rope_style: RopeStyle) -> Result<Self> {
        let need = |k: &str| -> Result<usize> {
            let key = format!("{p}.{k}");
            match h.get_u64(&key) {
                Some(v) if v > 0 && v <= MAX_DIM => Ok(v as usize),
                Some(v) => Err(Error::Model(format!("`{key}` = {v} is out of range"))),
                None => Err(Error::Model(format!("metadata `{key}` is missing"))),
            }
        };
        let opt = |k: &str, default: usize| -> Result<usize> {
            if h.get(&format!("{p}.{k}")).is_some() {
                need(k)
            } else {
                Ok(default)
            }
        };
        let n_embd = need("embedding_length")?;
        let n_head = need("attention.head_count")?;
        let n_head_kv = opt("attention.head_count_kv", n_head)?;
        let head_dim = opt("attention.key_length", n_embd / n_head)?;
        let rope_dim = opt("rope.dimension_count", head_dim)?;
        let n_layer = need("block_count")?;
        if n_layer > 1024 {
            return Err(Error::Model(format!("{n_layer} layers is absurd")));
        }
        if n_head % n_head_kv != 0 {
            return Err(Error::Model(format!(
                "{n_head} heads cannot be grouped over {n_head_kv} KV heads"
            )));
        }
        if head_dim % 2 != 0 || rope_dim % 2 != 0 || rope_dim > head_dim {
            return Err(Error::Model(format!(
                "head size {head_dim} / RoPE size {rope_dim} unsupported"
            )));
        }
        let rope_freq_scale = match h.get_str(&format!("{p}.rope.scaling.type")) {
            None | Some("none") => 1.0,
            Some("linear") => {
                let f = h
                    .get_f64(&format!("{p}.rope.scaling.factor"))
                    .unwrap_or(1.0);
                if f > 0.0 {
                    (1.0 / f) as f32
                } else {
                    1.0
                }
            }
            Some(other) => {
                return Err(Error::Model(format!(
                    "RoPE scaling `{other}` is not supported (supported: none, linear)"
                )))
            }
        };
        Ok(Self {
            arch: p.to_owned(),
            n_layer,
            n_embd,
            n_ff: need("feed_forward_length")?,
            n_head,
            n_head_kv,
            head_dim,
            rope_dim,
            rope_base: h
                .get_f64(&format!("{p}.rope.freq_base"))
                .unwrap_or(10_000.0) as f32,
            rope_freq_scale,
            rope_style,
            norm_eps: h
                .get_f64(&format!("{p}.attention.layer_norm_rms_epsilon"))
                .unwrap_or(1e-5) as f32,
            n_ctx_train: opt("context_length", 4096)?,
            qkv_bias: false,
            qk_norm: false,
        })
    }

    pub fn q_dim(&self) -> usize {
        self.n_head * self.head_dim
    }

    pub fn kv_dim(&self) -> usize {
        self.n_head_kv * self.head_dim
    }
}
