//! The default German content, compiled into the binary so that a fresh start
//! needs no files. An instance may override a file from its data folder; the
//! caller (which does I/O) reads the override and hands the text to the
//! parsers here.

/// A content file: its path relative to `content/de/` and its default text.
#[derive(Debug, Clone, Copy)]
pub struct ContentFile {
    pub path: &'static str,
    pub default_text: &'static str,
}

pub const JOURNEY: ContentFile = ContentFile {
    path: "journey.yaml",
    default_text: include_str!("../../../content/de/journey.yaml"),
};
