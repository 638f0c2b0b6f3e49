//! Choosing the next token from logits (greedy, temperature, top-k, top-p,
//! min-p, repetition/presence/frequency penalties, seeded), and turning
//! tokens back into text as they come: UTF-8 characters split over tokens
//! are held back until complete, and text that might begin a stop string
//! is held back until it is clear.

use crate::tokenizer::TokenId;

/// Sampling settings; the default is greedy.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplerOptions {
    /// 0 means greedy (argmax).
    pub temperature: f32,
    /// 0 disables.
    pub top_k: usize,
    /// 1 disables.
    pub top_p: f32,
    /// 0 disables.
    pub min_p: f32,
    /// 1 disables; divides positive logits (multiplies negative ones) of
    /// tokens seen in the last `penalty_last_n`.
    pub repeat_penalty: f32,
    pub presence_penalty: f32,
    pub frequency_penalty: f32,
    pub penalty_last_n: usize,
    pub seed: u64,
}

impl Default for SamplerOptions {
    fn default() -> Self {
        Self {
            temperature: 0.0,
            top_k: 0,
            top_p: 1.0,
            min_p: 0.0,
            repeat_penalty: 1.0,
            presence_penalty: 0.0,
            frequency_penalty: 0.0,
            penalty_last_n: 64,
            seed: 0x5eed,
        }
    }
}

impl SamplerOptions {
    /// What llama.cpp and Ollama sample with when neither the request nor
    /// the model says otherwise. Plain temperature 1.0 over the whole
    /// vocabulary lets a small model wander into noise; the cut-offs keep
    /// it to the tokens it actually considers likely.
    pub fn recommended() -> Self {
        Self {
            temperature: 0.8,
            top_k: 40,
            top_p: 0.95,
            min_p: 0.05,
            ..Self::default()
        }
    }

    /// The model's own recommendation (`general.sampling.*`, as llama.cpp
    /// reads it from GGUF files), each key that is missing or out of range
    /// taken from [`SamplerOptions::recommended`].
    pub fn from_metadata(h: &crate::gguf::Header) -> Self {
        let mut o = Self::recommended();
        let f = |key: &str, lo: f64, hi: f64| {
            h.get_f64(&format!("general.sampling.{key}"))
                .filter(|v| (lo..=hi).contains(v))
                .map(|v| v as f32)
        };
        if let Some(v) = f("temp", 0.0, 2.0) {
            o.temperature = v;
        }
        if let Some(v) = f("top_p", 0.0, 1.0) {
            o.top_p = v;
        }
        if let Some(v) = f("min_p", 0.0, 1.0) {
            o.min_p = v;
        }
        if let Some(v) = f("penalty_repeat", 0.0, 10.0) {
            o.repeat_penalty = v;
        }
        let n = |key: &str| {
            h.get_u64(&format!("general.sampling.{key}"))
                .and_then(|v| usize::try_from(v).ok())
        };
        if let Some(v) = n("top_k").filter(|&k| k <= 1 << 20) {
            o.top_k = v;
        }
        if let Some(v) = n("penalty_last_n").filter(|&k| (1..=1 << 16).contains(&k)) {
            o.penalty_last_n = v;
        }
        o
    }
}

/// Picks tokens; remembers recent ones for the penalties.
#[derive(Debug, Clone)]
pub struct Sampler {
    opts: SamplerOptions,
    state: u64,
    recent: Vec<TokenId>,
}

impl Sampler {
    pub fn new(opts: SamplerOptions) -> Self {
        Self {
            state: opts.seed ^ 0x9E37_79B9_7F4A_7C15,
            opts,
            recent: Vec::new(),
        }
    }

    /// Records a token that is part of the context (prompt or generated).
    pub fn accept(&mut self, t: TokenId) {
        self.recent.push(t);
        let keep = self.opts.penalty_last_n.max(1);
        if self.recent.len() > keep * 2 {
            self.recent.drain(..self.recent.len() - keep);
        }
    }

    fn next_f32(&mut self) -> f32 {
        // SplitMix64: small, seedable, good enough for sampling.
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Chooses the next token. Empty logits give token 0.
    pub fn sample(&mut self, logits: &[f32]) -> TokenId {
        let o = &self.opts;
        let penalise =
            o.repeat_penalty != 1.0 || o.presence_penalty != 0.0 || o.frequency_penalty != 0.0;
        let mut adjusted;
        let logits = if penalise {
            adjusted = logits.to_vec();
            let window = &self.recent[self.recent.len().saturating_sub(o.penalty_last_n)..];
            let mut counts: std::collections::HashMap<TokenId, u32> =
                std::collections::HashMap::new();
            for &t in window {
                *counts.entry(t).or_default() += 1;
            }
            for (&t, &n) in &counts {
                if let Some(l) = adjusted.get_mut(t as usize) {
                    if *l > 0.0 {
                        *l /= o.repeat_penalty;
                    } else {
                        *l *= o.repeat_penalty;
                    }
                    *l -= n as f32 * o.frequency_penalty + o.presence_penalty;
                }
            }
            &adjusted[..]
        } else {
            logits
        };
        if o.temperature <= 0.0 {
            return argmax(logits);
        }
        let mut cand: Vec<(TokenId, f32)> = logits
            .iter()
            .enumerate()
            .map(|(i, &l)| (i as TokenId, l))
            .collect();
        if cand.is_empty() {
            return 0;
        }
        let k = if o.top_k == 0 {
            cand.len()
        } else {
            o.top_k.min(cand.len())
        };
        if k < cand.len() {
            cand.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1));
            cand.truncate(k);
        }
        cand.sort_by(|a, b| b.1.total_cmp(&a.1));
        let max = cand[0].1;
        let t = o.temperature;
        let mut probs: Vec<f32> = cand.iter().map(|c| ((c.1 - max) / t).exp()).collect();
        let sum: f32 = probs.iter().sum();
        probs.iter_mut().for_each(|p| *p /= sum);
        if o.min_p > 0.0 {
            let cut = probs[0] * o.min_p;
            let keep = probs.iter().take_while(|&&p| p >= cut).count().max(1);
            probs.truncate(keep);
        }
        if o.top_p < 1.0 {
            let mut acc = 0.0;
            let mut keep = probs.len();
            for (i, p) in probs.iter().enumerate() {
                acc += p;
                if acc >= o.top_p {
                    keep = i + 1;
                    break;
                }
            }
            probs.truncate(keep);
        }
        let total: f32 = probs.iter().sum();
        let mut r = self.next_f32() * total;
        for (i, p) in probs.iter().enumerate() {
            r -= p;
            if r <= 0.0 {
                return cand[i].0;
            }
        }
        cand[probs.len() - 1].0
    }
}

/// Index of the largest logit (first among equals, as llama.cpp's greedy
/// sampler).
pub fn argmax(logits: &[f32]) -> TokenId {
    let mut best = 0;
    for (i, &l) in logits.iter().enumerate() {
        if l > logits[best] {
            best = i;
        }
    }
    best as TokenId
}

/// Why generation stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// An end-of-generation or stop token.
    Token(TokenId),
    /// A stop string; it is not part of the output.
    String(String),
    MaxTokens,
    /// The caller's callback asked to stop.
    Cancelled,
    ContextFull,
}

/// Turns generated token bytes into text chunks that are safe to show:
/// whole UTF-8 characters only, and nothing that might be the start of a
/// stop string.
#[derive(Debug, Clone, Default)]
pub struct TextStream {
    pending: Vec<u8>,
    held: String,
    stops: Vec<String>,
}

impl TextStream {
    pub fn new(stops: Vec<String>) -> Self {
        Self {
            stops: stops.into_iter().filter(|s| !s.is_empty()).collect(),
            ..Self::default()
        }
    }

    /// Adds a token's bytes; returns the text that can be shown now and,
    /// when a stop string completed, that stop string.
    pub fn push(&mut self, bytes: &[u8]) -> (String, Option<String>) {
        self.pending.extend_from_slice(bytes);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(s) => s.len(),
            Err(e) if e.error_len().is_some() => {
                // Invalid bytes, not just a cut-off character: show them as
                // U+FFFD rather than hold them forever.
                let s = String::from_utf8_lossy(&self.pending).into_owned();
                self.pending.clear();
                self.held.push_str(&s);
                return self.release();
            }
            Err(e) => e.valid_up_to(),
        };
        let text = String::from_utf8(self.pending.drain(..valid).collect()).unwrap_or_default();
        self.held.push_str(&text);
        self.release()
    }

    fn release(&mut self) -> (String, Option<String>) {
        for stop in &self.stops {
            if let Some(p) = self.held.find(stop.as_str()) {
                let out = self.held[..p].to_owned();
                self.held.clear();
                return (out, Some(stop.clone()));
            }
        }
        // Hold back the longest suffix that is a prefix of some stop string.
        let mut hold = 0;
        for stop in &self.stops {
            for (i, _) in self.held.char_indices() {
                let tail = &self.held[i..];
                if stop.starts_with(tail) {
                    hold = hold.max(tail.len());
                    break;
                }
            }
        }
        let cut = self.held.len() - hold;
        let out = self.held[..cut].to_owned();
        self.held.drain(..cut);
        (out, None)
    }

    /// Whatever is left at the end (held-back text that was no stop).
    pub fn finish(&mut self) -> String {
        let mut s = std::mem::take(&mut self.held);
        s.push_str(&String::from_utf8_lossy(&self.pending));
        self.pending.clear();
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(metadata: Vec<(String, crate::gguf::Value)>) -> crate::gguf::Header {
        let mut bytes = Vec::new();
        crate::gguf::write::header(&mut bytes, &metadata, &[]).unwrap();
        crate::gguf::Header::parse(&bytes).unwrap()
    }

    #[test]
    fn a_model_without_recommendation_samples_as_llama_cpp_does() {
        let o = SamplerOptions::from_metadata(&header(vec![]));
        assert_eq!(
            (o.temperature, o.top_k, o.top_p, o.min_p),
            (0.8, 40, 0.95, 0.05)
        );
    }

    #[test]
    fn the_models_own_sampling_keys_win_and_absurd_values_are_ignored() {
        use crate::gguf::Value;
        let o = SamplerOptions::from_metadata(&header(vec![
            ("general.sampling.temp".into(), Value::F32(0.6)),
            ("general.sampling.top_k".into(), Value::I32(20)),
            ("general.sampling.min_p".into(), Value::F32(0.0)),
            ("general.sampling.top_p".into(), Value::F32(7.0)),
            ("general.sampling.penalty_repeat".into(), Value::F32(1.05)),
        ]));
        assert_eq!(
            (o.temperature, o.top_k, o.top_p, o.min_p, o.repeat_penalty),
            (0.6, 20, 0.95, 0.0, 1.05)
        );
    }

    #[test]
    fn greedy_picks_the_first_maximum() {
        let mut s = Sampler::new(SamplerOptions::default());
        assert_eq!(s.sample(&[0.1, 3.0, 3.0, -1.0]), 1);
    }

    #[test]
    fn the_same_seed_gives_the_same_choices() {
        let opts = SamplerOptions {
            temperature: 0.8,
            top_k: 40,
            top_p: 0.95,
            min_p: 0.05,
            seed: 42,
            ..SamplerOptions::default()
        };
        let logits: Vec<f32> = (0..100).map(|i| ((i * 37) % 11) as f32 * 0.3).collect();
        let a: Vec<_> = {
            let mut s = Sampler::new(opts.clone());
            (0..20).map(|_| s.sample(&logits)).collect()
        };
        let b: Vec<_> = {
            let mut s = Sampler::new(opts);
            (0..20).map(|_| s.sample(&logits)).collect()
        };
        assert_eq!(a, b);
    }

    #[test]
    fn top_k_one_is_greedy_even_when_hot() {
        let mut s = Sampler::new(SamplerOptions {
            temperature: 5.0,
            top_k: 1,
            ..SamplerOptions::default()
        });
        for _ in 0..10 {
            assert_eq!(s.sample(&[0.0, 1.0, 0.5]), 1);
        }
    }

    #[test]
    fn repetition_penalty_steers_away_from_seen_tokens() {
        let mut s = Sampler::new(SamplerOptions {
            repeat_penalty: 2.0,
            ..SamplerOptions::default()
        });
        s.accept(0);
        assert_eq!(s.sample(&[2.0, 1.5]), 1);
    }

    #[test]
    fn a_character_split_over_tokens_is_shown_once_complete() {
        let mut t = TextStream::new(vec![]);
        let bytes = "ß".as_bytes();
        assert_eq!(t.push(&bytes[..1]).0, "");
        assert_eq!(t.push(&bytes[1..]).0, "ß");
    }

    #[test]
    fn a_stop_string_across_tokens_is_cut_and_not_shown() {
        let mut t = TextStream::new(vec!["</s>".into()]);
        assert_eq!(t.push(b"Hallo <").0, "Hallo ");
        assert_eq!(t.push(b"/s").0, "");
        assert_eq!(t.push(b"> rest"), (String::new(), Some("</s>".into())));
    }
}
