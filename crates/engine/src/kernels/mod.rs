//! The only place in the engine where `unsafe` is allowed: SIMD dot
//! products (chosen once at run time by CPU feature detection), the thread
//! pool that runs borrowed closures on long-lived workers, and the memory
//! map of model files. Everything here has a safe interface that checks
//! lengths before entering the unsafe code.
//!
//! An aarch64 NEON path would add a sibling of `x86` and one more arm in
//! [`dot_fn`]; callers do not change.

mod pool;
mod q4k16;
mod rows16;
#[cfg(target_arch = "x86_64")]
mod x86;

use std::fs::File;

pub use pool::ThreadPool;
pub use rows16::{gemm_packed_scalar, pack, packable, GROUP as PACKED_ROWS};

use crate::gguf::GgmlType;
use crate::quant::{self, ActType};

/// Dot product of one weight row with one quantised activation row of `n`
/// elements. Both slices have been checked to hold exactly `n` elements.
pub type DotFn = fn(&[u8], &[u8], usize) -> f32;

/// A block of dot products: `out[c * out_stride + r] = w_r · act_c` for
/// `rows` weight rows and `cols` activation rows of `n` elements.
#[derive(Debug)]
pub struct Gemm<'a> {
    pub w: &'a [u8],
    pub row_bytes: usize,
    pub rows: usize,
    pub act: &'a [u8],
    pub act_row_bytes: usize,
    pub cols: usize,
    pub n: usize,
    pub out: &'a mut [f32],
    pub out_stride: usize,
}

impl Gemm<'_> {
    /// Checks every length the SIMD kernels rely on.
    pub fn valid(&self, ty: GgmlType) -> bool {
        self.rows > 0
            && self.cols > 0
            && ty.row_bytes(self.n) == Some(self.row_bytes)
            && ActType::for_weights(ty).row_bytes(self.n) == self.act_row_bytes
            && self
                .rows
                .checked_mul(self.row_bytes)
                .is_some_and(|b| b <= self.w.len())
            && self
                .cols
                .checked_mul(self.act_row_bytes)
                .is_some_and(|b| b <= self.act.len())
            && (self.cols == 1 || self.out_stride >= self.rows)
            && (self.cols - 1)
                .checked_mul(self.out_stride)
                .and_then(|x| x.checked_add(self.rows))
                .is_some_and(|e| e <= self.out.len())
    }
}

/// Computes a [`Gemm`] for weights of one type.
pub type GemmFn = fn(Gemm<'_>);

/// A tiled kernel for `ty` on `isa`, when there is one; otherwise callers
/// loop over [`dot_fn`].
pub fn gemm_fn(ty: GgmlType, isa: Isa) -> Option<GemmFn> {
    #[cfg(target_arch = "x86_64")]
    {
        x86::gemm_fn(ty, isa)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (ty, isa);
        None
    }
}

/// The kernel for weights of `ty` re-laid by [`pack`], when this CPU has
/// one; weights are only packed when it does.
pub fn packed_gemm_fn(ty: GgmlType, isa: Isa) -> Option<GemmFn> {
    match (ty, isa) {
        #[cfg(target_arch = "x86_64")]
        (GgmlType::Q4_0, Isa::Avx512Vnni) => Some(rows16::x86::gemm_q4_0_packed),
        #[cfg(target_arch = "x86_64")]
        (GgmlType::Q4_1, Isa::Avx512Vnni) => Some(rows16::x86::gemm_q4_1_packed),
        #[cfg(target_arch = "x86_64")]
        (GgmlType::Q4K, Isa::Avx512Vnni) => Some(q4k16::x86::gemm_q4k_packed),
        _ => None,
    }
}

/// Row-by-row [`Gemm`] with the scalar reference; used when a tiled
/// kernel is handed inconsistent lengths (it then computes what fits).
pub fn gemm_fallback(ty: GgmlType, g: Gemm<'_>) {
    let dot = scalar_dot_fn(ty);
    for c in 0..g.cols {
        let Some(a) = g.act.get(c * g.act_row_bytes..(c + 1) * g.act_row_bytes) else {
            return;
        };
        for r in 0..g.rows {
            let Some(w) = g.w.get(r * g.row_bytes..(r + 1) * g.row_bytes) else {
                return;
            };
            if let Some(o) = g.out.get_mut(c * g.out_stride + r) {
                *o = dot(w, a, g.n);
            }
        }
    }
}

/// Which instruction set the dot products use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    Scalar,
    Avx2,
    Avx512Vnni,
}

impl Isa {
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::env::var_os("KI_REISE_FORCE_SCALAR").is_some() {
                return Self::Scalar;
            }
            let avx2 = is_x86_feature_detected!("avx2")
                && is_x86_feature_detected!("fma")
                && is_x86_feature_detected!("f16c");
            if avx2
                && is_x86_feature_detected!("avx512f")
                && is_x86_feature_detected!("avx512bw")
                && is_x86_feature_detected!("avx512vl")
                && is_x86_feature_detected!("avx512vnni")
            {
                return Self::Avx512Vnni;
            }
            if avx2 {
                return Self::Avx2;
            }
        }
        Self::Scalar
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Scalar => "scalar",
            Self::Avx2 => "AVX2",
            Self::Avx512Vnni => "AVX-512 VNNI",
        }
    }
}

/// The fastest dot product for weights of type `ty` on `isa`.
pub fn dot_fn(ty: GgmlType, isa: Isa) -> DotFn {
    #[cfg(target_arch = "x86_64")]
    {
        if let Some(f) = x86::dot_fn(ty, isa) {
            return f;
        }
    }
    let _ = isa;
    scalar_dot_fn(ty)
}

pub fn scalar_dot_fn(ty: GgmlType) -> DotFn {
    match ty {
        GgmlType::F32 => |w, a, n| quant::vec_dot_ref(GgmlType::F32, w, a, n),
        GgmlType::F16 => |w, a, n| quant::vec_dot_ref(GgmlType::F16, w, a, n),
        GgmlType::BF16 => |w, a, n| quant::vec_dot_ref(GgmlType::BF16, w, a, n),
        GgmlType::Q4_0 => |w, a, n| quant::vec_dot_ref(GgmlType::Q4_0, w, a, n),
        GgmlType::Q4_1 => |w, a, n| quant::vec_dot_ref(GgmlType::Q4_1, w, a, n),
        GgmlType::Q8_0 => |w, a, n| quant::vec_dot_ref(GgmlType::Q8_0, w, a, n),
        GgmlType::Q4K => |w, a, n| quant::vec_dot_ref(GgmlType::Q4K, w, a, n),
        GgmlType::Q5K => |w, a, n| quant::vec_dot_ref(GgmlType::Q5K, w, a, n),
        GgmlType::Q6K => |w, a, n| quant::vec_dot_ref(GgmlType::Q6K, w, a, n),
    }
}

/// Checks the slice lengths that every SIMD dot product relies on.
#[inline]
fn lengths_ok(ty: GgmlType, w: &[u8], a: &[u8], n: usize) -> bool {
    ty.row_bytes(n) == Some(w.len()) && ActType::for_weights(ty).row_bytes(n) == a.len()
}

/// Dot product of f32 `q` with an f16 row `k` (attention scores against the
/// f16 KV cache).
pub fn dot_f16(k: &[u16], q: &[f32]) -> f32 {
    assert_eq!(k.len(), q.len());
    #[cfg(target_arch = "x86_64")]
    {
        if let Some(v) = x86::dot_f16(k, q) {
            return v;
        }
    }
    k.iter()
        .zip(q)
        .map(|(&k, q)| half::f16::from_bits(k).to_f32() * q)
        .sum()
}

/// `out += p * v` for an f16 row `v` (attention output from the f16 cache).
pub fn axpy_f16(out: &mut [f32], v: &[u16], p: f32) {
    assert_eq!(out.len(), v.len());
    #[cfg(target_arch = "x86_64")]
    {
        if x86::axpy_f16(out, v, p) {
            return;
        }
    }
    for (o, &v) in out.iter_mut().zip(v) {
        *o += p * half::f16::from_bits(v).to_f32();
    }
}

/// SiLU in place, with the vector `exp` llama.cpp uses where available.
pub fn silu(x: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if x86::silu_ggml(x) {
            return;
        }
    }
    for v in x {
        *v = *v / (1.0 + (-*v).exp());
    }
}

/// The cached K (or V) rows of one layer of one sequence: positions in
/// blocks of a power-of-two number of rows (blocks may be shared between
/// sequences), each row `kvd` f16 values. Position `j` lies in block
/// `j >> shift`, so a kernel pays a shift and a mask per row, not a division.
#[derive(Debug, Clone, Copy)]
pub struct KvRows<'a> {
    blocks: &'a [&'a [u16]],
    shift: u32,
    kvd: usize,
}

impl<'a> KvRows<'a> {
    /// `None` unless `block` is a power of two and every block holds
    /// `block` rows of `kvd`.
    pub fn new(blocks: &'a [&'a [u16]], block: usize, kvd: usize) -> Option<Self> {
        (block.is_power_of_two() && blocks.iter().all(|b| b.len() >= block * kvd)).then_some(Self {
            blocks,
            shift: block.trailing_zeros(),
            kvd,
        })
    }

    /// Positions the blocks can hold.
    pub fn capacity(&self) -> usize {
        self.blocks.len() << self.shift
    }

    /// Row `j` (`j < capacity()`).
    #[inline]
    pub fn row(&self, j: usize) -> &'a [u16] {
        let mask = (1usize << self.shift) - 1;
        let start = (j & mask) * self.kvd;
        &self.blocks[j >> self.shift][start..start + self.kvd]
    }
}

/// One head of causal attention over `n` cached positions in llama.cpp's
/// operation order (`decode`: a forward pass of a single token, which
/// llama.cpp computes differently from a prompt batch); `false` when this CPU or shape has no such kernel and
/// the caller must compute it another way.
#[allow(clippy::too_many_arguments)]
pub fn attention_exact(
    q16: &[f32],
    kc: KvRows<'_>,
    vc: KvRows<'_>,
    n: usize,
    off: usize,
    scale: f32,
    out: &mut [f32],
    scratch: &mut Vec<f32>,
    decode: bool,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        x86::attention_ggml(q16, kc, vc, n, off, scale, out, scratch, decode)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (q16, kc, vc, n, off, scale, out, scratch, decode);
        false
    }
}

/// Drops this process's resident pages of `len` bytes at `offset` of a
/// read-only map, once their content lives elsewhere (packed weights): the
/// page cache keeps them, the process's memory stops counting them, and a
/// later read simply maps them in again.
pub fn release_pages(map: &memmap2::Mmap, offset: usize, len: usize) {
    if offset.checked_add(len).is_none_or(|end| end > map.len()) {
        return;
    }
    // SAFETY: the map is private and read-only, so MADV_DONTNEED discards
    // nothing that cannot be read back from the file; no reference into the
    // range is invalidated (the memory stays mapped, pages refault).
    let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, offset, len) };
}

/// Maps a model file read-only.
pub fn map_file(file: &File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the map is read-only and private to this process. If another
    // process truncates the file while it is mapped, reads fault (SIGBUS);
    // that is the documented limit of every mmap-based model loader
    // (llama.cpp included) and the reason model files are treated as
    // immutable once added.
    unsafe { memmap2::Mmap::map(file) }
}
