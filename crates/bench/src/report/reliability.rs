//! Whether a run's figures carry a comparison: warnings about the run
//! (too few requests, a busy machine) and the rule by which one target
//! counts as faster or better than another. A difference counts only when
//! the 95 % intervals do not overlap *and* it is large enough to matter
//! on a shared machine; everything else is "kein belastbarer Unterschied".

use std::cmp::Ordering;
use std::fmt::Write;

use super::numbers::num;
use super::{Report, TargetResult};
use crate::uncertainty::{Interval, MIN_REQUESTS_PER_LEVEL};

/// Smaller relative differences are not called a difference, even with
/// narrow intervals: a neighbour's compile job moves speeds by that much.
const MIN_RELEVANT_SHARE: f64 = 0.10;

/// `Greater` when `a` is reliably above `b`, `Less` when below, `None`
/// when the data do not tell.
fn compare(a: (f64, Interval), b: (f64, Interval)) -> Option<Ordering> {
    if a.1.overlaps(&b.1) {
        return None;
    }
    let (hi, lo) = if a.0 >= b.0 { (a.0, b.0) } else { (b.0, a.0) };
    if hi - lo < MIN_RELEVANT_SHARE * hi.abs() {
        return None;
    }
    Some(a.0.total_cmp(&b.0))
}

/// Throughput of `a` against `b` in the capacity workload, level by level
/// (same concurrency and rate). `Some` only when at least one level shows
/// a reliable difference and none shows the opposite one.
pub fn speed_difference(report: &Report, a: &str, b: &str) -> Option<Ordering> {
    let w = &report.capacity_workload;
    let la = report
        .levels
        .iter()
        .filter(|l| l.target == a && &l.workload == w);
    let mut seen: Option<Ordering> = None;
    for l in la {
        let Some(m) = report.levels.iter().find(|m| {
            m.target == b
                && &m.workload == w
                && m.concurrency == l.concurrency
                && m.rate_per_s == l.rate_per_s
        }) else {
            continue;
        };
        let (Some(ia), Some(ib)) = (l.output_tokens_per_s_ci, m.output_tokens_per_s_ci) else {
            continue;
        };
        match (
            compare((l.output_tokens_per_s, ia), (m.output_tokens_per_s, ib)),
            seen,
        ) {
            (None, _) => {}
            (Some(o), None) => seen = Some(o),
            (Some(o), Some(p)) if o != p => return None,
            _ => {}
        }
    }
    seen
}

/// Answer quality of `a` against `b`; `None` without intervals or when
/// they overlap.
pub fn quality_difference(a: &TargetResult, b: &TargetResult) -> Option<Ordering> {
    match (a.quality_mean, a.quality_ci, b.quality_mean, b.quality_ci) {
        (Some(qa), Some(ia), Some(qb), Some(ib)) => compare((qa, ia), (qb, ib)),
        _ => None,
    }
}

/// An interval as German text, e.g. "12,5–14,0".
pub fn interval_de(
    i: &Interval,
    decimals: usize,
    scale: f64,
    bounds: Option<(f64, f64)>,
) -> String {
    let (mut lo, mut hi) = (i.low * scale, i.high * scale);
    if let Some((min, max)) = bounds {
        lo = lo.clamp(min, max);
        hi = hi.clamp(min, max);
    }
    format!("{}–{}", num(lo, decimals), num(hi, decimals))
}

/// What makes this run less reliable, as sentences for the report.
pub fn warnings(report: &Report) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(w) = report.host.as_ref().and_then(|h| h.warning_de()) {
        out.push(w);
    }
    for t in &report.targets {
        let small: Vec<u64> = report
            .levels
            .iter()
            .filter(|l| l.target == t.name)
            .map(|l| l.requests_ok + l.requests_failed)
            .filter(|&n| n < MIN_REQUESTS_PER_LEVEL)
            .collect();
        let all = report.levels.iter().filter(|l| l.target == t.name).count();
        if let Some(min) = small.iter().min() {
            let mut s = String::new();
            let _ = write!(
                s,
                "Zu wenige Anfragen bei {}: {} von {} Messstufen hatten weniger als {} Anfragen \
                 (die kleinste {}). Dort sind Perzentile und Intervalle unsicher; erhöhen Sie \
                 „requests“ oder „repetitions“ im Lastprofil.",
                t.name,
                small.len(),
                all,
                MIN_REQUESTS_PER_LEVEL,
                min
            );
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(low: f64, high: f64) -> Interval {
        Interval { low, high }
    }

    #[test]
    fn overlapping_or_small_differences_are_no_difference() {
        assert_eq!(compare((10.0, iv(8.0, 12.0)), (11.0, iv(9.0, 13.0))), None);
        // Disjoint but only 2 % apart: not relevant.
        assert_eq!(
            compare((100.0, iv(99.9, 100.1)), (98.0, iv(97.9, 98.1))),
            None
        );
        assert_eq!(
            compare((60.0, iv(55.0, 77.0)), (16.0, iv(14.0, 18.0))),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare((16.0, iv(14.0, 18.0)), (60.0, iv(55.0, 77.0))),
            Some(Ordering::Less)
        );
    }

    #[test]
    fn quality_intervals_are_clamped_for_display() {
        assert_eq!(
            interval_de(&iv(-0.1, 0.5), 0, 100.0, Some((0.0, 100.0))),
            "0–50"
        );
    }
}
