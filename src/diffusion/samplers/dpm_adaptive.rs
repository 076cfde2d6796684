//! DPM-Solver-12 and -23 with adaptive step size (Lu et al. 2022, "DPM-Solver",
//! §3.3 and Alg. 4–5), as k-diffusion's `sample_dpm_adaptive`: from the list's first
//! σ to its smallest positive one in t = −log σ, each step computes a lower-order
//! (1, resp. 2 with r₁ = 1/3) and a higher-order (2, resp. 3) solution sharing their
//! model calls, measures E = ‖(x_low − x_high)/δ‖₂/√n with
//! δ = max(atol, rtol·max(|x_low|, |x_prev|)), and a PID controller (Söderlind's
//! form, limiter 1 + atan(f − 1)) scales h by f; the step is accepted when
//! f ≥ accept_safety. NFE = order × attempted steps. It stops at σ_min, as
//! k-diffusion does. With η > 0 each accepted step stops at its ancestral σ_down and
//! adds S_noise σ_up ε (one draw per accepted step with σ_up > 0); the controller's
//! order is then 1.5.

use super::dpm_2_ancestral::{eta, DPM_SOLVER_NOISE};
use super::dpm_solver::{sigma_of, sigma_range, t_of, Solver, Stages};
use super::{axpy, combine, nfe::Cost, OptionDefault, OptionSpec, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// The most steps (accepted and rejected) one run may attempt before it is an error.
const MAX_ATTEMPTS: usize = 100_000;

/// An adaptive controller: the NFE follows from rtol and atol.
const COST: Cost = Cost::Adaptive(
    "chooses its own steps (an adaptive step-size controller spends what rtol and atol ask), so an NFE budget cannot set them: vary rtol/atol and read the result's `nfe`",
);

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "dpm_adaptive",
    summary: "DPM-Solver-12/23 with adaptive step size and PID control (Lu et al. 2022, Alg. 4-5)",
    options: &[
        OptionSpec { key: "order", default: OptionDefault::Count(3), doc: "3 (DPM-Solver-23) or 2 (DPM-Solver-12)" },
        OptionSpec {
            key: "rtol",
            default: OptionDefault::Number(0.05),
            doc: "relative tolerance of the error estimate",
        },
        OptionSpec {
            key: "atol",
            default: OptionDefault::Number(0.0078),
            doc: "absolute tolerance (k-diffusion's 0.0078 ≈ 1/128)",
        },
        OptionSpec { key: "h_init", default: OptionDefault::Number(0.05), doc: "the first step in log σ" },
        OptionSpec { key: "pcoeff", default: OptionDefault::Number(0.0), doc: "the controller's proportional gain" },
        OptionSpec { key: "icoeff", default: OptionDefault::Number(1.0), doc: "the controller's integral gain" },
        OptionSpec { key: "dcoeff", default: OptionDefault::Number(0.0), doc: "the controller's derivative gain" },
        OptionSpec {
            key: "accept_safety",
            default: OptionDefault::Number(0.81),
            doc: "accept a step when the proposed scale factor is at least this",
        },
        DPM_SOLVER_NOISE[0],
        DPM_SOLVER_NOISE[1],
    ],
    stochastic: true,
    cost: COST,
    run: dpm_adaptive,
};

/// k-diffusion's PID step-size controller.
struct Controller {
    h: f64,
    b: [f64; 3],
    accept_safety: f64,
    /// The inverse errors of this and the last two accepted steps.
    inverse_errors: Option<[f64; 3]>,
}

impl Controller {
    fn new(h: f64, (p, i, d): (f64, f64, f64), order: f64, accept_safety: f64) -> Self {
        let b = [(p + i + d) / order, -(p + 2.0 * d) / order, d / order];
        Self { h, b, accept_safety, inverse_errors: None }
    }

    /// Scales h for `error` and says whether the step that made it is accepted.
    fn propose(&mut self, error: f64) -> bool {
        let inverse = 1.0 / (error + 1e-8);
        let errs = self.inverse_errors.get_or_insert([inverse; 3]);
        errs[0] = inverse;
        let factor = errs[0].powf(self.b[0]) * errs[1].powf(self.b[1]) * errs[2].powf(self.b[2]);
        let factor = 1.0 + (factor - 1.0).atan();
        let accept = factor >= self.accept_safety;
        if accept {
            errs[2] = errs[1];
            errs[1] = errs[0];
        }
        self.h *= factor;
        accept
    }
}

/// Reads and checks the options.
fn settings(p: &Params) -> Result<(usize, f64, f64, f64)> {
    let order = p.count("order")?;
    if order != 2 && order != 3 {
        crate::bail!("option `order` of method \"dpm_adaptive\" must be 2 or 3, got {order}");
    }
    let (rtol, atol, h_init) = (p.number("rtol")?, p.number("atol")?, p.number("h_init")?);
    if !(rtol >= 0.0 && atol >= 0.0 && rtol.is_finite() && atol.is_finite() && rtol + atol > 0.0) {
        crate::bail!("options `rtol` and `atol` must be finite and >= 0, not both 0; got {rtol} and {atol}");
    }
    if !(h_init > 0.0 && h_init.is_finite()) {
        crate::bail!("option `h_init` must be a finite number > 0, got {h_init}");
    }
    Ok((order, rtol, atol, h_init))
}

/// NFE = order × attempted steps; the σ list's first and smallest positive σ bound the run.
pub fn dpm_adaptive(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let (order, rtol, atol, h_init) = settings(p)?;
    let (eta, s_noise) = (eta(p)?, p.number("s_noise")?);
    let gains = (p.number("pcoeff")?, p.number("icoeff")?, p.number("dcoeff")?);
    let (sigma_min, sigma_max) = sigma_range(sigmas)?;
    let (t_start, t_end) = (t_of(sigma_max), t_of(sigma_min));
    let control_order = if eta > 0.0 { 1.5 } else { order as f64 };
    let mut pid = Controller::new(h_init, gains, control_order, p.number("accept_safety")?);
    let numel = x.numel() as f64;
    let mut x = x;
    let mut x_prev = x.clone();
    let mut s = t_start;
    let (mut attempts, mut accepted) = (0, 0);
    while s < t_end - 1e-5 {
        attempts += 1;
        if attempts > MAX_ATTEMPTS || !(pid.h.is_finite() && pid.h > 1e-12) {
            crate::bail!(
                "dpm_adaptive: the step size collapsed at σ = {:.4e} after {attempts} steps; loosen rtol/atol",
                sigma_of(s)
            );
        }
        let t = t_end.min(s + pid.h);
        let (reached, up) = Solver::ancestral(s, t, t_end, eta);
        let mut stages = Stages::default();
        let mut solver = Solver { run: &mut *run };
        let eps = solver.eps(&mut stages, &x, s)?;
        let (low, high) = if order == 2 {
            (solver.first(&mut stages, &x, s, reached)?, solver.second(&mut stages, &x, s, reached, 0.5)?)
        } else {
            (solver.second(&mut stages, &x, s, reached, 1.0 / 3.0)?, solver.third(&mut stages, &x, s, reached)?)
        };
        let error = scaled_error(&low, &high, &x_prev, rtol, atol, numel)?;
        if !error.is_finite() {
            crate::bail!("dpm_adaptive: the error estimate is {error} at σ = {:.4e}; check the denoiser", sigma_of(s));
        }
        if pid.propose(error) {
            let denoised = combine(&[(1.0, &x), (-sigma_of(s), &eps)])?;
            x_prev = low;
            x = high;
            if up > 0.0 {
                let z = run.noise_like(&x)?;
                x = axpy(&x, up * s_noise, &z)?;
            }
            run.step(accepted, sigma_of(s), sigma_of(t), &x, &denoised)?;
            accepted += 1;
            s = t;
        }
    }
    Ok(x)
}

/// ‖(low − high)/δ‖₂ / √n with δ = max(atol, rtol·max(|low|, |prev|)) elementwise.
fn scaled_error(low: &Tensor, high: &Tensor, prev: &Tensor, rtol: f64, atol: f64, numel: f64) -> Result<f64> {
    let (l, h, p) = (low.candle(), high.candle(), prev.candle());
    let scale = ((l.abs()?.maximum(&p.abs()?)? * rtol)?.maximum(atol))?;
    let ratio = ((l - h)? / scale)?;
    let sum = ratio.sqr()?.sum_all()?.to_dtype(candle_core::DType::F64)?.to_scalar::<f64>()?;
    Ok(sum.sqrt() / numel.sqrt())
}
