//! Elementwise math (`exp log sqrt abs sin cos tanh sigmoid silu relu ...`),
//! `clamp`, and the softmax family.

use crate::runtime::error::guard;
use crate::tensor::math::Unary;
use crate::tensor::Tensor;
use rhai::plugin::*;
use rhai::FuncRegistration;

#[export_module]
mod api {
    use crate::runtime::api::Number;
    use crate::runtime::convert::number_arg;
    use crate::runtime::error::{guard, RhaiResult};
    use crate::tensor::Tensor;
    use rhai::INT;

    /// Limits every element to [min, max].
    #[rhai_fn(return_raw)]
    pub fn clamp(ctx: NativeCallContext, x: Tensor, min: Number, max: Number) -> RhaiResult<Tensor> {
        guard(&ctx, || x.clamp(number_arg("min", &min)?, number_arg("max", &max)?))
    }

    /// exp(x) / sum(exp(x)) along `dim` (negative counts from the end).
    #[rhai_fn(return_raw)]
    pub fn softmax(ctx: NativeCallContext, x: Tensor, dim: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || x.softmax(dim))
    }

    /// log(softmax(x)) along `dim`, computed stably.
    #[rhai_fn(return_raw)]
    pub fn log_softmax(ctx: NativeCallContext, x: Tensor, dim: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || x.log_softmax(dim))
    }
}

/// The elementwise functions, each `name(x: Tensor) -> Tensor`.
const UNARY: &[(&str, Unary, &str)] = &[
    ("exp", Unary::Exp, "e to the power x, elementwise."),
    ("log", Unary::Log, "The natural logarithm, elementwise."),
    ("sqrt", Unary::Sqrt, "The square root, elementwise."),
    ("abs", Unary::Abs, "The absolute value, elementwise."),
    ("sin", Unary::Sin, "The sine, elementwise."),
    ("cos", Unary::Cos, "The cosine, elementwise."),
    ("tanh", Unary::Tanh, "The hyperbolic tangent, elementwise."),
    ("sigmoid", Unary::Sigmoid, "1 / (1 + exp(-x)), elementwise."),
    ("silu", Unary::Silu, "x · sigmoid(x) (SiLU / swish), elementwise."),
    ("relu", Unary::Relu, "max(x, 0), elementwise."),
    ("gelu", Unary::Gelu, "GELU, x · Φ(x) with the exact normal CDF, elementwise."),
    ("square", Unary::Square, "x², elementwise."),
    ("floor", Unary::Floor, "Rounds down, elementwise."),
    ("ceil", Unary::Ceil, "Rounds up, elementwise."),
    ("round", Unary::Round, "Rounds half away from zero, elementwise."),
];

/// The module of math functions.
pub fn module() -> Module {
    let mut m = exported_module!(api);
    for &(name, f, doc) in UNARY {
        FuncRegistration::new(name)
            .with_comments([format!("/// {doc}")])
            .with_params_info(["x: Tensor", "Tensor"])
            .set_into_module(&mut m, move |ctx: NativeCallContext, x: Tensor| guard(&ctx, || x.unary(f)));
    }
    m
}
