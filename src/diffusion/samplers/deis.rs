//! DEIS (Zhang & Chen 2022, "Fast Sampling of Diffusion Models with Exponential Integrator"),
//! the log-ρ multistep variant of diffusers' `DEISMultistepScheduler`: in VE coordinates,
//! where the probability-flow ODE is dx/dρ = ε(x, ρ) with ρ = σ, each step integrates exactly
//! the polynomial in log ρ through the last `order` noise predictions ε_j = (x_j − D_j)/ρ_j:
//! x' = x + Σ_j ε_j ∫_ρ^{ρ'} L_j(log r) dr, with L_j the Lagrange basis over the log ρ_j
//! (the paper's exponential integrator with Adams–Bashforth-type polynomial extrapolation of
//! ε, AB-DEIS, in diffusers' "logrho" form: the paper fits the polynomial in t or in ρ).
//! With p(u) a polynomial, ∫ p(log r) dr = r Σ_k (−1)^k p⁽ᵏ⁾(log r), which vanishes at r = 0,
//! so a step into σ = 0 is exact at every order. Order 1 is DDIM. The first steps warm up with
//! lower orders and, with `lower_order_final` and fewer than 15 steps (diffusers' rule), so
//! do the last two. NFE = steps.

use super::{combine, ode_derivative, OptionDefault, OptionSpec, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;
use std::collections::VecDeque;

/// Below this many steps `lower_order_final` lowers the order of the last two (diffusers).
const LOWER_ORDER_FINAL_BELOW: usize = 15;

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "deis",
    summary: "DEIS: exponential integrator, multistep polynomial of ε in log ρ (Zhang & Chen 2022, AB-DEIS)",
    options: &[
        OptionSpec {
            key: "order",
            default: OptionDefault::Count(2),
            doc: "how many noise predictions each step's polynomial goes through, 1 to 3 (diffusers' solver_order)",
        },
        OptionSpec {
            key: "lower_order_final",
            default: OptionDefault::Count(1),
            doc: "1: below 15 steps the last two steps use orders 1 and 2 (as diffusers), 0: full order to the end",
        },
    ],
    stochastic: false,
    cost: super::nfe::ONE_PER_STEP,
    run: deis,
};

/// ∫₀^ρ p(log r) dr = ρ Σ_k (−1)^k p⁽ᵏ⁾(log ρ) for the polynomial p with coefficients
/// `poly` (constant first, degree ≤ 2); 0 at ρ = 0.
fn antiderivative(poly: &[f64; 3], rho: f64) -> f64 {
    if rho == 0.0 {
        return 0.0;
    }
    let u = rho.ln();
    let [a, b, c] = *poly;
    let p = a + b * u + c * u * u;
    let dp = b + 2.0 * c * u;
    let ddp = 2.0 * c;
    rho * (p - dp + ddp)
}

/// The Lagrange basis polynomial of node `j` over `nodes` (at most three), as coefficients.
fn lagrange(nodes: &[f64], j: usize) -> [f64; 3] {
    let mut poly = [1.0, 0.0, 0.0];
    for (_, &other) in nodes.iter().enumerate().filter(|(k, _)| *k != j) {
        let scale = 1.0 / (nodes[j] - other);
        // poly · (u − other) · scale
        poly = [-other * poly[0] * scale, (poly[0] - other * poly[1]) * scale, (poly[1] - other * poly[2]) * scale];
    }
    poly
}

/// The weight of each earlier ρ_j (newest first) in a step from `rhos[0]` to `next`.
fn weights(rhos: &[f64], next: f64) -> Vec<f64> {
    let nodes: Vec<f64> = rhos.iter().map(|r| r.ln()).collect();
    (0..rhos.len())
        .map(|j| {
            let poly = lagrange(&nodes, j);
            antiderivative(&poly, next) - antiderivative(&poly, rhos[0])
        })
        .collect()
}

/// NFE = steps.
pub fn deis(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let order = p.count("order")?;
    if !(1..=3).contains(&order) {
        crate::bail!("option `order` of method \"deis\" must be 1, 2 or 3, got {order}");
    }
    let n = sigmas.len() - 1;
    let lower_order_final = p.count("lower_order_final")? != 0 && n < LOWER_ORDER_FINAL_BELOW;
    let mut x = x;
    // the latest noise predictions and their ρ, newest first
    let mut history: VecDeque<(Tensor, f64)> = VecDeque::with_capacity(order);
    for i in 0..n {
        let denoised = run.denoise(&x, sigmas[i])?;
        history.push_front((ode_derivative(&x, &denoised, sigmas[i])?, sigmas[i]));
        history.truncate(order);
        let mut this_order = history.len();
        if lower_order_final {
            this_order = this_order.min(n - i);
        }
        let rhos: Vec<f64> = history.iter().take(this_order).map(|(_, r)| *r).collect();
        let w = weights(&rhos, sigmas[i + 1]);
        let mut terms: Vec<(f64, &Tensor)> = vec![(1.0, &x)];
        terms.extend(w.iter().copied().zip(history.iter().map(|(eps, _)| eps)));
        x = combine(&terms)?;
        run.step(i, sigmas[i], sigmas[i + 1], &x, &denoised)?;
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The closed forms diffusers writes out for orders 2 and 3 (its `ind_fn`).
    #[test]
    fn weights_match_the_closed_forms() {
        let (t, b, c, d) = (0.3_f64, 1.2_f64, 2.5_f64, 4.0_f64);
        let ind2 = |t: f64, b: f64, c: f64| t * (-c.ln() + t.ln() - 1.0) / (b.ln() - c.ln());
        let w = weights(&[b, c], t);
        assert!((w[0] - (ind2(t, b, c) - ind2(b, b, c))).abs() < 1e-14);
        assert!((w[1] - (ind2(t, c, b) - ind2(b, c, b))).abs() < 1e-14);
        let ind3 = |t: f64, b: f64, c: f64, d: f64| {
            let (lt, lb, lc, ld) = (t.ln(), b.ln(), c.ln(), d.ln());
            t * (lc * (ld - lt + 1.0) - ld * lt + ld + lt * lt - 2.0 * lt + 2.0) / ((lb - lc) * (lb - ld))
        };
        let w = weights(&[b, c, d], t);
        assert!((w[0] - (ind3(t, b, c, d) - ind3(b, b, c, d))).abs() < 1e-14);
        assert!((w[1] - (ind3(t, c, d, b) - ind3(b, c, d, b))).abs() < 1e-14);
        assert!((w[2] - (ind3(t, d, b, c) - ind3(b, d, b, c))).abs() < 1e-14);
        // order 1 is DDIM's (σ' − σ), and the weights of any order sum to it
        assert_eq!(weights(&[b], t), vec![t - b]);
        assert!((w.iter().sum::<f64>() - (t - b)).abs() < 1e-14);
        assert!((weights(&[b, c, d], 0.0).iter().sum::<f64>() + b).abs() < 1e-14);
    }
}
