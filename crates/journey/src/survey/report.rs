//! The results report as Markdown (German number format), for the
//! documents crate to turn into HTML or ODT. It shows only what
//! [`SurveyResults`] publishes; hidden figures appear as „–“.

use std::fmt::Write;

use super::aggregate::{Cell, OptionFigure, QuestionResult, SurveyResults};
use super::chart::{competency_chart, question_charts, Chart};
use super::gaps::CompetencyGaps;
use super::model::{QuestionType, Questionnaire};

const HIDDEN: &str = "–";

/// Escapes what Markdown would read as markup (and raw HTML).
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '|' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '`' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn number(x: f64, decimals: usize) -> String {
    format!("{x:.decimals$}").replace('.', ",")
}

fn percent(share: f64) -> String {
    format!("{} %", number(share * 100.0, 1))
}

/// The report. `q` supplies section titles; `results` must come from it.
pub fn results_markdown(q: &Questionnaire, results: &SurveyResults) -> String {
    report(q, results, &[], None)
}

/// The report with charts: each closed question's chart after its table
/// and the competency levels by department (table and chart), referred to
/// as Markdown images by [`Chart::file`]; the charts come along for the
/// HTML and ODT exports to embed.
pub fn results_markdown_with_charts(
    q: &Questionnaire,
    results: &SurveyResults,
    gaps: Option<&CompetencyGaps>,
) -> (String, Vec<Chart>) {
    let mut charts: Vec<(String, Chart)> = question_charts(q, results);
    let competency = gaps.filter(|_| results.responses.is_some()).and_then(|g| {
        competency_chart(g, &format!("diagramm-{}.svg", charts.len() + 1)).map(|c| (g, c))
    });
    let markdown = report(
        q,
        results,
        &charts,
        competency.as_ref().map(|(g, c)| (*g, c)),
    );
    let mut files: Vec<Chart> = charts.drain(..).map(|(_, c)| c).collect();
    files.extend(competency.map(|(_, c)| c));
    (markdown, files)
}

fn image(out: &mut String, chart: &Chart) {
    let _ = writeln!(out, "\n![{}]({})\n", md(&chart.title), chart.file);
}

fn report(
    q: &Questionnaire,
    results: &SurveyResults,
    charts: &[(String, Chart)],
    competency: Option<(&CompetencyGaps, &Chart)>,
) -> String {
    let mut out = String::new();
    let k = results.min_group_size;
    let _ = writeln!(out, "# Ergebnisse: {}\n", md(&q.title));
    match results.responses {
        Some(n) => {
            let _ = writeln!(
                out,
                "Ausgewertete Antworten: {n}. Mindestgruppengröße: {k}.\n"
            );
        }
        None => {
            let _ = writeln!(
                out,
                "Es liegen weniger als {k} Antworten vor. Damit niemand erkennbar wird, werden noch keine Ergebnisse gezeigt.\n"
            );
            return out;
        }
    }
    let _ = writeln!(
        out,
        "Zahlen, die auf weniger als {k} Antworten beruhen oder sich aus anderen Zahlen zurückrechnen ließen, sind durch „{HIDDEN}“ ersetzt. Freitexte werden nur für alle Antworten zusammen gezeigt.\n"
    );

    if !results.groups.is_empty() {
        let by = results
            .group_by
            .as_deref()
            .and_then(|id| q.question(id))
            .map(|q| q.text.clone())
            .unwrap_or_default();
        let _ = writeln!(out, "## Rücklauf\n\nGruppiert nach: {}\n", md(&by));
        let _ = writeln!(out, "| Gruppe | Antworten | Beschäftigte | Rücklaufquote |");
        let _ = writeln!(out, "|---|---:|---:|---:|");
        for g in &results.groups {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                md(&g.label),
                g.responses.map(|n| n.to_string()).unwrap_or(HIDDEN.into()),
                g.staff_count.map(|n| n.to_string()).unwrap_or_default(),
                g.response_rate.map(percent).unwrap_or(HIDDEN.into()),
            );
        }
        out.push('\n');
    }
    if let Some((gaps, chart)) = competency {
        competency_table(&mut out, gaps);
        image(&mut out, chart);
    }

    let mut section = "";
    for result in &results.questions {
        if result.section != section {
            section = &result.section;
            let title = q
                .sections
                .iter()
                .find(|s| s.id == section)
                .map(|s| s.title.as_str())
                .unwrap_or(section);
            let _ = writeln!(out, "## {}\n", md(title));
        }
        question(&mut out, results, result);
        if let Some((_, chart)) = charts.iter().find(|(id, _)| *id == result.question) {
            image(&mut out, chart);
        }
    }
    out
}

/// Mean self-assessed level per department and area; hidden where the
/// group is too small.
fn competency_table(out: &mut String, gaps: &CompetencyGaps) {
    let _ = writeln!(out, "## Kompetenzen nach Fachbereich\n");
    let _ = write!(out, "| Gruppe |");
    let mut rule = "|---|".to_string();
    for area in &gaps.areas {
        let _ = write!(out, " {} |", md(&area.label));
        rule.push_str("---:|");
    }
    let _ = writeln!(out, "\n{rule}");
    for group in &gaps.groups {
        let _ = write!(out, "| {} |", md(&group.label));
        for area in &gaps.areas {
            let level = group
                .areas
                .iter()
                .find(|a| a.area == area.id && !a.suppressed)
                .and_then(|a| a.mean_level);
            let text = level.map_or(HIDDEN.to_string(), |l| format!("Stufe {}", number(l, 1)));
            let _ = write!(out, " {text} |");
        }
        out.push('\n');
    }
    out.push('\n');
}

fn group_header(results: &SurveyResults, first: &str) -> (String, String) {
    let mut head = format!("| {first} | Gesamt |");
    let mut rule = "|---|---:|".to_string();
    for g in &results.groups {
        let _ = write!(head, " {} |", md(&g.label));
        rule.push_str("---:|");
    }
    (head, rule)
}

fn question(out: &mut String, results: &SurveyResults, r: &QuestionResult) {
    let _ = writeln!(out, "### {}\n", md(&r.text));
    let (head, rule) = group_header(results, "Antwort");
    match r.kind {
        QuestionType::SingleChoice | QuestionType::MultipleChoice | QuestionType::Likert => {
            let row = &r.rows[0];
            let _ = writeln!(out, "{head}\n{rule}");
            let labels: Vec<(String, String)> = row
                .cells
                .iter()
                .find(|c| !c.options.is_empty())
                .map(|c| {
                    c.options
                        .iter()
                        .map(|o| (o.option.clone(), o.label.clone()))
                        .collect()
                })
                .unwrap_or_default();
            for (id, label) in &labels {
                let _ = write!(out, "| {} |", md(label));
                for cell in &row.cells {
                    let text = option_cell(cell, id);
                    let _ = write!(out, " {text} |");
                }
                out.push('\n');
            }
            answered_row(out, &row.cells);
            if r.kind == QuestionType::Likert {
                mean_row(out, &row.cells);
            }
            if r.kind == QuestionType::MultipleChoice {
                out.push_str("\nMehrfachnennungen möglich; Anteile beziehen sich auf alle, die die Frage beantwortet haben.\n");
            }
        }
        QuestionType::LikertMatrix => {
            let (head, rule) = group_header(results, "Aussage (Mittelwert)");
            let _ = writeln!(out, "{head}\n{rule}");
            for row in &r.rows {
                let _ = write!(out, "| {} |", md(row.item_label.as_deref().unwrap_or("")));
                for cell in &row.cells {
                    let text = match (cell.suppressed, cell.mean, cell.answered) {
                        (false, Some(m), Some(n)) => format!("{} (n = {n})", number(m, 2)),
                        (false, None, Some(0)) => "0".to_string(),
                        _ => HIDDEN.to_string(),
                    };
                    let _ = write!(out, " {text} |");
                }
                out.push('\n');
            }
        }
        QuestionType::Number => {
            let (head, rule) = group_header(results, "Kennzahl");
            let _ = writeln!(out, "{head}\n{rule}");
            let row = &r.rows[0];
            answered_row(out, &row.cells);
            mean_row(out, &row.cells);
            let _ = write!(out, "| Median |");
            for cell in &row.cells {
                let text = cell.median.map(|m| number(m, 1)).unwrap_or(HIDDEN.into());
                let _ = write!(out, " {text} |");
            }
            out.push('\n');
        }
        QuestionType::Text => {
            let overall = r.rows[0].cells.first();
            match overall.and_then(|c| c.answered) {
                Some(n) => {
                    let _ = writeln!(out, "{n} Antworten.");
                }
                None => {
                    let _ = writeln!(out, "Zu wenige Antworten, um sie zu zeigen.");
                }
            }
            if let Some(texts) = &r.free_texts {
                out.push('\n');
                for t in texts {
                    let _ = writeln!(out, "- {}", md(t));
                }
            }
        }
    }
    out.push('\n');
}

fn option_cell(cell: &Cell, option: &str) -> String {
    if cell.suppressed {
        return HIDDEN.to_string();
    }
    match cell.options.iter().find(|o| o.option == option) {
        Some(OptionFigure {
            count: Some(count),
            share: Some(share),
            ..
        }) if cell.answered.unwrap_or(0) > 0 => format!("{count} ({})", percent(*share)),
        Some(OptionFigure {
            count: Some(count), ..
        }) => count.to_string(),
        _ => HIDDEN.to_string(),
    }
}

fn answered_row(out: &mut String, cells: &[Cell]) {
    let _ = write!(out, "| *Beantwortet* |");
    for cell in cells {
        let text = cell
            .answered
            .map(|n| n.to_string())
            .unwrap_or(HIDDEN.into());
        let _ = write!(out, " {text} |");
    }
    out.push('\n');
}

fn mean_row(out: &mut String, cells: &[Cell]) {
    let _ = write!(out, "| *Mittelwert* |");
    for cell in cells {
        let text = cell.mean.map(|m| number(m, 2)).unwrap_or(HIDDEN.into());
        let _ = write!(out, " {text} |");
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_markup_and_html_in_texts_are_escaped() {
        assert_eq!(md("a|b *c* <script>"), "a\\|b \\*c\\* \\<script\\>");
        assert_eq!(number(3.456, 2), "3,46");
        assert_eq!(percent(0.6667), "66,7 %");
    }
}
