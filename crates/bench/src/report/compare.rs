//! Run against run: what changed between two reports of the same targets
//! (a new model, a new server, an update of the engine). Markdown, so it
//! can go into a council paper or a ticket as it is.

use std::fmt::Write;

use super::numbers::num;
use super::{Report, TargetResult, TargetStatus};

/// One compared figure of one target.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub target: String,
    pub figure: &'static str,
    pub before: Option<f64>,
    pub after: Option<f64>,
}

impl Change {
    /// Relative change in percent, where both values exist and before ≠ 0.
    pub fn percent(&self) -> Option<f64> {
        match (self.before, self.after) {
            (Some(b), Some(a)) if b != 0.0 => Some((a - b) / b.abs() * 100.0),
            _ => None,
        }
    }
}

type Figure = (
    &'static str,
    usize,
    fn(&Report, &TargetResult) -> Option<f64>,
);

/// The figures compared, with decimals for display.
const FIGURES: [Figure; 5] = [
    ("Beschäftigte", 0, |_, t| t.users_served.map(|u| u as f64)),
    ("höchster Durchsatz (Tokens/s)", 1, |_, t| {
        t.max_output_tokens_per_s
    }),
    ("erstes Wort p95 bei kleinster Last (ms)", 0, |r, t| {
        r.levels_of(&t.name, &r.capacity_workload)
            .first()
            .and_then(|l| l.ttft_ms.p95)
    }),
    ("Qualität (0–100)", 1, |_, t| {
        t.quality_mean.map(|q| q * 100.0)
    }),
    ("€ je Nutzer und Monat", 2, |_, t| {
        t.cost.eur_per_user_month
    }),
];

/// Every figure of every target present in either report.
pub fn changes(before: &Report, after: &Report) -> Vec<Change> {
    let mut names: Vec<&str> = before.targets.iter().map(|t| t.name.as_str()).collect();
    for t in &after.targets {
        if !names.contains(&t.name.as_str()) {
            names.push(&t.name);
        }
    }
    let value = |r: &Report, name: &str, f: fn(&Report, &TargetResult) -> Option<f64>| {
        r.target(name)
            .filter(|t| t.status == TargetStatus::Ok)
            .and_then(|t| f(r, t))
    };
    names
        .iter()
        .flat_map(|name| {
            FIGURES.iter().map(move |(figure, _, f)| Change {
                target: name.to_string(),
                figure,
                before: value(before, name, *f),
                after: value(after, name, *f),
            })
        })
        .collect()
}

/// The comparison as a Markdown section.
pub fn compare_markdown(before: &Report, after: &Report) -> String {
    let mut s = format!(
        "# Vergleich zweier Läufe\n\nVorher: {} ({})  \nNachher: {} ({})\n\n",
        before.title, before.generated_at, after.title, after.generated_at
    );
    s.push_str("| Endpunkt | Kennzahl | vorher | nachher | Änderung |\n|---|---|---:|---:|---:|\n");
    for c in changes(before, after) {
        let decimals = FIGURES
            .iter()
            .find(|f| f.0 == c.figure)
            .map(|f| f.1)
            .unwrap_or(1);
        let v = |x: Option<f64>| x.map(|x| num(x, decimals)).unwrap_or_else(|| "–".into());
        let pct = c
            .percent()
            .map(|p| format!("{}{} %", if p > 0.0 { "+" } else { "" }, num(p, 0)))
            .unwrap_or_else(|| "–".into());
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            c.target.replace('|', "\\|"),
            c.figure,
            v(c.before),
            v(c.after),
            pct
        );
    }
    if before.partial || after.partial {
        s.push_str("\nAchtung: mindestens ein Lauf ist ein Teilbericht.\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::CostFigures;
    use crate::spec::{Slo, UserModel};

    fn report(users: u64, cost: f64, extra: bool) -> Report {
        let t = |name: &str| TargetResult {
            name: name.into(),
            model: "m".into(),
            base_url: "http://x/v1".into(),
            hardware: None,
            data_classes: vec![],
            status: TargetStatus::Ok,
            failure: None,
            capacity_concurrency: None,
            users_served: Some(users),
            max_output_tokens_per_s: Some(100.0),
            cost_model_de: String::new(),
            cost: CostFigures {
                eur_per_user_month: Some(cost),
                ..CostFigures::default()
            },
            quality_mean: Some(0.5),
            quality_ci: None,
            max_output_tokens_per_s_ci: None,
            units_for_staff: None,
            monthly_eur_for_staff: None,
            resources: None,
        };
        let mut targets = vec![t("Arbeitsplatz")];
        if extra {
            targets.push(t("Neu"));
        }
        Report {
            report_version: 1,
            title: "T".into(),
            description: None,
            generated_at: "2026-11-26T10:00:00Z".into(),
            partial: false,
            slo: Slo::default(),
            users: UserModel::default(),
            capacity_workload: "w".into(),
            targets,
            levels: vec![],
            quality: vec![],
            ranking: vec![],
            break_even: vec![],
            recommendation: String::new(),
            host: None,
            warnings: vec![],
        }
    }

    #[test]
    fn changes_cover_every_target_and_figure_with_percentages() {
        let c = changes(&report(10, 4.0, false), &report(20, 2.0, true));
        assert_eq!(c.len(), 2 * FIGURES.len());
        let users = c
            .iter()
            .find(|c| c.target == "Arbeitsplatz" && c.figure == "Beschäftigte")
            .unwrap();
        assert_eq!((users.before, users.after), (Some(10.0), Some(20.0)));
        assert_eq!(users.percent(), Some(100.0));
        let new = c.iter().find(|c| c.target == "Neu").unwrap();
        assert_eq!(new.before, None);
        assert_eq!(new.percent(), None);
    }

    #[test]
    fn the_markdown_table_shows_before_after_and_change() {
        let md = compare_markdown(&report(10, 4.0, false), &report(20, 2.0, false));
        assert!(
            md.contains("| Arbeitsplatz | Beschäftigte | 10 | 20 | +100 % |"),
            "{md}"
        );
        assert!(
            md.contains("| Arbeitsplatz | € je Nutzer und Monat | 4,00 | 2,00 | -50 % |"),
            "{md}"
        );
    }
}
