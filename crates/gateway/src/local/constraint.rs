//! Constrained decoding: a byte-level pushdown matcher over a
//! [`Grammar`] (JSON mode, a JSON Schema, a tool call) that says which
//! tokens may come next. Alternatives (`anyOf`, optional properties, enum
//! values) are followed side by side as threads, each a stack of frames;
//! a byte keeps the threads it can continue.
//!
//! Nothing here steers towards an early end: when `max_tokens` cuts the
//! value open, the answer says so (`finish_reason: "length"`) instead of
//! closing it with made-up keys and values.

use std::sync::Arc;

use regex_automata::dfa::Automaton;
use regex_automata::util::primitives::StateID;

use super::schema::{Grammar, Node, NodeId};

/// Deepest nesting followed; deeper values are not offered.
const MAX_DEPTH: usize = 64;
/// Whitespace bytes in a row between tokens of JSON; more would let a
/// model pad forever without producing anything.
const MAX_BLANKS: u8 = 8;
/// Bytes of one number.
const MAX_NUMBER: u8 = 24;
/// Alternatives followed at once; beyond, the first ones are kept (each
/// still leads to valid output).
const MAX_THREADS: usize = 64;

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

    fn start(b: u8) -> Option<Num> {
        match b {
            b'-' => Some(Num::Minus),
            b'0' => Some(Num::Zero),
            b'1'..=b'9' => Some(Num::Int),
            _ => None,
        }
    }

    fn step(self, b: u8, integer: bool) -> Option<Num> {
        let next = match (self, b) {
            (Num::Minus, b'0') => Num::Zero,
            (Num::Minus, b'1'..=b'9') => Num::Int,
            (Num::Int, b'0'..=b'9') => Num::Int,
            (Num::Zero | Num::Int, b'.') => Num::Dot,
            (Num::Dot | Num::Frac, b'0'..=b'9') => Num::Frac,
            (Num::Zero | Num::Int | Num::Frac, b'e' | b'E') => Num::Exp,
            (Num::Exp, b'+' | b'-') => Num::ExpSign,
            (Num::Exp | Num::ExpSign | Num::ExpDigits, b'0'..=b'9') => Num::ExpDigits,
            _ => return None,
        };
        (!integer || matches!(next, Num::Int)).then_some(next)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ObjSt {
    /// After `{`: a key or `}`.
    Open,
    /// After a value: `,` or `}`.
    AfterPair,
    /// After `,`: a key.
    Key,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArrSt {
    Open,
    After,
    Next,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// A value of the node starts here.
    Value(NodeId),
    /// The rest of a literal, byte for byte.
    Lit {
        id: u32,
        pos: u32,
    },
    Colon,
    /// Inside a string after its opening quote. `esc`: 0 none, 1 after a
    /// backslash, 2..=5 hex digits of `\u` left + 1.
    Str {
        node: NodeId,
        esc: u8,
        chars: u32,
        dfa: StateID,
        matched: bool,
    },
    Num {
        integer: bool,
        st: Num,
        len: u8,
    },
    /// `seen`: bit i set once property i was written.
    Obj {
        node: NodeId,
        seen: u64,
        st: ObjSt,
    },
    Arr {
        node: NodeId,
        count: u32,
        st: ArrSt,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Thread {
    stack: Vec<Frame>,
    blanks: u8,
}

/// Where generation stands in a grammar.
#[derive(Debug, Clone)]
pub struct Matcher {
    g: Arc<Grammar>,
    threads: Vec<Thread>,
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

impl Matcher {
    pub fn new(g: Arc<Grammar>) -> Matcher {
        let root = g.root;
        Matcher {
            g,
            threads: vec![Thread {
                stack: vec![Frame::Value(root)],
                blanks: 0,
            }],
        }
    }

    /// Nothing more can follow: the value is complete.
    pub fn is_finished(&self) -> bool {
        self.threads.iter().all(|t| t.stack.is_empty())
    }

    /// The text so far is a complete value (a number may still go on).
    pub fn can_end(&self) -> bool {
        self.threads.iter().any(|t| match t.stack.as_slice() {
            [] => true,
            [Frame::Num { st, .. }] => st.accepting(),
            _ => false,
        })
    }

    /// Feeds one byte; `false` (and no change) if it cannot continue.
    pub fn feed(&mut self, b: u8) -> bool {
        let mut out = Vec::new();
        for t in &self.threads {
            self.step(t.clone(), b, &mut out);
        }
        if out.is_empty() {
            return false;
        }
        let mut unique: Vec<Thread> = Vec::with_capacity(out.len());
        for t in out {
            if unique.len() < MAX_THREADS && !unique.contains(&t) {
                unique.push(t);
            }
        }
        self.threads = unique;
        true
    }

    /// Whether all of `bytes` can follow; leaves `self` unchanged.
    pub fn accepts(&self, bytes: &[u8]) -> bool {
        if bytes.is_empty() {
            return false;
        }
        let mut m = self.clone();
        bytes.iter().all(|&b| m.feed(b))
    }

    /// Feeds a chosen token's bytes.
    pub fn advance(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if !self.feed(b) {
                break;
            }
        }
    }

    /// Sets the logits of every token that cannot follow to −∞;
    /// end-of-text tokens are allowed only where the value may end.
    /// Returns whether any token is left.
    pub fn mask(
        &self,
        logits: &mut [f32],
        vocab: &[Vec<u8>],
        is_end: impl Fn(u32) -> bool,
    ) -> bool {
        // Most tokens fail on their first byte: find those bytes once.
        let mut first = [false; 256];
        for (b, ok) in first.iter_mut().enumerate() {
            *ok = self.clone().feed(b as u8);
        }
        let can_end = self.can_end();
        let mut any = false;
        for (t, l) in logits.iter_mut().enumerate() {
            let ok = if is_end(t as u32) {
                can_end
            } else {
                vocab.get(t).is_some_and(|b| match b.as_slice() {
                    [] => false,
                    [x] => first[*x as usize],
                    [x, ..] => first[*x as usize] && self.accepts(b),
                })
            };
            if ok {
                any |= *l > f32::NEG_INFINITY;
            } else {
                *l = f32::NEG_INFINITY;
            }
        }
        any
    }

    fn step(&self, mut t: Thread, b: u8, out: &mut Vec<Thread>) {
        let g = &*self.g;
        let Some(&top) = t.stack.last() else {
            return;
        };
        match top {
            Frame::Str { .. } => {
                t.blanks = 0;
                if self.string_byte(&mut t, b) {
                    out.push(t);
                }
            }
            Frame::Lit { id, pos } => {
                let lit = &g.lits[id as usize];
                if lit.get(pos as usize) == Some(&b) {
                    t.stack.pop();
                    if pos as usize + 1 < lit.len() {
                        t.stack.push(Frame::Lit { id, pos: pos + 1 });
                    }
                    t.blanks = 0;
                    out.push(t);
                }
            }
            Frame::Num { integer, st, len } => match st.step(b, integer) {
                Some(next) if len < MAX_NUMBER => {
                    t.stack.pop();
                    t.stack.push(Frame::Num {
                        integer,
                        st: next,
                        len: len + 1,
                    });
                    t.blanks = 0;
                    out.push(t);
                }
                Some(_) => {}
                None if st.accepting() => {
                    t.stack.pop();
                    self.step(t, b, out);
                }
                None => {}
            },
            Frame::Value(n) if is_blank(b) && matches!(g.nodes[n as usize], Node::Raw(_)) => {}
            _ if is_blank(b) => {
                if t.blanks < MAX_BLANKS {
                    t.blanks += 1;
                    out.push(t);
                }
            }
            Frame::Colon => {
                if b == b':' {
                    t.stack.pop();
                    t.blanks = 0;
                    out.push(t);
                }
            }
            Frame::Value(n) => {
                t.stack.pop();
                t.blanks = 0;
                self.start(t, n, b, out);
            }
            Frame::Obj { node, seen, st } => {
                t.blanks = 0;
                self.object_byte(t, node, seen, st, b, out);
            }
            Frame::Arr { node, count, st } => {
                t.blanks = 0;
                let Node::Array { items, min, max } = g.nodes[node as usize] else {
                    return;
                };
                t.stack.pop();
                match (st, b) {
                    (ArrSt::Open, b']') if min == 0 => out.push(t),
                    (ArrSt::After, b']') if count >= min => out.push(t),
                    (ArrSt::After, b',') if count < max => {
                        t.stack.push(Frame::Arr {
                            node,
                            count,
                            st: ArrSt::Next,
                        });
                        out.push(t);
                    }
                    (ArrSt::Open, _) if max > 0 => self.item(t, node, 1, items, b, out),
                    (ArrSt::Next, _) => self.item(t, node, count + 1, items, b, out),
                    _ => {}
                }
            }
        }
    }

    fn item(
        &self,
        mut t: Thread,
        node: NodeId,
        count: u32,
        items: NodeId,
        b: u8,
        out: &mut Vec<Thread>,
    ) {
        if t.stack.len() >= MAX_DEPTH {
            return;
        }
        t.stack.push(Frame::Arr {
            node,
            count,
            st: ArrSt::After,
        });
        self.start(t, items, b, out);
    }

    /// A value of node `n` begins with byte `b`.
    fn start(&self, mut t: Thread, n: NodeId, b: u8, out: &mut Vec<Thread>) {
        let g = &*self.g;
        if t.stack.len() >= MAX_DEPTH {
            return;
        }
        match &g.nodes[n as usize] {
            Node::Any => {
                for alt in [
                    g.any_object,
                    g.any_array,
                    g.free_string,
                    g.number,
                    g.scalars,
                ] {
                    self.start(t.clone(), alt, b, out);
                }
            }
            Node::Object { .. } => {
                if b == b'{' {
                    t.stack.push(Frame::Obj {
                        node: n,
                        seen: 0,
                        st: ObjSt::Open,
                    });
                    out.push(t);
                }
            }
            Node::Array { .. } => {
                if b == b'[' {
                    t.stack.push(Frame::Arr {
                        node: n,
                        count: 0,
                        st: ArrSt::Open,
                    });
                    out.push(t);
                }
            }
            Node::String { pattern, .. } => {
                if b == b'"' {
                    t.stack.push(Frame::Str {
                        node: n,
                        esc: 0,
                        chars: 0,
                        dfa: pattern.map_or(StateID::ZERO, |p| g.dfa_start(p)),
                        matched: false,
                    });
                    out.push(t);
                }
            }
            Node::Number { integer } => {
                if let Some(st) = Num::start(b) {
                    t.stack.push(Frame::Num {
                        integer: *integer,
                        st,
                        len: 1,
                    });
                    out.push(t);
                }
            }
            Node::Literals(ids) => {
                for &id in ids {
                    let lit = &g.lits[id as usize];
                    if lit.first() == Some(&b) {
                        let mut t = t.clone();
                        if lit.len() > 1 {
                            t.stack.push(Frame::Lit { id, pos: 1 });
                        }
                        out.push(t);
                    }
                }
            }
            Node::Raw(id) => {
                let lit = &g.lits[*id as usize];
                if lit.first() == Some(&b) {
                    if lit.len() > 1 {
                        t.stack.push(Frame::Lit { id: *id, pos: 1 });
                    }
                    out.push(t);
                }
            }
            Node::AnyOf(alts) => {
                for &a in alts {
                    self.start(t.clone(), a, b, out);
                }
            }
            Node::Seq(parts) => {
                let Some((&first, rest)) = parts.split_first() else {
                    return;
                };
                t.stack.extend(rest.iter().rev().map(|&p| Frame::Value(p)));
                self.start(t, first, b, out);
            }
        }
    }

    /// Properties come in any order, each once; free keys (additional
    /// properties) only in objects that name none, so that a free key can
    /// never repeat a named one with a value of the wrong type.
    fn object_byte(
        &self,
        mut t: Thread,
        node: NodeId,
        seen: u64,
        st: ObjSt,
        b: u8,
        out: &mut Vec<Thread>,
    ) {
        let g = &*self.g;
        let Node::Object { props, additional } = &g.nodes[node as usize] else {
            return;
        };
        let open = |i: usize| seen & (1 << i) == 0;
        let free = additional.filter(|_| props.is_empty());
        t.stack.pop();
        match (st, b) {
            (ObjSt::Open | ObjSt::AfterPair, b'}')
                if !props.iter().enumerate().any(|(i, p)| p.required && open(i)) =>
            {
                out.push(t);
            }
            (ObjSt::AfterPair, b',') if free.is_some() || (0..props.len()).any(open) => {
                t.stack.push(Frame::Obj {
                    node,
                    seen,
                    st: ObjSt::Key,
                });
                out.push(t);
            }
            (ObjSt::Open | ObjSt::Key, b'"') => {
                if t.stack.len() + 4 > MAX_DEPTH {
                    return;
                }
                for (i, p) in props.iter().enumerate().filter(|(i, _)| open(*i)) {
                    let mut t = t.clone();
                    t.stack.push(Frame::Obj {
                        node,
                        seen: seen | 1 << i,
                        st: ObjSt::AfterPair,
                    });
                    t.stack.push(Frame::Value(p.value));
                    t.stack.push(Frame::Colon);
                    t.stack.push(Frame::Lit { id: p.key, pos: 0 });
                    out.push(t);
                }
                if let Some(a) = free {
                    t.stack.push(Frame::Obj {
                        node,
                        seen,
                        st: ObjSt::AfterPair,
                    });
                    t.stack.push(Frame::Value(a));
                    t.stack.push(Frame::Colon);
                    t.stack.push(Frame::Str {
                        node: g.free_string,
                        esc: 0,
                        chars: 0,
                        dfa: StateID::ZERO,
                        matched: false,
                    });
                    out.push(t);
                }
            }
            _ => {}
        }
    }

    fn string_byte(&self, t: &mut Thread, b: u8) -> bool {
        let g = &*self.g;
        let Some(Frame::Str {
            node,
            esc,
            chars,
            dfa,
            matched,
        }) = t.stack.last_mut()
        else {
            return false;
        };
        let Node::String { min, max, pattern } = g.nodes[*node as usize] else {
            return false;
        };
        match *esc {
            0 => match b {
                b'"' => {
                    let pattern_ok = match pattern {
                        None => true,
                        Some(p) => {
                            let d = &g.dfas[p as usize];
                            *matched || d.is_match_state(d.next_eoi_state(*dfa))
                        }
                    };
                    if *chars < min || !pattern_ok {
                        return false;
                    }
                    t.stack.pop();
                    true
                }
                0..=0x1f => false,
                // Escapes would hide bytes from the pattern's automaton.
                b'\\' if pattern.is_some() => false,
                _ if b & 0xC0 != 0x80 && *chars >= max => false,
                b'\\' => {
                    *esc = 1;
                    *chars += 1;
                    true
                }
                _ => {
                    if b & 0xC0 != 0x80 {
                        *chars += 1;
                    }
                    if let Some(p) = pattern {
                        if !*matched {
                            let d = &g.dfas[p as usize];
                            let s = d.next_state(*dfa, b);
                            if d.is_dead_state(s) {
                                return false;
                            }
                            *matched = d.is_match_state(s);
                            *dfa = s;
                        }
                    }
                    true
                }
            },
            1 => match b {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                    *esc = 0;
                    true
                }
                b'u' => {
                    *esc = 5;
                    true
                }
                _ => false,
            },
            _ if b.is_ascii_hexdigit() => {
                *esc = if *esc == 2 { 0 } else { *esc - 1 };
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn matcher(schema: serde_json::Value) -> Matcher {
        Matcher::new(Arc::new(Grammar::from_schema(&schema).unwrap()))
    }

    fn complete(m: &Matcher, text: &str) -> bool {
        let mut m = m.clone();
        text.bytes().all(|b| m.feed(b)) && m.can_end()
    }

    #[test]
    fn json_mode_accepts_objects_and_refuses_the_rest() {
        let m = Matcher::new(Arc::new(Grammar::any_object()));
        assert!(complete(&m, "{}"));
        assert!(complete(
            &m,
            r#"{"a": [1, -2.5e+3, true, null, {"b": "x\"\u00e4"}], "c": false}"#
        ));
        assert!(complete(&m, "{\n  \"ort\": \"Halle (Saale)\"\n}"));
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
            assert!(!complete(&m, bad), "{bad} accepted");
        }
    }

    #[test]
    fn a_schema_fixes_types_required_keys_enums_and_nesting() {
        let m = matcher(json!({
            "type": "object",
            "properties": {
                "ort": {"type": "string", "minLength": 2},
                "einwohner": {"type": "integer"},
                "land": {"enum": ["Bayern", "Sachsen"]},
                "ämter": {"type": "array", "items": {"type": "object",
                    "properties": {"name": {"type": "string"}}, "required": ["name"]}, "maxItems": 2},
                "kreisfrei": {"type": ["boolean", "null"]}
            },
            "required": ["ort", "land"]
        }));
        assert!(complete(&m, r#"{"ort": "Halle", "land": "Sachsen"}"#));
        assert!(complete(
            &m,
            r#"{"ort":"Ulm","einwohner":126000,"land":"Bayern","ämter":[{"name":"Bürgeramt"}],"kreisfrei":null}"#
        ));
        assert!(complete(&m, r#"{"land": "Sachsen", "ort": "Halle"}"#));
        for bad in [
            r#"{"ort": "Halle", "land": "Sachsen", "ort": "Ulm"}"#,
            r#"{"ort": "Halle"}"#,
            r#"{"ort": "H", "land": "Sachsen"}"#,
            r#"{"ort": "Halle", "einwohner": 1.5, "land": "Sachsen"}"#,
            r#"{"ort": "Halle", "land": "Hessen"}"#,
            r#"{"ort": "Halle", "land": "Sachsen", "x": 1}"#,
            r#"{"ort":"Ulm","land":"Bayern","ämter":[{},{}]}"#,
            r#"{"ort":"Ulm","land":"Bayern","ämter":[{"name":"a"},{"name":"b"},{"name":"c"}]}"#,
        ] {
            assert!(!complete(&m, bad), "{bad} accepted");
        }
    }

    #[test]
    fn string_patterns_and_formats_are_enforced() {
        let m = matcher(json!({"type": "string", "pattern": "^[A-Z]{2}-[0-9]{3}$"}));
        assert!(complete(&m, r#""AB-123""#));
        assert!(!complete(&m, r#""AB-12""#));
        assert!(!complete(&m, r#""ab-123""#));
        let m = matcher(json!({"type": "string", "format": "date"}));
        assert!(complete(&m, r#""2025-03-14""#));
        assert!(!complete(&m, r#""2025-13-01""#));
        // Unanchored patterns match anywhere, as JSON Schema says.
        let m = matcher(json!({"type": "string", "pattern": "amt"}));
        assert!(complete(&m, r#""Bürgeramt Nord""#));
        assert!(!complete(&m, r#""Rathaus""#));
    }

    #[test]
    fn refs_and_recursion_are_followed() {
        let m = matcher(json!({
            "$defs": {"Knoten": {"type": "object", "properties": {
                "name": {"type": "string"},
                "kinder": {"type": "array", "items": {"$ref": "#/$defs/Knoten"}}},
                "required": ["name"], "additionalProperties": false}},
            "$ref": "#/$defs/Knoten"
        }));
        assert!(complete(
            &m,
            r#"{"name":"a","kinder":[{"name":"b","kinder":[]}]}"#
        ));
        assert!(!complete(&m, r#"{"name":"a","kinder":[{"kinder":[]}]}"#));
    }

    #[test]
    fn unsupported_keywords_are_named() {
        for (schema, word) in [
            (json!({"type": "integer", "minimum": 0}), "minimum"),
            (
                json!({"type": "object", "properties": {"a": {"not": {}}}}),
                "not",
            ),
            (json!({"type": "string", "format": "email"}), "email"),
        ] {
            let e = Grammar::from_schema(&schema).unwrap_err();
            assert!(e.message.contains(word), "{e:?}");
        }
        let e = Grammar::from_schema(&json!({"type": "object", "properties": {"a": {"not": {}}}}))
            .unwrap_err();
        assert_eq!(e.path, "#/properties/a");
    }

    #[test]
    fn masking_keeps_only_tokens_that_fit_and_the_end_once_complete() {
        let vocab: Vec<Vec<u8>> = ["{", "}", "\"", "hallo", " ", "{\"", "<eos>"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        let m = Matcher::new(Arc::new(Grammar::any_object()));
        let mut logits = vec![0.0; vocab.len()];
        assert!(m.mask(&mut logits, &vocab, |t| t == 6));
        let allowed: Vec<usize> = (0..vocab.len()).filter(|&i| logits[i] == 0.0).collect();
        assert_eq!(allowed, vec![0, 4, 5]);
        let mut m = m;
        m.advance(b"{}");
        assert!(m.is_finished());
        let mut logits = vec![0.0; vocab.len()];
        m.mask(&mut logits, &vocab, |t| t == 6);
        assert_eq!(logits[6], 0.0);
        assert!(logits[..6].iter().all(|l| l.is_infinite()));
    }

    #[test]
    fn endless_whitespace_is_cut_off() {
        let mut m = Matcher::new(Arc::new(Grammar::any_object()));
        assert!(m.feed(b'{'));
        assert!((0..MAX_BLANKS).all(|_| m.feed(b' ')));
        assert!(!m.accepts(b" "));
        assert!(m.accepts(b"}"));
    }
}
