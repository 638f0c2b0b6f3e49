//! Running a loaded model: sequences with their own KV cache (f16, in
//! blocks shared with the prefix cache), and [`Engine::step`], which
//! advances any mix of sequences by any number of tokens in one forward
//! pass — prompt chunks and single decode tokens side by side — so that a
//! server can build continuous batching on top.

use std::collections::HashMap;
use std::sync::Arc;

use half::f16;

use crate::error::{Error, Result};
use crate::kernels::{self, KvRows, ThreadPool};
use crate::kv::{self, Sequence, BLOCK};
use crate::model::{Linear, Model, RopeStyle};
use crate::prefix_cache::{PrefixCache, PrefixCacheStats};
use crate::quant::{self, ActType};
use crate::tokenizer::TokenId;

pub use crate::generate::{GenerateOptions, Generation};

pub type SeqId = u64;

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Worker threads including the caller; default: physical cores.
    pub threads: usize,
    /// Longest sequence (prompt + answer) in tokens.
    pub n_ctx: usize,
    /// Most tokens in one forward pass; longer steps are split. The
    /// scratch memory of a pass grows with it (for a 1B model ~110 KB per
    /// token), while the speed of a long prompt hardly does: the weights
    /// stay in cache across a pass's tokens either way.
    pub max_batch_tokens: usize,
    /// Memory for the KV blocks of recent prompts, which a request
    /// starting with the same tokens reuses instead of computing them
    /// ([`Engine::new_sequence_for`]); 0 turns the prefix cache off.
    pub prefix_cache_bytes: usize,
}

/// The default prefix cache: 512 MiB, for SmolLM2 (23 KB per token) some
/// 23,000 tokens of prompts, for a 7B model with grouped KV heads (~57 KB)
/// some 9,000: an assistant's long instructions and the histories of a
/// few chats at once.
pub const DEFAULT_PREFIX_CACHE_BYTES: usize = 512 << 20;

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            threads: physical_cores(),
            n_ctx: 4096,
            max_batch_tokens: 128,
            prefix_cache_bytes: DEFAULT_PREFIX_CACHE_BYTES,
        }
    }
}

/// Counters of an engine since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Tokens computed in steps of several tokens of a sequence (prompts).
    pub prefill_tokens: u64,
    /// Tokens computed one per sequence and step (decoding).
    pub decode_tokens: u64,
    pub prefix_cache: PrefixCacheStats,
}

/// Physical cores of this machine (logical CPUs when unknown).
pub fn physical_cores() -> usize {
    let logical = std::thread::available_parallelism().map_or(1, |n| n.get());
    let Ok(info) = std::fs::read_to_string("/proc/cpuinfo") else {
        return logical;
    };
    let mut cores = std::collections::HashSet::new();
    let mut phys = "";
    for line in info.lines() {
        if let Some(v) = line.strip_prefix("physical id") {
            phys = v.trim_start_matches([' ', '\t', ':']);
        } else if let Some(v) = line.strip_prefix("core id") {
            cores.insert((
                phys.to_owned(),
                v.trim_start_matches([' ', '\t', ':']).to_owned(),
            ));
        }
    }
    if cores.is_empty() {
        logical
    } else {
        cores.len().min(logical)
    }
}

/// Part of a step: append `tokens` to sequence `seq`; with `logits`, return
/// the logits after its last token.
#[derive(Debug, Clone, Copy)]
pub struct BatchItem<'a> {
    pub seq: SeqId,
    pub tokens: &'a [TokenId],
    pub logits: bool,
}

#[derive(Debug, Default)]
struct Scratch {
    x: Vec<f32>,
    xn: Vec<f32>,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    att: Vec<f32>,
    proj: Vec<f32>,
    gate: Vec<f32>,
    up: Vec<f32>,
    tmp: Vec<f32>,
    acts: [Vec<u8>; 4],
}

/// A model plus the mutable state of its sequences and its thread pool.
pub struct Engine {
    model: Arc<Model>,
    pool: ThreadPool,
    opts: EngineOptions,
    seqs: HashMap<SeqId, Sequence>,
    next_id: SeqId,
    prefix_cache: PrefixCache,
    stats: EngineStats,
    s: Scratch,
    /// While set, every forward pass appends each token's hidden state
    /// before the final norm (rows of `n_embd`): the hook [`crate::embed`]
    /// reads; decoding leaves it `None`.
    pub(crate) hidden: Option<Vec<f32>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("opts", &self.opts)
            .field("sequences", &self.seqs.len())
            .finish()
    }
}

/// A sequence's turn in [`Engine::step_drafts`]: the token sampled last,
/// then the guessed tokens to check.
#[derive(Debug, Clone, Copy)]
pub struct DraftItem<'a> {
    pub seq: SeqId,
    pub tokens: &'a [TokenId],
}

/// What a step does with one sequence's tokens.
#[derive(Debug, Clone, Copy)]
struct Part<'a> {
    seq: SeqId,
    tokens: &'a [TokenId],
    logits: bool,
    /// Logits after every token, not only the last.
    every: bool,
    /// Each token as a decode step of its own (attention's single-token
    /// path), not as a prompt.
    decode: bool,
}

/// One token of a forward pass.
#[derive(Debug, Clone, Copy)]
struct Tok {
    token: TokenId,
    seq: usize,
    pos: usize,
    /// The only token of its sequence in this step (a decode step). Its
    /// attention takes llama.cpp's single-token path whether or not other
    /// sequences share the step, so that a sequence's numbers do not
    /// depend on what it is batched with.
    single: bool,
}

fn act_slot(a: ActType) -> usize {
    match a {
        ActType::F32 => 0,
        ActType::Q8_0 => 1,
        ActType::Q8_1 => 2,
        ActType::Q8K => 3,
    }
}

impl Engine {
    pub fn new(model: Arc<Model>, mut opts: EngineOptions) -> Self {
        opts.threads = opts.threads.max(1);
        opts.n_ctx = opts.n_ctx.max(1);
        opts.max_batch_tokens = opts.max_batch_tokens.max(1);
        Self {
            pool: ThreadPool::new(opts.threads),
            prefix_cache: PrefixCache::new(opts.prefix_cache_bytes),
            model,
            opts,
            seqs: HashMap::new(),
            next_id: 1,
            stats: EngineStats::default(),
            s: Scratch::default(),
            hidden: None,
        }
    }

    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    pub fn options(&self) -> &EngineOptions {
        &self.opts
    }

    /// Counters since the engine started.
    pub fn stats(&self) -> EngineStats {
        EngineStats {
            prefix_cache: self.prefix_cache.stats(),
            ..self.stats
        }
    }

    /// Starts an empty sequence.
    pub fn new_sequence(&mut self) -> SeqId {
        let id = self.next_id;
        self.next_id += 1;
        self.seqs.insert(id, Sequence::default());
        id
    }

    /// Starts a sequence for `prompt` from the longest prefix of it in the
    /// prefix cache. Returns the sequence and how many leading tokens of
    /// `prompt` it already holds; the caller feeds the rest. At least two
    /// tokens are always left to feed, so that the last ones go through
    /// the same prompt path as without the cache (a single token would
    /// take the decode path) and the answer stays the same bit for bit.
    pub fn new_sequence_for(&mut self, prompt: &[TokenId]) -> (SeqId, usize) {
        let (blocks, n) = self
            .prefix_cache
            .lookup(prompt, prompt.len().saturating_sub(2));
        let id = self.next_id;
        self.next_id += 1;
        self.seqs
            .insert(id, Sequence::from_prefix(blocks, &prompt[..n]));
        (id, n)
    }

    /// Frees a sequence; the KV blocks of its prompt stay in the prefix
    /// cache (within its budget) for later requests with the same prefix.
    pub fn remove_sequence(&mut self, id: SeqId) {
        if let Some(s) = self.seqs.remove(&id) {
            self.prefix_cache
                .insert(&s.tokens[..s.exact], &s.blocks, true);
        }
    }

    /// Tokens in the sequence's cache.
    pub fn sequence_len(&self, id: SeqId) -> Option<usize> {
        self.seqs.get(&id).map(|s| s.len)
    }

    /// Forgets everything after the first `len` tokens (to reuse a shared
    /// prompt prefix or retry).
    pub fn truncate_sequence(&mut self, id: SeqId, len: usize) -> Result<()> {
        let s = self.seqs.get_mut(&id).ok_or(Error::UnknownSequence(id))?;
        s.truncate(len);
        Ok(())
    }

    /// Advances the sequences in `batch` by their tokens in one forward pass
    /// (split when longer than `max_batch_tokens`). Returns, per item, the
    /// logits after its last token when it asked for them.
    pub fn step(&mut self, batch: &[BatchItem<'_>]) -> Result<Vec<Option<Vec<f32>>>> {
        Ok(self.step_drafts(batch, &[])?.0)
    }

    /// As [`Engine::step`], with, in the same forward pass, sequences that
    /// check guessed tokens ([`crate::draft`]): each token of a
    /// [`DraftItem`] is computed exactly as a decode step of its own would
    /// compute it, and the logits after every one of them come back (the
    /// second list). The caller keeps the guesses those logits confirm and
    /// truncates the sequence after the last token kept.
    #[allow(clippy::type_complexity)]
    pub fn step_drafts(
        &mut self,
        batch: &[BatchItem<'_>],
        drafts: &[DraftItem<'_>],
    ) -> Result<(Vec<Option<Vec<f32>>>, Vec<Vec<Vec<f32>>>)> {
        let parts: Vec<Part<'_>> = batch
            .iter()
            .map(|item| Part {
                seq: item.seq,
                tokens: item.tokens,
                every: false,
                logits: item.logits,
                decode: item.tokens.len() == 1,
            })
            .chain(drafts.iter().map(|d| Part {
                seq: d.seq,
                tokens: d.tokens,
                every: true,
                logits: true,
                decode: true,
            }))
            .collect();
        let mut out = self.step_parts(&parts)?;
        let checked = out.split_off(batch.len());
        Ok((out.into_iter().map(|mut l| l.pop()).collect(), checked))
    }

    fn step_parts(&mut self, batch: &[Part<'_>]) -> Result<Vec<Vec<Vec<f32>>>> {
        let vocab = self.model.tokenizer.vocab_size();
        let mut order: Vec<SeqId> = Vec::new();
        for item in batch {
            if order.contains(&item.seq) {
                return Err(Error::Invalid(format!(
                    "sequence {} appears twice in one step",
                    item.seq
                )));
            }
            let s = self
                .seqs
                .get(&item.seq)
                .ok_or(Error::UnknownSequence(item.seq))?;
            if s.len + item.tokens.len() > self.opts.n_ctx {
                return Err(Error::ContextFull {
                    tokens: s.len + item.tokens.len(),
                    context: self.opts.n_ctx,
                });
            }
            if let Some(&t) = item.tokens.iter().find(|&&t| t as usize >= vocab) {
                return Err(Error::Invalid(format!(
                    "token id {t} is outside the vocabulary of {vocab}"
                )));
            }
            if item.logits && item.tokens.is_empty() {
                return Err(Error::Invalid(
                    "logits asked for a step without tokens".into(),
                ));
            }
            order.push(item.seq);
        }
        let mut states: Vec<Sequence> = order
            .iter()
            .map(|id| self.seqs.remove(id).unwrap_or_default())
            .collect();
        let (n_layer, kvd) = (self.model.config.n_layer, self.model.config.kv_dim());
        let mut toks = Vec::new();
        let mut want = Vec::new();
        for (i, item) in batch.iter().enumerate() {
            let s = &mut states[i];
            s.reserve(item.tokens.len(), n_layer, kvd);
            s.tokens.extend_from_slice(item.tokens);
            if item.decode {
                self.stats.decode_tokens += item.tokens.len() as u64;
            } else {
                self.stats.prefill_tokens += item.tokens.len() as u64;
            }
            let start = s.len;
            for (j, &token) in item.tokens.iter().enumerate() {
                if item.logits && (item.every || j + 1 == item.tokens.len()) {
                    want.push((toks.len(), i));
                }
                toks.push(Tok {
                    token,
                    seq: i,
                    pos: start + j,
                    single: item.decode,
                });
            }
        }
        let mut out: Vec<Vec<Vec<f32>>> = vec![Vec::new(); batch.len()];
        let chunk = self.opts.max_batch_tokens;
        for (c, part) in toks.chunks(chunk).enumerate() {
            let base = c * chunk;
            let rows: Vec<(usize, usize)> = want
                .iter()
                .filter(|(r, _)| (base..base + part.len()).contains(r))
                .map(|&(r, i)| (r - base, i))
                .collect();
            let logits = self.forward(
                part,
                &mut states,
                &rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            );
            for ((_, item), l) in rows.iter().zip(logits) {
                out[*item].push(l);
            }
        }
        for ((id, mut s), item) in order.into_iter().zip(states).zip(batch) {
            let before = s.len - item.tokens.len();
            if !item.decode && s.exact == before {
                s.exact = s.len;
            }
            // Whole blocks of a prompt go into the prefix cache as soon as
            // they are complete, so that a request arriving while this one
            // still runs finds them.
            let whole = s.exact / BLOCK;
            if whole > s.published {
                self.prefix_cache
                    .insert(&s.tokens[..whole * BLOCK], &s.blocks, false);
                s.published = whole;
            }
            self.seqs.insert(id, s);
        }
        Ok(out)
    }

    fn forward(
        &mut self,
        toks: &[Tok],
        seqs: &mut [Sequence],
        logit_rows: &[usize],
    ) -> Vec<Vec<f32>> {
        let model = Arc::clone(&self.model);
        let c = &model.config;
        let bytes = model.bytes();
        let pool = &self.pool;
        let t = toks.len();
        let (d, qd, kvd, hd) = (c.n_embd, c.q_dim(), c.kv_dim(), c.head_dim);
        let s = &mut self.s;
        s.x.resize(t * d, 0.0);
        s.xn.resize(t * d, 0.0);
        s.q.resize(t * qd, 0.0);
        s.k.resize(t * kvd, 0.0);
        s.v.resize(t * kvd, 0.0);
        s.att.resize(t * qd, 0.0);
        s.proj.resize(t * d, 0.0);
        s.gate.resize(t * c.n_ff, 0.0);
        s.up.resize(t * c.n_ff, 0.0);

        let mut row = vec![0f32; d];
        for (i, tk) in toks.iter().enumerate() {
            let e = &model.tok_embd;
            quant::dequantize_row(e.ty, e.row(bytes, tk.token as usize), &mut row);
            s.x[i * d..(i + 1) * d].copy_from_slice(&row);
        }

        for (li, layer) in model.layers.iter().enumerate() {
            rms_norm_rows(&s.x, &mut s.xn, &layer.attn_norm, d, c.norm_eps);
            let mut fresh = [false; 4];
            for lin in [&layer.wq, &layer.wk, &layer.wv] {
                prepare_act(pool, &mut s.acts, &mut fresh, lin.act, &s.xn, d);
            }
            matmul_group(
                pool,
                bytes,
                t,
                &mut s.tmp,
                &mut [
                    (&layer.wq, &s.acts[act_slot(layer.wq.act)], &mut s.q[..]),
                    (&layer.wk, &s.acts[act_slot(layer.wk.act)], &mut s.k[..]),
                    (&layer.wv, &s.acts[act_slot(layer.wv.act)], &mut s.v[..]),
                ],
            );
            for (buf, bias, dim) in [
                (&mut s.q, &layer.bq, qd),
                (&mut s.k, &layer.bk, kvd),
                (&mut s.v, &layer.bv, kvd),
            ] {
                if let Some(b) = bias {
                    for r in buf.chunks_exact_mut(dim) {
                        r.iter_mut().zip(b).for_each(|(x, b)| *x += b);
                    }
                }
            }
            if let (Some(qn), Some(kn)) = (&layer.q_norm, &layer.k_norm) {
                for h in s.q.chunks_exact_mut(hd) {
                    rms_norm_in_place(h, qn, c.norm_eps);
                }
                for h in s.k.chunks_exact_mut(hd) {
                    rms_norm_in_place(h, kn, c.norm_eps);
                }
            }
            for (i, tk) in toks.iter().enumerate() {
                rope(
                    &mut s.q[i * qd..(i + 1) * qd],
                    tk.pos,
                    c,
                    model.rope_freqs.as_deref(),
                );
                rope(
                    &mut s.k[i * kvd..(i + 1) * kvd],
                    tk.pos,
                    c,
                    model.rope_freqs.as_deref(),
                );
                seqs[tk.seq].write(
                    li,
                    tk.pos,
                    &s.k[i * kvd..(i + 1) * kvd],
                    &s.v[i * kvd..(i + 1) * kvd],
                );
            }
            {
                let blocks: Vec<_> = seqs.iter().map(|sq| sq.layer_blocks(li)).collect();
                let views: Vec<(KvRows<'_>, KvRows<'_>)> = blocks
                    .iter()
                    .map(|(k, v)| kv::views(k, v, kvd).expect("blocks of BLOCK rows"))
                    .collect();
                let q = &s.q;
                let group = c.n_head / c.n_head_kv;
                let scale = 1.0 / (hd as f32).sqrt();
                pool.run_chunks(&mut s.att, hd, &|i, out| {
                    let (ti, h) = (i / c.n_head, i % c.n_head);
                    let tk = toks[ti];
                    let kvh = h / group;
                    let qh = &q[ti * qd + h * hd..ti * qd + (h + 1) * hd];
                    let (kc, vc) = views[tk.seq];
                    attention(qh, kc, vc, tk.pos + 1, kvh * hd, scale, out, tk.single);
                });
            }
            let mut fresh = [false; 4];
            prepare_act(pool, &mut s.acts, &mut fresh, layer.wo.act, &s.att, qd);
            matmul(
                pool,
                bytes,
                &layer.wo,
                &s.acts[act_slot(layer.wo.act)],
                t,
                &mut s.proj,
                &mut s.tmp,
            );
            s.x.iter_mut().zip(&s.proj).for_each(|(x, p)| *x += p);

            rms_norm_rows(&s.x, &mut s.xn, &layer.ffn_norm, d, c.norm_eps);
            let mut fresh = [false; 4];
            for lin in [&layer.gate, &layer.up] {
                prepare_act(pool, &mut s.acts, &mut fresh, lin.act, &s.xn, d);
            }
            matmul_group(
                pool,
                bytes,
                t,
                &mut s.tmp,
                &mut [
                    (
                        &layer.gate,
                        &s.acts[act_slot(layer.gate.act)],
                        &mut s.gate[..],
                    ),
                    (&layer.up, &s.acts[act_slot(layer.up.act)], &mut s.up[..]),
                ],
            );
            kernels::silu(&mut s.gate);
            s.gate.iter_mut().zip(&s.up).for_each(|(g, u)| *g *= u);
            let mut fresh = [false; 4];
            prepare_act(
                pool,
                &mut s.acts,
                &mut fresh,
                layer.down.act,
                &s.gate,
                c.n_ff,
            );
            matmul(
                pool,
                bytes,
                &layer.down,
                &s.acts[act_slot(layer.down.act)],
                t,
                &mut s.proj,
                &mut s.tmp,
            );
            s.x.iter_mut().zip(&s.proj).for_each(|(x, p)| *x += p);
        }
        if let Some(hidden) = self.hidden.as_mut() {
            hidden.extend_from_slice(&s.x[..t * d]);
        }
        for tk in toks {
            let sq = &mut seqs[tk.seq];
            sq.len = sq.len.max(tk.pos + 1);
        }
        if logit_rows.is_empty() {
            return Vec::new();
        }
        let n = logit_rows.len();
        let mut sel = Vec::with_capacity(n * d);
        for &r in logit_rows {
            sel.extend_from_slice(&s.x[r * d..(r + 1) * d]);
        }
        let mut normed = vec![0f32; n * d];
        rms_norm_rows(&sel, &mut normed, &model.output_norm, d, c.norm_eps);
        let out_lin = &model.output;
        let mut fresh = [false; 4];
        prepare_act(pool, &mut s.acts, &mut fresh, out_lin.act, &normed, d);
        let mut logits = vec![0f32; n * out_lin.rows];
        matmul(
            pool,
            bytes,
            out_lin,
            &s.acts[act_slot(out_lin.act)],
            n,
            &mut logits,
            &mut s.tmp,
        );
        logits
            .chunks_exact(out_lin.rows)
            .map(<[f32]>::to_vec)
            .collect()
    }
}

/// Quantises `x` (rows of `cols`) for weights wanting `act`, once per
/// activation type and input.
fn prepare_act(
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
fn matmul_group(
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
fn matmul(
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

fn rms_norm_in_place(x: &mut [f32], w: &[f32], eps: f32) {
    let sum: f64 = x.iter().map(|&v| f64::from(v * v)).sum();
    let scale = 1.0 / ((sum / x.len() as f64) as f32 + eps).sqrt();
    x.iter_mut().zip(w).for_each(|(v, w)| *v = (*v * scale) * w);
}

/// Rotates every head in `x` for position `pos`; angles as ggml computes
/// them (repeated multiplication in f32).
fn rope(x: &mut [f32], pos: usize, c: &crate::model::Config, freqs: Option<&[f32]>) {
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
fn attention(
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
