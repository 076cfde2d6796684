//! A hand-fused CPU forward of the denoiser MLP for sampling, where every row of a call
//! shares one noise level: the time embedding and each layer's `temb · W_time` are computed
//! once and folded into that layer's bias, every matrix product is one `gemm` call that adds
//! into the preset bias, and the activation runs in place in a single vectorised pass (split
//! across the thread pool). Only the forward value is computed: it carries no gradient.

use super::cpu_gemm::{matmul_into, View};
use super::embed::{fourier_features_row, time_mlp};
use super::fast_math::silu;
use super::layers::Act;
use super::mlp::MlpConfig;
use super::params::ParamStore;
use super::simd_dispatch::vectorised;
use crate::error::Result;
use candle_core::{DType, Device, Tensor};
use rayon::prelude::*;

/// Whether [`forward`] can run a network of this shape on inputs like `x`.
pub fn applies(cfg: &MlpConfig, x: &Tensor) -> bool {
    x.device().is_cpu()
        && x.dtype() == DType::F32
        && matches!(cfg.act, Act::Silu | Act::Relu)
        && x.dims2().is_ok_and(|(_, d)| d == cfg.dim)
}

/// The MLP's output `[N, out]` for inputs `x` (`[N, dim]`, `f32` on the CPU) all at noise level `c`.
pub fn forward(cfg: &MlpConfig, store: &ParamStore, x: &Tensor, c: f64) -> Result<Tensor> {
    let (n, _) = x.dims2()?;
    let temb = time_mlp(store, "time", cfg.time_embed, &Tensor::new(&[c as f32], &Device::Cpu)?, cfg.time_dim)?;
    let mut h = input_features(cfg, store, x)?;
    let mut width = cfg.dim + 2 * cfg.fourier;
    for (i, &out) in cfg.hidden.iter().enumerate() {
        let bias = (temb.matmul(&store.get(&format!("layers.{i}.time"))?)?
            + store.get(&format!("layers.{i}.bias"))?.unsqueeze(0)?)?;
        h = affine(&h, n, width, &store.get(&format!("layers.{i}.weight"))?, &bias, out)?;
        activate(&mut h, cfg.act, out);
        width = out;
    }
    let y = affine(&h, n, width, &store.get("out.weight")?, &store.get("out.bias")?, cfg.out)?;
    Ok(Tensor::from_vec(y, (n, cfg.out), &Device::Cpu)?)
}

fn values(t: &Tensor) -> Result<Vec<f32>> {
    Ok(t.flatten_all()?.to_dtype(DType::F32)?.to_vec1()?)
}

/// `[x, sin(2π x B), cos(2π x B)]` row by row (or `x` without Fourier features).
fn input_features(cfg: &MlpConfig, store: &ParamStore, x: &Tensor) -> Result<Vec<f32>> {
    let xs = values(x)?;
    if cfg.fourier == 0 {
        return Ok(xs);
    }
    let d = cfg.dim;
    let b: Vec<f32> = values(&store.get("fourier.B")?)?;
    let width = d + 2 * cfg.fourier;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::embed::TimeInput;
    use crate::nn::network::{Architecture, Network};
    use crate::tensor::create::Placement;

    #[test]
    fn the_fused_forward_equals_the_tensor_forward() {
        crate::tensor::rng::seed(4);
        for (act, fourier, input) in [(Act::Silu, 16, TimeInput::T), (Act::Relu, 0, TimeInput::LogSigma)] {
            let cfg = MlpConfig {
                dim: 3,
                hidden: vec![64, 48],
                act,
                fourier,
                fourier_scale: 1.0,
                time_embed: input,
                time_dim: 32,
                out: 3,
            };
            let net =
                Network::new(Architecture::Mlp(cfg.clone()), &Placement { dtype: DType::F32, device: Device::Cpu })
                    .unwrap();
            let x = (Tensor::randn(0f32, 1.5, (700, 3), &Device::Cpu).unwrap()).contiguous().unwrap();
            assert!(applies(&cfg, &x));
            let c = 0.37;
            let fused = forward(&cfg, net.store(), &x, c).unwrap();
            let plain = cfg.forward(net.store(), &x, &Tensor::new(&[c as f32], &Device::Cpu).unwrap()).unwrap();
            let diff = (fused - &plain).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
            let scale = plain.abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
            assert!(diff <= 2e-5 * scale.max(1.0), "{act:?}: max difference {diff} at scale {scale}");
        }
        let gelu = MlpConfig {
            dim: 2,
            hidden: vec![8],
            act: Act::Gelu,
            fourier: 0,
            fourier_scale: 1.0,
            time_embed: TimeInput::T,
            time_dim: 4,
            out: 2,
        };
        assert!(!applies(&gelu, &Tensor::zeros((1, 2), DType::F32, &Device::Cpu).unwrap()));
        let silu = MlpConfig { act: Act::Silu, ..gelu };
        assert!(applies(&silu, &Tensor::zeros((1, 2), DType::F32, &Device::Cpu).unwrap()));
        assert!(!applies(&silu, &Tensor::zeros((1, 2), DType::F64, &Device::Cpu).unwrap()));
    }
}
