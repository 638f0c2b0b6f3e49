//! What every finder shares: candidates, compiled patterns and the look
//! back for context.

use std::ops::Range;
use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};

use super::category::Category;

/// A finding before overlaps are resolved.
pub(crate) struct Candidate {
    pub category: Category,
    pub span: Range<usize>,
}

/// Room for each pattern's lazy DFA. With the `regex` default (2 MiB)
/// the DFA of a large Unicode pattern such as the health terms cannot be
/// built, and every search that does not start at the text's start (as
/// `Bounded` searches do) ran on the PikeVM: 5 ms for one 2,000-character
/// text with a dozen health terms, against 5 µs with the DFA. 4 MiB is not
/// enough either; the cache grows only as far as a text needs.
pub(super) const DFA_LIMIT: usize = 16 << 20;

/// A pattern with room for its lazy DFA (see `DFA_LIMIT`).
pub(super) fn compile(pattern: &str) -> Regex {
    RegexBuilder::new(pattern)
        .dfa_size_limit(DFA_LIMIT)
        .build()
        .expect("valid pattern")
}

/// A pattern compiled once, on first use. A pattern put together with
/// `format_args!` is only written out then, not on every scan.
pub(super) fn regex(
    cell: &'static OnceLock<Regex>,
    pattern: impl std::fmt::Display,
) -> &'static Regex {
    cell.get_or_init(|| compile(&pattern.to_string()))
}

/// The largest char boundary at or below `at`.
pub(super) fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Whether `context` occurs in the `window` bytes before `at`.
pub(super) fn preceded_by(text: &str, at: usize, window: usize, context: &Regex) -> bool {
    let from = floor_boundary(text, at.saturating_sub(window));
    context.is_match(&text[from..at])
}
