//! Attention over a KV cache in ggml's Q8_0 layout (per 32 values an f16
//! scale and 32 signed bytes). Keys and values are dequantised on the fly
//! against the f32 query and probabilities: quantising the query as well
//! (as llama.cpp's flash attention does) would add a second rounding for
//! a gain the small head dimension cannot show.

use super::softmax::softmax_unnormalised;
use super::{Isa, KvRows};
use crate::quant::{f16_at, Q8_0_BYTES, QK};

/// Dot product of a Q8_0 row `k` (`q.len() / 32` blocks) with `q`:
/// per block the integer-valued products summed in f32, then scaled.
pub fn dot_q8_0_scalar(k: &[u8], q: &[f32]) -> f32 {
    assert_eq!(k.len(), q.len() / QK * Q8_0_BYTES);
    let mut sum = 0f32;
    for (b, qb) in k.chunks_exact(Q8_0_BYTES).zip(q.chunks_exact(QK)) {
        let s: f32 = b[2..]
            .iter()
            .zip(qb)
            .map(|(&k, &q)| f32::from(k as i8) * q)
            .sum();
        sum += f16_at(b, 0) * s;
    }
    sum
}

/// `out += p * v` for a Q8_0 row `v`.
pub fn axpy_q8_0_scalar(out: &mut [f32], v: &[u8], p: f32) {
    assert_eq!(v.len(), out.len() / QK * Q8_0_BYTES);
    for (b, ob) in v.chunks_exact(Q8_0_BYTES).zip(out.chunks_exact_mut(QK)) {
        let s = p * f16_at(b, 0);
        for (o, &v) in ob.iter_mut().zip(&b[2..]) {
            *o += s * f32::from(v as i8);
        }
    }
}

/// One head of causal attention over the first `n` positions of a Q8_0
/// cache: `q` is the head's query (a multiple of 32 values), `off` the
/// index of its first value in a row (a multiple of 32). `scratch` keeps
/// the scores between calls. `isa` picks the kernels; a SIMD one this CPU
/// lacks falls back to the scalar code.
///
/// # Panics
/// When the shapes do not fit: a head not made of whole blocks, rows too
/// short for it, fewer than `n` cached positions, or `out` not of `q`'s
/// length.
#[allow(clippy::too_many_arguments)]
pub fn attention_q8_0(
    q: &[f32],
    kc: KvRows<'_, u8>,
    vc: KvRows<'_, u8>,
    n: usize,
    off: usize,
    scale: f32,
    out: &mut [f32],
    scratch: &mut Vec<f32>,
    isa: Isa,
) {
    let hd = q.len();
    let (b0, b1) = (off / QK * Q8_0_BYTES, (off + hd) / QK * Q8_0_BYTES);
    assert!(
        hd.is_multiple_of(QK)
            && off.is_multiple_of(QK)
            && out.len() == hd
            && b1 <= kc.row_len()
            && b1 <= vc.row_len()
            && kc.capacity() >= n
            && vc.capacity() >= n,
        "Q8_0 attention: shapes do not fit"
    );
    #[cfg(target_arch = "x86_64")]
    {
        if isa != Isa::Scalar
            && super::x86::kvq8::attention(q, kc, vc, n, (b0, b1), scale, out, scratch)
        {
            return;
        }
    }
    let _ = isa;
    scratch.clear();
    scratch.extend((0..n).map(|j| dot_q8_0_scalar(&kc.row(j)[b0..b1], q) * scale));
    let inv = softmax_unnormalised(scratch);
    out.fill(0.0);
    for (j, &p) in scratch.iter().enumerate() {
        axpy_q8_0_scalar(out, &vc.row(j)[b0..b1], p * inv);
    }
}
