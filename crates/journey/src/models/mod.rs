//! The model catalogue (`content/de/models.yaml`, schema
//! `schemas/models.schema.json`): GGUF models with good German that the
//! engine loads, their files per quantisation and where to download them.
//! `doctor` and the portal recommend from it ([`recommend`]); the portal
//! downloads only addresses that stand here (an allow-list).
//!
//! An instance may replace the shipped catalogue with `content/models.yaml`
//! in its data folder; the caller reads that file and hands its text to
//! [`Catalogue::parse`].

pub mod recommend;

use serde::{Deserialize, Serialize};

use crate::content::ContentFile;

pub const MODELS: ContentFile = ContentFile {
    path: "models.yaml",
    default_text: include_str!("../../../../content/de/models.yaml"),
};

/// Where in the data folder an instance's own catalogue lies.
pub const OVERRIDE_PATH: &str = "content/models.yaml";

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("Modellkatalog: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("Modellkatalog: {0}")]
    Invalid(String),
}

/// Layers and KV heads: what one token of context costs in the KV cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shape {
    pub layers: u32,
    pub kv_heads: u32,
    pub head_dim: u32,
}

/// The publisher's default sampling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sampling {
    pub temperature: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_p: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_penalty: Option<f32>,
}

/// One downloadable file of a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantFile {
    /// The quantisation as llama.cpp names it (`Q4_K_M`, `Q8_0`, ...).
    pub quant: String,
    /// The file name in the data folder's `models/`.
    pub file: String,
    /// Approximate size in bytes (for the recommendation and progress).
    pub size_bytes: u64,
    pub url: String,
    /// Lower-case hex; absent where the checksum is not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// One model of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueModel {
    pub id: String,
    pub name: String,
    /// `general.architecture` in the GGUF file.
    pub architecture: String,
    pub licence: String,
    pub languages: Vec<String>,
    pub context_length: u32,
    pub shape: Shape,
    pub recommended_use: String,
    /// How good its German is, in German.
    pub quality_note: String,
    pub sampling: Sampling,
    pub quants: Vec<QuantFile>,
}

/// The whole catalogue, in the order of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    pub models: Vec<CatalogueModel>,
}

/// A file name that stays inside `models/`: letters, digits, `.`, `-`,
/// `_`, ending in `.gguf`, not hidden.
pub fn is_safe_file_name(name: &str) -> bool {
    name.len() <= 125
        && name.ends_with(".gguf")
        && name.len() > ".gguf".len()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

impl Catalogue {
    /// The catalogue shipped with ki-reise.
    pub fn shipped() -> Result<Catalogue, CatalogueError> {
        Self::parse(MODELS.default_text)
    }

    /// Parses and checks a catalogue: ids and file names unique, file
    /// names safe, addresses http(s), checksums hex.
    pub fn parse(text: &str) -> Result<Catalogue, CatalogueError> {
        let models: Vec<CatalogueModel> = serde_yaml::from_str(text)?;
        let invalid = |m: String| Err(CatalogueError::Invalid(m));
        let mut ids = std::collections::HashSet::new();
        let mut files = std::collections::HashSet::new();
        if models.is_empty() {
            return invalid("der Katalog ist leer".into());
        }
        for m in &models {
            if !ids.insert(m.id.as_str()) {
                return invalid(format!("die Kennung „{}“ steht zweimal darin", m.id));
            }
            if m.quants.is_empty() {
                return invalid(format!("„{}“ hat keine Datei", m.id));
            }
            for q in &m.quants {
                if !is_safe_file_name(&q.file) || !files.insert(q.file.as_str()) {
                    return invalid(format!(
                        "„{}“: der Dateiname „{}“ ist unzulässig oder doppelt",
                        m.id, q.file
                    ));
                }
                if !(q.url.starts_with("https://") || q.url.starts_with("http://")) {
                    return invalid(format!("„{}“: die Adresse ist nicht http(s)", m.id));
                }
                if q.sha256.as_ref().is_some_and(|s| {
                    s.len() != 64 || !s.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
                }) {
                    return invalid(format!("„{}“: die SHA-256 ist kein Hex", m.id));
                }
            }
        }
        Ok(Catalogue { models })
    }

    /// The model and file a client names by id and quantisation.
    pub fn find(&self, id: &str, quant: &str) -> Option<(&CatalogueModel, &QuantFile)> {
        let model = self.models.iter().find(|m| m.id == id)?;
        let file = model.quants.iter().find(|q| q.quant == quant)?;
        Some((model, file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalogue_parses_and_finds_an_entry() {
        let c = Catalogue::shipped().unwrap();
        assert!(c.models.len() >= 8);
        let (m, q) = c.find("qwen2.5-7b-instruct", "Q4_K_M").unwrap();
        assert_eq!(m.architecture, "qwen2");
        assert!(q.url.starts_with("https://huggingface.co/"));
        assert!(c.find("qwen2.5-7b-instruct", "Q2_K").is_none());
    }

    #[test]
    fn unsafe_file_names_and_duplicates_are_refused() {
        for bad in [
            "../x.gguf",
            ".x.gguf",
            "a/b.gguf",
            "x.bin",
            ".gguf",
            "a b.gguf",
        ] {
            assert!(!is_safe_file_name(bad), "{bad}");
        }
        let text = MODELS
            .default_text
            .replace("file: Qwen3-8B-Q8_0.gguf", "file: Qwen3-8B-Q4_K_M.gguf");
        assert!(Catalogue::parse(&text).is_err());
        let text = MODELS
            .default_text
            .replace("file: Qwen3-8B-Q8_0.gguf", "file: ../Qwen3-8B-Q8_0.gguf");
        assert!(Catalogue::parse(&text).is_err());
    }
}
