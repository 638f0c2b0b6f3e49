//! The only place in the engine where `unsafe` is allowed: SIMD dot
//! products (chosen once at run time by CPU feature detection), the thread
//! pool that runs borrowed closures on long-lived workers, and the memory
//! map of model files. Everything here has a safe interface that checks
//! lengths before entering the unsafe code.
//!
//! An aarch64 NEON path would add a sibling of `x86` and one more arm in
//! [`dot_fn`]; callers do not change.

mod interface;
mod kvq8;
mod packed;
mod pool;
mod q4k16;
mod rows16;
mod softmax;
#[cfg(target_arch = "x86_64")]
mod x86;

pub use crate::mapping::{map_file, release_pages};
use interface::lengths_ok;
pub use interface::{gemm_fallback, scalar_dot_fn, DotFn, Gemm, GemmFn, Isa, KvRows};
pub use kvq8::{attention_q8_0, axpy_q8_0_scalar, dot_q8_0_scalar};
pub use pool::ThreadPool;
pub use rows16::{gemm_packed_scalar, pack, packable, GROUP as PACKED_ROWS};

use crate::gguf::GgmlType;

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
