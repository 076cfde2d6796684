//! Optimizers from scripts: `adamw(params, #{ lr })`, `sgd(params, #{ lr, momentum })`,
//! `opt.step(loss)`.

use crate::runtime::convert::{describe, tensors};
use crate::tensor::Tensor;
use rhai::plugin::*;

/// The tensors of a `params` argument: a network, one parameter, or an array of them.
fn param_list(params: &Dynamic) -> crate::Result<Vec<Tensor>> {
    if let Some(net) = params.read_lock::<crate::nn::network::Network>() {
        return Ok(net.params());
    }
    if let Some(t) = params.read_lock::<Tensor>() {
        return Ok(vec![t.clone()]);
    }
    match params.as_array_ref() {
        Ok(a) => tensors(&a),
        Err(_) => {
            crate::bail!("params must be a network, a parameter tensor or an array of them, got {}", describe(params))
        }
    }
}

const ADAMW_KEYS: &[&str] = &["lr", "betas", "eps", "weight_decay", "schedule", "warmup", "total", "floor", "clip"];
const SGD_KEYS: &[&str] =
    &["lr", "momentum", "dampening", "weight_decay", "nesterov", "schedule", "warmup", "total", "floor", "clip"];

/// The option keys of this module's functions (for completion).
pub const OPTIONS: &[(&str, &[&str])] = &[("adamw", ADAMW_KEYS), ("sgd", SGD_KEYS)];

/// Applies the options every optimizer shares: `schedule`, `warmup`, `total`, `floor`, `clip`.
fn common(opt: &mut crate::nn::optim::Optimizer, o: &crate::runtime::options::CheckedOptions) -> crate::Result<()> {
    let decay = o.opt_string("schedule")?.unwrap_or_else(|| "constant".into());
    let schedule = crate::nn::lr_schedule::LrSchedule::new(
        &decay,
        o.usize_or("warmup", 0)? as u64,
        o.usize_or("total", 0)? as u64,
        o.f64_in("floor", 0.0, crate::runtime::options::Range::NonNegative)?,
    )?;
    opt.set_schedule(schedule);
    opt.set_clip(o.opt_f64("clip")?)
}

#[export_module]
mod api {
    use super::{common, param_list, ADAMW_KEYS, SGD_KEYS};
    use crate::nn::optim::{AdamWConfig, SgdConfig};
    use crate::runtime::shared::Shared;

    /// An optimizer as scripts hold it: shared by every variable that refers to it.
    pub type Optimizer = Shared<crate::nn::optim::Optimizer>;
    use crate::runtime::api::{Number, Options, Params};
    use crate::runtime::convert::number_arg;
    use crate::runtime::error::{guard, RhaiResult};
    use crate::runtime::options;
    use crate::tensor::Tensor;
    use rhai::{FLOAT, INT};

    /// AdamW (Loshchilov & Hutter 2019) over `params` (a network, a parameter or an array of them).
    /// Options (PyTorch's defaults): `#{ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.01 }`;
    /// every optimizer also takes `schedule` ("constant"|"cosine"|"linear"), `warmup` (steps), `total`
    /// (the step where decay ends), `floor` (final factor) and `clip` (max global gradient norm).
    #[rhai_fn(return_raw)]
    pub fn adamw(ctx: NativeCallContext, params: Params, options: Options) -> RhaiResult<Optimizer> {
        guard(&ctx, || {
            let o = options::CheckedOptions::new(options, ADAMW_KEYS)?;
            let d = AdamWConfig::default();
            let (beta1, beta2) = o.pair_or("betas", (d.beta1, d.beta2))?;
            let config = AdamWConfig {
                lr: o.f64_in("lr", d.lr, crate::runtime::options::Range::Positive)?,
                beta1,
                beta2,
                eps: o.f64_in("eps", d.eps, crate::runtime::options::Range::Positive)?,
                weight_decay: o.f64_in("weight_decay", d.weight_decay, crate::runtime::options::Range::NonNegative)?,
            };
            let mut opt = crate::nn::optim::Optimizer::adamw(&param_list(&params)?, config)?;
            common(&mut opt, &o)?;
            Ok(Shared::new(opt))
        })
    }
    #[rhai_fn(name = "adamw", return_raw)]
    pub fn adamw_default(ctx: NativeCallContext, params: Params) -> RhaiResult<Optimizer> {
        adamw(ctx, params, Options::new())
    }

    /// Stochastic gradient descent over `params`, with optional momentum (PyTorch's rule).
    /// Options: `#{ lr: 1e-3, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false }`, and the
    /// shared `schedule`, `warmup`, `total`, `floor`, `clip` (see adamw).
    #[rhai_fn(return_raw)]
    pub fn sgd(ctx: NativeCallContext, params: Params, options: Options) -> RhaiResult<Optimizer> {
        guard(&ctx, || {
            let o = options::CheckedOptions::new(options, SGD_KEYS)?;
            let config = SgdConfig {
                lr: o.f64_in("lr", 1e-3, crate::runtime::options::Range::Positive)?,
                momentum: o.f64_in("momentum", 0.0, crate::runtime::options::Range::UnitOpenAbove)?,
                dampening: o.f64_in("dampening", 0.0, crate::runtime::options::Range::Unit)?,
                weight_decay: o.f64_in("weight_decay", 0.0, crate::runtime::options::Range::NonNegative)?,
                nesterov: o.bool_or("nesterov", false)?,
            };
            let mut opt = crate::nn::optim::Optimizer::sgd(&param_list(&params)?, config)?;
            common(&mut opt, &o)?;
            Ok(Shared::new(opt))
        })
    }
    #[rhai_fn(name = "sgd", return_raw)]
    pub fn sgd_default(ctx: NativeCallContext, params: Params) -> RhaiResult<Optimizer> {
        sgd(ctx, params, Options::new())
    }

    /// Back-propagates `loss`, updates every parameter once and returns the loss value;
    /// a NaN or infinite loss is an error naming the step.
    #[rhai_fn(return_raw)]
    pub fn step(ctx: NativeCallContext, opt: &mut Optimizer, loss: Tensor) -> RhaiResult<FLOAT> {
        guard(&ctx, || opt.lock().step(&loss))
    }

    /// The learning rate the next step uses (the base rate times the schedule's factor).
    #[rhai_fn(get = "lr")]
    pub fn lr(opt: &mut Optimizer) -> FLOAT {
        opt.lock().lr()
    }

    /// Sets the base learning rate: `opt.lr = 1e-4`.
    #[rhai_fn(set = "lr", return_raw)]
    pub fn set_lr(ctx: NativeCallContext, opt: &mut Optimizer, lr: Number) -> RhaiResult<()> {
        guard(&ctx, || opt.lock().set_lr(number_arg("lr", &lr)?))
    }

    /// How many steps the optimizer has taken.
    #[rhai_fn(get = "steps")]
    pub fn steps(opt: &mut Optimizer) -> INT {
        opt.lock().steps() as INT
    }

    /// Where the optimizer's parameters and state (moments, momentum buffers) live: a device's
    /// name, or several joined by ", " if they are spread out.
    #[rhai_fn(name = "device")]
    pub fn device(opt: &mut Optimizer) -> String {
        let names: Vec<String> = opt.lock().devices().iter().map(crate::tensor::device::device_name).collect();
        names.join(", ")
    }

    /// The parameters the optimizer updates.
    #[rhai_fn(get = "params")]
    pub fn params(opt: &mut Optimizer) -> rhai::Array {
        opt.lock().params().into_iter().map(Dynamic::from).collect()
    }

    /// Saves the optimizer's state (moments, step count, schedule) to resume training later.
    #[rhai_fn(name = "save", return_raw)]
    pub fn save(ctx: NativeCallContext, opt: &mut Optimizer, path: &str) -> RhaiResult<()> {
        guard(&ctx, || opt.lock().save(std::path::Path::new(path)))
    }

    /// Restores state saved by `opt.save(path)` into an optimizer of the same kind and parameters.
    #[rhai_fn(name = "load", return_raw)]
    pub fn load(ctx: NativeCallContext, opt: &mut Optimizer, path: &str) -> RhaiResult<()> {
        guard(&ctx, || opt.lock().load(std::path::Path::new(path)))
    }

    /// A one-line summary: the rule, learning rate, parameter count and steps.
    #[rhai_fn(name = "to_string", name = "to_debug")]
    pub fn describe_optimizer(opt: &mut Optimizer) -> String {
        opt.lock().to_string()
    }
}

/// The module of optimizers.
pub fn module() -> Module {
    exported_module!(api)
}
