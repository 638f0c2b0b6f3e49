//! AVX2 dot products of Q5_0, IQ4_NL and IQ4_XS (apart from `x86.rs` to
//! keep that file readable; Q5_1 shares Q4_1's kernel there). They also serve AVX-512
//! machines: the block is one 256-bit register either way. Reached only
//! through the checked wrappers in the parent module.

use std::arch::x86_64::*;

use super::lanes::{f16_at, hsum_ps, unpack_nibbles};
use crate::quant::{
    IQ4NL_BYTES, IQ4XS_BYTES, IQ4_VALUES, Q5_0_BYTES, Q8K_BYTES, Q8_0_BYTES, QK, QK_K,
};

/// The 32 bits at `p` as 32 bytes, 0xFF where the bit is set (llama.cpp's
/// `bytes_from_bits_32`): byte `j` tests bit `j`.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn bytes_from_bits(p: *const u8) -> __m256i {
    // SAFETY: caller guarantees four readable bytes at `p`.
    let bits = unsafe { std::ptr::read_unaligned(p as *const i32) };
    let spread = _mm256_shuffle_epi8(
        _mm256_set1_epi32(bits),
        _mm256_set_epi64x(
            0x0303_0303_0303_0303,
            0x0202_0202_0202_0202,
            0x0101_0101_0101_0101,
            0,
        ),
    );
    let others = _mm256_set1_epi64x(0x7fbf_dfef_f7fb_fdfe);
    _mm256_cmpeq_epi8(_mm256_or_si256(spread, others), _mm256_set1_epi64x(-1))
}

/// Σ signed `x` · signed `y` per 32-bit lane (|x| ≤ 127, so the 16-bit
/// pair sums cannot saturate).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn dot_i8(x: __m256i, y: __m256i) -> __m256 {
    let p = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
    _mm256_cvtepi32_ps(_mm256_madd_epi16(p, _mm256_set1_epi16(1)))
}

#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn q5_0_q8_0_avx2(w: &[u8], a: &[u8], n: usize) -> f32 {
    let mut acc = _mm256_setzero_ps();
    let (wp, ap) = (w.as_ptr(), a.as_ptr());
    for i in 0..n / QK {
        // SAFETY: block i lies within both slices (lengths checked by caller).
        unsafe {
            let wb = wp.add(i * Q5_0_BYTES);
            let ab = ap.add(i * Q8_0_BYTES);
            // A clear fifth bit means value − 16: set the high nibble.
            let low = _mm256_andnot_si256(bytes_from_bits(wb.add(2)), _mm256_set1_epi8(-16));
            let q = _mm256_or_si256(unpack_nibbles(wb.add(6)), low);
            let y = _mm256_loadu_si256(ab.add(2) as *const __m256i);
            let d = f16_at(wb) * f16_at(ab);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), dot_i8(q, y), acc);
        }
    }
    hsum_ps(acc)
}

/// The IQ4 table in both lanes, for `_mm256_shuffle_epi8` lookups.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn iq4_table() -> __m256i {
    // SAFETY: the table is 16 bytes.
    let table = unsafe { _mm_loadu_si128(IQ4_VALUES.as_ptr() as *const __m128i) };
    _mm256_set_m128i(table, table)
}

#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn iq4_nl_q8_0_avx2(w: &[u8], a: &[u8], n: usize) -> f32 {
    let mut acc = _mm256_setzero_ps();
    let table = iq4_table();
    let (wp, ap) = (w.as_ptr(), a.as_ptr());
    for i in 0..n / QK {
        // SAFETY: block i lies within both slices (lengths checked by caller).
        unsafe {
            let wb = wp.add(i * IQ4NL_BYTES);
            let ab = ap.add(i * Q8_0_BYTES);
            let q = _mm256_shuffle_epi8(table, unpack_nibbles(wb.add(2)));
            let y = _mm256_loadu_si256(ab.add(2) as *const __m256i);
            let d = f16_at(wb) * f16_at(ab);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), dot_i8(q, y), acc);
        }
    }
    hsum_ps(acc)
}

/// IQ4_XS · Q8_K: the eight sub-block sums meet their 6-bit scales as
/// integers, one float step per super-block.
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn iq4_xs_q8k_avx2(w: &[u8], a: &[u8], n: usize) -> f32 {
    let mut acc = _mm256_setzero_ps();
    let table = iq4_table();
    let ones = _mm256_set1_epi16(1);
    let (wp, ap) = (w.as_ptr(), a.as_ptr());
    for i in 0..n / QK_K {
        // SAFETY: super-block i lies within both slices (lengths checked by
        // caller); sub-block ib reads bytes 8 + 16ib.. of the weights and
        // 4 + 32ib.. of the activations, inside the block.
        unsafe {
            let wb = wp.add(i * IQ4XS_BYTES);
            let ab = ap.add(i * Q8K_BYTES);
            let high = u16::from_le_bytes([*wb.add(2), *wb.add(3)]);
            let mut sumi = _mm256_setzero_si256();
            for ib in 0..QK_K / 32 {
                let lo = (*wb.add(4 + ib / 2) >> (4 * (ib % 2))) & 0xF;
                let ls = i32::from(lo) | (i32::from((high >> (2 * ib)) & 3) << 4);
                let q = _mm256_shuffle_epi8(table, unpack_nibbles(wb.add(8 + 16 * ib)));
                let y = _mm256_loadu_si256(ab.add(4 + 32 * ib) as *const __m256i);
                let p = _mm256_maddubs_epi16(_mm256_sign_epi8(q, q), _mm256_sign_epi8(y, q));
                let p = _mm256_madd_epi16(p, ones);
                sumi = _mm256_add_epi32(sumi, _mm256_mullo_epi32(p, _mm256_set1_epi32(ls - 32)));
            }
            let d = f16_at(wb) * std::ptr::read_unaligned(ab as *const f32);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
        }
    }
    hsum_ps(acc)
}
