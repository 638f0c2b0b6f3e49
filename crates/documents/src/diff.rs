//! A readable comparison of two versions of a document: lines added, removed
//! and unchanged, with the changed words marked inside changed lines.
//!
//! The HTML never relies on colour alone: every changed line says in words
//! what happened ("hinzugefügt", "entfernt") and carries a sign (+/−), and
//! `<ins>`/`<del>` spans have hidden start and end markers that screen
//! readers announce (most do not announce `<ins>`/`<del>` by themselves).

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use journey::escape::xml as escape;

/// Unchanged lines shown around a change in [`Diff::to_html`].
pub const CONTEXT_LINES: usize = 3;

/// Styles the portal includes for [`Diff::to_html`]: strike-through and
/// underline besides the colours, and the hidden screen-reader markers.
pub const CSS: &str = "\
.diff { border-collapse: collapse; width: 100%; font-family: monospace; }
.diff td, .diff th { padding: 0.1rem 0.4rem; vertical-align: top; text-align: left; }
.diff .nr { color: #555; text-align: right; }
.diff tr.ins { background: #e6f4ea; }
.diff tr.del { background: #fce8e6; }
.diff ins { text-decoration: underline; background: #b7e1c1; }
.diff del { text-decoration: line-through; background: #f4b8b0; }
.diff tr.skip td { font-style: italic; color: #555; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
";

/// The comparison of two texts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub lines: Vec<DiffLine>,
}

/// What happened to one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineChange {
    Unchanged,
    Inserted,
    Deleted,
}

/// One line of the comparison, split into parts where words changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    pub change: LineChange,
    /// Line number in the old text (for unchanged and deleted lines).
    pub old_line: Option<usize>,
    /// Line number in the new text (for unchanged and inserted lines).
    pub new_line: Option<usize>,
    /// The line's text in parts; `emphasized` marks the words that changed.
    pub parts: Vec<DiffPart>,
}

impl DiffLine {
    /// The whole line as text.
    pub fn text(&self) -> String {
        self.parts.iter().map(|p| p.text.as_str()).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffPart {
    pub text: String,
    pub emphasized: bool,
}

/// How much changed. A line edited in place counts once, as changed, not
/// as one deleted and one inserted line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct DiffStats {
    /// Lines edited in place (an old line and the new line it became).
    pub changed_lines: usize,
    /// Lines that are new and replace nothing.
    pub inserted_lines: usize,
    /// Lines removed without a replacement.
    pub deleted_lines: usize,
    pub unchanged_lines: usize,
    /// Words changed inside changed lines: per line the larger of the words
    /// taken out and the words put in, so one replaced word counts once.
    pub changed_words: usize,
}

impl DiffStats {
    /// The summary in German: "1 Zeile geändert (2 Wörter), 0 Zeilen
    /// hinzugefügt, 0 Zeilen entfernt".
    pub fn summary(&self) -> String {
        let lines = |n: usize| {
            if n == 1 {
                "1 Zeile".to_owned()
            } else {
                format!("{n} Zeilen")
            }
        };
        let words = if self.changed_words == 1 {
            "1 Wort".to_owned()
        } else {
            format!("{} Wörter", self.changed_words)
        };
        format!(
            "{} geändert ({words}), {} hinzugefügt, {} entfernt",
            lines(self.changed_lines),
            lines(self.inserted_lines),
            lines(self.deleted_lines)
        )
    }
}

/// Compares two texts line by line, then word by word inside the lines
/// that changed. Line endings do not count: CRLF, CR and LF are the same
/// line break, so texts stored before input was normalised compare cleanly.
pub fn diff(old: &str, new: &str) -> Diff {
    let old = old.replace("\r\n", "\n").replace('\r', "\n");
    let new = new.replace("\r\n", "\n").replace('\r', "\n");
    let text_diff = TextDiff::from_lines(&old, &new);
    let mut lines = Vec::new();
    for op in text_diff.ops() {
        for change in text_diff.iter_inline_changes(op) {
            let kind = match change.tag() {
                ChangeTag::Equal => LineChange::Unchanged,
                ChangeTag::Insert => LineChange::Inserted,
                ChangeTag::Delete => LineChange::Deleted,
            };
            let mut parts: Vec<DiffPart> = change
                .iter_strings_lossy()
                .map(|(emphasized, text)| DiffPart {
                    text: text.into_owned(),
                    emphasized,
                })
                .collect();
            if let Some(last) = parts.last_mut() {
                let trimmed = last.text.trim_end_matches(['\n', '\r']).len();
                last.text.truncate(trimmed);
            }
            parts.retain(|p| !p.text.is_empty());
            lines.push(DiffLine {
                change: kind,
                old_line: change.old_index().map(|i| i + 1),
                new_line: change.new_index().map(|i| i + 1),
                parts,
            });
        }
    }
    Diff { lines }
}

impl Diff {
    /// Whether the two texts were the same.
    pub fn is_unchanged(&self) -> bool {
        self.lines.iter().all(|l| l.change == LineChange::Unchanged)
    }

    pub fn stats(&self) -> DiffStats {
        let mut stats = DiffStats::default();
        // The word diff keeps punctuation on its word ("alle." against
        // "alle Beschäftigten."), so words are compared without it, and a
        // word marked on both sides did not change.
        let words = |line: &DiffLine| -> Vec<String> {
            line.parts
                .iter()
                .filter(|p| p.emphasized)
                .flat_map(|p| p.text.split_whitespace())
                .map(|w| {
                    w.trim_matches(|c: char| !c.is_alphanumeric())
                        .to_lowercase()
                })
                .filter(|w| !w.is_empty())
                .collect()
        };
        let only_in = |a: &[String], b: &[String]| {
            let mut rest = b.to_vec();
            a.iter()
                .filter(|w| match rest.iter().position(|r| r == *w) {
                    Some(at) => {
                        rest.swap_remove(at);
                        false
                    }
                    None => true,
                })
                .count()
        };
        // A replacement comes as a run of deleted lines followed by a run
        // of inserted ones; the first of each pair up as changed lines.
        let mut i = 0;
        while i < self.lines.len() {
            if self.lines[i].change == LineChange::Unchanged {
                stats.unchanged_lines += 1;
                i += 1;
                continue;
            }
            let run = |from: usize, kind: LineChange| {
                self.lines[from..]
                    .iter()
                    .take_while(|l| l.change == kind)
                    .count()
            };
            let deleted = run(i, LineChange::Deleted);
            let inserted = run(i + deleted, LineChange::Inserted);
            let paired = deleted.min(inserted);
            for k in 0..paired {
                let (old, new) = (&self.lines[i + k], &self.lines[i + deleted + k]);
                let (taken, put) = (words(old), words(new));
                stats.changed_words += only_in(&taken, &put).max(only_in(&put, &taken));
            }
            stats.changed_lines += paired;
            stats.deleted_lines += deleted - paired;
            stats.inserted_lines += inserted - paired;
            i += deleted + inserted;
        }
        stats
    }

    /// An HTML table fragment: changed lines with [`CONTEXT_LINES`] of
    /// context, longer unchanged stretches folded into one row that says how
    /// many lines it hides. Include [`CSS`] on the page.
    pub fn to_html(&self) -> String {
        let stats = self.stats();
        let mut rows = String::new();
        let near_change = |i: usize| {
            let from = i.saturating_sub(CONTEXT_LINES);
            let to = (i + CONTEXT_LINES + 1).min(self.lines.len());
            self.lines[from..to]
                .iter()
                .any(|l| l.change != LineChange::Unchanged)
        };
        let mut skipped = 0usize;
        for (i, line) in self.lines.iter().enumerate() {
            if line.change == LineChange::Unchanged && !near_change(i) {
                skipped += 1;
                continue;
            }
            push_skipped(&mut rows, &mut skipped);
            rows.push_str(&row(line));
        }
        push_skipped(&mut rows, &mut skipped);
        format!(
            "<table class=\"diff\">\n<caption>Vergleich: {}, {} unverändert</caption>\n\
             <thead><tr><th scope=\"col\">alt</th><th scope=\"col\">neu</th><th scope=\"col\">Änderung</th><th scope=\"col\">Text</th></tr></thead>\n\
             <tbody>\n{rows}</tbody>\n</table>\n",
            stats.summary(),
            stats.unchanged_lines
        )
    }
}

fn push_skipped(rows: &mut String, skipped: &mut usize) {
    if *skipped > 0 {
        let word = if *skipped == 1 { "Zeile" } else { "Zeilen" };
        rows.push_str(&format!(
            "<tr class=\"skip\"><td colspan=\"4\">… {skipped} unveränderte {word} …</td></tr>\n"
        ));
        *skipped = 0;
    }
}

fn row(line: &DiffLine) -> String {
    let number = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or_default();
    let (class, label, tag, word) = match line.change {
        LineChange::Unchanged => ("same", "", "", ""),
        LineChange::Inserted => ("ins", "+ hinzugefügt", "ins", "eingefügt"),
        LineChange::Deleted => ("del", "− entfernt", "del", "gelöscht"),
    };
    let text: String = line
        .parts
        .iter()
        .map(|part| {
            let text = escape(&part.text);
            if part.emphasized && !tag.is_empty() {
                format!(
                    "<{tag}><span class=\"visually-hidden\">[{word}: </span>{text}<span class=\"visually-hidden\">]</span></{tag}>"
                )
            } else {
                text
            }
        })
        .collect();
    format!(
        "<tr class=\"{class}\"><td class=\"nr\">{}</td><td class=\"nr\">{}</td><td>{label}</td><td>{text}</td></tr>\n",
        number(line.old_line),
        number(line.new_line)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "# Zweck\n\nDie Richtlinie gilt für alle.\nSie tritt sofort in Kraft.\n";
    const NEW: &str =
        "# Zweck\n\nDie Richtlinie gilt für alle Beschäftigten.\nSie tritt sofort in Kraft.\nNeu: Schulung.\n";

    #[test]
    fn changed_lines_show_the_changed_words() {
        let d = diff(OLD, NEW);
        let deleted: Vec<&DiffLine> = d
            .lines
            .iter()
            .filter(|l| l.change == LineChange::Deleted)
            .collect();
        assert_eq!(deleted.len(), 1);
        assert_eq!(deleted[0].text(), "Die Richtlinie gilt für alle.");
        assert_eq!(deleted[0].old_line, Some(3));
        let inserted: Vec<&DiffLine> = d
            .lines
            .iter()
            .filter(|l| l.change == LineChange::Inserted)
            .collect();
        assert_eq!(inserted.len(), 2);
        let emphasized: String = inserted[0]
            .parts
            .iter()
            .filter(|p| p.emphasized)
            .map(|p| p.text.as_str())
            .collect();
        assert!(emphasized.contains("Beschäftigten"), "{emphasized:?}");
        assert!(!emphasized.contains("Richtlinie"));
        assert_eq!(inserted[1].new_line, Some(5));
    }

    #[test]
    fn stats_count_lines() {
        let stats = diff(OLD, NEW).stats();
        assert_eq!(
            (
                stats.changed_lines,
                stats.inserted_lines,
                stats.deleted_lines,
                stats.unchanged_lines
            ),
            (1, 1, 0, 3)
        );
        assert_eq!(stats.changed_words, 1);
        assert!(diff(OLD, OLD).is_unchanged());
        assert_eq!(diff(OLD, OLD).stats().changed_words, 0);
    }

    #[test]
    fn html_says_in_words_what_changed_and_escapes_text() {
        let html = diff(
            "Die Richtlinie <b>gilt</b> ab heute für alle.\n",
            "Die Richtlinie <b>gilt</b> ab morgen für alle & mehr.\n",
        )
        .to_html();
        assert!(html.contains("+ hinzugefügt"));
        assert!(html.contains("− entfernt"));
        assert!(html.contains("<ins><span class=\"visually-hidden\">[eingefügt: </span>"));
        assert!(html.contains("<del><span class=\"visually-hidden\">[gelöscht: </span>"));
        assert!(!html.contains("<b>"));
        assert!(html.contains("&lt;b&gt;"));
        assert!(
            html.contains("<caption>Vergleich: 1 Zeile geändert (2 Wörter), 0 Zeilen hinzugefügt, 0 Zeilen entfernt"),
            "{html}"
        );
    }

    #[test]
    fn line_endings_do_not_count_and_two_edited_words_are_one_changed_line() {
        let old = "# Zweck\r\n\r\nDie Richtlinie gilt ab heute für alle Ämter.\r\nEnde.\r\n";
        let new = "# Zweck\n\nDie Richtlinie gilt ab morgen für alle Stellen.\nEnde.\n";
        let stats = diff(old, new).stats();
        assert_eq!(
            (
                stats.changed_lines,
                stats.inserted_lines,
                stats.deleted_lines,
                stats.changed_words
            ),
            (1, 0, 0, 2),
            "{stats:?}"
        );
        assert!(diff("a\r\nb\rc\n", "a\nb\nc\n").is_unchanged());
    }

    #[test]
    fn long_unchanged_stretches_are_folded() {
        let old: String = (1..=20).map(|i| format!("Zeile {i}\n")).collect();
        let new = old.replace("Zeile 10\n", "Zeile zehn\n");
        let html = diff(&old, &new).to_html();
        assert!(html.contains("… 6 unveränderte Zeilen …"), "{html}");
        assert!(html.contains("… 7 unveränderte Zeilen …"), "{html}");
        assert!(html.contains(">Zeile 7<") && !html.contains(">Zeile 6<"));
    }
}
