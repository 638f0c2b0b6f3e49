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

/// Which cells, row totals and column totals of a two-way table of counts
/// to hide: the table of department × kind of role, whose margins are the
/// group sizes of either breakdown. Totals are protected like a breakdown;
/// then cells below k are hidden, and rows and columns get secondary
/// suppression until no hidden part of any published total is below k.
/// One protected table serves every report, so that a breakdown by
/// department and one by role cannot be played against each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSuppression {
    pub cells: Vec<Vec<bool>>,
    pub rows: Vec<bool>,
    pub cols: Vec<bool>,
}

pub fn protect_table(counts: &[Vec<u64>], k: u64) -> TableSuppression {
    let n_rows = counts.len();
    let n_cols = counts.first().map_or(0, Vec::len);
    let row_totals: Vec<u64> = counts.iter().map(|r| r.iter().sum()).collect();
    let col_totals: Vec<u64> = (0..n_cols)
        .map(|j| counts.iter().map(|r| r[j]).sum())
        .collect();
    let total: u64 = row_totals.iter().sum();
    if total < k {
        return TableSuppression {
            cells: vec![vec![true; n_cols]; n_rows],
            rows: vec![true; n_rows],
            cols: vec![true; n_cols],
        };
    }
    let rows = suppressed(&row_totals, &[], k);
    let cols = suppressed(&col_totals, &[], k);
    let mut cells: Vec<Vec<bool>> = (0..n_rows)
        .map(|i| {
            (0..n_cols)
                .map(|j| rows[i] || cols[j] || (counts[i][j] > 0 && counts[i][j] < k))
                .collect()
        })
        .collect();
    // Each pass only hides more, so this ends.
    loop {
        let mut changed = false;
        for i in (0..n_rows).filter(|i| !rows[*i]) {
            let hide = suppressed(&counts[i], &cells[i], k);
            if hide != cells[i] {
                cells[i] = hide;
                changed = true;
            }
        }
        for j in (0..n_cols).filter(|j| !cols[*j]) {
            let column: Vec<u64> = counts.iter().map(|r| r[j]).collect();
            let forced: Vec<bool> = cells.iter().map(|r| r[j]).collect();
            let hide = suppressed(&column, &forced, k);
            if hide != forced {
                for (i, h) in hide.into_iter().enumerate() {
                    cells[i][j] = h;
                }
                changed = true;
            }
        }
        if !changed {
            return TableSuppression { cells, rows, cols };
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

    #[test]
    fn a_lone_cell_in_a_table_takes_a_partner_in_its_row_and_its_column() {
        // Rows: departments, columns: roles.
        let t = protect_table(&[vec![6, 1, 0], vec![5, 5, 0], vec![0, 0, 0]], 5);
        assert_eq!(t.rows, [false, false, false]);
        assert!(t.cells[0][1], "the single person is hidden");
        assert!(
            t.cells[0][0],
            "and so is the rest of the row, else 7 − 6 = 1"
        );
        assert!(
            t.cells[1][1] || t.cols[1],
            "and the column partner, else 6 − 5 = 1"
        );
    }

    proptest! {
        #[test]
        fn no_published_total_of_a_table_leaves_a_small_hidden_rest(
            rows in 1usize..5,
            cols in 1usize..5,
            values in proptest::collection::vec(0u64..9, 16),
            k in 3u64..6,
        ) {
            let counts: Vec<Vec<u64>> = (0..rows)
                .map(|i| (0..cols).map(|j| values[i * 4 + j]).collect())
                .collect();
            let t = protect_table(&counts, k);
            let total: u64 = counts.iter().flatten().sum();
            prop_assume!(total >= k);
            for ((row, hidden_row), hidden_cells) in counts.iter().zip(&t.rows).zip(&t.cells) {
                if *hidden_row {
                    prop_assert!(hidden_cells.iter().all(|h| *h));
                    continue;
                }
                let rest: u64 = row.iter().zip(hidden_cells).filter(|(_, h)| **h).map(|(n, _)| *n).sum();
                prop_assert!(rest == 0 || rest >= k);
                for (n, h) in row.iter().zip(hidden_cells) {
                    prop_assert!(*h || *n == 0 || *n >= k);
                }
            }
            for (j, hidden_col) in t.cols.iter().enumerate() {
                if *hidden_col {
                    continue;
                }
                let rest: u64 = counts.iter().zip(&t.cells).filter(|(_, h)| h[j]).map(|(r, _)| r[j]).sum();
                prop_assert!(rest == 0 || rest >= k);
            }
        }

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
