//! Drafting for lossless speculative decoding by prompt lookup: answers
//! that copy from their input (summaries, extraction, answers from a
//! document) continue the last few tokens the way the same tokens went on
//! earlier in the prompt. The guess costs nothing to make; the model checks
//! all guessed tokens in one forward pass ([`crate::Engine::step_drafts`])
//! and keeps the ones it would have produced itself, so the answer is the
//! same token for token as without drafting.

use crate::tokenizer::TokenId;

/// How prompt lookup guesses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptLookup {
    /// Longest and shortest run of last tokens searched for earlier in the
    /// text; longer runs are tried first (fewer, better guesses).
    pub max_ngram: usize,
    pub min_ngram: usize,
    /// Most tokens guessed at once.
    pub max_draft: usize,
}

impl Default for PromptLookup {
    fn default() -> Self {
        Self {
            max_ngram: 3,
            min_ngram: 2,
            max_draft: 8,
        }
    }
}

impl PromptLookup {
    /// The tokens that followed the latest earlier occurrence of the last
    /// `max_ngram..=min_ngram` tokens of `text` (prompt and answer so far),
    /// at most `max_draft` and at most `limit`; empty when none is found.
    pub fn draft(&self, text: &[TokenId], limit: usize) -> Vec<TokenId> {
        let want = self.max_draft.min(limit);
        if want == 0 {
            return Vec::new();
        }
        for n in (self.min_ngram.max(1)..=self.max_ngram).rev() {
            if text.len() <= n {
                continue;
            }
            let tail = &text[text.len() - n..];
            // Latest first: the nearest context predicts best.
            let found = (0..text.len() - n)
                .rev()
                .find(|&start| &text[start..start + n] == tail);
            if let Some(start) = found {
                let from = start + n;
                let to = (from + want).min(text.len());
                return text[from..to].to_vec();
            }
        }
        Vec::new()
    }
}

/// Counters of speculative decoding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DraftStats {
    /// Tokens guessed and checked.
    pub drafted: u64,
    /// Guessed tokens the model confirmed.
    pub accepted: u64,
}

impl DraftStats {
    /// Share of guessed tokens that were right.
    pub fn acceptance(&self) -> f64 {
        if self.drafted == 0 {
            0.0
        } else {
            self.accepted as f64 / self.drafted as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_earlier_occurrence_of_the_longest_tail_is_continued() {
        let p = PromptLookup {
            max_ngram: 3,
            min_ngram: 1,
            max_draft: 4,
        };
        // … 1 2 3 went on with 4 5 6 7 before, and later with 8 9.
        let text = [1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 8, 9, 0, 1, 2, 3];
        assert_eq!(p.draft(&text, 10), vec![8, 9, 0, 1]);
        assert_eq!(p.draft(&text, 2), vec![8, 9]);
        // Only the last token recurs: the one-token run decides.
        assert_eq!(p.draft(&[5, 6, 7, 6], 10), vec![7, 6]);
        // Nothing recurs.
        assert!(p.draft(&[1, 2, 3], 10).is_empty());
        let strict = PromptLookup { min_ngram: 2, ..p };
        assert!(strict.draft(&[5, 6, 7, 6], 10).is_empty());
    }
}
