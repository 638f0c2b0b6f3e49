//! Matrix products of a forward pass: activations quantised once per type,
//! rows split over the thread pool.

use crate::kernels::{self, ThreadPool};
use crate::model::Linear;
use crate::quant::{self, ActType};

pub(super) fn act_slot(a: ActType) -> usize {
    match a {
        ActType::F32 => 0,
        ActType::Q8_0 => 1,
        ActType::Q8_1 => 2,
        ActType::Q8K => 3,
    }
}

/// Quantises `x` (rows of `cols`) for weights wanting `act`, once per
/// activation type and input.
pub(super) fn prepare_act(
    pool: &ThreadPool,
    acts: &mut [Vec<u8>; 4],
    fresh: &mut [bool; 4],
    act: ActType,
    x: &[f32],
    cols: usize,
) {
    let slot = act_slot(act);
    if fresh[slot] {
        return;
    }
    fresh[slot] = true;
    let rb = act.row_bytes(cols);
    let rows = x.len() / cols;
    let buf = &mut acts[slot];
    buf.resize(rows * rb, 0);
    if rows < 8 {
        for (xr, o) in x.chunks_exact(cols).zip(buf.chunks_exact_mut(rb)) {
            quant::quantize_row(act, xr, o);
        }
    } else {
        pool.run_chunks(buf, rb, &|i, o| {
            quant::quantize_row(act, &x[i * cols..(i + 1) * cols], o)
        });
    }
}

/// A block of output rows of one matmul, starting at a row index.
type RowTask<'a> = (&'a Linear, &'a [u8], usize, std::sync::Mutex<&'a mut [f32]>);

/// Several independent matmuls. Decoding a single token, they share one
/// parallel section (one hand-off to the workers instead of one each),
/// which matters when a whole matmul takes a few microseconds.
pub(super) fn matmul_group(
    pool: &ThreadPool,
    bytes: &[u8],
    t: usize,
    tmp: &mut Vec<f32>,
    jobs: &mut [(&Linear, &[u8], &mut [f32])],
) {
    if t != 1 {
        for (lin, act, out) in jobs.iter_mut() {
            matmul(pool, bytes, lin, act, t, out, tmp);
        }
        return;
    }
    let threads = pool.threads();
    let mut tasks: Vec<RowTask<'_>> = Vec::new();
    for (lin, act, out) in jobs.iter_mut() {
        let chunk = lin
            .rows
            .div_ceil(threads * 4)
            .max(16)
            .next_multiple_of(lin.row_align());
        for (ci, o) in out[..lin.rows].chunks_mut(chunk).enumerate() {
            tasks.push((lin, act, ci * chunk, std::sync::Mutex::new(o)));
        }
    }
    pool.run(tasks.len(), &|i| {
        let (lin, act, r0, out) = &tasks[i];
        let mut o = out.lock().unwrap_or_else(|e| e.into_inner());
        rows_block(bytes, lin, act, 1, *r0, &mut o);
    });
}

/// Rows `r0..` of `lin` (as many as `o` holds / t) for all `t` activation
/// rows into `o`, laid out [t][rows].
fn rows_block(bytes: &[u8], lin: &Linear, act: &[u8], t: usize, r0: usize, o: &mut [f32]) {
    let arb = lin.act.row_bytes(lin.cols);
    let nr = o.len() / t;
    let w = lin.rows_bytes(bytes, r0, nr);
    match lin.gemm {
        Some(gemm) => gemm(kernels::Gemm {
            w,
            row_bytes: lin.row_bytes,
            rows: nr,
            act,
            act_row_bytes: arb,
            cols: t,
            n: lin.cols,
            out: o,
            out_stride: nr,
        }),
        None => {
            for tt in 0..t {
                let a = &act[tt * arb..(tt + 1) * arb];
                for j in 0..nr {
                    o[tt * nr + j] =
                        (lin.dot)(&w[j * lin.row_bytes..(j + 1) * lin.row_bytes], a, lin.cols);
                }
            }
        }
    }
}

/// `out[t][r] = W[r] · act[t]` for `t` activation rows.
pub(super) fn matmul(
    pool: &ThreadPool,
    bytes: &[u8],
    lin: &Linear,
    act: &[u8],
    t: usize,
    out: &mut [f32],
    tmp: &mut Vec<f32>,
) {
    let rows = lin.rows;
    let threads = pool.threads();
    let block = |r0: usize, o: &mut [f32]| rows_block(bytes, lin, act, t, r0, o);
    if t == 1 {
        let chunk = rows
            .div_ceil(threads * 4)
            .max(16)
            .next_multiple_of(lin.row_align());
        pool.run_chunks(&mut out[..rows], chunk, &|ci, o| block(ci * chunk, o));
        return;
    }
    let chunk = 16usize.min(rows);
    tmp.resize(rows * t, 0.0);
    pool.run_chunks(&mut tmp[..rows * t], chunk * t, &|ci, o| {
        block(ci * chunk, o)
    });
    for (ci, blk) in tmp[..rows * t].chunks(chunk * t).enumerate() {
        let r0 = ci * chunk;
        let nr = blk.len() / t;
        for tt in 0..t {
            out[tt * rows + r0..tt * rows + r0 + nr].copy_from_slice(&blk[tt * nr..(tt + 1) * nr]);
        }
    }
}
