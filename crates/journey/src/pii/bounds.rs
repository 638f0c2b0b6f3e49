//! Word boundaries without `\b`. The `regex` crate's fast engines (the
//! lazy DFA) cannot evaluate a Unicode `\b` on text with umlauts and fall
//! back to the PikeVM, which made one scan cost milliseconds. A pattern
//! here is written without its outer `\b`s: the leading one is checked
//! on each match's start (a failed start resumes the search one character
//! later, which finds exactly the leftmost match the `\b` pattern finds),
//! and the trailing one becomes `(?:\W|$)`, a consumed character that is
//! cut off the match again. Both only hold where the pattern's first and
//! last characters are word characters; `tests/pii_spans.rs` compares
//! every span with the `\b` version.

use std::ops::Range;
use std::sync::OnceLock;

use regex::{Captures, Regex};

/// Whether `c` is a word character as the `regex` crate's Unicode `\w`
/// defines it (so the checks here agree with what `\b` did).
pub(super) fn is_word(c: char) -> bool {
    regex_syntax::is_word_character(c)
}

/// Whether a `\b` holds at byte `at` of `text`.
pub(super) fn boundary(text: &str, at: usize) -> bool {
    let before = text[..at].chars().next_back().is_some_and(is_word);
    let after = text[at..].chars().next().is_some_and(is_word);
    before != after
}

/// A pattern that stands for `\b(?:body)` or, with `trailing`,
/// `\b(?:body)\b`.
pub(super) struct Bounded {
    re: Regex,
    trailing: bool,
}

impl Bounded {
    pub(super) fn new(body: &str, trailing: bool) -> Bounded {
        let pattern = if trailing {
            format!(r"(?:{body})(?:\W|$)")
        } else {
            body.to_owned()
        };
        Bounded {
            re: super::matching::compile(&pattern),
            trailing,
        }
    }

    /// The regex that does the scanning, for a `RegexSet` of several.
    pub(super) fn as_str(&self) -> &str {
        self.re.as_str()
    }

    /// The match's end without the character the trailing `(?:\W|$)`
    /// consumed.
    fn end(&self, text: &str, start: usize, end: usize) -> usize {
        if !self.trailing {
            return end;
        }
        match text[start..end].chars().next_back() {
            Some(c) if !is_word(c) => end - c.len_utf8(),
            _ => end,
        }
    }

    /// The leftmost match at or after `at` whose start is a boundary.
    pub(super) fn find_at(&self, text: &str, mut at: usize) -> Option<Range<usize>> {
        loop {
            let m = self.re.find_at(text, at)?;
            if boundary(text, m.start()) {
                return Some(m.start()..self.end(text, m.start(), m.end()));
            }
            at = next_char(text, m.start())?;
        }
    }

    /// As `find_at`, with the groups; the range is the whole match.
    pub(super) fn captures_at<'t>(
        &self,
        text: &'t str,
        mut at: usize,
    ) -> Option<(Captures<'t>, Range<usize>)> {
        loop {
            let c = self.re.captures_at(text, at)?;
            let m = c.get(0).expect("match");
            if boundary(text, m.start()) {
                let whole = m.start()..self.end(text, m.start(), m.end());
                return Some((c, whole));
            }
            at = next_char(text, m.start())?;
        }
    }

    /// All matches, left to right, none overlapping: what `find_iter`
    /// gives for the `\b` pattern.
    pub(super) fn find_iter<'a>(
        &'a self,
        text: &'a str,
    ) -> impl Iterator<Item = Range<usize>> + 'a {
        let mut at = Some(0);
        std::iter::from_fn(move || {
            let m = self.find_at(text, at?)?;
            at = if m.is_empty() {
                next_char(text, m.end)
            } else {
                Some(m.end)
            };
            Some(m)
        })
    }

    /// All matches with their groups, as `captures_iter` gives them.
    pub(super) fn captures_iter<'a, 't: 'a>(
        &'a self,
        text: &'t str,
    ) -> impl Iterator<Item = (Captures<'t>, Range<usize>)> + 'a {
        let mut at = Some(0);
        std::iter::from_fn(move || {
            let (c, m) = self.captures_at(text, at?)?;
            at = if m.is_empty() {
                next_char(text, m.end)
            } else {
                Some(m.end)
            };
            Some((c, m))
        })
    }
}

/// The byte after the character at `at`; none past the end.
fn next_char(text: &str, at: usize) -> Option<usize> {
    text[at..].chars().next().map(|c| at + c.len_utf8())
}

/// A bounded pattern compiled once, on first use; like `super::regex`,
/// it takes `format_args!` so that a composed pattern is not written out
/// on every scan.
pub(super) fn bounded(
    cell: &'static OnceLock<Bounded>,
    body: impl std::fmt::Display,
    trailing: bool,
) -> &'static Bounded {
    cell.get_or_init(|| Bounded::new(&body.to_string(), trailing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umlauts_are_word_characters_and_the_middle_dot_is_not() {
        let re = Bounded::new("ab", true);
        let found: Vec<_> = re.find_iter("äab abü ab·ab ab").collect();
        assert_eq!(found, vec![10..12, 14..16, 17..19]);
    }

    #[test]
    fn a_failed_start_resumes_one_character_later() {
        // "xab" fails at "x"; the `\b` pattern's leftmost match is the
        // next word, not a match shadowed by the failed one.
        let re = Bounded::new("[a-z]+b", false);
        assert_eq!(re.find_at("Üxab ab", 0), Some(6..8));
    }
}
