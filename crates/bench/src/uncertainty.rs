//! How sure a figure is: 95 % confidence intervals for means and for
//! throughput, and whether two intervals allow a statement "A is better
//! than B". The report may only rank where the intervals say so; two
//! identical servers on one machine differ by chance, and a council paper
//! must not turn that chance into a recommendation.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// Fewer requests than this in a level make its percentiles and its
/// interval too unsteady to compare; the report flags such levels.
pub const MIN_REQUESTS_PER_LEVEL: u64 = 20;

/// A 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// Whether the two intervals share a point: then the data do not show
    /// which of the two values is larger.
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.low <= other.high && other.low <= self.high
    }
}

/// Two-sided 97.5 % quantiles of Student's t for 1..=30 degrees of freedom;
/// beyond that the normal quantile is close enough.
const T_975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

fn t_quantile(df: usize) -> f64 {
    T_975.get(df.wrapping_sub(1)).copied().unwrap_or(1.96)
}

/// Mean and 95 % t-interval of the mean; `None` below two values, where
/// nothing can be said about the spread.
pub fn mean_interval(values: &[f64]) -> Option<Interval> {
    let n = values.len();
    if n < 2 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = t_quantile(n - 1) * (var / n as f64).sqrt();
    Some(Interval {
        low: mean - half,
        high: mean + half,
    })
}

/// Resamples for the bootstrap; 2,000 keeps the 2.5 % and 97.5 % quantiles
/// steady to about one percent of the interval's width.
const BOOTSTRAP_RESAMPLES: usize = 2000;

/// 95 % percentile-bootstrap interval of a throughput `measured` that is
/// (up to a constant) the ratio Σ tokens / Σ seconds of the requests in
/// `pairs` (tokens, seconds). Resampling requests shows how much the figure
/// would move with other requests of the same kind. Seeded, so a report
/// is reproducible. `None` below two requests.
pub fn throughput_interval(pairs: &[(f64, f64)], measured: f64) -> Option<Interval> {
    let n = pairs.len();
    if n < 2 {
        return None;
    }
    let ratio = |it: &mut dyn Iterator<Item = (f64, f64)>| {
        let (tok, sec) = it.fold((0.0, 0.0), |(a, b), (t, s)| (a + t, b + s));
        (sec > 0.0).then(|| tok / sec)
    };
    let base = ratio(&mut pairs.iter().copied())?;
    if base <= 0.0 {
        return Some(Interval {
            low: measured,
            high: measured,
        });
    }
    let scale = measured / base;
    let mut rng = StdRng::seed_from_u64(0x006b_6972_6569_7365);
    let mut stats: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .filter_map(|_| ratio(&mut (0..n).map(|_| pairs[rng.gen_range(0..n)])))
        .map(|r| r * scale)
        .collect();
    stats.sort_by(f64::total_cmp);
    Some(Interval {
        low: crate::percentile::percentile(&stats, 2.5)?,
        high: crate::percentile::percentile(&stats, 97.5)?,
    })
}

/// The interval of a mean of independent means (e.g. quality over several
/// task sets): the standard errors add in quadrature.
pub fn mean_of_intervals(parts: &[(f64, Interval)]) -> Option<Interval> {
    if parts.is_empty() {
        return None;
    }
    let k = parts.len() as f64;
    let mean = parts.iter().map(|p| p.0).sum::<f64>() / k;
    // Half widths are ≈ 1.96 standard errors; work in half widths.
    let half = parts
        .iter()
        .map(|(_, i)| ((i.high - i.low) / 2.0).powi(2))
        .sum::<f64>()
        .sqrt()
        / k;
    Some(Interval {
        low: mean - half,
        high: mean + half,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_t_interval_matches_a_hand_computed_value() {
        // mean 2, sd 1, n 3 → half width 4.303 · 1/√3 = 2.4843…
        let i = mean_interval(&[1.0, 2.0, 3.0]).unwrap();
        assert!((i.low - (2.0 - 4.303 / 3f64.sqrt())).abs() < 1e-9);
        assert!((i.high - (2.0 + 4.303 / 3f64.sqrt())).abs() < 1e-9);
        assert_eq!(mean_interval(&[5.0]), None);
    }

    #[test]
    fn identical_values_give_a_point_and_overlap_is_symmetric() {
        let a = mean_interval(&[4.0, 4.0, 4.0]).unwrap();
        assert_eq!((a.low, a.high), (4.0, 4.0));
        let b = Interval {
            low: 3.0,
            high: 4.0,
        };
        let c = Interval {
            low: 4.5,
            high: 6.0,
        };
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!b.overlaps(&c) && !c.overlaps(&b));
    }

    #[test]
    fn the_bootstrap_brackets_the_measured_throughput_and_narrows_with_more_requests() {
        let pairs = |n: usize| -> Vec<(f64, f64)> {
            (0..n)
                .map(|i| (10.0, if i % 2 == 0 { 0.1 } else { 0.3 }))
                .collect()
        };
        let small = throughput_interval(&pairs(10), 50.0).unwrap();
        let large = throughput_interval(&pairs(200), 50.0).unwrap();
        assert!(small.low < 50.0 && 50.0 < small.high, "{small:?}");
        assert!(large.low < 50.0 && 50.0 < large.high, "{large:?}");
        assert!(large.high - large.low < (small.high - small.low) / 2.0);
        assert_eq!(throughput_interval(&pairs(1), 50.0), None);
    }
}
