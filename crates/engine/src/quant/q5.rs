//! Q5_0 and Q5_1: blocks of 32 weights with a fifth bit per weight kept in a
//! 32-bit mask after the scale. Kept apart from `quant.rs` so that each type
//! family stays small enough to read against llama.cpp's `ggml-quants.c`.
//!
//! The quantisers follow gguf-py's `quants.py` operation for operation
//! (truncation after adding 16.5 or 0.5, f16 rounding of the scales), so the
//! bytes equal gguf-py's; `tests/quant_reference.rs` checks that.

use super::layout::{block_pairs, f16_at, put_f16, signed_max, QK};
use crate::gguf::GgmlType;

pub const Q5_0_BYTES: usize = 22;
pub const Q5_1_BYTES: usize = 24;

/// The 5-bit values (0..=31) of one block: low nibbles of `qs` for the first
/// 16, high nibbles for the second, bit `j` of `qh` on top of value `j`.
#[inline]
fn values(qh: &[u8], qs: &[u8]) -> [i32; QK] {
    let qh = u32::from_le_bytes([qh[0], qh[1], qh[2], qh[3]]);
    let mut v = [0i32; QK];
    for j in 0..16 {
        let h0 = ((qh >> j) & 1) << 4;
        let h1 = ((qh >> (j + 16)) & 1) << 4;
        v[j] = (u32::from(qs[j] & 0xF) | h0) as i32;
        v[j + 16] = (u32::from(qs[j] >> 4) | h1) as i32;
    }
    v
}

/// Packs 32 values (0..=31) into `qh` (4 bytes) and `qs` (16 bytes).
fn pack(q: &[u8; QK], qh: &mut [u8], qs: &mut [u8]) {
    let mut h = 0u32;
    for (j, &v) in q.iter().enumerate() {
        h |= u32::from(v >> 4) << j;
    }
    qh.copy_from_slice(&h.to_le_bytes());
    for j in 0..16 {
        qs[j] = (q[j] & 0xF) | (q[j + 16] << 4);
    }
}

pub fn dequantize_q5_0(w: &[u8], out: &mut [f32]) {
    for (b, o) in w.chunks_exact(Q5_0_BYTES).zip(out.chunks_exact_mut(QK)) {
        let d = f16_at(b, 0);
        for (o, v) in o.iter_mut().zip(values(&b[2..6], &b[6..22])) {
            *o = d * (v - 16) as f32;
        }
    }
}

pub fn dequantize_q5_1(w: &[u8], out: &mut [f32]) {
    for (b, o) in w.chunks_exact(Q5_1_BYTES).zip(out.chunks_exact_mut(QK)) {
        let (d, m) = (f16_at(b, 0), f16_at(b, 2));
        for (o, v) in o.iter_mut().zip(values(&b[4..8], &b[8..24])) {
            *o = d * v as f32 + m;
        }
    }
}

/// Q5_0 weights · Q8_0 activations, in the order of llama.cpp's generic
/// `ggml_vec_dot_q5_0_q8_0`.
pub fn dot_q5_0(w: &[u8], a: &[u8], n: usize) -> f32 {
    let mut sum = 0f32;
    for (wb, ab) in block_pairs(GgmlType::Q5_0, w, a, n) {
        let s: i32 = values(&wb[2..6], &wb[6..22])
            .iter()
            .zip(&ab[2..])
            .map(|(v, &y)| (v - 16) * i32::from(y as i8))
            .sum();
        sum += (f16_at(wb, 0) * f16_at(ab, 0)) * s as f32;
    }
    sum
}

/// Q5_1 weights · Q8_1 activations (whose second f16 is `d · Σq`), in the
/// order of llama.cpp's generic `ggml_vec_dot_q5_1_q8_1`.
pub fn dot_q5_1(w: &[u8], a: &[u8], n: usize) -> f32 {
    let mut sum = 0f32;
    for (wb, ab) in block_pairs(GgmlType::Q5_1, w, a, n) {
        let s: i32 = values(&wb[4..8], &wb[8..24])
            .iter()
            .zip(&ab[4..])
            .map(|(v, &y)| v * i32::from(y as i8))
            .sum();
        sum += (f16_at(wb, 0) * f16_at(ab, 0)) * s as f32 + f16_at(wb, 2) * f16_at(ab, 2);
    }
    sum
}

pub fn quantize_q5_0(x: &[f32], out: &mut [u8]) {
    for (xb, ob) in x.chunks_exact(QK).zip(out.chunks_exact_mut(Q5_0_BYTES)) {
        let d = signed_max(xb) / -16.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        let mut q = [0u8; QK];
        for (q, v) in q.iter_mut().zip(xb) {
            *q = ((v * id + 16.5) as i32).clamp(0, 31) as u8;
        }
        put_f16(&mut ob[0..2], d);
        let (qh, qs) = ob[2..].split_at_mut(4);
        pack(&q, qh, qs);
    }
}

pub fn quantize_q5_1(x: &[f32], out: &mut [u8]) {
    for (xb, ob) in x.chunks_exact(QK).zip(out.chunks_exact_mut(Q5_1_BYTES)) {
        let min = xb.iter().copied().fold(f32::INFINITY, f32::min);
        let max = xb.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let d = (max - min) / 31.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        let mut q = [0u8; QK];
        for (q, v) in q.iter_mut().zip(xb) {
            *q = (((v - min) * id + 0.5) as i32).clamp(0, 31) as u8;
        }
        put_f16(&mut ob[0..2], d);
        put_f16(&mut ob[2..4], min);
        let (qh, qs) = ob[4..].split_at_mut(4);
        pack(&q, qh, qs);
    }
}
