//! Reductions: `sum mean max min std variance argmax argmin`, over every element
//! (`x.sum()`), along one dimension (`x.sum(0)`), optionally keeping it (`x.sum(0, true)`).

use crate::runtime::error::guard;
use crate::tensor::reduce::Reduce;
use crate::tensor::Tensor;
use rhai::plugin::*;
use rhai::{FuncRegistration, INT};

const REDUCTIONS: &[(&str, Reduce, &str)] = &[
    ("sum", Reduce::Sum, "The sum"),
    ("mean", Reduce::Mean, "The mean"),
    ("max", Reduce::Max, "The largest element"),
    ("min", Reduce::Min, "The smallest element"),
    // `var` is a reserved word in Rhai, so the variance goes by its full name
    ("variance", Reduce::Var, "The unbiased variance (n − 1 in the denominator)"),
    ("std", Reduce::Std, "The unbiased standard deviation (n − 1 in the denominator)"),
    ("argmax", Reduce::Argmax, "The index (i64) of the largest element"),
    ("argmin", Reduce::Argmin, "The index (i64) of the smallest element"),
];

/// The module of reductions.
pub fn module() -> Module {
    let mut m = Module::new();
    for &(name, op, what) in REDUCTIONS {
        let doc = format!(
            "/// {what}: of every element (a 0-d tensor) or along `dim`.\n/// A negative `dim` counts from the end; `keepdim` keeps the reduced dimension with size 1."
        );
        FuncRegistration::new(name)
            .with_comments([doc.clone()])
            .with_params_info(["x: Tensor", "Tensor"])
            .set_into_module(&mut m, move |ctx: NativeCallContext, x: Tensor| {
                guard(&ctx, || x.reduce(op, None, false))
            });
        FuncRegistration::new(name)
            .with_comments([doc.clone()])
            .with_params_info(["x: Tensor", "dim: int", "Tensor"])
            .set_into_module(&mut m, move |ctx: NativeCallContext, x: Tensor, dim: INT| {
                guard(&ctx, || x.reduce(op, Some(dim), false))
            });
        FuncRegistration::new(name)
            .with_comments([doc])
            .with_params_info(["x: Tensor", "dim: int", "keepdim: bool", "Tensor"])
            .set_into_module(&mut m, move |ctx: NativeCallContext, x: Tensor, dim: INT, keepdim: bool| {
                guard(&ctx, || x.reduce(op, Some(dim), keepdim))
            });
    }
    m
}
