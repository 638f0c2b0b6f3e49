//! The softmax step the attention kernels of every cache type share.

/// Softmax of `sc` in place up to the normalisation; returns the factor
/// (1 / sum, the sum taken in f64 as the f16 path does).
pub(crate) fn softmax_unnormalised(sc: &mut [f32]) -> f32 {
    let max = sc.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let mut sum = 0f64;
    for v in sc.iter_mut() {
        *v = (*v - max).exp();
        sum += f64::from(*v);
    }
    (1.0 / sum) as f32
}
