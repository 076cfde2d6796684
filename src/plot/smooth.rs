//! Smoothing for noisy curves (a loss against the step), drawn over the raw series as loss
//! viewers do: a weight in [0, 1) is TensorBoard's debiased exponential moving average, a
//! whole number k ≥ 2 a centred moving average over k points. Values that are not finite
//! are skipped.

/// Checks that `amount` is an EMA weight in `[0, 1)` or a window of `k ≥ 2` points.
pub fn check(amount: f64) -> crate::Result<()> {
    if (0.0..1.0).contains(&amount) || (amount >= 2.0 && amount.fract() == 0.0 && amount.is_finite()) {
        return Ok(());
    }
    crate::bail!("option `smooth` must be a weight in [0, 1) (an exponential average) or a whole window of at least 2 points, got {amount}")
}

/// The smoothed `y` for `amount`: an EMA weight in `[0, 1)` or a window of `k ≥ 2` points.
pub fn smooth(y: &[f64], amount: f64) -> crate::Result<Vec<f64>> {
    check(amount)?;
    Ok(if amount < 1.0 { ema(y, amount) } else { moving_average(y, amount as usize) })
}

/// `s_t = w s_{t−1} + (1 − w) y_t`, divided by `1 − w^t` so the start is not pulled to 0.
fn ema(y: &[f64], w: f64) -> Vec<f64> {
    let (mut acc, mut weight) = (0.0, 0.0);
    y.iter()
        .map(|&v| {
            if v.is_finite() {
                acc = w * acc + (1.0 - w) * v;
                weight = w * weight + (1.0 - w);
            }
            if weight > 0.0 {
                acc / weight
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// The mean of the finite values among the `k` around each point (fewer at the ends).
fn moving_average(y: &[f64], k: usize) -> Vec<f64> {
    let (before, after) = ((k - 1) / 2, k / 2);
    let mut sums = vec![(0.0, 0usize); y.len() + 1];
    for (i, &v) in y.iter().enumerate() {
        let (s, n) = sums[i];
        sums[i + 1] = if v.is_finite() { (s + v, n + 1) } else { (s, n) };
    }
    (0..y.len())
        .map(|i| {
            let (a, b) = (i.saturating_sub(before), (i + after + 1).min(y.len()));
            let (s, n) = (sums[b].0 - sums[a].0, sums[b].1 - sums[a].1);
            if n > 0 {
                s / n as f64
            } else {
                f64::NAN
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_by_weight_or_window() {
        // the debiased EMA of a constant is that constant from the first step
        assert!(smooth(&[3.0; 5], 0.9).unwrap().iter().all(|v| (v - 3.0).abs() < 1e-12));
        let e = smooth(&[0.0, 1.0], 0.5).unwrap();
        assert!((e[1] - 2.0 / 3.0).abs() < 1e-12, "{e:?}");
        assert_eq!(smooth(&[1.0, 2.0, 3.0, 4.0, 5.0], 3.0).unwrap(), vec![1.5, 2.0, 3.0, 4.0, 4.5]);
        assert_eq!(smooth(&[1.0, f64::NAN, 3.0], 3.0).unwrap(), vec![1.0, 2.0, 3.0]);
        assert!(smooth(&[1.0], 1.5).is_err() && smooth(&[1.0], 1.0).is_err() && smooth(&[1.0], -0.1).is_err());
    }
}
