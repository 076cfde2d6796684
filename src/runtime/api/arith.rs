//! Operators between tensors and numbers (`+ - * / **`, comparisons, unary
//! `-`, `@`), and the named forms `matmul`, `pow`, `maximum`, `minimum`, `where`.

use crate::runtime::error::guard;
use crate::tensor::ops::{BinaryOp, Compare};
use crate::tensor::Tensor;
use rhai::plugin::*;
use rhai::{FuncRegistration, FLOAT, INT};

#[export_module]
mod api {
    use super::with;
    use crate::runtime::api::TensorLike;
    use crate::runtime::convert::tensor_like;
    use crate::runtime::error::{guard, RhaiResult};
    use crate::tensor::ops::BinaryOp;
    use crate::tensor::Tensor;

    /// The matrix product (NumPy's matmul): 1-D operands are vectors, leading dimensions broadcast.
    #[rhai_fn(return_raw)]
    pub fn matmul(ctx: NativeCallContext, a: Tensor, b: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || a.matmul(&b))
    }

    /// `a @ b`: the matrix product, as `matmul`.
    #[rhai_fn(name = "@", return_raw)]
    pub fn matmul_op(ctx: NativeCallContext, a: Tensor, b: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || a.matmul(&b))
    }

    /// `x` to the power `p` (a number, or a tensor with a positive base), elementwise.
    #[rhai_fn(return_raw)]
    pub fn pow(ctx: NativeCallContext, x: Tensor, p: TensorLike) -> RhaiResult<Tensor> {
        guard(&ctx, || with(&x, BinaryOp::Pow, &p))
    }

    /// The elementwise larger of `a` and `b` (a tensor or a number), with broadcasting.
    #[rhai_fn(return_raw)]
    pub fn maximum(ctx: NativeCallContext, a: Tensor, b: TensorLike) -> RhaiResult<Tensor> {
        guard(&ctx, || with(&a, BinaryOp::Maximum, &b))
    }

    /// The elementwise smaller of `a` and `b` (a tensor or a number), with broadcasting.
    #[rhai_fn(return_raw)]
    pub fn minimum(ctx: NativeCallContext, a: Tensor, b: TensorLike) -> RhaiResult<Tensor> {
        guard(&ctx, || with(&a, BinaryOp::Minimum, &b))
    }

    /// `on_true` where `mask` is non-zero, else `on_false` (tensors or numbers), broadcasting all three.
    #[rhai_fn(name = "where", return_raw)]
    pub fn where_mask(
        ctx: NativeCallContext,
        mask: Tensor,
        on_true: TensorLike,
        on_false: TensorLike,
    ) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            let a = tensor_like(&on_true, Some(&mask))?;
            let b = tensor_like(&on_false, Some(&a))?;
            Tensor::where_mask(&mask, &a, &b)
        })
    }

    /// `-x`: elementwise negation.
    #[rhai_fn(name = "-", return_raw)]
    pub fn neg(ctx: NativeCallContext, x: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || x.unary(crate::tensor::math::Unary::Neg))
    }
}

/// `a op b` where `b` is a number, a tensor, or a nested array.
fn with(a: &Tensor, op: BinaryOp, b: &Dynamic) -> crate::Result<Tensor> {
    if let Ok(x) = b.as_float() {
        return a.binary_scalar(op, x);
    }
    if let Ok(x) = b.as_int() {
        return a.binary_scalar(op, x as f64);
    }
    a.binary(op, &crate::runtime::convert::tensor_like(b, Some(a))?)
}

/// The arithmetic operators, each with a tensor or a number on either side.
const BINARY: &[(&str, BinaryOp, &str)] = &[
    ("+", BinaryOp::Add, "`a + b`: elementwise sum, broadcasting; either side may be a number."),
    ("-", BinaryOp::Sub, "`a - b`: elementwise difference, broadcasting; either side may be a number."),
    ("*", BinaryOp::Mul, "`a * b`: elementwise product, broadcasting; either side may be a number."),
    ("/", BinaryOp::Div, "`a / b`: elementwise quotient, broadcasting; either side may be a number."),
    ("**", BinaryOp::Pow, "`a ** b`: elementwise power; a tensor exponent needs a positive base."),
];

/// The comparison operators; each gives a mask of 1.0 where it holds, 0.0 elsewhere.
const COMPARE: &[(&str, Compare)] = &[
    ("==", Compare::Eq),
    ("!=", Compare::Ne),
    ("<", Compare::Lt),
    ("<=", Compare::Le),
    (">", Compare::Gt),
    (">=", Compare::Ge),
];

/// Flips a comparison for a number on the left: `2 < x` is `x > 2`.
fn mirrored(op: Compare) -> Compare {
    match op {
        Compare::Lt => Compare::Gt,
        Compare::Le => Compare::Ge,
        Compare::Gt => Compare::Lt,
        Compare::Ge => Compare::Le,
        same => same,
    }
}

fn register_binary(m: &mut Module, name: &str, op: BinaryOp, doc: &str) {
    let reg = |types: [&str; 2]| {
        FuncRegistration::new(name).with_comments([format!("/// {doc}")]).with_params_info([
            format!("a: {}", types[0]),
            format!("b: {}", types[1]),
            "Tensor".into(),
        ])
    };
    reg(["Tensor", "Tensor"])
        .set_into_module(m, move |ctx: NativeCallContext, a: Tensor, b: Tensor| guard(&ctx, || a.binary(op, &b)));
    reg(["Tensor", "float"])
        .set_into_module(m, move |ctx: NativeCallContext, a: Tensor, b: FLOAT| guard(&ctx, || a.binary_scalar(op, b)));
    reg(["Tensor", "int"]).set_into_module(m, move |ctx: NativeCallContext, a: Tensor, b: INT| {
        guard(&ctx, || a.binary_scalar(op, b as f64))
    });
    reg(["float", "Tensor"]).set_into_module(m, move |ctx: NativeCallContext, a: FLOAT, b: Tensor| {
        guard(&ctx, || Tensor::scalar_binary(a, op, &b))
    });
    reg(["int", "Tensor"]).set_into_module(m, move |ctx: NativeCallContext, a: INT, b: Tensor| {
        guard(&ctx, || Tensor::scalar_binary(a as f64, op, &b))
    });
}

fn register_compare(m: &mut Module, name: &str, op: Compare) {
    let doc = format!(
        "/// `a {name} b`: a mask, 1.0 where it holds and 0.0 elsewhere, broadcasting; either side may be a number."
    );
    let reg = |types: [&str; 2]| {
        FuncRegistration::new(name).with_comments([doc.clone()]).with_params_info([
            format!("a: {}", types[0]),
            format!("b: {}", types[1]),
            "Tensor".into(),
        ])
    };
    reg(["Tensor", "Tensor"])
        .set_into_module(m, move |ctx: NativeCallContext, a: Tensor, b: Tensor| guard(&ctx, || a.compare(op, &b)));
    reg(["Tensor", "float"])
        .set_into_module(m, move |ctx: NativeCallContext, a: Tensor, b: FLOAT| guard(&ctx, || a.compare_scalar(op, b)));
    reg(["Tensor", "int"]).set_into_module(m, move |ctx: NativeCallContext, a: Tensor, b: INT| {
        guard(&ctx, || a.compare_scalar(op, b as f64))
    });
    let flip = mirrored(op);
    reg(["float", "Tensor"]).set_into_module(m, move |ctx: NativeCallContext, a: FLOAT, b: Tensor| {
        guard(&ctx, || b.compare_scalar(flip, a))
    });
    reg(["int", "Tensor"]).set_into_module(m, move |ctx: NativeCallContext, a: INT, b: Tensor| {
        guard(&ctx, || b.compare_scalar(flip, a as f64))
    });
}

/// The module of operators and their named forms.
pub fn module() -> Module {
    let mut m = exported_module!(api);
    for &(name, op, doc) in BINARY {
        register_binary(&mut m, name, op, doc);
    }
    for &(name, op) in COMPARE {
        register_compare(&mut m, name, op);
    }
    m
}
