//! Order statistics over the samples of one candidate.

/// The value at quantile `q` (0.0 to 1.0) of `samples`, nearest-rank method.
pub fn quantile<T: Copy + Ord>(samples: &[T], q: f64) -> Option<T> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = (q * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The median (nearest-rank, lower middle for even counts).
pub fn median<T: Copy + Ord>(samples: &[T]) -> Option<T> {
    quantile(samples, 0.5)
}

/// The 90th percentile.
pub fn p90<T: Copy + Ord>(samples: &[T]) -> Option<T> {
    quantile(samples, 0.9)
}
