//! Hand-fused CPU kernels for `f32` tensors: matrix products, convolution, group norm,
//! upsampling, attention, the UNet's residual block, stacks of dense layers, the denoiser
//! MLP's training and sampling passes, and AdamW's update. Each takes candle tensors, slices
//! or typed weight structs (never the parameter store), and gives the same value as the
//! plain tensor ops to `f32` rounding; the models in [`super`] choose them where they apply.

pub(crate) mod adamw;
pub(crate) mod attention;
pub(crate) mod conv;
pub(crate) mod dense;
pub(crate) mod dense_stack;
pub(crate) mod elementwise;
pub(crate) mod fast_math;
pub(crate) mod gemm;
pub(crate) mod group_norm;
pub(crate) mod mlp_sample;
pub(crate) mod mlp_train;
pub(crate) mod mlp_weights;
#[cfg(test)]
pub(crate) mod op_testing;
pub(crate) mod res_block;
pub(crate) mod rows;
pub(crate) mod simd;
pub(crate) mod upsample;

use crate::error::Result;
use candle_core::Tensor;
use std::ops::Range;

/// `tensors` flattened, for packing into one vector, with the range each takes in it when the
/// vector starts with `first` other values.
pub(crate) fn packed(tensors: &[&Tensor], first: usize) -> Result<(Vec<Tensor>, Vec<Range<usize>>)> {
    let (mut flat, mut spans) = (Vec::new(), Vec::new());
    let mut at = first;
    for t in tensors {
        let t = t.flatten_all()?;
        spans.push(at..at + t.elem_count());
        at += t.elem_count();
        flat.push(t);
    }
    Ok((flat, spans))
}
