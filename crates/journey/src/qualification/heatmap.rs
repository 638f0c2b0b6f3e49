//! The heat map of the plan: departments × areas, coloured by the mean gap
//! (levels missing per person). An SVG for the eye and the same numbers as
//! an HTML table for screen readers and printing.

use std::fmt::Write as _;

use super::planner::Plan;
use crate::competency::CompetencyModel;
use crate::escape::xml as escape;
use crate::usecase::matrix::decimal;

/// Background and text colour for a mean gap; the text colours keep a
/// contrast of at least 4.5:1 on their background (WCAG 2.1 AA).
fn colours(mean_gap: f64) -> (&'static str, &'static str) {
    if mean_gap <= 0.0 {
        ("#e3f2e1", "#1b1b1b")
    } else if mean_gap < 0.5 {
        ("#fff4d6", "#1b1b1b")
    } else if mean_gap < 1.0 {
        ("#ffd59e", "#1b1b1b")
    } else if mean_gap < 2.0 {
        ("#f4a261", "#1b1b1b")
    } else {
        ("#9d1c1c", "#ffffff")
    }
}

fn short_name<'a>(model: &'a CompetencyModel, area: &'a str) -> &'a str {
    model.area(area).map_or(area, |a| a.short_name.as_str())
}

const LABEL_W: f64 = 220.0;
const CELL_W: f64 = 110.0;
const CELL_H: f64 = 32.0;
const HEAD_H: f64 = 48.0;

/// `id` makes element ids unique on a page; `title` is the accessible name.
pub fn heatmap_svg(plan: &Plan, model: &CompetencyModel, id: &str, title: &str) -> String {
    let id: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let width = LABEL_W + CELL_W * plan.areas.len() as f64;
    let height = HEAD_H + CELL_H * plan.departments.len() as f64 + 4.0;
    let mut svg = String::new();
    let desc = format!(
        "Wärmekarte der Kompetenzlücken: {} Fachbereiche in Zeilen, {} Kompetenzbereiche in Spalten. Jede Zelle zeigt, wie viele Stufen den Beschäftigten im Mittel bis zur Zielstufe fehlen; je dunkler, desto größer die Lücke. Die Tabelle enthält dieselben Werte.",
        plan.departments.len(),
        plan.areas.len()
    );
    // Writing into a String cannot fail; the results are ignored on purpose.
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="{id}-title {id}-desc" font-family="sans-serif" font-size="13"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(title),
        escape(&desc)
    );
    for (i, area) in plan.areas.iter().enumerate() {
        let x = LABEL_W + CELL_W * i as f64 + CELL_W / 2.0;
        let _ = write!(
            svg,
            r##"<text x="{x}" y="{}" text-anchor="middle" fill="#1b1b1b" aria-hidden="true">{}</text>"##,
            HEAD_H - 14.0,
            escape(short_name(model, area))
        );
    }
    for (row, dept) in plan.departments.iter().enumerate() {
        let y = HEAD_H + CELL_H * row as f64;
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" text-anchor="end" fill="#1b1b1b" aria-hidden="true">{}</text>"##,
            LABEL_W - 8.0,
            y + CELL_H / 2.0 + 5.0,
            escape(&dept.department)
        );
        for (i, cell) in dept.cells.iter().enumerate() {
            let x = LABEL_W + CELL_W * i as f64;
            let (fill, ink) = colours(cell.mean_gap);
            let _ = write!(
                svg,
                r##"<g><title>{}, {}: im Mittel {} Stufen unter dem Ziel, {} von {} Personen betroffen</title><rect x="{x}" y="{y}" width="{CELL_W}" height="{CELL_H}" fill="{fill}" stroke="#ffffff" stroke-width="2"/><text x="{}" y="{}" text-anchor="middle" fill="{ink}" aria-hidden="true">{}</text></g>"##,
                escape(&dept.department),
                escape(short_name(model, &cell.area)),
                decimal(cell.mean_gap),
                cell.below_target,
                cell.persons,
                x + CELL_W / 2.0,
                y + CELL_H / 2.0 + 5.0,
                decimal(cell.mean_gap)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The same data as an accessible HTML table.
pub fn heatmap_table_html(plan: &Plan, model: &CompetencyModel, caption: &str) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        r#"<table class="heatmap-table"><caption>{}</caption><thead><tr><th scope="col">Fachbereich</th>"#,
        escape(caption)
    );
    for area in &plan.areas {
        let _ = write!(
            html,
            r#"<th scope="col">{}</th>"#,
            escape(short_name(model, area))
        );
    }
    html.push_str("</tr></thead><tbody>");
    for dept in &plan.departments {
        let _ = write!(
            html,
            r#"<tr><th scope="row">{}</th>"#,
            escape(&dept.department)
        );
        for cell in &dept.cells {
            let _ = write!(
                html,
                "<td>{} <span class=\"hint\">({} von {} unter Ziel)</span></td>",
                decimal(cell.mean_gap),
                cell.below_target,
                cell.persons
            );
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qualification::catalogue::Catalogue;
    use crate::qualification::planner::{plan, Cohort};

    #[test]
    fn the_heat_map_has_one_cell_per_department_and_area_and_escapes_names() {
        let model = CompetencyModel::default_model().unwrap();
        let catalogue = Catalogue::shipped(&model).unwrap();
        let cohorts = vec![
            Cohort {
                department: "Bau & <Planung>".into(),
                role: "alle".into(),
                headcount: 4,
                levels: Default::default(),
            },
            Cohort {
                department: "IT".into(),
                role: "it".into(),
                headcount: 2,
                levels: Default::default(),
            },
        ];
        let plan = plan(&model, &catalogue, &cohorts).unwrap();
        let svg = heatmap_svg(&plan, &model, "hm", "Lücken");
        assert_eq!(svg.matches("<rect").count(), 2 * model.areas.len());
        assert!(svg.contains("Bau &amp; &lt;Planung&gt;"));
        assert!(!svg.contains("<Planung>"));
        // IT needs level 3 in ki_verstehen from 0: the darkest colour.
        assert!(svg.contains("#9d1c1c"));
        let table = heatmap_table_html(&plan, &model, "Lücken");
        assert_eq!(table.matches("<td>").count(), 2 * model.areas.len());
        assert!(table.contains("4 von 4 unter Ziel"));
    }
}
