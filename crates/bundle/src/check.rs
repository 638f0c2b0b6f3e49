//! Checks on what goes out and what comes in: personal data in a public
//! bundle, safe paths, and hostile text in anything a bundle brings.

use store::Store;

use crate::Result;

/// The names and e-mail addresses of this instance's accounts and the
/// contacts of its profile, to be found in nothing a public bundle carries.
#[derive(Debug, Clone, Default)]
pub struct PersonalData {
    needles: Vec<(String, &'static str)>,
}

/// Shorter names would match ordinary words.
const MIN_NEEDLE: usize = 5;

impl PersonalData {
    pub async fn of(store: &Store) -> Result<PersonalData> {
        let mut needles = Vec::new();
        for u in store.users().await? {
            needles.push((u.email.to_lowercase(), "die E-Mail-Adresse eines Kontos"));
            needles.push((u.name.to_lowercase(), "der Name eines Kontos"));
        }
        if let Some((p, _)) = store.profile().await? {
            for c in [
                p.dpo_contact,
                p.it_security_contact,
                p.staff_council_contact,
            ] {
                needles.push((c.to_lowercase(), "eine Kontaktangabe aus dem Profil"));
            }
        }
        needles.retain(|(n, _)| n.trim().chars().count() >= MIN_NEEDLE);
        needles.sort();
        needles.dedup();
        Ok(PersonalData { needles })
    }

    pub fn from_needles(needles: &[&str]) -> PersonalData {
        PersonalData {
            needles: needles
                .iter()
                .map(|n| (n.to_lowercase(), "eine personenbezogene Angabe"))
                .collect(),
        }
    }

    /// The problems of one file: which kind of personal data it contains
    /// (never the data itself, so the report may be shown anywhere).
    pub fn find(&self, path: &str, bytes: &[u8]) -> Vec<String> {
        let text = String::from_utf8_lossy(bytes).to_lowercase();
        let mut found: Vec<&str> = self
            .needles
            .iter()
            .filter(|(n, _)| text.contains(n.as_str()))
            .map(|(_, what)| *what)
            .collect();
        found.dedup();
        found
            .into_iter()
            .map(|what| {
                format!("{path}: enthält {what}; diese Datei darf nicht veröffentlicht werden.")
            })
            .collect()
    }
}

/// A file or folder name we write and accept: letters, digits, `.`, `_`,
/// `-`, not starting with a dot, at most 100 characters.
pub fn is_safe_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// A relative path of safe segments: nothing that leaves the bundle's
/// folder (`..`, absolute paths, backslashes, drive letters).
pub fn is_safe_path(path: &str) -> bool {
    path.len() <= 300 && path.split('/').all(is_safe_segment)
}

/// Why a text a bundle brings is refused, if it is: control characters,
/// characters that reorder text on screen, or markup that runs code.
pub fn hostile_text(text: &str) -> Option<&'static str> {
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Some("enthält Steuerzeichen");
    }
    if text
        .chars()
        .any(|c| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
    {
        return Some("enthält Zeichen, die die Leserichtung umkehren");
    }
    let lower = text.to_lowercase();
    for needle in [
        "<script",
        "javascript:",
        "<iframe",
        "<object",
        "<embed",
        " onerror=",
        " onload=",
    ] {
        if lower.contains(needle) {
            return Some("enthält ausführbares HTML oder JavaScript");
        }
    }
    None
}

/// The first hostile string anywhere in a JSON value (keys included).
pub fn hostile_json(value: &serde_json::Value) -> Option<&'static str> {
    use serde_json::Value;
    match value {
        Value::String(s) => hostile_text(s),
        Value::Array(items) => items.iter().find_map(hostile_json),
        Value::Object(map) => map
            .iter()
            .find_map(|(k, v)| hostile_text(k).or_else(|| hostile_json(v))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_bundle_are_refused() {
        for bad in [
            "../x",
            "a/../../b",
            "/etc/passwd",
            "a\\b",
            "C:/x",
            "a//b",
            ".hidden",
            "",
        ] {
            assert!(!is_safe_path(bad), "{bad}");
        }
        assert!(is_safe_path("umfragen/umfrage-ab12-1/fragebogen.json"));
    }

    #[test]
    fn hostile_text_is_named() {
        assert!(hostile_text("Hallo <script>alert(1)</script>").is_some());
        assert!(hostile_text("a\u{202e}b").is_some());
        assert!(hostile_text("a\u{0}b").is_some());
        assert!(hostile_text("Ein ganz normaler Text,\nmit Zeilen.").is_none());
    }

    #[test]
    fn personal_data_is_found_case_insensitively_without_echoing_it() {
        let p = PersonalData::from_needles(&["erika.muster@stadt.example"]);
        let hits = p.find("x.json", b"{\"a\":\"ERIKA.MUSTER@stadt.example\"}");
        assert_eq!(hits.len(), 1);
        assert!(!hits[0].contains("erika"));
    }
}
