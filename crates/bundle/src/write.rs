//! Writing a bundle into a folder or a ZIP file, one file at a time: each
//! file is hashed and written as it comes, so an export never holds more
//! than one file in memory. The manifest and README come last.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::manifest::{media_type, FileEntry};
use crate::{BundleError, Result};

/// Where the files of an export go.
pub trait Sink {
    fn put(&mut self, path: &str, bytes: &[u8]) -> Result<()>;
}

/// The entry a file gets in the manifest.
pub fn entry(path: &str, schema: Option<&str>, bytes: &[u8]) -> FileEntry {
    FileEntry {
        path: path.to_owned(),
        media_type: media_type(path).to_owned(),
        schema: schema.map(str::to_owned),
        sha256: hex::encode(Sha256::digest(bytes)),
        bytes: bytes.len() as u64,
    }
}

fn write_error(path: &Path, e: impl std::fmt::Display) -> BundleError {
    BundleError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// A folder that must not exist yet or be empty.
pub struct DirSink {
    root: PathBuf,
}

impl DirSink {
    pub fn create(root: &Path) -> Result<DirSink> {
        if root.exists() {
            let empty = std::fs::read_dir(root)
                .map_err(|e| write_error(root, e))?
                .next()
                .is_none();
            if !empty {
                return Err(BundleError::Content(format!(
                    "Der Ordner „{}“ ist nicht leer. Bitte einen neuen oder leeren Ordner angeben.",
                    root.display()
                )));
            }
        }
        std::fs::create_dir_all(root).map_err(|e| write_error(root, e))?;
        Ok(DirSink {
            root: root.to_owned(),
        })
    }
}

impl Sink for DirSink {
    fn put(&mut self, path: &str, bytes: &[u8]) -> Result<()> {
        let target = self.root.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| write_error(parent, e))?;
        }
        std::fs::write(&target, bytes).map_err(|e| write_error(&target, e))
    }
}

/// A ZIP file, written as it goes.
pub struct ZipSink {
    path: PathBuf,
    zip: zip::ZipWriter<BufWriter<File>>,
}

impl ZipSink {
    pub fn create(path: &Path) -> Result<ZipSink> {
        let file = File::create(path).map_err(|e| write_error(path, e))?;
        Ok(ZipSink {
            path: path.to_owned(),
            zip: zip::ZipWriter::new(BufWriter::new(file)),
        })
    }

    pub fn finish(self) -> Result<()> {
        let path = self.path;
        let mut inner = self.zip.finish().map_err(|e| write_error(&path, e))?;
        inner.flush().map_err(|e| write_error(&path, e))
    }
}

impl Sink for ZipSink {
    fn put(&mut self, path: &str, bytes: &[u8]) -> Result<()> {
        // Fixed timestamps (zip's default without its `time` feature) keep
        // two exports of the same data byte-identical inside.
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        self.zip
            .start_file(path, options)
            .map_err(|e| write_error(&self.path, e))?;
        self.zip
            .write_all(bytes)
            .map_err(|e| write_error(&self.path, e))
    }
}

/// Records what would be written and nothing else: the check before a
/// public export, and the preview on the admin page.
#[derive(Debug, Default)]
pub struct DrySink {
    pub files: Vec<(String, Vec<u8>)>,
    pub keep_bytes: bool,
}

impl Sink for DrySink {
    fn put(&mut self, path: &str, bytes: &[u8]) -> Result<()> {
        let kept = if self.keep_bytes {
            bytes.to_vec()
        } else {
            Vec::new()
        };
        self.files.push((path.to_owned(), kept));
        Ok(())
    }
}
