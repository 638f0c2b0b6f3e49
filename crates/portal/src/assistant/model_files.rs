//! The GGUF files in the data folder's `models/`, where `ki-reise model add`
//! puts them. A model choice stored in the portal is a file *name*; it only
//! ever becomes a path through [`chosen`], which accepts nothing but a name
//! that the folder's own listing holds — so neither a hand-edited database
//! nor a restored backup can make the server open `../../etc/shadow`.

use std::path::{Path, PathBuf};

/// The `.gguf` file names in `dir`, sorted; an absent folder lists nothing.
pub fn listed(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()))
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| plain_model_name(n))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// A plain file name of a GGUF model: no folder part, no `..`, no hidden file.
pub fn plain_model_name(name: &str) -> bool {
    name.ends_with(".gguf")
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && !name.contains("..")
}

/// The path of the model file `name` in `dir`, if `name` is a plain file
/// name that the listing of `dir` holds.
pub fn chosen(dir: &Path, name: &str) -> Option<PathBuf> {
    if !plain_model_name(name) {
        return None;
    }
    listed(dir)
        .into_iter()
        .find(|f| f == name)
        .map(|f| dir.join(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_listed_plain_gguf_name_becomes_a_path() {
        let root = std::env::temp_dir().join(format!("ki-reise-models-{}", std::process::id()));
        let models = root.join("models");
        std::fs::create_dir_all(&models).unwrap();
        std::fs::write(models.join("klein.gguf"), b"GGUF").unwrap();
        std::fs::write(root.join("geheim.gguf"), b"GGUF").unwrap();
        std::fs::write(models.join("notiz.txt"), b"x").unwrap();
        assert_eq!(
            chosen(&models, "klein.gguf"),
            Some(models.join("klein.gguf"))
        );
        for bad in [
            "../geheim.gguf",
            "/etc/passwd",
            &root.join("geheim.gguf").display().to_string(),
            "notiz.txt",
            "fehlt.gguf",
            "sub/klein.gguf",
            "",
        ] {
            assert_eq!(chosen(&models, bad), None, "{bad}");
        }
        assert_eq!(listed(&models), vec!["klein.gguf".to_string()]);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
