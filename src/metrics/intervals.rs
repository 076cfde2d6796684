//! The spread of a result over runs (seeds): mean, sample standard deviation, standard error
//! of the mean, and the Student-t confidence interval of the mean, whose quantile comes from
//! the regularized incomplete beta function (Press et al., Numerical Recipes, 3rd ed.,
//! sec. 6.4: `betai` by the continued fraction `betacf`, evaluated with Lentz's method).

use super::chi2::ln_gamma_half;
use std::f64::consts::PI;

/// Which interval around the mean a spread reports.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Interval {
    /// Mean ∓ the sample standard deviation.
    Std,
    /// Mean ∓ the standard error of the mean, std/√n.
    Sem,
    /// The Student-t confidence interval at this level (0.95: 95%): mean ∓ t·sem with t the
    /// (1 + level)/2 quantile of Student's t with n − 1 degrees of freedom.
    Confidence(f64),
}

impl Interval {
    /// The interval called `name`: `"std"`, `"sem"`, or `"ci95"` (any level, `"ci90"`, `"ci99"`).
    pub fn parse(name: &str) -> crate::Result<Self> {
        match name {
            "std" => Ok(Interval::Std),
            "sem" => Ok(Interval::Sem),
            _ => match name.strip_prefix("ci").and_then(|l| l.parse::<f64>().ok()) {
                Some(level) if level > 0.0 && level < 100.0 => Ok(Interval::Confidence(level / 100.0)),
                _ => crate::bail!(
                    "unknown interval \"{name}\"; use \"std\", \"sem\" or \"ci95\" (any level: \"ci90\", \"ci99\")"
                ),
            },
        }
    }
}

/// The spread of one group of values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    /// How many values.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// The sample standard deviation (n − 1 in the denominator; 0 for one value).
    pub std: f64,
    /// The standard error of the mean, std/√n.
    pub sem: f64,
    /// The interval's lower end.
    pub lower: f64,
    /// The interval's upper end.
    pub upper: f64,
}

/// The spread of `values` with `interval`'s ends. A confidence interval of one value has
/// NaN ends (it is undefined, as in scipy).
pub fn spread(values: &[f64], interval: Interval) -> Spread {
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let std =
        if n > 1 { (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() } else { 0.0 };
    let sem = std / (n as f64).sqrt();
    let half = match interval {
        Interval::Std => std,
        Interval::Sem => sem,
        Interval::Confidence(level) => student_t_quantile(0.5 + level / 2.0, n.saturating_sub(1)) * sem,
    };
    Spread { n, mean, std, sem, lower: mean - half, upper: mean + half }
}

/// The t with P(T ≤ t) = `p` for Student's t with `dof` degrees of freedom, bisected to a
/// relative 1e-13. NaN for `dof` = 0 or `p` outside (0, 1).
pub fn student_t_quantile(p: f64, dof: usize) -> f64 {
    if dof == 0 || !(p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    if p < 0.5 {
        return -student_t_quantile(1.0 - p, dof);
    }
    let tail = 1.0 - p;
    // the upper tail ½·I(ν/(ν+t²); ν/2, ½) falls as t grows
    let upper = |t: f64| 0.5 * incomplete_beta(dof as f64 / (dof as f64 + t * t), dof);
    let mut hi = 1.0;
    while upper(hi) > tail && hi < 1e300 {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    for _ in 0..2000 {
        let mid = 0.5 * (lo + hi);
        if upper(mid) > tail {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-13 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// I_x(ν/2, ½), the regularized incomplete beta function at a = ν/2, b = ½ (NR `betai`).
fn incomplete_beta(x: f64, dof: usize) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let (a, b) = (dof as f64 / 2.0, 0.5);
    let ln_beta = ln_gamma_half(dof) + 0.5 * PI.ln() - ln_gamma_half(dof + 1);
    let front = (a * x.ln() + b * (1.0 - x).ln() - ln_beta).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

/// The continued fraction of the incomplete beta function (NR `betacf`), by Lentz's method.
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..10_000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_scipy() {
        // scipy.stats.t.ppf(q, df)
        let cases = [
            (0.975, 1, 12.706204736174694),
            (0.975, 2, 4.302652729749462),
            (0.975, 4, 2.7764451051977934),
            (0.975, 9, 2.262157162798205),
            (0.975, 29, 2.045229642132703),
            (0.95, 3, 2.3533634348018233),
            (0.995, 5, 4.032142983555228),
            (0.6, 10, 0.2601848294920803),
        ];
        for (q, df, want) in cases {
            let got = student_t_quantile(q, df);
            assert!((got - want).abs() < 1e-9 * want, "t.ppf({q}, {df}) = {got}, scipy {want}");
        }
        assert!((student_t_quantile(0.025, 4) + 2.7764451051977934).abs() < 1e-9);
        assert!(student_t_quantile(0.5, 7).abs() < 1e-12);
        assert!(student_t_quantile(0.975, 0).is_nan());
    }

    #[test]
    fn spreads_of_three_seeds() {
        let s = spread(&[1.0, 2.0, 4.0], Interval::Confidence(0.95));
        let (mean, std) = (7.0 / 3.0, (7.0f64 / 3.0).sqrt());
        assert!((s.mean - mean).abs() < 1e-12 && (s.std - std).abs() < 1e-12);
        assert!((s.sem - std / 3f64.sqrt()).abs() < 1e-12);
        // scipy.stats.t.interval(0.95, 2, loc=mean, scale=sem)
        assert!((s.lower - -1.461249700263426).abs() < 1e-9 && (s.upper - 6.1279163669300925).abs() < 1e-9, "{s:?}");
        assert_eq!(spread(&[1.0, 3.0], Interval::Std).upper, 2.0 + 2f64.sqrt());
        assert!(spread(&[5.0], Interval::Confidence(0.95)).lower.is_nan());
        assert_eq!(Interval::parse("ci90").unwrap(), Interval::Confidence(0.9));
        assert!(Interval::parse("iqr").is_err());
    }
}
