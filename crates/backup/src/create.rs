//! Writing a backup archive.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;
use store::backup::{RowSink, TableSchema};
use store::Store;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::data_folder;
use crate::digest::Digesting;
use crate::manifest::{self, Entry, Manifest};
use crate::{refused, Progress, Result};

#[derive(Debug, Clone)]
pub struct Options {
    /// The instance's data folder (its files go into the archive).
    pub data_dir: PathBuf,
    /// Also back up `models/` (large; usually downloaded again instead).
    pub with_models: bool,
    /// Recorded in the manifest.
    pub ki_reise_version: String,
}

/// What a backup holds, for the closing message.
#[derive(Debug, Clone)]
pub struct Summary {
    pub manifest: Manifest,
    pub archive_bytes: u64,
    /// Data-folder entries left out because they are not regular files.
    pub skipped: Vec<String>,
}

type Zip = ZipWriter<BufWriter<File>>;

fn io(e: zip::result::ZipError) -> std::io::Error {
    std::io::Error::other(e)
}

/// Writes tables as JSON lines into the archive while the store reads them.
struct TableWriter<'z, 'p> {
    zip: &'z mut Zip,
    progress: &'p mut dyn Progress,
    open: Option<(String, Digesting<std::io::Sink>)>,
    done: Vec<Entry>,
    line: Vec<u8>,
}

impl RowSink for TableWriter<'_, '_> {
    fn begin_table(&mut self, table: &TableSchema) -> std::io::Result<()> {
        let name = manifest::table_entry(&table.name);
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(1))
            .large_file(true);
        self.zip.start_file(name.as_str(), options).map_err(io)?;
        self.open = Some((name, Digesting::new(std::io::sink())));
        Ok(())
    }

    fn row(&mut self, values: &[Value]) -> std::io::Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, values)?;
        self.line.push(b'\n');
        self.zip.write_all(&self.line)?;
        if let Some((_, digest)) = &mut self.open {
            digest.write_all(&self.line)?;
        }
        self.progress.advance(1);
        Ok(())
    }

    fn end_table(&mut self) -> std::io::Result<()> {
        if let Some((name, digest)) = self.open.take() {
            self.done.push(digest.entry(name));
        }
        Ok(())
    }
}

/// Backs up the store and the data folder into `out`. The archive is
/// written beside it as `out.teil` and renamed when complete, so `out`
/// is never a half-written backup.
pub async fn create(
    store: &Store,
    options: &Options,
    out: &Path,
    progress: &mut dyn Progress,
) -> Result<Summary> {
    let partial = partial_path(out);
    let result = write(store, options, out, &partial, progress).await;
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".teil");
    out.with_file_name(name)
}

async fn write(
    store: &Store,
    options: &Options,
    out: &Path,
    partial: &Path,
    progress: &mut dyn Progress,
) -> Result<Summary> {
    let cannot_write = |e: &dyn std::fmt::Display| {
        refused(format!(
            "Die Sicherung „{}“ kann nicht geschrieben werden: {e}.",
            out.display()
        ))
    };
    let file = File::create(partial).map_err(|e| cannot_write(&e))?;
    let mut zip = ZipWriter::new(BufWriter::new(file));

    progress.phase("Datenbank", 0);
    let mut tables = TableWriter {
        zip: &mut zip,
        progress,
        open: None,
        done: Vec::new(),
        line: Vec::new(),
    };
    let snapshot = store.dump(&mut tables).await?;
    let TableWriter {
        done: table_entries,
        progress,
        ..
    } = tables;

    // The archive itself may lie in the data folder.
    let skip: Vec<PathBuf> = [out, partial].iter().map(|p| absolute(p)).collect();
    let listing = data_folder::list(&absolute(&options.data_dir), options.with_models, &skip)?;
    let total: u64 = listing
        .files
        .iter()
        .filter_map(|f| f.path.metadata().ok())
        .map(|m| m.len())
        .sum();
    progress.phase("Dateien", total);
    let mut files = Vec::new();
    for f in &listing.files {
        let mut source = match File::open(&f.path) {
            Ok(s) => s,
            // Deleted since the walk (a purged upload): nothing to keep.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(refused(format!(
                    "Die Datei „{}“ ist nicht lesbar: {e}.",
                    f.path.display()
                )))
            }
        };
        let name = manifest::file_entry(&f.relative);
        // Uploads are mostly compressed already; storing them is as small
        // and much faster.
        let entry_options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .large_file(true);
        zip.start_file(name.as_str(), entry_options)
            .map_err(|e| cannot_write(&e))?;
        let mut sink = Digesting::new(&mut zip);
        copy(&mut source, &mut sink, progress).map_err(|e| cannot_write(&e))?;
        files.push(manifest::File {
            path: f.relative.clone(),
            entry: sink.entry(name),
        });
    }

    let manifest = Manifest {
        format: manifest::FORMAT.into(),
        format_version: manifest::FORMAT_VERSION,
        created_at: now_rfc3339(),
        ki_reise_version: options.ki_reise_version.clone(),
        database: manifest::Database {
            backend: snapshot.backend.into(),
            migrations: snapshot.migrations,
        },
        tables: snapshot
            .tables
            .into_iter()
            .zip(table_entries)
            .map(|((schema, rows), entry)| manifest::Table {
                schema,
                rows,
                entry,
            })
            .collect(),
        files,
        models_included: options.with_models,
    };
    zip.start_file(
        manifest::MANIFEST_PATH,
        SimpleFileOptions::default().compression_method(CompressionMethod::Deflated),
    )
    .map_err(|e| cannot_write(&e))?;
    serde_json::to_writer_pretty(&mut zip, &manifest).map_err(|e| cannot_write(&e))?;
    let mut buffered = zip.finish().map_err(|e| cannot_write(&e))?;
    buffered.flush().map_err(|e| cannot_write(&e))?;
    let file = buffered.into_inner().map_err(|e| cannot_write(&e))?;
    // On disk before the rename makes it the backup.
    file.sync_all().map_err(|e| cannot_write(&e))?;
    let archive_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    drop(file);
    std::fs::rename(partial, out).map_err(|e| cannot_write(&e))?;
    Ok(Summary {
        manifest,
        archive_bytes,
        skipped: listing.skipped,
    })
}

pub(crate) fn copy(
    from: &mut dyn Read,
    to: &mut dyn Write,
    progress: &mut dyn Progress,
) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(&buf[..n])?;
        total += n as u64;
        progress.advance(n as u64);
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
