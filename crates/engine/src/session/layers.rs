//! Normalisation, rotary position embedding and attention, computed as
//! ggml computes them so that the numbers agree with llama.cpp.

use half::f16;

use crate::kernels::{self, Isa, KvRows};
use crate::kv::KvView;
use crate::model::RopeStyle;

/// RMSNorm as ggml computes it (sum of squares in f64), times `w`.
pub(crate) fn rms_norm_rows(x: &[f32], out: &mut [f32], w: &[f32], d: usize, eps: f32) {
    for (xr, or) in x.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
        let sum: f64 = xr.iter().map(|&v| f64::from(v * v)).sum();
        let mean = (sum / d as f64) as f32;
        let scale = 1.0 / (mean + eps).sqrt();
        for ((o, &v), &w) in or.iter_mut().zip(xr).zip(w) {
            *o = (v * scale) * w;
        }
    }
}

pub(super) fn rms_norm_in_place(x: &mut [f32], w: &[f32], eps: f32) {
    let sum: f64 = x.iter().map(|&v| f64::from(v * v)).sum();
    let scale = 1.0 / ((sum / x.len() as f64) as f32 + eps).sqrt();
    x.iter_mut().zip(w).for_each(|(v, w)| *v = (*v * scale) * w);
}

/// Rotates every head in `x` for position `pos`; angles as ggml computes
/// them (repeated multiplication in f32).
pub(super) fn rope(x: &mut [f32], pos: usize, c: &crate::model::Config, freqs: Option<&[f32]>) {
    let hd = c.head_dim;
    let half = c.rope_dim / 2;
    let theta_scale = c.rope_base.powf(-2.0 / c.rope_dim as f32);
    let mut cs = Vec::with_capacity(half);
    let mut theta = pos as f32;
    for i in 0..half {
        let ff = freqs.map_or(1.0, |f| f[i]);
        let th = c.rope_freq_scale * (theta / ff);
        cs.push((th.cos(), th.sin()));
        theta *= theta_scale;
    }
    for head in x.chunks_exact_mut(hd) {
        for (i, &(cos, sin)) in cs.iter().enumerate() {
            let (a, b) = match c.rope_style {
                RopeStyle::Adjacent => (2 * i, 2 * i + 1),
                RopeStyle::Halves => (i, i + half),
            };
            let (x0, x1) = (head[a], head[b]);
            // As GCC contracts llama.cpp's `x0*cos - x1*sin` into FMAs.
            head[a] = x0.mul_add(cos, -(x1 * sin));
            head[b] = x0.mul_add(sin, x1 * cos);
        }
    }
}

thread_local! {
    static SCORES: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// One head of causal attention over the first `n` cached positions.
#[allow(clippy::too_many_arguments)]
pub(super) fn attention(
    q: &[f32],
    kv: KvView<'_>,
    n: usize,
    off: usize,
    scale: f32,
    out: &mut [f32],
    decode: bool,
    isa: Isa,
) {
    match kv {
        KvView::F16(kc, vc) => attention_f16(q, kc, vc, n, off, scale, out, decode),
        KvView::Q8_0(kc, vc) => SCORES.with(|cell| {
            let mut sc = cell.borrow_mut();
            kernels::attention_q8_0(q, kc, vc, n, off, scale, out, &mut sc, isa);
        }),
    }
}

#[allow(clippy::too_many_arguments)]
fn attention_f16(
    q: &[f32],
    kc: KvRows<'_>,
    vc: KvRows<'_>,
    n: usize,
    off: usize,
    scale: f32,
    out: &mut [f32],
    decode: bool,
) {
    let hd = q.len();
    // llama.cpp multiplies f16 K by q rounded to f16; do the same so that
    // scores agree bit for bit as far as possible.
    let q16: Vec<f32> = q.iter().map(|&v| f16::from_f32(v).to_f32()).collect();
    SCORES.with(|cell| {
        let mut sc = cell.borrow_mut();
        if kernels::attention_exact(&q16, kc, vc, n, off, scale, out, &mut sc, decode) {
            return;
        }
        sc.clear();
        let mut max = f32::NEG_INFINITY;
        for j in 0..n {
            let v = kernels::dot_f16(&kc.row(j)[off..off + hd], &q16) * scale;
            max = max.max(v);
            sc.push(v);
        }
        let mut sum = 0f64;
        for v in sc.iter_mut() {
            *v = (*v - max).exp();
            sum += f64::from(*v);
        }
        let inv = (1.0 / sum) as f32;
        out.fill(0.0);
        for (j, &p) in sc.iter().enumerate() {
            let p = f16::from_f32(p * inv).to_f32();
            kernels::axpy_f16(out, &vc.row(j)[off..off + hd], p);
        }
    });
}
