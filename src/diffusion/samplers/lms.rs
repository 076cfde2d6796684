//! Linear multistep in σ, as k-diffusion's `sample_lms` (the Adams–Bashforth
//! family on the probability-flow ODE dx/dσ = (x − D(x, σ))/σ): step i integrates
//! the Lagrange polynomial through the last `order` slopes d_{i−j} at σ_{i−j} from
//! σ_i to σ_{i+1}, x ← x + Σ_j c_j d_{i−j} with c_j = ∫ Π_{k≠j} (τ − σ_{i−k})/(σ_{i−j} − σ_{i−k}) dτ.
//! The first steps use as many slopes as there are. The integrals are exact
//! (k-diffusion evaluates them by adaptive quadrature, exact for these polynomials).

use super::{axpy, ode_derivative, OptionDefault, OptionSpec, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;
use std::collections::VecDeque;

/// The highest order taken: beyond it the Lagrange weights grow without bound.
const MAX_ORDER: usize = 12;

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "lms",
    summary: "linear multistep in σ over the last `order` slopes (k-diffusion's sample_lms)",
    options: &[OptionSpec {
        key: "order",
        default: OptionDefault::Count(4),
        doc: "how many past slopes each step uses (1 is Euler)",
    }],
    stochastic: false,
    cost: super::nfe::ONE_PER_STEP,
    run: lms,
};

/// NFE = steps.
pub fn lms(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let order = p.count("order")?;
    if !(1..=MAX_ORDER).contains(&order) {
        crate::bail!("option `order` of method \"lms\" must be from 1 to {MAX_ORDER}, got {order}");
    }
    let mut x = x;
    let mut slopes: VecDeque<Tensor> = VecDeque::with_capacity(order);
    for i in 0..sigmas.len() - 1 {
        let denoised = run.denoise(&x, sigmas[i])?;
        if slopes.len() == order {
            slopes.pop_back();
        }
        slopes.push_front(ode_derivative(&x, &denoised, sigmas[i])?);
        let current = slopes.len();
        for (j, d) in slopes.iter().enumerate() {
            x = axpy(&x, coefficient(sigmas, i, j, current), d)?;
        }
        run.step(i, sigmas[i], sigmas[i + 1], &x, &denoised)?;
    }
    Ok(x)
}

/// ∫_{σ_i}^{σ_{i+1}} ℓ_j(τ) dτ for the Lagrange basis polynomial ℓ_j over the nodes
/// σ_i, …, σ_{i−order+1}, expanded in u = τ − σ_i and integrated term by term.
fn coefficient(sigmas: &[f64], i: usize, j: usize, order: usize) -> f64 {
    // coefficients of ℓ_j in powers of u, lowest first
    let mut poly = vec![1.0];
    for k in (0..order).filter(|&k| k != j) {
        let scale = 1.0 / (sigmas[i - j] - sigmas[i - k]);
        // (τ − σ_{i−k}) = u + (σ_i − σ_{i−k})
        let shift = sigmas[i] - sigmas[i - k];
        let mut next = vec![0.0; poly.len() + 1];
        for (m, c) in poly.iter().enumerate() {
            next[m] += c * shift * scale;
            next[m + 1] += c * scale;
        }
        poly = next;
    }
    let h = sigmas[i + 1] - sigmas[i];
    poly.iter().enumerate().map(|(m, c)| c * h.powi(m as i32 + 1) / (m + 1) as f64).sum()
}

#[cfg(test)]
mod tests {
    use super::coefficient;

    #[test]
    fn coefficients_integrate_the_lagrange_basis() {
        let sigmas = [4.0, 3.0, 1.5, 0.5, 0.0];
        // order 1: the step length
        assert_eq!(coefficient(&sigmas, 2, 0, 1), -1.0);
        // the weights of any order sum to the step length (they integrate 1 exactly)
        for order in 1..=3 {
            let total: f64 = (0..order).map(|j| coefficient(&sigmas, 3, j, order)).sum();
            assert!((total + 0.5).abs() < 1e-14, "order {order}: {total}");
        }
        // order 2 over nodes 1.5 (j = 0) and 3 (j = 1) from 1.5 to 0.5:
        // ℓ_1(τ) = (τ − 1.5)/1.5, whose integral is ((−1)² − 0)/(2·1.5) = 1/3
        assert!((coefficient(&sigmas, 2, 1, 2) - 1.0 / 3.0).abs() < 1e-15);
    }
}
