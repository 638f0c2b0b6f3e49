//! Nachnutzung: the whole KI-Reise of a municipality as one open bundle
//! (a folder or a ZIP file) that another municipality reads without
//! ki-reise and imports into its own instance to continue from there.
//!
//! A bundle is files in open formats (JSON with the JSON Schemas it carries
//! under `schemas/`, CSV, Markdown, ODT, JSON-LD, OpenAPI), a German
//! `README.md`, and `manifest.json` listing every file with media type,
//! schema and SHA-256. JSON is written canonically (sorted keys), so two
//! exports of the same data differ only in the manifest's `created`.
//! The format is described in `docs/bundle-format.md`.
//!
//! - [`export`] gathers the items of every module from the store and writes
//!   them through a [`write::Sink`], one file at a time;
//! - [`read`] opens a bundle and checks everything before anything is used,
//!   reading it in place one file at a time ([`container`]);
//! - [`import`] compares the bundle with this instance (created, updated,
//!   unchanged, conflicts) and applies it in one transaction.
//!
//! Not here: what each module's exchange formats look like (their own
//! modules in `journey`, `documents`, `bench`), HTTP and the command line.

pub mod canonical;
pub mod check;
pub mod container;
pub mod export;
mod export_options;
pub mod import;
pub mod items;
pub mod manifest;
pub mod read;
pub mod readme;
pub mod schemas;
pub mod write;

/// An error that ends an export or import; the message is German and says
/// what to do.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("Die Datei „{path}“ konnte nicht geschrieben werden: {reason}")]
    Write { path: String, reason: String },
    #[error("Das Paket wurde nicht übernommen:\n{}", .0.join("\n"))]
    Refused(Vec<String>),
    #[error("{0}")]
    Content(String),
}

pub type Result<T> = std::result::Result<T, BundleError>;
