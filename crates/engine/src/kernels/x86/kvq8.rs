//! AVX2 attention over a Q8_0 KV cache: the scalar code of
//! `kernels/kvq8.rs` with the per-row dot product and value sum in 8-lane
//! FMAs (eight signed bytes widened to f32 per step). The whole head runs
//! inside one `#[target_feature]` function so that the row kernels inline.

use std::arch::x86_64::*;

use super::lanes::hsum_ps;
use crate::kernels::softmax::softmax_unnormalised;
use crate::kernels::KvRows;
use crate::quant::{Q8_0_BYTES, QK};

/// See `kernels::attention_q8_0`, which has checked the shapes; `bytes`
/// is the head's byte range in a row. `false` when this CPU lacks AVX2.
#[allow(clippy::too_many_arguments)]
pub(in crate::kernels) fn attention(
    q: &[f32],
    kc: KvRows<'_, u8>,
    vc: KvRows<'_, u8>,
    n: usize,
    bytes: (usize, usize),
    scale: f32,
    out: &mut [f32],
    scratch: &mut Vec<f32>,
) -> bool {
    if !(is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("fma")
        && is_x86_feature_detected!("f16c"))
    {
        return false;
    }
    // SAFETY: features checked just above; the kernels below only read
    // whole 34-byte blocks and 32-float chunks that `chunks_exact` yields.
    unsafe { attention_avx2(q, kc, vc, n, bytes, scale, out, scratch) };
    true
}

#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn attention_avx2(
    q: &[f32],
    kc: KvRows<'_, u8>,
    vc: KvRows<'_, u8>,
    n: usize,
    (b0, b1): (usize, usize),
    scale: f32,
    out: &mut [f32],
    sc: &mut Vec<f32>,
) {
    sc.clear();
    for j in 0..n {
        sc.push(dot(&kc.row(j)[b0..b1], q) * scale);
    }
    let inv = softmax_unnormalised(sc);
    out.fill(0.0);
    for (j, &p) in sc.iter().enumerate() {
        axpy(out, &vc.row(j)[b0..b1], p * inv);
    }
}

/// The f16 scale at the start of a Q8_0 block, by F16C rather than the
/// `half` crate's run-time dispatch, which would cost a branch per block.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn scale_of(b: &[u8]) -> f32 {
    let bits = u16::from_le_bytes([b[0], b[1]]);
    _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(i32::from(bits))))
}

/// The 32 signed bytes at `qs` as four vectors of 8 floats.
///
/// # Safety
/// `qs` must be valid for 32 reads.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn widen(qs: *const u8) -> [__m256; 4] {
    // SAFETY: each load reads 8 of the 32 bytes.
    let eight = |i: usize| unsafe { _mm_loadl_epi64(qs.add(8 * i) as *const __m128i) };
    [
        _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(eight(0))),
        _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(eight(1))),
        _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(eight(2))),
        _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(eight(3))),
    ]
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn dot(k: &[u8], q: &[f32]) -> f32 {
    let mut acc = _mm256_setzero_ps();
    for (b, qb) in k.chunks_exact(Q8_0_BYTES).zip(q.chunks_exact(QK)) {
        // SAFETY: `b` holds 34 bytes (2 of scale, 32 values), `qb` 32 floats.
        unsafe {
            let [k0, k1, k2, k3] = widen(b.as_ptr().add(2));
            let qp = qb.as_ptr();
            let s0 = _mm256_fmadd_ps(
                k0,
                _mm256_loadu_ps(qp),
                _mm256_mul_ps(k2, _mm256_loadu_ps(qp.add(16))),
            );
            let s1 = _mm256_fmadd_ps(
                k1,
                _mm256_loadu_ps(qp.add(8)),
                _mm256_mul_ps(k3, _mm256_loadu_ps(qp.add(24))),
            );
            acc = _mm256_fmadd_ps(_mm256_add_ps(s0, s1), _mm256_set1_ps(scale_of(b)), acc);
        }
    }
    hsum_ps(acc)
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn axpy(out: &mut [f32], v: &[u8], p: f32) {
    for (b, ob) in v.chunks_exact(Q8_0_BYTES).zip(out.chunks_exact_mut(QK)) {
        let s = _mm256_set1_ps(p * scale_of(b));
        // SAFETY: `b` holds 34 bytes (2 of scale, 32 values), `ob` 32 floats.
        unsafe {
            let vs = widen(b.as_ptr().add(2));
            for (i, v) in vs.into_iter().enumerate() {
                let o = ob.as_mut_ptr().add(8 * i);
                _mm256_storeu_ps(o, _mm256_fmadd_ps(v, s, _mm256_loadu_ps(o)));
            }
        }
    }
}
