//! Which files of the data folder a backup carries, and whether a data
//! folder counts as empty for a restore.

use std::path::{Component, Path, PathBuf};

use crate::{refused, Result};

/// The SQLite database and its companions travel as tables, not as files.
const DATABASE_FILES: &[&str] = &[
    "ki-reise.db",
    "ki-reise.db-wal",
    "ki-reise.db-shm",
    "ki-reise.db-journal",
];
/// The probe `ki-reise` writes to test that the folder is writable.
const PROBE: &str = ".schreibtest";
/// Large, downloadable again, and not the municipality's own data.
pub const MODELS: &str = "models";
/// Where a restore stages files until the database is in.
pub const STAGING: &str = ".wiederherstellung";

/// A file to back up: its path relative to the data folder (`/`-separated)
/// and where it is.
#[derive(Debug, Clone)]
pub struct DataFile {
    pub relative: String,
    pub path: PathBuf,
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Listing {
    pub files: Vec<DataFile>,
    /// Links, sockets and names that are not UTF-8: left out and named.
    pub skipped: Vec<String>,
}

fn excluded(relative: &str, with_models: bool) -> bool {
    let first = relative.split('/').next().unwrap_or("");
    DATABASE_FILES.contains(&relative)
        || relative == PROBE
        || first == STAGING
        || (first == MODELS && !with_models)
}

/// Every regular file under `root`, sorted, without the database, the
/// probe, models (unless asked for) and `skip` (the archive being written).
pub fn list(root: &Path, with_models: bool, skip: &[PathBuf]) -> Result<Listing> {
    let mut listing = Listing::default();
    if !root.exists() {
        return Ok(listing);
    }
    walk(root, root, with_models, skip, &mut listing)?;
    listing.files.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(listing)
}

fn walk(
    root: &Path,
    dir: &Path,
    with_models: bool,
    skip: &[PathBuf],
    out: &mut Listing,
) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        refused(format!(
            "Der Ordner „{}“ ist nicht lesbar: {e}.",
            dir.display()
        ))
    })?;
    for entry in entries {
        let entry = entry.map_err(|e| refused(format!("{}: {e}", dir.display())))?;
        let path = entry.path();
        let Some(relative) = relative_name(root, &path) else {
            out.skipped.push(path.display().to_string());
            continue;
        };
        if excluded(&relative, with_models) || skip.iter().any(|s| s == &path) {
            continue;
        }
        let kind = entry
            .file_type()
            .map_err(|e| refused(format!("{}: {e}", path.display())))?;
        if kind.is_dir() {
            walk(root, &path, with_models, skip, out)?;
        } else if kind.is_file() {
            out.files.push(DataFile { relative, path });
        } else {
            out.skipped.push(relative);
        }
    }
    Ok(())
}

fn relative_name(root: &Path, path: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = path
        .strip_prefix(root)
        .ok()?
        .components()
        .map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect();
    Some(parts?.join("/"))
}

/// A path from an archive, checked before it becomes a file path: relative,
/// only plain names, no `..`, no backslash, no drive.
pub fn safe_relative(path: &str) -> Option<PathBuf> {
    if path.is_empty() || path.contains('\\') || path.contains('\0') {
        return None;
    }
    let mut out = PathBuf::new();
    for part in path.split('/') {
        if part.is_empty() || part == "." || part == ".." || part.contains(':') {
            return None;
        }
        out.push(part);
    }
    Some(out)
}

/// The files a data folder holds that a restore would clash with: all but
/// the database files, the probe and models.
pub fn user_files(root: &Path) -> Result<Vec<String>> {
    Ok(list(root, false, &[])?
        .files
        .into_iter()
        .map(|f| f.relative)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_paths_that_could_leave_the_data_folder_are_refused() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "a\\b",
            "C:/x",
            "./a",
        ] {
            assert_eq!(safe_relative(bad), None, "{bad:?}");
        }
        assert_eq!(
            safe_relative("nachnutzung/paket.zip"),
            Some(PathBuf::from("nachnutzung").join("paket.zip"))
        );
    }

    #[test]
    fn the_database_probe_staging_and_models_stay_out_unless_models_are_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "ki-reise.db",
            "ki-reise.db-wal",
            ".schreibtest",
            "models/m.gguf",
            ".wiederherstellung/x",
            "policy/regelwerk.json",
            "bench/1/report.json",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, f).unwrap();
        }
        let names = |with_models| -> Vec<String> {
            list(root, with_models, &[])
                .unwrap()
                .files
                .into_iter()
                .map(|f| f.relative)
                .collect()
        };
        assert_eq!(
            names(false),
            ["bench/1/report.json", "policy/regelwerk.json"]
        );
        assert_eq!(
            names(true),
            [
                "bench/1/report.json",
                "models/m.gguf",
                "policy/regelwerk.json"
            ]
        );
    }
}
