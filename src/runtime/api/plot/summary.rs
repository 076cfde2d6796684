//! `mean_std`: the mean and spread over runs (seeds) of equal-length series, the usual band
//! or error bars of a method's error curve: mean ∓ std, ∓ the standard error, or the
//! Student-t confidence interval of the mean.

use super::build::numbers;
use crate::metrics::intervals::{spread, Interval};
use crate::runtime::convert::describe;
use crate::runtime::options::CheckedOptions;
use rhai::{Array, Dynamic, Map, INT};

/// The options of `mean_std`.
pub(super) const MEAN_STD_KEYS: &[&str] = &["interval"];

/// `#{ mean, std, sem, n, lower, upper }` over `runs` (an array of series, or a `[runs, n]`
/// tensor): per position the mean, the sample standard deviation (n − 1; 0 for one run), its
/// standard error, and the interval's ends (option `interval`: "std", the default, "sem", or
/// "ci95" and other levels).
pub(super) fn mean_std(runs: &Dynamic, options: Map) -> crate::Result<Map> {
    let o = CheckedOptions::new(options, MEAN_STD_KEYS)?;
    let interval = match o.opt_string("interval")? {
        Some(name) => Interval::parse(&name).map_err(|e| e.context("option `interval`"))?,
        None => Interval::Std,
    };
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
    if matches!(interval, Interval::Confidence(_)) && rows.len() < 2 {
        crate::bail!("a confidence interval needs at least two runs, got {}", rows.len());
    }
    let spreads: Vec<_> = (0..n).map(|j| spread(&rows.iter().map(|r| r[j]).collect::<Vec<_>>(), interval)).collect();
    let array = |f: &dyn Fn(&crate::metrics::intervals::Spread) -> f64| -> Dynamic {
        Dynamic::from_array(spreads.iter().map(|s| Dynamic::from_float(f(s))).collect::<Array>())
    };
    Ok(Map::from_iter([
        ("lower".into(), array(&|s| s.lower)),
        ("upper".into(), array(&|s| s.upper)),
        ("mean".into(), array(&|s| s.mean)),
        ("std".into(), array(&|s| s.std)),
        ("sem".into(), array(&|s| s.sem)),
        ("n".into(), Dynamic::from_int(rows.len() as INT)),
    ]))
}
