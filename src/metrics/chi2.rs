//! Chi-square quantiles from the regularized incomplete gamma function,
//! P(a, x) by its series and Q(a, x) by its continued fraction (Press et al.,
//! Numerical Recipes, 3rd ed., sec. 6.2: `gser` and `gcf`), both kept in log
//! space so far tails keep their precision.

use std::f64::consts::PI;

/// The most terms either expansion may take (they converge in O(√a) terms).
const MAX_TERMS: usize = 100_000;

/// A number near the smallest representable, standing in for 0 in Lentz's method.
const TINY: f64 = f64::MIN_POSITIVE / f64::EPSILON;

/// The x with P(χ²_dof ≤ x) = `p`: the root of P(dof/2, x/2) = p, bisected to a
/// relative 1e-12 (the upper tail Q is solved instead when p > ½). Gives 0 at
/// p = 0, infinity at p = 1, and NaN for p outside [0, 1] or `dof` = 0.
pub fn chi2_quantile(p: f64, dof: usize) -> f64 {
    if dof == 0 || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p <= 0.5 {
        let target = p.ln();
        bisect(dof, |x| ln_gamma_tails(dof, x / 2.0).0 < target)
    } else {
        let target = (-p).ln_1p();
        bisect(dof, |x| ln_gamma_tails(dof, x / 2.0).1 > target)
    }
}

/// The squared radius r² that holds, under χ²_dof, the probability that `stds`
/// standard deviations hold in 2-D: the x with Q(dof/2, x/2) = exp(−stds²/2),
/// so r² = stds² exactly when `dof` = 2. Solved against ln Q, which keeps large
/// `stds` (where 1 − exp(−stds²/2) rounds to 1) finite and exact. NaN for `dof` = 0.
pub fn chi2_radius_sq(stds: f64, dof: usize) -> f64 {
    if dof == 0 || stds.is_nan() {
        return f64::NAN;
    }
    let target = -0.5 * stds * stds;
    bisect(dof, |x| ln_gamma_tails(dof, x / 2.0).1 > target)
}

/// The x >= 0 where `below(x)` turns from true to false, to a relative 1e-12.
fn bisect(dof: usize, below: impl Fn(f64) -> bool) -> f64 {
    let (mut lo, mut hi) = (0.0, (dof as f64).max(1.0));
    while below(hi) {
        lo = hi;
        hi *= 2.0;
        if hi.is_infinite() {
            return f64::INFINITY;
        }
    }
    while hi - lo > 1e-12 * hi {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if below(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// (ln P(a, x), ln Q(a, x)) for a = dof/2: the series below x = a + 1, the
/// continued fraction above, the other tail from ln(1 − e^(ln tail)).
fn ln_gamma_tails(dof: usize, x: f64) -> (f64, f64) {
    if x <= 0.0 {
        return (f64::NEG_INFINITY, 0.0);
    }
    let a = dof as f64 / 2.0;
    let ln_front = -x + a * x.ln() - ln_gamma_half(dof);
    if x < a + 1.0 {
        let ln_p = ln_front + lower_series(a, x).ln();
        (ln_p, (-ln_p.exp()).ln_1p())
    } else {
        let ln_q = ln_front + upper_fraction(a, x).ln();
        ((-ln_q.exp()).ln_1p(), ln_q)
    }
}

/// ln Γ(dof/2) from Γ(1) = 1 or Γ(½) = √π by Γ(a + 1) = a Γ(a).
pub(super) fn ln_gamma_half(dof: usize) -> f64 {
    let (mut a, mut sum) = if dof % 2 == 0 { (1.0, 0.0) } else { (0.5, 0.5 * PI.ln()) };
    let target = dof as f64 / 2.0;
    while a < target {
        sum += f64::ln(a);
        a += 1.0;
    }
    sum
}

/// Σ_n xⁿ / (a (a+1) ⋯ (a+n)), so that P(a, x) = e^(−x) xᵃ / Γ(a) times it (NR `gser`).
fn lower_series(a: f64, x: f64) -> f64 {
    let (mut ap, mut term, mut sum) = (a, 1.0 / a, 1.0 / a);
    for _ in 0..MAX_TERMS {
        ap += 1.0;
        term *= x / ap;
        sum += term;
        if term.abs() < sum.abs() * f64::EPSILON {
            break;
        }
    }
    sum
}

/// The continued fraction 1/(x+1−a− 1·(1−a)/(x+3−a− ⋯)), so that Q(a, x) =
/// e^(−x) xᵃ / Γ(a) times it, by the modified Lentz method (NR `gcf`).
fn upper_fraction(a: f64, x: f64) -> f64 {
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..MAX_TERMS {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < f64::EPSILON {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64, tol: f64) {
        assert!((got - want).abs() <= tol * want.abs().max(1.0), "{got} vs {want}");
    }

    #[test]
    fn quantiles_match_tables() {
        close(chi2_quantile(0.95, 2), 5.991464547107979, 1e-11);
        close(chi2_quantile(0.95, 1), 3.841458820694124, 1e-11);
        // from the closed form Q(8, x/2) = e^(−x/2) Σ_{j<8} (x/2)ʲ/j! (tables round it to 32.000)
        close(chi2_quantile(0.99, 16), 31.999926908815176, 1e-11);
        close(chi2_quantile(0.5, 1), 0.454936423119572, 1e-11);
        close(chi2_quantile(0.5, 10), 9.341817765591962, 1e-11);
        // in 2-D, P(χ² ≤ x) = 1 − e^(−x/2) in closed form, both tails
        for p in [1e-9, 0.01, 0.3, 0.5, 0.7, 0.999, 1.0 - 1e-12] {
            close(chi2_quantile(p, 2), -2.0 * (-p).ln_1p(), 1e-11);
        }
        assert_eq!(chi2_quantile(0.0, 3), 0.0);
        assert_eq!(chi2_quantile(1.0, 3), f64::INFINITY);
        assert!(
            chi2_quantile(1.5, 3).is_nan() && chi2_quantile(f64::NAN, 3).is_nan() && chi2_quantile(0.5, 0).is_nan()
        );
    }

    #[test]
    fn the_incomplete_gamma_matches_its_closed_form_for_even_dof() {
        // Q(k, x) = e^(−x) Σ_{j<k} xʲ/j! for integer k; here k = 8 (16 dof), both branches
        for x in [0.5, 3.0, 8.5, 9.5, 20.0, 60.0] {
            let (mut term, mut q) = (1.0, 0.0);
            for j in 0..8 {
                if j > 0 {
                    term *= x / j as f64;
                }
                q += term;
            }
            let q = q * f64::exp(-x);
            let (ln_p, ln_q) = ln_gamma_tails(16, x);
            close(ln_q.exp(), q, 1e-13);
            close(ln_p.exp(), 1.0 - q, 1e-13);
        }
    }

    #[test]
    fn radii_are_the_std_count_in_two_dimensions_and_grow_with_dimension() {
        for stds in [0.5, 2.0, 3.0, 12.0, 60.0] {
            close(chi2_radius_sq(stds, 2), stds * stds, 1e-11);
        }
        close(chi2_radius_sq(3.0, 16), chi2_quantile(1.0 - (-4.5f64).exp(), 16), 1e-11);
        assert!(chi2_radius_sq(3.0, 16) > 9.0 && chi2_radius_sq(3.0, 1) < 9.0);
        assert!(chi2_radius_sq(1e300, 2).is_infinite() && chi2_radius_sq(3.0, 0).is_nan());
    }
}
