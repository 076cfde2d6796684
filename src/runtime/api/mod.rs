//! Every built-in a script can call, one plugin module per group. Each module
//! is the single registration point of its functions: their `///` docs and
//! parameter names feed `help`, REPL completion and Jupyter inspect.

pub mod arith;
pub mod autograd;
pub mod core;
pub mod create;
pub mod data;
pub mod diffusion;
pub mod experiment;
pub mod files;
pub mod guidance;
pub mod layers;
pub mod math;
pub mod methods;
pub mod metrics;
pub mod nn;
pub mod optim;
pub mod plot;
pub mod pretrained;
pub mod reduce;
pub mod sample;
pub mod shape;
pub mod training;
pub mod values;

use crate::runtime::shared;
use rhai::{Dynamic, Engine, Map, Module};

/// A number argument: an int or a float (`3` or `3.0`).
pub type Number = Dynamic;
/// A tensor, or anything that converts to one: a number or a nested array.
pub type TensorLike = Dynamic;
/// An option map such as `#{ lr: 1e-3 }`.
pub type Options = Map;
/// What an optimizer trains: a parameter tensor or an array of them.
pub type Params = Dynamic;
/// What `sample` draws from: a denoiser or a mixture.
pub type DenoiserLike = Dynamic;

/// A group of built-ins as `help()` lists them.
pub struct Group {
    /// The heading.
    pub name: &'static str,
    /// Builds the Rhai module holding the group's functions.
    pub module: fn() -> Module,
}

/// Every group, in the order `help()` shows them.
pub const GROUPS: &[Group] = &[
    Group { name: "core", module: core::module },
    Group { name: "create tensors", module: create::module },
    Group { name: "arithmetic and comparison", module: arith::module },
    Group { name: "math", module: math::module },
    Group { name: "reductions", module: reduce::module },
    Group { name: "shape", module: shape::module },
    Group { name: "values and types", module: values::module },
    Group { name: "autograd", module: autograd::module },
    Group { name: "optimizers", module: optim::module },
    Group { name: "networks", module: nn::module },
    Group { name: "layers", module: layers::module },
    Group { name: "training", module: training::module },
    Group { name: "schedules and losses", module: diffusion::module },
    Group { name: "sampling", module: sample::module },
    Group { name: "pretrained models", module: pretrained::module },
    Group { name: "class conditioning", module: guidance::module },
    Group { name: "methods", module: methods::module },
    Group { name: "metrics", module: metrics::module },
    Group { name: "data", module: data::module },
    Group { name: "plots", module: plot::module },
    Group { name: "files", module: files::module },
    Group { name: "experiments", module: experiment::module },
];

/// The option keys a built-in accepts in its `#{ ... }` map (for completion).
pub fn option_keys(function: &str) -> Vec<&'static str> {
    let tables = [
        create::OPTIONS,
        optim::OPTIONS,
        nn::OPTIONS,
        layers::OPTIONS,
        training::OPTIONS,
        diffusion::OPTIONS,
        data::OPTIONS,
        metrics::OPTIONS,
        files::OPTIONS,
        experiment::OPTIONS,
        methods::OPTIONS,
        sample::OPTIONS,
        pretrained::OPTIONS,
        guidance::OPTIONS,
        plot::OTHER_OPTIONS,
    ];
    let mut keys: Vec<&'static str> = tables
        .iter()
        .flat_map(|t| t.iter())
        .filter(|(f, _)| *f == function)
        .flat_map(|(_, k)| k.iter().copied())
        .collect();
    if let Some((_, own)) = plot::OPTIONS.iter().find(|(f, _)| *f == function) {
        keys.extend(own.iter().chain(plot::FRAME).copied());
    }
    if function == "sample" {
        keys.extend(sample::COMMON);
        keys.extend(crate::diffusion::samplers::SAMPLERS.iter().flat_map(|s| s.options.iter().map(|o| o.key)));
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Registers the names scripts see for difflab's types.
pub fn register_types(engine: &mut Engine) {
    engine.register_type_with_name::<crate::tensor::Tensor>("Tensor");
    engine.register_type_with_name::<shared::Shared<crate::nn::optim::Optimizer>>("Optimizer");
    engine.register_type_with_name::<crate::nn::network::Network>("Network");
    engine.register_type_with_name::<crate::nn::layer::value::Layer>("Layer");
    engine.register_type_with_name::<crate::nn::composed::Layers>("Layers");
    engine.register_type_with_name::<shared::Shared<crate::nn::ema::Ema>>("Ema");
    engine.register_type_with_name::<crate::diffusion::schedule::Schedule>("Schedule");
    engine.register_type_with_name::<crate::diffusion::mixture::Mixture>("Mixture");
    engine.register_type_with_name::<training::ScriptProgress>("Progress");
    engine.register_type_with_name::<sample::ScriptDenoiser>("Denoiser");
    engine.register_type_with_name::<crate::plot::Figure>("Figure");
    engine.register_type_with_name::<crate::plot::animation::Animation>("Animation");
}

/// Registers every group's functions and the `@` operator into `engine`.
pub fn register_all(engine: &mut Engine) {
    register_types(engine);
    for group in GROUPS {
        engine.register_global_module((group.module)().into());
    }
    engine.register_custom_operator("@", 180).expect("`@` is a reserved symbol Rhai allows as a custom operator");
}
