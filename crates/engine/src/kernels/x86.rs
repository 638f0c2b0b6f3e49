//! x86-64 dot products. Each `#[target_feature]` function is only reached
//! through a safe wrapper that (a) was selected after run-time feature
//! detection and (b) has checked the slice lengths, so every pointer read
//! below stays inside its slice.

mod k_low;
pub(super) mod kvq8;
mod lanes;
mod q5_iq4;

use std::arch::x86_64::*;

use super::{lengths_ok, DotFn, Isa};
use crate::gguf::GgmlType;
use crate::quant::{Q5_1_BYTES, Q8K_BYTES, Q8_0_BYTES, Q8_1_BYTES, QK, QK_K};
use lanes::{f16_at, hsum_epi32, hsum_ps, unpack_nibbles};

pub(super) fn dot_fn(ty: GgmlType, isa: Isa) -> Option<DotFn> {
    match (ty, isa) {
        (_, Isa::Scalar) => None,
        (GgmlType::Q4_1, Isa::Avx512Vnni) => Some(q4_1_vnni),
        (GgmlType::Q4_1, Isa::Avx2) => Some(q4_1_avx2),
        (GgmlType::Q4_0, Isa::Avx512Vnni) => Some(q4_0_vnni),
        (GgmlType::Q4_0, Isa::Avx2) => Some(q4_0_avx2),
        (GgmlType::Q8_0, Isa::Avx512Vnni) => Some(q8_0_vnni),
        (GgmlType::Q8_0, Isa::Avx2) => Some(q8_0_avx2),
        (GgmlType::Q4K, _) => Some(q4k_avx2),
        (GgmlType::Q6K, _) => Some(q6k_avx2),
        (GgmlType::Q5_0, _) => Some(q5_0_avx2),
        (GgmlType::Q5_1, _) => Some(q5_1_avx2),
        (GgmlType::IQ4NL, _) => Some(iq4_nl_avx2),
        (GgmlType::IQ4XS, _) => Some(iq4_xs_avx2),
        (GgmlType::Q2K, _) => Some(q2k_avx2),
        (GgmlType::Q3K, _) => Some(q3k_avx2),
        _ => None,
    }
}

macro_rules! safe_wrapper {
    ($name:ident, $ty:expr, $inner:path) => {
        fn $name(w: &[u8], a: &[u8], n: usize) -> f32 {
            if !lengths_ok($ty, w, a, n) {
                return crate::quant::vec_dot_ref($ty, w, a, n);
            }
            // SAFETY: this function is only handed out by `dot_fn` for an ISA
            // that `Isa::detect` found on this CPU, and the lengths match `n`.
            unsafe { $inner(w, a, n) }
        }
    };
}

safe_wrapper!(q4_1_vnni, GgmlType::Q4_1, q4_1_q8_1_vnni);
safe_wrapper!(q4_1_avx2, GgmlType::Q4_1, q_1_q8_1_avx2::<false>);
safe_wrapper!(q4_0_vnni, GgmlType::Q4_0, q4_0_q8_0_vnni);
safe_wrapper!(q4_0_avx2, GgmlType::Q4_0, q4_0_q8_0_avx2);
safe_wrapper!(q8_0_vnni, GgmlType::Q8_0, q8_0_q8_0_vnni);
safe_wrapper!(q8_0_avx2, GgmlType::Q8_0, q8_0_q8_0_avx2);
safe_wrapper!(q4k_avx2, GgmlType::Q4K, q4k_q8k_avx2);
safe_wrapper!(q6k_avx2, GgmlType::Q6K, q6k_q8k_avx2);
use q5_iq4::{bytes_from_bits, iq4_nl_q8_0_avx2, iq4_xs_q8k_avx2, q5_0_q8_0_avx2};
safe_wrapper!(q5_0_avx2, GgmlType::Q5_0, q5_0_q8_0_avx2);
safe_wrapper!(q5_1_avx2, GgmlType::Q5_1, q_1_q8_1_avx2::<true>);
safe_wrapper!(iq4_nl_avx2, GgmlType::IQ4NL, iq4_nl_q8_0_avx2);
safe_wrapper!(iq4_xs_avx2, GgmlType::IQ4XS, iq4_xs_q8k_avx2);
use k_low::{q2k_q8k_avx2, q3k_q8k_avx2};
safe_wrapper!(q2k_avx2, GgmlType::Q2K, q2k_q8k_avx2);
safe_wrapper!(q3k_avx2, GgmlType::Q3K, q3k_q8k_avx2);

#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn q4_1_q8_1_vnni(w: &[u8], a: &[u8], n: usize) -> f32 {
    let nb = n / QK;
    let mut acc = _mm256_setzero_ps();
    let mut mins = 0f32;
    let (wp, ap) = (w.as_ptr(), a.as_ptr());
    for i in 0..nb {
        // SAFETY: block i lies within both slices (lengths checked by caller).
        unsafe {
            let wb = wp.add(i * 20);
            let ab = ap.add(i * Q8_1_BYTES);
            let q = unpack_nibbles(wb.add(4));
            let y = _mm256_loadu_si256(ab.add(4) as *const __m256i);
            let dot = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q, y);
            let d = f16_at(wb) * f16_at(ab);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(dot), acc);
            // llama.cpp is compiled with FMA contraction: m·s + sum is one FMA.
            mins = f16_at(wb.add(2)).mul_add(f16_at(ab.add(2)), mins);
        }
    }
    hsum_ps(acc) + mins
}

/// Q4_1 weights (`FIVE` false) or Q5_1 weights · Q8_1: unsigned values
/// with a scale and a minimum per block.
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn q_1_q8_1_avx2<const FIVE: bool>(w: &[u8], a: &[u8], n: usize) -> f32 {
    let nb = n / QK;
    let block = if FIVE { Q5_1_BYTES } else { 20 };
    let mut acc = _mm256_setzero_ps();
    let mut mins = 0f32;
    let ones = _mm256_set1_epi16(1);
    let (wp, ap) = (w.as_ptr(), a.as_ptr());
    for i in 0..nb {
        // SAFETY: block i lies within both slices (lengths checked by caller).
        unsafe {
            let wb = wp.add(i * block);
            let ab = ap.add(i * Q8_1_BYTES);
            let q = if FIVE {
                let high = _mm256_and_si256(bytes_from_bits(wb.add(4)), _mm256_set1_epi8(16));
                _mm256_or_si256(unpack_nibbles(wb.add(8)), high)
            } else {
                unpack_nibbles(wb.add(4))
            };
            let y = _mm256_loadu_si256(ab.add(4) as *const __m256i);
            let dot = _mm256_madd_epi16(_mm256_maddubs_epi16(q, y), ones);
            let d = f16_at(wb) * f16_at(ab);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(dot), acc);
            // llama.cpp is compiled with FMA contraction: m·s + sum is one FMA.
            mins = f16_at(wb.add(2)).mul_add(f16_at(ab.add(2)), mins);
        }
    }
    hsum_ps(acc) + mins
}

#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn q4_0_q8_0_vnni(w: &[u8], a: &[u8], n: usize) -> f32 {
    let nb = n / QK;
    let mut acc = _mm256_setzero_ps();
    let eights = _mm256_set1_epi8(8);
    let (wp, ap) = (w.as_ptr(), a.as_ptr());
    for i in 0..nb {
        // SAFETY: block i lies within both slices (lengths checked by caller).
        unsafe {
            let wb = wp.add(i * 18);
            let ab = ap.add(i * Q8_0_BYTES);
            let q = unpack_nibbles(wb.add(2));
            let y = _mm256_loadu_si256(ab.add(2) as *const __m256i);
            let dot = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q, y);
            let off = _mm256_dpbusd_epi32(_mm256_setzero_si256(), eights, y);
            let d = f16_at(wb) * f16_at(ab);
            acc = _mm256_fmadd_ps(
                _mm256_set1_ps(d),
                _mm256_cvtepi32_ps(_mm256_sub_epi32(dot, off)),
                acc,
            );
        }
    }
    hsum_ps(acc)
}

#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn q4_0_q8_0_avx2(w: &[u8], a: &[u8], n: usize) -> f32 {
    let nb = n / QK;
    let mut acc = _mm256_setzero_ps();
    let eights = _mm256_set1_epi8(8);
    let ones = _mm256_set1_epi16(1);
    let (wp, ap) = (w.as_ptr(), a.as_ptr());
    for i in 0..nb {
        // SAFETY: block i lies within both slices (lengths checked by caller).
        unsafe {
            let wb = wp.add(i * 18);
            let ab = ap.add(i * Q8_0_BYTES);
            let q = _mm256_sub_epi8(unpack_nibbles(wb.add(2)), eights);
            let y = _mm256_loadu_si256(ab.add(2) as *const __m256i);
            let ax = _mm256_sign_epi8(q, q);
            let sy = _mm256_sign_epi8(y, q);
            let dot = _mm256_madd_epi16(_mm256_maddubs_epi16(ax, sy), ones);
            let d = f16_at(wb) * f16_at(ab);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(dot), acc);
        }
    }
    hsum_ps(acc)
}

#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn q8_0_q8_0_vnni(w: &[u8], a: &[u8], n: usize) -> f32 {
    let nb = n / QK;
    let mut acc = _mm256_setzero_ps();
    let (wp, ap) = (w.as_ptr(), a.as_ptr());
    for i in 0..nb {
        // SAFETY: block i lies within both slices (lengths checked by caller).
        unsafe {
            let wb = wp.add(i * 34);
            let ab = ap.add(i * Q8_0_BYTES);
            let q = _mm256_loadu_si256(wb.add(2) as *const __m256i);
            let y = _mm256_loadu_si256(ab.add(2) as *const __m256i);
            let dot = _mm256_dpbusd_epi32(
                _mm256_setzero_si256(),
                _mm256_abs_epi8(q),
                _mm256_sign_epi8(y, q),
            );
            let d = f16_at(wb) * f16_at(ab);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(dot), acc);
        }
    }
    hsum_ps(acc)
}

#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn q8_0_q8_0_avx2(w: &[u8], a: &[u8], n: usize) -> f32 {
    let nb = n / QK;
    let mut acc = _mm256_setzero_ps();
    let ones = _mm256_set1_epi16(1);
    let (wp, ap) = (w.as_ptr(), a.as_ptr());
    for i in 0..nb {
        // SAFETY: block i lies within both slices (lengths checked by caller).
        unsafe {
            let wb = wp.add(i * 34);
            let ab = ap.add(i * Q8_0_BYTES);
            let q = _mm256_loadu_si256(wb.add(2) as *const __m256i);
            let y = _mm256_loadu_si256(ab.add(2) as *const __m256i);
            let dot = _mm256_madd_epi16(
                _mm256_maddubs_epi16(_mm256_abs_epi8(q), _mm256_sign_epi8(y, q)),
                ones,
            );
            let d = f16_at(wb) * f16_at(ab);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(dot), acc);
        }
    }
    hsum_ps(acc)
}

#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn q4k_q8k_avx2(w: &[u8], a: &[u8], n: usize) -> f32 {
    let nb = n / QK_K;
    let mut sum = 0f32;
    let m4 = _mm256_set1_epi8(0x0F);
    for i in 0..nb {
        let wb = &w[i * 144..(i + 1) * 144];
        let ab = &a[i * Q8K_BYTES..(i + 1) * Q8K_BYTES];
        let ad = f32::from_le_bytes([ab[0], ab[1], ab[2], ab[3]]);
        let d = crate::quant::f16_at(wb, 0) * ad;
        let dmin = crate::quant::f16_at(wb, 2) * ad;
        let scales = &wb[4..16];
        let mut acc = _mm256_setzero_si256();
        let mut mins = 0i32;
        for c in 0..4 {
            let (s1, m1) = crate::quant::scale_min_k4(2 * c, scales);
            let (s2, m2) = crate::quant::scale_min_k4(2 * c + 1, scales);
            // SAFETY: offsets stay within the 144-byte block and the
            // 292-byte activation block sliced above.
            unsafe {
                let raw = _mm256_loadu_si256(wb.as_ptr().add(16 + 32 * c) as *const __m256i);
                let lo = _mm256_and_si256(raw, m4);
                let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(raw), m4);
                let y1 = _mm256_loadu_si256(ab.as_ptr().add(4 + 64 * c) as *const __m256i);
                let y2 = _mm256_loadu_si256(ab.as_ptr().add(4 + 64 * c + 32) as *const __m256i);
                let p1 =
                    _mm256_madd_epi16(_mm256_maddubs_epi16(lo, y1), _mm256_set1_epi16(s1 as i16));
                let p2 =
                    _mm256_madd_epi16(_mm256_maddubs_epi16(hi, y2), _mm256_set1_epi16(s2 as i16));
                acc = _mm256_add_epi32(acc, _mm256_add_epi32(p1, p2));
            }
            let bs = |g: usize| {
                i32::from(i16::from_le_bytes([
                    ab[4 + QK_K + 2 * g],
                    ab[5 + QK_K + 2 * g],
                ]))
            };
            mins += m1 as i32 * (bs(4 * c) + bs(4 * c + 1))
                + m2 as i32 * (bs(4 * c + 2) + bs(4 * c + 3));
        }
        sum += d * hsum_epi32(acc) as f32 - dmin * mins as f32;
    }
    sum
}

#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn q6k_q8k_avx2(w: &[u8], a: &[u8], n: usize) -> f32 {
    let nb = n / QK_K;
    let mut sum = 0f32;
    let m4 = _mm256_set1_epi8(0x0F);
    let m2 = _mm256_set1_epi8(0x03);
    let off = _mm256_set1_epi8(32);
    for i in 0..nb {
        let wb = &w[i * 210..(i + 1) * 210];
        let ab = &a[i * Q8K_BYTES..(i + 1) * Q8K_BYTES];
        let ad = f32::from_le_bytes([ab[0], ab[1], ab[2], ab[3]]);
        let d = crate::quant::f16_at(wb, 208) * ad;
        let mut acc = _mm256_setzero_si256();
        for h in 0..2 {
            let sc = &wb[192 + 8 * h..200 + 8 * h];
            let scale = |k: usize| {
                _mm256_set_m128i(
                    _mm_set1_epi16(sc[k + 1] as i8 as i16),
                    _mm_set1_epi16(sc[k] as i8 as i16),
                )
            };
            // SAFETY: offsets stay within the 210-byte block and the
            // 292-byte activation block sliced above.
            unsafe {
                let ql0 = _mm256_loadu_si256(wb.as_ptr().add(64 * h) as *const __m256i);
                let ql1 = _mm256_loadu_si256(wb.as_ptr().add(64 * h + 32) as *const __m256i);
                let qh = _mm256_loadu_si256(wb.as_ptr().add(128 + 32 * h) as *const __m256i);
                let q1 = _mm256_or_si256(
                    _mm256_and_si256(ql0, m4),
                    _mm256_slli_epi16::<4>(_mm256_and_si256(qh, m2)),
                );
                let q2 = _mm256_or_si256(
                    _mm256_and_si256(ql1, m4),
                    _mm256_slli_epi16::<4>(_mm256_and_si256(_mm256_srli_epi16::<2>(qh), m2)),
                );
                let q3 = _mm256_or_si256(
                    _mm256_and_si256(_mm256_srli_epi16::<4>(ql0), m4),
                    _mm256_slli_epi16::<4>(_mm256_and_si256(_mm256_srli_epi16::<4>(qh), m2)),
                );
                let q4 = _mm256_or_si256(
                    _mm256_and_si256(_mm256_srli_epi16::<4>(ql1), m4),
                    _mm256_slli_epi16::<4>(_mm256_and_si256(_mm256_srli_epi16::<6>(qh), m2)),
                );
                let yb = ab.as_ptr().add(4 + 128 * h);
                for (k, q) in [q1, q2, q3, q4].into_iter().enumerate() {
                    let y = _mm256_loadu_si256(yb.add(32 * k) as *const __m256i);
                    let p =
                        _mm256_sub_epi16(_mm256_maddubs_epi16(q, y), _mm256_maddubs_epi16(off, y));
                    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, scale(2 * k)));
                }
            }
        }
        sum += d * hsum_epi32(acc) as f32;
    }
    sum
}

pub(super) fn dot_f16(k: &[u16], q: &[f32]) -> Option<f32> {
    if !(is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("fma")
        && is_x86_feature_detected!("f16c"))
    {
        return None;
    }
    // SAFETY: features checked just above; lengths are equal (asserted by caller).
    Some(unsafe { dot_f16_avx2(k, q) })
}

#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn dot_f16_avx2(k: &[u16], q: &[f32]) -> f32 {
    let n = k.len().min(q.len());
    let mut acc0 = _mm256_setzero_ps();
    let mut acc1 = _mm256_setzero_ps();
    let mut i = 0;
    // SAFETY: every load reads 8 or 16 elements starting below `n - 7`.
    unsafe {
        while i + 16 <= n {
            let k0 = _mm256_cvtph_ps(_mm_loadu_si128(k.as_ptr().add(i) as *const __m128i));
            let k1 = _mm256_cvtph_ps(_mm_loadu_si128(k.as_ptr().add(i + 8) as *const __m128i));
            acc0 = _mm256_fmadd_ps(k0, _mm256_loadu_ps(q.as_ptr().add(i)), acc0);
            acc1 = _mm256_fmadd_ps(k1, _mm256_loadu_ps(q.as_ptr().add(i + 8)), acc1);
            i += 16;
        }
        while i + 8 <= n {
            let k0 = _mm256_cvtph_ps(_mm_loadu_si128(k.as_ptr().add(i) as *const __m128i));
            acc0 = _mm256_fmadd_ps(k0, _mm256_loadu_ps(q.as_ptr().add(i)), acc0);
            i += 8;
        }
    }
    let mut s = hsum_ps(_mm256_add_ps(acc0, acc1));
    for j in i..n {
        s += half::f16::from_bits(k[j]).to_f32() * q[j];
    }
    s
}

pub(super) fn axpy_f16(out: &mut [f32], v: &[u16], p: f32) -> bool {
    if !(is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("fma")
        && is_x86_feature_detected!("f16c"))
    {
        return false;
    }
    // SAFETY: features checked just above; lengths are equal (asserted by caller).
    unsafe { axpy_f16_avx2(out, v, p) };
    true
}

#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn axpy_f16_avx2(out: &mut [f32], v: &[u16], p: f32) {
    let n = out.len().min(v.len());
    let pv = _mm256_set1_ps(p);
    let mut i = 0;
    // SAFETY: every access covers 8 elements starting below `n - 7`.
    unsafe {
        while i + 8 <= n {
            let vv = _mm256_cvtph_ps(_mm_loadu_si128(v.as_ptr().add(i) as *const __m128i));
            let o = _mm256_loadu_ps(out.as_ptr().add(i));
            _mm256_storeu_ps(out.as_mut_ptr().add(i), _mm256_fmadd_ps(pv, vv, o));
            i += 8;
        }
    }
    for j in i..n {
        out[j] += p * half::f16::from_bits(v[j]).to_f32();
    }
}

/// How many blocks ahead the tile kernel asks for weight rows (measured
/// best on SmolLM2 decode: +30 % over none, 4 and 16 worse).
const PREFETCH_BLOCKS: usize = 8;

/// Weight formats the VNNI tile kernel handles; see `tile_vnni`.
const KIND_Q4_1: u8 = 0;
const KIND_Q4_0: u8 = 1;
const KIND_Q8_0: u8 = 2;

pub(super) fn gemm_fn(ty: GgmlType, isa: Isa) -> Option<super::GemmFn> {
    match (ty, isa) {
        (GgmlType::Q4_1, Isa::Avx512Vnni) => Some(gemm_q4_1),
        (GgmlType::Q4_0, Isa::Avx512Vnni) => Some(gemm_q4_0),
        (GgmlType::Q8_0, Isa::Avx512Vnni) => Some(gemm_q8_0),
        _ => None,
    }
}

macro_rules! gemm_wrapper {
    ($name:ident, $ty:expr, $kind:expr) => {
        fn $name(g: super::Gemm<'_>) {
            if !g.valid($ty) {
                return super::gemm_fallback($ty, g);
            }
            // SAFETY: `valid` checked every slice against the row and column
            // counts, and this function is only chosen when `Isa::detect`
            // found AVX-512 VNNI.
            unsafe { gemm_vnni::<{ $kind }>(g) }
        }
    };
}

gemm_wrapper!(gemm_q4_1, GgmlType::Q4_1, KIND_Q4_1);
gemm_wrapper!(gemm_q4_0, GgmlType::Q4_0, KIND_Q4_0);
gemm_wrapper!(gemm_q8_0, GgmlType::Q8_0, KIND_Q8_0);

#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn gemm_vnni<const KIND: u8>(g: super::Gemm<'_>) {
    let out = g.out.as_mut_ptr();
    let g = &g;
    let mut r = 0;
    while r < g.rows {
        let nr = (g.rows - r).min(4);
        let mut c = 0;
        while c < g.cols {
            let nc = (g.cols - c).min(4);
            // SAFETY: r + nr <= rows and c + nc <= cols, which `valid`
            // checked against the slice lengths.
            unsafe {
                match (nr, nc) {
                    (4, 4) => tile_vnni::<KIND, 4, 4>(g, out, r, c),
                    (4, 3) => tile_vnni::<KIND, 4, 3>(g, out, r, c),
                    (4, 2) => tile_vnni::<KIND, 4, 2>(g, out, r, c),
                    (4, 1) => tile_vnni::<KIND, 4, 1>(g, out, r, c),
                    (_, 4) => (0..nr).for_each(|i| tile_vnni::<KIND, 1, 4>(g, out, r + i, c)),
                    (_, 3) => (0..nr).for_each(|i| tile_vnni::<KIND, 1, 3>(g, out, r + i, c)),
                    (_, 2) => (0..nr).for_each(|i| tile_vnni::<KIND, 1, 2>(g, out, r + i, c)),
                    _ => (0..nr).for_each(|i| tile_vnni::<KIND, 1, 1>(g, out, r + i, c)),
                }
            }
            c += nc;
        }
        r += nr;
    }
}

/// An R×C tile of dot products: R weight rows against C activation rows,
/// sharing each unpacked weight block across the C activations. Weights are
/// made unsigned for `vpdpbusd` (Q4_1 as is, Q4_0 as nibbles 0..15, Q8_0 by
/// flipping the sign bit) and the offset is taken back out through the
/// activation block sums.
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn tile_vnni<const KIND: u8, const R: usize, const C: usize>(
    g: &super::Gemm<'_>,
    out: *mut f32,
    r0: usize,
    c0: usize,
) {
    let (wbs, wq, abs, aq) = match KIND {
        KIND_Q4_1 => (20usize, 4usize, Q8_1_BYTES, 4usize),
        KIND_Q4_0 => (18, 2, Q8_0_BYTES, 2),
        _ => (34, 2, Q8_0_BYTES, 2),
    };
    let nb = g.n / QK;
    let mut acc = [[_mm256_setzero_ps(); C]; R];
    let mut extra = [[0f32; C]; R];
    let wbase = g.w.as_ptr();
    let abase = g.act.as_ptr();
    for b in 0..nb {
        let mut wv = [_mm256_setzero_si256(); R];
        let mut dw = [0f32; R];
        let mut mw = [0f32; R];
        for i in 0..R {
            // SAFETY: row r0+i < rows and block b < nb lie inside `w`.
            unsafe {
                let p = wbase.add((r0 + i) * g.row_bytes + b * wbs);
                // Decoding streams every row from memory once per token and
                // is latency bound; ask for the lines a few blocks ahead (a
                // hint: it cannot fault and does not change results).
                _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(PREFETCH_BLOCKS * wbs) as *const i8);
                wv[i] = if KIND == KIND_Q8_0 {
                    _mm256_loadu_si256(p.add(wq) as *const __m256i)
                } else {
                    unpack_nibbles(p.add(wq))
                };
                dw[i] = f16_at(p);
                if KIND == KIND_Q4_1 {
                    mw[i] = f16_at(p.add(2));
                }
            }
        }
        for j in 0..C {
            // SAFETY: column c0+j < cols and block b < nb lie inside `act`.
            unsafe {
                let p = abase.add((c0 + j) * g.act_row_bytes + b * abs);
                let av = _mm256_loadu_si256(p.add(aq) as *const __m256i);
                let da = f16_at(p);
                // Integer dot products are exact, so only the float steps
                // need to follow llama.cpp's order (scale, FMA, final sum).
                let sum_a = if KIND == KIND_Q4_1 {
                    f16_at(p.add(2))
                } else {
                    0.0
                };
                let eights = if KIND == KIND_Q4_0 {
                    _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(8), av)
                } else {
                    _mm256_setzero_si256()
                };
                for i in 0..R {
                    let dot = match KIND {
                        KIND_Q8_0 => _mm256_dpbusd_epi32(
                            _mm256_setzero_si256(),
                            _mm256_abs_epi8(wv[i]),
                            _mm256_sign_epi8(av, wv[i]),
                        ),
                        KIND_Q4_0 => _mm256_sub_epi32(
                            _mm256_dpbusd_epi32(_mm256_setzero_si256(), wv[i], av),
                            eights,
                        ),
                        _ => _mm256_dpbusd_epi32(_mm256_setzero_si256(), wv[i], av),
                    };
                    let d = dw[i] * da;
                    acc[i][j] =
                        _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(dot), acc[i][j]);
                    if KIND == KIND_Q4_1 {
                        extra[i][j] = mw[i].mul_add(sum_a, extra[i][j]);
                    }
                }
            }
        }
    }
    for i in 0..R {
        for j in 0..C {
            let v = hsum_ps(acc[i][j]) + extra[i][j];
            // SAFETY: (c0+j) * out_stride + r0+i is inside `out` (checked by `valid`).
            unsafe { *out.add((c0 + j) * g.out_stride + r0 + i) = v };
        }
    }
}

// ---------------------------------------------------------------------------
// Attention and activations in the exact operation order of llama.cpp's CPU
// backend on AVX-512 machines. SmolLM2's int8-quantised activations are so
// sensitive that a one-ulp difference in an `exp` or in the order of a sum
// flips a rounding and, tokens later, a greedy choice; matching the order
// is what makes token-exact agreement possible.

fn have_avx512() -> bool {
    is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512dq")
        && is_x86_feature_detected!("fma")
}

/// Sum of 16 lanes: halves, then quarters, then pairs, as GCC expands
/// `_mm512_reduce_add_ps`.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx2,fma,f16c")]
fn reduce16(v: __m512) -> f32 {
    let hi = _mm512_extractf32x8_ps::<1>(v);
    let lo = _mm512_castps512_ps256(v);
    hsum_ps(_mm256_add_ps(hi, lo))
}

/// e^x for 16 lanes with a degree-5 polynomial after range reduction (the
/// formulation of Arm's optimized-routines that ggml uses; max error about
/// 1.5 ulp), including its treatment of overflow and underflow.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx2,fma,f16c")]
fn exp16(x: __m512) -> __m512 {
    let r = _mm512_set1_ps(f32::from_bits(0x4B40_0000)); // 0x1.8p23
    let z = _mm512_fmadd_ps(x, _mm512_set1_ps(f32::from_bits(0x3FB8_AA3B)), r); // log2(e)
    let n = _mm512_sub_ps(z, r);
    let b = _mm512_fnmadd_ps(
        n,
        _mm512_set1_ps(f32::from_bits(0x35BF_BE8E)), // 0x1.7f7d1cp-20
        _mm512_fnmadd_ps(n, _mm512_set1_ps(f32::from_bits(0x3F31_7200)), x), // 0x1.62e4p-1
    );
    let d = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(_mm512_abs_ps(n), _mm512_set1_ps(192.0));
    let u = _mm512_mul_ps(b, b);
    let j = _mm512_fmadd_ps(
        _mm512_fmadd_ps(
            _mm512_fmadd_ps(
                _mm512_set1_ps(f32::from_bits(0x3C07_2010)),
                b,
                _mm512_set1_ps(f32::from_bits(0x3D2B_9F17)),
            ),
            u,
            _mm512_fmadd_ps(
                _mm512_set1_ps(f32::from_bits(0x3E2A_AF33)),
                b,
                _mm512_set1_ps(f32::from_bits(0x3EFF_FEDB)),
            ),
        ),
        u,
        _mm512_fmadd_ps(
            _mm512_set1_ps(f32::from_bits(0x3F7F_FFF6)),
            b,
            _mm512_set1_ps(1.0),
        ),
    );
    let res = _mm512_scalef_ps(j, n);
    if d == 0 {
        return res;
    }
    let le = _mm512_cmp_ps_mask::<_CMP_LE_OQ>(n, _mm512_setzero_ps());
    let alt = _mm512_mask_blend_ps(le, _mm512_set1_ps(f32::INFINITY), _mm512_setzero_ps());
    _mm512_mask_blend_ps(d, res, alt)
}

pub(super) fn silu_ggml(x: &mut [f32]) -> bool {
    if !have_avx512() {
        return false;
    }
    // SAFETY: features checked above.
    unsafe { silu_avx512(x) };
    true
}

#[target_feature(enable = "avx512f,avx512dq,avx2,fma,f16c")]
unsafe fn silu_avx512(x: &mut [f32]) {
    let n = x.len();
    let mut i = 0;
    while i + 16 <= n {
        // SAFETY: i + 16 <= n.
        unsafe {
            let v = _mm512_loadu_ps(x.as_ptr().add(i));
            let e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), v));
            _mm512_storeu_ps(
                x.as_mut_ptr().add(i),
                _mm512_div_ps(v, _mm512_add_ps(_mm512_set1_ps(1.0), e)),
            );
        }
        i += 16;
    }
    for v in &mut x[i..] {
        *v = *v / (1.0 + (-*v).exp());
    }
}

/// One head of causal attention as llama.cpp computes it without flash
/// attention: scores by 16-lane FMA over the head dimension, softmax with
/// the vector `exp` summed per 16 positions into an f64, probabilities
/// rounded to f16, values by 16-lane FMA over positions. `scratch` holds
/// scores and partial sums between calls.
#[allow(clippy::too_many_arguments)]
pub(super) fn attention_ggml(
    q16: &[f32],
    kc: super::KvRows<'_>,
    vc: super::KvRows<'_>,
    n: usize,
    off: usize,
    scale: f32,
    out: &mut [f32],
    scratch: &mut Vec<f32>,
    decode: bool,
) -> bool {
    let hd = q16.len();
    if !have_avx512()
        || !hd.is_multiple_of(16)
        || out.len() != hd
        || off + hd > kc.kvd
        || off + hd > vc.kvd
        || kc.capacity() < n
        || vc.capacity() < n
    {
        return false;
    }
    // SAFETY: features checked above; every cache row j < n exists and has
    // `kvd` elements, and the head's slice [off, off + hd) lies inside it.
    unsafe { attention_avx512(q16, kc, vc, n, off, scale, out, scratch, decode) };
    true
}

#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
#[target_feature(enable = "avx512f,avx512dq,avx2,fma,f16c")]
unsafe fn attention_avx512(
    q16: &[f32],
    kc: super::KvRows<'_>,
    vc: super::KvRows<'_>,
    n: usize,
    off: usize,
    scale: f32,
    out: &mut [f32],
    scratch: &mut Vec<f32>,
    decode: bool,
) {
    let hd = q16.len();
    // llama.cpp pads the cache view to 32 cells; it decides which sums run
    // in vectors and which in scalar f64 below.
    let n_kv = n.div_ceil(32) * 32;
    scratch.clear();
    scratch.resize(n_kv + 64 * hd, 0.0);
    let (sc, acc) = scratch.split_at_mut(n_kv);
    let mut max = f32::NEG_INFINITY;
    for j in 0..n {
        let krow = kc.row(j)[off..off + hd].as_ptr();
        // SAFETY (both arms): every load reads 16 elements of the head's
        // `hd` elements of row j, or of q16.
        let s = if decode {
            unsafe { dot_f16_vec(krow, q16.as_ptr(), hd) }
        } else {
            let mut a = _mm512_setzero_ps();
            for c in (0..hd).step_by(16) {
                unsafe {
                    let k = _mm512_cvtph_ps(_mm256_loadu_si256(krow.add(c) as *const __m256i));
                    let q = _mm512_loadu_ps(q16.as_ptr().add(c));
                    a = _mm512_fmadd_ps(k, q, a);
                }
            }
            reduce16(a)
        } * scale;
        sc[j] = s;
        max = max.max(s);
    }
    let padded = n.div_ceil(16) * 16;
    let mut sum = 0f64;
    for c in (0..padded).step_by(16) {
        // SAFETY: c + 16 <= padded = sc.len(); masked tail lanes are set to
        // -inf so that they become exactly 0, as llama.cpp's mask does.
        unsafe {
            let mut v = _mm512_loadu_ps(sc.as_ptr().add(c));
            if c + 16 > n {
                let valid: __mmask16 = (1u32 << (n - c)).wrapping_sub(1) as __mmask16;
                v = _mm512_mask_blend_ps(valid, _mm512_set1_ps(f32::NEG_INFINITY), v);
            }
            let e = exp16(_mm512_sub_ps(v, _mm512_set1_ps(max)));
            _mm512_storeu_ps(sc.as_mut_ptr().add(c), e);
            sum += f64::from(reduce16(e));
        }
    }
    let inv = (1.0 / sum) as f32;
    // Decoding one token, llama.cpp's `ggml_vec_dot_f16` runs over the
    // padded positions with four 16-lane accumulators up to the last full
    // 64 and adds the rest one by one in f64; prompt batches go through
    // tinyBLAS, one accumulator per output.
    let np = if decode { n_kv & !63 } else { n_kv };
    let simd_end = np.min(n);
    for j in 0..simd_end {
        let p = half::f16::from_f32(sc[j] * inv).to_f32();
        let slot = if decode {
            (j % 64) / 16 * 16 + j % 16
        } else {
            j % 16
        };
        let pv = _mm512_set1_ps(p);
        let vrow = vc.row(j)[off..off + hd].as_ptr();
        for c in (0..hd).step_by(16) {
            // SAFETY: c + 16 <= hd elements of the head's part of row j,
            // and slot * hd + c + 16 <= 64 * hd = acc.len().
            unsafe {
                let v = _mm512_cvtph_ps(_mm256_loadu_si256(vrow.add(c) as *const __m256i));
                let ap = acc.as_mut_ptr().add(slot * hd + c);
                _mm512_storeu_ps(ap, _mm512_fmadd_ps(v, pv, _mm512_loadu_ps(ap)));
            }
        }
    }
    if decode {
        // sum[0] += sum[2], sum[1] += sum[3], sum[0] += sum[1], per lane.
        let (a01, a23) = acc.split_at_mut(32 * hd);
        for (x, y) in a01.iter_mut().zip(a23.iter()) {
            *x += *y;
        }
        let (a0, a1) = a01.split_at_mut(16 * hd);
        for (x, y) in a0.iter_mut().zip(a1.iter()) {
            *x += *y;
        }
    }
    // Reduce the 16 lanes per output in reduce16's order, 16 outputs at once.
    for c in (0..hd).step_by(16) {
        // SAFETY: l * hd + c + 16 <= 16 * hd for l < 16; c + 16 <= hd = out.len().
        unsafe {
            let lane = |l: usize| _mm512_loadu_ps(acc.as_ptr().add(l * hd + c));
            let h: [__m512; 8] = std::array::from_fn(|l| _mm512_add_ps(lane(l + 8), lane(l)));
            let g: [__m512; 4] = std::array::from_fn(|l| _mm512_add_ps(h[l + 4], h[l]));
            let f0 = _mm512_add_ps(g[2], g[0]);
            let f1 = _mm512_add_ps(g[3], g[1]);
            _mm512_storeu_ps(out.as_mut_ptr().add(c), _mm512_add_ps(f0, f1));
        }
    }
    if decode && simd_end < n {
        for (d, o) in out.iter_mut().enumerate() {
            let mut sum = f64::from(*o);
            for j in simd_end..n {
                let p = half::f16::from_f32(sc[j] * inv).to_f32();
                let v = half::f16::from_bits(vc.row(j)[off + d]).to_f32();
                sum += f64::from(v * p);
            }
            *o = sum as f32;
        }
    }
}

/// `ggml_vec_dot_f16` on AVX-512: four 16-lane accumulators over steps of
/// 64, folded pairwise, then reduced; the remainder in f64.
///
/// # Safety
/// `k` and `q` must be valid for `n` reads.
#[target_feature(enable = "avx512f,avx512dq,avx2,fma,f16c")]
unsafe fn dot_f16_vec(k: *const u16, q: *const f32, n: usize) -> f32 {
    let np = n & !63;
    let mut acc = [_mm512_setzero_ps(); 4];
    let mut i = 0;
    while i < np {
        for (j, a) in acc.iter_mut().enumerate() {
            // SAFETY: i + 16 * j + 16 <= np <= n.
            unsafe {
                let kv = _mm512_cvtph_ps(_mm256_loadu_si256(k.add(i + 16 * j) as *const __m256i));
                *a = _mm512_fmadd_ps(kv, _mm512_loadu_ps(q.add(i + 16 * j)), *a);
            }
        }
        i += 64;
    }
    let x0 = _mm512_add_ps(_mm512_add_ps(acc[0], acc[2]), _mm512_add_ps(acc[1], acc[3]));
    let mut sum = f64::from(reduce16(x0));
    for j in np..n {
        // SAFETY: j < n.
        let (kv, qv) = unsafe { (*k.add(j), *q.add(j)) };
        sum += f64::from(half::f16::from_bits(kv).to_f32() * qv);
    }
    sum as f32
}
