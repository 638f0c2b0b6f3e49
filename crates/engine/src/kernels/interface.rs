//! What every kernel shares: the job of a tiled product ([`Gemm`]), the
//! function types the model holds, the instruction set, the rows of the KV
//! cache, and the scalar reference every SIMD kernel falls back to.

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
        GgmlType::Q5_0 => |w, a, n| quant::vec_dot_ref(GgmlType::Q5_0, w, a, n),
        GgmlType::Q5_1 => |w, a, n| quant::vec_dot_ref(GgmlType::Q5_1, w, a, n),
        GgmlType::Q2K => |w, a, n| quant::vec_dot_ref(GgmlType::Q2K, w, a, n),
        GgmlType::Q3K => |w, a, n| quant::vec_dot_ref(GgmlType::Q3K, w, a, n),
        GgmlType::IQ4NL => |w, a, n| quant::vec_dot_ref(GgmlType::IQ4NL, w, a, n),
        GgmlType::IQ4XS => |w, a, n| quant::vec_dot_ref(GgmlType::IQ4XS, w, a, n),
    }
}

/// Checks the slice lengths that every SIMD dot product relies on.
#[inline]
pub(super) fn lengths_ok(ty: GgmlType, w: &[u8], a: &[u8], n: usize) -> bool {
    ty.row_bytes(n) == Some(w.len()) && ActType::for_weights(ty).row_bytes(n) == a.len()
}

/// The cached K (or V) rows of one layer of one sequence: positions in
/// blocks of a power-of-two number of rows (blocks may be shared between
/// sequences), each row `kvd` elements: f16 bits (`T = u16`), or the bytes
/// of Q8_0 blocks (`T = u8`). Position `j` lies in block `j >> shift`, so a
/// kernel pays a shift and a mask per row, not a division.
#[derive(Debug)]
pub struct KvRows<'a, T = u16> {
    blocks: &'a [&'a [T]],
    shift: u32,
    pub(super) kvd: usize,
}

impl<T> Clone for KvRows<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for KvRows<'_, T> {}

impl<'a, T> KvRows<'a, T> {
    /// `None` unless `block` is a power of two and every block holds
    /// `block` rows of `kvd`.
    pub fn new(blocks: &'a [&'a [T]], block: usize, kvd: usize) -> Option<Self> {
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

    /// Elements of a row.
    pub fn row_len(&self) -> usize {
        self.kvd
    }

    /// Row `j` (`j < capacity()`).
    #[inline]
    pub fn row(&self, j: usize) -> &'a [T] {
        let mask = (1usize << self.shift) - 1;
        let start = (j & mask) * self.kvd;
        &self.blocks[j >> self.shift][start..start + self.kvd]
    }
}
