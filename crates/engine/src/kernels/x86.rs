//! x86-64 dot products. Each `#[target_feature]` function is only reached
//! through a safe wrapper that (a) was selected after run-time feature
//! detection and (b) has checked the slice lengths, so every pointer read
//! below stays inside its slice.

use std::arch::x86_64::*;

use super::{lengths_ok, DotFn, Isa};
use crate::gguf::GgmlType;
use crate::quant::{Q8K_BYTES, Q8_0_BYTES, Q8_1_BYTES, QK, QK_K};

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
        _ => None,
    }
}

macro_rules! safe_wrapper {
    ($name:ident, $ty:expr, $inner:ident) => {
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
safe_wrapper!(q4_1_avx2, GgmlType::Q4_1, q4_1_q8_1_avx2);
safe_wrapper!(q4_0_vnni, GgmlType::Q4_0, q4_0_q8_0_vnni);
safe_wrapper!(q4_0_avx2, GgmlType::Q4_0, q4_0_q8_0_avx2);
safe_wrapper!(q8_0_vnni, GgmlType::Q8_0, q8_0_q8_0_vnni);
safe_wrapper!(q8_0_avx2, GgmlType::Q8_0, q8_0_q8_0_avx2);
safe_wrapper!(q4k_avx2, GgmlType::Q4K, q4k_q8k_avx2);
safe_wrapper!(q6k_avx2, GgmlType::Q6K, q6k_q8k_avx2);

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn hsum_ps(v: __m256) -> f32 {
    let lo = _mm256_castps256_ps128(v);
    let hi = _mm256_extractf128_ps::<1>(v);
    let s = _mm_add_ps(lo, hi);
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_movehdup_ps(s));
    _mm_cvtss_f32(s)
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn hsum_epi32(v: __m256i) -> i32 {
    let lo = _mm256_castsi256_si128(v);
    let hi = _mm256_extracti128_si256::<1>(v);
    let s = _mm_add_epi32(lo, hi);
    let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01_00_11_10>(s));
    let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b10_11_00_01>(s));
    _mm_cvtsi128_si32(s)
}

/// Reads an f16 at `p` as f32.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn f16_at(p: *const u8) -> f32 {
    // SAFETY: caller guarantees two readable bytes at `p`.
    let bits = unsafe { std::ptr::read_unaligned(p as *const u16) };
    _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(bits as i32)))
}

/// 16 packed bytes of nibbles to 32 bytes: low nibbles first, then high,
/// which is the element order of Q4_0/Q4_1 blocks.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn unpack_nibbles(p: *const u8) -> __m256i {
    // SAFETY: caller guarantees 16 readable bytes at `p`.
    let raw = unsafe { _mm_loadu_si128(p as *const __m128i) };
    let m = _mm_set1_epi8(0x0F);
    let lo = _mm_and_si128(raw, m);
    let hi = _mm_and_si128(_mm_srli_epi16::<4>(raw), m);
    _mm256_set_m128i(hi, lo)
}

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
            mins += f16_at(wb.add(2)) * f16_at(ab.add(2));
        }
    }
    hsum_ps(acc) + mins
}

#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn q4_1_q8_1_avx2(w: &[u8], a: &[u8], n: usize) -> f32 {
    let nb = n / QK;
    let mut acc = _mm256_setzero_ps();
    let mut mins = 0f32;
    let ones = _mm256_set1_epi16(1);
    let (wp, ap) = (w.as_ptr(), a.as_ptr());
    for i in 0..nb {
        // SAFETY: block i lies within both slices (lengths checked by caller).
        unsafe {
            let wb = wp.add(i * 20);
            let ab = ap.add(i * Q8_1_BYTES);
            let q = unpack_nibbles(wb.add(4));
            let y = _mm256_loadu_si256(ab.add(4) as *const __m256i);
            let dot = _mm256_madd_epi16(_mm256_maddubs_epi16(q, y), ones);
            let d = f16_at(wb) * f16_at(ab);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(dot), acc);
            mins += f16_at(wb.add(2)) * f16_at(ab.add(2));
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
    let (wbs, wq, abs, aq, offset) = match KIND {
        KIND_Q4_1 => (20usize, 4usize, Q8_1_BYTES, 4usize, 0f32),
        KIND_Q4_0 => (18, 2, Q8_0_BYTES, 2, 8.0),
        _ => (34, 2, Q8_0_BYTES, 2, 128.0),
    };
    let nb = g.n / QK;
    let mut acc = [[_mm256_setzero_ps(); C]; R];
    let mut extra = [[0f32; C]; R];
    let ones = _mm256_set1_epi8(1);
    let flip = _mm256_set1_epi8(-128);
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
                wv[i] = if KIND == KIND_Q8_0 {
                    _mm256_xor_si256(_mm256_loadu_si256(p.add(wq) as *const __m256i), flip)
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
                let sum_a = if KIND == KIND_Q4_1 {
                    f16_at(p.add(2))
                } else {
                    hsum_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), ones, av)) as f32 * da
                };
                for i in 0..R {
                    let dot = _mm256_dpbusd_epi32(_mm256_setzero_si256(), wv[i], av);
                    let d = dw[i] * da;
                    acc[i][j] =
                        _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(d), acc[i][j]);
                    extra[i][j] += if KIND == KIND_Q4_1 {
                        mw[i] * sum_a
                    } else {
                        -offset * dw[i] * sum_a
                    };
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
