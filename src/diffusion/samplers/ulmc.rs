//! The underdamped Langevin corrector of the randomized-midpoint sampler
//! (Gupta, Cai & Chen 2024, after the corrector of Chen et al. 2023, "The
//! probability flow ODE is provably fast"): at a fixed OU time t it runs
//! `dy = v dτ`, `dv = −γ v dτ + ∇log q_t(y) dτ + √(2γ) dB`, whose y-marginal is
//! q_t, from a fresh velocity v ~ N(0, I). Each step freezes the score at the
//! step's start and integrates the rest exactly (Cheng et al. 2018):
//! `v ← e^{−γh} v + (1 − e^{−γh})/γ · g + ξ_v`,
//! `y ← y + (1 − e^{−γh})/γ · v + (h − (1 − e^{−γh})/γ)/γ · g + ξ_y`, with
//! (ξ_y, ξ_v) the exact correlated Gaussian increments. The level's curvature
//! ~ 1/σ_t² sets the scales: h = `size` · σ_t and critical damping γ = 2/σ_t.
//! Draws per step: one normal for v at the start, then two per step (z1 for
//! ξ_v, z2 for the part of ξ_y independent of it).

use super::{ou, Run};
use crate::error::Result;
use crate::tensor::Tensor;

/// The coefficients of one exactly integrated step of length h with friction γ.
struct Coefficients {
    decay: f64,
    v_from_g: f64,
    y_from_v: f64,
    y_from_g: f64,
    v_noise: f64,
    y_noise_shared: f64,
    y_noise_own: f64,
}

fn coefficients(h: f64, gamma: f64) -> Coefficients {
    let decay = (-gamma * h).exp();
    let one_minus = -(-gamma * h).exp_m1();
    let var_v = -(-2.0 * gamma * h).exp_m1();
    let var_y = 2.0 / gamma * (h - 2.0 * one_minus / gamma + var_v / (2.0 * gamma));
    let cov = one_minus * one_minus / gamma;
    let v_noise = var_v.sqrt();
    let y_noise_shared = cov / v_noise;
    Coefficients {
        decay,
        v_from_g: one_minus / gamma,
        y_from_v: one_minus / gamma,
        y_from_g: (h - one_minus / gamma) / gamma,
        v_noise,
        y_noise_shared,
        y_noise_own: (var_y - y_noise_shared * y_noise_shared).max(0.0).sqrt(),
    }
}

/// `steps` corrector steps on `y` at OU time `t > 0`; one NFE a step.
pub fn correct(run: &mut Run, y: Tensor, t: f64, steps: usize, size: f64) -> Result<Tensor> {
    let sigma = (-(-2.0 * t).exp_m1()).sqrt();
    let c = coefficients(size * sigma, 2.0 / sigma);
    let mut v = run.noise_like(&y)?.into_candle();
    let mut y = y.into_candle();
    for _ in 0..steps {
        let g = ou::score(run, &Tensor::from_candle(y.clone()), &[t])?.into_candle();
        let z1 = run.noise_like(&Tensor::from_candle(y.clone()))?.into_candle();
        let z2 = run.noise_like(&Tensor::from_candle(y.clone()))?.into_candle();
        let y_next =
            (&y + (&v * c.y_from_v)? + (&g * c.y_from_g)? + (&z1 * c.y_noise_shared)? + (&z2 * c.y_noise_own)?)?;
        v = ((&v * c.decay)? + (&g * c.v_from_g)? + (&z1 * c.v_noise)?)?;
        y = y_next;
    }
    Ok(Tensor::from_candle(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_increments_have_the_exact_covariance() {
        // against the integrals done in closed form at h = 0.3, γ = 2
        let (h, g) = (0.3_f64, 2.0_f64);
        let c = coefficients(h, g);
        let e1 = (-g * h).exp();
        let var_v = 1.0 - (-2.0 * g * h).exp();
        let var_y = 2.0 / g * (h - 2.0 * (1.0 - e1) / g + (1.0 - (-2.0 * g * h).exp()) / (2.0 * g));
        let cov = (1.0 - e1).powi(2) / g;
        assert!((c.v_noise.powi(2) - var_v).abs() < 1e-14);
        assert!((c.y_noise_shared * c.v_noise - cov).abs() < 1e-14);
        assert!((c.y_noise_shared.powi(2) + c.y_noise_own.powi(2) - var_y).abs() < 1e-14);
        // small h: x moves like h·v, v keeps itself
        let small = coefficients(1e-6, 2.0);
        assert!((small.y_from_v - 1e-6).abs() < 1e-11 && (small.decay - 1.0).abs() < 1e-5);
    }
}
