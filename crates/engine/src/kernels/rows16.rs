//! Q4_0 and Q4_1 (and, through [`super::q4k16`], Q4_K) weights re-laid at load time for AVX-512 VNNI: sixteen
//! rows interleaved so that one 512-bit register holds the same four
//! weights of all sixteen rows, one 32-bit lane per row.
//!
//! Why: with the file's row-major blocks every block of every row needs its
//! own scale conversion, integer dot, float fold and, at the end, a
//! horizontal sum; decoding a 1B-parameter Q4_0 model spent its time in
//! those instructions instead of waiting for memory (0.4× llama.cpp, which
//! repacks Q4_0 the same way). Interleaved, one `vpdpbusd` advances sixteen
//! rows, the sixteen scales convert in one instruction, and the result is
//! sixteen finished outputs.
//!
//! Layout of a packed tensor: groups of 16 rows, one after the other; in a
//! group, the blocks in order; a group-block is 16 × the block size, so the
//! tensor keeps its size and a group keeps `16 × row_bytes`:
//! - the 16 f16 scales `d`, row 0 first (32 bytes); for Q4_1 then the 16
//!   f16 minimums `m` (32 bytes),
//! - 4 vectors of 64 bytes: vector `k`, lane `r` holds bytes `4k..4k+4` of
//!   row `r`'s 16 nibble bytes. Their low nibbles are weights `4k..4k+4`,
//!   their high nibbles weights `16+4k..16+4k+4` (Q4_0/Q4_1 store weight
//!   `j` in the low and weight `j+16` in the high nibble of byte `j`).
//!
//! Q4_1 keeps llama.cpp's float order exactly (greedy output is compared
//! token for token with it): its row kernel folds eight 4-weight partial
//! sums per block into eight float lanes and adds the lanes at the end;
//! here those eight lanes are eight accumulators, added in the same order.

use crate::gguf::GgmlType;
use crate::quant::{f16_at, Q8_0_BYTES, Q8_1_BYTES, QK};

use super::packed::packed_outputs;
pub use super::packed::GROUP;

const NIBBLE_BYTES: usize = 16;

fn block_bytes(ty: GgmlType) -> Option<usize> {
    match ty {
        GgmlType::Q4_0 => Some(18),
        GgmlType::Q4_1 => Some(20),
        GgmlType::Q4K => Some(super::q4k16::BLOCK_BYTES),
        _ => None,
    }
}

/// Bytes before the nibbles in a group-block: the scales (and minimums).
fn header_bytes(ty: GgmlType) -> usize {
    block_bytes(ty).map_or(0, |b| (b - NIBBLE_BYTES) * GROUP)
}

/// Whether a tensor of `ty` with `rows` rows of `row_bytes` can be packed.
pub fn packable(ty: GgmlType, rows: usize, row_bytes: usize) -> bool {
    block_bytes(ty).is_some_and(|bb| {
        rows > 0 && rows.is_multiple_of(GROUP) && row_bytes > 0 && row_bytes.is_multiple_of(bb)
    })
}

/// Re-lays `rows` rows of `row_bytes` of `ty` from `src` (row-major, as in
/// the file) into the interleaved layout, on `threads` threads.
pub fn pack(
    ty: GgmlType,
    src: &[u8],
    rows: usize,
    row_bytes: usize,
    threads: usize,
) -> Option<Vec<u8>> {
    if !packable(ty, rows, row_bytes) || src.len() < rows.checked_mul(row_bytes)? {
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
                    pack_group(
                        ty,
                        &src[g * group_bytes..(g + 1) * group_bytes],
                        row_bytes,
                        dst,
                    );
                }
            });
        }
    });
    Some(out)
}

fn pack_group(ty: GgmlType, src: &[u8], row_bytes: usize, dst: &mut [u8]) {
    if ty == GgmlType::Q4K {
        return super::q4k16::pack_group(src, row_bytes, dst);
    }
    let bb = block_bytes(ty).unwrap_or(18);
    let head = bb - NIBBLE_BYTES;
    let gbb = GROUP * bb;
    for b in 0..row_bytes / bb {
        let gb = &mut dst[b * gbb..(b + 1) * gbb];
        for r in 0..GROUP {
            let blk = &src[r * row_bytes + b * bb..][..bb];
            for h in 0..head / 2 {
                let at = h * 2 * GROUP + 2 * r;
                gb[at..at + 2].copy_from_slice(&blk[2 * h..2 * h + 2]);
            }
            for k in 0..4 {
                let at = head * GROUP + 4 * GROUP * k + 4 * r;
                gb[at..at + 4].copy_from_slice(&blk[head + 4 * k..head + 4 * k + 4]);
            }
        }
    }
}

/// llama.cpp's `hsum_float_8` on eight lanes.
fn hsum8(l: [f32; 8]) -> f32 {
    ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]))
}

/// The scalar reference on the packed layout: what the SIMD kernel must
/// compute bit for bit, and what runs when the lengths do not add up (it
/// then computes what fits, like [`super::gemm_fallback`]).
pub fn gemm_packed_scalar(ty: GgmlType, g: super::Gemm<'_>) {
    if ty == GgmlType::Q4K {
        return super::q4k16::gemm_packed_scalar(g);
    }
    let Some(bb) = block_bytes(ty) else {
        return;
    };
    let (head, gbb) = (header_bytes(ty), GROUP * bb);
    let ab = if ty == GgmlType::Q4_1 {
        Q8_1_BYTES
    } else {
        Q8_0_BYTES
    };
    let aq = ab - QK;
    packed_outputs(g, gbb, ab, QK, |blocks, r| {
        let mut lanes = [0f32; 8];
        let mut mins = 0f32;
        let mut acc = 0f32;
        for &(gb, blk) in blocks {
            let mut part = [0i32; 8];
            for k in 0..4 {
                for i in 0..4 {
                    let byte = gb[head + 4 * GROUP * k + 4 * r + i];
                    part[k] += i32::from(byte & 0x0F) * i32::from(blk[aq + 4 * k + i] as i8);
                    part[4 + k] += i32::from(byte >> 4) * i32::from(blk[aq + 16 + 4 * k + i] as i8);
                }
            }
            let d = f16_at(gb, 2 * r) * f16_at(blk, 0);
            if ty == GgmlType::Q4_1 {
                for (l, p) in lanes.iter_mut().zip(part) {
                    *l = (p as f32).mul_add(d, *l);
                }
                mins = f16_at(gb, 2 * GROUP + 2 * r).mul_add(f16_at(blk, 2), mins);
            } else {
                let a_sum: i32 = blk[aq..aq + QK].iter().map(|&q| i32::from(q as i8)).sum();
                let isum = part.iter().sum::<i32>() - 8 * a_sum;
                acc = (isum as f32).mul_add(d, acc);
            }
        }
        if ty == GgmlType::Q4_1 {
            hsum8(lanes) + mins
        } else {
            acc
        }
    });
}

#[cfg(target_arch = "x86_64")]
pub(super) mod x86 {
    use std::arch::x86_64::*;

    use super::GROUP;
    use crate::gguf::GgmlType;
    use crate::quant::{Q8_0_BYTES, Q8_1_BYTES, QK};

    /// The packed-Q4_0 kernel; only handed out after `Isa::detect` found
    /// AVX-512 VNNI.
    pub fn gemm_q4_0_packed(g: crate::kernels::Gemm<'_>) {
        if !g.valid(GgmlType::Q4_0) || !g.rows.is_multiple_of(GROUP) {
            return super::gemm_packed_scalar(GgmlType::Q4_0, g);
        }
        // SAFETY: `valid` checked the weight, activation and output slices
        // against rows, cols and strides; rows is a whole number of groups;
        // the caller selected this function only on an AVX-512 VNNI CPU.
        unsafe { gemm_q4_0(g) }
    }

    /// The packed-Q4_1 kernel, as [`gemm_q4_0_packed`].
    pub fn gemm_q4_1_packed(g: crate::kernels::Gemm<'_>) {
        if !g.valid(GgmlType::Q4_1) || !g.rows.is_multiple_of(GROUP) {
            return super::gemm_packed_scalar(GgmlType::Q4_1, g);
        }
        // SAFETY: as in `gemm_q4_0_packed`.
        unsafe { gemm_q4_1(g) }
    }

    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn gemm_q4_0(g: crate::kernels::Gemm<'_>) {
        let out = g.out.as_mut_ptr();
        let g = &g;
        // Decoding: the activation's block sums (for the −8 offset) are the
        // same for every group of rows, so take them once, not per group.
        let nb = g.n / QK;
        let mut sums = [0i32; MAX_SUMMED_BLOCKS];
        let summed = g.cols == 1 && nb <= MAX_SUMMED_BLOCKS;
        if summed {
            for (b, s) in sums[..nb].iter_mut().enumerate() {
                // SAFETY: block b of column 0 lies inside `act` (`valid`).
                *s = 8 * unsafe { block_sum(g.act.as_ptr().add(b * Q8_0_BYTES + 2)) };
            }
        }
        let sums = summed.then_some(&sums[..nb]);
        for grp in 0..g.rows / GROUP {
            let mut c = 0;
            while c < g.cols {
                let nc = (g.cols - c).min(4);
                // SAFETY: grp < rows / 16 and c + nc <= cols, inside the
                // slices `valid` checked.
                unsafe {
                    match nc {
                        4 => tile_q4_0::<4>(g, out, grp, c, None),
                        3 => tile_q4_0::<3>(g, out, grp, c, None),
                        2 => tile_q4_0::<2>(g, out, grp, c, None),
                        _ => tile_q4_0::<1>(g, out, grp, c, sums),
                    }
                }
                c += nc;
            }
        }
    }

    /// Blocks per row for which decoding keeps the activation's block sums
    /// on the stack (rows of up to 16,384 weights).
    const MAX_SUMMED_BLOCKS: usize = 512;

    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn gemm_q4_1(g: crate::kernels::Gemm<'_>) {
        let out = g.out.as_mut_ptr();
        let g = &g;
        for grp in 0..g.rows / GROUP {
            let mut c = 0;
            while c < g.cols {
                let nc = (g.cols - c).min(2);
                // SAFETY: as in `gemm_q4_0`.
                unsafe {
                    if nc == 2 {
                        tile_q4_1::<2>(g, out, grp, c);
                    } else {
                        tile_q4_1::<1>(g, out, grp, c);
                    }
                }
                c += nc;
            }
        }
    }

    /// Sum of the 32 int8 quants of an activation block at `q`.
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

    /// The nibbles of one group-block at `p` as 8 vectors: weights
    /// `4k..4k+4` (k < 4) and `16+4(k-4)..` (k ≥ 4) of all sixteen rows.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn unpack(p: *const u8) -> [__m512i; 8] {
        let mask = _mm512_set1_epi8(0x0F);
        let mut w = [_mm512_setzero_si512(); 8];
        for k in 0..4 {
            // SAFETY: caller guarantees the 256 nibble bytes at `p`.
            let raw = unsafe { _mm512_loadu_si512(p.add(4 * GROUP * k) as *const __m512i) };
            w[k] = _mm512_and_si512(raw, mask);
            w[4 + k] = _mm512_and_si512(_mm512_srli_epi16::<4>(raw), mask);
        }
        w
    }

    /// The activation bytes `4k..4k+4` (in the order of [`unpack`]) of the
    /// block whose quants start at `q`, in every lane.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn act4(q: *const u8, k: usize) -> __m512i {
        let at = if k < 4 { 4 * k } else { 16 + 4 * (k - 4) };
        // SAFETY: caller guarantees 32 readable bytes at `q`.
        _mm512_set1_epi32(unsafe { std::ptr::read_unaligned(q.add(at) as *const i32) })
    }

    /// Sixteen rows (one group) against `C` activation rows: the weights of
    /// a block are unpacked once and shared by the `C` columns.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn tile_q4_0<const C: usize>(
        g: &crate::kernels::Gemm<'_>,
        out: *mut f32,
        grp: usize,
        c0: usize,
        sums: Option<&[i32]>,
    ) {
        let nb = g.n / QK;
        let wg = g.w.as_ptr().wrapping_add(grp * GROUP * g.row_bytes);
        let mut acc = [_mm512_setzero_ps(); C];
        for b in 0..nb {
            // SAFETY: block b of group grp lies inside `w`, block b of each
            // column c0+j inside `act` (lengths checked by `valid`).
            unsafe {
                let p = wg.add(b * GROUP * 18);
                let dw = _mm512_cvtph_ps(_mm256_loadu_si256(p as *const __m256i));
                let w = unpack(p.add(2 * GROUP));
                for (j, acc) in acc.iter_mut().enumerate() {
                    let a = g
                        .act
                        .as_ptr()
                        .add((c0 + j) * g.act_row_bytes + b * Q8_0_BYTES);
                    let q = a.add(2);
                    let mut s0 = _mm512_setzero_si512();
                    let mut s1 = _mm512_setzero_si512();
                    for k in 0..4 {
                        s0 = _mm512_dpbusd_epi32(s0, w[k], act4(q, k));
                        s1 = _mm512_dpbusd_epi32(s1, w[4 + k], act4(q, 4 + k));
                    }
                    // Weights were taken as 0..15; Q4_0 means 0..15 − 8.
                    let offset = _mm512_set1_epi32(match sums {
                        Some(s) => s[b],
                        None => 8 * block_sum(q),
                    });
                    let isum = _mm512_sub_epi32(_mm512_add_epi32(s0, s1), offset);
                    let da = f16(a);
                    *acc = _mm512_fmadd_ps(
                        _mm512_cvtepi32_ps(isum),
                        _mm512_mul_ps(dw, _mm512_set1_ps(da)),
                        *acc,
                    );
                }
            }
        }
        for (j, acc) in acc.iter().enumerate() {
            // SAFETY: (c0+j) * out_stride + grp*16 .. +16 lies inside `out`
            // (checked by `valid`: out_stride >= rows for cols > 1).
            unsafe { _mm512_storeu_ps(out.add((c0 + j) * g.out_stride + grp * GROUP), *acc) };
        }
    }

    /// As [`tile_q4_0`] for Q4_1, with eight accumulators per column in
    /// llama.cpp's order (see the module comment).
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn tile_q4_1<const C: usize>(
        g: &crate::kernels::Gemm<'_>,
        out: *mut f32,
        grp: usize,
        c0: usize,
    ) {
        let nb = g.n / QK;
        let wg = g.w.as_ptr().wrapping_add(grp * GROUP * g.row_bytes);
        let mut lanes = [[_mm512_setzero_ps(); 8]; C];
        let mut mins = [_mm512_setzero_ps(); C];
        for b in 0..nb {
            // SAFETY: as in `tile_q4_0`.
            unsafe {
                let p = wg.add(b * GROUP * 20);
                let dw = _mm512_cvtph_ps(_mm256_loadu_si256(p as *const __m256i));
                let mw = _mm512_cvtph_ps(_mm256_loadu_si256(p.add(2 * GROUP) as *const __m256i));
                let w = unpack(p.add(4 * GROUP));
                for j in 0..C {
                    let a = g
                        .act
                        .as_ptr()
                        .add((c0 + j) * g.act_row_bytes + b * Q8_1_BYTES);
                    let q = a.add(4);
                    let d = _mm512_mul_ps(dw, _mm512_set1_ps(f16(a)));
                    for (k, lane) in lanes[j].iter_mut().enumerate() {
                        let part = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w[k], act4(q, k));
                        *lane = _mm512_fmadd_ps(_mm512_cvtepi32_ps(part), d, *lane);
                    }
                    mins[j] = _mm512_fmadd_ps(mw, _mm512_set1_ps(f16(a.add(2))), mins[j]);
                }
            }
        }
        for j in 0..C {
            let l = &lanes[j];
            let s = _mm512_add_ps(
                _mm512_add_ps(_mm512_add_ps(l[0], l[4]), _mm512_add_ps(l[2], l[6])),
                _mm512_add_ps(_mm512_add_ps(l[1], l[5]), _mm512_add_ps(l[3], l[7])),
            );
            let v = _mm512_add_ps(s, mins[j]);
            // SAFETY: as in `tile_q4_0`.
            unsafe { _mm512_storeu_ps(out.add((c0 + j) * g.out_stride + grp * GROUP), v) };
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
