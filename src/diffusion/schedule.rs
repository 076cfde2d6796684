//! Noise schedules in continuous time `t ∈ [0, 1]` (t = 0 clean): the forward
//! process is `x_t = α(t) x0 + σ(t) ε`. Every schedule gives α, σ, their rates
//! dα/dt and dσ/dt, the log-SNR λ = log(α²/σ²) and its inverse, and the VE/EDM
//! noise level σ/α.

use crate::error::Result;
use serde::{Deserialize, Serialize};

/// A noise schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    /// Variance-preserving with β linear in the step (Ho et al. 2020, DDPM):
    /// `ᾱ_i = Π_{j≤i} (1 − β_j)` on the grid `t = i/T`, log ᾱ linear in between.
    VpLinear {
        /// β of the first step.
        beta_start: f64,
        /// β of the last step.
        beta_end: f64,
        /// `log ᾱ_i` for `i = 0..=T` (`log ᾱ_0 = 0`).
        log_alpha_bar: Vec<f64>,
    },
    /// Variance-preserving on the grid of a pretrained model's β list (diffusers' `linear`,
    /// `scaled_linear`, `squaredcos_cap_v2` or its own `trained_betas`): timestep `k` of
    /// `0..T` is `t = (k + 1)/T` with `ᾱ_k = Π_{j≤k} (1 − β_j)`, log ᾱ linear in between,
    /// as [`Schedule::VpLinear`].
    VpDiscrete {
        /// The β schedule's name, as the model's scheduler config gives it.
        betas: String,
        /// `log ᾱ` at `t = i/T` for `i = 0..=T` (`log ᾱ = 0` at t = 0).
        log_alpha_bar: Vec<f64>,
    },
    /// Variance-preserving cosine (Nichol & Dhariwal 2021, eq. 17):
    /// `ᾱ(t) = f(t)/f(0)`, `f(t) = cos²(π/2 · (t + s)/(1 + s))`.
    VpCosine {
        /// The offset s (0.008 in the paper).
        s: f64,
    },
    /// Variance-preserving with a cosine in log-SNR between bounds (Salimans &
    /// Ho 2022, progressive distillation): `λ(t) = −2 log tan(a t + b)`.
    VpLogsnrCosine {
        /// λ at t = 1.
        logsnr_min: f64,
        /// λ at t = 0.
        logsnr_max: f64,
    },
    /// Variance-exploding, geometric (Song et al. 2021): α = 1, σ(t) = σ_min (σ_max/σ_min)^t.
    VeGeometric {
        /// σ at t = 0.
        sigma_min: f64,
        /// σ at t = 1.
        sigma_max: f64,
    },
    /// EDM (Karras et al. 2022): α = 1, σ(t) = (σ_min^{1/ρ} + t (σ_max^{1/ρ} − σ_min^{1/ρ}))^ρ.
    Edm {
        /// σ at t = 0.
        sigma_min: f64,
        /// σ at t = 1.
        sigma_max: f64,
        /// The time warp ρ (7 in the paper).
        rho: f64,
        /// The data standard deviation σ_data used by EDM's preconditioning and loss weight.
        sigma_data: f64,
    },
    /// The linear interpolant of flow matching and rectified flow (Lipman et al. 2023;
    /// Liu et al. 2023): α = 1 − t, σ = t, so the VE noise level is σ/α = t/(1 − t) and
    /// t = σ_VE/(1 + σ_VE). Trained and sampled on [10⁻³, 1 − 10⁻³] (σ_VE from 0.001 to 999).
    FlowLinear,
}

/// The distance from t = 0 and t = 1 at which the linear flow interpolant is trained and sampled.
const FLOW_T_EPS: f64 = 1e-3;

fn positive(name: &str, v: f64) -> Result<()> {
    if !(v > 0.0 && v.is_finite()) {
        crate::bail!("{name} must be a positive number, got {v}");
    }
    Ok(())
}

/// The most discrete steps a schedule may have (DDPM uses 1000).
pub const MAX_DISCRETE_STEPS: usize = 10_000_000;

impl Schedule {
    /// DDPM's linear-β schedule over `steps` discrete steps (1e-4 to 0.02 over 1000 in the paper).
    pub fn vp_linear(beta_start: f64, beta_end: f64, steps: usize) -> Result<Self> {
        if !(2..=MAX_DISCRETE_STEPS).contains(&steps) {
            crate::bail!("steps must be between 2 and {MAX_DISCRETE_STEPS}, got {steps}");
        }
        if !(0.0 < beta_start && beta_start <= beta_end && beta_end < 1.0) {
            crate::bail!("need 0 < beta_start <= beta_end < 1, got {beta_start} and {beta_end}");
        }
        let mut log_alpha_bar = Vec::with_capacity(steps + 1);
        log_alpha_bar.push(0.0);
        let mut acc = 0.0;
        for i in 0..steps {
            let beta = beta_start + (beta_end - beta_start) * i as f64 / (steps - 1) as f64;
            acc += (1.0 - beta).ln();
            log_alpha_bar.push(acc);
        }
        Ok(Schedule::VpLinear { beta_start, beta_end, log_alpha_bar })
    }

    /// The discrete VP schedule of the β list `betas` (each in (0, 1)), called `name`.
    pub fn vp_discrete(name: &str, betas: &[f64]) -> Result<Self> {
        if !(2..=MAX_DISCRETE_STEPS).contains(&betas.len()) {
            crate::bail!("a β list needs between 2 and {MAX_DISCRETE_STEPS} steps, got {}", betas.len());
        }
        if let Some((i, b)) = betas.iter().enumerate().find(|(_, b)| !(**b > 0.0 && **b < 1.0)) {
            crate::bail!("β must lie in (0, 1), but β_{i} = {b}");
        }
        let log_alpha_bar = std::iter::once(0.0)
            .chain(betas.iter().scan(0.0, |acc, b| {
                *acc += (1.0 - b).ln();
                Some(*acc)
            }))
            .collect();
        Ok(Schedule::VpDiscrete { betas: name.to_string(), log_alpha_bar })
    }

    /// The cosine schedule with offset `s` ≥ 0 (s = 0 is the cosine interpolant of flow
    /// matching, α = cos(πt/2), σ = sin(πt/2)).
    pub fn vp_cosine(s: f64) -> Result<Self> {
        if !(s >= 0.0 && s.is_finite()) {
            crate::bail!("s must be a finite number >= 0, got {s}");
        }
        Ok(Schedule::VpCosine { s })
    }

    /// The log-SNR cosine schedule between `logsnr_min` and `logsnr_max`.
    pub fn vp_logsnr_cosine(logsnr_min: f64, logsnr_max: f64) -> Result<Self> {
        if !logsnr_min.is_finite() || !logsnr_max.is_finite() || logsnr_min >= logsnr_max {
            crate::bail!("need finite logsnr_min < logsnr_max, got {logsnr_min} and {logsnr_max}");
        }
        Ok(Schedule::VpLogsnrCosine { logsnr_min, logsnr_max })
    }

    /// The geometric VE schedule.
    pub fn ve_geometric(sigma_min: f64, sigma_max: f64) -> Result<Self> {
        positive("sigma_min", sigma_min)?;
        if sigma_max <= sigma_min || !sigma_max.is_finite() {
            crate::bail!("need sigma_min < sigma_max, got {sigma_min} and {sigma_max}");
        }
        Ok(Schedule::VeGeometric { sigma_min, sigma_max })
    }

    /// The EDM schedule.
    pub fn edm(sigma_min: f64, sigma_max: f64, rho: f64, sigma_data: f64) -> Result<Self> {
        positive("sigma_min", sigma_min)?;
        positive("rho", rho)?;
        positive("sigma_data", sigma_data)?;
        if sigma_max <= sigma_min || !sigma_max.is_finite() {
            crate::bail!("need sigma_min < sigma_max, got {sigma_min} and {sigma_max}");
        }
        Ok(Schedule::Edm { sigma_min, sigma_max, rho, sigma_data })
    }

    /// The short name: `vp_linear`, `vp_cosine`, ...
    pub fn name(&self) -> &'static str {
        match self {
            Schedule::VpLinear { .. } => "vp_linear",
            Schedule::VpDiscrete { .. } => "vp_discrete",
            Schedule::VpCosine { .. } => "vp_cosine",
            Schedule::VpLogsnrCosine { .. } => "vp_logsnr_cosine",
            Schedule::VeGeometric { .. } => "ve_geometric",
            Schedule::Edm { .. } => "edm",
            Schedule::FlowLinear => "flow_linear",
        }
    }

    /// The schedule and its parameters, as scripts print it.
    pub fn describe(&self) -> String {
        match self {
            Schedule::VpLinear { beta_start, beta_end, log_alpha_bar } => {
                format!("vp_linear(beta {beta_start} → {beta_end}, {} steps)", log_alpha_bar.len() - 1)
            }
            Schedule::VpDiscrete { betas, log_alpha_bar } => {
                format!("vp_discrete({betas} β, {} steps)", log_alpha_bar.len() - 1)
            }
            Schedule::FlowLinear => "flow_linear(α = 1 − t, σ = t)".into(),
            other => format!("{other:?}")
                .replace("VpCosine", "vp_cosine")
                .replace("VpLogsnrCosine", "vp_logsnr_cosine")
                .replace("VeGeometric", "ve_geometric")
                .replace("Edm", "edm"),
        }
    }

    /// Whether α² + σ² = 1 (variance preserving) rather than α = 1.
    pub fn is_vp(&self) -> bool {
        matches!(
            self,
            Schedule::VpLinear { .. }
                | Schedule::VpDiscrete { .. }
                | Schedule::VpCosine { .. }
                | Schedule::VpLogsnrCosine { .. }
        )
    }

    /// σ_data for EDM's preconditioning and weighting (0.5 unless the EDM schedule says otherwise).
    pub fn sigma_data(&self) -> f64 {
        match self {
            Schedule::Edm { sigma_data, .. } => *sigma_data,
            _ => 0.5,
        }
    }

    /// The discrete step count T, for schedules defined on a grid.
    pub fn discrete_steps(&self) -> Option<usize> {
        match self {
            Schedule::VpLinear { log_alpha_bar, .. } | Schedule::VpDiscrete { log_alpha_bar, .. } => {
                Some(log_alpha_bar.len() - 1)
            }
            _ => None,
        }
    }

    /// The smallest time used for training and sampling (σ > 0 there).
    pub fn t_min(&self) -> f64 {
        match self {
            Schedule::VpLinear { log_alpha_bar, .. } | Schedule::VpDiscrete { log_alpha_bar, .. } => {
                1.0 / (log_alpha_bar.len() - 1) as f64
            }
            Schedule::VpCosine { .. } => 1e-4,
            Schedule::FlowLinear => FLOW_T_EPS,
            _ => 0.0,
        }
    }

    /// The largest time used for training and sampling (α > 0 there).
    pub fn t_max(&self) -> f64 {
        match self {
            Schedule::VpCosine { .. } => 1.0 - 1e-3,
            Schedule::FlowLinear => 1.0 - FLOW_T_EPS,
            _ => 1.0,
        }
    }

    /// `log ᾱ(t) = log α²(t)` for the VP schedules.
    fn log_alpha_bar(&self, t: f64) -> f64 {
        match self {
            Schedule::VpLinear { log_alpha_bar, .. } | Schedule::VpDiscrete { log_alpha_bar, .. } => {
                let steps = (log_alpha_bar.len() - 1) as f64;
                let x = t.clamp(0.0, 1.0) * steps;
                let i = (x.floor() as usize).min(log_alpha_bar.len() - 2);
                let frac = x - i as f64;
                log_alpha_bar[i] * (1.0 - frac) + log_alpha_bar[i + 1] * frac
            }
            Schedule::VpCosine { s } => {
                let f = |t: f64| ((t + s) / (1.0 + s) * std::f64::consts::FRAC_PI_2).cos();
                2.0 * (f(t) / f(0.0)).ln()
            }
            Schedule::VpLogsnrCosine { .. } => -softplus(-self.logsnr(t)),
            _ => 0.0,
        }
    }

    /// α(t), the scale of the data.
    pub fn alpha(&self, t: f64) -> f64 {
        match self {
            Schedule::FlowLinear => 1.0 - t,
            s if s.is_vp() => (0.5 * s.log_alpha_bar(t)).exp(),
            _ => 1.0,
        }
    }

    /// (dα/dt, dσ/dt): in closed form, or by central differences for the VP schedules defined
    /// through log ᾱ (linear β and the log-SNR cosine).
    pub fn rates(&self, t: f64) -> (f64, f64) {
        match self {
            Schedule::FlowLinear => (-1.0, 1.0),
            Schedule::VeGeometric { sigma_min, sigma_max } => (0.0, self.sigma(t) * (sigma_max / sigma_min).ln()),
            Schedule::Edm { sigma_min, sigma_max, rho, .. } => {
                let (lo, hi) = (sigma_min.powf(1.0 / rho), sigma_max.powf(1.0 / rho));
                (0.0, rho * (lo + t * (hi - lo)).powf(rho - 1.0) * (hi - lo))
            }
            Schedule::VpCosine { s } => {
                // α = cos(g(t))/cos(g(0)) with g(t) = π/2 (t + s)/(1 + s); σ = √(1 − α²)
                let g = |t: f64| (t + s) / (1.0 + s) * std::f64::consts::FRAC_PI_2;
                let d_alpha = -g(t).sin() / g(0.0).cos() * std::f64::consts::FRAC_PI_2 / (1.0 + s);
                (d_alpha, -self.alpha(t) * d_alpha / self.sigma(t))
            }
            _ => {
                let h = 1e-6;
                let (a, b) = ((t - h).max(0.0), (t + h).min(1.0));
                ((self.alpha(b) - self.alpha(a)) / (b - a), (self.sigma(b) - self.sigma(a)) / (b - a))
            }
        }
    }

    /// σ(t), the scale of the noise (for the VE and EDM schedules exactly σ_min and σ_max at
    /// t = 0 and 1, where the closed forms land a few ulps off).
    pub fn sigma(&self, t: f64) -> f64 {
        match self {
            Schedule::VeGeometric { sigma_min, .. } | Schedule::Edm { sigma_min, .. } if t == 0.0 => *sigma_min,
            Schedule::VeGeometric { sigma_max, .. } | Schedule::Edm { sigma_max, .. } if t == 1.0 => *sigma_max,
            Schedule::VeGeometric { sigma_min, sigma_max } => sigma_min * (sigma_max / sigma_min).powf(t),
            Schedule::Edm { sigma_min, sigma_max, rho, .. } => {
                let (lo, hi) = (sigma_min.powf(1.0 / rho), sigma_max.powf(1.0 / rho));
                (lo + t * (hi - lo)).powf(*rho)
            }
            Schedule::VpLogsnrCosine { .. } => (0.5 * -softplus(self.logsnr(t))).exp(),
            Schedule::FlowLinear => t,
            _ => (-(self.log_alpha_bar(t).exp_m1())).max(0.0).sqrt(),
        }
    }

    /// λ(t) = log(α²/σ²), the log signal-to-noise ratio (decreasing in t).
    pub fn logsnr(&self, t: f64) -> f64 {
        match self {
            Schedule::VpLogsnrCosine { logsnr_min, logsnr_max } => {
                let (a, b) = logsnr_cosine_ab(*logsnr_min, *logsnr_max);
                -2.0 * (a * t + b).tan().ln()
            }
            s if s.is_vp() => {
                let lab = s.log_alpha_bar(t);
                lab - (-lab.exp_m1()).ln()
            }
            Schedule::FlowLinear => 2.0 * ((1.0 - t) / t).ln(),
            s => -2.0 * s.sigma(t).ln(),
        }
    }

    /// The VE / EDM noise level σ(t)/α(t) = exp(−λ/2).
    pub fn edm_sigma(&self, t: f64) -> f64 {
        match self {
            Schedule::FlowLinear => t / (1.0 - t),
            s if s.is_vp() => (-0.5 * s.logsnr(t)).exp(),
            s => s.sigma(t),
        }
    }

    /// The time at which the log-SNR equals `logsnr` (clamped to [0, 1]).
    pub fn t_of_logsnr(&self, logsnr: f64) -> f64 {
        let t = match self {
            Schedule::VpLogsnrCosine { logsnr_min, logsnr_max } => {
                let (a, b) = logsnr_cosine_ab(*logsnr_min, *logsnr_max);
                ((-0.5 * logsnr).exp().atan() - b) / a
            }
            Schedule::VpCosine { s } => {
                // α² = sigmoid(λ); cos(π/2 (t+s)/(1+s)) = α · cos(π/2 · s/(1+s))
                let alpha = (-0.5 * softplus(-logsnr)).exp();
                let c0 = (s / (1.0 + s) * std::f64::consts::FRAC_PI_2).cos();
                (alpha * c0).clamp(-1.0, 1.0).acos() / std::f64::consts::FRAC_PI_2 * (1.0 + s) - s
            }
            Schedule::VeGeometric { sigma_min, sigma_max } => {
                (-0.5 * logsnr - sigma_min.ln()) / (sigma_max / sigma_min).ln()
            }
            Schedule::Edm { sigma_min, sigma_max, rho, .. } => {
                let (lo, hi) = (sigma_min.powf(1.0 / rho), sigma_max.powf(1.0 / rho));
                ((-0.5 * logsnr / rho).exp() - lo) / (hi - lo)
            }
            Schedule::VpLinear { .. } | Schedule::VpDiscrete { .. } => bisect_decreasing(|t| self.logsnr(t), logsnr),
            Schedule::FlowLinear => {
                let sigma = (-0.5 * logsnr).exp();
                sigma / (1.0 + sigma)
            }
        };
        t.clamp(0.0, 1.0)
    }

    /// The time at which σ(t) (this schedule's own σ) equals `sigma`.
    pub fn t_of_sigma(&self, sigma: f64) -> f64 {
        if *self == Schedule::FlowLinear {
            return sigma.clamp(0.0, 1.0);
        }
        if self.is_vp() {
            let s2 = sigma * sigma;
            self.t_of_logsnr((1.0 - s2).ln() - s2.ln())
        } else {
            self.t_of_logsnr(-2.0 * sigma.ln())
        }
    }

    /// The time at which σ(t)/α(t) equals `sigma`.
    pub fn t_of_edm_sigma(&self, sigma: f64) -> f64 {
        self.t_of_logsnr(-2.0 * sigma.ln())
    }
}

/// `a`, `b` of the log-SNR cosine schedule: λ(t) = −2 log tan(a t + b) with λ(0) = λ_max, λ(1) = λ_min.
fn logsnr_cosine_ab(logsnr_min: f64, logsnr_max: f64) -> (f64, f64) {
    let b = (-0.5 * logsnr_max).exp().atan();
    let a = (-0.5 * logsnr_min).exp().atan() - b;
    (a, b)
}

/// log(1 + e^x), computed without overflow.
fn softplus(x: f64) -> f64 {
    if x > 30.0 {
        x
    } else {
        x.exp().ln_1p()
    }
}

/// The t ∈ [0, 1] where a decreasing function f equals `target`, by bisection.
fn bisect_decreasing(f: impl Fn(f64) -> f64, target: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 1.0);
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<Schedule> {
        vec![
            Schedule::vp_linear(1e-4, 0.02, 1000).unwrap(),
            Schedule::vp_cosine(0.008).unwrap(),
            Schedule::vp_logsnr_cosine(-20.0, 20.0).unwrap(),
            Schedule::ve_geometric(0.01, 50.0).unwrap(),
            Schedule::edm(0.002, 80.0, 7.0, 0.5).unwrap(),
            Schedule::vp_cosine(0.0).unwrap(),
            Schedule::FlowLinear,
        ]
    }

    #[test]
    fn rates_are_the_derivatives_of_alpha_and_sigma() {
        // (linear β is piecewise in t, its rate jumps at the grid points)
        for s in all().into_iter().filter(|s| s.discrete_steps().is_none()) {
            // away from the ends, where σ ∝ √t makes difference quotients poor
            for t in grid(&s).into_iter().filter(|t| *t > s.t_min() + 0.01 && *t < s.t_max() - 0.01) {
                let h = 1e-5;
                let (a, b) = ((t - h).max(s.t_min()), (t + h).min(s.t_max()));
                let (da, ds) = s.rates(t);
                let (na, ns) = ((s.alpha(b) - s.alpha(a)) / (b - a), (s.sigma(b) - s.sigma(a)) / (b - a));
                let tol = |x: f64| 1e-4 * x.abs().max(1.0);
                assert!(
                    (da - na).abs() < tol(na) && (ds - ns).abs() < tol(ns),
                    "{} at t = {t}: {da}, {ds} vs {na}, {ns}",
                    s.name()
                );
            }
        }
        // the linear interpolant: x_t = (1 − t) x0 + t ε, σ_VE = t/(1 − t)
        let f = Schedule::FlowLinear;
        assert_eq!((f.alpha(0.25), f.sigma(0.25), f.rates(0.25)), (0.75, 0.25, (-1.0, 1.0)));
        assert!((f.edm_sigma(0.25) - 1.0 / 3.0).abs() < 1e-15 && (f.t_of_edm_sigma(1.0 / 3.0) - 0.25).abs() < 1e-12);
    }

    fn grid(s: &Schedule) -> Vec<f64> {
        (0..=200).map(|i| s.t_min() + (s.t_max() - s.t_min()) * i as f64 / 200.0).collect()
    }

    #[test]
    fn vp_schedules_preserve_variance() {
        for s in all().iter().filter(|s| s.is_vp()) {
            for t in grid(s) {
                let (a, sg) = (s.alpha(t), s.sigma(t));
                assert!((a * a + sg * sg - 1.0).abs() < 1e-12, "{} at t={t}: {}", s.name(), a * a + sg * sg);
            }
        }
    }

    #[test]
    fn logsnr_decreases_and_matches_alpha_sigma() {
        for s in all() {
            let ts = grid(&s);
            for w in ts.windows(2) {
                assert!(s.logsnr(w[1]) < s.logsnr(w[0]), "{} not decreasing at {}", s.name(), w[0]);
            }
            for &t in &ts {
                let direct = 2.0 * (s.alpha(t) / s.sigma(t)).ln();
                assert!((s.logsnr(t) - direct).abs() < 1e-8 * direct.abs().max(1.0), "{} at {t}", s.name());
            }
        }
    }

    #[test]
    fn inverses_recover_t() {
        for s in all() {
            for t in grid(&s) {
                let tol = 1e-9;
                assert!(
                    (s.t_of_sigma(s.sigma(t)) - t).abs() < tol,
                    "{}: t_of_sigma(sigma({t})) = {}",
                    s.name(),
                    s.t_of_sigma(s.sigma(t))
                );
                assert!((s.t_of_logsnr(s.logsnr(t)) - t).abs() < tol, "{} logsnr at {t}", s.name());
                assert!((s.t_of_edm_sigma(s.edm_sigma(t)) - t).abs() < tol, "{} edm sigma at {t}", s.name());
            }
        }
    }

    #[test]
    fn closed_forms() {
        let ddpm = Schedule::vp_linear(1e-4, 0.02, 1000).unwrap();
        // ᾱ at step 1 is 1 − β_1; at the last step the product of all (1 − β).
        assert!((ddpm.alpha(1.0 / 1000.0).powi(2) - (1.0 - 1e-4)).abs() < 1e-15);
        let prod: f64 = (0..1000).map(|i| 1.0 - (1e-4 + (0.02 - 1e-4) * i as f64 / 999.0)).product();
        assert!((ddpm.alpha(1.0).powi(2) - prod).abs() < 1e-15);
        let cos = Schedule::vp_cosine(0.008).unwrap();
        let f = |t: f64| ((t + 0.008) / 1.008 * std::f64::consts::FRAC_PI_2).cos().powi(2);
        assert!((cos.alpha(0.3).powi(2) - f(0.3) / f(0.0)).abs() < 1e-14);
        let ls = Schedule::vp_logsnr_cosine(-20.0, 20.0).unwrap();
        assert!((ls.logsnr(0.0) - 20.0).abs() < 1e-9 && (ls.logsnr(1.0) + 20.0).abs() < 1e-9);
        let ve = Schedule::ve_geometric(0.01, 50.0).unwrap();
        assert!((ve.sigma(0.5) - (0.01f64 * 50.0).sqrt()).abs() < 1e-12);
        let edm = Schedule::edm(0.002, 80.0, 7.0, 0.5).unwrap();
        assert!((edm.sigma(0.0) - 0.002).abs() < 1e-15 && (edm.sigma(1.0) - 80.0).abs() < 1e-10);
        assert!(Schedule::ve_geometric(1.0, 0.5).is_err());
    }
}
