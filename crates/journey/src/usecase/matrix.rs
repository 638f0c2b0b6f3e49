//! The benefit/feasibility matrix: an SVG chart (plain string generation, all
//! text escaped) and the same data as rows and as an HTML table for screen
//! readers. The chart numbers its points by rank so that chart and table can
//! be read together.

use std::fmt::Write as _;

use serde::Serialize;

use super::ai_act::RiskClass;
use super::scoring::Ranking;
use crate::escape::xml as escape;

/// The four fields of the matrix, split at 50 points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quadrant {
    /// High benefit, high feasibility.
    QuickWin,
    /// High benefit, low feasibility.
    Strategic,
    /// Low benefit, high feasibility.
    EasyExtra,
    /// Low benefit, low feasibility.
    Postpone,
}

impl Quadrant {
    pub fn of(benefit: f64, feasibility: f64) -> Quadrant {
        match (benefit >= 50.0, feasibility >= 50.0) {
            (true, true) => Quadrant::QuickWin,
            (true, false) => Quadrant::Strategic,
            (false, true) => Quadrant::EasyExtra,
            (false, false) => Quadrant::Postpone,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Quadrant::QuickWin => "zuerst umsetzen",
            Quadrant::Strategic => "strategisch vorbereiten",
            Quadrant::EasyExtra => "nebenbei mitnehmen",
            Quadrant::Postpone => "zurückstellen",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatrixRow {
    pub rank: usize,
    pub id: String,
    pub title: String,
    pub benefit: f64,
    pub feasibility: f64,
    pub total: f64,
    pub quadrant: Quadrant,
    pub risk: Option<RiskClass>,
}

/// The risk class for tables: its label, or that there is none yet.
pub fn risk_label(risk: Option<RiskClass>) -> &'static str {
    risk.map_or("noch nicht eingestuft", RiskClass::label)
}

pub fn matrix_rows(ranking: &Ranking) -> Vec<MatrixRow> {
    ranking
        .ranked
        .iter()
        .map(|r| MatrixRow {
            rank: r.rank,
            id: r.id.clone(),
            title: r.title.clone(),
            benefit: r.score.benefit,
            feasibility: r.score.feasibility,
            total: r.score.total,
            quadrant: Quadrant::of(r.score.benefit, r.score.feasibility),
            risk: r.risk,
        })
        .collect()
}

/// One decimal with a German decimal comma.
pub fn decimal(x: f64) -> String {
    format!("{x:.1}").replace('.', ",")
}

/// Keeps only characters safe in an XML id.
fn safe_id(id: &str) -> String {
    let s: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("m{s}")
    } else {
        s
    }
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 520.0;
const X0: f64 = 80.0;
const Y0: f64 = 30.0;
const PLOT_W: f64 = 520.0;
const PLOT_H: f64 = 420.0;

/// The matrix as an SVG document: feasibility to the right, benefit upwards,
/// each use case a numbered circle (its rank) with a tooltip. `id` makes the
/// element ids unique on a page; `title` is the accessible name.
pub fn matrix_svg(ranking: &Ranking, id: &str, title: &str) -> String {
    let id = safe_id(id);
    let rows = matrix_rows(ranking);
    let mut svg = String::new();
    let desc = format!(
        "Nutzen-Machbarkeits-Matrix mit {} Anwendungsfällen. Nach rechts steigt die Machbarkeit, nach oben der Nutzen (je 0 bis 100 Punkte). Die Zahlen sind die Ränge; die Tabelle enthält dieselben Werte.",
        rows.len()
    );
    // Writing into a String cannot fail; the results are ignored on purpose.
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="{id}-title {id}-desc" font-family="sans-serif" font-size="14">"#
    );
    let _ = write!(
        svg,
        r#"<title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(title),
        escape(&desc)
    );
    // Quadrants: light backgrounds with their names in the outer corners.
    let half_w = PLOT_W / 2.0;
    let half_h = PLOT_H / 2.0;
    let quadrants = [
        (
            X0 + half_w,
            Y0,
            Quadrant::QuickWin,
            "#e3f2e1",
            "end",
            X0 + PLOT_W - 8.0,
            Y0 + 20.0,
        ),
        (
            X0,
            Y0,
            Quadrant::Strategic,
            "#fff4d6",
            "start",
            X0 + 8.0,
            Y0 + 20.0,
        ),
        (
            X0 + half_w,
            Y0 + half_h,
            Quadrant::EasyExtra,
            "#e4eef8",
            "end",
            X0 + PLOT_W - 8.0,
            Y0 + PLOT_H - 10.0,
        ),
        (
            X0,
            Y0 + half_h,
            Quadrant::Postpone,
            "#eeeeee",
            "start",
            X0 + 8.0,
            Y0 + PLOT_H - 10.0,
        ),
    ];
    for (x, y, q, fill, anchor, tx, ty) in quadrants {
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="{y}" width="{half_w}" height="{half_h}" fill="{fill}"/><text x="{tx}" y="{ty}" text-anchor="{anchor}" fill="#333" aria-hidden="true">{}</text>"##,
            escape(q.label())
        );
    }
    // Axes and ticks.
    let _ = write!(
        svg,
        r##"<rect x="{X0}" y="{Y0}" width="{PLOT_W}" height="{PLOT_H}" fill="none" stroke="#333"/>"##
    );
    for v in [0.0, 50.0, 100.0] {
        let x = X0 + v / 100.0 * PLOT_W;
        let y = Y0 + (1.0 - v / 100.0) * PLOT_H;
        let _ = write!(
            svg,
            r##"<text x="{x}" y="{}" text-anchor="middle" aria-hidden="true">{v}</text><text x="{}" y="{}" text-anchor="end" aria-hidden="true">{v}</text>"##,
            Y0 + PLOT_H + 20.0,
            X0 - 8.0,
            y + 5.0
        );
    }
    let _ = write!(
        svg,
        r##"<text x="{}" y="{}" text-anchor="middle" aria-hidden="true">Machbarkeit →</text>"##,
        X0 + half_w,
        Y0 + PLOT_H + 45.0
    );
    let _ = write!(
        svg,
        r##"<text x="25" y="{}" text-anchor="middle" transform="rotate(-90 25 {})" aria-hidden="true">Nutzen →</text>"##,
        Y0 + half_h,
        Y0 + half_h
    );
    // Points; equal positions are fanned out so each number stays readable.
    let mut placed: Vec<(f64, f64)> = Vec::new();
    for r in &rows {
        let x0 = X0 + r.feasibility.clamp(0.0, 100.0) / 100.0 * PLOT_W;
        let y = Y0 + (1.0 - r.benefit.clamp(0.0, 100.0) / 100.0) * PLOT_H;
        // Try 0, +26, −26, +52, −52, … and keep inside the plot.
        let taken = |x: f64| {
            placed
                .iter()
                .any(|(px, py)| (px - x).abs() < 1.0 && (py - y).abs() < 1.0)
        };
        let x = (0..=placed.len() * 2)
            .map(|k| {
                let step = k.div_ceil(2) as f64 * 26.0;
                if k % 2 == 1 {
                    x0 + step
                } else {
                    x0 - step
                }
            })
            .find(|x| (X0..=X0 + PLOT_W).contains(x) && !taken(*x))
            .unwrap_or(x0);
        placed.push((x, y));
        let tip = format!(
            "{}. {} – Nutzen {}, Machbarkeit {}, gesamt {}",
            r.rank,
            r.title,
            decimal(r.benefit),
            decimal(r.feasibility),
            decimal(r.total)
        );
        let _ = write!(
            svg,
            r##"<g><title>{}</title><circle cx="{x}" cy="{y}" r="12" fill="#1f4e79" stroke="#fff" stroke-width="2"/><text x="{x}" y="{}" text-anchor="middle" fill="#fff" font-size="12" aria-hidden="true">{}</text></g>"##,
            escape(&tip),
            y + 4.0,
            r.rank
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The matrix as an HTML table with caption and header cells.
pub fn matrix_table_html(ranking: &Ranking, caption: &str) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<table><caption>{}</caption><thead><tr><th scope=\"col\">Rang</th><th scope=\"col\">Anwendungsfall</th><th scope=\"col\">Nutzen</th><th scope=\"col\">Machbarkeit</th><th scope=\"col\">Gesamt</th><th scope=\"col\">Einordnung</th><th scope=\"col\">Risikoklasse (KI-VO)</th></tr></thead><tbody>",
        escape(caption)
    );
    for r in matrix_rows(ranking) {
        let _ = write!(
            html,
            "<tr><td>{}</td><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.rank,
            escape(&r.title),
            decimal(r.benefit),
            decimal(r.feasibility),
            decimal(r.total),
            escape(r.quadrant.label()),
            risk_label(r.risk)
        );
    }
    html.push_str("</tbody></table>");
    html.push_str(&prohibited_html(ranking));
    html
}

/// The use cases kept out of the ranking as prohibited practices (Art. 5),
/// each with its reason; empty when there are none. Shown on its own where
/// nothing is ranked, so a prohibited case never disappears from view.
pub fn prohibited_html(ranking: &Ranking) -> String {
    let mut html = String::new();
    if !ranking.prohibited.is_empty() {
        html.push_str(
            "<h3>Nicht in der Rangfolge: verbotene Praktiken</h3><p>Diese Vorhaben dürfen nach \
             Art. 5 KI-VO nicht umgesetzt werden, so nützlich sie wären.</p><ul>",
        );
        for p in &ranking.prohibited {
            let _ = write!(
                html,
                "<li><strong>{}</strong>: {}</li>",
                escape(&p.title),
                escape(&p.reason)
            );
        }
        html.push_str("</ul>");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecase::scoring::{Ranked, Score};

    fn ranking(items: &[(&str, f64, f64)]) -> Ranking {
        Ranking {
            ranked: items
                .iter()
                .enumerate()
                .map(|(i, (title, b, f))| Ranked {
                    rank: i + 1,
                    id: format!("uc-{i}"),
                    title: (*title).to_owned(),
                    score: Score {
                        benefit: *b,
                        feasibility: *f,
                        total: (b + f) / 2.0,
                        parts: vec![],
                    },
                    risk: None,
                })
                .collect(),
            incomplete: vec![],
            prohibited: vec![],
        }
    }

    #[test]
    fn titles_are_escaped_in_the_svg_and_the_table() {
        let r = ranking(&[("<script>alert(\"x\")</script> & Co", 80.0, 20.0)]);
        let svg = matrix_svg(&r, "m1", "Matrix <Test>");
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co"));
        assert!(svg.contains("Matrix &lt;Test&gt;"));
        let html = matrix_table_html(&r, "Tabelle");
        assert!(!html.contains("<script>"));
        assert!(html.contains("strategisch vorbereiten"));
    }

    #[test]
    fn the_svg_is_labelled_for_assistive_technology() {
        let svg = matrix_svg(&ranking(&[("A", 60.0, 70.0)]), "1 bad id!", "Matrix");
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains(r#"role="img" aria-labelledby="m1badid-title m1badid-desc""#));
        assert!(svg.contains(r#"<title id="m1badid-title">Matrix</title>"#));
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn a_point_sits_where_its_scores_put_it() {
        let svg = matrix_svg(&ranking(&[("A", 100.0, 0.0), ("B", 0.0, 100.0)]), "m", "M");
        // A: feasibility 0 → x = 80, benefit 100 → y = 30.
        assert!(svg.contains(r#"<circle cx="80" cy="30""#), "{svg}");
        // B: x = 600, y = 450.
        assert!(svg.contains(r#"<circle cx="600" cy="450""#));
    }

    #[test]
    fn points_with_equal_scores_do_not_cover_each_other() {
        let svg = matrix_svg(&ranking(&[("A", 50.0, 50.0), ("B", 50.0, 50.0)]), "m", "M");
        assert!(svg.contains(r#"cx="340" cy="240""#));
        assert!(svg.contains(r#"cx="366" cy="240""#));
    }

    #[test]
    fn equal_points_at_the_edge_fan_out_inside_the_plot() {
        let svg = matrix_svg(
            &ranking(&[("A", 50.0, 100.0), ("B", 50.0, 100.0), ("C", 50.0, 100.0)]),
            "m",
            "M",
        );
        assert!(svg.contains(r#"cx="600" cy="240""#));
        assert!(svg.contains(r#"cx="574" cy="240""#));
        assert!(svg.contains(r#"cx="548" cy="240""#));
    }

    #[test]
    fn quadrants_split_at_fifty_points() {
        assert_eq!(Quadrant::of(50.0, 50.0), Quadrant::QuickWin);
        assert_eq!(Quadrant::of(49.9, 50.0), Quadrant::EasyExtra);
        assert_eq!(Quadrant::of(90.0, 10.0), Quadrant::Strategic);
        assert_eq!(Quadrant::of(0.0, 0.0), Quadrant::Postpone);
        assert_eq!(decimal(62.5), "62,5");
    }
}
