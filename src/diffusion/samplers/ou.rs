//! The Ornstein–Uhlenbeck clock of Gupta, Cai & Chen (2024): the forward
//! process `dx = −x dt + √2 dB` has `α_t = e^{−t}`, `σ_t² = 1 − e^{−2t}`, so the
//! VE level σ̃ maps to `t = ½ log(1 + σ̃²)` and the state to `y = α_t x̃`. The
//! probability-flow ODE in reverse time τ is `dy/dτ = y + ∇log p_t(y)`.

use super::Run;
use crate::diffusion::parameterization::per_row;
use crate::error::Result;
use crate::tensor::Tensor;

/// The OU time of VE level σ̃.
pub fn time_of_sigma(sigma: f64) -> f64 {
    0.5 * sigma.powi(2).ln_1p()
}

/// The VE level of OU time t.
pub fn sigma_of_time(t: f64) -> f64 {
    (2.0 * t).exp_m1().max(0.0).sqrt()
}

/// The OU score ∇_y log p_t(y) = (α D(y/α, σ̃) − y)/σ_t² at one time per row.
pub fn score(run: &mut Run, y: &Tensor, t: &[f64]) -> Result<Tensor> {
    let alpha: Vec<f64> = t.iter().map(|&t| (-t).exp()).collect();
    let var: Vec<f64> = t.iter().map(|&t| -(-2.0 * t).exp_m1()).collect();
    let sig: Vec<f64> = t.iter().map(|&t| sigma_of_time(t)).collect();
    let yc = y.candle();
    let a = per_row(&alpha, yc)?;
    let x_ve = Tensor::from_candle(yc.broadcast_div(&a)?);
    let d = run.denoise_rows(&x_ve, &sig)?;
    let v = per_row(&var, yc)?;
    Ok(Tensor::from_candle(d.candle().broadcast_mul(&a)?.sub(yc)?.broadcast_div(&v)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_levels_are_inverse() {
        for s in [0.002, 0.5, 1.0, 80.0] {
            assert!((sigma_of_time(time_of_sigma(s)) - s).abs() < 1e-12 * s.max(1.0));
        }
        assert_eq!(sigma_of_time(0.0), 0.0);
    }
}
