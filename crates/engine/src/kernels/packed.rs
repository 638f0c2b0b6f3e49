//! Weights packed in groups of sixteen rows (see `rows16`): the group size
//! and the walk over a packed product's outputs that every packed kernel
//! shares.

/// Rows per interleaved group.
pub const GROUP: usize = 16;

/// Walks every output of a packed [`super::Gemm`] whose group-blocks are
/// `gbb` bytes over `block_len` weights and whose activation blocks are
/// `abb` bytes: `row(blocks, r)` computes row `r` of a group against one
/// activation row from their (group-block, activation block) pairs. Where
/// the lengths do not add up the walk stops, keeping what it computed.
pub(super) fn packed_outputs(
    g: super::Gemm<'_>,
    gbb: usize,
    abb: usize,
    block_len: usize,
    row: impl Fn(&[(&[u8], &[u8])], usize) -> f32,
) {
    let nb = g.n / block_len;
    for grp in 0..g.rows / GROUP {
        let Some(wg) =
            g.w.get(grp * GROUP * g.row_bytes..(grp + 1) * GROUP * g.row_bytes)
        else {
            return;
        };
        for c in 0..g.cols {
            let Some(a) = g.act.get(c * g.act_row_bytes..(c + 1) * g.act_row_bytes) else {
                return;
            };
            let Some(blocks) = (0..nb)
                .map(|b| {
                    Some((
                        wg.get(b * gbb..(b + 1) * gbb)?,
                        a.get(b * abb..(b + 1) * abb)?,
                    ))
                })
                .collect::<Option<Vec<_>>>()
            else {
                return;
            };
            for r in 0..GROUP {
                if let Some(o) = g.out.get_mut(c * g.out_stride + grp * GROUP + r) {
                    *o = row(&blocks, r);
                }
            }
        }
    }
}
