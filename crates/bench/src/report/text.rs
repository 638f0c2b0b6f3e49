//! The German words of the report: the recommendation and the Markdown
//! decision paper. Written for a mayor's office, not for engineers: users
//! and euros first, milliseconds only where they explain a limit.

use std::fmt::Write;

use super::{Report, TargetResult, TargetStatus};

/// A number in German notation: decimal comma, dot between thousands.
pub fn num(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s, None),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let sign = if x < 0.0 && x.abs() >= 0.5 * 10f64.powi(-(decimals as i32)) {
        "-"
    } else {
        ""
    };
    match frac {
        Some(f) => format!("{sign}{grouped},{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Euros: whole euros from 100 €, cents from 1 €, and more digits below,
/// so that a price of 0,004 € per request does not read as 0,00 €.
pub fn eur(x: f64) -> String {
    let decimals = match x.abs() {
        a if a >= 100.0 => 0,
        a if a >= 1.0 || a == 0.0 => 2,
        a if a >= 0.01 => 3,
        _ => 4,
    };
    format!("{} €", num(x, decimals))
}

fn users_phrase(t: &TargetResult) -> String {
    match t.users_served {
        Some(u) if u > 0 => format!("bis zu {} Beschäftigte", num(u as f64, 0)),
        _ => "keine Nutzerzahl innerhalb des Dienstgüteziels".into(),
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
            s.push('.');
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
            s.push('.');
        }
    }
    let best_q = report
        .targets
        .iter()
        .filter(|t| t.status == TargetStatus::Ok)
        .filter_map(|t| t.quality_mean.map(|q| (t, q)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    if let Some(staff) = report.users.staff {
        let mut options: Vec<(&TargetResult, f64)> = report
            .targets
            .iter()
            .filter(|t| t.status == TargetStatus::Ok)
            .filter_map(|t| t.monthly_eur_for_staff.map(|c| (t, c)))
            .collect();
        options.sort_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((cheapest, _)) = options.first() {
            let parts: Vec<String> = options
                .iter()
                .map(|(t, c)| match t.units_for_staff {
                    Some(n) => {
                        format!("{} × {} für {} im Monat", num(n as f64, 0), t.name, eur(*c))
                    }
                    None => format!("{} für {} im Monat", t.name, eur(*c)),
                })
                .collect();
            let _ = write!(
                s,
                " Für alle {} Beschäftigten bräuchte es {}; am günstigsten ist {}",
                num(staff as f64, 0),
                parts.join(" oder "),
                cheapest.name
            );
            // Cheap but weaker answers is the trade-off a council must see.
            match (cheapest.quality_mean, best_q) {
                (Some(q), Some((bt, bq))) if bt.name != cheapest.name && bq - q >= 0.05 => {
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
    }
    if let Some((t, q)) = best_q {
        let _ = write!(
            s,
            " Die beste Antwortqualität bei den Verwaltungsaufgaben erreichte {} ({} von 100 Punkten).",
            t.name,
            num(q * 100.0, 0)
        );
    }
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
    s
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
    v
}

/// The decision paper in Markdown.
pub fn markdown_summary(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Vergleichstest: {}\n", md(&report.title));
    if report.partial {
        s.push_str("> **Teilbericht:** Der Lauf wurde abgebrochen; es fehlen Messungen.\n\n");
    }
    let _ = writeln!(s, "Erstellt am {} (UTC).\n", report.generated_at);
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
            let _ = writeln!(s, "  {}", super::html::resources_de(r));
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
    s.push_str("| Endpunkt | Beschäftigte | € je Nutzer und Monat | € je 1 Mio. Tokens | Qualität (0–100) | für alle Beschäftigten im Monat | Daten laut Richtlinie |\n");
    s.push_str("|---|---:|---:|---:|---:|---:|---|\n");
    for t in &report.targets {
        if t.status == TargetStatus::Failed {
            let _ = writeln!(
                s,
                "| {} | nicht gemessen: {} | | | | | {} |",
                md(&t.name),
                md(t.failure.as_deref().unwrap_or("Fehler")),
                md(&t.data_classes.join(", "))
            );
            continue;
        }
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            md(&t.name),
            t.users_served
                .map(|u| num(u as f64, 0))
                .unwrap_or_else(|| "0".into()),
            t.cost
                .eur_per_user_month
                .map(eur)
                .unwrap_or_else(|| "–".into()),
            t.cost
                .eur_per_1m_output_tokens
                .map(eur)
                .unwrap_or_else(|| "–".into()),
            t.quality_mean
                .map(|q| num(q * 100.0, 0))
                .unwrap_or_else(|| "–".into()),
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

/// Keeps user text literal in Markdown: no table breaks, no HTML.
fn md(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_use_german_notation() {
        assert_eq!(num(1234567.891, 2), "1.234.567,89");
        assert_eq!(num(12.5, 1), "12,5");
        assert_eq!(num(999.0, 0), "999");
        assert_eq!(num(-1500.0, 0), "-1.500");
        assert_eq!(num(-0.001, 2), "0,00");
        assert_eq!(eur(3.456), "3,46 €");
        assert_eq!(eur(1460.0), "1.460 €");
        assert_eq!(eur(0.0116), "0,012 €");
        assert_eq!(eur(0.00093), "0,0009 €");
        assert_eq!(eur(0.0), "0,00 €");
    }
}
