//! "Churn" (Karras et al. 2022, Alg. 2, lines 4–6), shared by the samplers that take
//! it: before step i the noise is raised from σ_i to σ̂ = σ_i (1 + γ_i) by adding
//! S_noise √(σ̂² − σ_i²) ε, where γ_i = min(S_churn / N, √2 − 1) when
//! S_tmin ≤ σ_i ≤ S_tmax and 0 otherwise (N steps). One draw per step with γ_i > 0.

use super::{axpy, OptionDefault, OptionSpec, Params, Run};
use crate::error::Result;
use crate::tensor::Tensor;

/// The four churn options with their defaults (S_churn, S_tmin, S_tmax, S_noise).
pub(super) const fn options(defaults: [f64; 4]) -> [OptionSpec; 4] {
    let [s_churn, s_tmin, s_tmax, s_noise] = defaults;
    [
        OptionSpec {
            key: "s_churn",
            default: OptionDefault::Number(s_churn),
            doc: "S_churn: the total churn; γ_i = min(S_churn/N, √2 − 1), 0 for none",
        },
        OptionSpec {
            key: "s_tmin",
            default: OptionDefault::Number(s_tmin),
            doc: "S_tmin: churn only where σ_i ≥ S_tmin",
        },
        OptionSpec {
            key: "s_tmax",
            default: OptionDefault::Number(s_tmax),
            doc: "S_tmax: churn only where σ_i ≤ S_tmax",
        },
        OptionSpec {
            key: "s_noise",
            default: OptionDefault::Number(s_noise),
            doc: "S_noise: the scale of the churn noise",
        },
    ]
}

/// The churn settings of one run.
pub(super) struct Churn {
    churn: f64,
    tmin: f64,
    tmax: f64,
    noise: f64,
}

impl Churn {
    /// The settings from resolved `params`; S_churn must be ≥ 0.
    pub(super) fn new(p: &Params) -> Result<Self> {
        let churn = p.number("s_churn")?;
        if !(churn >= 0.0 && churn.is_finite()) {
            crate::bail!("option `s_churn` must be a finite number >= 0, got {churn}");
        }
        Ok(Self { churn, tmin: p.number("s_tmin")?, tmax: p.number("s_tmax")?, noise: p.number("s_noise")? })
    }

    /// Churns `x` at σ = `sigma` for a run of `steps` steps: returns the new state and σ̂.
    pub(super) fn apply(&self, run: &mut Run, x: Tensor, sigma: f64, steps: usize) -> Result<(Tensor, f64)> {
        let gamma = if (self.tmin..=self.tmax).contains(&sigma) {
            (self.churn / steps as f64).min(2f64.sqrt() - 1.0)
        } else {
            0.0
        };
        if gamma <= 0.0 {
            return Ok((x, sigma));
        }
        let sigma_hat = sigma * (1.0 + gamma);
        let z = run.noise_like(&x)?;
        Ok((axpy(&x, self.noise * (sigma_hat * sigma_hat - sigma * sigma).sqrt(), &z)?, sigma_hat))
    }
}
