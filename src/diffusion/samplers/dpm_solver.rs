//! The single-step DPM-Solver-1, -2 and -3 updates (Lu et al. 2022, "DPM-Solver",
//! Alg. 1 and 2 with r₁ = 1/2, resp. r₁ = 1/3, r₂ = 2/3) in the noise-prediction form
//! k-diffusion's `DPMSolver` uses, over t = −log σ with ε(x, t) = (x − D(x, σ(t)))/σ(t)
//! and h = t' − t:
//! - 1: x' = x − σ(t') (e^h − 1) ε;
//! - 2: u = x − σ(s₁)(e^{r₁h} − 1) ε at s₁ = t + r₁h, then
//!   x' = x − σ(t')(e^h − 1) ε − σ(t')/(2r₁) (e^h − 1)(ε(u, s₁) − ε);
//! - 3: as written in [`Solver::third`].
//!
//! Used by `dpm_fast` and `dpm_adaptive`. Each ε is evaluated once per step and kept.

use super::{combine, Run};
use crate::error::Result;
use crate::tensor::Tensor;

/// σ(t) = e^{−t}.
pub(super) fn sigma_of(t: f64) -> f64 {
    (-t).exp()
}

/// t(σ) = −log σ.
pub(super) fn t_of(sigma: f64) -> f64 {
    -sigma.ln()
}

/// One step's noise predictions, computed when first needed: at t, at s₁ and at s₂.
#[derive(Default)]
pub(super) struct Stages {
    eps: Option<Tensor>,
    eps_r1: Option<Tensor>,
    eps_r2: Option<Tensor>,
}

/// The solver over one run's denoiser.
pub(super) struct Solver<'r, 'a> {
    /// The run whose denoiser is called (and counted).
    pub run: &'r mut Run<'a>,
}

impl Solver<'_, '_> {
    /// ε(x, t) = (x − D(x, σ(t)))/σ(t).
    fn eps_at(&mut self, x: &Tensor, t: f64) -> Result<Tensor> {
        let sigma = sigma_of(t);
        let denoised = self.run.denoise(x, sigma)?;
        combine(&[(1.0 / sigma, x), (-1.0 / sigma, &denoised)])
    }

    /// ε at the step's start, from `stages` or evaluated.
    pub(super) fn eps(&mut self, stages: &mut Stages, x: &Tensor, t: f64) -> Result<Tensor> {
        if let Some(e) = &stages.eps {
            return Ok(e.clone());
        }
        let e = self.eps_at(x, t)?;
        stages.eps = Some(e.clone());
        Ok(e)
    }

    /// DPM-Solver-1 (DDIM) from t to `t_next`.
    pub(super) fn first(&mut self, stages: &mut Stages, x: &Tensor, t: f64, t_next: f64) -> Result<Tensor> {
        let eps = self.eps(stages, x, t)?;
        combine(&[(1.0, x), (-sigma_of(t_next) * (t_next - t).exp_m1(), &eps)])
    }

    /// ε at the first intermediate stage s₁ = t + r₁h, u₁ = x − σ(s₁)(e^{r₁h} − 1) ε, from
    /// `stages` or evaluated (DPM-Solver-2 and -3 share it when r₁ agrees).
    fn first_stage(&mut self, stages: &mut Stages, x: &Tensor, eps: &Tensor, s1: f64, r1_h: f64) -> Result<Tensor> {
        if let Some(e) = &stages.eps_r1 {
            return Ok(e.clone());
        }
        let u1 = combine(&[(1.0, x), (-sigma_of(s1) * r1_h.exp_m1(), eps)])?;
        let e = self.eps_at(&u1, s1)?;
        stages.eps_r1 = Some(e.clone());
        Ok(e)
    }

    /// DPM-Solver-2 from t to `t_next` with its intermediate stage at t + r₁ h.
    pub(super) fn second(&mut self, stages: &mut Stages, x: &Tensor, t: f64, t_next: f64, r1: f64) -> Result<Tensor> {
        let h = t_next - t;
        let eps = self.eps(stages, x, t)?;
        let s1 = t + r1 * h;
        let eps_r1 = self.first_stage(stages, x, &eps, s1, r1 * h)?;
        let a = sigma_of(t_next) * h.exp_m1();
        let b = sigma_of(t_next) / (2.0 * r1) * h.exp_m1();
        combine(&[(1.0, x), (-a + b, &eps), (-b, &eps_r1)])
    }

    /// DPM-Solver-3 from t to `t_next` (r₁ = 1/3, r₂ = 2/3):
    /// u₁ = x − σ(s₁)(e^{r₁h} − 1) ε,
    /// u₂ = x − σ(s₂)(e^{r₂h} − 1) ε − σ(s₂)(r₂/r₁)((e^{r₂h} − 1)/(r₂h) − 1)(ε(u₁) − ε),
    /// x' = x − σ(t')(e^h − 1) ε − σ(t')/r₂ ((e^h − 1)/h − 1)(ε(u₂) − ε).
    pub(super) fn third(&mut self, stages: &mut Stages, x: &Tensor, t: f64, t_next: f64) -> Result<Tensor> {
        let (r1, r2) = (1.0 / 3.0, 2.0 / 3.0);
        let h = t_next - t;
        let eps = self.eps(stages, x, t)?;
        let (s1, s2) = (t + r1 * h, t + r2 * h);
        let eps_r1 = self.first_stage(stages, x, &eps, s1, r1 * h)?;
        let eps_r2 = match &stages.eps_r2 {
            Some(e) => e.clone(),
            None => {
                let a = sigma_of(s2) * (r2 * h).exp_m1();
                let b = sigma_of(s2) * (r2 / r1) * ((r2 * h).exp_m1() / (r2 * h) - 1.0);
                let u2 = combine(&[(1.0, x), (-a + b, &eps), (-b, &eps_r1)])?;
                let e = self.eps_at(&u2, s2)?;
                stages.eps_r2 = Some(e.clone());
                e
            }
        };
        let a = sigma_of(t_next) * h.exp_m1();
        let b = sigma_of(t_next) / r2 * (h.exp_m1() / h - 1.0);
        combine(&[(1.0, x), (-a + b, &eps), (-b, &eps_r2)])
    }

    /// The ancestral split of a step from t to `t_next` that may not pass `t_end`:
    /// (the time actually reached, the noise σ_up added there), as k-diffusion's DPM-Solver.
    pub(super) fn ancestral(t: f64, t_next: f64, t_end: f64, eta: f64) -> (f64, f64) {
        if eta == 0.0 {
            return (t_next, 0.0);
        }
        let (down, _) = super::ancestral_step(sigma_of(t), sigma_of(t_next), eta);
        let reached = t_end.min(t_of(down));
        (reached, (sigma_of(t_next).powi(2) - sigma_of(reached).powi(2)).sqrt())
    }
}

/// The σ range a DPM-Solver run covers: from the list's first σ to its smallest positive one.
pub(super) fn sigma_range(sigmas: &[f64]) -> Result<(f64, f64)> {
    let lo = sigmas.iter().copied().filter(|s| *s > 0.0).fold(f64::INFINITY, f64::min);
    if lo >= sigmas[0] || !lo.is_finite() {
        crate::bail!("DPM-Solver needs two positive noise levels (sigma_max > sigma_min > 0), got {sigmas:?}");
    }
    Ok((lo, sigmas[0]))
}
