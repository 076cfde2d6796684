//! First-order optimizers over parameters: AdamW and SGD with momentum,
//! following PyTorch's update rules and defaults, with a learning-rate
//! schedule, gradient clipping by global norm, and state that can be saved
//! and restored to resume training.

use super::checkpoint;
use super::cpu::adamw;
use super::lr_schedule::LrSchedule;
use crate::error::{Error, Result};
use crate::tensor::{autograd::store_grads, Tensor};
use candle_core::Var;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// Hyper-parameters of AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay
/// Regularization", Algorithm 2), PyTorch's defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamWConfig {
    /// learning rate
    pub lr: f64,
    /// decay of the first moment
    pub beta1: f64,
    /// decay of the second moment
    pub beta2: f64,
    /// added to the root of the second moment
    pub eps: f64,
    /// decoupled weight decay
    pub weight_decay: f64,
}

impl AdamWConfig {
    /// The constants the fused CPU update takes.
    fn hyper(&self) -> adamw::Hyper {
        adamw::Hyper { beta1: self.beta1, beta2: self.beta2, eps: self.eps, weight_decay: self.weight_decay }
    }
}

impl Default for AdamWConfig {
    fn default() -> Self {
        Self { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01 }
    }
}

/// Hyper-parameters of stochastic gradient descent with momentum (PyTorch's `SGD`).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct SgdConfig {
    /// learning rate
    pub lr: f64,
    /// momentum factor (0 disables the buffer)
    pub momentum: f64,
    /// dampening of the momentum
    pub dampening: f64,
    /// L2 penalty added to the gradient
    pub weight_decay: f64,
    /// Nesterov momentum
    pub nesterov: bool,
}

/// Which update rule an [`Optimizer`] applies, with its state.
#[derive(Clone, Debug)]
enum Rule {
    AdamW { config: AdamWConfig, m: Vec<Option<candle_core::Tensor>>, v: Vec<Option<candle_core::Tensor>> },
    Sgd { config: SgdConfig, buf: Vec<Option<candle_core::Tensor>> },
}

/// An optimizer over a fixed list of parameters.
#[derive(Clone, Debug)]
pub struct Optimizer {
    params: Vec<Var>,
    rule: Rule,
    steps: u64,
    schedule: LrSchedule,
    clip: Option<f64>,
}

fn vars(params: &[Tensor]) -> Result<Vec<Var>> {
    if params.is_empty() {
        crate::bail!("an optimizer needs at least one parameter");
    }
    params.iter().enumerate().map(|(i, p)| p.as_var().map_err(|e| e.context(format!("params[{i}]")))).collect()
}

fn check_lr(lr: f64) -> Result<()> {
    if !(lr >= 0.0 && lr.is_finite()) {
        crate::bail!("the learning rate must be a finite number >= 0, got {lr}");
    }
    Ok(())
}

impl Optimizer {
    /// AdamW over `params`.
    pub fn adamw(params: &[Tensor], config: AdamWConfig) -> Result<Self> {
        check_lr(config.lr)?;
        for (name, b) in [("beta1", config.beta1), ("beta2", config.beta2)] {
            if !(0.0..1.0).contains(&b) {
                crate::bail!("{name} must be in [0, 1), got {b}");
            }
        }
        let params = vars(params)?;
        let n = params.len();
        Ok(Self::with_rule(params, Rule::AdamW { config, m: vec![None; n], v: vec![None; n] }))
    }

    /// SGD (with optional momentum) over `params`.
    pub fn sgd(params: &[Tensor], config: SgdConfig) -> Result<Self> {
        check_lr(config.lr)?;
        if config.nesterov && (config.momentum <= 0.0 || config.dampening != 0.0) {
            crate::bail!("Nesterov momentum needs momentum > 0 and dampening 0");
        }
        let params = vars(params)?;
        let n = params.len();
        Ok(Self::with_rule(params, Rule::Sgd { config, buf: vec![None; n] }))
    }

    fn with_rule(params: Vec<Var>, rule: Rule) -> Self {
        Self { params, rule, steps: 0, schedule: LrSchedule::default(), clip: None }
    }

    /// Sets the learning-rate schedule (a factor on the base rate per step).
    pub fn set_schedule(&mut self, schedule: LrSchedule) {
        self.schedule = schedule;
    }

    /// Clips gradients to this global L2 norm before each step (`None`: no clipping).
    pub fn set_clip(&mut self, max_norm: Option<f64>) -> Result<()> {
        if let Some(c) = max_norm {
            if !(c > 0.0 && c.is_finite()) {
                crate::bail!("clip must be a positive number, got {c}");
            }
        }
        self.clip = max_norm;
        Ok(())
    }

    /// The base learning rate (before the schedule's factor).
    pub fn base_lr(&self) -> f64 {
        match &self.rule {
            Rule::AdamW { config, .. } => config.lr,
            Rule::Sgd { config, .. } => config.lr,
        }
    }

    /// The learning rate the next step will use.
    pub fn lr(&self) -> f64 {
        self.base_lr() * self.schedule.factor(self.steps)
    }

    /// Changes the base learning rate.
    pub fn set_lr(&mut self, lr: f64) -> Result<()> {
        check_lr(lr)?;
        match &mut self.rule {
            Rule::AdamW { config, .. } => config.lr = lr,
            Rule::Sgd { config, .. } => config.lr = lr,
        }
        Ok(())
    }

    /// How many steps have been taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The parameters being optimised.
    pub fn params(&self) -> Vec<Tensor> {
        self.params.iter().map(|v| Tensor::from_candle(v.as_tensor().clone())).collect()
    }

    /// The devices its parameters and its state (moments, momentum buffers) live on, each once.
    pub fn devices(&self) -> Vec<candle_core::Device> {
        let state: Vec<&candle_core::Tensor> = match &self.rule {
            Rule::AdamW { m, v, .. } => m.iter().chain(v).flatten().collect(),
            Rule::Sgd { buf, .. } => buf.iter().flatten().collect(),
        };
        let mut out: Vec<candle_core::Device> = vec![];
        for d in self.params.iter().map(|p| p.as_tensor().device()).chain(state.into_iter().map(|t| t.device())) {
            if !out.iter().any(|o| o.same_device(d)) {
                out.push(d.clone());
            }
        }
        out
    }

    /// Back-propagates `loss`, updates every parameter once, and returns the
    /// loss value. The gradients stay readable through [`Tensor::grad`].
    pub fn step(&mut self, loss: &Tensor) -> Result<f64> {
        let value = loss.to_scalar_f64()?;
        if !value.is_finite() {
            crate::bail!("the loss is {value} at step {}; stopping before it corrupts the parameters", self.steps + 1);
        }
        let grads = loss.gradients()?;
        let lr = self.lr();
        let scale = self.clip_scale(&grads)?;
        self.steps += 1;
        let t = self.steps as i32;
        for (i, var) in self.params.iter().enumerate() {
            let Some(g) = grads.get(var.as_tensor()) else { continue };
            let theta = var.as_tensor().detach();
            let g = if scale < 1.0 { (g.detach() * scale)? } else { g.detach() };
            let updated = match &mut self.rule {
                Rule::AdamW { config: c, m, v } => {
                    if let Some((theta_new, m_new, v_new)) =
                        adamw::update(&theta, &g, m[i].as_ref(), v[i].as_ref(), &c.hyper(), lr, t)?
                    {
                        m[i] = Some(m_new);
                        v[i] = Some(v_new);
                        var.set(&theta_new)?;
                        continue;
                    }
                    let m_new = match &m[i] {
                        Some(prev) => ((prev * c.beta1)? + (&g * (1.0 - c.beta1))?)?,
                        None => (&g * (1.0 - c.beta1))?,
                    };
                    let v_new = match &v[i] {
                        Some(prev) => ((prev * c.beta2)? + (g.sqr()? * (1.0 - c.beta2))?)?,
                        None => (g.sqr()? * (1.0 - c.beta2))?,
                    };
                    let m_hat = (&m_new / (1.0 - c.beta1.powi(t)))?;
                    let v_hat = (&v_new / (1.0 - c.beta2.powi(t)))?;
                    let decayed = (&theta * (1.0 - lr * c.weight_decay))?;
                    let step = (m_hat / (v_hat.sqrt()? + c.eps)?)?;
                    m[i] = Some(m_new);
                    v[i] = Some(v_new);
                    (decayed - (step * lr)?)?
                }
                Rule::Sgd { config: c, buf } => {
                    let mut d = g;
                    if c.weight_decay != 0.0 {
                        d = (d + (&theta * c.weight_decay)?)?;
                    }
                    if c.momentum != 0.0 {
                        let b = match &buf[i] {
                            Some(prev) => ((prev * c.momentum)? + (&d * (1.0 - c.dampening))?)?,
                            None => d.clone(),
                        };
                        d = if c.nesterov { (d + (&b * c.momentum)?)? } else { b.clone() };
                        buf[i] = Some(b);
                    }
                    (theta - (d * lr)?)?
                }
            };
            var.set(&updated)?;
        }
        store_grads(grads);
        Ok(value)
    }

    /// The factor that brings the gradients' global norm down to the clip value (1 when below it).
    fn clip_scale(&self, grads: &candle_core::backprop::GradStore) -> Result<f64> {
        let Some(max) = self.clip else { return Ok(1.0) };
        // summed where the gradients live, then read once
        let mut total: Option<candle_core::Tensor> = None;
        for var in &self.params {
            if let Some(g) = grads.get(var.as_tensor()) {
                let part = g.to_dtype(candle_core::DType::F64)?.sqr()?.sum_all()?;
                total = Some(match total {
                    Some(t) => (t + part)?,
                    None => part,
                });
            }
        }
        let norm = match total {
            Some(t) => crate::tensor::transfer::download_f64(&t)?[0].sqrt(),
            None => 0.0,
        };
        Ok(if norm > max { max / (norm + 1e-6) } else { 1.0 })
    }

    fn rule_name(&self) -> &'static str {
        match &self.rule {
            Rule::AdamW { .. } => "adamw",
            Rule::Sgd { .. } => "sgd",
        }
    }

    /// Saves the moment buffers, step count, configuration and schedule.
    pub fn save(&self, path: &Path) -> Result<()> {
        let (config, buffers) = match &self.rule {
            Rule::AdamW { config, m, v } => (serde_json::to_string(config), vec![("m", m), ("v", v)]),
            Rule::Sgd { config, buf } => (serde_json::to_string(config), vec![("buf", buf)]),
        };
        let mut tensors = Vec::new();
        for (name, list) in buffers {
            for (i, t) in list.iter().enumerate() {
                if let Some(t) = t {
                    tensors.push((format!("{name}.{i}"), t.clone()));
                }
            }
        }
        let metadata = HashMap::from([
            (checkpoint::KIND_KEY.to_string(), "optimizer".to_string()),
            ("rule".to_string(), self.rule_name().to_string()),
            ("config".to_string(), config.map_err(|e| Error::new(e.to_string()))?),
            ("schedule".to_string(), serde_json::to_string(&self.schedule).map_err(|e| Error::new(e.to_string()))?),
            ("clip".to_string(), self.clip.map_or("none".into(), |c| c.to_string())),
            ("steps".to_string(), self.steps.to_string()),
            ("params".to_string(), self.params.len().to_string()),
        ]);
        checkpoint::write(path, &tensors, metadata)
    }

    /// Restores state saved by [`Optimizer::save`] from an optimizer of the same
    /// kind over parameters of the same shapes.
    pub fn load(&mut self, path: &Path) -> Result<()> {
        let device = self.params.first().map_or(candle_core::Device::Cpu, |v| v.as_tensor().device().clone());
        let c = checkpoint::read(path, &device)?;
        let meta = |key: &str| -> Result<&String> {
            c.metadata
                .get(key)
                .ok_or_else(|| Error::new(format!("{}: not an optimizer state file (no `{key}`)", path.display())))
        };
        if meta(checkpoint::KIND_KEY)? != "optimizer" {
            crate::bail!("{}: not an optimizer state file", path.display());
        }
        let rule = meta("rule")?;
        if rule != self.rule_name() {
            crate::bail!("{}: holds {rule} state, but this optimizer is {}", path.display(), self.rule_name());
        }
        if meta("params")? != &self.params.len().to_string() {
            crate::bail!(
                "{}: saved for {} parameter tensors, this optimizer has {}",
                path.display(),
                meta("params")?,
                self.params.len()
            );
        }
        let bad = |what: &str| Error::new(format!("{}: bad {what}", path.display()));
        let take = |name: &str, i: usize, like: &Var| -> Result<Option<candle_core::Tensor>> {
            match c.tensors.get(&format!("{name}.{i}")) {
                Some(t) if t.dims() == like.as_tensor().dims() => Ok(Some(t.to_dtype(like.as_tensor().dtype())?)),
                Some(t) => crate::bail!(
                    "{}: {name}.{i} has shape {:?}, the parameter {:?}",
                    path.display(),
                    t.dims(),
                    like.as_tensor().dims()
                ),
                None => Ok(None),
            }
        };
        match &mut self.rule {
            Rule::AdamW { config, m, v } => {
                *config = serde_json::from_str(meta("config")?).map_err(|_| bad("config"))?;
                for (i, var) in self.params.iter().enumerate() {
                    m[i] = take("m", i, var)?;
                    v[i] = take("v", i, var)?;
                }
            }
            Rule::Sgd { config, buf } => {
                *config = serde_json::from_str(meta("config")?).map_err(|_| bad("config"))?;
                for (i, var) in self.params.iter().enumerate() {
                    buf[i] = take("buf", i, var)?;
                }
            }
        }
        self.schedule = serde_json::from_str(meta("schedule")?).map_err(|_| bad("schedule"))?;
        self.clip = match meta("clip")?.as_str() {
            "none" => None,
            c => Some(c.parse().map_err(|_| bad("clip"))?),
        };
        self.steps = meta("steps")?.parse().map_err(|_| bad("step count"))?;
        Ok(())
    }
}

impl std::fmt::Display for Optimizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rule = match &self.rule {
            Rule::AdamW { .. } => "AdamW",
            Rule::Sgd { .. } => "SGD",
        };
        let count: usize = self.params.iter().map(|v| v.as_tensor().elem_count()).sum();
        write!(f, "{rule}(lr={}, {count} parameters in {} tensors, {} steps)", self.lr(), self.params.len(), self.steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::autograd::param;
    use crate::tensor::create::{from_f64, Placement};
    use crate::tensor::math::Unary;
    use crate::tensor::reduce::Reduce;
    use crate::tensor::DType;

    /// Steps store their gradients process-wide (for `p.grad()`), so the tests that step run
    /// one at a time.
    static ONE_STEPPER: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn quadratic(x: &Tensor) -> Tensor {
        // (x - 3)^2 summed
        x.binary_scalar(crate::tensor::ops::BinaryOp::Sub, 3.0)
            .unwrap()
            .unary(Unary::Square)
            .unwrap()
            .reduce(Reduce::Sum, None, false)
            .unwrap()
    }

    fn start() -> Tensor {
        param(&from_f64(vec![0.0], &[1], &Placement { dtype: DType::F64, device: candle_core::Device::Cpu }).unwrap())
            .unwrap()
    }

    #[test]
    fn sgd_step_matches_the_rule_by_hand() {
        let _alone = ONE_STEPPER.lock().unwrap_or_else(|e| e.into_inner());
        let x = start();
        let mut opt =
            Optimizer::sgd(std::slice::from_ref(&x), SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() })
                .unwrap();
        opt.step(&quadratic(&x)).unwrap(); // g = -6, buf = -6, x = 0.6
        assert!((x.to_scalar_f64().unwrap() - 0.6).abs() < 1e-12);
        opt.step(&quadratic(&x)).unwrap(); // g = -4.8, buf = -10.2, x = 1.62
        assert!((x.to_scalar_f64().unwrap() - 1.62).abs() < 1e-12);
        assert!((x.grad().unwrap().to_scalar_f64().unwrap() + 4.8).abs() < 1e-12);
    }

    #[test]
    fn adamw_first_step_moves_by_lr() {
        let _alone = ONE_STEPPER.lock().unwrap_or_else(|e| e.into_inner());
        // With bias correction the first Adam step is lr * sign(g) (up to eps).
        let x = start();
        let mut opt = Optimizer::adamw(
            std::slice::from_ref(&x),
            AdamWConfig { lr: 0.5, weight_decay: 0.0, ..Default::default() },
        )
        .unwrap();
        opt.step(&quadratic(&x)).unwrap();
        assert!((x.to_scalar_f64().unwrap() - 0.5).abs() < 1e-6);
        for _ in 0..200 {
            opt.step(&quadratic(&x)).unwrap();
        }
        assert!((x.to_scalar_f64().unwrap() - 3.0).abs() < 1e-2);
    }

    #[test]
    fn clipping_scales_the_step_and_state_round_trips() {
        let _alone = ONE_STEPPER.lock().unwrap_or_else(|e| e.into_inner());
        let x = start();
        let mut opt =
            Optimizer::sgd(std::slice::from_ref(&x), SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() })
                .unwrap();
        opt.set_clip(Some(1.0)).unwrap();
        opt.step(&quadratic(&x)).unwrap(); // g = -6 clipped to about -1
        assert!((x.to_scalar_f64().unwrap() - 0.1).abs() < 1e-6);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("opt.safetensors");
        opt.save(&path).unwrap();
        let y = start();
        let mut again = Optimizer::sgd(std::slice::from_ref(&y), SgdConfig { lr: 0.5, ..Default::default() }).unwrap();
        again.load(&path).unwrap();
        assert_eq!((again.steps(), again.base_lr()), (1, 0.1));
        let adam = Optimizer::adamw(&[y], AdamWConfig::default()).unwrap();
        let mut adam = adam;
        assert!(adam.load(&path).unwrap_err().message().contains("holds sgd state"));
    }

    #[test]
    fn the_schedule_sets_the_step_size() {
        let _alone = ONE_STEPPER.lock().unwrap_or_else(|e| e.into_inner());
        let x = start();
        let mut opt = Optimizer::sgd(std::slice::from_ref(&x), SgdConfig { lr: 0.1, ..Default::default() }).unwrap();
        opt.set_schedule(LrSchedule::new("constant", 2, 0, 0.0).unwrap());
        assert!((opt.lr() - 0.05).abs() < 1e-15);
        opt.step(&quadratic(&x)).unwrap(); // lr 0.05, g = -6
        assert!((x.to_scalar_f64().unwrap() - 0.3).abs() < 1e-12);
        assert!((opt.lr() - 0.1).abs() < 1e-15);
    }

    #[test]
    fn non_parameters_and_nan_losses_are_refused() {
        let _alone = ONE_STEPPER.lock().unwrap_or_else(|e| e.into_inner());
        let plain = from_f64(vec![1.0], &[1], &Placement::default()).unwrap();
        let err = Optimizer::sgd(&[plain], SgdConfig { lr: 0.1, ..Default::default() }).unwrap_err();
        assert!(err.message().starts_with("params[0]: "), "{err}");
        let x = start();
        let mut opt = Optimizer::sgd(std::slice::from_ref(&x), SgdConfig { lr: 0.1, ..Default::default() }).unwrap();
        let nan = x
            .binary_scalar(crate::tensor::ops::BinaryOp::Mul, f64::NAN)
            .unwrap()
            .reduce(Reduce::Sum, None, false)
            .unwrap();
        assert!(opt.step(&nan).unwrap_err().message().contains("NaN at step 1"));
    }
}
