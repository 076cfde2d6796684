//! A hand-fused CPU forward of the denoiser MLP for sampling, where every row of a call
//! shares one noise level: the time embedding and each layer's `temb · W_time` are computed
//! once and folded into that layer's bias, every matrix product is one `gemm` call that adds
//! into the preset bias, and the activation runs in place in a single vectorised pass (split
//! across the thread pool). Only the forward value is computed: it carries no gradient.

use super::fast_math::silu;
use super::gemm::{matmul_into, View};
use super::mlp_weights::MlpWeights;
use super::rows::fourier_features_row;
use super::simd::vectorised;
use crate::error::Result;
use crate::nn::act::Act;
use candle_core::{DType, Device, Tensor};
use rayon::prelude::*;

/// The MLP's output `[N, out]` for inputs `x` (`[N, dim]`) all at one noise level, whose time
/// embedding is `temb` (`[1, td]`); check [`super::mlp_weights::runs`] first.
pub(crate) fn forward(w: &MlpWeights, x: &Tensor, temb: &Tensor) -> Result<Tensor> {
    let (n, _) = x.dims2()?;
    let mut h = input_features(w, x)?;
    let mut width = w.dim() + 2 * w.fourier_count();
    for [weight, bias, time] in &w.hidden {
        let out = bias.elem_count();
        let bias = (temb.matmul(time)? + bias.unsqueeze(0)?)?;
        h = affine(&h, n, width, weight, &bias, out)?;
        activate(&mut h, w.act, out);
        width = out;
    }
    let y = affine(&h, n, width, &w.out[0], &w.out[1], w.outputs())?;
    Ok(Tensor::from_vec(y, (n, w.outputs()), &Device::Cpu)?)
}

fn values(t: &Tensor) -> Result<Vec<f32>> {
    Ok(t.flatten_all()?.to_dtype(DType::F32)?.to_vec1()?)
}

/// `[x, sin(2π x B), cos(2π x B)]` row by row (or `x` without Fourier features).
fn input_features(w: &MlpWeights, x: &Tensor) -> Result<Vec<f32>> {
    let xs = values(x)?;
    let Some(b) = &w.fourier else {
        return Ok(xs);
    };
    let d = w.dim();
    let b: Vec<f32> = values(b)?;
    let width = d + 2 * w.fourier_count();
    let mut h = vec![0f32; xs.len() / d * width];
    h.par_chunks_mut(width * 256).zip(xs.par_chunks(d * 256)).for_each(|(rows, xrows)| {
        for (row, xr) in rows.chunks_mut(width).zip(xrows.chunks(d)) {
            fourier_features_row(row, xr, &b);
        }
    });
    Ok(h)
}

/// `h · W + bias` for `h` `[n, k]`, `W` `[k, m]`, `bias` `[m]` or `[1, m]`: the bias fills
/// the output and one gemm call adds the product into it.
fn affine(h: &[f32], n: usize, k: usize, w: &Tensor, bias: &Tensor, m: usize) -> Result<Vec<f32>> {
    let w = values(w)?;
    let bias = values(bias)?;
    let mut out: Vec<f32> = Vec::with_capacity(n * m);
    for _ in 0..n {
        out.extend_from_slice(&bias);
    }
    matmul_into(&mut out, View::new(h, n, k), View::new(&w, k, m), true, candle_core::utils::get_num_threads());
    Ok(out)
}

fn activate(h: &mut [f32], act: Act, width: usize) {
    h.par_chunks_mut(width * 64).for_each(|chunk| {
        vectorised(
            #[inline(always)]
            || match act {
                Act::Silu => chunk.iter_mut().for_each(|v| *v = silu(*v)),
                _ => chunk.iter_mut().for_each(|v| *v = v.max(0.0)),
            },
        )
    });
}
