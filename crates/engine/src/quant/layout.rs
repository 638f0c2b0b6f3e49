//! Block sizes, the activation formats and the byte readers every quant
//! type's code shares.

use half::f16;

use crate::gguf::GgmlType;

pub const QK: usize = 32;
pub const QK_K: usize = 256;
pub const Q8_0_BYTES: usize = 34;
pub const Q8_1_BYTES: usize = 36;
pub const Q8K_BYTES: usize = 4 + QK_K + 2 * (QK_K / 16);

/// How activations are stored before a dot product with a weight row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActType {
    F32,
    Q8_0,
    Q8_1,
    Q8K,
}

impl ActType {
    pub fn for_weights(ty: GgmlType) -> Self {
        match ty {
            GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => Self::F32,
            GgmlType::Q4_0 | GgmlType::Q5_0 | GgmlType::Q8_0 | GgmlType::IQ4NL => Self::Q8_0,
            GgmlType::Q4_1 | GgmlType::Q5_1 => Self::Q8_1,
            GgmlType::Q2K
            | GgmlType::Q3K
            | GgmlType::Q4K
            | GgmlType::Q5K
            | GgmlType::Q6K
            | GgmlType::IQ4XS => Self::Q8K,
        }
    }

    /// Bytes for a row of `n` activations; `n` must be a multiple of the
    /// weight type's block length, which model loading checks.
    pub fn row_bytes(self, n: usize) -> usize {
        match self {
            Self::F32 => n * 4,
            Self::Q8_0 => n / QK * Q8_0_BYTES,
            Self::Q8_1 => n / QK * Q8_1_BYTES,
            Self::Q8K => n / QK_K * Q8K_BYTES,
        }
    }
}

#[inline]
pub fn f16_at(b: &[u8], i: usize) -> f32 {
    f16::from_bits(u16::from_le_bytes([b[i], b[i + 1]])).to_f32()
}

#[inline]
pub(super) fn f32_at(b: &[u8], i: usize) -> f32 {
    f32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

#[inline]
pub(super) fn i16_at(b: &[u8], i: usize) -> i32 {
    i16::from_le_bytes([b[i], b[i + 1]]).into()
}

pub(super) fn put_f16(out: &mut [u8], v: f32) {
    out.copy_from_slice(&f16::from_f32(v).to_bits().to_le_bytes());
}

/// The first value of largest magnitude, sign kept (numpy's `argmax` of
/// the magnitudes, as gguf-py picks it).
pub(super) fn signed_max(x: &[f32]) -> f32 {
    x.iter()
        .fold(0f32, |m, &v| if v.abs() > m.abs() { v } else { m })
}

/// Block `i` of a weight row of `ty` beside block `i` of its activation
/// row, for the `n` elements of the row.
pub(crate) fn block_pairs<'a>(
    ty: GgmlType,
    w: &'a [u8],
    a: &'a [u8],
    n: usize,
) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
    let act_bytes = ActType::for_weights(ty).row_bytes(ty.block_len());
    w.chunks_exact(ty.block_bytes())
        .zip(a.chunks_exact(act_bytes))
        .take(n / ty.block_len())
}
