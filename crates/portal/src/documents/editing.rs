//! Operations on a document's text that the editor pages and the API share:
//! checking an edited text, rendering a template's interview, checking a
//! comment on a section. The adapters differ only in how they show a
//! refusal (beside the field on the page, one JSON error in the API).

use documents::{RenderError, Template};
use serde_json::{Map, Value};

use crate::error::AppError;
use crate::form::FieldErrors;

/// Longest Markdown text accepted for one version.
pub const MAX_MARKDOWN_CHARS: usize = 400_000;
/// Longest note saved with a version.
pub const MAX_NOTE_CHARS: usize = 300;
/// Longest comment on a section.
pub const MAX_COMMENT_CHARS: usize = 4000;

/// What is wrong with an edited text and its note; empty when it may be saved.
pub fn check_edit(markdown: &str, note: &str) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let chars = markdown.chars().count();
    if markdown.trim().is_empty() {
        errors.insert("markdown", "Der Text ist leer.");
    } else if chars > MAX_MARKDOWN_CHARS {
        errors.insert(
            "markdown",
            format!("Der Text ist zu lang ({chars} Zeichen, höchstens {MAX_MARKDOWN_CHARS})."),
        );
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        errors.insert(
            "note",
            format!("Die Notiz darf höchstens {MAX_NOTE_CHARS} Zeichen haben."),
        );
    }
    errors
}

/// The note stored with an edited version: the user's, else a default.
pub fn edit_note(note: &str) -> &str {
    match note.trim() {
        "" => "Im Editor geändert",
        trimmed => trimmed,
    }
}

/// The text a template renders from interview answers, and the answers as
/// stored (defaults and profile values filled in). A missing or invalid
/// answer is refused naming it as `answers.<question>`.
pub fn render_interview(
    template: &Template,
    answers: &Map<String, Value>,
    prefill: &Value,
) -> Result<(String, Map<String, Value>), AppError> {
    let markdown = template.render(answers, prefill).map_err(|e| match &e {
        RenderError::MissingAnswers(names) => AppError::invalid(
            &format!("answers.{}", names.first().map_or("", String::as_str)),
            e.to_string(),
        ),
        RenderError::InvalidAnswers(list) => AppError::invalid(
            &format!("answers.{}", list.first().map_or("", |a| a.name.as_str())),
            e.to_string(),
        ),
        _ => AppError::internal("render a document from its template", e),
    })?;
    let resolved = template
        .resolve_answers(answers, prefill)
        .map_err(|e| AppError::invalid("answers", e.to_string()))?;
    Ok((markdown, resolved))
}

/// Why a comment cannot be saved on a version's section, as (field, message).
pub fn check_comment(
    version_markdown: &str,
    anchor: &str,
    body: &str,
) -> Result<(), (&'static str, String)> {
    if !documents::sections(version_markdown)
        .iter()
        .any(|s| s.anchor == anchor)
    {
        return Err((
            "anchor",
            "Diesen Abschnitt gibt es in der Version nicht.".to_owned(),
        ));
    }
    let chars = body.trim().chars().count();
    if chars == 0 || chars > MAX_COMMENT_CHARS {
        return Err((
            "body",
            format!("Der Kommentar muss zwischen 1 und {MAX_COMMENT_CHARS} Zeichen lang sein."),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_or_overlong_text_and_a_long_note_are_refused() {
        let errors = check_edit("  \n", &"n".repeat(MAX_NOTE_CHARS + 1));
        assert_eq!(errors.get("markdown").unwrap(), "Der Text ist leer.");
        assert!(errors.get("note").unwrap().contains("300"));
        let long = "a".repeat(MAX_MARKDOWN_CHARS + 1);
        assert!(check_edit(&long, "")
            .get("markdown")
            .unwrap()
            .contains("zu lang"));
        assert!(check_edit("# Titel\n\nText", "").is_empty());
    }

    #[test]
    fn the_default_note_replaces_an_empty_one_only() {
        assert_eq!(edit_note("  "), "Im Editor geändert");
        assert_eq!(edit_note(" Tippfehler "), "Tippfehler");
    }

    #[test]
    fn a_comment_needs_a_section_of_the_version_and_a_body() {
        let markdown = "# Zweck\n\nText\n\n## Geltungsbereich\n\nMehr";
        let anchor = documents::sections(markdown)[0].anchor.clone();
        assert!(check_comment(markdown, &anchor, "Bitte kürzen.").is_ok());
        assert_eq!(
            check_comment(markdown, "gibt-es-nicht", "x").unwrap_err().0,
            "anchor"
        );
        assert_eq!(
            check_comment(markdown, &anchor, "  ").unwrap_err().0,
            "body"
        );
        let long = "x".repeat(MAX_COMMENT_CHARS + 1);
        assert_eq!(
            check_comment(markdown, &anchor, &long).unwrap_err().0,
            "body"
        );
    }
}
