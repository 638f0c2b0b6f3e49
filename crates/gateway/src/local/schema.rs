//! JSON Schema (`response_format: json_schema`, tool parameters) compiled
//! into a [`Grammar`] that [`super::constraint`] generates by. The subset
//! is what OpenAI's structured outputs and Pydantic use: `type` (also as a
//! list), `properties`, `required`, `additionalProperties`, `items`,
//! `minItems`/`maxItems`, `enum`, `const`, `anyOf`/`oneOf`, a one-element
//! `allOf`, `$ref` into the same document, `minLength`/`maxLength`,
//! `pattern` and the formats `date`, `date-time`, `time` and `uuid`.
//! Anything else is refused naming the keyword: a constraint that is
//! silently dropped would produce output that does not validate.
//!
//! Properties may come in any order (the schema's order is not kept by
//! the JSON parser), each at most once, required ones before `}`; extra
//! properties only where the schema names none.

use std::collections::HashMap;

use regex_automata::dfa::{dense, Automaton, StartKind};
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};
use serde_json::Value;

pub type NodeId = u32;

/// Keywords that only describe and constrain nothing.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "$defs",
    "definitions",
    "title",
    "description",
    "default",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
];

/// Keywords this compiler enforces.
const SUPPORTED: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "enum",
    "const",
    "anyOf",
    "oneOf",
    "allOf",
    "$ref",
    "minLength",
    "maxLength",
    "pattern",
    "format",
];

/// Most nodes one schema may compile to; a schema is outside input.
const MAX_NODES: usize = 4096;
/// Memory one string pattern's automaton may take.
const DFA_LIMIT: usize = 2 << 20;

#[derive(Debug, Clone)]
pub(crate) struct Prop {
    /// The key's JSON text after its opening quote (`name"`), in `lits`.
    pub key: u32,
    pub value: NodeId,
    pub required: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// Any JSON value.
    Any,
    Object {
        props: Vec<Prop>,
        additional: Option<NodeId>,
    },
    Array {
        items: NodeId,
        min: u32,
        max: u32,
    },
    String {
        min: u32,
        max: u32,
        pattern: Option<u32>,
    },
    Number {
        integer: bool,
    },
    /// One of these JSON texts, in `lits`.
    Literals(Vec<u32>),
    AnyOf(Vec<NodeId>),
    /// The parts one after another (a tool call's markup around its JSON).
    Seq(Vec<NodeId>),
    /// Text written as it is, with no whitespace before it.
    Raw(u32),
}

/// A compiled schema: nodes, literal texts and string-pattern automata.
#[derive(Debug)]
pub struct Grammar {
    pub(crate) nodes: Vec<Node>,
    pub(crate) lits: Vec<Vec<u8>>,
    pub(crate) dfas: Vec<dense::DFA<Vec<u32>>>,
    pub(crate) root: NodeId,
    /// Shared nodes of the generic JSON value.
    pub(crate) any_object: NodeId,
    pub(crate) any_array: NodeId,
    pub(crate) free_string: NodeId,
    pub(crate) number: NodeId,
    pub(crate) scalars: NodeId,
}

/// Why a schema is refused: where in it, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    pub path: String,
    pub message: String,
}

fn err(path: &str, message: impl Into<String>) -> SchemaError {
    SchemaError {
        path: if path.is_empty() {
            "#".into()
        } else {
            format!("#{path}")
        },
        message: message.into(),
    }
}

impl Grammar {
    /// A grammar with only the generic JSON nodes; `root` is set by the caller.
    fn base() -> Grammar {
        let mut g = Grammar {
            nodes: vec![Node::Any],
            lits: Vec::new(),
            dfas: Vec::new(),
            root: 0,
            any_object: 0,
            any_array: 0,
            free_string: 0,
            number: 0,
            scalars: 0,
        };
        g.any_object = g.add(Node::Object {
            props: Vec::new(),
            additional: Some(0),
        });
        g.any_array = g.add(Node::Array {
            items: 0,
            min: 0,
            max: u32::MAX,
        });
        g.free_string = g.add(Node::String {
            min: 0,
            max: u32::MAX,
            pattern: None,
        });
        g.number = g.add(Node::Number { integer: false });
        let lits = ["true", "false", "null"]
            .iter()
            .map(|l| g.lit(l.as_bytes().to_vec()))
            .collect();
        g.scalars = g.add(Node::Literals(lits));
        g
    }

    pub(crate) fn add(&mut self, n: Node) -> NodeId {
        self.nodes.push(n);
        (self.nodes.len() - 1) as NodeId
    }

    pub(crate) fn lit(&mut self, bytes: Vec<u8>) -> u32 {
        if let Some(i) = self.lits.iter().position(|l| *l == bytes) {
            return i as u32;
        }
        self.lits.push(bytes);
        (self.lits.len() - 1) as u32
    }

    /// `{"type": "json_object"}`: any object.
    pub fn any_object() -> Grammar {
        let mut g = Grammar::base();
        g.root = g.any_object;
        g
    }

    /// Compiles `schema`; refuses keywords it cannot enforce.
    pub fn from_schema(schema: &Value) -> Result<Grammar, SchemaError> {
        let mut g = Grammar::base();
        let root = Compiler {
            root: schema,
            g: &mut g,
            refs: HashMap::new(),
        }
        .node(schema, "")?;
        g.root = root;
        Ok(g)
    }

    /// A grammar for `schema` wrapped in fixed text (`prefix`, `suffix`),
    /// or for one of several such wrapped schemas.
    pub fn wrapped(
        alternatives: &[(String, &Value, String)],
    ) -> Result<Grammar, (usize, SchemaError)> {
        let mut g = Grammar::base();
        let mut alts = Vec::new();
        for (i, (prefix, schema, suffix)) in alternatives.iter().enumerate() {
            let body = Compiler {
                root: schema,
                g: &mut g,
                refs: HashMap::new(),
            }
            .node(schema, "")
            .map_err(|e| (i, e))?;
            let mut parts = Vec::new();
            if !prefix.is_empty() {
                let l = g.lit(prefix.as_bytes().to_vec());
                parts.push(g.add(Node::Raw(l)));
            }
            parts.push(body);
            if !suffix.is_empty() {
                let l = g.lit(suffix.as_bytes().to_vec());
                parts.push(g.add(Node::Raw(l)));
            }
            alts.push(g.add(Node::Seq(parts)));
        }
        g.root = if alts.len() == 1 {
            alts[0]
        } else {
            g.add(Node::AnyOf(alts))
        };
        Ok(g)
    }

    pub(crate) fn dfa_start(&self, i: u32) -> StateID {
        let cfg = start::Config::new().anchored(Anchored::Yes);
        self.dfas[i as usize]
            .start_state(&cfg)
            .unwrap_or(StateID::ZERO)
    }
}

struct Compiler<'a> {
    root: &'a Value,
    g: &'a mut Grammar,
    refs: HashMap<String, NodeId>,
}

impl Compiler<'_> {
    fn add(&mut self, path: &str, n: Node) -> Result<NodeId, SchemaError> {
        if self.g.nodes.len() >= MAX_NODES {
            return Err(err(path, "Das Schema ist zu groß."));
        }
        Ok(self.g.add(n))
    }

    fn literals(&mut self, path: &str, values: &[Value]) -> Result<NodeId, SchemaError> {
        if values.is_empty() {
            return Err(err(path, "„enum“ ist leer."));
        }
        let ids = values
            .iter()
            .map(|v| self.g.lit(v.to_string().into_bytes()))
            .collect();
        self.add(path, Node::Literals(ids))
    }

    fn node(&mut self, s: &Value, path: &str) -> Result<NodeId, SchemaError> {
        let o = match s {
            Value::Bool(true) => return Ok(0),
            Value::Object(o) => o,
            _ => return Err(err(path, "Ein Schema muss ein Objekt sein (oder true).")),
        };
        if let Some(k) = o
            .keys()
            .find(|k| !ANNOTATIONS.contains(&k.as_str()) && !SUPPORTED.contains(&k.as_str()))
        {
            return Err(err(
                path,
                format!("Das Schlüsselwort „{k}“ wird bei der eingeschränkten Erzeugung nicht unterstützt."),
            ));
        }
        if let Some(r) = o.get("$ref") {
            return self.reference(r, path);
        }
        if let Some(v) = o.get("const") {
            return self.literals(path, std::slice::from_ref(v));
        }
        if let Some(v) = o.get("enum") {
            let values = v
                .as_array()
                .ok_or_else(|| err(path, "„enum“ muss eine Liste sein."))?;
            return self.literals(&format!("{path}/enum"), values);
        }
        for key in ["anyOf", "oneOf", "allOf"] {
            if let Some(v) = o.get(key) {
                let list = v
                    .as_array()
                    .ok_or_else(|| err(path, format!("„{key}“ muss eine Liste sein.")))?;
                if key == "allOf" && list.len() != 1 {
                    return Err(err(
                        path,
                        "„allOf“ wird nur mit genau einem Schema unterstützt.",
                    ));
                }
                let mut alts = Vec::new();
                for (i, a) in list.iter().enumerate() {
                    alts.push(self.node(a, &format!("{path}/{key}/{i}"))?);
                }
                if alts.is_empty() {
                    return Err(err(path, format!("„{key}“ ist leer.")));
                }
                return self.add(path, Node::AnyOf(alts));
            }
        }
        let types: Vec<&str> = match o.get("type") {
            None if o.contains_key("properties") || o.contains_key("additionalProperties") => {
                vec!["object"]
            }
            None if o.contains_key("items") => vec!["array"],
            None if o.contains_key("pattern") || o.contains_key("format") => vec!["string"],
            None => return Ok(0),
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts
                .iter()
                .map(|t| {
                    t.as_str()
                        .ok_or_else(|| err(path, "„type“ enthält einen Nicht-Text."))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(err(path, "„type“ muss ein Text oder eine Liste sein.")),
        };
        let mut alts = Vec::new();
        for t in types {
            alts.push(self.typed(o, t, path)?);
        }
        match alts.len() {
            0 => Err(err(path, "„type“ ist leer.")),
            1 => Ok(alts[0]),
            _ => self.add(path, Node::AnyOf(alts)),
        }
    }

    fn reference(&mut self, r: &Value, path: &str) -> Result<NodeId, SchemaError> {
        let r = r
            .as_str()
            .ok_or_else(|| err(path, "„$ref“ muss ein Text sein."))?;
        if let Some(&id) = self.refs.get(r) {
            return Ok(id);
        }
        let target = r
            .strip_prefix('#')
            .and_then(|p| self.root.pointer(p))
            .ok_or_else(|| {
                err(
                    path,
                    format!("„$ref“ {r} zeigt auf nichts in diesem Schema (nur Verweise innerhalb, z. B. #/$defs/Name)."),
                )
            })?;
        // Recursive schemas refer to themselves: the id exists before the
        // target is compiled, and forwards to it.
        let id = self.add(path, Node::AnyOf(Vec::new()))?;
        self.refs.insert(r.to_string(), id);
        let body = self.node(target, r.trim_start_matches('#'))?;
        self.g.nodes[id as usize] = Node::AnyOf(vec![body]);
        Ok(id)
    }

    fn count(
        o: &serde_json::Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Option<u32>, SchemaError> {
        match o.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(|n| Some(n.min(u32::MAX as u64) as u32))
                .ok_or_else(|| {
                    err(
                        path,
                        format!("„{key}“ muss eine nicht negative ganze Zahl sein."),
                    )
                }),
        }
    }

    fn typed(
        &mut self,
        o: &serde_json::Map<String, Value>,
        t: &str,
        path: &str,
    ) -> Result<NodeId, SchemaError> {
        match t {
            "object" => self.object(o, path),
            "array" => {
                let items = match o.get("items") {
                    None => 0,
                    Some(s) => self.node(s, &format!("{path}/items"))?,
                };
                let min = Self::count(o, "minItems", path)?.unwrap_or(0);
                let max = Self::count(o, "maxItems", path)?.unwrap_or(u32::MAX);
                if min > max {
                    return Err(err(path, "„minItems“ ist größer als „maxItems“."));
                }
                self.add(path, Node::Array { items, min, max })
            }
            "string" => {
                let min = Self::count(o, "minLength", path)?.unwrap_or(0);
                let max = Self::count(o, "maxLength", path)?.unwrap_or(u32::MAX);
                if min > max {
                    return Err(err(path, "„minLength“ ist größer als „maxLength“."));
                }
                let pattern = match (o.get("pattern"), o.get("format")) {
                    (Some(_), Some(_)) => {
                        return Err(err(
                            path,
                            "„pattern“ und „format“ zusammen werden nicht unterstützt.",
                        ))
                    }
                    (Some(p), None) => {
                        let p = p
                            .as_str()
                            .ok_or_else(|| err(path, "„pattern“ muss ein Text sein."))?;
                        Some(self.pattern(p, path)?)
                    }
                    (None, Some(f)) => {
                        let f = f.as_str().unwrap_or_default();
                        let p = format_pattern(f).ok_or_else(|| {
                            err(
                                path,
                                format!("Das Format „{f}“ wird nicht unterstützt (möglich: date, date-time, time, uuid)."),
                            )
                        })?;
                        Some(self.pattern(p, path)?)
                    }
                    (None, None) => None,
                };
                self.add(path, Node::String { min, max, pattern })
            }
            "integer" => self.add(path, Node::Number { integer: true }),
            "number" => Ok(self.g.number),
            "boolean" => {
                let l = vec![self.g.lit(b"true".to_vec()), self.g.lit(b"false".to_vec())];
                self.add(path, Node::Literals(l))
            }
            "null" => {
                let l = vec![self.g.lit(b"null".to_vec())];
                self.add(path, Node::Literals(l))
            }
            other => Err(err(
                path,
                format!("Den Typ „{other}“ gibt es in JSON Schema nicht."),
            )),
        }
    }

    fn object(
        &mut self,
        o: &serde_json::Map<String, Value>,
        path: &str,
    ) -> Result<NodeId, SchemaError> {
        let empty = serde_json::Map::new();
        let props = match o.get("properties") {
            None => &empty,
            Some(Value::Object(p)) => p,
            Some(_) => return Err(err(path, "„properties“ muss ein Objekt sein.")),
        };
        let required: Vec<&str> = match o.get("required") {
            None => Vec::new(),
            Some(Value::Array(r)) => r.iter().filter_map(Value::as_str).collect(),
            Some(_) => return Err(err(path, "„required“ muss eine Liste sein.")),
        };
        if let Some(missing) = required.iter().find(|r| !props.contains_key(**r)) {
            return Err(err(
                path,
                format!("„required“ nennt „{missing}“, das unter „properties“ fehlt."),
            ));
        }
        if props.len() > 64 {
            return Err(err(
                path,
                "Mehr als 64 Eigenschaften in einem Objekt werden nicht unterstützt.",
            ));
        }
        let mut list = Vec::with_capacity(props.len());
        for (name, schema) in props {
            let value = self.node(schema, &format!("{path}/properties/{name}"))?;
            let mut key = Value::String(name.clone()).to_string().into_bytes();
            key.remove(0);
            list.push(Prop {
                key: self.g.lit(key),
                value,
                required: required.contains(&name.as_str()),
            });
        }
        // With no properties named, "an object" means any object; with
        // some, only those are generated (extra ones are never needed to
        // validate).
        let additional = match o.get("additionalProperties") {
            Some(Value::Bool(false)) => None,
            Some(Value::Bool(true)) => Some(0),
            Some(s @ Value::Object(_)) => {
                Some(self.node(s, &format!("{path}/additionalProperties"))?)
            }
            Some(_) => {
                return Err(err(
                    path,
                    "„additionalProperties“ muss true, false oder ein Schema sein.",
                ))
            }
            None if props.is_empty() => Some(0),
            None => None,
        };
        self.add(
            path,
            Node::Object {
                props: list,
                additional,
            },
        )
    }

    fn pattern(&mut self, p: &str, path: &str) -> Result<u32, SchemaError> {
        // JSON Schema patterns match anywhere in the string; the automaton
        // is anchored at the start, so it may skip a prefix first.
        let source = format!("(?s:.)*?(?:{p})");
        let dfa = dense::Builder::new()
            .configure(
                dense::DFA::config()
                    .match_kind(MatchKind::All)
                    .start_kind(StartKind::Anchored)
                    .dfa_size_limit(Some(DFA_LIMIT))
                    .determinize_size_limit(Some(DFA_LIMIT)),
            )
            .build(&source)
            .map_err(|e| {
                err(
                    path,
                    format!("Das Muster „{p}“ ist nicht verwendbar (zu komplex oder nicht unterstützte Syntax): {e}"),
                )
            })?;
        self.g.dfas.push(dfa);
        Ok((self.g.dfas.len() - 1) as u32)
    }
}

/// Patterns for the formats that can be checked byte by byte.
fn format_pattern(f: &str) -> Option<&'static str> {
    Some(match f {
        // Days up to 28 only: every month has them, so no date is invalid.
        "date" => "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$",
        "time" => "^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$",
        "date-time" => "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$",
        "uuid" => "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        _ => return None,
    })
}
