//! Canonical JSON: keys sorted at every level, two-space indentation, one
//! final newline. Two exports of the same data are byte-identical, and a
//! checksum says whether an item changed.

use serde_json::{Map, Value};

/// The value with every object's keys in sorted order.
pub fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), sorted(&map[k]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// The canonical bytes of a value.
pub fn to_bytes(value: &Value) -> Vec<u8> {
    // Serialising a Value into memory cannot fail.
    let mut bytes = serde_json::to_vec_pretty(&sorted(value)).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// Parses JSON text and returns it canonical, for exports that other
/// modules already write as text.
pub fn from_text(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str::<Value>(text).map(|v| sorted(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_at_every_level_whatever_the_input_order() {
        let a = from_text(r#"{"b":1,"a":{"d":[{"z":1,"y":2}],"c":2}}"#).unwrap();
        let b = from_text(r#"{"a":{"c":2,"d":[{"y":2,"z":1}]},"b":1}"#).unwrap();
        assert_eq!(to_bytes(&a), to_bytes(&b));
        let text = String::from_utf8(to_bytes(&a)).unwrap();
        assert!(text.find("\"a\"").unwrap() < text.find("\"b\"").unwrap());
        assert!(text.ends_with("}\n"));
    }
}
