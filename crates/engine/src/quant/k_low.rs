//! Q2_K and Q3_K: super-blocks of 256 weights in sixteen groups of 16, with
//! 2 bits per weight (Q3_K adds a third in a mask), dot products against
//! Q8_K. Q2_K has a 4-bit scale and minimum per group, Q3_K a signed 6-bit
//! scale.
//!
//! The quantisers round to nearest; llama.cpp searches scales weighted by
//! importance. Files from llama.cpp load and compute the same either way.

use super::layout::{block_pairs, f16_at, f32_at, i16_at, put_f16, signed_max, QK_K};
use crate::gguf::GgmlType;

pub const Q2K_BYTES: usize = QK_K / 16 + QK_K / 4 + 4;
pub const Q3K_BYTES: usize = QK_K / 8 + QK_K / 4 + 12 + 2;

/// The 2-bit fields of 256 weights: weight `128h + 32j + l` lies in bits
/// `2j` of byte `32h + l`.
fn low_bits(qs: &[u8]) -> [u8; QK_K] {
    let mut q = [0u8; QK_K];
    for (e, q) in q.iter_mut().enumerate() {
        let (h, j, l) = (e / 128, (e % 128) / 32, e % 32);
        *q = (qs[32 * h + l] >> (2 * j)) & 3;
    }
    q
}

/// The inverse of [`low_bits`]: `q` holds values 0..=3.
fn pack_low_bits(q: &[u8; QK_K], qs: &mut [u8]) {
    for h in 0..2 {
        for l in 0..32 {
            let at = |j: usize| q[128 * h + 32 * j + l] << (2 * j);
            qs[32 * h + l] = at(0) | at(1) | at(2) | at(3);
        }
    }
}

/// Q3_K weights as signed values -4..=3: the mask bit of weight `e` (byte
/// `e % 32`, bit `e / 32`) set means no offset, clear means minus 4.
fn q3_values(b: &[u8]) -> [i32; QK_K] {
    let low = low_bits(&b[32..96]);
    let mut v = [0i32; QK_K];
    for (e, v) in v.iter_mut().enumerate() {
        let high = (b[e % 32] >> (e / 32)) & 1;
        *v = i32::from(low[e]) - if high != 0 { 0 } else { 4 };
    }
    v
}

/// The sixteen 6-bit scales of a Q3_K block, offset removed: low nibbles
/// in bytes 0..8 (groups 8..16 in the high halves), top two bits in bytes
/// 8..12.
pub(crate) fn q3_scales(sc: &[u8]) -> [i32; 16] {
    let mut s = [0i32; 16];
    for (i, s) in s.iter_mut().enumerate() {
        let lo = (sc[i % 8] >> (4 * (i / 8))) & 0xF;
        let hi = (sc[8 + i % 4] >> (2 * (i / 4))) & 3;
        *s = i32::from(lo | (hi << 4)) - 32;
    }
    s
}

pub fn dequantize_q2_k(w: &[u8], out: &mut [f32]) {
    for (b, o) in w.chunks_exact(Q2K_BYTES).zip(out.chunks_exact_mut(QK_K)) {
        let (d, dmin) = (f16_at(b, 80), f16_at(b, 82));
        let q = low_bits(&b[16..80]);
        for (g, (o, q)) in o.chunks_exact_mut(16).zip(q.chunks_exact(16)).enumerate() {
            let dl = d * (b[g] & 0xF) as f32;
            let ml = dmin * (b[g] >> 4) as f32;
            for (o, &q) in o.iter_mut().zip(q) {
                *o = dl * q as f32 - ml;
            }
        }
    }
}

pub fn dequantize_q3_k(w: &[u8], out: &mut [f32]) {
    for (b, o) in w.chunks_exact(Q3K_BYTES).zip(out.chunks_exact_mut(QK_K)) {
        let d = f16_at(b, 108);
        let scales = q3_scales(&b[96..108]);
        let v = q3_values(b);
        for (g, (o, v)) in o.chunks_exact_mut(16).zip(v.chunks_exact(16)).enumerate() {
            let dl = d * scales[g] as f32;
            for (o, &v) in o.iter_mut().zip(v) {
                *o = dl * v as f32;
            }
        }
    }
}

/// Σ over each group of 16 of weight · q8, for 256 weights.
fn group_sums(v: impl Iterator<Item = i32>, q8: &[u8]) -> [i32; 16] {
    let mut s = [0i32; 16];
    for (e, (v, &y)) in v.zip(q8).enumerate() {
        s[e / 16] += v * i32::from(y as i8);
    }
    s
}

/// Q2_K · Q8_K in the order of llama.cpp's generic `ggml_vec_dot_q2_K_q8_K`:
/// the minima meet the activations' group sums.
pub fn dot_q2_k(w: &[u8], a: &[u8], n: usize) -> f32 {
    let mut sum = 0f32;
    for (wb, ab) in block_pairs(GgmlType::Q2K, w, a, n) {
        let sc = &wb[0..16];
        let summs: i32 = (0..16)
            .map(|g| i16_at(ab, 4 + QK_K + 2 * g) * i32::from(sc[g] >> 4))
            .sum();
        let ad = f32_at(ab, 0);
        let (dall, dmin) = (ad * f16_at(wb, 80), ad * f16_at(wb, 82));
        let q = low_bits(&wb[16..80]);
        let sums = group_sums(q.iter().map(|&q| i32::from(q)), &ab[4..4 + QK_K]);
        let isum: i32 = sums
            .iter()
            .zip(sc)
            .map(|(s, &c)| s * i32::from(c & 0xF))
            .sum();
        sum += dall * isum as f32 - dmin * summs as f32;
    }
    sum
}

/// Q3_K · Q8_K; llama.cpp's generic kernel sums eight lanes across blocks,
/// this one a block at a time (equal up to float rounding).
pub fn dot_q3_k(w: &[u8], a: &[u8], n: usize) -> f32 {
    let mut sum = 0f32;
    for (wb, ab) in block_pairs(GgmlType::Q3K, w, a, n) {
        let scales = q3_scales(&wb[96..108]);
        let sums = group_sums(q3_values(wb).into_iter(), &ab[4..4 + QK_K]);
        let isum: i32 = sums.iter().zip(scales).map(|(s, c)| s * c).sum();
        sum += f16_at(wb, 108) * f32_at(ab, 0) * isum as f32;
    }
    sum
}

/// Rounds `v / d` to an integer in `lo..=hi`, 0 when `d` is 0.
fn level(v: f32, d: f32, lo: i32, hi: i32) -> i32 {
    if d != 0.0 {
        ((v / d).round() as i32).clamp(lo, hi)
    } else {
        0
    }
}

pub fn quantize_q2_k(x: &[f32], out: &mut [u8]) {
    for (xb, ob) in x.chunks_exact(QK_K).zip(out.chunks_exact_mut(Q2K_BYTES)) {
        // Per group: x ≈ scale · q − min with q in 0..=3 and min ≥ 0.
        let mut sc = [0f32; 16];
        let mut mn = [0f32; 16];
        for (g, c) in xb.chunks_exact(16).enumerate() {
            let lo = c.iter().copied().fold(f32::INFINITY, f32::min).min(0.0);
            let hi = c.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            sc[g] = (hi - lo) / 3.0;
            mn[g] = -lo;
        }
        let d = sc.iter().fold(0f32, |m, v| m.max(*v)) / 15.0;
        let dmin = mn.iter().fold(0f32, |m, v| m.max(*v)) / 15.0;
        put_f16(&mut ob[80..82], d);
        put_f16(&mut ob[82..84], dmin);
        let (d, dmin) = (f16_at(ob, 80), f16_at(ob, 82));
        let mut q = [0u8; QK_K];
        for (g, c) in xb.chunks_exact(16).enumerate() {
            let ls = level(sc[g], d, 0, 15);
            let lm = level(mn[g], dmin, 0, 15);
            ob[g] = (ls | (lm << 4)) as u8;
            let (ds, m) = (d * ls as f32, dmin * lm as f32);
            for (k, v) in c.iter().enumerate() {
                q[16 * g + k] = level(v + m, ds, 0, 3) as u8;
            }
        }
        pack_low_bits(&q, &mut ob[16..80]);
    }
}

pub fn quantize_q3_k(x: &[f32], out: &mut [u8]) {
    for (xb, ob) in x.chunks_exact(QK_K).zip(out.chunks_exact_mut(Q3K_BYTES)) {
        ob.fill(0);
        // Per group: the value of largest magnitude lands on -4.
        let mut sc = [0f32; 16];
        for (s, c) in sc.iter_mut().zip(xb.chunks_exact(16)) {
            *s = signed_max(c) / -4.0;
        }
        put_f16(&mut ob[108..110], signed_max(&sc) / -32.0);
        let d = f16_at(ob, 108);
        let mut q = [0u8; QK_K];
        for (g, c) in xb.chunks_exact(16).enumerate() {
            let l = level(sc[g], d, -32, 31);
            let biased = (l + 32) as u8;
            if g < 8 {
                ob[96 + g] = biased & 0xF;
            } else {
                ob[96 + g - 8] |= (biased & 0xF) << 4;
            }
            ob[96 + 8 + g % 4] |= (biased >> 4) << (2 * (g / 4));
            let ds = d * l as f32;
            for (k, v) in c.iter().enumerate() {
                let e = 16 * g + k;
                let biased = (level(*v, ds, -4, 3) + 4) as u8;
                if biased > 3 {
                    ob[e % 32] |= 1 << (e / 32);
                }
                q[e] = biased & 3;
            }
        }
        pack_low_bits(&q, &mut ob[32..96]);
    }
}
