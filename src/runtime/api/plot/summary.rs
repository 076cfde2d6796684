//! `mean_std`: the mean and spread over runs (seeds) of equal-length series, the usual band
//! of a method's error curve.

use super::build::numbers;
use crate::runtime::convert::describe;
use rhai::{Array, Dynamic, Map};

/// `#{ mean, std, lower, upper }` over `runs` (an array of series, or a `[runs, n]` tensor):
/// per position the mean, the sample standard deviation (n − 1; 0 for one run), and mean ∓ std.
pub(super) fn mean_std(runs: &Dynamic) -> crate::Result<Map> {
    let rows: Vec<Vec<f64>> = if let Some(t) = runs.read_lock::<crate::tensor::Tensor>() {
        let [r, n] = t.dims() else { crate::bail!("runs must be a [runs, n] tensor, got shape {:?}", t.dims()) };
        let n = *n;
        let values = t.to_f64_vec()?;
        (0..*r).map(|i| values[i * n..(i + 1) * n].to_vec()).collect()
    } else if let Ok(list) = runs.as_array_ref() {
        list.iter().enumerate().map(|(i, r)| numbers(r, &format!("run {i}"))).collect::<crate::Result<_>>()?
    } else {
        crate::bail!("runs must be an array of series or a [runs, n] tensor, got {}", describe(runs));
    };
    let Some(n) = rows.first().map(Vec::len) else { crate::bail!("mean_std needs at least one run") };
    if let Some(i) = rows.iter().position(|r| r.len() != n) {
        crate::bail!("run {i} has {} values, run 0 has {n}", rows[i].len());
    }
    let count = rows.len() as f64;
    let mean: Vec<f64> = (0..n).map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / count).collect();
    let std: Vec<f64> = (0..n)
        .map(|j| {
            let ss: f64 = rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum();
            if rows.len() > 1 {
                (ss / (count - 1.0)).sqrt()
            } else {
                0.0
            }
        })
        .collect();
    let array =
        |v: Vec<f64>| -> Dynamic { Dynamic::from_array(v.into_iter().map(Dynamic::from_float).collect::<Array>()) };
    let lower = mean.iter().zip(&std).map(|(m, s)| m - s).collect();
    let upper = mean.iter().zip(&std).map(|(m, s)| m + s).collect();
    Ok(Map::from_iter([
        ("lower".into(), array(lower)),
        ("upper".into(), array(upper)),
        ("mean".into(), array(mean)),
        ("std".into(), array(std)),
    ]))
}
