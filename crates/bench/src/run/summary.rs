//! What the measured samples become in the report: scores, quality per
//! workload, the target's summary and the per-request rows.

use std::collections::BTreeMap;

use crate::cost::{price, Scaling, Throughput};
use crate::load::Sample;
use crate::metrics::{capacity, figures, users_served, LevelMetrics};
use crate::report::{self, QualityResult, RequestRow, TargetResult, TargetStatus};
use crate::spec::{Cost, Spec, Target};
use crate::tasks::TaskSet;
use crate::uncertainty::{mean_interval, mean_of_intervals, Interval};

/// Scores a sample of a task workload: main score and measures; `None` for
/// synthetic workloads. A failed request scores 0.
pub(super) fn score_sample(
    task: Option<&TaskSet>,
    s: &Sample,
) -> Option<(f64, BTreeMap<String, f64>)> {
    let set = task?;
    let item = set.items.get(s.item?)?;
    if s.outcome.error.is_some() {
        return Some((0.0, BTreeMap::new()));
    }
    let sc = set.score(item, &s.outcome.text);
    Some((sc.main, sc.metrics))
}

pub(super) fn quality_result(
    target: &str,
    workload: &str,
    set: &TaskSet,
    scored: &[(Sample, Option<f64>)],
) -> QualityResult {
    let mut sums: BTreeMap<String, (f64, u64)> = BTreeMap::new();
    let mut total = 0.0;
    let mut failed = 0;
    for (s, main) in scored {
        total += main.unwrap_or(0.0);
        if s.outcome.error.is_some() {
            failed += 1;
            continue;
        }
        if let Some((_, metrics)) = score_sample(Some(set), s) {
            for (k, v) in metrics {
                let e = sums.entry(k).or_insert((0.0, 0));
                e.0 += v;
                e.1 += 1;
            }
        }
    }
    QualityResult {
        target: target.into(),
        workload: workload.into(),
        task: set.id.clone(),
        kind: set.kind,
        items: scored.len() as u64,
        failed,
        score: total / scored.len().max(1) as f64,
        ci: mean_interval(
            &scored
                .iter()
                .map(|(_, main)| main.unwrap_or(0.0))
                .collect::<Vec<_>>(),
        ),
        metrics: sums
            .into_iter()
            .map(|(k, (sum, n))| (k, sum / n.max(1) as f64))
            .collect(),
    }
}

pub(super) fn summarise_target(
    spec: &Spec,
    target: &Target,
    levels: &[LevelMetrics],
    quality: &[QualityResult],
) -> TargetResult {
    let cap_levels: Vec<&LevelMetrics> = levels
        .iter()
        .filter(|l| l.workload == spec.capacity_workload())
        .collect();
    let cap = capacity(&cap_levels);
    let users = cap.map(|c| users_served(c, &spec.users));
    // Prices rest on the level the target can sustain; without one, on its
    // best level, so that € per token is still shown.
    let basis = cap
        .and_then(|c| cap_levels.iter().find(|l| l.concurrency == c))
        .or_else(|| {
            cap_levels
                .iter()
                .max_by(|a, b| a.output_tokens_per_s.total_cmp(&b.output_tokens_per_s))
        });
    let tp = basis.filter(|l| l.requests_ok > 0).map(|l| Throughput {
        output_tokens_per_s: l.output_tokens_per_s,
        requests_per_s: l.requests_per_s,
        input_tokens_per_request: l.input_tokens_mean.unwrap_or(0.0),
        output_tokens_per_request: l.output_tokens_mean.unwrap_or(0.0),
    });
    let quality_mean = (!quality.is_empty())
        .then(|| quality.iter().map(|q| q.score).sum::<f64>() / quality.len() as f64);
    let quality_parts: Vec<(f64, Interval)> = quality
        .iter()
        .filter_map(|q| q.ci.map(|c| (q.score, c)))
        .collect();
    let quality_ci = (quality_parts.len() == quality.len())
        .then(|| mean_of_intervals(&quality_parts))
        .flatten();
    let fastest = cap_levels
        .iter()
        .max_by(|a, b| a.output_tokens_per_s.total_cmp(&b.output_tokens_per_s));
    let cost = price(&target.cost, tp, users, &spec.users);
    let (units_for_staff, monthly_eur_for_staff) =
        match (Scaling::of(&target.cost, &cost, users), spec.users.staff) {
            (Some(scaling), Some(staff)) => {
                let (units, eur) = scaling.for_staff(staff);
                (units, Some(eur))
            }
            _ => (None, None),
        };
    TargetResult {
        name: target.name.clone(),
        model: target.model.clone(),
        base_url: target.base_url.clone(),
        hardware: target.hardware.clone(),
        data_classes: target.data_classes.clone(),
        status: TargetStatus::Ok,
        failure: None,
        capacity_concurrency: cap,
        users_served: users,
        max_output_tokens_per_s: fastest.map(|l| l.output_tokens_per_s),
        max_output_tokens_per_s_ci: fastest.and_then(|l| l.output_tokens_per_s_ci),
        cost_model_de: cost_model_de(&target.cost),
        cost,
        quality_mean,
        quality_ci,
        units_for_staff,
        monthly_eur_for_staff,
        resources: None,
    }
}

pub(super) fn request_row(
    target: &str,
    workload: &str,
    (concurrency, rate_per_s): (u32, Option<f64>),
    s: &Sample,
    task: Option<&TaskSet>,
    score: Option<f64>,
) -> RequestRow {
    // Microseconds are the resolution that means anything here; more
    // digits only bloat the file.
    let r = |x: f64| (x * 1000.0).round() / 1000.0;
    let f = figures(s);
    let itl: Vec<f64> = s
        .outcome
        .itl
        .iter()
        .map(|d| r(d.as_secs_f64() * 1000.0))
        .collect();
    RequestRow {
        target: target.into(),
        workload: workload.into(),
        concurrency,
        rate_per_s,
        index: s.index,
        item: task.and_then(|t| s.item.and_then(|i| t.items.get(i)).map(|it| it.id.clone())),
        started_s: (s.started.as_secs_f64() * 1e6).round() / 1e6,
        ttft_ms: f.ttft_ms.map(r),
        e2e_ms: r(f.e2e_ms),
        tpot_ms: f.tpot_ms.map(r),
        itl_mean_ms: (!itl.is_empty()).then(|| r(itl.iter().sum::<f64>() / itl.len() as f64)),
        itl_max_ms: itl.iter().copied().max_by(f64::total_cmp),
        itl_ms: itl
            .iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join(" "),
        input_tokens: f.input_tokens,
        output_tokens: f.output_tokens,
        token_source: if f.from_usage { "usage" } else { "chunks" },
        schedule_lag_ms: s.schedule_lag.map(|d| r(d.as_secs_f64() * 1000.0)),
        error_kind: s
            .outcome
            .error
            .as_ref()
            .map(|e| e.kind.label_de().to_string()),
        error: s.outcome.error.as_ref().map(|e| e.message.clone()),
        score,
    }
}

/// The cost model in words, for the report.
pub fn cost_model_de(cost: &Cost) -> String {
    use report::text_num as n;
    match *cost {
        Cost::Hourly {
            eur_per_hour,
            hours_per_month,
            min_term_months,
        } => {
            let mut s = format!(
                "Miete {} € je Stunde, {} Stunden im Monat",
                n(eur_per_hour, 2),
                n(hours_per_month, 0)
            );
            if let Some(m) = min_term_months {
                let unit = if m == 1.0 { "Monat" } else { "Monate" };
                s.push_str(&format!(", Mindestlaufzeit {} {unit}", n(m, 0)));
            }
            s
        }
        Cost::Monthly { eur_per_month } => format!("Miete {} € im Monat", n(eur_per_month, 2)),
        Cost::Purchase {
            price_eur,
            years,
            power_watts,
            eur_per_kwh,
            hours_per_month,
            maintenance_eur_per_year,
        } => {
            let mut s = format!(
                "Kauf für {} €, genutzt {} Jahre, {} W Stromaufnahme zu {} € je kWh, {} Betriebsstunden im Monat",
                n(price_eur, 0),
                n(years, 0),
                n(power_watts, 0),
                n(eur_per_kwh, 2),
                n(hours_per_month, 0)
            );
            if maintenance_eur_per_year > 0.0 {
                s.push_str(&format!(
                    ", Wartung {} € im Jahr",
                    n(maintenance_eur_per_year, 0)
                ));
            }
            s
        }
        Cost::PerToken {
            eur_per_1m_input,
            eur_per_1m_output,
        } => format!(
            "{} € je 1 Mio. Eingabe-Tokens, {} € je 1 Mio. Ausgabe-Tokens",
            n(eur_per_1m_input, 2),
            n(eur_per_1m_output, 2)
        ),
    }
}
