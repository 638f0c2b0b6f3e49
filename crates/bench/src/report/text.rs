//! The German words of the report: the recommendation and the Markdown
//! decision paper. Written for a mayor's office, not for engineers: users
//! and euros first, milliseconds only where they explain a limit.

use std::fmt::Write;

use std::cmp::Ordering;

use super::numbers::{cell, eur, num};
use super::reliability::{interval_de, quality_difference, speed_difference};
use super::{Report, TargetResult, TargetStatus};

fn users_phrase(t: &TargetResult) -> String {
    match t.users_served {
        Some(u) if u > 0 => format!("bis zu {} Beschäftigte", num(u as f64, 0)),
        _ => "keine Nutzerzahl innerhalb des Dienstgüteziels".into(),
    }
}

/// Whether `best` is ahead of `second` by more than chance: more users
/// only count with a reliably higher throughput; with the same number of
/// users a real cost difference decides, else reliably better answers.
fn reliably_ahead(report: &Report, best: &TargetResult, second: &TargetResult) -> bool {
    if best.users_served.unwrap_or(0) != second.users_served.unwrap_or(0) {
        return speed_difference(report, &best.name, &second.name) == Some(Ordering::Greater);
    }
    match (best.cost.eur_per_user_month, second.cost.eur_per_user_month) {
        (Some(a), Some(b)) if b - a > 0.05 * b.abs() => true,
        _ => quality_difference(best, second) == Some(Ordering::Greater),
    }
}

/// Throughput with its interval, e.g. "54,2 Tokens je Sekunde (95-%-Intervall 50,1–58,3)".
fn speed_phrase(t: &TargetResult) -> String {
    match (t.max_output_tokens_per_s, t.max_output_tokens_per_s_ci) {
        (Some(v), Some(i)) => format!(
            "{} Tokens je Sekunde (95-%-Intervall {})",
            num(v, 1),
            interval_de(&i, 1, 1.0, None)
        ),
        (Some(v), None) => format!("{} Tokens je Sekunde (ohne Intervall)", num(v, 1)),
        _ => "kein Durchsatz gemessen".into(),
    }
}

/// The recommendation in a few sentences.
pub fn recommendation(report: &Report) -> String {
    let Some(best) = report.ranking.first().and_then(|n| report.target(n)) else {
        return "Kein Endpunkt hat die Messung bestanden; eine Empfehlung ist nicht möglich. \
                Die Gründe stehen bei den einzelnen Endpunkten."
            .into();
    };
    let share = num(report.users.active_share * 100.0, 0);
    let mut s = String::new();
    let second = report.ranking.get(1).and_then(|n| report.target(n));
    if let Some(second) = second.filter(|sec| !reliably_ahead(report, best, sec)) {
        let _ = write!(
            s,
            "Kein belastbarer Unterschied zwischen {} und {}: Die Unterschiede dieser Messung \
             liegen innerhalb der Messschwankung. Eine Empfehlung lässt sich daraus nicht \
             ableiten; wiederholen Sie die Messung mit mehr Anfragen und Wiederholungen auf \
             einem ruhigen Rechner oder entscheiden Sie nach Kosten, Datenschutz und Betrieb. \
             Gemessen:",
            best.name, second.name
        );
        for name in &report.ranking {
            if let Some(t) = report.target(name) {
                let _ = write!(s, " {}: {}, {}", t.name, users_phrase(t), speed_phrase(t));
                if let Some(c) = t.cost.eur_per_user_month {
                    let _ = write!(s, ", {} je Nutzer und Monat", eur(c));
                }
                s.push('.');
            }
        }
    } else {
        recommend(report, best, &share, &mut s);
    }
    staff_sentence(report, &mut s);
    quality_sentence(report, &mut s);
    for b in &report.break_even {
        s.push(' ');
        s.push_str(&break_even_de(b));
    }
    s.push_str(&data_class_note(report));
    let failed: Vec<&str> = report
        .targets
        .iter()
        .filter(|t| t.status == TargetStatus::Failed)
        .map(|t| t.name.as_str())
        .collect();
    if !failed.is_empty() {
        let _ = write!(s, " Nicht gemessen werden konnte: {}.", failed.join(", "));
    }
    if !report.warnings.is_empty() {
        s.push_str(" Achtung: Die Messung hat Schwächen (siehe Hinweise zur Belastbarkeit).");
    }
    s
}

/// "Empfehlung: X …" where the best target is reliably ahead.
fn recommend(report: &Report, best: &TargetResult, share: &str, s: &mut String) {
    match best.users_served.filter(|&u| u > 0) {
        Some(users) => {
            let _ = write!(
                s,
                "Empfehlung: {}. Nach dieser Messung bedient {} {} (wenn {share} % von ihnen \
                 gleichzeitig eine Anfrage stellen) und hält dabei das Dienstgüteziel ein",
                best.name,
                best.name,
                users_phrase(best)
            );
            if let Some(c) = best.cost.eur_per_user_month {
                let _ = write!(s, "; das kostet etwa {} je Nutzer und Monat", eur(c));
            }
            let _ = write!(s, "; Durchsatz {}.", speed_phrase(best));
            if let Some(staff) = report.users.staff {
                if users >= staff {
                    let _ = write!(
                        s,
                        " Das reicht für die geplanten {} Beschäftigten.",
                        num(staff as f64, 0)
                    );
                } else {
                    let _ = write!(
                        s,
                        " Für die geplanten {} Beschäftigten reicht das nicht; es braucht mehr \
                         oder größere Geräte.",
                        num(staff as f64, 0)
                    );
                }
            }
        }
        None => {
            let _ = write!(
                s,
                "Keiner der Endpunkte hielt das Dienstgüteziel schon bei der kleinsten getesteten \
                 Nutzerzahl ein. Am besten schnitt {} ab.",
                best.name
            );
        }
    }
    for name in report.ranking.iter().skip(1) {
        if let Some(t) = report.target(name) {
            let _ = write!(s, " Zum Vergleich {}: {}", t.name, users_phrase(t));
            if let Some(c) = t.cost.eur_per_user_month {
                let _ = write!(s, ", {} je Nutzer und Monat", eur(c));
            }
            let _ = write!(s, ", Durchsatz {}.", speed_phrase(t));
        }
    }
}

/// "A und B", "A, B und C".
fn join_and(names: &[&str]) -> String {
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} und {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// What serving all planned staff costs on each target.
fn staff_sentence(report: &Report, s: &mut String) {
    let Some(staff) = report.users.staff else {
        return;
    };
    let mut options: Vec<(&TargetResult, f64)> = report
        .targets
        .iter()
        .filter(|t| t.status == TargetStatus::Ok)
        .filter_map(|t| t.monthly_eur_for_staff.map(|c| (t, c)))
        .collect();
    options.sort_by(|a, b| a.1.total_cmp(&b.1));
    let Some((cheapest, _)) = options.first() else {
        return;
    };
    let parts: Vec<String> = options
        .iter()
        .map(|(t, c)| match t.units_for_staff {
            Some(n) => format!("{} × {} für {} im Monat", num(n as f64, 0), t.name, eur(*c)),
            None => format!("{} für {} im Monat", t.name, eur(*c)),
        })
        .collect();
    // Costs within a cent of each other are a tie, not a cheapest option.
    let cheapest_cost = options[0].1;
    let tied: Vec<&str> = options
        .iter()
        .filter(|(_, c)| (c - cheapest_cost).abs() < 0.01)
        .map(|(t, _)| t.name.as_str())
        .collect();
    let _ = write!(
        s,
        " Für alle {} Beschäftigten bräuchte es {}",
        num(staff as f64, 0),
        parts.join(" oder "),
    );
    if tied.len() > 1 {
        let _ = write!(s, "; {} kosten gleich viel.", join_and(&tied));
        return;
    }
    let _ = write!(s, "; am günstigsten ist {}", cheapest.name);
    // Cheap but weaker answers is the trade-off a council must see, but
    // only where the weaker answers are more than chance.
    let better = report
        .targets
        .iter()
        .filter(|t| t.status == TargetStatus::Ok && t.name != cheapest.name)
        .filter(|t| quality_difference(t, cheapest) == Some(Ordering::Greater))
        .max_by(|a, b| {
            a.quality_mean
                .unwrap_or(0.0)
                .total_cmp(&b.quality_mean.unwrap_or(0.0))
        });
    match (cheapest.quality_mean, better.and_then(|b| b.quality_mean)) {
        (Some(q), Some(bq)) => {
            let _ = write!(
                s,
                ", das aber schwächere Antworten liefert ({} statt {} Punkte).",
                num(q * 100.0, 0),
                num(bq * 100.0, 0)
            );
        }
        _ => s.push('.'),
    }
}

/// Who answered best, with ties called ties and overlaps called overlaps.
fn quality_sentence(report: &Report, s: &mut String) {
    let mut scored: Vec<(&TargetResult, f64)> = report
        .targets
        .iter()
        .filter(|t| t.status == TargetStatus::Ok)
        .filter_map(|t| t.quality_mean.map(|q| (t, q)))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    let points = |q: f64| num(q * 100.0, 0);
    let with_ci = |t: &TargetResult, q: f64| match t.quality_ci {
        Some(i) => format!(
            "{} ({} von 100 Punkten, 95-%-Intervall {})",
            t.name,
            points(q),
            interval_de(&i, 0, 100.0, Some((0.0, 100.0)))
        ),
        None => format!("{} ({} von 100 Punkten)", t.name, points(q)),
    };
    match scored.as_slice() {
        [] => {}
        [(t, q)] => {
            let _ = write!(
                s,
                " Antwortqualität bei den Verwaltungsaufgaben: {}.",
                with_ci(t, *q)
            );
        }
        [(top, tq), rest @ ..] => {
            let tied: Vec<&str> = scored
                .iter()
                .filter(|(_, q)| points(*q) == points(*tq))
                .map(|(t, _)| t.name.as_str())
                .collect();
            let (second, sq) = rest[0];
            if tied.len() >= 2 {
                let _ = write!(
                    s,
                    " Bei der Antwortqualität liegen {} gleichauf (je {} von 100 Punkten).",
                    tied.join(" und "),
                    points(*tq)
                );
            } else if quality_difference(top, second) != Some(Ordering::Greater) {
                let _ = write!(
                    s,
                    " Bei der Antwortqualität gibt es keinen belastbaren Unterschied: {}.",
                    scored
                        .iter()
                        .map(|(t, q)| with_ci(t, *q))
                        .collect::<Vec<_>>()
                        .join("; ")
                );
            } else {
                let _ = write!(
                    s,
                    " Die beste Antwortqualität bei den Verwaltungsaufgaben erreichte {}; \
                     {} folgt mit {} Punkten.",
                    with_ci(top, *tq),
                    second.name,
                    points(sq)
                );
            }
        }
    }
}

/// Which data may go where: a class that the AI policy allows on some
/// targets but not on all limits the choice, whatever the speed.
fn data_class_note(report: &Report) -> String {
    let ok: Vec<&TargetResult> = report
        .targets
        .iter()
        .filter(|t| t.status == TargetStatus::Ok)
        .collect();
    if ok.len() < 2 || ok.iter().all(|t| t.data_classes.is_empty()) {
        return String::new();
    }
    let mut classes: Vec<&str> = Vec::new();
    for t in &ok {
        for c in &t.data_classes {
            if !classes.contains(&c.as_str()) {
                classes.push(c);
            }
        }
    }
    let mut s = String::new();
    for c in classes {
        let allowed: Vec<&str> = ok
            .iter()
            .filter(|t| t.data_classes.iter().any(|d| d == c))
            .map(|t| t.name.as_str())
            .collect();
        if allowed.len() < ok.len() {
            let _ = write!(
                s,
                " Daten der Klasse „{c}“ dürfen laut KI-Richtlinie nur zu: {}.",
                allowed.join(", ")
            );
        }
    }
    s
}

/// A break-even in one sentence.
pub fn break_even_de(b: &crate::cost::BreakEven) -> String {
    format!(
        "Bis {} Beschäftigte ist {} günstiger, ab {} Beschäftigten {}.",
        num((b.users - 1) as f64, 0),
        b.cheaper_below,
        num(b.users as f64, 0),
        b.cheaper_from
    )
}

/// What every reader should know about the limits of the measurement.
pub fn limits(report: &Report) -> Vec<String> {
    let mut v = vec![
        "Gemessen wurde mit Beispielaufgaben und künstlicher Last; im Alltag können Anfragen \
         länger oder kürzer sein."
            .to_string(),
        format!(
            "Die Nutzerzahl beruht auf der Annahme, dass {} % der Beschäftigten gleichzeitig eine \
             Anfrage stellen. Ist der Anteil höher, sinkt die Zahl entsprechend.",
            num(report.users.active_share * 100.0, 0)
        ),
        "Kosten enthalten Gerät oder Miete und Strom, nicht aber Personal, Lizenzen, Netz und \
         Einrichtung."
            .to_string(),
        "Die Qualitätswerte sind automatische Maße gegen Musterlösungen. Sie ersetzen keine \
         fachliche Prüfung der Antworten."
            .to_string(),
    ];
    if report
        .levels
        .iter()
        .any(|l| l.token_source == crate::metrics::TokenSource::Chunks)
    {
        v.push(
            "Nicht jeder Server meldete die Zahl der erzeugten Tokens; dort wurden die \
             übertragenen Textstücke gezählt."
                .into(),
        );
    }
    if report.partial {
        v.push("Der Lauf wurde vorzeitig beendet; nicht alle Messungen liegen vor.".into());
    }
    if !report.levels.is_empty() && report.levels.iter().all(|l| l.repetitions <= 1) {
        v.push(
            "Jede Stufe wurde einmal gemessen; die Intervalle zeigen die Streuung zwischen den \
             Anfragen, nicht die zwischen Läufen (etwa durch andere Programme auf dem Rechner). \
             Mit „repetitions: 3“ im Lastprofil wird jede Stufe dreimal gemessen."
                .into(),
        );
    }
    if let Some(h) = &report.host {
        let mut line = format!(
            "Systemlast des messenden Rechners während des Laufs: im Mittel {}, höchstens {} bei \
             {} Prozessorkernen",
            num(h.load1_mean, 1),
            num(h.load1_max, 1),
            h.cpus
        );
        if let Some(st) = h.steal_percent {
            line.push_str(&format!(
                "; {} % der Rechenzeit vom Host entzogen",
                num(st, 1)
            ));
        }
        line.push('.');
        v.push(line);
    }
    v
}

/// The decision paper in Markdown.
pub fn markdown_summary(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Vergleichstest: {}\n", md(&report.title));
    if report.partial {
        s.push_str("> **Teilbericht:** Der Lauf wurde abgebrochen; es fehlen Messungen.\n\n");
    }
    let _ = writeln!(
        s,
        "Erstellt am {} (UTC).\n",
        journey::german::date(&report.generated_at)
    );
    if !report.warnings.is_empty() {
        s.push_str("## Hinweise zur Belastbarkeit\n\n");
        for w in &report.warnings {
            let _ = writeln!(s, "- {}", md(w));
        }
        s.push('\n');
    }
    s.push_str("## Was getestet wurde\n\n");
    if let Some(d) = &report.description {
        let _ = writeln!(s, "{}\n", md(d.trim()));
    }
    for t in &report.targets {
        let _ = writeln!(
            s,
            "- **{}**: Modell {}, {}. Kosten: {}.",
            md(&t.name),
            md(&t.model),
            md(t.hardware.as_deref().unwrap_or("Hardware nicht angegeben")),
            t.cost_model_de
        );
        if let Some(r) = &t.resources {
            let _ = writeln!(s, "  {}", resources_de(r));
        }
    }
    let _ = writeln!(
        s,
        "\nDienstgüteziel: erstes Wort nach höchstens {} s (bei 95 % der Anfragen), danach \
         mindestens {} Tokens je Sekunde, höchstens {} % Fehler.\n",
        num(report.slo.ttft_p95_ms / 1000.0, 1),
        num(report.slo.min_tokens_per_s, 0),
        num(report.slo.max_error_rate * 100.0, 0)
    );
    s.push_str("## Was jede Möglichkeit leistet und kostet\n\n");
    s.push_str("| Endpunkt | Beschäftigte | höchster Durchsatz (Tokens/s, 95-%-Intervall) | € je Nutzer und Monat | € je 1 Mio. Tokens | Qualität (0–100, 95-%-Intervall) | für alle Beschäftigten im Monat | Daten laut Richtlinie |\n");
    s.push_str("|---|---:|---:|---:|---:|---:|---:|---|\n");
    for t in &report.targets {
        if t.status == TargetStatus::Failed {
            let _ = writeln!(
                s,
                "| {} | nicht gemessen: {} | | | | | | {} |",
                md(&t.name),
                md(t.failure.as_deref().unwrap_or("Fehler")),
                md(&t.data_classes.join(", "))
            );
            continue;
        }
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            md(&t.name),
            t.users_served
                .map(|u| num(u as f64, 0))
                .unwrap_or_else(|| "0".into()),
            speed_cell(t),
            t.cost
                .eur_per_user_month
                .map(eur)
                .unwrap_or_else(|| "–".into()),
            t.cost
                .eur_per_1m_output_tokens
                .map(eur)
                .unwrap_or_else(|| "–".into()),
            quality_cell(t),
            t.monthly_eur_for_staff
                .map(eur)
                .unwrap_or_else(|| "–".into()),
            md(&t.data_classes.join(", "))
        );
    }
    for b in &report.break_even {
        let _ = writeln!(s, "\nGewinnschwelle: {}", md(&break_even_de(b)));
    }
    let _ = writeln!(s, "\n## Empfehlung\n\n{}\n", md(&report.recommendation));
    s.push_str("## Grenzen der Messung\n\n");
    for l in limits(report) {
        let _ = writeln!(s, "- {l}");
    }
    s
}

/// Highest throughput with its interval, for tables: "54,2 (50,1–58,3)".
pub fn speed_cell(t: &TargetResult) -> String {
    match (t.max_output_tokens_per_s, t.max_output_tokens_per_s_ci) {
        (Some(v), Some(i)) => format!("{} ({})", num(v, 1), interval_de(&i, 1, 1.0, None)),
        (Some(v), None) => num(v, 1),
        _ => "–".into(),
    }
}

/// Quality points with their interval, for tables: "58 (30–86)".
pub fn quality_cell(t: &TargetResult) -> String {
    match (t.quality_mean, t.quality_ci) {
        (Some(q), Some(i)) => format!(
            "{} ({})",
            num(q * 100.0, 0),
            interval_de(&i, 0, 100.0, Some((0.0, 100.0)))
        ),
        (Some(q), None) => num(q * 100.0, 0),
        _ => "–".into(),
    }
}

/// Keeps user text literal in Markdown: no table breaks, no HTML.
fn md(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\n', " ")
}

/// The sampled load of a local machine in one sentence.
pub fn resources_de(r: &crate::resources::ResourceUsage) -> String {
    format!(
        "Auslastung während der Messung ({}): Prozessor im Mittel {} % eines Kerns, \
         höchstens {} %; Arbeitsspeicher bis {} MiB.",
        r.process,
        cell(r.cpu_percent.mean, 0),
        cell(r.cpu_percent.max, 0),
        cell(r.rss_mib.max, 0)
    )
}

/// How long one user waits for a whole answer, as percentiles: the
/// distribution at the lowest tested load, where nobody queues.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::CostFigures;
    use crate::metrics::{level_metrics, LevelMetrics};
    use crate::spec::{Slo, UserModel};
    use crate::uncertainty::Interval;

    fn iv(low: f64, high: f64) -> Option<Interval> {
        Some(Interval { low, high })
    }

    /// A level of the capacity workload with a given throughput interval.
    fn level(target: &str, c: u32, tps: f64, ci: Option<Interval>) -> LevelMetrics {
        let mut l = level_metrics(target, "w", c, &[], 1.0, &Slo::default());
        l.output_tokens_per_s = tps;
        l.output_tokens_per_s_ci = ci;
        l
    }

    fn target(name: &str, users: u64, eur: f64, q: f64, q_ci: Option<Interval>) -> TargetResult {
        TargetResult {
            name: name.into(),
            model: "m".into(),
            base_url: "http://x/v1".into(),
            hardware: None,
            data_classes: vec![],
            status: TargetStatus::Ok,
            failure: None,
            capacity_concurrency: None,
            users_served: Some(users),
            max_output_tokens_per_s: None,
            max_output_tokens_per_s_ci: None,
            cost_model_de: String::new(),
            cost: CostFigures {
                eur_per_user_month: Some(eur),
                ..CostFigures::default()
            },
            quality_mean: Some(q),
            quality_ci: q_ci,
            units_for_staff: None,
            monthly_eur_for_staff: None,
            resources: None,
        }
    }

    fn report(targets: Vec<TargetResult>, levels: Vec<LevelMetrics>) -> Report {
        let mut r = Report {
            report_version: 1,
            title: "T".into(),
            description: None,
            generated_at: "2026-12-06T10:00:00Z".into(),
            partial: false,
            slo: Slo::default(),
            users: UserModel::default(),
            capacity_workload: "w".into(),
            ranking: super::super::rank(&targets),
            targets,
            levels,
            quality: vec![],
            break_even: vec![],
            recommendation: String::new(),
            host: None,
            warnings: vec![],
        };
        r.recommendation = recommendation(&r);
        r
    }

    #[test]
    fn more_users_from_overlapping_speeds_are_no_reliable_difference() {
        // Two identical servers: one passed the goal at 4 users by chance.
        let r = report(
            vec![
                target("A", 40, 10.0, 0.18, iv(0.1, 0.26)),
                target("B", 20, 20.0, 0.18, iv(0.1, 0.26)),
            ],
            vec![
                level("A", 2, 60.0, iv(14.0, 77.0)),
                level("B", 2, 30.0, iv(14.0, 77.0)),
            ],
        );
        let rec = &r.recommendation;
        assert!(
            rec.starts_with("Kein belastbarer Unterschied zwischen A und B"),
            "{rec}"
        );
        assert!(!rec.contains("Empfehlung:"), "{rec}");
        assert!(
            rec.contains("liegen A und B gleichauf (je 18 von 100 Punkten)"),
            "{rec}"
        );
        assert!(!rec.contains("beste Antwortqualität"), "{rec}");
    }

    #[test]
    fn a_reliable_lead_is_recommended_and_weaker_answers_are_named() {
        let mut a = target("A", 40, 30.0, 0.95, iv(0.9, 1.0));
        let mut b = target("B", 20, 10.0, 0.40, iv(0.3, 0.5));
        a.monthly_eur_for_staff = Some(1200.0);
        b.monthly_eur_for_staff = Some(400.0);
        let mut r = report(
            vec![a, b],
            vec![
                level("A", 2, 200.0, iv(190.0, 210.0)),
                level("B", 2, 50.0, iv(45.0, 55.0)),
            ],
        );
        r.users.staff = Some(40);
        let rec = recommendation(&r);
        assert!(rec.starts_with("Empfehlung: A."), "{rec}");
        assert!(
            rec.contains("das aber schwächere Antworten liefert (40 statt 95 Punkte)"),
            "{rec}"
        );
        assert!(
            rec.contains("Die beste Antwortqualität bei den Verwaltungsaufgaben erreichte A"),
            "{rec}"
        );
    }

    #[test]
    fn equal_costs_for_all_staff_are_a_tie_and_the_date_is_german() {
        let mut a = target("Server A", 40, 2.5, 0.0, iv(0.0, 0.0));
        let mut b = target("Server B", 40, 2.5, 0.0, iv(0.0, 0.0));
        a.monthly_eur_for_staff = Some(1500.0);
        b.monthly_eur_for_staff = Some(1500.0);
        let mut r = report(
            vec![a, b],
            vec![
                level("Server A", 2, 40.6, iv(37.5, 44.0)),
                level("Server B", 2, 38.7, iv(37.3, 40.0)),
            ],
        );
        r.users.staff = Some(600);
        let rec = recommendation(&r);
        assert!(
            rec.contains("; Server A und Server B kosten gleich viel."),
            "{rec}"
        );
        assert!(!rec.contains("am günstigsten"), "{rec}");
        r.generated_at = "2026-12-07T05:47:38Z".into();
        let md = markdown_summary(&r);
        assert!(
            md.contains("Erstellt am 07.12.2026, 05:47 Uhr (UTC)."),
            "{md}"
        );
    }
}
