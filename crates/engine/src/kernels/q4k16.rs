//! Q4_K weights re-laid at load time for AVX-512 VNNI, sixteen rows
//! interleaved as in [`super::rows16`]: one `vpdpbusd` advances sixteen
//! rows (one 32-bit lane per row), and a prompt tile of up to four
//! activation columns shares the unpacked nibbles, instead of every column
//! unpacking every row again.
//!
//! Layout of a packed tensor: groups of 16 rows, one after the other; in a
//! group, the super-blocks (256 weights) in order; a group-super-block is
//! 16 × 144 bytes, so the tensor keeps its size (and `row_bytes` stays the
//! file's):
//! - the 16 f16 scales `d`, row 0 first (32 bytes), then the 16 f16
//!   minimum scales `dmin` (32 bytes),
//! - 3 vectors of 64 bytes: vector `v`, lane `r` holds bytes `4v..4v+4` of
//!   row `r`'s twelve packed 6-bit scales and minimums; the kernel decodes
//!   all sixteen rows with a few byte-wise shifts and masks,
//! - 32 vectors of 64 bytes: vector `v`, lane `r` holds bytes `4v..4v+4` of
//!   row `r`'s 128 nibble bytes. In vector `8j + k` the low nibbles are
//!   weights `64j + 4k..+4` (sub-block `2j`), the high nibbles weights
//!   `64j + 32 + 4k..+4` (sub-block `2j + 1`).
//!
//! Per super-block the integer sums are exact (`Σ_s scale_s · q·a` and
//! `Σ_s min_s · bsum_s`); they are folded in f32 as
//! `acc = isum·(d·d_a) + acc`, then `acc = −minsum·(dmin·d_a) + acc`, both
//! fused. That float order differs from llama.cpp's row kernel (Q4_K has no
//! token-exact fixture), so the result equals the reference within float
//! tolerance, and the SIMD kernel equals [`gemm_packed_scalar`] bit for bit.

use crate::quant::{f16_at, scale_min_k4, Q8K_BYTES, QK_K};

use super::packed::GROUP;

/// Bytes of one Q4_K super-block of one row.
pub const BLOCK_BYTES: usize = 144;
/// Offsets inside a group-super-block.
const MINS_AT: usize = 2 * GROUP;
const SCALES_AT: usize = 4 * GROUP;
const NIBBLES_AT: usize = 16 * GROUP;

/// Re-lays one group of 16 rows (`src`, row-major) into `dst`.
pub fn pack_group(src: &[u8], row_bytes: usize, dst: &mut [u8]) {
    let gbb = GROUP * BLOCK_BYTES;
    for b in 0..row_bytes / BLOCK_BYTES {
        let gb = &mut dst[b * gbb..(b + 1) * gbb];
        for r in 0..GROUP {
            let blk = &src[r * row_bytes + b * BLOCK_BYTES..][..BLOCK_BYTES];
            gb[2 * r..2 * r + 2].copy_from_slice(&blk[0..2]);
            gb[MINS_AT + 2 * r..MINS_AT + 2 * r + 2].copy_from_slice(&blk[2..4]);
            for v in 0..3 {
                let at = SCALES_AT + 4 * GROUP * v + 4 * r;
                gb[at..at + 4].copy_from_slice(&blk[4 + 4 * v..8 + 4 * v]);
            }
            for v in 0..32 {
                let at = NIBBLES_AT + 4 * GROUP * v + 4 * r;
                gb[at..at + 4].copy_from_slice(&blk[16 + 4 * v..20 + 4 * v]);
            }
        }
    }
}

fn i16_at(b: &[u8], i: usize) -> i32 {
    i32::from(i16::from_le_bytes([b[i], b[i + 1]]))
}

/// The scalar reference on the packed layout: what the SIMD kernel must
/// compute bit for bit, and what runs when the lengths do not add up (it
/// then computes what fits).
pub fn gemm_packed_scalar(g: super::Gemm<'_>) {
    let gbb = GROUP * BLOCK_BYTES;
    super::packed::packed_outputs(g, gbb, Q8K_BYTES, QK_K, |blocks, r| {
        let mut acc = 0f32;
        for &(gb, ab) in blocks {
            let mut scales = [0u8; 12];
            for v in 0..3 {
                let at = SCALES_AT + 4 * GROUP * v + 4 * r;
                scales[4 * v..4 * v + 4].copy_from_slice(&gb[at..at + 4]);
            }
            let q8 = &ab[4..4 + QK_K];
            let (mut isum, mut minsum) = (0i32, 0i32);
            for s in 0..8 {
                let (sc, m) = scale_min_k4(s, &scales);
                let mut sum = 0i32;
                for k in 0..8 {
                    for i in 0..4 {
                        let byte = gb[NIBBLES_AT + 4 * GROUP * (8 * (s / 2) + k) + 4 * r + i];
                        let nib = if s % 2 == 0 { byte & 0x0F } else { byte >> 4 };
                        sum += i32::from(nib) * i32::from(q8[32 * s + 4 * k + i] as i8);
                    }
                }
                isum += sum * i32::from(sc);
                let bs = i16_at(ab, 4 + QK_K + 4 * s) + i16_at(ab, 4 + QK_K + 4 * s + 2);
                minsum += i32::from(m) * bs;
            }
            let da = f32::from_le_bytes([ab[0], ab[1], ab[2], ab[3]]);
            acc = (isum as f32).mul_add(f16_at(gb, 2 * r) * da, acc);
            acc = (-(minsum as f32)).mul_add(f16_at(gb, MINS_AT + 2 * r) * da, acc);
        }
        acc
    });
}

#[cfg(target_arch = "x86_64")]
pub(super) mod x86 {
    use std::arch::x86_64::*;

    use super::{BLOCK_BYTES, GROUP, MINS_AT, NIBBLES_AT, SCALES_AT};
    use crate::gguf::GgmlType;
    use crate::quant::{Q8K_BYTES, QK_K};

    /// The packed-Q4_K kernel; only handed out after `Isa::detect` found
    /// AVX-512 VNNI.
    pub fn gemm_q4k_packed(g: crate::kernels::Gemm<'_>) {
        if !g.valid(GgmlType::Q4K) || !g.rows.is_multiple_of(GROUP) {
            return super::gemm_packed_scalar(g);
        }
        // SAFETY: `valid` checked the weight, activation and output slices
        // against rows, cols and strides; rows is a whole number of groups;
        // the caller selected this function only on an AVX-512 VNNI CPU.
        unsafe { gemm(g) }
    }

    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn gemm(g: crate::kernels::Gemm<'_>) {
        let out = g.out.as_mut_ptr();
        let g = &g;
        for grp in 0..g.rows / GROUP {
            let mut c = 0;
            while c < g.cols {
                let nc = (g.cols - c).min(4);
                // SAFETY: grp < rows / 16 and c + nc <= cols, inside the
                // slices `valid` checked.
                unsafe {
                    match nc {
                        4 => tile::<4>(g, out, grp, c),
                        3 => tile::<3>(g, out, grp, c),
                        2 => tile::<2>(g, out, grp, c),
                        _ => tile::<1>(g, out, grp, c),
                    }
                }
                c += nc;
            }
        }
    }

    /// Byte `i` of every 32-bit lane of `v`, zero-extended.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
    fn lane_byte(v: __m512i, i: u32) -> __m512i {
        _mm512_and_si512(
            _mm512_srlv_epi32(v, _mm512_set1_epi32(8 * i as i32)),
            _mm512_set1_epi32(0xFF),
        )
    }

    /// Sixteen rows (one group) against `C` activation rows.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn tile<const C: usize>(
        g: &crate::kernels::Gemm<'_>,
        out: *mut f32,
        grp: usize,
        c0: usize,
    ) {
        let nb = g.n / QK_K;
        let wg = g.w.as_ptr().wrapping_add(grp * GROUP * g.row_bytes);
        let low4 = _mm512_set1_epi8(0x0F);
        let low6 = _mm512_set1_epi8(0x3F);
        let bits45 = _mm512_set1_epi8(0x30);
        let even_words = _mm512_set1_epi32(0x00FF_00FF);
        let mut acc = [_mm512_setzero_ps(); C];
        for b in 0..nb {
            // SAFETY: super-block b of group grp lies inside `w`, super-block
            // b of each column c0+j inside `act` (lengths checked by `valid`).
            unsafe {
                let p = wg.add(b * GROUP * BLOCK_BYTES);
                let dw = _mm512_cvtph_ps(_mm256_loadu_si256(p as *const __m256i));
                let mw = _mm512_cvtph_ps(_mm256_loadu_si256(p.add(MINS_AT) as *const __m256i));
                let s0 = _mm512_loadu_si512(p.add(SCALES_AT) as *const __m512i);
                let s1 = _mm512_loadu_si512(p.add(SCALES_AT + 4 * GROUP) as *const __m512i);
                let s2 = _mm512_loadu_si512(p.add(SCALES_AT + 8 * GROUP) as *const __m512i);
                // scale_min_k4 on all sixteen rows, four sub-blocks a vector.
                let sc03 = _mm512_and_si512(s0, low6);
                let mn03 = _mm512_and_si512(s1, low6);
                let sc47 = _mm512_or_si512(
                    _mm512_and_si512(s2, low4),
                    _mm512_and_si512(_mm512_srli_epi16::<2>(s0), bits45),
                );
                let mn47 = _mm512_or_si512(
                    _mm512_and_si512(_mm512_srli_epi16::<4>(s2), low4),
                    _mm512_and_si512(_mm512_srli_epi16::<2>(s1), bits45),
                );
                // Minimums as i16 pairs for vpdpwssd: (m0, m2), (m1, m3), …
                let mins = [
                    _mm512_and_si512(mn03, even_words),
                    _mm512_and_si512(_mm512_srli_epi32::<8>(mn03), even_words),
                    _mm512_and_si512(mn47, even_words),
                    _mm512_and_si512(_mm512_srli_epi32::<8>(mn47), even_words),
                ];
                let mut isum = [_mm512_setzero_si512(); C];
                for s in 0..8 {
                    let sc = lane_byte(if s < 4 { sc03 } else { sc47 }, (s % 4) as u32);
                    let base = p.add(NIBBLES_AT + 4 * GROUP * 8 * (s / 2));
                    let mut w = [_mm512_setzero_si512(); 8];
                    for (k, w) in w.iter_mut().enumerate() {
                        let raw = _mm512_loadu_si512(base.add(4 * GROUP * k) as *const __m512i);
                        *w = if s % 2 == 0 {
                            _mm512_and_si512(raw, low4)
                        } else {
                            _mm512_and_si512(_mm512_srli_epi16::<4>(raw), low4)
                        };
                    }
                    for (j, isum) in isum.iter_mut().enumerate() {
                        let q = g
                            .act
                            .as_ptr()
                            .add((c0 + j) * g.act_row_bytes + b * Q8K_BYTES + 4 + 32 * s);
                        let mut d0 = _mm512_setzero_si512();
                        let mut d1 = _mm512_setzero_si512();
                        for k in 0..4 {
                            d0 = _mm512_dpbusd_epi32(d0, w[k], act4(q, k));
                            d1 = _mm512_dpbusd_epi32(d1, w[4 + k], act4(q, 4 + k));
                        }
                        let sum = _mm512_add_epi32(d0, d1);
                        *isum = _mm512_add_epi32(*isum, _mm512_mullo_epi32(sum, sc));
                    }
                }
                for (j, acc) in acc.iter_mut().enumerate() {
                    let a = g
                        .act
                        .as_ptr()
                        .add((c0 + j) * g.act_row_bytes + b * Q8K_BYTES);
                    // The bsums of sub-block s (bsum 2s + bsum 2s+1), as the
                    // i16 pairs that match `mins`.
                    let mut sub = [0i32; 8];
                    for (s, v) in sub.iter_mut().enumerate() {
                        let bs = a.add(4 + QK_K + 4 * s) as *const i16;
                        *v = i32::from(std::ptr::read_unaligned(bs))
                            + i32::from(std::ptr::read_unaligned(bs.add(1)));
                    }
                    let pair = |lo: usize, hi: usize| (sub[lo] & 0xFFFF) | (sub[hi] << 16);
                    let mut minsum = _mm512_dpwssd_epi32(
                        _mm512_setzero_si512(),
                        mins[0],
                        _mm512_set1_epi32(pair(0, 2)),
                    );
                    minsum = _mm512_dpwssd_epi32(minsum, mins[1], _mm512_set1_epi32(pair(1, 3)));
                    minsum = _mm512_dpwssd_epi32(minsum, mins[2], _mm512_set1_epi32(pair(4, 6)));
                    minsum = _mm512_dpwssd_epi32(minsum, mins[3], _mm512_set1_epi32(pair(5, 7)));
                    let da = _mm512_set1_ps(std::ptr::read_unaligned(a as *const f32));
                    *acc =
                        _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[j]), _mm512_mul_ps(dw, da), *acc);
                    *acc =
                        _mm512_fnmadd_ps(_mm512_cvtepi32_ps(minsum), _mm512_mul_ps(mw, da), *acc);
                }
            }
        }
        for (j, acc) in acc.iter().enumerate() {
            // SAFETY: (c0+j) * out_stride + grp*16 .. +16 lies inside `out`
            // (checked by `valid`: out_stride >= rows for cols > 1).
            unsafe { _mm512_storeu_ps(out.add((c0 + j) * g.out_stride + grp * GROUP), *acc) };
        }
    }

    /// Activation bytes `4k..4k+4` of a sub-block whose quants start at `q`,
    /// in every lane.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn act4(q: *const u8, k: usize) -> __m512i {
        // SAFETY: caller guarantees 32 readable bytes at `q`.
        _mm512_set1_epi32(unsafe { std::ptr::read_unaligned(q.add(4 * k) as *const i32) })
    }
}
