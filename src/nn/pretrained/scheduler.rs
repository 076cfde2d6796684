//! A diffusers `scheduler_config.json`: the β schedule a model was trained under, what it
//! predicts, and the spacing its pipeline samples with. The sampling algorithm a scheduler
//! names is not taken from it: every difflab sampler runs on the model.

use crate::diffusion::parameterization::Pred;
use crate::diffusion::schedule::Schedule;
use crate::error::Result;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What difflab takes from a scheduler config, with diffusers' `DDPMScheduler` defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchedulerConfig {
    /// The scheduler class that wrote it (`DDPMScheduler`, `DDIMScheduler`, ...).
    pub class: String,
    /// Training timesteps T.
    pub num_train_timesteps: usize,
    /// `linear`, `scaled_linear`, `squaredcos_cap_v2`, or `trained` for a given list.
    pub beta_schedule: String,
    /// β of the first step.
    pub beta_start: f64,
    /// β of the last step.
    pub beta_end: f64,
    /// The β list itself, when the config gives one.
    pub trained_betas: Option<Vec<f64>>,
    /// What the model predicts.
    pub pred: Pred,
    /// The spacing of the pipeline's timesteps: `leading`, `trailing` or `linspace`.
    pub timestep_spacing: String,
    /// Added to every `leading` timestep.
    pub steps_offset: usize,
    /// Whether the pipeline clips its x̂0 to ±`clip_sample_range` (applied only where a
    /// script asks for it).
    pub clip_sample: bool,
    /// The clipping range.
    pub clip_sample_range: f64,
}

/// The keys read here, and those of the sampling algorithm a config may hold, which difflab's
/// samplers replace (no warning for them).
const KNOWN: &[&str] = &[
    "num_train_timesteps",
    "beta_schedule",
    "beta_start",
    "beta_end",
    "trained_betas",
    "prediction_type",
    "timestep_spacing",
    "steps_offset",
    "clip_sample",
    "clip_sample_range",
    "rescale_betas_zero_snr",
    "variance_type",
    "thresholding",
    "dynamic_thresholding_ratio",
    "sample_max_value",
    "set_alpha_to_one",
    "skip_prk_steps",
    "solver_order",
    "solver_type",
    "algorithm_type",
    "lower_order_final",
    "use_karras_sigmas",
    "use_exponential_sigmas",
    "use_beta_sigmas",
    "interpolation_type",
    "timestep_type",
    "final_sigmas_type",
    "euler_at_final",
    "lambda_min_clipped",
    "use_lu_lambdas",
    "disable_corrector",
    "predict_x0",
    "sigma_min",
    "sigma_max",
];

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            class: "DDPMScheduler".into(),
            num_train_timesteps: 1000,
            beta_schedule: "linear".into(),
            beta_start: 1e-4,
            beta_end: 0.02,
            trained_betas: None,
            pred: Pred::Eps,
            timestep_spacing: "leading".into(),
            steps_offset: 0,
            clip_sample: true,
            clip_sample_range: 1.0,
        }
    }
}

impl SchedulerConfig {
    /// Reads a scheduler config; returns it and the keys difflab does not know.
    pub fn from_json(json: &Value) -> Result<(Self, Vec<String>)> {
        let Value::Object(map) = json else { crate::bail!("the scheduler config is not a JSON object") };
        let get = |k: &str| map.get(k).filter(|v| !v.is_null());
        let d = SchedulerConfig::default();
        let number = |k: &str, default: f64| match get(k) {
            None => Ok(default),
            Some(v) => v.as_f64().ok_or_else(|| crate::Error::new(format!("`{k}` must be a number, got {v}"))),
        };
        let text = |k: &str, default: &str| match get(k) {
            None => Ok(default.to_string()),
            Some(v) => v
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| crate::Error::new(format!("`{k}` must be a string, got {v}"))),
        };
        let steps = number("num_train_timesteps", 1000.0)?;
        if !(steps >= 2.0 && steps.fract() == 0.0 && steps <= 1e7) {
            crate::bail!("`num_train_timesteps` must be a whole number >= 2, got {steps}");
        }
        if get("rescale_betas_zero_snr").and_then(Value::as_bool) == Some(true) {
            crate::bail!(
                "`rescale_betas_zero_snr` (a terminal SNR of 0, σ_max = ∞) is not supported by difflab's VE samplers"
            );
        }
        let trained_betas = match get("trained_betas") {
            None => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|v| v.as_f64().ok_or_else(|| crate::Error::new("`trained_betas` must be a list of numbers")))
                    .collect::<Result<Vec<_>>>()?,
            ),
            Some(v) => crate::bail!("`trained_betas` must be a list of numbers, got {v}"),
        };
        let pred = match text("prediction_type", "epsilon")?.as_str() {
            "epsilon" => Pred::Eps,
            "v_prediction" => Pred::V,
            "sample" => Pred::X0,
            other => crate::bail!(
                "`prediction_type` \"{other}\" is not one difflab reads; it reads \"epsilon\", \"v_prediction\" and \"sample\""
            ),
        };
        let spacing = text("timestep_spacing", "leading")?;
        if !["leading", "trailing", "linspace"].contains(&spacing.as_str()) {
            crate::bail!("`timestep_spacing` \"{spacing}\" is not one of \"leading\", \"trailing\", \"linspace\"");
        }
        let flag = |k: &str, default: bool| get(k).and_then(Value::as_bool).unwrap_or(default);
        let config = SchedulerConfig {
            class: map.get("_class_name").and_then(Value::as_str).unwrap_or("DDPMScheduler").to_string(),
            num_train_timesteps: steps as usize,
            beta_schedule: if trained_betas.is_some() { "trained".into() } else { text("beta_schedule", "linear")? },
            beta_start: number("beta_start", d.beta_start)?,
            beta_end: number("beta_end", d.beta_end)?,
            trained_betas,
            pred,
            timestep_spacing: spacing,
            steps_offset: number("steps_offset", 0.0)?.max(0.0) as usize,
            clip_sample: flag("clip_sample", true),
            clip_sample_range: number("clip_sample_range", 1.0)?,
        };
        config.betas()?;
        let unknown = map.keys().filter(|k| !k.starts_with('_') && !KNOWN.contains(&k.as_str())).cloned().collect();
        Ok((config, unknown))
    }

    /// The β of each training step, as diffusers makes them (in `f64` here).
    pub fn betas(&self) -> Result<Vec<f64>> {
        let t = self.num_train_timesteps;
        let ramp = |a: f64, b: f64| (0..t).map(move |i| a + (b - a) * i as f64 / (t - 1) as f64);
        Ok(match self.beta_schedule.as_str() {
            "trained" => {
                let betas = self.trained_betas.clone().unwrap_or_default();
                if betas.len() != t {
                    crate::bail!("`trained_betas` holds {} values for {t} num_train_timesteps", betas.len());
                }
                betas
            }
            "linear" => ramp(self.beta_start, self.beta_end).collect(),
            "scaled_linear" => ramp(self.beta_start.sqrt(), self.beta_end.sqrt()).map(|b| b * b).collect(),
            // Nichol & Dhariwal 2021, eq. 17, each β capped at 0.999 (diffusers' betas_for_alpha_bar)
            "squaredcos_cap_v2" => {
                let bar = |x: f64| ((x + 0.008) / 1.008 * std::f64::consts::FRAC_PI_2).cos().powi(2);
                (0..t).map(|i| (1.0 - bar((i + 1) as f64 / t as f64) / bar(i as f64 / t as f64)).min(0.999)).collect()
            }
            other => crate::bail!(
                "`beta_schedule` \"{other}\" is not one difflab builds; it builds \"linear\", \"scaled_linear\", \"squaredcos_cap_v2\" and `trained_betas`"
            ),
        })
    }

    /// The discrete VP schedule of the β list.
    pub fn schedule(&self) -> Result<Schedule> {
        Schedule::vp_discrete(&self.beta_schedule, &self.betas()?)
    }

    /// The `n` training timesteps (decreasing) the pipeline samples at with the spacing
    /// `spacing` (diffusers' `set_timesteps`; Lin et al. 2024, table 2).
    pub fn timesteps(&self, n: usize, spacing: &str) -> Result<Vec<usize>> {
        let t = self.num_train_timesteps;
        if n == 0 || n > t {
            crate::bail!("a spacing of the model's {t} training steps takes 1 to {t} steps, got {n}");
        }
        let mut steps: Vec<usize> = match spacing {
            "leading" => (0..n).rev().map(|k| (k * (t / n) + self.steps_offset).min(t - 1)).collect(),
            "trailing" => (0..n).map(|k| ((t as f64 - k as f64 * t as f64 / n as f64).round() as usize).max(1) - 1).collect(),
            "linspace" => (0..n)
                .rev()
                .map(|k| if n == 1 { 0 } else { (k as f64 * (t - 1) as f64 / (n - 1) as f64).round() as usize })
                .collect(),
            other => crate::bail!("unknown spacing \"{other}\"; a model's training steps are spaced \"leading\", \"trailing\" or \"linspace\""),
        };
        steps.dedup();
        Ok(steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduler_configs_give_diffusers_timesteps_and_betas() {
        let (c, unknown) = SchedulerConfig::from_json(&serde_json::json!({ "steps_offset": 1, "odd": 2 })).unwrap();
        assert_eq!(unknown, vec!["odd".to_string()]);
        // diffusers: leading 10 of 1000 with offset 1 is [901, 801, ..., 1]; trailing [999, 899, ..., 99];
        // linspace [999, 888, ..., 0]
        assert_eq!(c.timesteps(10, "leading").unwrap(), (0..10).rev().map(|k| k * 100 + 1).collect::<Vec<_>>());
        assert_eq!(c.timesteps(10, "trailing").unwrap(), (0..10).rev().map(|k| k * 100 + 99).collect::<Vec<_>>());
        assert_eq!(c.timesteps(10, "linspace").unwrap(), vec![999, 888, 777, 666, 555, 444, 333, 222, 111, 0]);
        let cosine = SchedulerConfig { beta_schedule: "squaredcos_cap_v2".into(), ..c.clone() }.betas().unwrap();
        assert!((cosine[999] - 0.999).abs() < 1e-12 && cosine[0] > 0.0 && cosine[0] < 1e-4);
        let err = SchedulerConfig::from_json(&serde_json::json!({ "prediction_type": "flow" })).unwrap_err();
        assert!(err.message().contains("`prediction_type` \"flow\""));
    }
}
