//! Block formats of the quantised types, the quantisation of activations
//! (as llama.cpp does it: Q8_0 for Q4_0/Q5_0/Q8_0/IQ4_NL weights, Q8_1 for
//! Q4_1/Q5_1, Q8_K for the k-quants and IQ4_XS) and the scalar reference dot products that the SIMD kernels
//! are tested against.

mod iq4;
mod k_low;
mod layout;
mod q5;

use half::{bf16, f16};

use crate::gguf::GgmlType;
pub use iq4::{IQ4NL_BYTES, IQ4XS_BYTES, KVALUES as IQ4_VALUES};
pub(crate) use k_low::q3_scales;
pub use k_low::{Q2K_BYTES, Q3K_BYTES};
pub use q5::{Q5_0_BYTES, Q5_1_BYTES};

pub(crate) use layout::block_pairs;
pub use layout::{f16_at, ActType, Q8K_BYTES, Q8_0_BYTES, Q8_1_BYTES, QK, QK_K};
use layout::{f32_at, i16_at, put_f16, signed_max};

/// Round half to even for |x| < 2^22, without a libm call (the baseline
/// x86-64 target has no rounding instruction): adding 1.5·2^23 leaves no
/// fraction bits, so the FPU's default rounding does the work.
#[inline]
fn rint(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    (x + MAGIC) - MAGIC
}

/// Quantises one row of activations into `out` (`act.row_bytes(x.len())`
/// bytes).
pub fn quantize_row(act: ActType, x: &[f32], out: &mut [u8]) {
    match act {
        ActType::F32 => {
            for (o, v) in out.chunks_exact_mut(4).zip(x) {
                o.copy_from_slice(&v.to_le_bytes());
            }
        }
        ActType::Q8_0 | ActType::Q8_1 => {
            let bytes = if act == ActType::Q8_0 {
                Q8_0_BYTES
            } else {
                Q8_1_BYTES
            };
            let qoff = bytes - QK;
            for (xb, ob) in x.chunks_exact(QK).zip(out.chunks_exact_mut(bytes)) {
                let amax = xb.iter().fold(0f32, |m, v| m.max(v.abs()));
                let d = amax / 127.0;
                let id = if amax != 0.0 { 127.0 / amax } else { 0.0 };
                put_f16(&mut ob[0..2], d);
                let mut sum = 0i32;
                for (q, v) in ob[qoff..].iter_mut().zip(xb) {
                    let r = rint(v * id) as i32;
                    sum += r;
                    *q = r as i8 as u8;
                }
                if act == ActType::Q8_1 {
                    put_f16(&mut ob[2..4], d * sum as f32);
                }
            }
        }
        ActType::Q8K => {
            for (xb, ob) in x.chunks_exact(QK_K).zip(out.chunks_exact_mut(Q8K_BYTES)) {
                let mut amax = 0f32;
                let mut max = 0f32;
                for &v in xb {
                    if v.abs() > amax {
                        amax = v.abs();
                        max = v;
                    }
                }
                if amax == 0.0 {
                    ob.fill(0);
                    continue;
                }
                let iscale = -127.0 / max;
                let mut qs = [0i8; QK_K];
                for (q, v) in qs.iter_mut().zip(xb) {
                    *q = (rint(iscale * v) as i32).min(127) as i8;
                }
                ob[0..4].copy_from_slice(&(1.0 / iscale).to_le_bytes());
                for (o, q) in ob[4..4 + QK_K].iter_mut().zip(qs) {
                    *o = q as u8;
                }
                for (g, chunk) in qs.chunks_exact(16).enumerate() {
                    let s: i32 = chunk.iter().map(|&q| i32::from(q)).sum();
                    let at = 4 + QK_K + 2 * g;
                    ob[at..at + 2].copy_from_slice(&(s as i16).to_le_bytes());
                }
            }
        }
    }
}

/// Scale and minimum of sub-block `j` of a Q4_K/Q5_K block's packed 6-bit
/// scales.
#[inline]
pub fn scale_min_k4(j: usize, q: &[u8]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// Expands one row of weights to f32.
pub fn dequantize_row(ty: GgmlType, w: &[u8], out: &mut [f32]) {
    match ty {
        GgmlType::F32 => {
            for (o, b) in out.iter_mut().zip(w.chunks_exact(4)) {
                *o = f32_at(b, 0);
            }
        }
        GgmlType::F16 => {
            for (o, b) in out.iter_mut().zip(w.chunks_exact(2)) {
                *o = f16_at(b, 0);
            }
        }
        GgmlType::BF16 => {
            for (o, b) in out.iter_mut().zip(w.chunks_exact(2)) {
                *o = bf16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32();
            }
        }
        GgmlType::Q4_0 => {
            for (b, o) in w.chunks_exact(18).zip(out.chunks_exact_mut(QK)) {
                let d = f16_at(b, 0);
                for j in 0..16 {
                    o[j] = ((b[2 + j] & 0xF) as i32 - 8) as f32 * d;
                    o[j + 16] = ((b[2 + j] >> 4) as i32 - 8) as f32 * d;
                }
            }
        }
        GgmlType::Q4_1 => {
            for (b, o) in w.chunks_exact(20).zip(out.chunks_exact_mut(QK)) {
                let (d, m) = (f16_at(b, 0), f16_at(b, 2));
                for j in 0..16 {
                    o[j] = (b[4 + j] & 0xF) as f32 * d + m;
                    o[j + 16] = (b[4 + j] >> 4) as f32 * d + m;
                }
            }
        }
        GgmlType::Q5_0 => q5::dequantize_q5_0(w, out),
        GgmlType::Q5_1 => q5::dequantize_q5_1(w, out),
        GgmlType::IQ4NL => iq4::dequantize_iq4_nl(w, out),
        GgmlType::IQ4XS => iq4::dequantize_iq4_xs(w, out),
        GgmlType::Q2K => k_low::dequantize_q2_k(w, out),
        GgmlType::Q3K => k_low::dequantize_q3_k(w, out),
        GgmlType::Q8_0 => {
            for (b, o) in w.chunks_exact(34).zip(out.chunks_exact_mut(QK)) {
                let d = f16_at(b, 0);
                for j in 0..QK {
                    o[j] = b[2 + j] as i8 as f32 * d;
                }
            }
        }
        GgmlType::Q4K => {
            for (b, o) in w.chunks_exact(144).zip(out.chunks_exact_mut(QK_K)) {
                let (d, dmin) = (f16_at(b, 0), f16_at(b, 2));
                let scales = &b[4..16];
                let qs = &b[16..144];
                for c in 0..4 {
                    let (s1, m1) = scale_min_k4(2 * c, scales);
                    let (s2, m2) = scale_min_k4(2 * c + 1, scales);
                    let (d1, m1) = (d * s1 as f32, dmin * m1 as f32);
                    let (d2, m2) = (d * s2 as f32, dmin * m2 as f32);
                    for l in 0..32 {
                        let q = qs[32 * c + l];
                        o[64 * c + l] = d1 * (q & 0xF) as f32 - m1;
                        o[64 * c + 32 + l] = d2 * (q >> 4) as f32 - m2;
                    }
                }
            }
        }
        GgmlType::Q5K => {
            for (b, o) in w.chunks_exact(176).zip(out.chunks_exact_mut(QK_K)) {
                let (d, dmin) = (f16_at(b, 0), f16_at(b, 2));
                let scales = &b[4..16];
                let qh = &b[16..48];
                let qs = &b[48..176];
                for c in 0..4 {
                    let (s1, m1) = scale_min_k4(2 * c, scales);
                    let (s2, m2) = scale_min_k4(2 * c + 1, scales);
                    let (d1, m1) = (d * s1 as f32, dmin * m1 as f32);
                    let (d2, m2) = (d * s2 as f32, dmin * m2 as f32);
                    let (u1, u2) = (1u8 << (2 * c), 2u8 << (2 * c));
                    for l in 0..32 {
                        let q = qs[32 * c + l];
                        let h1 = if qh[l] & u1 != 0 { 16 } else { 0 };
                        let h2 = if qh[l] & u2 != 0 { 16 } else { 0 };
                        o[64 * c + l] = d1 * ((q & 0xF) + h1) as f32 - m1;
                        o[64 * c + 32 + l] = d2 * ((q >> 4) + h2) as f32 - m2;
                    }
                }
            }
        }
        GgmlType::Q6K => {
            for (b, o) in w.chunks_exact(210).zip(out.chunks_exact_mut(QK_K)) {
                let d = f16_at(b, 208);
                for (h, o) in o.chunks_exact_mut(128).enumerate() {
                    let ql = &b[64 * h..64 * h + 64];
                    let qh = &b[128 + 32 * h..128 + 32 * h + 32];
                    let sc = &b[192 + 8 * h..192 + 8 * h + 8];
                    for l in 0..32 {
                        let is = l / 16;
                        let q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) as i32 - 32;
                        let q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) as i32 - 32;
                        let q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i32 - 32;
                        let q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i32 - 32;
                        o[l] = d * (sc[is] as i8 as f32) * q1 as f32;
                        o[l + 32] = d * (sc[is + 2] as i8 as f32) * q2 as f32;
                        o[l + 64] = d * (sc[is + 4] as i8 as f32) * q3 as f32;
                        o[l + 96] = d * (sc[is + 6] as i8 as f32) * q4 as f32;
                    }
                }
            }
        }
    }
}

/// Scalar reference dot product of a weight row with an activation row
/// quantised as `ActType::for_weights(ty)`.
pub fn vec_dot_ref(ty: GgmlType, w: &[u8], a: &[u8], n: usize) -> f32 {
    match ty {
        GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => {
            let mut row = vec![0f32; n];
            dequantize_row(ty, w, &mut row);
            row.iter()
                .zip(a.chunks_exact(4))
                .map(|(x, b)| x * f32_at(b, 0))
                .sum()
        }
        GgmlType::Q4_0 => {
            let mut sum = 0f32;
            for (wb, ab) in w
                .chunks_exact(18)
                .zip(a.chunks_exact(Q8_0_BYTES))
                .take(n / QK)
            {
                let mut s = 0i32;
                for j in 0..16 {
                    s += ((wb[2 + j] & 0xF) as i32 - 8) * (ab[2 + j] as i8 as i32);
                    s += ((wb[2 + j] >> 4) as i32 - 8) * (ab[18 + j] as i8 as i32);
                }
                sum += s as f32 * f16_at(wb, 0) * f16_at(ab, 0);
            }
            sum
        }
        GgmlType::Q4_1 => {
            let mut sum = 0f32;
            for (wb, ab) in w
                .chunks_exact(20)
                .zip(a.chunks_exact(Q8_1_BYTES))
                .take(n / QK)
            {
                let mut s = 0i32;
                for j in 0..16 {
                    s += (wb[4 + j] & 0xF) as i32 * (ab[4 + j] as i8 as i32);
                    s += (wb[4 + j] >> 4) as i32 * (ab[20 + j] as i8 as i32);
                }
                sum += s as f32 * f16_at(wb, 0) * f16_at(ab, 0) + f16_at(wb, 2) * f16_at(ab, 2);
            }
            sum
        }
        GgmlType::Q5_0 => q5::dot_q5_0(w, a, n),
        GgmlType::Q5_1 => q5::dot_q5_1(w, a, n),
        GgmlType::IQ4NL => iq4::dot_iq4_nl(w, a, n),
        GgmlType::IQ4XS => iq4::dot_iq4_xs(w, a, n),
        GgmlType::Q2K => k_low::dot_q2_k(w, a, n),
        GgmlType::Q3K => k_low::dot_q3_k(w, a, n),
        GgmlType::Q8_0 => {
            let mut sum = 0f32;
            for (wb, ab) in w
                .chunks_exact(34)
                .zip(a.chunks_exact(Q8_0_BYTES))
                .take(n / QK)
            {
                let s: i32 = (0..QK)
                    .map(|j| (wb[2 + j] as i8 as i32) * (ab[2 + j] as i8 as i32))
                    .sum();
                sum += s as f32 * f16_at(wb, 0) * f16_at(ab, 0);
            }
            sum
        }
        GgmlType::Q4K => {
            let mut sum = 0f32;
            for (wb, ab) in w
                .chunks_exact(144)
                .zip(a.chunks_exact(Q8K_BYTES))
                .take(n / QK_K)
            {
                let (d, dmin, ad) = (f16_at(wb, 0), f16_at(wb, 2), f32_at(ab, 0));
                let scales = &wb[4..16];
                let qs = &wb[16..144];
                let q8 = &ab[4..4 + QK_K];
                let mut si = 0i32;
                let mut mi = 0i32;
                for c in 0..4 {
                    let (s1, m1) = scale_min_k4(2 * c, scales);
                    let (s2, m2) = scale_min_k4(2 * c + 1, scales);
                    let (mut a1, mut a2) = (0i32, 0i32);
                    for l in 0..32 {
                        let q = qs[32 * c + l];
                        a1 += (q & 0xF) as i32 * q8[64 * c + l] as i8 as i32;
                        a2 += (q >> 4) as i32 * q8[64 * c + 32 + l] as i8 as i32;
                    }
                    si += a1 * s1 as i32 + a2 * s2 as i32;
                    let bs = |g: usize| i16_at(ab, 4 + QK_K + 2 * g);
                    mi += m1 as i32 * (bs(4 * c) + bs(4 * c + 1));
                    mi += m2 as i32 * (bs(4 * c + 2) + bs(4 * c + 3));
                }
                sum += d * ad * si as f32 - dmin * ad * mi as f32;
            }
            sum
        }
        GgmlType::Q5K => {
            let mut sum = 0f32;
            for (wb, ab) in w
                .chunks_exact(176)
                .zip(a.chunks_exact(Q8K_BYTES))
                .take(n / QK_K)
            {
                let (d, dmin, ad) = (f16_at(wb, 0), f16_at(wb, 2), f32_at(ab, 0));
                let scales = &wb[4..16];
                let qh = &wb[16..48];
                let qs = &wb[48..176];
                let q8 = &ab[4..4 + QK_K];
                let mut si = 0i32;
                let mut mi = 0i32;
                for c in 0..4 {
                    let (s1, m1) = scale_min_k4(2 * c, scales);
                    let (s2, m2) = scale_min_k4(2 * c + 1, scales);
                    let (u1, u2) = (1u8 << (2 * c), 2u8 << (2 * c));
                    let (mut a1, mut a2) = (0i32, 0i32);
                    for l in 0..32 {
                        let q = qs[32 * c + l];
                        let h1 = if qh[l] & u1 != 0 { 16 } else { 0 };
                        let h2 = if qh[l] & u2 != 0 { 16 } else { 0 };
                        a1 += ((q & 0xF) as i32 + h1) * q8[64 * c + l] as i8 as i32;
                        a2 += ((q >> 4) as i32 + h2) * q8[64 * c + 32 + l] as i8 as i32;
                    }
                    si += a1 * s1 as i32 + a2 * s2 as i32;
                    let bs = |g: usize| i16_at(ab, 4 + QK_K + 2 * g);
                    mi += m1 as i32 * (bs(4 * c) + bs(4 * c + 1));
                    mi += m2 as i32 * (bs(4 * c + 2) + bs(4 * c + 3));
                }
                sum += d * ad * si as f32 - dmin * ad * mi as f32;
            }
            sum
        }
        GgmlType::Q6K => {
            let mut sum = 0f32;
            for (wb, ab) in w
                .chunks_exact(210)
                .zip(a.chunks_exact(Q8K_BYTES))
                .take(n / QK_K)
            {
                let d = f16_at(wb, 208) * f32_at(ab, 0);
                let q8 = &ab[4..4 + QK_K];
                let mut si = 0i32;
                for h in 0..2 {
                    let ql = &wb[64 * h..64 * h + 64];
                    let qh = &wb[128 + 32 * h..128 + 32 * h + 32];
                    let sc = &wb[192 + 8 * h..192 + 8 * h + 8];
                    let q8 = &q8[128 * h..128 * h + 128];
                    let mut acc = [0i32; 8];
                    for l in 0..32 {
                        let is = l / 16;
                        let q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) as i32 - 32;
                        let q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) as i32 - 32;
                        let q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i32 - 32;
                        let q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i32 - 32;
                        acc[is] += q1 * q8[l] as i8 as i32;
                        acc[is + 2] += q2 * q8[l + 32] as i8 as i32;
                        acc[is + 4] += q3 * q8[l + 64] as i8 as i32;
                        acc[is + 6] += q4 * q8[l + 96] as i8 as i32;
                    }
                    for (k, v) in acc.iter().enumerate() {
                        si += v * sc[k] as i8 as i32;
                    }
                }
                sum += d * si as f32;
            }
            sum
        }
    }
}

/// Quantises a row of f32 weights into `ty`; used by the synthetic model
/// generator and by tests. Simple round-to-nearest, not llama.cpp's
/// importance-weighted search; Q5_0 and Q5_1 give gguf-py's bytes.
pub fn quantize_weights(ty: GgmlType, x: &[f32], out: &mut [u8]) {
    match ty {
        GgmlType::F32 => quantize_row(ActType::F32, x, out),
        GgmlType::F16 => {
            for (o, v) in out.chunks_exact_mut(2).zip(x) {
                o.copy_from_slice(&f16::from_f32(*v).to_bits().to_le_bytes());
            }
        }
        GgmlType::BF16 => {
            for (o, v) in out.chunks_exact_mut(2).zip(x) {
                o.copy_from_slice(&bf16::from_f32(*v).to_bits().to_le_bytes());
            }
        }
        GgmlType::Q8_0 => quantize_row(ActType::Q8_0, x, out),
        GgmlType::Q5_0 => q5::quantize_q5_0(x, out),
        GgmlType::Q5_1 => q5::quantize_q5_1(x, out),
        GgmlType::IQ4NL => iq4::quantize_iq4_nl(x, out),
        GgmlType::IQ4XS => iq4::quantize_iq4_xs(x, out),
        GgmlType::Q2K => k_low::quantize_q2_k(x, out),
        GgmlType::Q3K => k_low::quantize_q3_k(x, out),
        GgmlType::Q4_0 => {
            for (xb, ob) in x.chunks_exact(QK).zip(out.chunks_exact_mut(18)) {
                let d = signed_max(xb) / -8.0;
                let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                put_f16(&mut ob[0..2], d);
                let q = |v: f32| ((v * id + 8.5) as i32).clamp(0, 15) as u8;
                for j in 0..16 {
                    ob[2 + j] = q(xb[j]) | (q(xb[j + 16]) << 4);
                }
            }
        }
        GgmlType::Q4_1 => {
            for (xb, ob) in x.chunks_exact(QK).zip(out.chunks_exact_mut(20)) {
                let min = xb.iter().copied().fold(f32::INFINITY, f32::min);
                let max = xb.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let d = (max - min) / 15.0;
                let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                put_f16(&mut ob[0..2], d);
                put_f16(&mut ob[2..4], min);
                let q = |v: f32| (((v - min) * id + 0.5) as i32).clamp(0, 15) as u8;
                for j in 0..16 {
                    ob[4 + j] = q(xb[j]) | (q(xb[j + 16]) << 4);
                }
            }
        }
        GgmlType::Q4K | GgmlType::Q5K | GgmlType::Q6K => {
            for (xb, ob) in x
                .chunks_exact(QK_K)
                .zip(out.chunks_exact_mut(ty.block_bytes()))
            {
                quantize_k_block(ty, xb, ob);
            }
        }
    }
}

fn quantize_k_block(ty: GgmlType, x: &[f32], out: &mut [u8]) {
    match ty {
        GgmlType::Q6K => {
            let mut scales = [0f32; 16];
            for (s, c) in scales.iter_mut().zip(x.chunks_exact(16)) {
                *s = c.iter().fold(0f32, |m, v| m.max(v.abs())) / 31.0;
            }
            let smax = scales.iter().fold(0f32, |m, v| m.max(*v));
            let d = smax / 127.0;
            put_f16(&mut out[208..210], d);
            let d = f16::from_f32(d).to_f32();
            let mut q = [0u8; QK_K];
            for (g, c) in x.chunks_exact(16).enumerate() {
                let sc = if d != 0.0 {
                    (scales[g] / d).round().clamp(-128.0, 127.0)
                } else {
                    0.0
                };
                out[192 + g] = sc as i8 as u8;
                let ds = d * sc;
                for (k, v) in c.iter().enumerate() {
                    let qi = if ds != 0.0 {
                        (v / ds).round() as i32
                    } else {
                        0
                    };
                    q[16 * g + k] = (qi.clamp(-32, 31) + 32) as u8;
                }
            }
            for h in 0..2 {
                for l in 0..32 {
                    let base = 128 * h;
                    let (q1, q2, q3, q4) = (
                        q[base + l],
                        q[base + l + 32],
                        q[base + l + 64],
                        q[base + l + 96],
                    );
                    out[64 * h + l] = (q1 & 0xF) | ((q3 & 0xF) << 4);
                    out[64 * h + l + 32] = (q2 & 0xF) | ((q4 & 0xF) << 4);
                    out[128 + 32 * h + l] =
                        (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6);
                }
            }
        }
        _ => {
            // Q4_K / Q5_K: eight sub-blocks of 32 with 6-bit scale and min.
            let levels = if ty == GgmlType::Q4K { 15.0 } else { 31.0 };
            let mut sc = [0f32; 8];
            let mut mn = [0f32; 8];
            for (j, c) in x.chunks_exact(32).enumerate() {
                let lo = c.iter().copied().fold(f32::INFINITY, f32::min).min(0.0);
                let hi = c.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                sc[j] = (hi - lo) / levels;
                mn[j] = -lo;
            }
            let smax = sc.iter().fold(0f32, |m, v| m.max(*v));
            let mmax = mn.iter().fold(0f32, |m, v| m.max(*v));
            let d = smax / 63.0;
            let dmin = mmax / 63.0;
            put_f16(&mut out[0..2], d);
            put_f16(&mut out[2..4], dmin);
            let (d, dmin) = (f16::from_f32(d).to_f32(), f16::from_f32(dmin).to_f32());
            let mut ls = [0u8; 8];
            let mut lm = [0u8; 8];
            for j in 0..8 {
                ls[j] = if d != 0.0 {
                    (sc[j] / d).round().clamp(0.0, 63.0) as u8
                } else {
                    0
                };
                lm[j] = if dmin != 0.0 {
                    (mn[j] / dmin).round().clamp(0.0, 63.0) as u8
                } else {
                    0
                };
            }
            let s = &mut out[4..16];
            for j in 0..4 {
                s[j] = ls[j] | ((ls[j + 4] >> 4) << 6);
                s[j + 4] = lm[j] | ((lm[j + 4] >> 4) << 6);
                s[j + 8] = (ls[j + 4] & 0xF) | ((lm[j + 4] & 0xF) << 4);
            }
            let mut q = [0u8; QK_K];
            for (j, c) in x.chunks_exact(32).enumerate() {
                let ds = d * ls[j] as f32;
                let m = dmin * lm[j] as f32;
                for (k, v) in c.iter().enumerate() {
                    let qi = if ds != 0.0 {
                        ((v + m) / ds).round() as i32
                    } else {
                        0
                    };
                    q[32 * j + k] = qi.clamp(0, levels as i32) as u8;
                }
            }
            let qs_at = if ty == GgmlType::Q4K { 16 } else { 48 };
            for c in 0..4 {
                for l in 0..32 {
                    let (a, b) = (q[64 * c + l], q[64 * c + 32 + l]);
                    out[qs_at + 32 * c + l] = (a & 0xF) | ((b & 0xF) << 4);
                    if ty == GgmlType::Q5K {
                        if a & 16 != 0 {
                            out[16 + l] |= 1 << (2 * c);
                        }
                        if b & 16 != 0 {
                            out[16 + l] |= 2 << (2 * c);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wave(n: usize, seed: f32) -> Vec<f32> {
        (0..n)
            .map(|i| (i as f32 * 0.37 + seed).sin() * 1.3 + (i as f32 * 0.011).cos() * 0.2)
            .collect()
    }

    #[test]
    fn quantised_dot_products_are_close_to_the_f32_dot_product() {
        let n = 512;
        let w = wave(n, 0.3);
        let x = wave(n, 1.7);
        let exact: f32 = w.iter().zip(&x).map(|(a, b)| a * b).sum();
        for ty in GgmlType::ALL {
            let mut wq = vec![0u8; ty.row_bytes(n).unwrap()];
            quantize_weights(ty, &w, &mut wq);
            let act = ActType::for_weights(ty);
            let mut aq = vec![0u8; act.row_bytes(n)];
            quantize_row(act, &x, &mut aq);
            let got = vec_dot_ref(ty, &wq, &aq, n);
            let mut deq = vec![0f32; n];
            dequantize_row(ty, &wq, &mut deq);
            let via_deq: f32 = deq.iter().zip(&x).map(|(a, b)| a * b).sum();
            let tol = 0.05 * w.iter().zip(&x).map(|(a, b)| (a * b).abs()).sum::<f32>();
            assert!((got - exact).abs() < tol, "{}: {got} vs {exact}", ty.name());
            assert!(
                (got - via_deq).abs() < tol / 2.0,
                "{}: {got} vs dequantised {via_deq}",
                ty.name()
            );
        }
    }
}
