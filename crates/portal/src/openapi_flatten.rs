//! `#[serde(flatten)]` of a request type into a response type: utoipa
//! describes the response as `allOf` of the request schema and the added
//! fields. The request schema says `additionalProperties: false` (the
//! server refuses unknown request fields), so no response could satisfy
//! both parts: every field the response adds is "additional" to the first.
//! The served document therefore states such a response as the one object
//! it is: the properties and required fields of all parts, closed.

use serde_json::{Map, Value};

/// The static OpenAPI document as served and exported: utoipa's with the
/// flattened response schemas merged.
pub fn static_document() -> Value {
    let mut doc = serde_json::to_value(<crate::api::ApiDoc as utoipa::OpenApi>::openapi())
        .unwrap_or(Value::Null);
    merge_flattened(&mut doc);
    doc
}

/// Replaces every component schema made of `allOf` parts that are objects
/// (inline or named) by one object with all their properties.
pub fn merge_flattened(doc: &mut Value) {
    let Some(schemas) = doc["components"]["schemas"].as_object().cloned() else {
        return;
    };
    let targets = &mut doc["components"]["schemas"];
    for (name, schema) in &schemas {
        if let Some(merged) = merged(&schemas, schema, 0) {
            targets[name] = merged;
        }
    }
}

/// The one-object form of `schema`, if it is an `allOf` of objects.
fn merged(schemas: &Map<String, Value>, schema: &Value, depth: usize) -> Option<Value> {
    let parts = schema.get("allOf")?.as_array()?;
    // Deeper than any flatten in this API: not a flatten chain.
    if depth > 4 {
        return None;
    }
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    let mut closed = false;
    for part in parts {
        let resolved = match part.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let target = schemas.get(r.strip_prefix("#/components/schemas/")?)?;
                merged(schemas, target, depth + 1).unwrap_or_else(|| target.clone())
            }
            None => merged(schemas, part, depth + 1).unwrap_or_else(|| part.clone()),
        };
        if resolved.get("type").and_then(Value::as_str) != Some("object") {
            return None;
        }
        closed |= resolved.get("additionalProperties") == Some(&Value::Bool(false));
        properties.extend(
            resolved["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        for field in resolved["required"].as_array().into_iter().flatten() {
            if !required.contains(field) {
                required.push(field.clone());
            }
        }
    }
    let mut object = Map::new();
    object.insert("type".into(), "object".into());
    if let Some(description) = schema.get("description") {
        object.insert("description".into(), description.clone());
    }
    object.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        object.insert("required".into(), Value::Array(required));
    }
    if closed {
        object.insert("additionalProperties".into(), Value::Bool(false));
    }
    Some(Value::Object(object))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_flattened_closed_request_becomes_one_closed_object_with_every_field() {
        let mut doc = json!({"components": {"schemas": {
            "QuotaInputDto": {"type": "object", "additionalProperties": false,
                "required": ["scope"], "properties": {"scope": {"type": "string"}}},
            "QuotaDto": {"allOf": [
                {"$ref": "#/components/schemas/QuotaInputDto"},
                {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}
            ]},
            "Other": {"allOf": [{"type": "string"}]}
        }}});
        merge_flattened(&mut doc);
        let quota = &doc["components"]["schemas"]["QuotaDto"];
        assert_eq!(quota["required"], json!(["scope", "id"]));
        assert_eq!(quota["additionalProperties"], json!(false));
        assert_eq!(quota["properties"]["id"]["type"], "integer");
        assert_eq!(quota["properties"]["scope"]["type"], "string");
        // Not objects: left as utoipa wrote it.
        assert!(doc["components"]["schemas"]["Other"]["allOf"].is_array());
    }

    #[test]
    fn the_served_document_has_no_flattened_response_left_that_refuses_its_own_fields() {
        let doc = static_document();
        for name in ["QuotaDto", "PartnerDto", "PersonDto", "SessionDto"] {
            let schema = &doc["components"]["schemas"][name];
            assert!(schema.get("allOf").is_none(), "{name}: {schema}");
            assert!(
                schema["properties"].as_object().unwrap().len() > 2,
                "{name}"
            );
        }
    }
}
