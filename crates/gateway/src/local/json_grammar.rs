//! Constrained sampling for `response_format: {"type": "json_object"}`: a
//! byte-level JSON state machine that masks every token whose bytes could
//! not continue a valid JSON object, and stops generation as soon as the
//! object closes. The state is `Copy` (the container stack is a bit set),
//! so trying all tokens of the vocabulary allocates nothing.

/// Deepest nesting accepted; deeper JSON is refused rather than tracked.
const MAX_DEPTH: u32 = 100;
/// Whitespace bytes in a row outside strings; more would let a model pad
/// forever without producing anything.
const MAX_BLANKS: u8 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Num {
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    Exp,
    ExpSign,
    ExpDigits,
}

impl Num {
    fn accepting(self) -> bool {
        matches!(self, Num::Zero | Num::Int | Num::Frac | Num::ExpDigits)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A value must start here.
    Value,
    /// After `[`: a value or `]`.
    ArrayStart,
    /// After `{`: a key or `}`.
    ObjectStart,
    /// After `,` in an object: a key.
    Key,
    /// After a key: `:`.
    Colon,
    /// After a value: `,` or the closing bracket.
    After,
    /// Inside a string; `key` tells what follows it.
    Str {
        key: bool,
        escape: u8,
    },
    Number(Num),
    /// Inside `true`, `false` or `null`: the bytes still expected.
    Literal(&'static [u8]),
    Done,
}

/// The state of a JSON object being generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonGrammar {
    mode: Mode,
    /// Bit i set: container at depth i is an object (else an array).
    stack: u128,
    depth: u32,
    blanks: u8,
}

impl Default for JsonGrammar {
    fn default() -> Self {
        Self::new()
    }
}

impl JsonGrammar {
    pub fn new() -> Self {
        Self {
            mode: Mode::Value,
            stack: 0,
            depth: 0,
            blanks: 0,
        }
    }

    /// The object is closed; nothing may follow.
    pub fn is_complete(&self) -> bool {
        self.mode == Mode::Done
    }

    fn top_is_object(&self) -> bool {
        self.depth > 0 && self.stack & (1 << (self.depth - 1)) != 0
    }

    fn push(&mut self, object: bool) -> bool {
        if self.depth >= MAX_DEPTH {
            return false;
        }
        if object {
            self.stack |= 1 << self.depth;
        } else {
            self.stack &= !(1 << self.depth);
        }
        self.depth += 1;
        self.mode = if object {
            Mode::ObjectStart
        } else {
            Mode::ArrayStart
        };
        true
    }

    fn close(&mut self, object: bool) -> bool {
        if self.depth == 0 || self.top_is_object() != object {
            return false;
        }
        self.depth -= 1;
        self.mode = if self.depth == 0 {
            Mode::Done
        } else {
            Mode::After
        };
        true
    }

    fn start_value(&mut self, b: u8) -> bool {
        // The whole answer is one object, as `json_object` promises.
        if self.depth == 0 && b != b'{' {
            return false;
        }
        match b {
            b'{' => self.push(true),
            b'[' => self.push(false),
            b'"' => {
                self.mode = Mode::Str {
                    key: false,
                    escape: 0,
                };
                true
            }
            b'-' => {
                self.mode = Mode::Number(Num::Minus);
                true
            }
            b'0' => {
                self.mode = Mode::Number(Num::Zero);
                true
            }
            b'1'..=b'9' => {
                self.mode = Mode::Number(Num::Int);
                true
            }
            b't' => {
                self.mode = Mode::Literal(b"rue");
                true
            }
            b'f' => {
                self.mode = Mode::Literal(b"alse");
                true
            }
            b'n' => {
                self.mode = Mode::Literal(b"ull");
                true
            }
            _ => false,
        }
    }

    fn after_value(&mut self, b: u8) -> bool {
        match b {
            b',' if self.top_is_object() => {
                self.mode = Mode::Key;
                true
            }
            b',' if self.depth > 0 => {
                self.mode = Mode::Value;
                true
            }
            b'}' => self.close(true),
            b']' => self.close(false),
            _ => false,
        }
    }

    /// Feeds one byte; `false` if it cannot continue valid JSON.
    pub fn feed(&mut self, b: u8) -> bool {
        let blank = matches!(b, b' ' | b'\n' | b'\r' | b'\t');
        if let Mode::Str { key, escape } = self.mode {
            self.blanks = 0;
            return self.string_byte(key, escape, b);
        }
        if let Mode::Number(n) = self.mode {
            if let Some(next) = number_step(n, b) {
                self.mode = Mode::Number(next);
                return true;
            }
            if !n.accepting() {
                return false;
            }
            self.mode = Mode::After;
        }
        if let Mode::Literal(rest) = self.mode {
            return match rest.split_first() {
                Some((&want, tail)) if want == b => {
                    self.mode = if tail.is_empty() {
                        Mode::After
                    } else {
                        Mode::Literal(tail)
                    };
                    true
                }
                _ => false,
            };
        }
        if blank {
            if self.mode == Mode::Done || self.blanks >= MAX_BLANKS {
                return false;
            }
            self.blanks += 1;
            return true;
        }
        self.blanks = 0;
        match self.mode {
            Mode::Value => self.start_value(b),
            Mode::ArrayStart => b == b']' && self.close(false) || self.start_value(b),
            Mode::ObjectStart | Mode::Key => {
                if b == b'"' {
                    self.mode = Mode::Str {
                        key: true,
                        escape: 0,
                    };
                    true
                } else {
                    self.mode == Mode::ObjectStart && b == b'}' && self.close(true)
                }
            }
            Mode::Colon => {
                if b == b':' {
                    self.mode = Mode::Value;
                }
                b == b':'
            }
            Mode::After => self.after_value(b),
            Mode::Done | Mode::Str { .. } | Mode::Number(_) | Mode::Literal(_) => false,
        }
    }

    /// `escape`: 0 none, 1 after a backslash, 2..=5 hex digits of `\u` left + 1.
    fn string_byte(&mut self, key: bool, escape: u8, b: u8) -> bool {
        let next = match escape {
            0 => match b {
                b'"' => {
                    self.mode = if key { Mode::Colon } else { Mode::After };
                    return true;
                }
                b'\\' => 1,
                0..=0x1f => return false,
                _ => 0,
            },
            1 => match b {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => 0,
                b'u' => 5,
                _ => return false,
            },
            _ if b.is_ascii_hexdigit() => {
                if escape == 2 {
                    0
                } else {
                    escape - 1
                }
            }
            _ => return false,
        };
        self.mode = Mode::Str { key, escape: next };
        true
    }

    /// Whether all of `bytes` can follow; leaves `self` unchanged.
    pub fn accepts(&self, bytes: &[u8]) -> bool {
        let mut g = *self;
        !bytes.is_empty() && bytes.iter().all(|&b| g.feed(b))
    }

    /// Feeds a chosen token's bytes.
    pub fn advance(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if !self.feed(b) {
                break;
            }
        }
    }

    /// The byte that brings the object closest to its end.
    fn closing_byte(&self) -> Option<u8> {
        Some(match self.mode {
            Mode::Done => return None,
            Mode::Str { escape: 0, .. } => b'"',
            Mode::Str { escape: 1, .. } => b'n',
            Mode::Str { .. } => b'0',
            Mode::Number(n) if !n.accepting() => b'0',
            Mode::Literal(rest) => rest[0],
            Mode::Value if self.depth == 0 => b'{',
            Mode::Value => b'0',
            Mode::ArrayStart => b']',
            Mode::ObjectStart => b'}',
            Mode::Key => b'"',
            Mode::Colon => b':',
            Mode::Number(_) | Mode::After if self.top_is_object() => b'}',
            Mode::Number(_) | Mode::After => b']',
        })
    }

    /// Bytes still needed, at the least, to close the object.
    pub fn closing_len(&self) -> usize {
        let mut g = *self;
        let mut n = 0;
        while let Some(b) = g.closing_byte() {
            if !g.feed(b) {
                break;
            }
            n += 1;
        }
        n
    }

    /// Sets the logits of every token that cannot follow to −∞; end-of-text
    /// tokens are allowed only once the object is complete. `left` is the
    /// number of tokens the answer may still have: a token is allowed only
    /// if the object can still be closed within them (one byte per token
    /// at worst), so `max_tokens` never cuts the object open.
    pub fn mask(
        &self,
        logits: &mut [f32],
        vocab: &[Vec<u8>],
        is_end: impl Fn(u32) -> bool,
        left: usize,
    ) {
        // Too little room to close at all: valid bytes are the best left.
        let bounded = self.closing_len() <= left;
        for (t, l) in logits.iter_mut().enumerate() {
            let ok = if is_end(t as u32) {
                self.is_complete()
            } else {
                vocab.get(t).is_some_and(|b| {
                    let mut g = *self;
                    !b.is_empty()
                        && b.iter().all(|&x| g.feed(x))
                        && (!bounded || g.closing_len() < left)
                })
            };
            if !ok {
                *l = f32::NEG_INFINITY;
            }
        }
    }
}

fn number_step(n: Num, b: u8) -> Option<Num> {
    Some(match (n, b) {
        (Num::Minus, b'0') => Num::Zero,
        (Num::Minus, b'1'..=b'9') => Num::Int,
        (Num::Int, b'0'..=b'9') => Num::Int,
        (Num::Zero | Num::Int, b'.') => Num::Dot,
        (Num::Dot | Num::Frac, b'0'..=b'9') => Num::Frac,
        (Num::Zero | Num::Int | Num::Frac, b'e' | b'E') => Num::Exp,
        (Num::Exp, b'+' | b'-') => Num::ExpSign,
        (Num::Exp | Num::ExpSign | Num::ExpDigits, b'0'..=b'9') => Num::ExpDigits,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(text: &str) -> bool {
        let mut g = JsonGrammar::new();
        text.bytes().all(|b| g.feed(b)) && g.is_complete()
    }

    #[test]
    fn valid_objects_are_accepted_and_completed() {
        assert!(complete(r#"{}"#));
        assert!(complete(
            r#"{"a": [1, -2.5e+3, true, null, {"b": "x\"\u00e4"}], "c": false}"#
        ));
        assert!(complete("{\n  \"ort\": \"Halle (Saale)\"\n}"));
    }

    #[test]
    fn invalid_continuations_are_refused() {
        for bad in [
            "[1]",
            "{a:1}",
            "{\"a\" 1}",
            "{\"a\":01}",
            "{\"a\":1,}",
            "{\"a\":tru}",
            "{}}",
            "{\"a\":[1,]}",
            "{\"a\":\"\n\"}",
            "{\"a\":1]",
        ] {
            assert!(!complete(bad), "{bad} accepted");
        }
    }

    #[test]
    fn masking_keeps_only_tokens_that_fit() {
        let vocab: Vec<Vec<u8>> = ["{", "}", "\"", "hallo", " ", "{\"", "<eos>"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        let mut logits = vec![0.0; vocab.len()];
        let g = JsonGrammar::new();
        g.mask(&mut logits, &vocab, |t| t == 6, 100);
        let allowed: Vec<usize> = (0..vocab.len()).filter(|&i| logits[i] == 0.0).collect();
        assert_eq!(allowed, vec![0, 4, 5]);
        let mut g = JsonGrammar::new();
        g.advance(b"{}");
        let mut logits = vec![0.0; vocab.len()];
        g.mask(&mut logits, &vocab, |t| t == 6, 100);
        assert_eq!(logits[6], 0.0);
        assert!(logits[..6].iter().all(|l| l.is_infinite()));
    }

    #[test]
    fn the_object_is_closed_within_the_tokens_left() {
        let mut g = JsonGrammar::new();
        g.advance(br#"{"a": [1, {"b": "x"#);
        assert_eq!(g.closing_len(), 4); // "}]}
        let vocab: Vec<Vec<u8>> = ["\"", "yz", "}", "]"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        let mut logits = vec![0.0; vocab.len()];
        g.mask(&mut logits, &vocab, |_| false, 4);
        // Only the closing quote keeps the end reachable in four tokens.
        assert_eq!(logits[0], 0.0);
        assert!(logits[1..].iter().all(|l| l.is_infinite()));
        let mut g = JsonGrammar::new();
        g.advance(br#"{"k"#);
        assert_eq!(g.closing_len(), 4); // ":0}
        let mut g = JsonGrammar::new();
        g.advance(br#"{"k": -"#);
        assert_eq!(g.closing_len(), 2); // 0}
    }

    #[test]
    fn endless_whitespace_is_cut_off() {
        let mut g = JsonGrammar::new();
        assert!(g.feed(b'{'));
        assert!((0..MAX_BLANKS).all(|_| g.feed(b' ')));
        assert!(!g.accepts(b" "));
        assert!(g.accepts(b"}"));
    }
}
