//! Training aids from scripts: EMA of weights, the cross-entropy loss, and
//! progress reporting for loops written in Rhai.

use crate::progress::Progress;
use rhai::plugin::*;
use std::sync::{Arc, Mutex};

const EMA_KEYS: &[&str] = &["decay", "warmup"];
const PROGRESS_KEYS: &[&str] = &["label"];

/// The option keys of this module's functions (for completion).
pub const OPTIONS: &[(&str, &[&str])] = &[("ema", EMA_KEYS), ("progress", PROGRESS_KEYS)];

/// A number or one-element tensor written with 4 decimals, anything else as it prints.
fn short(v: &Dynamic) -> String {
    if let Ok(f) = v.as_float() {
        return format!("{f:.4}");
    }
    if let Some(t) = v.read_lock::<crate::tensor::Tensor>() {
        if let Ok(x) = t.to_scalar_f64() {
            return format!("{x:.4}");
        }
    }
    v.to_string()
}

/// A progress handle scripts can hold (shared, so copies report to one bar).
#[derive(Clone)]
pub struct ScriptProgress(pub Arc<Mutex<Progress>>);

#[export_module]
mod api {
    use super::{short, ScriptProgress, EMA_KEYS, PROGRESS_KEYS};
    use crate::runtime::shared::Shared;

    /// An EMA as scripts hold it: shared by every variable that refers to it.
    pub type Ema = Shared<crate::nn::ema::Ema>;
    use crate::nn::network::Network;
    use crate::progress::Progress;
    use crate::runtime::api::Options;
    use crate::runtime::error::{guard, RhaiResult};
    use crate::runtime::options;
    use crate::tensor::Tensor;
    use rhai::{Map, INT};
    use std::path::Path;

    /// An exponential moving average of `net`'s weights: `ema(net, #{ decay: 0.999, warmup: true })`.
    /// With warmup the decay at update n is min(decay, (1 + n)/(10 + n)).
    #[rhai_fn(return_raw)]
    pub fn ema(ctx: NativeCallContext, net: Network, options: Options) -> RhaiResult<Ema> {
        guard(&ctx, || {
            let o = options::CheckedOptions::new(options, EMA_KEYS)?;
            Ok(Shared::new(crate::nn::ema::Ema::new(
                &net,
                o.f64_in("decay", 0.999, crate::runtime::options::Range::Unit)?,
                o.bool_or("warmup", true)?,
            )?))
        })
    }

    /// Moves the average towards `net`'s current weights.
    #[rhai_fn(name = "update", return_raw)]
    pub fn update(ctx: NativeCallContext, ema: &mut Ema, net: Network) -> RhaiResult<()> {
        guard(&ctx, || ema.lock().update(&net))
    }

    /// The averaged network (evaluation mode), usable anywhere a network is.
    #[rhai_fn(get = "net")]
    pub fn averaged(ema: &mut Ema) -> Network {
        ema.lock().network().clone()
    }

    /// The device the averaged weights are on.
    #[rhai_fn(name = "device")]
    pub fn device(ema: &mut Ema) -> String {
        crate::tensor::device::device_name(&ema.lock().network().device())
    }

    /// How many updates the average has seen.
    #[rhai_fn(get = "updates")]
    pub fn updates(ema: &mut Ema) -> INT {
        ema.lock().updates() as INT
    }

    /// Saves the averaged weights and counters, to resume training later.
    #[rhai_fn(name = "save", return_raw)]
    pub fn save(ctx: NativeCallContext, ema: &mut Ema, path: &str) -> RhaiResult<()> {
        guard(&ctx, || ema.lock().save(Path::new(path)))
    }

    /// Restores an average saved by `ema.save(path)`.
    #[rhai_fn(name = "load", return_raw)]
    pub fn load(ctx: NativeCallContext, ema: &mut Ema, path: &str) -> RhaiResult<()> {
        guard(&ctx, || ema.lock().load(Path::new(path)))
    }

    /// A summary of the average.
    #[rhai_fn(name = "to_string", name = "to_debug")]
    pub fn describe(ema: &mut Ema) -> String {
        let e = ema.lock();
        format!("ema(decay {}, {} updates) of {}", e.decay(), e.updates(), e.network().describe())
    }

    /// The mean cross-entropy of `logits` [N, C] against integer `labels` [N] (a differentiable scalar).
    #[rhai_fn(return_raw)]
    pub fn cross_entropy(ctx: NativeCallContext, logits: Tensor, labels: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || crate::nn::functional::cross_entropy(&logits, &labels))
    }

    /// The fraction of rows whose largest logit is at the label.
    #[rhai_fn(return_raw)]
    pub fn accuracy(ctx: NativeCallContext, logits: Tensor, labels: Tensor) -> RhaiResult<rhai::FLOAT> {
        guard(&ctx, || crate::nn::functional::accuracy(&logits, &labels))
    }

    /// Starts a progress display for `total` steps: `let p = progress(1000, #{ label: "train" });`.
    /// A bar in a terminal, nothing when output goes to a file.
    #[rhai_fn(return_raw)]
    pub fn progress(ctx: NativeCallContext, total: INT, options: Options) -> RhaiResult<ScriptProgress> {
        guard(&ctx, || {
            let o = options::CheckedOptions::new(options, PROGRESS_KEYS)?;
            let label = o.opt_string("label")?.unwrap_or_default();
            Ok(ScriptProgress(std::sync::Arc::new(std::sync::Mutex::new(Progress::new(
                &label,
                u64::try_from(total).ok(),
            )))))
        })
    }

    /// Reports `step` steps done, with values to show: `p.update(step, #{ loss: l })`.
    #[rhai_fn(name = "update")]
    pub fn progress_update(p: &mut ScriptProgress, step: INT, values: Map) {
        let message: Vec<String> = values.iter().map(|(k, v)| format!("{k} {}", short(v))).collect();
        p.0.lock().unwrap_or_else(|e| e.into_inner()).set(step.max(0) as u64, &message.join(", "));
    }

    /// Ends the progress display.
    #[rhai_fn(name = "finish")]
    pub fn progress_finish(p: &mut ScriptProgress) {
        p.0.lock().unwrap_or_else(|e| e.into_inner()).finish();
    }
}

/// The module of training aids.
pub fn module() -> Module {
    exported_module!(api)
}
