//! Model loading: architecture description from metadata, weights as views
//! into the mapped file, and the checks that a file's tensors match what its
//! metadata claims. Adding an architecture is one file beside `llama.rs`
//! implementing [`Architecture`], plus one line in [`ARCHITECTURES`].

mod config;
mod llama;
mod qwen2;
mod qwen3;

use std::path::Path;
use std::sync::Arc;

pub use config::{Architecture, Config, RopeStyle};

use crate::chat::ChatTemplate;
use crate::error::{Error, Result};
use crate::gguf::{GgmlType, GgufFile, Header, TensorInfo};
use crate::kernels::{self, DotFn, GemmFn, Isa};
use crate::quant::{self, ActType};
use crate::tokenizer::Tokenizer;

/// Every architecture the engine can run.
pub static ARCHITECTURES: &[&dyn Architecture] = &[&llama::Llama, &qwen2::Qwen2, &qwen3::Qwen3];

/// A weight matrix of `rows` output rows, each `cols` long, in the file.
#[derive(Debug, Clone)]
pub struct Linear {
    pub ty: GgmlType,
    pub offset: usize,
    pub rows: usize,
    pub cols: usize,
    pub row_bytes: usize,
    pub act: ActType,
    pub dot: DotFn,
    pub gemm: Option<GemmFn>,
    /// The rows re-laid for this CPU's kernel (see `kernels::pack`);
    /// `gemm` then reads these instead of the file.
    pub packed: Option<PackedWeights>,
}

/// Weight rows copied out of the file into a kernel-specific layout.
#[derive(Clone)]
pub struct PackedWeights(pub std::sync::Arc<Vec<u8>>);

impl std::fmt::Debug for PackedWeights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PackedWeights({} bytes)", self.0.len())
    }
}

impl Linear {
    /// The weight bytes of rows `r0..r0 + n`, from the packed copy when
    /// there is one (`r0` and `n` then whole groups of rows).
    pub fn rows_bytes<'a>(&'a self, file: &'a [u8], r0: usize, n: usize) -> &'a [u8] {
        match &self.packed {
            Some(p) => &p.0[r0 * self.row_bytes..(r0 + n) * self.row_bytes],
            None => {
                &file[self.offset + r0 * self.row_bytes..self.offset + (r0 + n) * self.row_bytes]
            }
        }
    }

    /// Row counts that a parallel split must respect.
    pub fn row_align(&self) -> usize {
        if self.packed.is_some() {
            kernels::PACKED_ROWS
        } else {
            4
        }
    }

    /// Where the matrix lies in the model file.
    fn file_range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.rows * self.row_bytes
    }

    pub fn row<'a>(&self, bytes: &'a [u8], r: usize) -> &'a [u8] {
        let start = self.offset + r * self.row_bytes;
        &bytes[start..start + self.row_bytes]
    }
}

#[derive(Debug)]
pub struct Layer {
    pub attn_norm: Vec<f32>,
    pub wq: Linear,
    pub wk: Linear,
    pub wv: Linear,
    pub wo: Linear,
    pub bq: Option<Vec<f32>>,
    pub bk: Option<Vec<f32>>,
    pub bv: Option<Vec<f32>>,
    pub q_norm: Option<Vec<f32>>,
    pub k_norm: Option<Vec<f32>>,
    pub ffn_norm: Vec<f32>,
    pub gate: Linear,
    pub up: Linear,
    pub down: Linear,
}

/// A loaded model: mapped weights, tokenizer and chat template. Immutable
/// and shared by every session (`Arc<Model>`).
pub struct Model {
    file: GgufFile,
    pub config: Config,
    pub tokenizer: Tokenizer,
    pub chat_template: Option<String>,
    pub isa: Isa,
    pub tok_embd: Linear,
    pub layers: Vec<Layer>,
    pub output_norm: Vec<f32>,
    pub output: Linear,
    pub rope_freqs: Option<Vec<f32>>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("config", &self.config)
            .field("isa", &self.isa)
            .finish_non_exhaustive()
    }
}

struct Loader<'a> {
    file: &'a GgufFile,
    isa: Isa,
}

impl Loader<'_> {
    fn info(&self, name: &str) -> Result<&TensorInfo> {
        self.file
            .header
            .tensor(name)
            .ok_or_else(|| Error::Model(format!("tensor `{name}` is missing")))
    }

    fn shape_ok(t: &TensorInfo, want: &[usize]) -> Result<()> {
        let mut dims: Vec<u64> = t.dims.clone();
        while dims.len() > want.len() && dims.last() == Some(&1) {
            dims.pop();
        }
        if dims.len() != want.len() || dims.iter().zip(want).any(|(&d, &w)| d != w as u64) {
            return Err(Error::Model(format!(
                "tensor `{}` has shape {:?}, expected {want:?}",
                t.name, t.dims
            )));
        }
        Ok(())
    }

    fn vector(&self, name: &str, n: usize) -> Result<Vec<f32>> {
        let t = self.info(name)?;
        Self::shape_ok(t, &[n])?;
        let mut out = vec![0f32; n];
        quant::dequantize_row(t.ty, self.file.tensor_bytes(t), &mut out);
        Ok(out)
    }

    fn opt_vector(&self, name: &str, n: usize) -> Result<Option<Vec<f32>>> {
        if self.file.header.tensor(name).is_some() {
            self.vector(name, n).map(Some)
        } else {
            Ok(None)
        }
    }

    fn linear(&self, name: &str, cols: usize, rows: usize) -> Result<Linear> {
        let t = self.info(name)?;
        Self::shape_ok(t, &[cols, rows])?;
        let row_bytes = t.ty.row_bytes(cols).ok_or_else(|| {
            Error::Model(format!(
                "tensor `{name}`: rows of {cols} do not fill whole blocks"
            ))
        })?;
        Ok(Linear {
            ty: t.ty,
            offset: t.offset,
            rows,
            cols,
            row_bytes,
            act: ActType::for_weights(t.ty),
            dot: kernels::dot_fn(t.ty, self.isa),
            gemm: kernels::gemm_fn(t.ty, self.isa),
            packed: None,
        })
    }

    /// A weight matrix that is only multiplied, never looked up by row:
    /// re-laid for this CPU's kernel where one exists.
    fn weights(&self, name: &str, cols: usize, rows: usize) -> Result<Linear> {
        let lin = self.linear(name, cols, rows)?;
        Ok(self.pack(lin, true))
    }

    /// Packs `lin` when this CPU has a packed kernel for it; `release`
    /// drops the file pages afterwards (not for rows also looked up, like
    /// tied embeddings), so the copy does not double the resident memory.
    fn pack(&self, mut lin: Linear, release: bool) -> Linear {
        let Some(gemm) = kernels::packed_gemm_fn(lin.ty, self.isa) else {
            return lin;
        };
        if !kernels::packable(lin.ty, lin.rows, lin.row_bytes) {
            return lin;
        }
        let len = lin.rows * lin.row_bytes;
        let src = &self.file.bytes()[lin.offset..lin.offset + len];
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        if let Some(p) = kernels::pack(lin.ty, src, lin.rows, lin.row_bytes, threads) {
            lin.packed = Some(PackedWeights(std::sync::Arc::new(p)));
            lin.gemm = Some(gemm);
            if release {
                kernels::release_pages(&self.file.shared_map(), lin.offset, len);
            }
        }
        lin
    }
}

/// Metadata arrays that [`Tokenizer::from_gguf`] copies; dropped from the
/// model's header once it has.
const TOKENIZER_TABLES: [&str; 4] = [
    "tokenizer.ggml.tokens",
    "tokenizer.ggml.token_type",
    "tokenizer.ggml.scores",
    "tokenizer.ggml.merges",
];

/// The byte ranges still read from the file: the embedding (looked up by
/// row) and every matrix that was not packed.
fn file_ranges(
    tok_embd: &Linear,
    output: &Linear,
    layers: &[Layer],
) -> Vec<std::ops::Range<usize>> {
    let mut live = vec![tok_embd.file_range()];
    live.extend(
        std::iter::once(output)
            .chain(layers.iter().flat_map(Layer::linears))
            .filter(|lin| lin.packed.is_none())
            .map(Linear::file_range),
    );
    live
}

/// Drops from resident memory every page of the mapped file that no
/// tensor in `live` (byte ranges still read from the file) lies on.
/// Releasing each packed tensor right after packing is not enough: the
/// kernel maps the neighbours of every page it faults in (fault-around, 64
/// KiB), so reading the next tensor or a norm maps back the tail of the
/// one released before; for SmolLM2 that was 13 MB of a 98 MB file.
/// Pages of tensors not loaded yet may go too: they fault back in when
/// read (from the page cache).
fn release_all_but(file: &GgufFile, mut live: Vec<std::ops::Range<usize>>) {
    let map = file.shared_map();
    let page = 4096;
    live.sort_by_key(|r| r.start);
    let mut free_from = 0;
    for r in live.iter().chain(std::iter::once(&(map.len()..map.len()))) {
        let end = r.start / page * page;
        if end > free_from {
            kernels::release_pages(&map, free_from, end - free_from);
        }
        free_from = free_from.max(r.end.next_multiple_of(page));
    }
}

impl Layer {
    fn linears(&self) -> [&Linear; 7] {
        [
            &self.wq, &self.wk, &self.wv, &self.wo, &self.gate, &self.up, &self.down,
        ]
    }
}

impl Model {
    /// Maps and validates a GGUF model file.
    pub fn load(path: &Path) -> Result<Self> {
        Self::load_with_isa(path, Isa::detect())
    }

    /// As [`Model::load`], with the kernels of a given instruction set
    /// (tests compare scalar and SIMD).
    pub fn load_with_isa(path: &Path, isa: Isa) -> Result<Self> {
        let mut file = GgufFile::open(path)?;
        let h = &file.header;
        let arch_name = h
            .get_str("general.architecture")
            .ok_or_else(|| Error::Model("metadata `general.architecture` is missing".into()))?;
        let arch = ARCHITECTURES
            .iter()
            .find(|a| a.name() == arch_name)
            .ok_or_else(|| Error::UnsupportedArchitecture(arch_name.to_owned()))?;
        let config = arch.config(h)?;
        let tokenizer = Tokenizer::from_gguf(h)?;
        let chat_template = h.get_str("tokenizer.chat_template").map(str::to_owned);
        // The tokenizer holds its own copy; the metadata's (~6 MB for a
        // 49k vocabulary) would only add to a small model's peak memory.
        file.header
            .metadata
            .retain(|(key, _)| !TOKENIZER_TABLES.contains(&key.as_str()));
        let h = &file.header;
        let l = Loader { file: &file, isa };
        let c = &config;
        let vocab = tokenizer.vocab_size();
        let tok_embd = l
            .linear("token_embd.weight", c.n_embd, vocab)
            .map_err(|e| {
                Error::Model(format!(
                    "{e} (the vocabulary has {vocab} tokens; it must match the embedding)"
                ))
            })?;
        let output = if h.tensor("output.weight").is_some() {
            l.weights("output.weight", c.n_embd, vocab)?
        } else {
            l.pack(tok_embd.clone(), false)
        };
        let mut layers = Vec::with_capacity(c.n_layer);
        for i in 0..c.n_layer {
            let n = |s: &str| format!("blk.{i}.{s}");
            let layer = Layer {
                attn_norm: l.vector(&n("attn_norm.weight"), c.n_embd)?,
                wq: l.weights(&n("attn_q.weight"), c.n_embd, c.q_dim())?,
                wk: l.weights(&n("attn_k.weight"), c.n_embd, c.kv_dim())?,
                wv: l.weights(&n("attn_v.weight"), c.n_embd, c.kv_dim())?,
                wo: l.weights(&n("attn_output.weight"), c.q_dim(), c.n_embd)?,
                bq: if c.qkv_bias {
                    l.opt_vector(&n("attn_q.bias"), c.q_dim())?
                } else {
                    None
                },
                bk: if c.qkv_bias {
                    l.opt_vector(&n("attn_k.bias"), c.kv_dim())?
                } else {
                    None
                },
                bv: if c.qkv_bias {
                    l.opt_vector(&n("attn_v.bias"), c.kv_dim())?
                } else {
                    None
                },
                q_norm: if c.qk_norm {
                    Some(l.vector(&n("attn_q_norm.weight"), c.head_dim)?)
                } else {
                    None
                },
                k_norm: if c.qk_norm {
                    Some(l.vector(&n("attn_k_norm.weight"), c.head_dim)?)
                } else {
                    None
                },
                ffn_norm: l.vector(&n("ffn_norm.weight"), c.n_embd)?,
                gate: l.weights(&n("ffn_gate.weight"), c.n_embd, c.n_ff)?,
                up: l.weights(&n("ffn_up.weight"), c.n_embd, c.n_ff)?,
                down: l.weights(&n("ffn_down.weight"), c.n_ff, c.n_embd)?,
            };
            layers.push(layer);
            if i % 4 == 3 {
                release_all_but(&file, file_ranges(&tok_embd, &output, &layers));
            }
        }
        let output_norm = l.vector("output_norm.weight", c.n_embd)?;
        let rope_freqs = l.opt_vector("rope_freqs.weight", c.rope_dim / 2)?;
        release_all_but(&file, file_ranges(&tok_embd, &output, &layers));
        Ok(Self {
            config,
            tokenizer,
            chat_template,
            isa,
            tok_embd,
            layers,
            output_norm,
            output,
            rope_freqs,
            file,
        })
    }

    /// The bytes of the mapped file; weight rows index into it.
    pub fn bytes(&self) -> &[u8] {
        self.file.bytes()
    }

    pub fn header(&self) -> &Header {
        &self.file.header
    }

    /// The model's own chat template, or ChatML when it has none.
    pub fn template(&self) -> Result<ChatTemplate> {
        let t = &self.tokenizer;
        let text = |id: Option<u32>| {
            id.map(|i| String::from_utf8_lossy(&t.token_bytes(i, true)).into_owned())
                .unwrap_or_default()
        };
        match &self.chat_template {
            Some(src) => ChatTemplate::new(src, &text(t.bos), &text(t.eos)),
            None => Ok(ChatTemplate::chatml()),
        }
    }

    /// How to sample when a request does not say: the model's own
    /// `general.sampling.*` recommendation, else llama.cpp's defaults.
    pub fn sampling_defaults(&self) -> crate::SamplerOptions {
        crate::SamplerOptions::from_metadata(self.header())
    }

    /// Bytes of KV cache per token of context.
    pub fn kv_bytes_per_token(&self) -> usize {
        2 * 2 * self.config.n_layer * self.config.kv_dim()
    }

    pub fn file_size(&self) -> usize {
        self.bytes().len()
    }

    pub fn shared(self) -> Arc<Self> {
        Arc::new(self)
    }
}
