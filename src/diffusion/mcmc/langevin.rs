//! Langevin dynamics at a fixed noise level: `x ← x + (η/2) s(x, σ) + √η z`
//! with the score s of a denoiser (Tweedie: (D − x)/σ², exact for mixtures).

use crate::diffusion::samplers::Run;
use crate::error::Result;
use crate::tensor::Tensor;

/// One Langevin step at per-row levels `sigma` with per-row step sizes `eta`.
pub fn step(run: &mut Run, x: &Tensor, sigma: &[f64], eta: &[f64]) -> Result<Tensor> {
    crate::interrupt::check()?;
    run.record.nfe += 1;
    let score = run.denoiser().score(x, sigma)?;
    let z = run.noise_like(x)?;
    let xc = x.candle();
    let half = crate::diffusion::parameterization::per_row(&eta.iter().map(|e| 0.5 * e).collect::<Vec<_>>(), xc)?;
    let root = crate::diffusion::parameterization::per_row(&eta.iter().map(|e| e.sqrt()).collect::<Vec<_>>(), xc)?;
    Ok(Tensor::from_candle(xc.add(&score.candle().broadcast_mul(&half)?)?.add(&z.candle().broadcast_mul(&root)?)?))
}

/// `steps` Langevin steps at level σ with step size η, from `x`.
pub fn langevin(run: &mut Run, x: Tensor, sigma: f64, eta: f64, steps: usize) -> Result<Tensor> {
    if !(eta > 0.0 && eta.is_finite()) {
        crate::bail!("eta must be a positive number, got {eta}");
    }
    let n = x.dims().first().copied().unwrap_or(0);
    let mut x = x;
    for i in 0..steps {
        x = step(run, &x, &vec![sigma; n], &vec![eta; n])?;
        run.step(i, sigma, sigma, &x, &x)?;
    }
    Ok(x)
}
