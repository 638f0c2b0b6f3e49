//! Scorers for answers with one right label or a set of fields.

use serde_json::{Map, Value};

use super::text::fold;

/// Share of predictions equal to their gold label (after folding case,
/// umlauts and punctuation). 0 for empty input.
pub fn accuracy<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> f64 {
    let (mut right, mut all) = (0usize, 0usize);
    for (pred, gold) in pairs {
        all += 1;
        if fold(pred) == fold(gold) {
            right += 1;
        }
    }
    if all == 0 {
        0.0
    } else {
        right as f64 / all as f64
    }
}

/// The first JSON object in an answer. Models wrap JSON in prose or Markdown
/// fences, so after the whole text the span from the first `{` to the last
/// `}` is tried. `None` means the answer holds no valid JSON object.
pub fn extract_json_object(answer: &str) -> Option<Map<String, Value>> {
    let trimmed = answer.trim();
    if let Ok(Value::Object(map)) = serde_json::from_str(trimmed) {
        return Some(map);
    }
    let start = trimmed.find('{')?;
    let end = trimmed.rfind('}')?;
    if end <= start {
        return None;
    }
    match serde_json::from_str(&trimmed[start..=end]) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// Field-level precision, recall and F1 of extracted fields.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldScore {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// A field counts as found when the prediction has the same key with an equal
/// value after folding (so `"12.03.2026"` equals `"12.03.2026 "` and `5`
/// equals `"5"`). Null and empty values count as absent on both sides.
pub fn field_f1(predicted: &Map<String, Value>, expected: &Map<String, Value>) -> FieldScore {
    let norm = |v: &Value| -> Option<String> {
        let s = match v {
            Value::Null => return None,
            Value::String(s) => fold(s),
            other => fold(&other.to_string()),
        };
        (!s.is_empty()).then_some(s)
    };
    let pred: Vec<(&String, String)> = predicted
        .iter()
        .filter_map(|(k, v)| norm(v).map(|n| (k, n)))
        .collect();
    let n_exp = expected.values().filter(|v| norm(v).is_some()).count();
    let tp = pred
        .iter()
        .filter(|(k, v)| expected.get(*k).and_then(norm).as_ref() == Some(v))
        .count();
    if pred.is_empty() && n_exp == 0 {
        return FieldScore {
            precision: 1.0,
            recall: 1.0,
            f1: 1.0,
        };
    }
    let precision = if pred.is_empty() {
        0.0
    } else {
        tp as f64 / pred.len() as f64
    };
    let recall = if n_exp == 0 {
        0.0
    } else {
        tp as f64 / n_exp as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    FieldScore {
        precision,
        recall,
        f1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn accuracy_counts_folded_matches() {
        let a = accuracy([("Bürgeramt", "bürgeramt"), ("Ordnungsamt", "Bauamt")]);
        assert_eq!(a, 0.5);
        assert_eq!(accuracy(std::iter::empty()), 0.0);
    }

    #[test]
    fn json_is_found_inside_markdown_fences() {
        let m = extract_json_object("Hier:\n```json\n{\"name\": \"Meier\"}\n```").unwrap();
        assert_eq!(m["name"], "Meier");
        assert!(extract_json_object("kein JSON").is_none());
        assert!(extract_json_object("{\"a\": }").is_none());
        assert!(extract_json_object("[1, 2]").is_none());
    }

    #[test]
    fn field_f1_matches_hand_computed_value() {
        // expected 4 fields; predicted 3 non-null, 2 of them right.
        // P = 2/3, R = 2/4 → F1 = 2·(2/3)·(1/2) / (2/3 + 1/2) = 4/7
        let exp =
            obj(json!({"name": "Anna Meier", "plz": "06108", "datum": "12.03.2026", "anzahl": 2}));
        let pred = obj(json!({"name": "anna meier", "plz": "06110", "anzahl": "2", "ort": null}));
        let s = field_f1(&pred, &exp);
        assert!((s.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((s.recall - 0.5).abs() < 1e-12);
        assert!((s.f1 - 4.0 / 7.0).abs() < 1e-12);
    }

    #[test]
    fn field_f1_of_empty_prediction_is_zero() {
        let exp = obj(json!({"name": "Anna"}));
        assert_eq!(field_f1(&Map::new(), &exp).f1, 0.0);
        assert_eq!(field_f1(&Map::new(), &Map::new()).f1, 1.0);
    }
}
