//! Shape built-ins: inspect, reshape, reorder, join, slice and index.

use rhai::plugin::*;

#[export_module]
mod api {
    use super::first_dim_slice;
    use crate::runtime::api::TensorLike;
    use crate::runtime::convert::{count_arg, ints, shape as parse_shape, tensor_like, tensors};
    use crate::runtime::error::{guard, RhaiResult};
    use crate::tensor::{shape as ops, Tensor};
    use rhai::{Array, INT};

    /// The size of every dimension, as an array: `randn([2, 3]).shape()` (or the property `.shape`) is `[2, 3]`.
    pub fn shape(x: Tensor) -> Array {
        x.dims().iter().map(|&d| Dynamic::from_int(d as INT)).collect()
    }

    /// `x.shape`: the size of every dimension, the same array as `x.shape()`.
    #[rhai_fn(get = "shape", pure)]
    pub fn shape_property(x: &mut Tensor) -> Array {
        shape(x.clone())
    }

    /// The size of the first dimension (1 for a 0-d tensor), as Python's len.
    pub fn len(x: Tensor) -> INT {
        x.dims().first().copied().unwrap_or(1) as INT
    }

    /// The number of elements.
    pub fn numel(x: Tensor) -> INT {
        x.numel() as INT
    }

    /// The number of dimensions.
    pub fn ndim(x: Tensor) -> INT {
        x.rank() as INT
    }

    /// The same data in a new shape; one dimension may be -1: `x.reshape([-1, 2])`.
    #[rhai_fn(return_raw)]
    pub fn reshape(ctx: NativeCallContext, x: Tensor, shape: Array) -> RhaiResult<Tensor> {
        guard(&ctx, || x.reshape(&ints(&shape)?))
    }

    /// Swaps dimensions `d0` and `d1`.
    #[rhai_fn(return_raw)]
    pub fn transpose(ctx: NativeCallContext, x: Tensor, d0: INT, d1: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || x.transpose(d0, d1))
    }

    /// The transpose of the last two dimensions.
    #[rhai_fn(return_raw)]
    pub fn t(ctx: NativeCallContext, x: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || x.t())
    }

    /// Reorders the dimensions: `x.permute([0, 2, 1])`.
    #[rhai_fn(return_raw)]
    pub fn permute(ctx: NativeCallContext, x: Tensor, order: Array) -> RhaiResult<Tensor> {
        guard(&ctx, || x.permute(&ints(&order)?))
    }

    /// Removes every dimension of size 1, or only `dim` (which must have size 1).
    #[rhai_fn(return_raw)]
    pub fn squeeze(ctx: NativeCallContext, x: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || x.squeeze_all())
    }
    #[rhai_fn(name = "squeeze", return_raw)]
    pub fn squeeze_dim(ctx: NativeCallContext, x: Tensor, dim: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || x.squeeze(dim))
    }

    /// Inserts a dimension of size 1 at `dim`.
    #[rhai_fn(return_raw)]
    pub fn unsqueeze(ctx: NativeCallContext, x: Tensor, dim: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || x.unsqueeze(dim))
    }

    /// Merges dimensions `start..=end` (default: all) into one.
    #[rhai_fn(return_raw)]
    pub fn flatten(ctx: NativeCallContext, x: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || x.flatten(0, -1))
    }
    #[rhai_fn(name = "flatten", return_raw)]
    pub fn flatten_from(ctx: NativeCallContext, x: Tensor, start: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || x.flatten(start, -1))
    }
    #[rhai_fn(name = "flatten", return_raw)]
    pub fn flatten_range(ctx: NativeCallContext, x: Tensor, start: INT, end: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || x.flatten(start, end))
    }

    /// Joins tensors along an existing dimension (default 0): `cat([a, b], 0)`.
    #[rhai_fn(return_raw)]
    pub fn cat(ctx: NativeCallContext, parts: Array) -> RhaiResult<Tensor> {
        guard(&ctx, || ops::cat(&tensors(&parts)?, 0))
    }
    #[rhai_fn(name = "cat", return_raw)]
    pub fn cat_dim(ctx: NativeCallContext, parts: Array, dim: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || ops::cat(&tensors(&parts)?, dim))
    }

    /// Stacks same-shaped tensors along a new dimension (default 0): `stack([a, b], 1)`.
    #[rhai_fn(return_raw)]
    pub fn stack(ctx: NativeCallContext, parts: Array) -> RhaiResult<Tensor> {
        guard(&ctx, || ops::stack(&tensors(&parts)?, 0))
    }
    #[rhai_fn(name = "stack", return_raw)]
    pub fn stack_dim(ctx: NativeCallContext, parts: Array, dim: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || ops::stack(&tensors(&parts)?, dim))
    }

    /// `len` entries of dimension `dim` starting at `start`.
    #[rhai_fn(return_raw)]
    pub fn narrow(ctx: NativeCallContext, x: Tensor, dim: INT, start: INT, len: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || x.narrow(dim, start, count_arg("len", len)?))
    }

    /// Entries `start..end` (by `step`) of dimension `dim`, Python-style: negative bounds count from the end.
    #[rhai_fn(return_raw)]
    pub fn slice(ctx: NativeCallContext, x: Tensor, dim: INT, start: INT, end: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || x.slice(dim, start, end, 1))
    }
    #[rhai_fn(name = "slice", return_raw)]
    pub fn slice_step(
        ctx: NativeCallContext,
        x: Tensor,
        dim: INT,
        start: INT,
        end: INT,
        step: INT,
    ) -> RhaiResult<Tensor> {
        guard(&ctx, || x.slice(dim, start, end, step))
    }

    /// Picks entries of dimension `dim` by integer indices (a tensor or an array): `x.index_select([2, 0], 0)`.
    #[rhai_fn(return_raw)]
    pub fn index_select(ctx: NativeCallContext, x: Tensor, indices: TensorLike, dim: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || x.index_select(&tensor_like(&indices, None)?, dim))
    }

    /// A broadcast view with the given shape: `b.broadcast_as([4, 3])`.
    #[rhai_fn(return_raw)]
    pub fn broadcast_as(ctx: NativeCallContext, x: Tensor, shape: Array) -> RhaiResult<Tensor> {
        guard(&ctx, || x.broadcast_as(&parse_shape(&shape)?))
    }

    /// `x[i]`: the entry `i` of the first dimension (negative counts from the end).
    #[rhai_fn(index_get, return_raw)]
    pub fn get(ctx: NativeCallContext, x: &mut Tensor, i: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || x.get(i))
    }

    /// `x[a..b]`: entries `a` to `b - 1` of the first dimension, as Python's `x[a:b]` (negative bounds
    /// count from the end; bounds past either end are clamped).
    #[rhai_fn(index_get, return_raw)]
    pub fn get_range(ctx: NativeCallContext, x: &mut Tensor, range: std::ops::Range<INT>) -> RhaiResult<Tensor> {
        guard(&ctx, || first_dim_slice(x, range.start, range.end))
    }

    /// `x[a..=b]`: entries `a` to `b` of the first dimension, as Python's `x[a:b+1]` (negative bounds
    /// count from the end, `x[-3..=-1]` being the last three; bounds past either end are clamped).
    #[rhai_fn(index_get, return_raw)]
    pub fn get_range_inclusive(
        ctx: NativeCallContext,
        x: &mut Tensor,
        range: std::ops::RangeInclusive<INT>,
    ) -> RhaiResult<Tensor> {
        let size = x.dims().first().map_or(0, |&d| d as INT);
        let end = match *range.end() {
            e if e < 0 => (e + size + 1).max(0),
            e => e.saturating_add(1),
        };
        guard(&ctx, || first_dim_slice(x, *range.start(), end))
    }
}

/// Entries `start..end` of the first dimension, bounds as Python's slices take them.
fn first_dim_slice(
    x: &crate::tensor::Tensor,
    start: rhai::INT,
    end: rhai::INT,
) -> crate::Result<crate::tensor::Tensor> {
    if x.rank() == 0 {
        crate::bail!("a 0-dimensional tensor has no first dimension to slice");
    }
    x.slice(0, start, end, 1)
}

/// The module of shape operations.
pub fn module() -> Module {
    exported_module!(api)
}
