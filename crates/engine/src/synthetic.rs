//! Random-weight GGUF files shaped like real llama models (1B, 7B), for
//! measuring speed at realistic sizes without downloading weights: speed
//! does not depend on the values. Blocks are written as random bytes with
//! small valid scales, streamed straight to disk.

use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::{Error, Result};
use crate::gguf::write::{self, TensorSpec};
use crate::gguf::{GgmlType, Value};

/// Hyper-parameters of a synthetic llama.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub n_layer: usize,
    pub n_embd: usize,
    pub n_ff: usize,
    pub n_head: usize,
    pub n_head_kv: usize,
    pub vocab: usize,
}

impl Shape {
    /// Shaped like Llama 3.2 1B.
    pub const LLAMA_1B: Shape = Shape {
        n_layer: 16,
        n_embd: 2048,
        n_ff: 8192,
        n_head: 32,
        n_head_kv: 8,
        vocab: 128_256,
    };
    /// Shaped like Llama 2 7B.
    pub const LLAMA_7B: Shape = Shape {
        n_layer: 32,
        n_embd: 4096,
        n_ff: 11_008,
        n_head: 32,
        n_head_kv: 32,
        vocab: 32_000,
    };
    /// A tiny model for tests.
    pub const TINY: Shape = Shape {
        n_layer: 2,
        n_embd: 256,
        n_ff: 512,
        n_head: 4,
        n_head_kv: 2,
        vocab: 512,
    };

    pub fn by_name(name: &str) -> Option<Shape> {
        match name {
            "1b" | "1B" => Some(Self::LLAMA_1B),
            "7b" | "7B" => Some(Self::LLAMA_7B),
            "tiny" => Some(Self::TINY),
            _ => None,
        }
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// Overwrites the f16 scale fields of random blocks with small positive
/// values, so that the numbers stay finite through the forward pass.
fn fix_scales(ty: GgmlType, data: &mut [u8], rng: &mut Rng) {
    let small = |rng: &mut Rng| {
        half::f16::from_f32(0.002 + (rng.next() % 1000) as f32 * 1e-6)
            .to_bits()
            .to_le_bytes()
    };
    // Where each block keeps its f16 scales (and minima).
    let at: &[usize] = match ty {
        GgmlType::F16
        | GgmlType::Q4_0
        | GgmlType::Q5_0
        | GgmlType::Q8_0
        | GgmlType::IQ4NL
        | GgmlType::IQ4XS => &[0],
        GgmlType::Q4_1 | GgmlType::Q5_1 | GgmlType::Q4K | GgmlType::Q5K => &[0, 2],
        GgmlType::Q2K => &[80, 82],
        GgmlType::Q3K => &[108],
        GgmlType::Q6K => &[208],
        GgmlType::BF16 | GgmlType::F32 => &[],
    };
    let bb = ty.block_bytes();
    for b in data.chunks_exact_mut(bb) {
        if at.is_empty() {
            b.fill(0);
        }
        for &i in at {
            b[i..i + 2].copy_from_slice(&small(rng));
        }
    }
}

/// Writes a random-weight llama GGUF of `shape` with matrices in `quant`.
pub fn write_model(path: &Path, shape: Shape, quant: GgmlType) -> Result<u64> {
    if quant.block_len() > 1
        && (!shape.n_embd.is_multiple_of(quant.block_len())
            || !shape.n_ff.is_multiple_of(quant.block_len()))
    {
        return Err(Error::Invalid(format!(
            "{} needs dimensions divisible by {}",
            quant.name(),
            quant.block_len()
        )));
    }
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let s = shape;
    let hd = s.n_embd / s.n_head;
    let mut tokens: Vec<Value> = (0..256u32)
        .map(|b| {
            let c = crate::tokenizer::byte_char(b as u8);
            Value::String(c.to_string())
        })
        .collect();
    tokens.extend((256..s.vocab).map(|i| Value::String(format!("<tok{i}>"))));
    let metadata: Vec<(String, Value)> = vec![
        ("general.architecture".into(), Value::String("llama".into())),
        (
            "general.name".into(),
            Value::String(format!("synthetic llama {}L {}", s.n_layer, quant.name())),
        ),
        ("llama.block_count".into(), Value::U32(s.n_layer as u32)),
        ("llama.context_length".into(), Value::U32(4096)),
        ("llama.embedding_length".into(), Value::U32(s.n_embd as u32)),
        (
            "llama.feed_forward_length".into(),
            Value::U32(s.n_ff as u32),
        ),
        (
            "llama.attention.head_count".into(),
            Value::U32(s.n_head as u32),
        ),
        (
            "llama.attention.head_count_kv".into(),
            Value::U32(s.n_head_kv as u32),
        ),
        ("llama.rope.freq_base".into(), Value::F32(500_000.0)),
        ("llama.rope.dimension_count".into(), Value::U32(hd as u32)),
        (
            "llama.attention.layer_norm_rms_epsilon".into(),
            Value::F32(1e-5),
        ),
        ("tokenizer.ggml.model".into(), Value::String("gpt2".into())),
        ("tokenizer.ggml.pre".into(), Value::String("default".into())),
        ("tokenizer.ggml.tokens".into(), Value::Array(tokens)),
        (
            "tokenizer.ggml.merges".into(),
            Value::Array(vec![Value::String("Ġ t".into())]),
        ),
        ("tokenizer.ggml.bos_token_id".into(), Value::U32(1)),
        ("tokenizer.ggml.eos_token_id".into(), Value::U32(2)),
    ];
    let mat = |name: String, cols: usize, rows: usize| TensorSpec {
        name,
        dims: vec![cols as u64, rows as u64],
        ty: quant,
    };
    let vec1 = |name: String, n: usize| TensorSpec {
        name,
        dims: vec![n as u64],
        ty: GgmlType::F32,
    };
    let mut tensors = vec![mat("token_embd.weight".into(), s.n_embd, s.vocab)];
    for i in 0..s.n_layer {
        tensors.push(vec1(format!("blk.{i}.attn_norm.weight"), s.n_embd));
        tensors.push(mat(format!("blk.{i}.attn_q.weight"), s.n_embd, s.n_embd));
        tensors.push(mat(
            format!("blk.{i}.attn_k.weight"),
            s.n_embd,
            hd * s.n_head_kv,
        ));
        tensors.push(mat(
            format!("blk.{i}.attn_v.weight"),
            s.n_embd,
            hd * s.n_head_kv,
        ));
        tensors.push(mat(
            format!("blk.{i}.attn_output.weight"),
            s.n_embd,
            s.n_embd,
        ));
        tensors.push(vec1(format!("blk.{i}.ffn_norm.weight"), s.n_embd));
        tensors.push(mat(format!("blk.{i}.ffn_gate.weight"), s.n_embd, s.n_ff));
        tensors.push(mat(format!("blk.{i}.ffn_up.weight"), s.n_embd, s.n_ff));
        tensors.push(mat(format!("blk.{i}.ffn_down.weight"), s.n_ff, s.n_embd));
    }
    tensors.push(vec1("output_norm.weight".into(), s.n_embd));
    tensors.push(mat("output.weight".into(), s.n_embd, s.vocab));

    let file = std::fs::File::create(path).map_err(io)?;
    let mut w = BufWriter::with_capacity(1 << 22, file);
    write::header(&mut w, &metadata, &tensors).map_err(io)?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut buf = vec![0u8; 1 << 22];
    let mut total = 0u64;
    for t in &tensors {
        let bytes = t.bytes();
        if t.ty == GgmlType::F32 {
            // Norm weights: ones.
            let ones: Vec<u8> = (0..bytes / 4).flat_map(|_| 1f32.to_le_bytes()).collect();
            w.write_all(&ones).map_err(io)?;
        } else {
            let chunk = buf.len() / t.ty.block_bytes() * t.ty.block_bytes();
            let mut left = bytes;
            while left > 0 {
                let n = left.min(chunk);
                rng.fill(&mut buf[..n]);
                fix_scales(t.ty, &mut buf[..n], &mut rng);
                w.write_all(&buf[..n]).map_err(io)?;
                left -= n;
            }
        }
        write::pad(&mut w, bytes).map_err(io)?;
        total += bytes as u64;
    }
    w.flush().map_err(io)?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_engine(model: std::sync::Arc<crate::Model>) -> crate::Engine {
        crate::Engine::new(
            model,
            crate::EngineOptions {
                threads: 2,
                n_ctx: 64,
                max_batch_tokens: 16,
                ..Default::default()
            },
        )
    }

    /// The logits after `tokens` of `seq`.
    fn step(e: &mut crate::Engine, seq: crate::SeqId, tokens: &[u32]) -> Vec<f32> {
        let mut out = e
            .step(&[crate::BatchItem {
                seq,
                tokens,
                logits: true,
            }])
            .unwrap();
        out.swap_remove(0).unwrap()
    }

    #[test]
    fn a_tiny_synthetic_model_loads_and_runs_a_step() {
        let dir = std::env::temp_dir().join(format!("engine-synth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for ty in [GgmlType::Q4_0, GgmlType::Q4K, GgmlType::Q8_0] {
            let path = dir.join(format!("tiny-{}.gguf", ty.name()));
            write_model(&path, Shape::TINY, ty).unwrap();
            let model = crate::Model::load(&path).unwrap().shared();
            let mut e = tiny_engine(model);
            let seq = e.new_sequence();
            let toks: Vec<u32> = (0..20).collect();
            let logits = step(&mut e, seq, &toks);
            assert_eq!(logits.len(), Shape::TINY.vocab);
            assert!(logits.iter().all(|v| v.is_finite()), "{}", ty.name());
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    /// A model in each of the types added for issue 27 loads, and greedy
    /// decoding yields tokens of the vocabulary from finite logits; the
    /// SIMD kernels of this CPU give the scalar reference's logits at every
    /// step (both fed the reference's choice).
    #[test]
    fn tiny_models_in_the_new_quant_types_generate_tokens() {
        let dir = std::env::temp_dir().join(format!("engine-synth-gen-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for ty in [
            GgmlType::Q5_0,
            GgmlType::Q5_1,
            GgmlType::IQ4NL,
            GgmlType::Q2K,
            GgmlType::Q3K,
            GgmlType::IQ4XS,
        ] {
            let path = dir.join(format!("tiny-{}.gguf", ty.name()));
            write_model(&path, Shape::TINY, ty).unwrap();
            let engine = |isa| {
                let model = crate::Model::load_with_isa(&path, isa).unwrap();
                assert_eq!(model.layers[0].wq.ty, ty);
                let mut e = tiny_engine(model.shared());
                let seq = e.new_sequence();
                (e, seq)
            };
            let (mut fast, fs) = engine(crate::kernels::Isa::detect());
            let (mut reference, rs) = engine(crate::kernels::Isa::Scalar);
            let mut toks: Vec<u32> = (0..12).map(|i| i * 37 % 512).collect();
            for _ in 0..8 {
                let want = step(&mut reference, rs, &toks);
                let got = step(&mut fast, fs, &toks);
                assert!(want.iter().all(|v| v.is_finite()), "{}", ty.name());
                let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
                assert!(scale > 0.0, "{}: all logits zero", ty.name());
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert!(
                        (g - w).abs() <= 2e-3 * scale,
                        "{} logit {i}: {g} vs {w}",
                        ty.name()
                    );
                }
                let next = crate::sampler::argmax(&want);
                assert!((next as usize) < Shape::TINY.vocab);
                toks = vec![next];
            }
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Once the matrices are packed, the process keeps no page of the model
    /// file resident except the embedding's, which is still looked up
    /// from the file: the packed copies do not double the memory.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_packed_model_keeps_only_the_embedding_of_its_file_resident() {
        let dir = std::env::temp_dir().join(format!("engine-resident-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tiny.gguf");
        write_model(&path, Shape::TINY, GgmlType::Q4_0).unwrap();
        let model = crate::Model::load(&path).unwrap();
        if model.layers[0].wq.packed.is_none() {
            eprintln!("no packed kernel on this CPU; nothing to check");
            return;
        }
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let name = path.to_str().unwrap();
        let resident_kb: usize = smaps
            .split_inclusive('\n')
            .skip_while(|l| !l.trim_end().ends_with(name))
            .skip(1)
            .find_map(|l| l.strip_prefix("Rss:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("the model file is mapped");
        let e = &model.tok_embd;
        let embd_kb = (e.rows * e.row_bytes).div_ceil(4096) * 4 + 4;
        let file_kb = std::fs::metadata(&path).unwrap().len() as usize / 1024;
        assert!(
            resident_kb <= embd_kb,
            "{resident_kb} KiB of the {file_kb} KiB file resident, embedding {embd_kb} KiB"
        );
        drop(model);
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Prefill and decode on Q4_0 weights re-laid for AVX-512 give the
    /// logits of the scalar reference on the file's layout.
    #[test]
    fn packed_q4_0_weights_give_the_reference_logits() {
        packed_weights_give_the_reference_logits(GgmlType::Q4_0);
    }

    /// The same for Q4_K (every tensor of the synthetic model is Q4_K, the
    /// output layer included).
    #[test]
    fn packed_q4_k_weights_give_the_reference_logits() {
        packed_weights_give_the_reference_logits(GgmlType::Q4K);
    }

    fn packed_weights_give_the_reference_logits(ty: GgmlType) {
        let dir = std::env::temp_dir().join(format!(
            "engine-packed-{}-{}",
            ty.name(),
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tiny.gguf");
        write_model(&path, Shape::TINY, ty).unwrap();
        let run = |isa: crate::kernels::Isa| {
            let model = crate::Model::load_with_isa(&path, isa).unwrap();
            let packed = model.layers[0].wq.packed.is_some();
            let mut e = tiny_engine(model.shared());
            let seq = e.new_sequence();
            let prompt: Vec<u32> = (0..20).map(|i| i * 7 % 512).collect();
            let mut all = Vec::new();
            for toks in [&prompt[..], &[42][..], &[7][..]] {
                all.extend(step(&mut e, seq, toks));
            }
            (packed, all)
        };
        let best = crate::kernels::Isa::detect();
        let (packed, got) = run(best);
        assert_eq!(packed, best == crate::kernels::Isa::Avx512Vnni);
        let (packed_ref, want) = run(crate::kernels::Isa::Scalar);
        assert!(!packed_ref);
        let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!((g - w).abs() <= 2e-3 * scale, "logit {i}: {g} vs {w}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
