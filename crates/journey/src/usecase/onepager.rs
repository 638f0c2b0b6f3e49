//! The one-pager of a use case in Markdown, for exchange with other
//! municipalities and for the documents crate to turn into HTML or ODT. All
//! text that users typed is escaped so that it cannot change the structure.

use std::fmt::Write as _;

use super::ai_act::DecisionTree;
use super::model::{Origin, UseCase};
use super::scoring::Score;

/// Escapes Markdown syntax in running text: inline markup everywhere, and
/// what would start a heading, list, quote or rule at the beginning. Line
/// breaks become spaces, so the text stays one paragraph or table cell.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        match ch {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '\r' => {}
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    // Block syntax only counts at the start of a line.
    if out.starts_with(['#', '-', '+', '=']) {
        out.insert(0, '\\');
    } else {
        let digits = out.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && out[digits..].starts_with(['.', ')']) {
            out.insert(digits, '\\');
        }
    }
    out
}

fn cell(s: &str) -> String {
    escape_markdown(s.trim())
}

fn optional(v: Option<impl ToString>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| v.to_string())
}

/// The one-pager. With the tree, obligations are listed with title, articles
/// and date; a classification made with another tree version is marked for
/// review. With a score, the scores are included.
pub fn markdown(uc: &UseCase, tree: Option<&DecisionTree>, score: Option<&Score>) -> String {
    let mut md = String::new();
    let i = &uc.intake;
    let c = &uc.canvas;
    // Writing into a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(md, "# {}\n", cell(&i.title));
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| Status | {} |", uc.status.label());
    if let Some(d) = &i.department {
        let _ = writeln!(md, "| Fachbereich | {} |", cell(d));
    }
    let origin = match &uc.origin {
        Origin::Own => "eigene Idee".to_owned(),
        Origin::Survey => "aus der Bestandsaufnahme".to_owned(),
        Origin::Library { entry } => format!("aus der Bibliothek ({})", cell(entry)),
        Origin::Imported { from } => format!("übernommen von {}", cell(from)),
    };
    let _ = writeln!(md, "| Herkunft | {origin} |");
    if !i.volume.trim().is_empty() {
        let _ = writeln!(md, "| Menge | {} |", cell(&i.volume));
    }
    md.push('\n');

    for (heading, text) in [
        ("Problem", &i.problem),
        ("Heutiger Ablauf", &i.current_process),
        ("Betroffene", &i.affected),
        ("Ziel", &c.goal),
        ("Nutzende", &c.users),
    ] {
        if !text.trim().is_empty() {
            let _ = writeln!(md, "## {heading}\n\n{}\n", escape_markdown(text.trim()));
        }
    }

    if !c.data_sources.is_empty() {
        md.push_str("## Daten\n\n");
        for d in &c.data_sources {
            let _ = writeln!(md, "- {} – {}", cell(&d.name), d.class.label());
        }
        md.push('\n');
    }
    let kinds: Vec<&str> = c.ai_kinds.iter().map(|k| k.label()).collect();
    md.push_str("## Lösung\n\n");
    let _ = writeln!(
        md,
        "- Art der KI: {}",
        if kinds.is_empty() {
            "–".to_owned()
        } else {
            kinds.join(", ")
        }
    );
    let _ = writeln!(
        md,
        "- Menschliche Aufsicht: {}",
        optional(c.human_oversight.map(|h| h.label()))
    );
    if let Some(integ) = &c.integration {
        let how = integ.kind.label();
        let procedure = if integ.procedure.trim().is_empty() {
            String::new()
        } else {
            format!(" ({})", cell(&integ.procedure))
        };
        let _ = writeln!(md, "- Anbindung: {how}{procedure}");
    }
    md.push('\n');

    md.push_str("## Nutzen und Machbarkeit\n\n| Kriterium | Wert |\n|---|---|\n");
    let b = &c.benefit;
    let f = &c.feasibility;
    let rows = [
        (
            "Eingesparte Stunden pro Jahr",
            optional(b.hours_saved_per_year),
        ),
        ("Qualität (1–5)", optional(b.quality.map(|r| r.get()))),
        (
            "Bürgerservice (1–5)",
            optional(b.citizen_service.map(|r| r.get())),
        ),
        (
            "Datenverfügbarkeit (1–5)",
            optional(f.data_availability.map(|r| r.get())),
        ),
        (
            "Technische Reife (1–5)",
            optional(f.technical_maturity.map(|r| r.get())),
        ),
        (
            "Aufwand (1–5, hoch = viel)",
            optional(f.effort.map(|r| r.get())),
        ),
        (
            "Kosten (1–5, hoch = teuer)",
            optional(f.cost.map(|r| r.get())),
        ),
    ];
    for (label, value) in rows {
        let _ = writeln!(md, "| {label} | {value} |");
    }
    if let Some(s) = score {
        let _ = writeln!(
            md,
            "\nPunkte: Nutzen {}, Machbarkeit {}, gesamt {} (von 100).",
            super::matrix::decimal(s.benefit),
            super::matrix::decimal(s.feasibility),
            super::matrix::decimal(s.total)
        );
    }
    md.push('\n');

    if !c.risks.is_empty() {
        md.push_str("## Risiken\n\n| Risiko | Wahrscheinlichkeit | Auswirkung | Maßnahme |\n|---|---|---|---|\n");
        for r in &c.risks {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                cell(&r.description),
                optional(r.likelihood.map(|x| x.get())),
                optional(r.impact.map(|x| x.get())),
                cell(&r.mitigation)
            );
        }
        md.push('\n');
    }

    md.push_str("## Einstufung nach der KI-Verordnung\n\n");
    match &uc.classification {
        None => md.push_str("Noch nicht eingestuft.\n\n"),
        Some(k) => {
            let _ = writeln!(
                md,
                "**{}** ({})\n",
                escape_markdown(&k.conclusion_label),
                k.risk.label()
            );
            if let Some(tree) = tree {
                if k.needs_review(tree) {
                    let _ = writeln!(
                        md,
                        "Die Einstufung stammt aus Version {} der Entscheidungshilfe; aktuell ist Version {}. Bitte überprüfen.\n",
                        cell(&k.tree_version),
                        cell(&tree.version)
                    );
                }
                for id in &k.obligations {
                    match tree.obligation(id) {
                        Some(o) => {
                            let from = tree.date(&o.applies_from).map_or("", |d| d.label.as_str());
                            let _ = writeln!(
                                md,
                                "- {} ({}) – {}",
                                cell(&o.title),
                                cell(&o.articles.join(", ")),
                                cell(from)
                            );
                        }
                        None => {
                            let _ = writeln!(md, "- {}", cell(id));
                        }
                    }
                }
            } else {
                for id in &k.obligations {
                    let _ = writeln!(md, "- {}", cell(id));
                }
            }
            md.push('\n');
        }
    }

    if let Some(p) = &uc.pilot {
        md.push_str("## Pilot\n\n");
        let _ = writeln!(
            md,
            "{} ({} bis {})\n",
            escape_markdown(p.goal.trim()),
            optional(p.start.as_deref().map(crate::german::date)),
            optional(p.end.as_deref().map(crate::german::date))
        );
        md.push_str("| Zielgröße | Ausgangswert | Zielwert | Gemessen | Erreicht |\n|---|---|---|---|---|\n");
        for r in p.evaluate().results {
            let reached = match r.achieved {
                Some(true) => "ja",
                Some(false) => "nein",
                None => "–",
            };
            let unit = if r.unit.trim().is_empty() {
                String::new()
            } else {
                format!(" {}", cell(&r.unit))
            };
            let _ = writeln!(
                md,
                "| {} | {}{unit} | {}{unit} | {} | {reached} |",
                cell(&r.name),
                r.baseline,
                r.target,
                r.measured
                    .map_or_else(|| "–".to_owned(), |m| format!("{m}{unit}")),
            );
        }
        if let Some(d) = &p.decision {
            let _ = writeln!(
                md,
                "\nEntscheidung: {} – {}",
                d.kind.label(),
                escape_markdown(d.reason.trim())
            );
        }
        md.push('\n');
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecase::canvas::Intake;

    fn uc(title: &str) -> UseCase {
        UseCase::new(
            "uc-1",
            Intake {
                title: title.into(),
                problem: "Zeile 1\nZeile 2 | mit Pipe".into(),
                ..Intake::default()
            },
            Origin::Imported {
                from: "Stadt [Kiel](http://x)".into(),
            },
        )
        .unwrap()
    }

    #[test]
    fn user_text_cannot_inject_markdown_structure() {
        let md = markdown(&uc("# Titel <script>"), None, None);
        assert!(md.starts_with("# \\# Titel \\<script\\>\n"), "{md}");
        assert!(md.contains("Zeile 1 Zeile 2 \\| mit Pipe"));
        assert!(md.contains("übernommen von Stadt \\[Kiel\\](http://x)"));
    }

    #[test]
    fn block_syntax_is_escaped_only_at_the_start() {
        assert_eq!(escape_markdown("- Punkt"), "\\- Punkt");
        assert_eq!(escape_markdown("12. Mai"), "12\\. Mai");
        assert_eq!(escape_markdown("KI-VO, Art. 5"), "KI-VO, Art. 5");
        assert_eq!(escape_markdown("a*b_c"), "a\\*b\\_c");
    }

    #[test]
    fn an_unclassified_use_case_says_so() {
        let md = markdown(&uc("Chatbot"), None, None);
        assert!(md.contains("## Einstufung nach der KI-Verordnung\n\nNoch nicht eingestuft."));
        assert!(md.contains("| Eingesparte Stunden pro Jahr | – |"));
    }
}
