//! Knowledge spaces without HTTP or storage: what a document (or a saved
//! e-mail) says as text
//! ([`extract`]), cut into passages along its structure ([`chunk`]), and a
//! lexical ranking of passages for a question ([`bm25`], with the German
//! normalisation in [`german`]). The portal stores the passages and their
//! terms; this crate only computes.
//!
//! Every parser here reads bytes a user uploaded: sizes are bounded before
//! anything is expanded (zip entries, XML nodes, PDF pages, tool output), and
//! errors are German sentences that never quote the file.

mod block;
pub mod bm25;
pub mod chunk;
mod eml;
mod error;
pub mod extract;
pub mod german;
mod html;
mod office;
mod pdf;
mod plain;
pub mod samples;
mod sniff;

pub use error::ExtractError;
pub use extract::{extract, Block, BlockKind, DocumentKind, Extracted};
