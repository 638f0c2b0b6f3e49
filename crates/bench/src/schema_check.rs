//! JSON-Schema checks of YAML files read by the bench (specs, task sets),
//! with German messages that name the place as a YAML path.

use serde_json::Value;

use crate::error::BenchError;

/// Whether an error message may quote the offending value. A spec's values
/// were typed by the person reading the message; a file read from disk may
/// hold anything (a task file pointed at `/etc/passwd`), so its errors name
/// the place and never the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Echo {
    Values,
    Never,
}

/// Validates `value` against a JSON Schema and turns the first error into a
/// German message with a YAML path.
pub(crate) fn check_against_schema(
    value: &Value,
    schema: &str,
    echo: Echo,
) -> Result<(), BenchError> {
    let schema: Value = serde_json::from_str(schema)
        .map_err(|e| BenchError::spec("(Schema)", format!("Schema ist kein JSON: {e}")))?;
    let validator = jsonschema::validator_for(&schema)
        .map_err(|e| BenchError::spec("(Schema)", format!("Schema ungültig: {e}")))?;
    // Report the deepest error first: it is the most specific one.
    let mut errors: Vec<_> = validator.iter_errors(value).collect();
    errors.sort_by_key(|e| std::cmp::Reverse(e.instance_path.as_str().matches('/').count()));
    match errors.first() {
        None => Ok(()),
        Some(err) => Err(BenchError::spec(
            yaml_path(err.instance_path.as_str()),
            german_message(err, echo),
        )),
    }
}

/// `/targets/0/base_url` → `targets[0].base_url`.
pub(crate) fn yaml_path(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if seg.chars().all(|c| c.is_ascii_digit()) && !seg.is_empty() {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    if out.is_empty() {
        "(Wurzel)".into()
    } else {
        out
    }
}

fn german_message(err: &jsonschema::ValidationError<'_>, echo: Echo) -> String {
    use jsonschema::error::ValidationErrorKind as K;
    let found = match echo {
        Echo::Values => short(&err.instance),
        Echo::Never => "(Inhalt nicht angezeigt)".to_string(),
    };
    match &err.kind {
        K::Required { property } => format!("Pflichtfeld {property} fehlt"),
        K::AdditionalProperties { .. } if echo == Echo::Never => {
            "unbekanntes Feld (Tippfehler?)".into()
        }
        K::AdditionalProperties { unexpected } => {
            format!("unbekanntes Feld: {} (Tippfehler?)", unexpected.join(", "))
        }
        K::Type { kind } => format!("erwartet wird {}, gefunden: {found}", type_name(kind)),
        K::Enum { options } => format!("erlaubt sind {options}, gefunden: {found}"),
        K::Minimum { limit } => format!("muss mindestens {limit} sein, gefunden: {found}"),
        K::ExclusiveMinimum { limit } => format!("muss größer als {limit} sein, gefunden: {found}"),
        K::Maximum { limit } => format!("darf höchstens {limit} sein, gefunden: {found}"),
        K::MinItems { limit } => format!("braucht mindestens {limit} Einträge"),
        K::MinLength { .. } => "darf nicht leer sein".into(),
        K::MinProperties { .. } | K::MaxProperties { .. } => {
            "genau eine der erlaubten Varianten angeben".into()
        }
        K::Pattern { pattern } => format!("hat nicht die Form {pattern}, gefunden: {found}"),
        _ if echo == Echo::Never => "ungültiger Wert".into(),
        _ => format!("ungültiger Wert {found} ({err})"),
    }
}

fn type_name(kind: &jsonschema::error::TypeKind) -> String {
    let s = match kind {
        jsonschema::error::TypeKind::Single(t) => t.to_string(),
        jsonschema::error::TypeKind::Multiple(_) => return "ein anderer Typ".into(),
    };
    match s.as_str() {
        "string" => "ein Text",
        "number" => "eine Zahl",
        "integer" => "eine ganze Zahl",
        "boolean" => "true oder false",
        "array" => "eine Liste",
        "object" => "ein Abschnitt mit Feldern",
        "null" => "kein Wert",
        _ => return s,
    }
    .into()
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::yaml_path;

    #[test]
    fn yaml_paths_read_like_yaml() {
        assert_eq!(yaml_path("/targets/0/base_url"), "targets[0].base_url");
        assert_eq!(yaml_path(""), "(Wurzel)");
        assert_eq!(
            yaml_path("/load_profiles/1/concurrency/2"),
            "load_profiles[1].concurrency[2]"
        );
    }
}
