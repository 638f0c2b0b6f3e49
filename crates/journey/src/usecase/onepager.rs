//! The one-pager of a use case in Markdown, for exchange with other
//! municipalities and for the documents crate to turn into HTML or ODT. All
//! text that users typed is escaped so that it cannot change the structure.

use std::fmt::Write as _;

use super::ai_act::{DecisionTree, RiskClass};
use super::dpia::{DpiaBasis, ThresholdAnalysis};
use super::duties::{DutyStatus, DutyTask};
use super::fria::FriaForm;
use super::model::{Origin, UseCase};
use super::scoring::Score;
use super::UseCaseError;
use crate::german;

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

/// Benefit and feasibility as two sentences, not a table of eight rows: the
/// ratings read as "3 von 5", the hours as a German number.
fn benefit_and_feasibility(md: &mut String, uc: &UseCase, score: Option<&Score>) {
    let b = &uc.canvas.benefit;
    let f = &uc.canvas.feasibility;
    let rating = |r: Option<u8>| r.map_or_else(|| "–".to_owned(), |r| format!("{r} von 5"));
    md.push_str("## Nutzen und Machbarkeit\n\n");
    let _ = writeln!(
        md,
        "**Nutzen:** eingesparte Stunden pro Jahr {}; Qualität {}; Bürgerservice {}.\n",
        optional(b.hours_saved_per_year.map(|h| german::decimal(h, 2))),
        rating(b.quality.map(|r| r.get())),
        rating(b.citizen_service.map(|r| r.get()))
    );
    let _ = writeln!(
        md,
        "**Machbarkeit:** Datenverfügbarkeit {}; technische Reife {}; Aufwand {} (5 = sehr hoch); \
         Kosten {} (5 = sehr teuer).\n",
        rating(f.data_availability.map(|r| r.get())),
        rating(f.technical_maturity.map(|r| r.get())),
        rating(f.effort.map(|r| r.get())),
        rating(f.cost.map(|r| r.get()))
    );
    if let Some(s) = score {
        let _ = writeln!(
            md,
            "**Punkte:** Nutzen {}, Machbarkeit {}, gesamt {} (von 100).\n",
            super::matrix::decimal(s.benefit),
            super::matrix::decimal(s.feasibility),
            super::matrix::decimal(s.total)
        );
    }
}

/// The obligations of a classification as the tree words them.
fn obligation_list(md: &mut String, tree: &DecisionTree, ids: &[String]) {
    for id in ids {
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
}

/// The duties as tracked tasks: what is open, by when, and who sees to it.
/// Duties the classification no longer lists are left out.
fn duty_table(md: &mut String, duties: &[(DutyTask, String)]) {
    md.push_str(
        "| Pflicht | Status | Fällig | Verantwortlich | Nachweis |\n|---|---|---|---|---|\n",
    );
    for (t, owner) in duties.iter().filter(|(t, _)| t.current) {
        let status = if t.status == DutyStatus::NotApplicable && !t.reason.trim().is_empty() {
            format!("{} ({})", t.status.label(), cell(&t.reason))
        } else {
            t.status.label().to_owned()
        };
        let _ = writeln!(
            md,
            "| {} ({}) | {status} | {} | {} | {} |",
            cell(&t.title),
            cell(&t.articles.join(", ")),
            german::date(&t.due),
            if owner.trim().is_empty() {
                "–".to_owned()
            } else {
                cell(owner)
            },
            if t.has_evidence() { "ja" } else { "–" }
        );
    }
}

/// The outcome of the data protection and fundamental-rights checks: what a
/// reader of a high-risk case must see on the one page.
fn protection(md: &mut String, uc: &UseCase) {
    let high_risk = uc
        .classification
        .as_ref()
        .is_some_and(|c| c.risk == RiskClass::HighRisk);
    let fria_required = uc.classification.as_ref().is_some_and(|c| c.fria_required);
    let personal = uc
        .canvas
        .highest_data_class()
        .is_some_and(super::canvas::DataClass::is_personal);
    if !(high_risk || fria_required || personal || !uc.threshold_answers.is_empty()) {
        return;
    }
    md.push_str("## Datenschutz und Grundrechte\n\n");
    let threshold = if uc.threshold_answers.is_empty() {
        "noch nicht beantwortet".to_owned()
    } else {
        match ThresholdAnalysis::shipped().and_then(|a| a.evaluate(&uc.threshold_answers)) {
            Ok(d) => {
                let verdict = match (d.required, d.basis) {
                    (false, DpiaBasis::NoPersonalData) => {
                        "keine DSFA nötig, keine personenbezogenen Daten"
                    }
                    (false, _) => "keine DSFA nötig",
                    (true, DpiaBasis::Mandatory) => "DSFA nötig (Pflichtfall)",
                    (true, _) => "DSFA nötig",
                };
                if d.reasons.is_empty() {
                    verdict.to_owned()
                } else {
                    let reasons: Vec<String> = d.reasons.iter().map(|r| cell(r)).collect();
                    format!("{verdict} – {}", reasons.join("; "))
                }
            }
            Err(UseCaseError::ThresholdAnalysisIncomplete { unanswered }) => {
                format!("unvollständig, {} Fragen offen", unanswered.len())
            }
            Err(_) => "nicht auswertbar".to_owned(),
        }
    };
    let _ = writeln!(md, "- **Schwellwertanalyse (Art. 35 DSGVO):** {threshold}");
    let dpia = match &uc.dpia {
        Some(r) => {
            let reference = if r.reference.trim().is_empty() {
                String::new()
            } else {
                format!(", abgelegt unter {}", cell(&r.reference))
            };
            format!(
                "durchgeführt, abgeschlossen am {}{reference}",
                german::date(&r.completed_on)
            )
        }
        None => "nicht durchgeführt".to_owned(),
    };
    let _ = writeln!(md, "- **Datenschutz-Folgenabschätzung:** {dpia}");
    let fria_sections = FriaForm::shipped().map(|f| f.sections).unwrap_or_default();
    let answered: Vec<(&str, &str)> = fria_sections
        .iter()
        .filter_map(|s| {
            let text = uc.fria.get(&s.id)?.trim();
            (!text.is_empty()).then_some((s.title.as_str(), text))
        })
        .collect();
    let fria = match (fria_required, answered.len()) {
        (false, 0) => "nicht erforderlich".to_owned(),
        (_, n) if n == fria_sections.len() && n > 0 => {
            format!("vollständig ({n} von {n} Abschnitten)")
        }
        (required, n) => format!(
            "{}unvollständig ({n} von {} Abschnitten)",
            if required { "erforderlich, " } else { "" },
            fria_sections.len()
        ),
    };
    let _ = writeln!(
        md,
        "- **Grundrechte-Folgenabschätzung (Art. 27 KI-VO):** {fria}"
    );
    for (title, text) in answered {
        let _ = writeln!(md, "    - *{}:* {}", cell(title), escape_markdown(text));
    }
    md.push('\n');
}

/// The one-pager. With the tree, obligations are listed with title, articles
/// and date; a classification made with another tree version is marked for
/// review. With a score, the scores are included.
pub fn markdown(uc: &UseCase, tree: Option<&DecisionTree>, score: Option<&Score>) -> String {
    markdown_with_duties(uc, tree, score, None)
}

/// [`markdown`] with the duties as tracked tasks in place of the bare list
/// of obligations: each with its status, due date, owner (the name, empty
/// for nobody) and whether evidence is kept.
pub fn markdown_with_duties(
    uc: &UseCase,
    tree: Option<&DecisionTree>,
    score: Option<&Score>,
    duties: Option<&[(DutyTask, String)]>,
) -> String {
    let mut md = String::new();
    let i = &uc.intake;
    let c = &uc.canvas;
    // Writing into a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(md, "# {}\n", cell(&i.title));
    // A list, not a table: a two-column table would need a header row,
    // and an empty one showed as a blank first row in the ODT.
    let _ = writeln!(md, "- **Status:** {}", uc.status.label());
    if let Some(d) = &i.department {
        let _ = writeln!(md, "- **Fachbereich:** {}", cell(d));
    }
    let origin = match &uc.origin {
        Origin::Own => "eigene Idee".to_owned(),
        Origin::Survey => "aus der Bestandsaufnahme".to_owned(),
        Origin::Library { entry } => format!("aus der Bibliothek ({})", cell(entry)),
        Origin::Imported { from } => format!("übernommen von {}", cell(from)),
    };
    let _ = writeln!(md, "- **Herkunft:** {origin}");
    if !i.volume.trim().is_empty() {
        let _ = writeln!(md, "- **Menge:** {}", cell(&i.volume));
    }
    md.push('\n');

    // Short texts under one heading with lead-ins: a heading per line of
    // text pushed the one-pager onto a second page.
    let described: Vec<(&str, &String)> = [
        ("Problem", &i.problem),
        ("Heutiger Ablauf", &i.current_process),
        ("Betroffene", &i.affected),
        ("Ziel", &c.goal),
        ("Nutzende", &c.users),
    ]
    .into_iter()
    .filter(|(_, text)| !text.trim().is_empty())
    .collect();
    if !described.is_empty() {
        md.push_str("## Vorhaben\n\n");
        for (lead, text) in described {
            let _ = writeln!(md, "**{lead}:** {}\n", escape_markdown(text.trim()));
        }
    }

    md.push_str("## Daten und Lösung\n\n");
    if !c.data_sources.is_empty() {
        let sources: Vec<String> = c
            .data_sources
            .iter()
            .map(|d| format!("{} ({})", cell(&d.name), d.class.label()))
            .collect();
        let _ = writeln!(md, "- **Daten:** {}", sources.join("; "));
    }
    let kinds: Vec<&str> = c.ai_kinds.iter().map(|k| k.label()).collect();
    let _ = writeln!(
        md,
        "- **Art der KI:** {}",
        if kinds.is_empty() {
            "–".to_owned()
        } else {
            kinds.join(", ")
        }
    );
    let _ = writeln!(
        md,
        "- **Menschliche Aufsicht:** {}",
        optional(c.human_oversight.map(|h| h.label()))
    );
    if let Some(integ) = &c.integration {
        let how = integ.kind.label();
        let procedure = if integ.procedure.trim().is_empty() {
            String::new()
        } else {
            format!(" ({})", cell(&integ.procedure))
        };
        let _ = writeln!(md, "- **Anbindung:** {how}{procedure}");
    }
    md.push('\n');

    benefit_and_feasibility(&mut md, uc, score);

    if !c.risks.is_empty() {
        md.push_str("## Risiken\n\n");
        for r in &c.risks {
            let _ = writeln!(
                md,
                "- **{}** (Wahrscheinlichkeit {}, Auswirkung {} von 5): {}",
                cell(&r.description),
                optional(r.likelihood.map(|x| x.get())),
                optional(r.impact.map(|x| x.get())),
                if r.mitigation.trim().is_empty() {
                    "noch keine Maßnahme".to_owned()
                } else {
                    cell(&r.mitigation)
                }
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
                if let Some(duties) = duties {
                    duty_table(&mut md, duties);
                } else {
                    obligation_list(&mut md, tree, &k.obligations);
                }
            } else {
                for id in &k.obligations {
                    let _ = writeln!(md, "- {}", cell(id));
                }
            }
            md.push('\n');
        }
    }

    protection(&mut md, uc);

    if let Some(p) = &uc.pilot {
        md.push_str("## Pilot\n\n");
        let _ = writeln!(
            md,
            "{} ({} bis {})\n",
            escape_markdown(p.goal.trim()),
            optional(p.start.as_deref().map(german::date)),
            optional(p.end.as_deref().map(german::date))
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
                german::decimal(r.baseline, 2),
                german::decimal(r.target, 2),
                r.measured.map_or_else(
                    || "–".to_owned(),
                    |m| format!("{}{unit}", german::decimal(m, 2))
                ),
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
        assert!(
            md.contains("**Nutzen:** eingesparte Stunden pro Jahr –; Qualität –;"),
            "{md}"
        );
    }

    #[test]
    fn the_facts_are_a_list_so_no_table_starts_with_an_empty_row() {
        let md = markdown(&uc("Chatbot"), None, None);
        assert!(md.contains("- **Status:** Idee\n"), "{md}");
        assert!(!md.contains("| | |"), "{md}");
    }
}
