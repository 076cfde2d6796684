//! First-order optimizers over parameters: AdamW and SGD with momentum,
//! following PyTorch's update rules and defaults.

use crate::error::Result;
use crate::tensor::{autograd::store_grads, Tensor};
use candle_core::Var;

/// Hyper-parameters of AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay
/// Regularization", Algorithm 2), PyTorch's defaults.
#[derive(Clone, Debug, PartialEq)]
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

impl Default for AdamWConfig {
    fn default() -> Self {
        Self { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01 }
    }
}

/// Hyper-parameters of stochastic gradient descent with momentum (PyTorch's `SGD`).
#[derive(Clone, Debug, PartialEq, Default)]
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
}

fn vars(params: &[Tensor]) -> Result<Vec<Var>> {
    if params.is_empty() {
        crate::bail!("an optimizer needs at least one parameter");
    }
    params
        .iter()
        .enumerate()
        .map(|(i, p)| p.as_var().map_err(|e| e.context(format!("params[{i}]"))))
        .collect()
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
        Ok(Self { params, rule: Rule::AdamW { config, m: vec![None; n], v: vec![None; n] }, steps: 0 })
    }

    /// SGD (with optional momentum) over `params`.
    pub fn sgd(params: &[Tensor], config: SgdConfig) -> Result<Self> {
        check_lr(config.lr)?;
        if config.nesterov && (config.momentum <= 0.0 || config.dampening != 0.0) {
            crate::bail!("Nesterov momentum needs momentum > 0 and dampening 0");
        }
        let params = vars(params)?;
        let n = params.len();
        Ok(Self { params, rule: Rule::Sgd { config, buf: vec![None; n] }, steps: 0 })
    }

    /// The current learning rate.
    pub fn lr(&self) -> f64 {
        match &self.rule {
            Rule::AdamW { config, .. } => config.lr,
            Rule::Sgd { config, .. } => config.lr,
        }
    }

    /// Changes the learning rate (for schedules).
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

    /// Back-propagates `loss` and updates every parameter once. The gradients
    /// stay readable through [`Tensor::grad`].
    pub fn step(&mut self, loss: &Tensor) -> Result<()> {
        let value = loss.to_scalar_f64()?;
        if !value.is_finite() {
            crate::bail!("the loss is {value} at step {}; stopping before it corrupts the parameters", self.steps + 1);
        }
        let grads = loss.gradients()?;
        self.steps += 1;
        let t = self.steps as i32;
        for (i, var) in self.params.iter().enumerate() {
            let Some(g) = grads.get(var.as_tensor()) else { continue };
            let theta = var.as_tensor().detach();
            let g = g.detach();
            let updated = match &mut self.rule {
                Rule::AdamW { config: c, m, v } => {
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
                    let decayed = (&theta * (1.0 - c.lr * c.weight_decay))?;
                    let step = (m_hat / (v_hat.sqrt()? + c.eps)?)?;
                    m[i] = Some(m_new);
                    v[i] = Some(v_new);
                    (decayed - (step * c.lr)?)?
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
                    (theta - (d * c.lr)?)?
                }
            };
            var.set(&updated)?;
        }
        store_grads(grads);
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
        param(&from_f64(vec![0.0], &[1], &Placement { dtype: DType::F64, device: candle_core::Device::Cpu }).unwrap()).unwrap()
    }

    #[test]
    fn sgd_step_matches_the_rule_by_hand() {
        let x = start();
        let mut opt = Optimizer::sgd(&[x.clone()], SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() }).unwrap();
        opt.step(&quadratic(&x)).unwrap(); // g = -6, buf = -6, x = 0.6
        assert!((x.to_scalar_f64().unwrap() - 0.6).abs() < 1e-12);
        opt.step(&quadratic(&x)).unwrap(); // g = -4.8, buf = -10.2, x = 1.62
        assert!((x.to_scalar_f64().unwrap() - 1.62).abs() < 1e-12);
        assert!((x.grad().unwrap().to_scalar_f64().unwrap() + 4.8).abs() < 1e-12);
    }

    #[test]
    fn adamw_first_step_moves_by_lr() {
        // With bias correction the first Adam step is lr * sign(g) (up to eps).
        let x = start();
        let mut opt = Optimizer::adamw(&[x.clone()], AdamWConfig { lr: 0.5, weight_decay: 0.0, ..Default::default() }).unwrap();
        opt.step(&quadratic(&x)).unwrap();
        assert!((x.to_scalar_f64().unwrap() - 0.5).abs() < 1e-6);
        for _ in 0..200 {
            opt.step(&quadratic(&x)).unwrap();
        }
        assert!((x.to_scalar_f64().unwrap() - 3.0).abs() < 1e-2);
    }

    #[test]
    fn non_parameters_and_nan_losses_are_refused() {
        let plain = from_f64(vec![1.0], &[1], &Placement::default()).unwrap();
        let err = Optimizer::sgd(&[plain], SgdConfig { lr: 0.1, ..Default::default() }).unwrap_err();
        assert!(err.message().starts_with("params[0]: "), "{err}");
        let x = start();
        let mut opt = Optimizer::sgd(&[x.clone()], SgdConfig { lr: 0.1, ..Default::default() }).unwrap();
        let nan = x.binary_scalar(crate::tensor::ops::BinaryOp::Mul, f64::NAN).unwrap().reduce(Reduce::Sum, None, false).unwrap();
        assert!(opt.step(&nan).unwrap_err().message().contains("NaN at step 1"));
    }
}
