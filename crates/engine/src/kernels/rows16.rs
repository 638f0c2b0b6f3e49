//! Q4_0 weights re-laid at load time for AVX-512 VNNI: sixteen rows
//! interleaved so that one 512-bit register holds the same four weights of
//! all sixteen rows, one 32-bit lane per row.
//!
//! Why: with the file's row-major blocks every block of every row needs its
//! own scale conversion, integer dot, float fold and, at the end, a
//! horizontal sum; decoding a 1B-parameter model spent its time in those
//! instructions instead of waiting for memory (0.4× llama.cpp, which
//! repacks Q4_0 the same way). Interleaved, one `vpdpbusd` advances sixteen
//! rows, the sixteen scales convert in one instruction, and the result is
//! sixteen finished outputs with no horizontal sum.
//!
//! Layout of a packed tensor: groups of 16 rows, one after the other; in a
//! group, the blocks in order; a group-block is 288 bytes (= 16 × 18, so the
//! tensor keeps its size and a group keeps `16 × row_bytes`):
//! - 16 f16 scales, row 0 first (32 bytes),
//! - 4 vectors of 64 bytes: vector `k`, lane `r` holds bytes `4k..4k+4` of
//!   row `r`'s 16 nibble bytes. Their low nibbles are weights `4k..4k+4`,
//!   their high nibbles weights `16+4k..16+4k+4` (Q4_0 stores weight `j` in
//!   the low and weight `j+16` in the high nibble of byte `j`).

use crate::quant::QK;

/// Rows per interleaved group.
pub const GROUP: usize = 16;
const BLOCK_BYTES: usize = 18;
const GROUP_BLOCK_BYTES: usize = GROUP * BLOCK_BYTES;

/// Whether a Q4_0 tensor of `rows` rows of `row_bytes` can be packed.
pub fn packable(rows: usize, row_bytes: usize) -> bool {
    rows > 0 && rows.is_multiple_of(GROUP) && row_bytes > 0 && row_bytes.is_multiple_of(BLOCK_BYTES)
}

/// Re-lays `rows` Q4_0 rows of `row_bytes` from `src` (row-major, as in the
/// file) into the interleaved layout, on `threads` threads.
pub fn pack_q4_0(src: &[u8], rows: usize, row_bytes: usize, threads: usize) -> Option<Vec<u8>> {
    if !packable(rows, row_bytes) || src.len() < rows.checked_mul(row_bytes)? {
        return None;
    }
    let group_bytes = GROUP * row_bytes;
    let mut out = vec![0u8; rows * row_bytes];
    let groups = rows / GROUP;
    let per_thread = groups.div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        for (ti, chunk) in out.chunks_mut(per_thread * group_bytes).enumerate() {
            s.spawn(move || {
                for (gi, dst) in chunk.chunks_exact_mut(group_bytes).enumerate() {
                    let g = ti * per_thread + gi;
                    pack_group(&src[g * group_bytes..(g + 1) * group_bytes], row_bytes, dst);
                }
            });
        }
    });
    Some(out)
}

fn pack_group(src: &[u8], row_bytes: usize, dst: &mut [u8]) {
    let nb = row_bytes / BLOCK_BYTES;
    for b in 0..nb {
        let gb = &mut dst[b * GROUP_BLOCK_BYTES..(b + 1) * GROUP_BLOCK_BYTES];
        for r in 0..GROUP {
            let blk = &src[r * row_bytes + b * BLOCK_BYTES..][..BLOCK_BYTES];
            gb[2 * r..2 * r + 2].copy_from_slice(&blk[..2]);
            for k in 0..4 {
                let at = 2 * GROUP + 4 * GROUP * k + 4 * r;
                gb[at..at + 4].copy_from_slice(&blk[2 + 4 * k..2 + 4 * k + 4]);
            }
        }
    }
}

/// The scalar reference on the packed layout: what the SIMD kernel must
/// compute, and what runs when the lengths do not add up (it then computes
/// what fits, like [`super::gemm_fallback`]).
pub fn gemm_q4_0_packed_scalar(g: super::Gemm<'_>) {
    let nb = g.n / QK;
    let a8 = crate::quant::Q8_0_BYTES;
    for grp in 0..g.rows / GROUP {
        let Some(wg) =
            g.w.get(grp * GROUP * g.row_bytes..(grp + 1) * GROUP * g.row_bytes)
        else {
            return;
        };
        for c in 0..g.cols {
            let Some(a) = g.act.get(c * g.act_row_bytes..(c + 1) * g.act_row_bytes) else {
                return;
            };
            for r in 0..GROUP {
                let mut acc = 0f32;
                for b in 0..nb {
                    let (Some(gb), Some(ab)) = (
                        wg.get(b * GROUP_BLOCK_BYTES..(b + 1) * GROUP_BLOCK_BYTES),
                        a.get(b * a8..(b + 1) * a8),
                    ) else {
                        return;
                    };
                    let mut isum = 0i32;
                    for k in 0..4 {
                        for i in 0..4 {
                            let byte = gb[2 * GROUP + 4 * GROUP * k + 4 * r + i];
                            let lo = i32::from(byte & 0x0F) - 8;
                            let hi = i32::from(byte >> 4) - 8;
                            isum += lo * i32::from(ab[2 + 4 * k + i] as i8);
                            isum += hi * i32::from(ab[2 + 16 + 4 * k + i] as i8);
                        }
                    }
                    let dw = crate::quant::f16_at(gb, 2 * r);
                    let da = crate::quant::f16_at(ab, 0);
                    acc = (isum as f32).mul_add(dw * da, acc);
                }
                if let Some(o) = g.out.get_mut(c * g.out_stride + grp * GROUP + r) {
                    *o = acc;
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub(super) mod x86 {
    use std::arch::x86_64::*;

    use super::{GROUP, GROUP_BLOCK_BYTES};
    use crate::gguf::GgmlType;
    use crate::quant::{Q8_0_BYTES, QK};

    /// The packed-Q4_0 kernel; only handed out after `Isa::detect` found
    /// AVX-512 VNNI.
    pub fn gemm_q4_0_packed(g: crate::kernels::Gemm<'_>) {
        if !g.valid(GgmlType::Q4_0) || !g.rows.is_multiple_of(GROUP) {
            return super::gemm_q4_0_packed_scalar(g);
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

    /// Sum of the 32 int8 quants of a Q8_0 activation block at `q`.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn block_sum(q: *const u8) -> i32 {
        // SAFETY: caller guarantees 32 readable bytes at `q`.
        let v = unsafe { _mm256_loadu_si256(q as *const __m256i) };
        let s = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(1), v);
        let lo = _mm256_castsi256_si128(s);
        let hi = _mm256_extracti128_si256::<1>(s);
        let s = _mm_add_epi32(lo, hi);
        let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01_00_11_10>(s));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b10_11_00_01>(s));
        _mm_cvtsi128_si32(s)
    }

    /// Sixteen rows (one group) against `C` activation rows: the weights of
    /// a block are unpacked once and shared by the `C` columns.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn tile<const C: usize>(
        g: &crate::kernels::Gemm<'_>,
        out: *mut f32,
        grp: usize,
        c0: usize,
    ) {
        let nb = g.n / QK;
        let mask = _mm512_set1_epi8(0x0F);
        let wg = g.w.as_ptr().wrapping_add(grp * GROUP * g.row_bytes);
        let mut acc = [_mm512_setzero_ps(); C];
        for b in 0..nb {
            // SAFETY: block b of group grp lies inside `w`, block b of each
            // column c0+j inside `act` (lengths checked by `valid`).
            unsafe {
                let p = wg.add(b * GROUP_BLOCK_BYTES);
                let dw = _mm512_cvtph_ps(_mm256_loadu_si256(p as *const __m256i));
                let mut lo = [_mm512_setzero_si512(); 4];
                let mut hi = [_mm512_setzero_si512(); 4];
                for k in 0..4 {
                    let raw =
                        _mm512_loadu_si512(p.add(2 * GROUP + 4 * GROUP * k) as *const __m512i);
                    lo[k] = _mm512_and_si512(raw, mask);
                    hi[k] = _mm512_and_si512(_mm512_srli_epi16::<4>(raw), mask);
                }
                for j in 0..C {
                    let a = g
                        .act
                        .as_ptr()
                        .add((c0 + j) * g.act_row_bytes + b * Q8_0_BYTES);
                    let q = a.add(2);
                    let mut s0 = _mm512_setzero_si512();
                    let mut s1 = _mm512_setzero_si512();
                    for k in 0..4 {
                        let alo = std::ptr::read_unaligned(q.add(4 * k) as *const i32);
                        let ahi = std::ptr::read_unaligned(q.add(16 + 4 * k) as *const i32);
                        s0 = _mm512_dpbusd_epi32(s0, lo[k], _mm512_set1_epi32(alo));
                        s1 = _mm512_dpbusd_epi32(s1, hi[k], _mm512_set1_epi32(ahi));
                    }
                    // Weights were taken as 0..15; Q4_0 means 0..15 − 8.
                    let offset = _mm512_set1_epi32(8 * block_sum(q));
                    let isum = _mm512_sub_epi32(_mm512_add_epi32(s0, s1), offset);
                    let da = f16(a);
                    acc[j] = _mm512_fmadd_ps(
                        _mm512_cvtepi32_ps(isum),
                        _mm512_mul_ps(dw, _mm512_set1_ps(da)),
                        acc[j],
                    );
                }
            }
        }
        for (j, acc) in acc.iter().enumerate() {
            // SAFETY: (c0+j) * out_stride + grp*16 .. +16 lies inside `out`
            // (checked by `valid`: out_stride >= rows for cols > 1).
            unsafe {
                _mm512_storeu_ps(out.add((c0 + j) * g.out_stride + grp * GROUP), *acc);
            }
        }
    }

    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn f16(p: *const u8) -> f32 {
        // SAFETY: caller guarantees two readable bytes at `p`.
        let bits = unsafe { std::ptr::read_unaligned(p as *const u16) };
        _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(bits as i32)))
    }
}
