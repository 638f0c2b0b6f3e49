//! `report.html`: one self-contained page (no external assets, no scripts),
//! semantic headings, every chart followed by its data table, all text
//! escaped. Meant to be read, printed and archived by a mayor's office.

use std::fmt::Write;

use super::chart::{bar_chart, line_chart, Labels, Series};
use super::numbers::{cell, eur, num};
use super::reliability::interval_de;
use super::text::{limits, quality_cell, resources_de, speed_cell};
use super::{Report, TargetStatus};
use crate::metrics::LevelMetrics;

pub use journey::escape::xml as esc;

const STYLE: &str =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;line-height:1.5;\
color:#111;background:#fff;margin:0}main{max-width:60rem;margin:0 auto;padding:1rem 1.5rem}\
h1{font-size:1.8rem}h2{margin-top:2.5rem;border-bottom:2px solid #0072B2}\
div.tabelle{max-width:100%;overflow-x:auto;margin:1rem 0}\
table{border-collapse:collapse;width:100%}caption{text-align:left;font-weight:600;\
padding:.3rem 0}th,td{border:1px solid #999;padding:.3rem .5rem;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}thead th{background:#eef3f8}\
.lead{font-size:1.15rem;background:#eef3f8;padding:1rem;border-left:6px solid #0072B2}\
.warn{background:#fff4e5;border-left:6px solid #D55E00;padding:.8rem}\
figure{margin:1.5rem 0}svg.chart{max-width:100%;height:auto;font-family:inherit}\
@media print{h2{break-before:auto}figure,table{break-inside:avoid}}";

/// A data table: first column labels, then one column per series.
fn table(caption: &str, head: &[String], rows: &[Vec<String>], numeric_from: usize) -> String {
    // Wide tables scroll in their own box instead of widening the page;
    // the box is focusable so keyboard users can scroll it too.
    let mut s = format!(
        "<div class=\"tabelle\" role=\"region\" tabindex=\"0\" aria-label=\"{}\">\
         <table><caption>{}</caption><thead><tr>",
        esc(caption),
        esc(caption)
    );
    for h in head {
        let _ = write!(s, "<th scope=\"col\">{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            if i == 0 {
                let _ = write!(s, "<th scope=\"row\">{}</th>", esc(c));
            } else if i >= numeric_from {
                let _ = write!(s, "<td class=\"n\">{}</td>", esc(c));
            } else {
                let _ = write!(s, "<td>{}</td>", esc(c));
            }
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div>");
    s
}

/// A chart over concurrency levels with its table.
fn concurrency_figure(
    report: &Report,
    labels: &Labels<'_>,
    value: &dyn Fn(&LevelMetrics) -> Option<f64>,
    limit: Option<(f64, &str)>,
    decimals: usize,
) -> String {
    let workload = &report.capacity_workload;
    let mut levels: Vec<u32> = report
        .targets
        .iter()
        .flat_map(|t| report.levels_of(&t.name, workload))
        .map(|l| l.concurrency)
        .collect();
    levels.sort_unstable();
    levels.dedup();
    let x_labels: Vec<String> = levels.iter().map(|c| c.to_string()).collect();
    let series: Vec<Series> = report
        .targets
        .iter()
        .filter(|t| t.status == TargetStatus::Ok)
        .map(|t| Series {
            name: t.name.clone(),
            values: levels
                .iter()
                .map(|c| {
                    report
                        .levels_of(&t.name, workload)
                        .into_iter()
                        .find(|l| l.concurrency == *c)
                        .and_then(value)
                })
                .collect(),
        })
        .collect();
    let svg = line_chart(labels, &x_labels, &series, limit);
    let mut head = vec![labels.x_title.to_string()];
    head.extend(series.iter().map(|s| s.name.clone()));
    let rows: Vec<Vec<String>> = levels
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut r = vec![c.to_string()];
            r.extend(series.iter().map(|s| cell(s.values[i], decimals)));
            r
        })
        .collect();
    format!(
        "<figure>{svg}<figcaption>{}</figcaption></figure>{}",
        esc(labels.desc),
        table(
            &format!("Daten: {} ({})", labels.title, labels.y_label),
            &head,
            &rows,
            1
        )
    )
}

/// Poisson levels: how each target copes with a given arrival rate.
fn arrivals_table(report: &Report) -> String {
    let rated: Vec<&LevelMetrics> = report
        .levels
        .iter()
        .filter(|l| l.rate_per_s.is_some())
        .collect();
    if rated.is_empty() {
        return String::new();
    }
    let head: Vec<String> = [
        "Endpunkt",
        "Arbeitslast",
        "Ankünfte je Sekunde",
        "höchstens gleichzeitig",
        "erledigt je Sekunde",
        "Goodput je Sekunde",
        "erstes Wort p95 (ms)",
        "Verzug gegen Plan p99 (ms)",
        "Ziel erreicht",
    ]
    .map(String::from)
    .to_vec();
    let rows: Vec<Vec<String>> = rated
        .iter()
        .map(|l| {
            vec![
                l.target.clone(),
                l.workload.clone(),
                cell(l.rate_per_s, 2),
                l.concurrency.to_string(),
                num(l.requests_per_s, 2),
                num(l.goodput_requests_per_s, 2),
                cell(l.ttft_ms.p95, 0),
                cell(l.schedule_lag_ms.as_ref().and_then(|s| s.p99), 1),
                if l.slo_met { "ja" } else { "nein" }.into(),
            ]
        })
        .collect();
    format!(
        "<h3>Zufällige Ankünfte (Poisson)</h3><p>Anfragen kommen zufällig mit der \
         angegebenen mittleren Rate; der Verzug zeigt, ob der Lastgenerator seinen \
         Plan halten konnte.</p>{}",
        table("Messwerte bei zufälligen Ankünften", &head, &rows, 2)
    )
}

/// The German label of an error kind as stored in the report's keys.
fn error_label_de(key: &str) -> String {
    serde_json::from_value::<crate::client::ErrorKind>(serde_json::Value::String(key.into()))
        .map(|k| k.label_de().to_string())
        .unwrap_or_else(|_| key.to_string())
}

fn distribution_figure(report: &Report) -> String {
    let cats: Vec<String> = ["Median", "90 %", "95 %", "99 %"]
        .map(String::from)
        .to_vec();
    let mut series = Vec::new();
    let mut concurrency = Vec::new();
    for t in report
        .targets
        .iter()
        .filter(|t| t.status == TargetStatus::Ok)
    {
        if let Some(l) = report.levels_of(&t.name, &report.capacity_workload).first() {
            let e = &l.e2e_ms;
            series.push(Series {
                name: t.name.clone(),
                values: [e.p50, e.p90, e.p95, e.p99]
                    .iter()
                    .map(|v| v.map(|ms| ms / 1000.0))
                    .collect(),
            });
            concurrency.push(l.concurrency);
        }
    }
    if series.is_empty() {
        return String::new();
    }
    let labels = Labels {
        id: "verteilung",
        title: "Dauer einer ganzen Antwort",
        desc: "Sekunden bis zur vollständigen Antwort bei der kleinsten getesteten Nutzerzahl: \
               die Hälfte der Anfragen (Median) und 90, 95, 99 von 100 Anfragen sind schneller.",
        x_title: "Anteil der Anfragen, die schneller sind",
        y_label: "Sekunden",
        y_max: None,
    };
    let mut head = vec!["Perzentil".to_string()];
    head.extend(
        series
            .iter()
            .zip(&concurrency)
            .map(|(s, c)| format!("{} ({c} Nutzer)", s.name)),
    );
    let rows: Vec<Vec<String>> = cats
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut r = vec![c.clone()];
            r.extend(series.iter().map(|s| cell(s.values[i], 2)));
            r
        })
        .collect();
    format!(
        "<figure>{}<figcaption>{}</figcaption></figure>{}",
        bar_chart(&labels, &cats, &series),
        esc(labels.desc),
        table(
            "Daten: Dauer einer ganzen Antwort (Sekunden)",
            &head,
            &rows,
            1
        )
    )
}

/// Renders the whole page.
pub fn render_html(report: &Report) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"de\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Vergleichstest: {}</title><style>{STYLE}</style></head><body><main>\
         <h1>Vergleichstest: {}</h1>",
        esc(&report.title),
        esc(&report.title)
    );
    if report.partial {
        s.push_str(
            "<p class=\"warn\" role=\"note\"><strong>Teilbericht:</strong> Der Lauf wurde \
             abgebrochen. Es fehlen Messungen; die Zahlen sind vorläufig.</p>",
        );
    }
    // Summary first: what a reader with two minutes needs.
    let _ = write!(
        s,
        "<section aria-labelledby=\"kurz\"><h2 id=\"kurz\">Das Wichtigste in Kürze</h2>\
         <p class=\"lead\">{}</p>",
        esc(&report.recommendation)
    );
    if !report.warnings.is_empty() {
        s.push_str("<div class=\"warn\" role=\"note\"><h3>Hinweise zur Belastbarkeit</h3><ul>");
        for w in &report.warnings {
            let _ = write!(s, "<li>{}</li>", esc(w));
        }
        s.push_str("</ul></div>");
    }
    let head: Vec<String> = [
        "Endpunkt",
        "Rang",
        "Beschäftigte",
        "höchster Durchsatz (Tokens/s, 95-%-Intervall)",
        "€ je Nutzer und Monat",
        "€ je 1 Mio. Tokens",
        "Qualität (0–100, 95-%-Intervall)",
        "Status",
    ]
    .map(String::from)
    .to_vec();
    let rows: Vec<Vec<String>> = report
        .targets
        .iter()
        .map(|t| {
            let rank = report
                .ranking
                .iter()
                .position(|n| n == &t.name)
                .map(|p| (p + 1).to_string())
                .unwrap_or_else(|| "–".into());
            vec![
                t.name.clone(),
                rank,
                t.users_served
                    .map(|u| num(u as f64, 0))
                    .unwrap_or_else(|| "–".into()),
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
                match t.status {
                    TargetStatus::Ok => "gemessen".into(),
                    TargetStatus::Failed => {
                        format!("fehlgeschlagen: {}", t.failure.as_deref().unwrap_or(""))
                    }
                },
            ]
        })
        .collect();
    s.push_str(&table("Ergebnis je Endpunkt", &head, &rows, 1));
    s.push_str("</section>");

    // What was tested.
    s.push_str("<section aria-labelledby=\"was\"><h2 id=\"was\">Was getestet wurde</h2>");
    if let Some(d) = &report.description {
        let _ = write!(s, "<p>{}</p>", esc(d.trim()));
    }
    s.push_str("<dl>");
    for t in &report.targets {
        let _ = write!(
            s,
            "<dt><strong>{}</strong></dt><dd>Modell {}; {}; Kosten: {}; erlaubte Daten laut \
             KI-Richtlinie: {}</dd>",
            esc(&t.name),
            esc(&t.model),
            esc(t.hardware.as_deref().unwrap_or("Hardware nicht angegeben")),
            esc(&t.cost_model_de),
            esc(&if t.data_classes.is_empty() {
                "nicht angegeben".to_string()
            } else {
                t.data_classes.join(", ")
            })
        );
        if let Some(r) = &t.resources {
            let _ = write!(s, "<dd>{}</dd>", esc(&resources_de(r)));
        }
    }
    let _ = write!(
        s,
        "</dl><p>Ein Nutzer gilt als gut bedient, wenn das erste Wort der Antwort nach höchstens \
         {} Sekunden erscheint (bei 95 von 100 Anfragen), danach mindestens {} Tokens je Sekunde \
         folgen und höchstens {} % der Anfragen scheitern. Angenommen wird, dass {} % der \
         Beschäftigten gleichzeitig eine Anfrage stellen.</p></section>",
        num(report.slo.ttft_p95_ms / 1000.0, 1),
        num(report.slo.min_tokens_per_s, 0),
        num(report.slo.max_error_rate * 100.0, 0),
        num(report.users.active_share * 100.0, 0)
    );

    // Speed.
    let _ = write!(
        s,
        "<section aria-labelledby=\"tempo\"><h2 id=\"tempo\">Tempo und Nutzerzahl</h2>\
         <p>Gemessen mit der Arbeitslast „{}“ bei steigender Zahl gleichzeitiger Nutzer.</p>",
        esc(&report.capacity_workload)
    );
    s.push_str(&concurrency_figure(
        report,
        &Labels {
            id: "durchsatz",
            title: "Durchsatz",
            desc: "Erzeugte Tokens je Sekunde über alle Nutzer, je Zahl gleichzeitiger Nutzer.",
            x_title: "gleichzeitige Nutzer",
            y_label: "Tokens je Sekunde",
            y_max: None,
        },
        &|l| Some(l.output_tokens_per_s),
        None,
        1,
    ));
    let slo_label = format!("Ziel {} ms", num(report.slo.ttft_p95_ms, 0));
    s.push_str(&concurrency_figure(
        report,
        &Labels {
            id: "wartezeit",
            title: "Wartezeit bis zum ersten Wort",
            desc: "95. Perzentil der Zeit bis zum ersten Token in Millisekunden; die gestrichelte \
                   Linie ist das Dienstgüteziel.",
            x_title: "gleichzeitige Nutzer",
            y_label: "Millisekunden (p95)",
            y_max: None,
        },
        &|l| l.ttft_ms.p95,
        Some((report.slo.ttft_p95_ms, &slo_label)),
        0,
    ));
    s.push_str(&concurrency_figure(
        report,
        &Labels {
            id: "nutzertempo",
            title: "Schreibtempo je Nutzer",
            desc: "Median der Tokens je Sekunde, die ein einzelner Nutzer nach dem ersten Wort sieht.",
            x_title: "gleichzeitige Nutzer",
            y_label: "Tokens je Sekunde (Median)",
            y_max: None,
        },
        &|l| l.user_tokens_per_s.p50,
        Some((report.slo.min_tokens_per_s, "Mindesttempo")),
        1,
    ));
    s.push_str(&distribution_figure(report));
    s.push_str(&arrivals_table(report));
    s.push_str("</section>");

    // Quality.
    if !report.quality.is_empty() {
        s.push_str(
            "<section aria-labelledby=\"qualitaet\"><h2 id=\"qualitaet\">Antwortqualität bei \
             Verwaltungsaufgaben</h2><p>Punkte von 0 bis 100 je Aufgabe; 100 heißt: so gut wie \
             die Musterlösung. Eine Antwort, die nur die Anweisung oder die Eingabe wiederholt, \
             erhält 0 Punkte.</p>",
        );
        let mut workloads: Vec<String> = Vec::new();
        for q in &report.quality {
            if !workloads.contains(&q.workload) {
                workloads.push(q.workload.clone());
            }
        }
        let series: Vec<Series> = report
            .targets
            .iter()
            .filter(|t| t.status == TargetStatus::Ok)
            .map(|t| Series {
                name: t.name.clone(),
                values: workloads
                    .iter()
                    .map(|w| {
                        report
                            .quality
                            .iter()
                            .find(|q| q.target == t.name && &q.workload == w)
                            .map(|q| q.score * 100.0)
                    })
                    .collect(),
            })
            .collect();
        let labels = Labels {
            id: "qualitaet-chart",
            title: "Qualität je Aufgabe",
            desc: "Mittlere Punktzahl (0–100) je Aufgabe und Endpunkt.",
            x_title: "Aufgabe",
            y_label: "Punkte (0–100)",
            y_max: Some(100.0),
        };
        let short: Vec<String> = workloads
            .iter()
            .enumerate()
            .map(|(i, _)| format!("A{}", i + 1))
            .collect();
        let _ = write!(
            s,
            "<figure>{}<figcaption>{} Kürzel: {}</figcaption></figure>",
            bar_chart(&labels, &short, &series),
            esc(labels.desc),
            esc(&workloads
                .iter()
                .enumerate()
                .map(|(i, w)| format!("A{} = {w}", i + 1))
                .collect::<Vec<_>>()
                .join(", "))
        );
        let head: Vec<String> = [
            "Endpunkt",
            "Aufgabe",
            "Was gemessen wird",
            "Punkte (95-%-Intervall)",
            "Antworten",
            "davon Fehler",
            "Einzelmaße",
        ]
        .map(String::from)
        .to_vec();
        let rows: Vec<Vec<String>> = report
            .quality
            .iter()
            .map(|q| {
                vec![
                    q.target.clone(),
                    q.workload.clone(),
                    q.kind.main_metric_de().into(),
                    match q.ci {
                        Some(i) => format!(
                            "{} ({})",
                            num(q.score * 100.0, 1),
                            interval_de(&i, 0, 100.0, Some((0.0, 100.0)))
                        ),
                        None => num(q.score * 100.0, 1),
                    },
                    q.items.to_string(),
                    q.failed.to_string(),
                    q.metrics
                        .iter()
                        .map(|(k, v)| format!("{}: {}", crate::tasks::metric_de(k), num(*v, 2)))
                        .collect::<Vec<_>>()
                        .join("; "),
                ]
            })
            .collect();
        s.push_str(&table(
            "Daten: Qualität je Aufgabe und Endpunkt",
            &head,
            &rows,
            3,
        ));
        s.push_str("</section>");
    }

    // Cost.
    s.push_str("<section aria-labelledby=\"kosten\"><h2 id=\"kosten\">Kosten</h2>");
    let ok: Vec<_> = report
        .targets
        .iter()
        .filter(|t| t.status == TargetStatus::Ok)
        .collect();
    let series = vec![Series {
        name: "€ je Nutzer".into(),
        values: ok.iter().map(|t| t.cost.eur_per_user_month).collect(),
    }];
    let cats: Vec<String> = ok.iter().map(|t| t.name.clone()).collect();
    let labels = Labels {
        id: "kosten-chart",
        title: "Kosten je Nutzer und Monat",
        desc: "Monatliche Kosten geteilt durch die Zahl der Beschäftigten, die der Endpunkt bedienen kann.",
        x_title: "Endpunkt",
        y_label: "Euro je Nutzer und Monat",
        y_max: None,
    };
    let _ = write!(
        s,
        "<figure>{}<figcaption>{}</figcaption></figure>",
        bar_chart(&labels, &cats, &series),
        esc(labels.desc)
    );
    let head: Vec<String> = [
        "Endpunkt",
        "Kostenmodell",
        "fest je Monat",
        "je Betriebsstunde",
        "je 1.000 Anfragen",
        "je 1 Mio. Tokens",
        "je Nutzer und Monat",
        "für alle Beschäftigten im Monat",
    ]
    .map(String::from)
    .to_vec();
    let rows: Vec<Vec<String>> = ok
        .iter()
        .map(|t| {
            let e = |v: Option<f64>| v.map(eur).unwrap_or_else(|| "–".into());
            vec![
                t.name.clone(),
                t.cost_model_de.clone(),
                eur(t.cost.monthly_fixed_eur),
                e(t.cost.hourly_eur),
                e(t.cost.eur_per_1000_requests),
                e(t.cost.eur_per_1m_output_tokens),
                e(t.cost.eur_per_user_month),
                match (t.units_for_staff, t.monthly_eur_for_staff) {
                    (Some(n), Some(c)) => format!("{} Stück: {}", num(n as f64, 0), eur(c)),
                    (None, Some(c)) => eur(c),
                    _ => "–".into(),
                },
            ]
        })
        .collect();
    s.push_str(&table("Daten: Kosten je Endpunkt", &head, &rows, 2));
    for b in &report.break_even {
        let _ = write!(
            s,
            "<p><strong>Gewinnschwelle:</strong> {}</p>",
            esc(&super::text::break_even_de(b))
        );
    }
    s.push_str(
        "<p>Preise je Token und je Anfrage gelten bei voller Auslastung während der \
         Betriebsstunden; weniger Auslastung macht sie entsprechend teurer.</p></section>",
    );

    // All measurements.
    s.push_str("<section aria-labelledby=\"alle\"><h2 id=\"alle\">Alle Messwerte</h2>");
    let head: Vec<String> = [
        "Endpunkt",
        "Arbeitslast",
        "Nutzer",
        "erfolgreich",
        "Fehler",
        "Wiederholungen",
        "Anfragen/s",
        "Tokens/s",
        "Tokens/s 95-%-Intervall",
        "Goodput/s",
        "erstes Wort p50 (ms)",
        "erstes Wort p95 (ms)",
        "Tokenabstand p50 (ms)",
        "Gesamtdauer p95 (ms)",
        "Qualität (0–100)",
        "Ziel erreicht",
    ]
    .map(String::from)
    .to_vec();
    let rows: Vec<Vec<String>> = report
        .levels
        .iter()
        .map(|l| {
            vec![
                l.target.clone(),
                l.workload.clone(),
                l.concurrency.to_string(),
                l.requests_ok.to_string(),
                if l.errors.is_empty() {
                    "0".into()
                } else {
                    l.errors
                        .iter()
                        .map(|(k, v)| format!("{v} × {}", error_label_de(k)))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                l.repetitions.to_string(),
                num(l.requests_per_s, 2),
                num(l.output_tokens_per_s, 1),
                l.output_tokens_per_s_ci
                    .map(|i| interval_de(&i, 1, 1.0, None))
                    .unwrap_or_else(|| "–".into()),
                num(l.goodput_requests_per_s, 2),
                cell(l.ttft_ms.p50, 0),
                cell(l.ttft_ms.p95, 0),
                cell(l.itl_ms.p50, 1),
                cell(l.e2e_ms.p95, 0),
                cell(l.quality.map(|q| q * 100.0), 0),
                if l.slo_met { "ja" } else { "nein" }.into(),
            ]
        })
        .collect();
    s.push_str(&table(
        "Messwerte je Endpunkt, Arbeitslast und Nutzerzahl",
        &head,
        &rows,
        3,
    ));
    s.push_str("</section>");

    s.push_str(
        "<section aria-labelledby=\"grenzen\"><h2 id=\"grenzen\">Grenzen der Messung</h2><ul>",
    );
    for l in limits(report) {
        let _ = write!(s, "<li>{}</li>", esc(&l));
    }
    let _ = write!(
        s,
        "</ul></section><footer><p>Erstellt am {} (UTC) mit ki-reise. Rohdaten: report.json, \
         results.csv, requests.csv.</p></footer></main></body></html>",
        esc(&journey::german::date(&report.generated_at))
    );
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::CostFigures;
    use crate::report::TargetResult;
    use crate::spec::{Slo, UserModel};

    #[test]
    fn a_run_where_every_target_failed_still_renders_a_page() {
        let report = Report {
            report_version: 1,
            title: "Alles aus".into(),
            description: None,
            generated_at: "2026-11-26T10:00:00Z".into(),
            partial: true,
            slo: Slo::default(),
            users: UserModel::default(),
            capacity_workload: "w".into(),
            targets: vec![TargetResult {
                name: "A".into(),
                model: "m".into(),
                base_url: "http://127.0.0.1:1/v1".into(),
                hardware: None,
                data_classes: vec![],
                status: TargetStatus::Failed,
                failure: Some("keine Verbindung: <refused>".into()),
                capacity_concurrency: None,
                users_served: None,
                max_output_tokens_per_s: None,
                cost_model_de: "Miete".into(),
                cost: CostFigures::default(),
                quality_mean: None,
                quality_ci: None,
                max_output_tokens_per_s_ci: None,
                units_for_staff: None,
                monthly_eur_for_staff: None,
                resources: None,
            }],
            levels: vec![],
            quality: vec![],
            ranking: vec![],
            break_even: vec![],
            recommendation: "Kein Endpunkt hat die Messung bestanden.".into(),
            host: None,
            warnings: vec![],
        };
        let html = render_html(&report);
        assert!(html.contains("Teilbericht"));
        assert!(html.contains("fehlgeschlagen: keine Verbindung: &lt;refused&gt;"));
        assert!(html.ends_with("</html>\n"));
    }
}
