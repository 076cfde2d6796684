//! Optimizers from scripts: `adamw(params, #{ lr })`, `sgd(params, #{ lr, momentum })`,
//! `opt.step(loss)`.

use crate::runtime::convert::{describe, tensors};
use crate::tensor::Tensor;
use rhai::plugin::*;

/// The tensors of a `params` argument: one parameter or an array of them.
fn param_list(params: &Dynamic) -> crate::Result<Vec<Tensor>> {
    if let Some(t) = params.read_lock::<Tensor>() {
        return Ok(vec![t.clone()]);
    }
    match params.as_array_ref() {
        Ok(a) => tensors(&a),
        Err(_) => crate::bail!("params must be a parameter tensor or an array of them, got {}", describe(params)),
    }
}

#[export_module]
mod api {
    use super::param_list;
    use crate::nn::optim::{AdamWConfig, Optimizer, SgdConfig};
    use crate::runtime::api::{Number, Options, Params};
    use crate::runtime::convert::number_arg;
    use crate::runtime::error::{guard, RhaiResult};
    use crate::runtime::options;
    use crate::tensor::Tensor;
    use rhai::{FLOAT, INT};

    const ADAMW_KEYS: &[&str] = &["lr", "betas", "eps", "weight_decay"];
    const SGD_KEYS: &[&str] = &["lr", "momentum", "dampening", "weight_decay", "nesterov"];

    /// AdamW (Loshchilov & Hutter 2019) over `params` (a parameter or an array of them).
    /// Options (PyTorch's defaults): `#{ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.01 }`.
    #[rhai_fn(return_raw)]
    pub fn adamw(ctx: NativeCallContext, params: Params, options: Options) -> RhaiResult<Optimizer> {
        guard(&ctx, || {
            let o = options::Options::new(options, ADAMW_KEYS)?;
            let d = AdamWConfig::default();
            let (beta1, beta2) = o.pair_or("betas", (d.beta1, d.beta2))?;
            let config = AdamWConfig {
                lr: o.f64_or("lr", d.lr)?,
                beta1,
                beta2,
                eps: o.f64_or("eps", d.eps)?,
                weight_decay: o.f64_or("weight_decay", d.weight_decay)?,
            };
            Optimizer::adamw(&param_list(&params)?, config)
        })
    }
    #[rhai_fn(name = "adamw", return_raw)]
    pub fn adamw_default(ctx: NativeCallContext, params: Params) -> RhaiResult<Optimizer> {
        adamw(ctx, params, Options::new())
    }

    /// Stochastic gradient descent over `params`, with optional momentum (PyTorch's rule).
    /// Options: `#{ lr: 1e-3, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false }`.
    #[rhai_fn(return_raw)]
    pub fn sgd(ctx: NativeCallContext, params: Params, options: Options) -> RhaiResult<Optimizer> {
        guard(&ctx, || {
            let o = options::Options::new(options, SGD_KEYS)?;
            let config = SgdConfig {
                lr: o.f64_or("lr", 1e-3)?,
                momentum: o.f64_or("momentum", 0.0)?,
                dampening: o.f64_or("dampening", 0.0)?,
                weight_decay: o.f64_or("weight_decay", 0.0)?,
                nesterov: o.bool_or("nesterov", false)?,
            };
            Optimizer::sgd(&param_list(&params)?, config)
        })
    }
    #[rhai_fn(name = "sgd", return_raw)]
    pub fn sgd_default(ctx: NativeCallContext, params: Params) -> RhaiResult<Optimizer> {
        sgd(ctx, params, Options::new())
    }

    /// Back-propagates `loss` and updates every parameter once; a NaN or infinite loss is an error.
    #[rhai_fn(return_raw)]
    pub fn step(ctx: NativeCallContext, opt: &mut Optimizer, loss: Tensor) -> RhaiResult<()> {
        guard(&ctx, || opt.step(&loss))
    }

    /// The learning rate.
    #[rhai_fn(get = "lr")]
    pub fn lr(opt: &mut Optimizer) -> FLOAT {
        opt.lr()
    }

    /// Sets the learning rate: `opt.lr = 1e-4`.
    #[rhai_fn(set = "lr", return_raw)]
    pub fn set_lr(ctx: NativeCallContext, opt: &mut Optimizer, lr: Number) -> RhaiResult<()> {
        guard(&ctx, || opt.set_lr(number_arg("lr", &lr)?))
    }

    /// How many steps the optimizer has taken.
    #[rhai_fn(get = "steps")]
    pub fn steps(opt: &mut Optimizer) -> INT {
        opt.steps() as INT
    }

    /// The parameters the optimizer updates.
    #[rhai_fn(get = "params")]
    pub fn params(opt: &mut Optimizer) -> rhai::Array {
        opt.params().into_iter().map(Dynamic::from).collect()
    }

    /// A one-line summary: the rule, learning rate, parameter count and steps.
    #[rhai_fn(name = "to_string", name = "to_debug")]
    pub fn describe_optimizer(opt: &mut Optimizer) -> String {
        opt.to_string()
    }
}

/// The module of optimizers.
pub fn module() -> Module {
    exported_module!(api)
}
