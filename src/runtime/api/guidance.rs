//! Class conditioning from scripts: `den.guided(#{ labels, scale })`, the classifier-free-guided
//! denoiser of a class-conditional one, and `class_mixture`, an exact class-conditional
//! Gaussian mixture to study guidance on.

use rhai::plugin::*;

const GUIDED_KEYS: &[&str] = &["labels", "scale", "null_label"];
const CLASS_MIXTURE_KEYS: &[&str] = &["prior"];

/// The option keys of this module's functions (for completion).
pub const OPTIONS: &[(&str, &[&str])] = &[("guided", GUIDED_KEYS), ("class_mixture", CLASS_MIXTURE_KEYS)];

#[export_module]
mod api {
    use super::{CLASS_MIXTURE_KEYS, GUIDED_KEYS};
    use crate::diffusion::class_mixture::ClassMixture;
    use crate::diffusion::guidance::Guided;
    use crate::diffusion::mixture::Mixture;
    use crate::runtime::api::sample::ScriptDenoiser;
    use crate::runtime::api::Options;
    use crate::runtime::convert::{describe, label_tensor, number};
    use crate::runtime::error::{guard, RhaiResult};
    use crate::runtime::options::CheckedOptions;
    use rhai::Array;
    use std::sync::Arc;

    /// The classifier-free-guided denoiser (Ho & Salimans 2022) of a class-conditional one:
    /// D = D_u + scale·(D_c − D_u), D_c at each row's class and D_u at the null label, both in
    /// one batched call (a guided step is one evaluation of twice the rows). Options: labels
    /// (required: one integer for every row, or one per row as an array or `[N]` tensor), scale
    /// (1: the conditional model; 0: the unconditional one; > 1 sharper classes), null_label (the
    /// label the model was trained with for "no class": K for a network made with
    /// `#{ classes: K }` and for `class_mixture`; a pretrained model's class table has no null
    /// row, so give the one its training used).
    #[rhai_fn(return_raw)]
    pub fn guided(ctx: NativeCallContext, den: &mut ScriptDenoiser, options: Options) -> RhaiResult<ScriptDenoiser> {
        guard(&ctx, || {
            let o = CheckedOptions::new(options, GUIDED_KEYS)?;
            let ScriptDenoiser::Native(inner) = den else {
                crate::bail!("a denoiser written as a script function takes no class labels");
            };
            let Some(labels) = o.opt_value("labels") else {
                crate::bail!("guided needs `labels`: the class of each row (or one for all)");
            };
            let labels = label_tensor(&labels).map_err(|e| e.context("option `labels`"))?;
            let null = match o.opt_value("null_label") {
                Some(v) => o.count_in("null_label", 0, 0..=1 << 20).map_err(|_| {
                    crate::Error::new(format!("option `null_label` must be an integer >= 0, got {}", describe(&v)))
                })?,
                None => inner.null_label().ok_or_else(|| {
                    crate::Error::new(
                        "this model has no null label (a pretrained model's class table has no \"no class\" row): give null_label, the label its training used for it",
                    )
                })?,
            };
            let scale = o.f64_or("scale", 1.0)?;
            Ok(ScriptDenoiser::Native(Arc::new(Guided::new(inner.clone(), &labels, null, scale)?)))
        })
    }

    /// An exact class-conditional Gaussian mixture, one mixture per class:
    /// `class_mixture([gaussians_ring(4, 2.0, 0.2), mixture(#{ means: [[0.0, 0.0]] })], #{ prior: [0.5, 0.5] })`.
    /// Its denoiser takes labels (`den.with_labels(k)`, `den.guided(#{ labels, scale })`); with
    /// none, or the null label K (the class count), it is the mixture of every class weighted by
    /// its prior (equal when no prior is given).
    #[rhai_fn(return_raw)]
    pub fn class_mixture(ctx: NativeCallContext, classes: Array, options: Options) -> RhaiResult<ScriptDenoiser> {
        guard(&ctx, || Ok(ScriptDenoiser::Native(Arc::new(class_mixture_of(classes, options)?))))
    }
    #[rhai_fn(name = "class_mixture", return_raw)]
    pub fn class_mixture_default(ctx: NativeCallContext, classes: Array) -> RhaiResult<ScriptDenoiser> {
        class_mixture(ctx, classes, rhai::Map::new())
    }

    /// Reads `class_mixture`'s arguments.
    fn class_mixture_of(classes: Array, options: Options) -> crate::Result<ClassMixture> {
        let o = CheckedOptions::new(options, CLASS_MIXTURE_KEYS)?;
        let mixtures = classes
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.read_lock::<Mixture>().map(|m| m.clone()).ok_or_else(|| {
                    crate::Error::new(format!(
                        "class {i} must be a mixture (gaussians_ring, mixture(...)), got {}",
                        describe(v)
                    ))
                })
            })
            .collect::<crate::Result<Vec<_>>>()?;
        let prior = match o.opt_array("prior")? {
            Some(list) => list.iter().map(number).collect::<crate::Result<Vec<_>>>()?,
            None => vec![1.0; mixtures.len()],
        };
        ClassMixture::new(mixtures, prior)
    }
}

/// The module of class-conditioning built-ins.
pub fn module() -> Module {
    exported_module!(api)
}
