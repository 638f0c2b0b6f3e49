//! A writer that counts and hashes what passes through it, so an entry's
//! size and SHA-256 come from exactly the bytes written (or read back).

use std::io::Write;

use sha2::{Digest, Sha256};

use crate::manifest::Entry;

pub(crate) struct Digesting<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Digesting<W> {
    pub(crate) fn new(inner: W) -> Self {
        Digesting {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The manifest entry for what was written under `name`.
    pub(crate) fn entry(self, name: String) -> Entry {
        Entry {
            name,
            bytes: self.bytes,
            sha256: hex::encode(self.hasher.finalize()),
        }
    }

    /// Whether what passed through is what the manifest says.
    pub(crate) fn matches(&self, entry: &Entry) -> bool {
        self.bytes == entry.bytes && hex::encode(self.hasher.clone().finalize()) == entry.sha256
    }

    pub(crate) fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for Digesting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
