//! Which figures of a breakdown must be hidden so that no published figure,
//! and no difference of published figures, rests on fewer than k answers.
//!
//! A breakdown is a partition of the answers into groups (departments plus
//! "ohne Angabe") with a published total. Hiding only the small groups is
//! not enough: the total minus the published groups is the sum of the hidden
//! ones. So after hiding every group with 0 < n < k (primary suppression) we
//! keep hiding the smallest remaining non-empty group (secondary
//! suppression) until the hidden groups together hold 0 or at least k
//! answers. That residual is all a differencing attacker can compute.

/// `bases[i]` is the number of answers in group `i`; `forced[i]` hides a
/// group regardless (e.g. a department hidden for its response count).
/// Returns the groups to hide. The total itself is published only when it
/// is at least `k`; callers check that separately.
pub fn suppressed(bases: &[u64], forced: &[bool], k: u64) -> Vec<bool> {
    let mut hide: Vec<bool> = bases
        .iter()
        .enumerate()
        .map(|(i, &n)| forced.get(i).copied().unwrap_or(false) || (n > 0 && n < k))
        .collect();
    loop {
        let residual: u64 = bases
            .iter()
            .zip(&hide)
            .filter(|(_, h)| **h)
            .map(|(n, _)| *n)
            .sum();
        if residual == 0 || residual >= k {
            return hide;
        }
        // The smallest published non-empty group; ties by position, so the
        // result does not depend on anything but the counts and the order.
        let next = bases
            .iter()
            .enumerate()
            .filter(|(i, &n)| !hide[*i] && n > 0)
            .min_by_key(|(i, &n)| (n, *i))
            .map(|(i, _)| i);
        match next {
            Some(i) => hide[i] = true,
            // Everything non-empty is hidden; the total is below k then and
            // hidden by the caller.
            None => return hide,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn groups_at_or_above_k_stay_and_empty_groups_are_not_hidden() {
        assert_eq!(suppressed(&[5, 9, 0], &[], 5), [false, false, false]);
    }

    #[test]
    fn a_single_small_group_drags_the_next_smallest_with_it() {
        // Total 22 − 10 − 8 would reveal the 4 of the third group.
        assert_eq!(suppressed(&[10, 8, 4], &[], 5), [false, true, true]);
    }

    #[test]
    fn two_small_groups_that_sum_to_k_protect_each_other() {
        assert_eq!(suppressed(&[10, 2, 3], &[], 5), [false, true, true]);
    }

    #[test]
    fn two_small_groups_below_k_together_take_a_third() {
        assert_eq!(
            suppressed(&[10, 6, 1, 2], &[], 5),
            [false, true, true, true]
        );
    }

    #[test]
    fn a_forced_group_counts_towards_the_residual() {
        assert_eq!(
            suppressed(&[10, 7, 3], &[false, true, false], 5),
            [false, true, true]
        );
        // Forced but with no answers here: nothing to protect.
        assert_eq!(
            suppressed(&[10, 0, 6], &[false, true, false], 5),
            [false, true, false]
        );
    }

    proptest! {
        #[test]
        fn the_residual_of_hidden_groups_is_zero_or_at_least_k(
            bases in proptest::collection::vec(0u64..20, 1..12),
            k in 3u64..8,
        ) {
            let hide = suppressed(&bases, &[], k);
            let total: u64 = bases.iter().sum();
            let residual: u64 = bases.iter().zip(&hide).filter(|(_, h)| **h).map(|(n, _)| *n).sum();
            for (n, h) in bases.iter().zip(&hide) {
                if !h {
                    prop_assert!(*n == 0 || *n >= k);
                }
            }
            prop_assert!(residual == 0 || residual >= k || total < k);
        }
    }
}
