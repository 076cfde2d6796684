//! The 2-D convolution over a parameter path (`path.weight` `[out, in/groups, k, k]`,
//! `path.bias` `[out]`); ungrouped ones take the fused CPU kernel where it applies.

use crate::error::Result;
use crate::nn::functional;
use crate::nn::params::{child, Init, ParamStore};
use crate::tensor::create::Placement;
use candle_core::Tensor;

/// A convolution of `[N, C, H, W]` images.
#[derive(Clone, Debug)]
pub struct Conv2d {
    /// `[out, in/groups, k, k]`.
    pub weight: Tensor,
    /// `[out]`.
    pub bias: Tensor,
    /// The step between windows.
    pub stride: usize,
    /// Zeros added on each side.
    pub padding: usize,
    /// Channel groups.
    pub groups: usize,
}

impl Conv2d {
    /// Creates `path.weight` and `path.bias` for a `k`×`k` kernel from `inputs` to `outputs`
    /// channels in `groups` groups, both U(±1/√fan_in) (PyTorch's default, fan_in = in/groups·k²).
    pub fn init(
        store: &mut ParamStore,
        path: &str,
        (inputs, outputs, k): (usize, usize, usize),
        groups: usize,
        at: &Placement,
    ) -> Result<()> {
        let init = Init::fan_in(inputs / groups * k * k);
        store.param(child(path, "weight"), &[outputs, inputs / groups, k, k], init, at)?;
        store.param(child(path, "bias"), &[outputs], init, at)
    }

    /// The convolution at `path` with the given stride and padding, ungrouped.
    pub fn at(store: &ParamStore, path: &str, stride: usize, padding: usize) -> Result<Self> {
        Ok(Self {
            weight: store.get(&child(path, "weight"))?,
            bias: store.get(&child(path, "bias"))?,
            stride,
            padding,
            groups: 1,
        })
    }

    /// The convolution at `path` with "same" padding (`k / 2`).
    pub fn same(store: &ParamStore, path: &str, stride: usize) -> Result<Self> {
        let conv = Self::at(store, path, stride, 0)?;
        let padding = conv.weight.dim(2)? / 2;
        Ok(Self { padding, ..conv })
    }

    /// The output for `x`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_with_bias(x, &self.bias)
    }

    /// The output for `x` with `bias` (`[out]`, or `[N, out]`: one per image) in place of the
    /// layer's own.
    pub fn forward_with_bias(&self, x: &Tensor, bias: &Tensor) -> Result<Tensor> {
        if self.groups == 1 {
            return functional::conv2d(x, &self.weight, bias, self.stride, self.padding);
        }
        let y = x.conv2d(&self.weight, self.padding, self.stride, 1, self.groups)?;
        Ok(y.broadcast_add(&bias.reshape((1, bias.elem_count(), 1, 1))?)?)
    }
}
