//! SVG charts drawn by hand: a few lines of SVG are easier to keep
//! accessible and dependency-free than a plotting crate, and the page must
//! work without scripts. Every chart has a title and description for screen
//! readers; the data table beside it carries the numbers.

use std::fmt::Write;

use super::numbers::num;
use journey::escape::xml as esc;

/// Colour-blind-safe palette (Okabe–Ito); dash patterns tell the series
/// apart without colour as well.
const COLORS: [&str; 6] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
];
const DASHES: [&str; 6] = ["", "6 3", "2 3", "8 3 2 3", "4 4", "1 2"];

const W: f64 = 640.0;
const H: f64 = 320.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 150.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 50.0;

/// The words of a chart: ids for ARIA references, title and description
/// for screen readers, axis titles.
#[derive(Debug, Clone, Copy)]
pub struct Labels<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
    pub x_title: &'a str,
    pub y_label: &'a str,
    /// Fixed top of the y axis (e.g. 100 for points); `None` fits the data.
    pub y_max: Option<f64>,
}

/// One named series; `None` marks a missing value (e.g. a failed level).
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(max.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if max <= step * mag {
            return step * mag;
        }
    }
    10.0 * mag
}

fn open(id: &str, title: &str, desc: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"100%\" \
         role=\"img\" aria-labelledby=\"{id}-t {id}-d\" class=\"chart\">\
         <title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        esc(title),
        esc(desc)
    )
}

/// Y axis with five gridlines, axis label and x labels.
fn axes(
    out: &mut String,
    y_max: f64,
    y_label: &str,
    x_labels: &[String],
    x_of: &dyn Fn(usize) -> f64,
    x_title: &str,
) {
    let plot_h = H - TOP - BOTTOM;
    for k in 0..=5 {
        let v = y_max * k as f64 / 5.0;
        let y = TOP + plot_h - plot_h * k as f64 / 5.0;
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\">{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            esc(&num(v, if y_max < 10.0 { 2 } else { 0 }))
        );
    }
    for (i, l) in x_labels.iter().enumerate() {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\">{}</text>",
            x_of(i),
            H - BOTTOM + 16.0,
            esc(l)
        );
    }
    let _ = write!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{:.1}\" stroke=\"#333\"/>\
         <line x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#333\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"12\">{}</text>\
         <text transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">{}</text>",
        H - BOTTOM,
        H - BOTTOM,
        W - RIGHT,
        H - BOTTOM,
        LEFT + (W - LEFT - RIGHT) / 2.0,
        H - 10.0,
        esc(x_title),
        TOP + plot_h / 2.0,
        esc(y_label)
    );
}

/// Legend entries: a line sample for line charts, a swatch for bars.
fn legend(out: &mut String, series: &[Series], bars: bool) {
    for (i, s) in series.iter().enumerate() {
        let y = TOP + 10.0 + 20.0 * i as f64;
        let x = W - RIGHT + 12.0;
        let color = COLORS[i % COLORS.len()];
        if bars {
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"24\" height=\"10\" fill=\"{color}\" stroke=\"#222\" stroke-width=\"0.5\"/>",
                y - 5.0
            );
        } else {
            let _ = write!(
                out,
                "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{color}\" stroke-width=\"3\" stroke-dasharray=\"{}\"/>",
                x + 24.0,
                DASHES[i % DASHES.len()]
            );
        }
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{}</text>",
            x + 30.0,
            y + 4.0,
            esc(&shorten(&s.name, 18))
        );
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}

/// Lines over categorical x positions (e.g. tested concurrency levels).
/// `limit` draws a dashed horizontal line (e.g. the SLO).
pub fn line_chart(
    l: &Labels<'_>,
    x_labels: &[String],
    series: &[Series],
    limit: Option<(f64, &str)>,
) -> String {
    let mut max = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0f64, |a, &b| a.max(b));
    if let Some((l, _)) = limit {
        max = max.max(l);
    }
    let y_max = l.y_max.unwrap_or_else(|| nice_max(max * 1.05));
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let n = x_labels.len().max(1);
    let x_of = |i: usize| LEFT + plot_w * (i as f64 + 0.5) / n as f64;
    let y_of = |v: f64| TOP + plot_h - plot_h * (v / y_max).clamp(0.0, 1.0);
    let mut out = open(l.id, l.title, l.desc);
    axes(&mut out, y_max, l.y_label, x_labels, &x_of, l.x_title);
    if let Some((l, label)) = limit {
        let y = y_of(l);
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#900\" stroke-dasharray=\"4 4\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#900\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            W - RIGHT - 4.0,
            y - 4.0,
            esc(label)
        );
    }
    for (si, s) in series.iter().enumerate() {
        let color = COLORS[si % COLORS.len()];
        let pts: Vec<String> = s
            .values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x_of(i), y_of(v))))
            .collect();
        if pts.len() > 1 {
            let _ = write!(
                out,
                "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2.5\" stroke-dasharray=\"{}\" points=\"{}\"/>",
                DASHES[si % DASHES.len()],
                pts.join(" ")
            );
        }
        for p in &pts {
            let (x, y) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = write!(
                out,
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"3.5\" fill=\"{color}\"/>"
            );
        }
    }
    legend(&mut out, series, false);
    out.push_str("</svg>");
    out
}

/// Grouped vertical bars: one group per category, one bar per series.
pub fn bar_chart(l: &Labels<'_>, categories: &[String], series: &[Series]) -> String {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0f64, |a, &b| a.max(b));
    let y_max = l.y_max.unwrap_or_else(|| nice_max(max * 1.05));
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let n = categories.len().max(1);
    let group = plot_w / n as f64;
    let bar = (group * 0.8 / series.len().max(1) as f64).min(40.0);
    let x_of = |i: usize| LEFT + group * (i as f64 + 0.5);
    let mut out = open(l.id, l.title, l.desc);
    axes(&mut out, y_max, l.y_label, categories, &x_of, l.x_title);
    for (si, s) in series.iter().enumerate() {
        for (ci, v) in s.values.iter().enumerate().take(categories.len()) {
            let Some(v) = v else { continue };
            let h = plot_h * (v / y_max).clamp(0.0, 1.0);
            let x = x_of(ci) - bar * series.len() as f64 / 2.0 + bar * si as f64;
            let w = (bar - 2.0).max(1.0);
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"{}\" stroke=\"#222\" stroke-width=\"0.5\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\">{}</text>",
                TOP + plot_h - h,
                COLORS[si % COLORS.len()],
                x + w / 2.0,
                TOP + plot_h - h - 3.0,
                esc(&num(*v, if y_max < 10.0 { 2 } else if v.abs() < 10.0 { 1 } else { 0 }))
            );
        }
    }
    legend(&mut out, series, true);
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_maxima_round_up_to_readable_steps() {
        assert_eq!(nice_max(7.3), 10.0);
        assert_eq!(nice_max(180.0), 200.0);
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(2100.0), 2500.0);
    }

    #[test]
    fn charts_escape_names_and_skip_missing_points() {
        let s = vec![Series {
            name: "<A&B>".into(),
            values: vec![Some(1.0), None, Some(3.0)],
        }];
        let l = Labels {
            id: "c",
            title: "T",
            desc: "D",
            x_title: "x",
            y_label: "y",
            y_max: None,
        };
        let svg = line_chart(
            &l,
            &["1".into(), "2".into(), "4".into()],
            &s,
            Some((2.0, "Ziel")),
        );
        assert!(svg.contains("&lt;A&amp;B&gt;"));
        assert!(!svg.contains("<A&B>"));
        assert_eq!(svg.matches("<circle").count(), 2);
        let bars = bar_chart(&l, &["a".into()], &s[..1]);
        assert_eq!(
            bars.matches("<rect").count(),
            1 + 1,
            "one bar, one legend swatch"
        );
    }
}
