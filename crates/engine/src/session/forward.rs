//! The forward pass over a batch of sequences: embeddings, the layers with
//! attention over each sequence's KV cache, and the logits asked for.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::kernels;
use crate::kv::{self, KvView, Sequence, BLOCK};
use crate::quant::{self};

use super::batch::{Part, Tok};
use super::engine::Engine;
use super::layers::{attention, rms_norm_in_place, rms_norm_rows, rope};
use super::matmul::{act_slot, matmul, matmul_group, prepare_act};
use super::options::SeqId;

impl Engine {
    pub(super) fn step_parts(&mut self, batch: &[Part<'_>]) -> Result<Vec<Vec<Vec<f32>>>> {
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
            s.reserve(item.tokens.len(), self.opts.kv_type, n_layer, kvd);
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
                let views: Vec<KvView<'_>> = blocks
                    .iter()
                    .map(|b| kv::views(b, kvd).expect("blocks of BLOCK rows"))
                    .collect();
                let isa = model.isa;
                let q = &s.q;
                let group = c.n_head / c.n_head_kv;
                let scale = 1.0 / (hd as f32).sqrt();
                pool.run_chunks(&mut s.att, hd, &|i, out| {
                    let (ti, h) = (i / c.n_head, i % c.n_head);
                    let tk = toks[ti];
                    let kvh = h / group;
                    let qh = &q[ti * qd + h * hd..ti * qd + (h + 1) * hd];
                    let kv = views[tk.seq];
                    attention(qh, kv, tk.pos + 1, kvh * hd, scale, out, tk.single, isa);
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
