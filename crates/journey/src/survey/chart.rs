//! Accessible bar charts of survey results, as SVG text: one chart per
//! closed question (all answers) and one of the self-assessed competency
//! levels by department. Each chart is an image with a title and a
//! description that says every value (`role="img"`, `<title>`, `<desc>`);
//! the result tables stay beside it as the full text alternative.
//!
//! The charts show only what [`SurveyResults`] and [`CompetencyGaps`]
//! publish: a suppressed cell or hidden figure gets no bar, only „< k“.

use std::fmt::Write as _;

use super::aggregate::{QuestionResult, SurveyResults};
use super::gaps::CompetencyGaps;
use super::model::{QuestionType, Questionnaire};
use crate::escape::xml as escape;

/// Width of every chart, in SVG user units (pixels).
pub const WIDTH: u32 = 640;
const LABEL_WIDTH: f64 = 250.0;
const PLOT_WIDTH: f64 = 280.0;
const ROW: f64 = 26.0;
const TOP: f64 = 30.0;
/// Longest label shown in full; the table carries the whole text.
const LABEL_CHARS: usize = 38;

/// One chart: its file name in report packages, its size and the SVG.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// `diagramm-3.svg`: unique within one report.
    pub file: String,
    pub title: String,
    pub width: u32,
    pub height: u32,
    pub svg: String,
}

/// A bar: its label, its length as a value (`None`: hidden, no bar) and
/// the figure written beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: Option<f64>,
    pub text: String,
}

/// A line of the chart: a bar, or a heading over the bars that follow.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Heading(String),
    Bar(Bar),
}

fn number(x: f64, decimals: usize) -> String {
    format!("{x:.decimals$}").replace('.', ",")
}

fn shorten(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        return label.to_string();
    }
    let cut: String = label.chars().take(LABEL_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// A horizontal bar chart: bar length `value / max` of the plot width.
/// `id` makes the ids of title and description unique on a page.
pub fn bar_chart(id: &str, file: &str, title: &str, lines: &[Line], max: f64) -> Chart {
    let height = (TOP + ROW * lines.len() as f64 + 10.0).ceil() as u32;
    let id = escape(id);
    let desc: Vec<String> = lines
        .iter()
        .map(|line| match line {
            Line::Heading(h) => format!("{h}:"),
            Line::Bar(b) => format!("{}: {};", b.label, b.text),
        })
        .collect();
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" \
         viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" \
         aria-labelledby=\"{id}-title {id}-desc\" font-family=\"sans-serif\" font-size=\"13\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>\
         <rect width=\"{WIDTH}\" height=\"{height}\" fill=\"#ffffff\"/>\
         <text x=\"0\" y=\"18\" font-weight=\"bold\" fill=\"#1a1a1a\">{}</text>",
        escape(title),
        escape(&desc.join(" ")),
        escape(&shorten_title(title)),
    );
    let axis_x = LABEL_WIDTH;
    let _ = write!(
        svg,
        "<line x1=\"{axis_x}\" y1=\"{TOP}\" x2=\"{axis_x}\" y2=\"{}\" stroke=\"#555555\"/>",
        TOP + ROW * lines.len() as f64
    );
    for (i, line) in lines.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let text_y = y + ROW / 2.0 + 4.5;
        match line {
            Line::Heading(h) => {
                let _ = write!(
                    svg,
                    "<text x=\"0\" y=\"{text_y}\" font-weight=\"bold\" fill=\"#1a1a1a\">{}</text>",
                    escape(&shorten(h))
                );
            }
            Line::Bar(b) => {
                let _ = write!(
                    svg,
                    "<text x=\"{}\" y=\"{text_y}\" text-anchor=\"end\" fill=\"#1a1a1a\">{}</text>",
                    axis_x - 8.0,
                    escape(&shorten(&b.label))
                );
                let length = match b.value {
                    Some(v) if max > 0.0 => (v.clamp(0.0, max) / max) * PLOT_WIDTH,
                    _ => 0.0,
                };
                if b.value.is_some() {
                    let _ = write!(
                        svg,
                        "<rect class=\"bar\" x=\"{axis_x}\" y=\"{}\" width=\"{length:.1}\" height=\"{}\" fill=\"#1f5fa8\"/>",
                        y + 4.0,
                        ROW - 8.0
                    );
                }
                let _ = write!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{text_y}\" fill=\"#1a1a1a\">{}</text>",
                    axis_x + length + 6.0,
                    escape(&b.text)
                );
            }
        }
    }
    svg.push_str("</svg>");
    Chart {
        file: file.to_string(),
        title: title.to_string(),
        width: WIDTH,
        height,
        svg,
    }
}

fn shorten_title(title: &str) -> String {
    if title.chars().count() <= 80 {
        return title.to_string();
    }
    let cut: String = title.chars().take(79).collect();
    format!("{}…", cut.trim_end())
}

/// The bars of one closed question for all answers, or `None` for open
/// questions and numbers (their tables say it all). `k` is the minimum
/// group size, written where a figure is hidden.
fn question_lines(q: &Questionnaire, r: &QuestionResult, k: u32) -> Option<(Vec<Line>, f64)> {
    let hidden = format!("< {k}");
    match r.kind {
        QuestionType::SingleChoice | QuestionType::MultipleChoice | QuestionType::Likert => {
            let cell = r.rows.first()?.cells.first()?;
            let bars = cell
                .options
                .iter()
                .map(|o| {
                    let shown = (!cell.suppressed).then_some(()).and(o.count.zip(o.share));
                    Line::Bar(Bar {
                        label: o.label.clone(),
                        value: shown.map(|(_, share)| share * 100.0),
                        text: match shown {
                            Some((count, share)) => {
                                format!("{count} ({} %)", number(share * 100.0, 0))
                            }
                            None => hidden.clone(),
                        },
                    })
                })
                .collect::<Vec<_>>();
            (!bars.is_empty()).then_some((bars, 100.0))
        }
        QuestionType::LikertMatrix => {
            let max = q
                .question(&r.question)
                .and_then(|question| question.kind.scale())
                .and_then(|scale| scale.iter().map(|p| p.value).max())
                .unwrap_or(5) as f64;
            let bars = r
                .rows
                .iter()
                .filter_map(|row| {
                    let cell = row.cells.first()?;
                    let mean = cell.mean.filter(|_| !cell.suppressed);
                    Some(Line::Bar(Bar {
                        label: row.item_label.clone().unwrap_or_default(),
                        value: mean,
                        text: mean
                            .map_or(hidden.clone(), |m| format!("Mittelwert {}", number(m, 2))),
                    }))
                })
                .collect::<Vec<_>>();
            (!bars.is_empty()).then_some((bars, max))
        }
        QuestionType::Number | QuestionType::Text => None,
    }
}

/// One chart per closed question, keyed by the question's id, numbered
/// from `diagramm-1.svg` on in the order of the results.
pub fn question_charts(q: &Questionnaire, results: &SurveyResults) -> Vec<(String, Chart)> {
    if results.responses.is_none() {
        return Vec::new();
    }
    results
        .questions
        .iter()
        .filter_map(|r| {
            let (lines, max) = question_lines(q, r, results.min_group_size)?;
            Some((r.question.clone(), lines, max, r.text.clone()))
        })
        .enumerate()
        .map(|(i, (question, lines, max, text))| {
            let unit = if max == 100.0 {
                "Anteil in Prozent"
            } else {
                "Mittelwert"
            };
            let title = format!("{text} ({unit}, alle Antworten)");
            let chart = bar_chart(
                &format!("chart-{question}"),
                &format!("diagramm-{}.svg", i + 1),
                &title,
                &lines,
                max,
            );
            (question, chart)
        })
        .collect()
}

/// The self-assessed competency level (0–4) per area, for all answers and
/// for each department; a suppressed department or area gets no bar.
pub fn competency_chart(gaps: &CompetencyGaps, file: &str) -> Option<Chart> {
    let hidden = format!("< {}", gaps.min_group_size);
    let mut lines = Vec::new();
    for group in &gaps.groups {
        lines.push(Line::Heading(group.label.clone()));
        for area in &gaps.areas {
            let gap = group.areas.iter().find(|a| a.area == area.id);
            let level = gap.and_then(|a| a.mean_level.filter(|_| !a.suppressed));
            lines.push(Line::Bar(Bar {
                label: area.label.clone(),
                value: level,
                text: level.map_or(hidden.clone(), |l| format!("Stufe {}", number(l, 1))),
            }));
        }
    }
    if gaps.areas.is_empty() || gaps.groups.is_empty() {
        return None;
    }
    Some(bar_chart(
        "chart-kompetenzen",
        file,
        "Selbsteingeschätzte Kompetenzstufe (0 bis 4) je Fachbereich und Kompetenzbereich",
        &lines,
        4.0,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: Option<f64>) -> Line {
        Line::Bar(Bar {
            label: label.into(),
            value,
            text: value.map_or("< 5".into(), |v| format!("{v}")),
        })
    }

    fn bar_widths(svg: &str) -> Vec<f64> {
        svg.split("<rect class=\"bar\"")
            .skip(1)
            .map(|s| {
                let w = s
                    .split("width=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap();
                w.parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn bars_are_proportional_to_their_values() {
        let chart = bar_chart(
            "c",
            "diagramm-1.svg",
            "Titel",
            &[
                bar("a", Some(50.0)),
                bar("b", Some(25.0)),
                bar("c", Some(100.0)),
            ],
            100.0,
        );
        assert_eq!(bar_widths(&chart.svg), vec![140.0, 70.0, 280.0]);
    }

    #[test]
    fn labels_and_titles_are_escaped() {
        let chart = bar_chart(
            "c",
            "diagramm-1.svg",
            "<script>alert(1)</script>",
            &[bar("Bürger & <b>Service</b>", Some(1.0))],
            1.0,
        );
        assert!(!chart.svg.contains("<script>"));
        assert!(!chart.svg.contains("<b>"));
        assert!(chart
            .svg
            .contains("Bürger &amp; &lt;b&gt;Service&lt;/b&gt;"));
        assert!(chart.svg.contains("&lt;script&gt;"));
    }

    #[test]
    fn a_chart_is_an_image_with_title_and_a_description_of_every_value() {
        let chart = bar_chart("q1", "d.svg", "Frage", &[bar("Ja", Some(3.0))], 4.0);
        assert!(chart
            .svg
            .contains("role=\"img\" viewBox=\"0 0 640 66\" width=\"640\" height=\"66\" aria-labelledby=\"q1-title q1-desc\""));
        assert!(chart.svg.contains("<title id=\"q1-title\">Frage</title>"));
        assert!(chart.svg.contains("<desc id=\"q1-desc\">Ja: 3;</desc>"));
    }

    #[test]
    fn a_hidden_value_gets_no_bar_only_its_mark() {
        let chart = bar_chart(
            "c",
            "d.svg",
            "T",
            &[bar("klein", None), bar("groß", Some(2.0))],
            4.0,
        );
        assert_eq!(bar_widths(&chart.svg), vec![140.0]);
        assert!(chart.svg.contains(">&lt; 5</text>"));
    }

    fn area(id: &str, level: Option<f64>, suppressed: bool) -> crate::survey::gaps::AreaGap {
        crate::survey::gaps::AreaGap {
            area: id.into(),
            suppressed,
            answered: level.map(|_| 6),
            mean_level: level,
            median_level: level,
            mean_target: None,
            below_target: None,
            share_below_target: None,
            mean_gap: None,
        }
    }

    #[test]
    fn a_suppressed_department_stays_suppressed_in_the_competency_chart() {
        use crate::survey::gaps::GroupGaps;
        use crate::survey::model::ChoiceOption;
        let gaps = CompetencyGaps {
            min_group_size: 5,
            areas: vec![ChoiceOption {
                id: "grundlagen".into(),
                label: "Grundlagen".into(),
                exclusive: false,
            }],
            groups: vec![
                GroupGaps {
                    group: None,
                    label: "Alle".into(),
                    areas: vec![area("grundlagen", Some(2.0), false)],
                },
                GroupGaps {
                    group: Some("kaemmerei".into()),
                    label: "Kämmerei".into(),
                    // A suppressed area must not show even a leaked value.
                    areas: vec![area("grundlagen", Some(3.0), true)],
                },
            ],
        };
        let chart = competency_chart(&gaps, "diagramm-9.svg").unwrap();
        assert_eq!(bar_widths(&chart.svg), vec![140.0]);
        assert!(chart.svg.contains(">Kämmerei</text>"));
        assert!(chart.svg.contains(">&lt; 5</text>"));
        assert!(!chart.svg.contains("Stufe 3"));
        assert!(chart.svg.contains("Grundlagen: Stufe 2,0;"));
    }
}
