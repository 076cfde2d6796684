//! A stack of dense layers on one block of rows, forward and backward, on the calling thread:
//! layer `i` maps its input `h` (`[r, in]`) to `act(h·W + b + c·V)`, where the bias `b`, the
//! conditioning rows `c` (one per row of `h`, shared by the layers) with their weight `V`, and
//! the activation are each optional. The parameters lie in one packed vector; the ops that run
//! whole batches ([`super::dense_stack`], [`super::mlp_train`]) cut the batch into blocks of
//! [`block_rows`] rows, run the blocks in parallel and sum their gradients in a fixed order.

use super::elementwise::zeros;
use super::fast_math::{exp, silu};
use super::gemm::{add_column_sums, matmul_into, sum_in_order, View};
use crate::nn::act::Act;
use candle_core::{Device, Tensor};
use std::ops::Range;

/// Whether the kernels run activation `act` (the others take candle's ops).
pub(crate) fn runs(act: Act) -> bool {
    matches!(act, Act::Silu | Act::Relu)
}

/// Rows per block of a batch of `n`: at least 256 (so each product stays efficient), at most
/// 16 blocks. It depends on the batch size only, so results are the same on any thread count.
pub(crate) fn block_rows(n: usize) -> usize {
    n.div_ceil(16).max(256)
}

/// One layer: its sizes, its activation, and where its parameters lie in the packed vector.
#[derive(Clone, Debug)]
pub(crate) struct Dense {
    /// Input features.
    pub inputs: usize,
    /// Output features.
    pub outputs: usize,
    /// The activation after the sum (none: the layer is affine).
    pub act: Option<Act>,
    /// `W`, `[inputs, outputs]` row-major.
    pub weight: Range<usize>,
    /// `b`, `[outputs]`.
    pub bias: Option<Range<usize>>,
    /// `V`, `[conditioning width, outputs]`.
    pub cond: Option<Range<usize>>,
}

/// Conditioning rows shared by the layers that have a `V`: `[r, width]` row-major.
#[derive(Clone, Copy)]
pub(crate) struct Cond<'a> {
    /// The rows.
    pub rows: &'a [f32],
    /// Their width.
    pub width: usize,
}

/// What a block's backward needs from its forward.
pub(crate) struct Trace {
    /// The input of each layer.
    inputs: Vec<Vec<f32>>,
    /// Each layer's sum before its activation (empty for an affine layer).
    pre: Vec<Vec<f32>>,
}

impl Trace {
    /// The input of the first layer.
    pub fn input(&self) -> &[f32] {
        &self.inputs[0]
    }
}

/// The output rows of the stack for the `r` input rows `x`, and its trace.
#[inline(always)]
pub(crate) fn forward(layers: &[Dense], p: &[f32], x: Vec<f32>, r: usize, cond: Option<Cond>) -> (Vec<f32>, Trace) {
    let (mut inputs, mut pre) = (Vec::with_capacity(layers.len()), Vec::with_capacity(layers.len()));
    let mut h = x;
    for l in layers {
        let mut z: Vec<f32> = match &l.bias {
            Some(b) => p[b.clone()].repeat(r),
            None => vec![0.0; r * l.outputs],
        };
        matmul_into(&mut z, View::new(&h, r, l.inputs), View::new(&p[l.weight.clone()], l.inputs, l.outputs), true, 1);
        if let (Some(v), Some(c)) = (&l.cond, cond) {
            matmul_into(&mut z, View::new(c.rows, r, c.width), View::new(&p[v.clone()], c.width, l.outputs), true, 1);
        }
        inputs.push(h);
        match l.act {
            Some(act) => {
                h = apply(act, &z);
                pre.push(z);
            }
            None => {
                h = z;
                pre.push(Vec::new());
            }
        }
    }
    (h, Trace { inputs, pre })
}

/// The backward of one block from the gradient `gy` of its output rows: adds each parameter's
/// gradient into `g` (the packed vector's), the conditioning rows' into `gcond` when given,
/// and returns the input rows' gradient when `want_dx`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn backward(
    layers: &[Dense],
    p: &[f32],
    trace: &Trace,
    gy: Vec<f32>,
    r: usize,
    cond: Option<Cond>,
    g: &mut [f32],
    mut gcond: Option<&mut [f32]>,
    want_dx: bool,
) -> Option<Vec<f32>> {
    let mut gh = gy;
    for (i, l) in layers.iter().enumerate().rev() {
        if let Some(act) = l.act {
            gh.iter_mut().zip(&trace.pre[i]).for_each(|(g, &z)| *g *= act_grad(act, z));
        }
        let gz = View::new(&gh, r, l.outputs);
        matmul_into(&mut g[l.weight.clone()], View::new(&trace.inputs[i], r, l.inputs).t(), gz, true, 1);
        if let Some(b) = &l.bias {
            add_column_sums(&mut g[b.clone()], &gh);
        }
        if let (Some(v), Some(c)) = (&l.cond, cond) {
            matmul_into(&mut g[v.clone()], View::new(c.rows, r, c.width).t(), gz, true, 1);
            if let Some(gc) = gcond.as_deref_mut() {
                matmul_into(gc, gz, View::new(&p[v.clone()], c.width, l.outputs).t(), true, 1);
            }
        }
        if i > 0 || want_dx {
            let mut below = vec![0f32; r * l.inputs];
            matmul_into(&mut below, gz, View::new(&p[l.weight.clone()], l.inputs, l.outputs).t(), false, 1);
            gh = below;
        }
    }
    want_dx.then_some(gh)
}

/// The gradients of a blocked op from each block's `(parameter gradient, input rows'
/// gradient)`: the `params` packed parameters' (the blocks' summed in order) and, when
/// `want_dx`, the input `x`'s (the blocks' rows joined).
pub(crate) fn joined_gradients(
    blocks: Vec<(Vec<f32>, Option<Vec<f32>>)>,
    params: usize,
    x: &Tensor,
    want_dx: bool,
) -> candle_core::Result<(Option<Tensor>, Tensor)> {
    let mut gp = zeros(params);
    sum_in_order(&mut gp, &blocks.iter().map(|(g, _)| g.as_slice()).collect::<Vec<_>>());
    let gp = Tensor::from_vec(gp, params, &Device::Cpu)?;
    let dx = match want_dx {
        true => {
            let dx: Vec<f32> = blocks.into_iter().flat_map(|(_, dx)| dx.unwrap_or_default()).collect();
            Some(Tensor::from_vec(dx, x.dims(), &Device::Cpu)?)
        }
        false => None,
    };
    Ok((dx, gp))
}

/// `act(z)` elementwise.
#[inline(always)]
fn apply(act: Act, z: &[f32]) -> Vec<f32> {
    match act {
        Act::Silu => z.iter().map(|&v| silu(v)).collect(),
        _ => z.iter().map(|&v| v.max(0.0)).collect(),
    }
}

/// `act'(z)` for the activations the kernels run.
#[inline(always)]
fn act_grad(act: Act, z: f32) -> f32 {
    match act {
        // d/dz z·σ(z) = σ(z)·(1 + z·(1 − σ(z)))
        Act::Silu => {
            let s = 1.0 / (1.0 + exp(-z));
            s * (1.0 + z * (1.0 - s))
        }
        _ => {
            if z > 0.0 {
                1.0
            } else {
                0.0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two layers on two rows against values worked by hand: ReLU then affine, with a
    /// conditioning column, and every gradient of `Σ y`.
    #[test]
    fn two_layers_forward_and_backward_match_hand_values() {
        // layer 0: 2 -> 2, W = [[1, -1], [2, 0]], b = [0, 1], V = [[1, 1]], ReLU
        // layer 1: 2 -> 1, W = [[1], [3]], no bias, affine
        let p = [1.0, -1.0, 2.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 3.0];
        let layers = [
            Dense { inputs: 2, outputs: 2, act: Some(Act::Relu), weight: 0..4, bias: Some(4..6), cond: Some(6..8) },
            Dense { inputs: 2, outputs: 1, act: None, weight: 8..10, bias: None, cond: None },
        ];
        let x = vec![1.0, 1.0, -1.0, 0.0];
        let c = [0.5, -2.0];
        let cond = Some(Cond { rows: &c, width: 1 });
        let (y, trace) = forward(&layers, &p, x, 2, cond);
        // row 0: z = [1 + 2 + 0.5, -1 + 1 + 0.5] = [3.5, 0.5] -> y = 3.5 + 1.5 = 5
        // row 1: z = [-1 - 2, 1 + 1 - 2] = [-3, 0] -> relu [0, 0] -> y = 0
        assert_eq!(y, vec![5.0, 0.0]);
        let mut g = vec![0f32; p.len()];
        let mut gc = vec![0f32; 2];
        let dx = backward(&layers, &p, &trace, vec![1.0, 1.0], 2, cond, &mut g, Some(&mut gc), true).unwrap();
        // gz row 0 = [1, 3], row 1 = [0, 0] (relu off; z = 0 counts as off)
        assert_eq!(g, vec![1.0, 3.0, 1.0, 3.0, 1.0, 3.0, 0.5, 1.5, 3.5, 0.5]);
        assert_eq!(gc, vec![4.0, 0.0]);
        assert_eq!(dx, vec![-2.0, 2.0, 0.0, 0.0]);
        assert_eq!(block_rows(1000), 256);
        assert_eq!(block_rows(65_536), 4096);
    }
}
