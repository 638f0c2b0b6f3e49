//! IQ4_NL and IQ4_XS: 4-bit indices into llama.cpp's fixed non-linear table
//! of 16 values; IQ4_NL in blocks of 32 with one f16 scale (dot product
//! against Q8_0), IQ4_XS in super-blocks of 256 with a 6-bit signed scale per
//! 32 (against Q8_K).
//!
//! The quantisers pick the nearest table value per weight; llama.cpp
//! searches scales weighted by importance. Files from llama.cpp load and
//! compute the same either way; only the synthetic and test weights differ.

use super::layout::{block_pairs, f16_at, f32_at, put_f16, signed_max, QK, QK_K};
use crate::gguf::GgmlType;

pub const IQ4NL_BYTES: usize = 18;
pub const IQ4XS_BYTES: usize = 2 + 2 + QK_K / 64 + QK_K / 2;

/// `kvalues_iq4nl` of ggml-common.h.
pub const KVALUES: [i8; 16] = [
    -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
];

#[inline]
fn kv(nibble: u8) -> i32 {
    KVALUES[usize::from(nibble & 0xF)].into()
}

/// The 6-bit scale (0..=63, offset 32) of sub-block `ib` of an IQ4_XS block.
#[inline]
fn xs_scale(b: &[u8], ib: usize) -> i32 {
    let h = u16::from_le_bytes([b[2], b[3]]);
    let lo = (b[4 + ib / 2] >> (4 * (ib % 2))) & 0xF;
    let hi = ((h >> (2 * ib)) & 3) as u8;
    i32::from(lo | (hi << 4))
}

/// 16 bytes of nibbles: 16 values in the low halves, 16 in the high halves.
fn dequantize_nibbles(d: f32, qs: &[u8], o: &mut [f32]) {
    for j in 0..16 {
        o[j] = d * kv(qs[j]) as f32;
        o[j + 16] = d * kv(qs[j] >> 4) as f32;
    }
}

/// Σ table(nibble) · q8 over one 32-value run, as (low half, high half).
#[inline]
fn dot_nibbles(qs: &[u8], q8: &[u8]) -> i32 {
    let (mut s1, mut s2) = (0i32, 0i32);
    for j in 0..16 {
        s1 += i32::from(q8[j] as i8) * kv(qs[j]);
        s2 += i32::from(q8[j + 16] as i8) * kv(qs[j] >> 4);
    }
    s1 + s2
}

pub fn dequantize_iq4_nl(w: &[u8], out: &mut [f32]) {
    for (b, o) in w.chunks_exact(IQ4NL_BYTES).zip(out.chunks_exact_mut(QK)) {
        dequantize_nibbles(f16_at(b, 0), &b[2..18], o);
    }
}

pub fn dequantize_iq4_xs(w: &[u8], out: &mut [f32]) {
    for (b, o) in w.chunks_exact(IQ4XS_BYTES).zip(out.chunks_exact_mut(QK_K)) {
        let d = f16_at(b, 0);
        for (ib, o) in o.chunks_exact_mut(32).enumerate() {
            let dl = d * (xs_scale(b, ib) - 32) as f32;
            dequantize_nibbles(dl, &b[8 + 16 * ib..24 + 16 * ib], o);
        }
    }
}

/// IQ4_NL · Q8_0 in the order of llama.cpp's generic `ggml_vec_dot_iq4_nl_q8_0`.
pub fn dot_iq4_nl(w: &[u8], a: &[u8], n: usize) -> f32 {
    let mut sum = 0f32;
    for (wb, ab) in block_pairs(GgmlType::IQ4NL, w, a, n) {
        let d = f16_at(wb, 0) * f16_at(ab, 0);
        sum += d * dot_nibbles(&wb[2..18], &ab[2..34]) as f32;
    }
    sum
}

/// IQ4_XS · Q8_K in the order of llama.cpp's generic `ggml_vec_dot_iq4_xs_q8_K`.
pub fn dot_iq4_xs(w: &[u8], a: &[u8], n: usize) -> f32 {
    let mut sum = 0f32;
    for (wb, ab) in block_pairs(GgmlType::IQ4XS, w, a, n) {
        let d4d8 = f16_at(wb, 0) * f32_at(ab, 0);
        for ib in 0..QK_K / 32 {
            let dl = d4d8 * (xs_scale(wb, ib) - 32) as f32;
            let qs = &wb[8 + 16 * ib..24 + 16 * ib];
            sum += dl * dot_nibbles(qs, &ab[4 + 32 * ib..36 + 32 * ib]) as f32;
        }
    }
    sum
}

/// The index of the table value nearest to `x` (the lower one on a tie).
fn nearest(x: f32) -> u8 {
    let mut best = 0;
    for (i, &k) in KVALUES.iter().enumerate() {
        if (x - f32::from(k)).abs() < (x - f32::from(KVALUES[best])).abs() {
            best = i;
        }
    }
    best as u8
}

/// Nibbles of 32 weights at scale `d` into 16 bytes.
fn quantize_nibbles(x: &[f32], d: f32, qs: &mut [u8]) {
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    for j in 0..16 {
        qs[j] = nearest(x[j] * id) | (nearest(x[j + 16] * id) << 4);
    }
}

pub fn quantize_iq4_nl(x: &[f32], out: &mut [u8]) {
    for (xb, ob) in x.chunks_exact(QK).zip(out.chunks_exact_mut(IQ4NL_BYTES)) {
        // The largest magnitude lands on the table's end, -127.
        let d = signed_max(xb) / f32::from(KVALUES[0]);
        put_f16(&mut ob[0..2], d);
        quantize_nibbles(xb, f16_at(ob, 0), &mut ob[2..18]);
    }
}

pub fn quantize_iq4_xs(x: &[f32], out: &mut [u8]) {
    for (xb, ob) in x.chunks_exact(QK_K).zip(out.chunks_exact_mut(IQ4XS_BYTES)) {
        ob.fill(0);
        let mut scales = [0f32; QK_K / 32];
        for (s, c) in scales.iter_mut().zip(xb.chunks_exact(32)) {
            *s = signed_max(c) / f32::from(KVALUES[0]);
        }
        let d = signed_max(&scales) / -32.0;
        put_f16(&mut ob[0..2], d);
        let d = f16_at(ob, 0);
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        let mut h = 0u16;
        for (ib, c) in xb.chunks_exact(32).enumerate() {
            let l = ((scales[ib] * id).round() as i32).clamp(-32, 31) + 32;
            h |= ((l >> 4) as u16 & 3) << (2 * ib);
            ob[4 + ib / 2] |= ((l & 0xF) as u8) << (4 * (ib % 2));
            let qs = &mut ob[8 + 16 * ib..24 + 16 * ib];
            quantize_nibbles(c, d * (l - 32) as f32, qs);
        }
        ob[2..4].copy_from_slice(&h.to_le_bytes());
    }
}
