//! The one percentile of ki-reise's measurements, used by the bench report,
//! its uncertainty intervals and the portal load test.

/// Percentile with linear interpolation between closest ranks (numpy's
/// default), on sorted data. `None` for no data.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0).clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let frac = rank - lo as f64;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}
