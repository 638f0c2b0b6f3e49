//! AVX2 dot products of Q2_K and Q3_K. The integer sums are exact and the
//! float steps those of the scalar reference (`quant/k_low.rs`), so the
//! results equal the reference's bit for bit. Reached only through the
//! checked wrappers in the parent module.

use std::arch::x86_64::*;

use super::lanes::hsum_epi32;
use crate::gguf::GgmlType;
use crate::quant::{block_pairs, f16_at, q3_scales, QK_K};

/// Σ over 256 weights of value · q8, each group of 16 weighted by its
/// scale. The values are the 2-bit fields at `qs` (64 bytes; weight
/// `128h + 32j + l` in bits `2j` of byte `32h + l`), with bit `4h + j` of
/// `hmask` byte `l` on top as value bit 2 when there is a mask.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn scaled_sum(qs: &[u8], q8: &[u8], scales: &[i32; 16], hmask: Option<&[u8]>) -> i32 {
    assert!(qs.len() >= 64 && q8.len() >= QK_K && hmask.is_none_or(|m| m.len() >= 32));
    let (three, one) = (_mm256_set1_epi8(3), _mm256_set1_epi8(1));
    // SAFETY: the lengths are asserted above.
    let hm = hmask.map(|m| unsafe { _mm256_loadu_si256(m.as_ptr() as *const __m256i) });
    let mut acc = _mm256_setzero_si256();
    for h in 0..2 {
        // SAFETY: bytes 32h..32h + 32 of `qs` exist (asserted).
        let bits = unsafe { _mm256_loadu_si256(qs.as_ptr().add(32 * h) as *const __m256i) };
        for j in 0..4 {
            let k = 4 * h + j;
            let shift = _mm_cvtsi32_si128(2 * j as i32);
            let mut v = _mm256_and_si256(_mm256_srl_epi16(bits, shift), three);
            if let Some(hm) = hm {
                let hb = _mm256_srl_epi16(hm, _mm_cvtsi32_si128(k as i32));
                v = _mm256_or_si256(v, _mm256_slli_epi16::<2>(_mm256_and_si256(hb, one)));
            }
            // SAFETY: bytes 32k..32k + 32 of `q8` exist (asserted).
            let y = unsafe { _mm256_loadu_si256(q8.as_ptr().add(32 * k) as *const __m256i) };
            let s = _mm256_set_m128i(
                _mm_set1_epi16(scales[2 * k + 1] as i16),
                _mm_set1_epi16(scales[2 * k] as i16),
            );
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(v, y), s));
        }
    }
    hsum_epi32(acc)
}

/// The activations' sum of group `g` of a Q8_K block.
#[inline]
fn bsum(ab: &[u8], g: usize) -> i32 {
    let at = 4 + QK_K + 2 * g;
    i16::from_le_bytes([ab[at], ab[at + 1]]).into()
}

#[target_feature(enable = "avx2,fma,f16c")]
pub(super) fn q2k_q8k_avx2(w: &[u8], a: &[u8], n: usize) -> f32 {
    let mut sum = 0f32;
    for (wb, ab) in block_pairs(GgmlType::Q2K, w, a, n) {
        let sc = &wb[0..16];
        let summs: i32 = (0..16).map(|g| bsum(ab, g) * i32::from(sc[g] >> 4)).sum();
        let scales: [i32; 16] = std::array::from_fn(|g| i32::from(sc[g] & 0xF));
        // SAFETY: AVX2 is enabled here; the slices are whole blocks.
        let isum = unsafe { scaled_sum(&wb[16..80], &ab[4..], &scales, None) };
        let ad = f32::from_le_bytes([ab[0], ab[1], ab[2], ab[3]]);
        let (dall, dmin) = (ad * f16_at(wb, 80), ad * f16_at(wb, 82));
        sum += dall * isum as f32 - dmin * summs as f32;
    }
    sum
}

#[target_feature(enable = "avx2,fma,f16c")]
pub(super) fn q3k_q8k_avx2(w: &[u8], a: &[u8], n: usize) -> f32 {
    let mut sum = 0f32;
    for (wb, ab) in block_pairs(GgmlType::Q3K, w, a, n) {
        let scales = q3_scales(&wb[96..108]);
        // The values are (2-bit field | mask bit << 2) − 4: the −4 meets
        // the activations' group sums.
        let offset: i32 = (0..16).map(|g| 4 * scales[g] * bsum(ab, g)).sum();
        // SAFETY: AVX2 is enabled here; the slices are whole blocks.
        let isum = unsafe { scaled_sum(&wb[32..96], &ab[4..], &scales, Some(&wb[0..32])) } - offset;
        let ad = f32::from_le_bytes([ab[0], ab[1], ab[2], ab[3]]);
        sum += f16_at(wb, 108) * ad * isum as f32;
    }
    sum
}
