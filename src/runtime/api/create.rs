//! Built-ins that make tensors: filled, ranged, random and from arrays.

use crate::runtime::api::Options;
use crate::tensor::create::{self, Placement};
use crate::tensor::dtype::DEFAULT_FLOAT;
use crate::tensor::{DType, Tensor};
use rhai::plugin::*;

const PLACEMENT_KEYS: &[&str] = &["dtype", "device"];

/// The option keys of this module's functions (for completion).
pub const OPTIONS: &[(&str, &[&str])] = &[
    ("zeros", PLACEMENT_KEYS),
    ("ones", PLACEMENT_KEYS),
    ("full", PLACEMENT_KEYS),
    ("randn", PLACEMENT_KEYS),
    ("rand", PLACEMENT_KEYS),
    ("arange", PLACEMENT_KEYS),
    ("linspace", PLACEMENT_KEYS),
    ("eye", PLACEMENT_KEYS),
    ("tensor", PLACEMENT_KEYS),
];

/// The `#{ dtype, device }` options of a constructor.
fn placement(options: Options, fallback: DType) -> crate::Result<Placement> {
    crate::runtime::options::CheckedOptions::new(options, PLACEMENT_KEYS)?.placement(fallback)
}

/// The dtype and device of `t`.
fn like(t: &Tensor) -> Placement {
    Placement { dtype: t.dtype(), device: t.device().clone() }
}

/// `arange` with every bound given: integers only give an i64 tensor.
fn arange_in(start: &Dynamic, end: &Dynamic, step: &Dynamic, options: Options) -> crate::Result<Tensor> {
    use crate::runtime::convert::number_arg;
    let all_ints = start.is_int() && end.is_int() && step.is_int();
    let at = placement(options, if all_ints { DType::I64 } else { DEFAULT_FLOAT })?;
    create::arange(number_arg("start", start)?, number_arg("end", end)?, number_arg("step", step)?, &at)
}

#[export_module]
mod api {
    use super::{arange_in, like, placement};
    use crate::runtime::api::{Number, Options, TensorLike};
    use crate::runtime::convert::{count_arg, from_nested, number_arg, shape as parse_shape};
    use crate::runtime::error::{guard, RhaiResult};
    use crate::tensor::create::{self, Placement};
    use crate::tensor::dtype::DEFAULT_FLOAT;
    use crate::tensor::{DType, Tensor};
    use rhai::{Array, INT};

    /// A tensor of zeros: `zeros([2, 3])`; options `#{ dtype: "f64", device: "cpu" }`.
    #[rhai_fn(return_raw)]
    pub fn zeros(ctx: NativeCallContext, shape: Array) -> RhaiResult<Tensor> {
        guard(&ctx, || create::zeros(&parse_shape(&shape)?, &Placement::default()))
    }
    #[rhai_fn(name = "zeros", return_raw)]
    pub fn zeros_with(ctx: NativeCallContext, shape: Array, options: Options) -> RhaiResult<Tensor> {
        guard(&ctx, || create::zeros(&parse_shape(&shape)?, &placement(options, DEFAULT_FLOAT)?))
    }

    /// A tensor of ones: `ones([2, 3])`; options `#{ dtype, device }`.
    #[rhai_fn(return_raw)]
    pub fn ones(ctx: NativeCallContext, shape: Array) -> RhaiResult<Tensor> {
        guard(&ctx, || create::ones(&parse_shape(&shape)?, &Placement::default()))
    }
    #[rhai_fn(name = "ones", return_raw)]
    pub fn ones_with(ctx: NativeCallContext, shape: Array, options: Options) -> RhaiResult<Tensor> {
        guard(&ctx, || create::ones(&parse_shape(&shape)?, &placement(options, DEFAULT_FLOAT)?))
    }

    /// A tensor filled with one value: `full([2, 2], 0.5)`; options `#{ dtype, device }`.
    #[rhai_fn(return_raw)]
    pub fn full(ctx: NativeCallContext, shape: Array, value: Number) -> RhaiResult<Tensor> {
        guard(&ctx, || create::full(&parse_shape(&shape)?, number_arg("value", &value)?, &Placement::default()))
    }
    #[rhai_fn(name = "full", return_raw)]
    pub fn full_with(ctx: NativeCallContext, shape: Array, value: Number, options: Options) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            create::full(&parse_shape(&shape)?, number_arg("value", &value)?, &placement(options, DEFAULT_FLOAT)?)
        })
    }

    /// Standard-normal draws from the seeded generator: `randn([1024, 2])`; options `#{ dtype, device }`.
    #[rhai_fn(return_raw)]
    pub fn randn(ctx: NativeCallContext, shape: Array) -> RhaiResult<Tensor> {
        guard(&ctx, || create::randn(&parse_shape(&shape)?, &Placement::default()))
    }
    #[rhai_fn(name = "randn", return_raw)]
    pub fn randn_with(ctx: NativeCallContext, shape: Array, options: Options) -> RhaiResult<Tensor> {
        guard(&ctx, || create::randn(&parse_shape(&shape)?, &placement(options, DEFAULT_FLOAT)?))
    }

    /// Uniform draws on [0, 1) from the seeded generator: `rand([3])`; options `#{ dtype, device }`.
    #[rhai_fn(return_raw)]
    pub fn rand(ctx: NativeCallContext, shape: Array) -> RhaiResult<Tensor> {
        guard(&ctx, || create::rand(&parse_shape(&shape)?, &Placement::default()))
    }
    #[rhai_fn(name = "rand", return_raw)]
    pub fn rand_with(ctx: NativeCallContext, shape: Array, options: Options) -> RhaiResult<Tensor> {
        guard(&ctx, || create::rand(&parse_shape(&shape)?, &placement(options, DEFAULT_FLOAT)?))
    }

    /// Random integers in [low, high) from the seeded generator, as i64: `randint(0, 10, [5])`.
    #[rhai_fn(return_raw)]
    pub fn randint(ctx: NativeCallContext, low: INT, high: INT, shape: Array) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            create::randint(low, high, &parse_shape(&shape)?, &Placement { dtype: DType::I64, ..Placement::default() })
        })
    }

    /// A random permutation of 0..n (i64) from the seeded generator.
    #[rhai_fn(return_raw)]
    pub fn randperm(ctx: NativeCallContext, n: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || create::randperm(count_arg("n", n)?, &crate::tensor::device::default_device()))
    }

    /// Zeros with the shape, dtype and device of `t`.
    #[rhai_fn(return_raw)]
    pub fn zeros_like(ctx: NativeCallContext, t: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || create::zeros(t.dims(), &like(&t)))
    }

    /// Ones with the shape, dtype and device of `t`.
    #[rhai_fn(return_raw)]
    pub fn ones_like(ctx: NativeCallContext, t: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || create::ones(t.dims(), &like(&t)))
    }

    /// A constant with the shape, dtype and device of `t`.
    #[rhai_fn(return_raw)]
    pub fn full_like(ctx: NativeCallContext, t: Tensor, value: Number) -> RhaiResult<Tensor> {
        guard(&ctx, || create::full(t.dims(), number_arg("value", &value)?, &like(&t)))
    }

    /// Standard-normal draws with the shape, dtype and device of `t`.
    #[rhai_fn(return_raw)]
    pub fn randn_like(ctx: NativeCallContext, t: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || create::randn(t.dims(), &like(&t)))
    }

    /// Uniform [0, 1) draws with the shape, dtype and device of `t`.
    #[rhai_fn(return_raw)]
    pub fn rand_like(ctx: NativeCallContext, t: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || create::rand(t.dims(), &like(&t)))
    }

    /// The values 0, 1, 2, … below `end`: `arange(5)`; integers give i64, floats f32 (as NumPy).
    #[rhai_fn(return_raw)]
    pub fn arange(ctx: NativeCallContext, end: Number) -> RhaiResult<Tensor> {
        guard(&ctx, || arange_in(&Dynamic::from_int(0), &end, &Dynamic::from_int(1), Options::new()))
    }
    #[rhai_fn(name = "arange", return_raw)]
    pub fn arange_from(ctx: NativeCallContext, start: Number, end: Number) -> RhaiResult<Tensor> {
        guard(&ctx, || arange_in(&start, &end, &Dynamic::from_int(1), Options::new()))
    }
    #[rhai_fn(name = "arange", return_raw)]
    pub fn arange_step(ctx: NativeCallContext, start: Number, end: Number, step: Number) -> RhaiResult<Tensor> {
        guard(&ctx, || arange_in(&start, &end, &step, Options::new()))
    }
    #[rhai_fn(name = "arange", return_raw)]
    pub fn arange_with(
        ctx: NativeCallContext,
        start: Number,
        end: Number,
        step: Number,
        options: Options,
    ) -> RhaiResult<Tensor> {
        guard(&ctx, || arange_in(&start, &end, &step, options))
    }

    /// `count` evenly spaced values from `start` to `end`, both included: `linspace(0, 1, 5)`.
    #[rhai_fn(return_raw)]
    pub fn linspace(ctx: NativeCallContext, start: Number, end: Number, count: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            create::linspace(
                number_arg("start", &start)?,
                number_arg("end", &end)?,
                count_arg("count", count)?,
                &Placement::default(),
            )
        })
    }
    #[rhai_fn(name = "linspace", return_raw)]
    pub fn linspace_with(
        ctx: NativeCallContext,
        start: Number,
        end: Number,
        count: INT,
        options: Options,
    ) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            create::linspace(
                number_arg("start", &start)?,
                number_arg("end", &end)?,
                count_arg("count", count)?,
                &placement(options, DEFAULT_FLOAT)?,
            )
        })
    }

    /// The n × n identity matrix; options `#{ dtype, device }`.
    #[rhai_fn(return_raw)]
    pub fn eye(ctx: NativeCallContext, n: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || create::eye(count_arg("n", n)?, &Placement::default()))
    }
    #[rhai_fn(name = "eye", return_raw)]
    pub fn eye_with(ctx: NativeCallContext, n: INT, options: Options) -> RhaiResult<Tensor> {
        guard(&ctx, || create::eye(count_arg("n", n)?, &placement(options, DEFAULT_FLOAT)?))
    }

    /// A tensor from a number or nested array: `tensor([[1.0, 2.0], [3.0, 4.0]])`.
    /// Integers only give i64, any float f32; options `#{ dtype, device }`.
    #[rhai_fn(return_raw)]
    pub fn tensor(ctx: NativeCallContext, values: TensorLike) -> RhaiResult<Tensor> {
        guard(&ctx, || from_nested(&values, crate::runtime::convert::inferred))
    }
    #[rhai_fn(name = "tensor", return_raw)]
    pub fn tensor_with(ctx: NativeCallContext, values: TensorLike, options: Options) -> RhaiResult<Tensor> {
        guard(&ctx, || from_nested(&values, |dtype| placement(options, dtype)))
    }
}

/// The module of tensor constructors.
pub fn module() -> Module {
    exported_module!(api)
}
