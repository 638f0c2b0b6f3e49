//! Checking and restoring a backup archive.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

use store::Store;
use zip::ZipArchive;

use crate::create::copy;
use crate::data_folder::{self, STAGING};
use crate::digest::Digesting;
use crate::manifest::{self, Entry, Manifest};
use crate::{refused, Progress, Result};

/// A manifest larger than this is not one of ours.
const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

/// What a restore brought back.
#[derive(Debug, Clone)]
pub struct Restored {
    pub manifest: Manifest,
    pub rows: u64,
    pub files: usize,
}

type Archive = ZipArchive<BufReader<File>>;

fn open(archive: &Path) -> Result<Archive> {
    let file = File::open(archive).map_err(|e| {
        refused(format!(
            "Die Sicherung „{}“ ist nicht lesbar: {e}.",
            archive.display()
        ))
    })?;
    ZipArchive::new(BufReader::new(file)).map_err(|e| {
        refused(format!(
            "„{}“ ist keine lesbare Sicherung (ZIP): {e}.",
            archive.display()
        ))
    })
}

fn damaged(name: &str, why: impl std::fmt::Display) -> crate::BackupError {
    refused(format!(
        "Die Sicherung ist beschädigt: {name} {why}. Es wurde nichts wiederhergestellt."
    ))
}

/// Reads the manifest and checks every entry's size and SHA-256 against
/// it; nothing is written. Returns the manifest of a sound archive.
pub fn verify(archive_path: &Path, progress: &mut dyn Progress) -> Result<Manifest> {
    let mut archive = open(archive_path)?;
    let manifest = read_manifest(&mut archive)?;
    let mut expected = BTreeSet::from([manifest::MANIFEST_PATH.to_string()]);
    for t in &manifest.tables {
        if t.entry.name != manifest::table_entry(&t.schema.name) {
            return Err(damaged(&t.entry.name, "ist kein gültiger Tabellenname"));
        }
        if !expected.insert(t.entry.name.clone()) {
            return Err(damaged(&t.entry.name, "kommt mehrfach vor"));
        }
    }
    for f in &manifest.files {
        if data_folder::safe_relative(&f.path).is_none()
            || f.entry.name != manifest::file_entry(&f.path)
        {
            return Err(damaged(
                &f.path,
                "ist kein erlaubter Pfad im Datenordner (nur relative Namen ohne „..“)",
            ));
        }
        if !expected.insert(f.entry.name.clone()) {
            return Err(damaged(&f.entry.name, "kommt mehrfach vor"));
        }
    }
    let present: BTreeSet<String> = archive
        .file_names()
        .filter(|n| !n.ends_with('/'))
        .map(str::to_string)
        .collect();
    if let Some(extra) = present.difference(&expected).next() {
        return Err(damaged(extra, "steht nicht im Manifest"));
    }
    if let Some(missing) = expected.difference(&present).next() {
        return Err(damaged(missing, "fehlt"));
    }
    let total = manifest.tables.iter().map(|t| t.entry.bytes).sum::<u64>()
        + manifest.files.iter().map(|f| f.entry.bytes).sum::<u64>();
    progress.phase("Prüfsummen", total);
    let entries = manifest
        .tables
        .iter()
        .map(|t| &t.entry)
        .chain(manifest.files.iter().map(|f| &f.entry));
    for entry in entries {
        let mut reader = archive
            .by_name(&entry.name)
            .map_err(|e| damaged(&entry.name, e))?;
        let mut sink = Digesting::new(std::io::sink());
        copy(&mut reader, &mut sink, progress).map_err(|e| damaged(&entry.name, e))?;
        check(sink, entry)?;
    }
    Ok(manifest)
}

fn read_manifest(archive: &mut Archive) -> Result<Manifest> {
    let entry = archive
        .by_name(manifest::MANIFEST_PATH)
        .map_err(|_| refused("Die Datei ist keine Sicherung von ki-reise: manifest.json fehlt."))?;
    let mut text = Vec::new();
    entry
        .take(MAX_MANIFEST_BYTES)
        .read_to_end(&mut text)
        .map_err(|e| damaged(manifest::MANIFEST_PATH, e))?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| damaged(manifest::MANIFEST_PATH, format!("ist fehlerhaft ({e})")))?;
    if manifest.format != manifest::FORMAT {
        return Err(refused("Die Datei ist keine Sicherung von ki-reise."));
    }
    if manifest.format_version != manifest::FORMAT_VERSION {
        return Err(refused(format!(
            "Die Sicherung hat das Format {}, diese Version von ki-reise liest Format {}.",
            manifest.format_version,
            manifest::FORMAT_VERSION
        )));
    }
    Ok(manifest)
}

/// Fails unless what passed through `sink` is what the manifest says.
fn check<W: Write>(sink: Digesting<W>, entry: &Entry) -> Result<W> {
    if !sink.matches(entry) {
        return Err(damaged(
            &entry.name,
            "stimmt nicht mit seiner Prüfsumme im Manifest überein",
        ));
    }
    Ok(sink.into_inner())
}

/// Restores `archive_path` into the empty instance of `store` and
/// `data_dir`. The archive is verified whole first; then the database is
/// brought to the backup's schema, loaded in one transaction and migrated
/// to this build's schema, and the staged files are moved into place.
pub async fn restore(
    store: &Store,
    data_dir: &Path,
    archive_path: &Path,
    progress: &mut dyn Progress,
) -> Result<Restored> {
    let manifest = verify(archive_path, progress)?;
    check_schema(store, &manifest).await?;
    let newest = manifest
        .database
        .migrations
        .iter()
        .copied()
        .max()
        .unwrap_or(0);
    store.migrate_up_to(newest).await?;
    if let Some(table) = store.first_table_with_data().await? {
        return Err(not_empty(format!(
            "Die Tabelle „{table}“ der Datenbank enthält bereits Daten"
        )));
    }
    if let Some(file) = data_folder::user_files(data_dir)?.first() {
        return Err(not_empty(format!(
            "Der Datenordner „{}“ enthält bereits „{file}“",
            data_dir.display()
        )));
    }
    let staging = data_dir.join(STAGING);
    let _ = std::fs::remove_dir_all(&staging);
    let result = restore_into(store, data_dir, archive_path, &manifest, progress).await;
    let _ = std::fs::remove_dir_all(&staging);
    result
}

async fn restore_into(
    store: &Store,
    data_dir: &Path,
    archive_path: &Path,
    manifest: &Manifest,
    progress: &mut dyn Progress,
) -> Result<Restored> {
    let mut archive = open(archive_path)?;
    let staging = data_dir.join(STAGING);
    let cannot_write = |path: &Path, e: std::io::Error| {
        refused(format!(
            "„{}“ kann nicht geschrieben werden: {e}. Es wurde nichts wiederhergestellt.",
            path.display()
        ))
    };

    // Files first, into a staging folder: a full disk shows before the
    // database is touched.
    progress.phase(
        "Dateien",
        manifest.files.iter().map(|f| f.entry.bytes).sum(),
    );
    for f in &manifest.files {
        let relative = data_folder::safe_relative(&f.path)
            .ok_or_else(|| damaged(&f.path, "ist kein erlaubter Pfad"))?;
        let target = staging.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| cannot_write(parent, e))?;
        }
        let out = File::create(&target).map_err(|e| cannot_write(&target, e))?;
        let mut reader = archive
            .by_name(&f.entry.name)
            .map_err(|e| damaged(&f.entry.name, e))?;
        let mut sink = Digesting::new(out);
        copy(&mut reader, &mut sink, progress).map_err(|e| cannot_write(&target, e))?;
        check(sink, &f.entry)?
            .sync_all()
            .map_err(|e| cannot_write(&target, e))?;
    }

    progress.phase("Datenbank", manifest.tables.iter().map(|t| t.rows).sum());
    let mut loader = store.begin_load().await?;
    let mut rows = 0u64;
    for table in &manifest.tables {
        loader.begin_table(&table.schema)?;
        let entry = archive
            .by_name(&table.entry.name)
            .map_err(|e| damaged(&table.entry.name, e))?;
        let mut reader = BufReader::new(entry);
        let mut digest = Digesting::new(std::io::sink());
        let mut count = 0u64;
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| damaged(&table.entry.name, e))?;
            if n == 0 {
                break;
            }
            digest
                .write_all(&line)
                .map_err(|e| damaged(&table.entry.name, e))?;
            let values: Vec<serde_json::Value> = serde_json::from_slice(&line).map_err(|e| {
                damaged(
                    &table.entry.name,
                    format!("hat eine fehlerhafte Zeile ({e})"),
                )
            })?;
            loader.insert(&values).await?;
            count += 1;
            progress.advance(1);
        }
        if !digest.matches(&table.entry) || count != table.rows {
            return Err(damaged(
                &table.entry.name,
                "hat sich seit der Prüfung verändert",
            ));
        }
        rows += count;
    }
    loader.finish().await?;
    store.migrate().await?;

    for f in &manifest.files {
        let relative = data_folder::safe_relative(&f.path)
            .ok_or_else(|| damaged(&f.path, "ist kein erlaubter Pfad"))?;
        let target = data_dir.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| cannot_write(parent, e))?;
        }
        std::fs::rename(staging.join(&relative), &target).map_err(|e| cannot_write(&target, e))?;
    }
    Ok(Restored {
        manifest: manifest.clone(),
        rows,
        files: manifest.files.len(),
    })
}

fn not_empty(what: String) -> crate::BackupError {
    refused(format!(
        "Die Zielinstanz ist nicht leer: {what}. Eine Sicherung wird nur in eine leere Instanz \
         wiederhergestellt (neue, leere Datenbank und leerer Datenordner); es wurde nichts verändert."
    ))
}

/// The backup's schema must be one this build can reach from the target's.
async fn check_schema(store: &Store, manifest: &Manifest) -> Result<()> {
    let known: Vec<i64> = store.known_migrations().iter().map(|m| m.version).collect();
    let taken = &manifest.database.migrations;
    if taken.is_empty() {
        return Err(damaged(manifest::MANIFEST_PATH, "nennt keine Migrationen"));
    }
    if let Some(v) = taken.iter().find(|v| !known.contains(v)) {
        return Err(refused(format!(
            "Die Sicherung stammt von einer neueren Version von ki-reise ({}, Migration {v}). \
             Installieren Sie diese oder eine neuere Version und stellen Sie dann wieder her.",
            manifest.ki_reise_version
        )));
    }
    let applied = store.applied_migrations().await?;
    if let Some(v) = applied.iter().find(|v| !taken.contains(v)) {
        return Err(refused(format!(
            "Die Zieldatenbank ist schon weiter migriert (Migration {v}) als die Sicherung \
             (ki-reise {}). Stellen Sie in eine neu angelegte, leere Datenbank wieder her; \
             es wurde nichts verändert.",
            manifest.ki_reise_version
        )));
    }
    Ok(())
}
