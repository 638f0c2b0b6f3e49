//! Embeddings: a batch of texts through the model in one call — no
//! sampling, and no KV cache kept once the call returns — giving one vector
//! per text: the hidden states after the model's final norm, pooled as the
//! file's `<arch>.pooling_type` says, scaled to unit length (so that a dot
//! product is the cosine similarity).
//!
//! The engine runs decoder models only, whose files rarely carry a pooling
//! type; for them the mean over all tokens is the default, as with
//! llama.cpp's `--pooling mean`. This module is not a retrieval index or a
//! reranker; the gateway serves it as `POST /v1/embeddings`.

use crate::error::{Error, Result};
use crate::gguf::Value;
use crate::model::Model;
use crate::session::{rms_norm_rows, BatchItem, Engine};
use crate::tokenizer::TokenId;

/// How the hidden states of a text's tokens become one vector; the values
/// of llama.cpp's `llama_pooling_type`, which GGUF files store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// The mean over all tokens.
    Mean,
    /// The first token (BERT's `[CLS]`).
    Cls,
    /// The last token (decoder embedding models such as Qwen3-Embedding).
    Last,
}

impl Pooling {
    /// The pooling the model's metadata asks for.
    pub fn of(model: &Model) -> Result<Pooling> {
        let key = format!("{}.pooling_type", model.config.arch);
        Pooling::from_metadata(model.header().get(&key)).map_err(|what| {
            Error::Model(format!(
                "`{key}` = {what} is not supported (supported: mean, cls, last)"
            ))
        })
    }

    /// Reads the stored value: llama.cpp writes its enum as an integer.
    /// `none` (0) asks for one vector per token, which an embeddings API
    /// cannot return; it falls back to the mean, as does a missing key.
    fn from_metadata(value: Option<&Value>) -> Result<Pooling, String> {
        let Some(value) = value else {
            return Ok(Pooling::Mean);
        };
        match (value.as_u64(), value.as_str()) {
            (Some(0 | 1), _) | (_, Some("none" | "mean")) => Ok(Pooling::Mean),
            (Some(2), _) | (_, Some("cls")) => Ok(Pooling::Cls),
            (Some(3), _) | (_, Some("last")) => Ok(Pooling::Last),
            (Some(n), _) => Err(n.to_string()),
            (None, Some(s)) => Err(format!("`{s}`")),
            (None, None) => Err(format!("{value:?}")),
        }
    }
}

/// The tokens of `text` as embeddings see them: with the BOS/EOS the model
/// adds to every text, and control tokens written in the text kept as
/// plain text (a user's text must not inject `<|im_start|>`).
pub fn tokenize(model: &Model, text: &str) -> Vec<TokenId> {
    model.tokenizer.encode(text, true, false)
}

impl Engine {
    /// One unit-length vector of `n_embd` values per input, in order. The
    /// inputs are run side by side in steps of up to `max_batch_tokens`
    /// tokens, each in a sequence of its own that is freed at once, so
    /// memory stays bounded however many inputs come. An input with no
    /// tokens is refused, as is one longer than the context (`n_ctx`).
    pub fn embed<T: AsRef<[TokenId]>>(&mut self, inputs: &[T]) -> Result<Vec<Vec<f32>>> {
        let pooling = Pooling::of(self.model())?;
        let n_ctx = self.options().n_ctx;
        for (i, input) in inputs.iter().enumerate() {
            match input.as_ref().len() {
                0 => return Err(Error::Invalid(format!("input {i} has no tokens"))),
                n if n > n_ctx => {
                    return Err(Error::ContextFull {
                        tokens: n,
                        context: n_ctx,
                    })
                }
                _ => {}
            }
        }
        let budget = self.options().max_batch_tokens;
        let mut out = Vec::with_capacity(inputs.len());
        let mut start = 0;
        while start < inputs.len() {
            // At least one input per group, then as many as fit the budget.
            let mut end = start + 1;
            let mut tokens = inputs[start].as_ref().len();
            while end < inputs.len() && tokens + inputs[end].as_ref().len() <= budget {
                tokens += inputs[end].as_ref().len();
                end += 1;
            }
            out.extend(self.embed_group(&inputs[start..end], pooling)?);
            start = end;
        }
        Ok(out)
    }

    /// One forward pass (split by `step` if need be) over a group of inputs.
    fn embed_group<T: AsRef<[TokenId]>>(
        &mut self,
        inputs: &[T],
        pooling: Pooling,
    ) -> Result<Vec<Vec<f32>>> {
        let seqs: Vec<_> = inputs.iter().map(|_| self.new_sequence()).collect();
        let batch: Vec<BatchItem<'_>> = seqs
            .iter()
            .zip(inputs)
            .map(|(&seq, input)| BatchItem {
                seq,
                tokens: input.as_ref(),
                logits: false,
            })
            .collect();
        self.hidden = Some(Vec::new());
        let stepped = self.step(&batch);
        let hidden = self.hidden.take().unwrap_or_default();
        for seq in seqs {
            self.remove_sequence(seq);
        }
        stepped?;
        let model = self.model();
        let (d, eps) = (model.config.n_embd, model.config.norm_eps);
        let total: usize = inputs.iter().map(|i| i.as_ref().len()).sum();
        if hidden.len() != total * d {
            return Err(Error::Invalid(format!(
                "the forward pass gave {} hidden values for {total} tokens of {d}",
                hidden.len()
            )));
        }
        let mut rows = hidden.chunks_exact(d);
        let mut out = Vec::with_capacity(inputs.len());
        for input in inputs {
            let n = input.as_ref().len();
            let own: Vec<&[f32]> = rows.by_ref().take(n).collect();
            let picked: Vec<f32> = match pooling {
                Pooling::Mean => own.concat(),
                Pooling::Cls => own[0].to_vec(),
                Pooling::Last => own[n - 1].to_vec(),
            };
            let mut normed = vec![0f32; picked.len()];
            rms_norm_rows(&picked, &mut normed, &model.output_norm, d, eps);
            let mut v = vec![0f32; d];
            for row in normed.chunks_exact(d) {
                v.iter_mut().zip(row).for_each(|(a, &x)| *a += x);
            }
            out.push(unit_length(v));
        }
        Ok(out)
    }
}

/// `v` scaled to length one (a zero vector stays zero). Mean pooling needs
/// no division by the count first: the scale cancels here.
fn unit_length(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    if norm > 0.0 {
        let inv = (1.0 / norm) as f32;
        v.iter_mut().for_each(|x| *x *= inv);
    }
    v
}

/// The cosine similarity of two unit-length vectors.
pub fn similarity(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::EngineOptions;
    use crate::test_support::test_model;

    fn engine(max_batch_tokens: usize) -> Option<Engine> {
        let model = Model::load(&test_model()?).expect("model").shared();
        Some(Engine::new(
            model,
            EngineOptions {
                threads: 2,
                n_ctx: 256,
                max_batch_tokens,
                ..Default::default()
            },
        ))
    }

    fn embed(e: &mut Engine, texts: &[&str]) -> Vec<Vec<f32>> {
        let tokens: Vec<Vec<TokenId>> = texts.iter().map(|t| tokenize(e.model(), t)).collect();
        e.embed(&tokens).expect("embeddings")
    }

    #[test]
    fn pooling_follows_llama_cpps_numbers_and_defaults_to_the_mean() {
        assert_eq!(Pooling::from_metadata(None), Ok(Pooling::Mean));
        assert_eq!(
            Pooling::from_metadata(Some(&Value::U32(1))),
            Ok(Pooling::Mean)
        );
        assert_eq!(
            Pooling::from_metadata(Some(&Value::U32(0))),
            Ok(Pooling::Mean)
        );
        assert_eq!(
            Pooling::from_metadata(Some(&Value::U32(2))),
            Ok(Pooling::Cls)
        );
        assert_eq!(
            Pooling::from_metadata(Some(&Value::I32(3))),
            Ok(Pooling::Last)
        );
        assert_eq!(
            Pooling::from_metadata(Some(&Value::String("last".into()))),
            Ok(Pooling::Last)
        );
        assert_eq!(
            Pooling::from_metadata(Some(&Value::U32(4))),
            Err("4".into())
        );
    }

    #[test]
    fn the_same_text_gives_the_same_unit_vector_of_the_models_width() {
        let Some(mut e) = engine(512) else { return };
        let width = e.model().config.n_embd;
        let before = e.new_sequence();
        e.remove_sequence(before);
        let a = embed(&mut e, &["Die Stadtbibliothek hat montags geschlossen."]);
        let b = embed(&mut e, &["Die Stadtbibliothek hat montags geschlossen."]);
        assert_eq!(a, b);
        // No KV cache is kept beyond the call.
        assert_eq!(e.sequence_len(before + 1), None);
        assert_eq!(e.sequence_len(before + 2), None);
        assert_eq!(a[0].len(), width);
        let length: f32 = a[0].iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((length - 1.0).abs() < 1e-4, "length {length}");
    }

    #[test]
    fn a_batch_gives_what_each_text_gives_alone() {
        // A budget of 16 tokens splits the batch into several steps, and the
        // long text into several chunks of one step.
        let Some(mut e) = engine(16) else { return };
        let texts = [
            "Hallo",
            "The council meets on Tuesday to vote on the new budget for the city library.",
            "Müllabfuhr",
        ];
        let together = embed(&mut e, &texts);
        assert_eq!(together.len(), 3);
        for (text, batched) in texts.iter().zip(&together) {
            let alone = embed(&mut e, &[text]).remove(0);
            let cos = similarity(&alone, batched);
            assert!(cos > 0.9999, "{text}: cosine {cos}");
        }
    }

    #[test]
    fn a_paraphrase_is_closer_than_an_unrelated_text() {
        // SmolLM2 knows English only: on German pairs the property does not
        // hold (measured), on English ones it does with a wide margin
        // (about 0.93–0.96 against 0.70–0.73).
        let Some(mut e) = engine(512) else { return };
        for [text, paraphrase, unrelated] in [
            [
                "The cat sat on the mat.",
                "A cat was sitting on the mat.",
                "Quarterly tax revenue rose by four percent.",
            ],
            [
                "How do I renew my passport?",
                "What is the process for renewing a passport?",
                "The weather in Hamburg is rainy today.",
            ],
        ] {
            let v = embed(&mut e, &[text, paraphrase, unrelated]);
            let (near, far) = (similarity(&v[0], &v[1]), similarity(&v[0], &v[2]));
            assert!(
                near > far + 0.1,
                "{text}: paraphrase {near}, unrelated {far}"
            );
        }
    }

    #[test]
    fn inputs_longer_than_the_context_or_empty_are_refused() {
        let Some(mut e) = engine(512) else { return };
        let long = vec![1 as TokenId; 257];
        assert!(matches!(
            e.embed(&[vec![1 as TokenId; 3], long]),
            Err(Error::ContextFull {
                tokens: 257,
                context: 256
            })
        ));
        assert!(matches!(
            e.embed(&[Vec::<TokenId>::new()]),
            Err(Error::Invalid(_))
        ));
        assert!(e.embed::<Vec<TokenId>>(&[]).unwrap().is_empty());
    }
}
