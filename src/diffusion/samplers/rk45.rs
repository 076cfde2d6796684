//! Adaptive Runge–Kutta (Dormand & Prince 1980, the 5(4) pair with FSAL, as
//! scipy's RK45) on the probability-flow ODE written in s = log σ:
//! `dx/ds = x − D(x, e^s)`, from σ_max down to the smallest positive σ of the
//! list, then a final denoise (as Song et al. 2021 do for their ODE sampler).
//! One step size serves the whole batch; the error is the RMS over all elements
//! of err / (atol + rtol·max(|x|, |x_new|)).

use super::{axpy, nfe::Cost, OptionDefault, OptionSpec, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// Dormand–Prince nodes.
const C: [f64; 7] = [0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0];
/// Dormand–Prince stage weights (row i gives stage i+1 from stages 0..=i).
const A: [&[f64]; 6] = [
    &[1.0 / 5.0],
    &[3.0 / 40.0, 9.0 / 40.0],
    &[44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0],
    &[19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0],
    &[9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0, -5103.0 / 18656.0],
    &[35.0 / 384.0, 0.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0],
];
/// 5th-order minus 4th-order weights: the error estimate.
const E: [f64; 7] =
    [71.0 / 57600.0, 0.0, -71.0 / 16695.0, 71.0 / 1920.0, -17253.0 / 339200.0, 22.0 / 525.0, -1.0 / 40.0];

/// dx/ds at (x, s).
fn slope(run: &mut Run, x: &Tensor, s: f64) -> Result<Tensor> {
    let denoised = run.denoise(x, s.exp())?;
    Ok(Tensor::from_candle((x.candle() - denoised.candle())?))
}

/// Σ_j w_j k_j as one tensor.
fn combine(ks: &[Tensor], w: &[f64]) -> Result<Tensor> {
    let mut acc = (ks[0].candle() * w[0])?;
    for (k, &wj) in ks.iter().zip(w).skip(1) {
        if wj != 0.0 {
            acc = (acc + (k.candle() * wj)?)?;
        }
    }
    Ok(Tensor::from_candle(acc))
}

fn error_norm(err: &Tensor, x: &Tensor, x_new: &Tensor, rtol: f64, atol: f64) -> Result<f64> {
    let scale = ((x.candle().abs()?.maximum(&x_new.candle().abs()?)? * rtol)? + atol)?;
    // read on the host: the step-size control decides there (one download per attempt)
    let ratio = crate::tensor::transfer::download_f64(&err.candle().div(&scale)?.sqr()?.mean_all()?)?[0];
    Ok(ratio.sqrt())
}

/// An adaptive controller: the NFE follows from rtol and atol.
const COST: Cost = Cost::Adaptive(
    "chooses its own steps (an adaptive step-size controller spends what rtol and atol ask), so an NFE budget cannot set them: vary rtol/atol and read the result's `nfe`",
);

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "rk45",
    summary: "Adaptive Dormand–Prince RK45 on the probability-flow ODE in log σ, then a final denoise",
    options: &[
        OptionSpec {
            key: "rtol",
            default: OptionDefault::Number(1e-5),
            doc: "the relative tolerance (Song et al.'s setting)",
        },
        OptionSpec {
            key: "atol",
            default: OptionDefault::Number(1e-5),
            doc: "the absolute tolerance (Song et al.'s setting)",
        },
    ],
    stochastic: false,
    cost: COST,
    run: rk45,
};

/// The record's steps are the accepted steps; NFE counts every evaluation including rejected steps.
pub fn rk45(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let rtol = p.number("rtol")?;
    let atol = p.number("atol")?;
    if !(rtol > 0.0 && atol > 0.0) {
        crate::bail!("rtol and atol must be positive, got {rtol} and {atol}");
    }
    let sigma_max = sigmas[0];
    let sigma_min = sigmas.iter().copied().filter(|&s| s > 0.0).fold(f64::INFINITY, f64::min);
    let (mut s, s_end) = (sigma_max.ln(), sigma_min.ln());
    let mut x = x;
    let span = s_end - s;
    let mut h = if span == 0.0 { 0.0 } else { span / 20.0 };
    let mut k0 = slope(run, &x, s)?;
    let mut accepted = 0;
    while (s_end - s).abs() > 1e-12 * span.abs().max(1.0) {
        if (s + h - s_end) * span.signum() > 0.0 {
            h = s_end - s;
        }
        let mut ks = vec![k0.clone()];
        for (stage, weights) in A.iter().enumerate() {
            let point = axpy(&x, h, &combine(&ks, weights)?)?;
            if stage == A.len() - 1 {
                // the last row is the 5th-order solution; its slope closes the FSAL pair
                ks.push(slope(run, &point, s + h)?);
                let err = Tensor::from_candle((combine(&ks, &E)?.candle() * h)?);
                let norm = error_norm(&err, &x, &point, rtol, atol)?;
                if norm <= 1.0 {
                    s += h;
                    x = point;
                    k0 = ks[6].clone();
                    let denoised = Tensor::from_candle((x.candle() - k0.candle())?);
                    run.step(accepted, (s - h).exp(), s.exp(), &x, &denoised)?;
                    accepted += 1;
                }
                let factor = if norm == 0.0 { 5.0 } else { (0.9 * norm.powf(-0.2)).clamp(0.2, 5.0) };
                h *= if norm <= 1.0 { factor } else { factor.min(1.0) };
            } else {
                ks.push(slope(run, &point, s + C[stage + 1] * h)?);
            }
        }
    }
    let x0 = run.denoise(&x, sigma_min)?;
    run.step(accepted, sigma_min, 0.0, &x0, &x0)?;
    Ok(x0)
}
