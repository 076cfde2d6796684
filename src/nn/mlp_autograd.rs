//! The denoiser MLP's forward and backward on the CPU as one autograd op, for training.
//!
//! Candle runs a training step of the MLP as about a hundred tensor ops, each allocating its
//! result and handing its work to the thread pool; between them the second core idles. Here
//! the batch is cut into fixed blocks of rows (the count depends on the batch size only, not
//! on the thread count, so results are identical on any number of threads). Each block runs the
//! whole forward, and later the whole backward, on one thread with single-threaded `gemm`
//! products and fused elementwise passes; the blocks' weight gradients are summed in a fixed
//! order. The op sees the parameters as one flat vector (their concatenation), so candle's
//! autograd hands each parameter its slice of the gradient.
//!
//! Its value and gradients equal [`MlpConfig::forward`]'s tensor form to `f32` rounding.

use super::cpu_gemm::{add_column_sums, matmul_into, sum_in_order, View};
use super::embed::{fourier_features_row, sinusoidal_freqs, sinusoidal_row};
use super::fast_math::{exp, silu};
use super::fused_act::{f32s, zeros};
use super::layers::Act;
use super::mlp::MlpConfig;
use super::params::ParamStore;
use super::simd_dispatch::vectorised;
use crate::error::Result;
use candle_core::{CpuStorage, CustomOp3, DType, Device, Layout, Shape, Tensor};
use rayon::prelude::*;
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// Whether [`forward`] runs this network on inputs `x` (`[N, dim]`) at per-example levels `c`:
/// `f32` on the CPU, SiLU or ReLU, and no gradient wanted with respect to `c`.
pub fn applies(cfg: &MlpConfig, store: &ParamStore, x: &Tensor, c: &Tensor) -> bool {
    x.device().is_cpu()
        && x.dtype() == DType::F32
        && store.dtype() == DType::F32
        && matches!(cfg.act, Act::Silu | Act::Relu)
        && !c.track_op()
}

/// The MLP's output `[N, out]` for inputs `x` (`[N, dim]`) at noise levels `c` (`[N]`), with
/// gradients to `x` and to every parameter.
pub fn forward(cfg: &MlpConfig, store: &ParamStore, x: &Tensor, c: &Tensor) -> Result<Tensor> {
    let (flat, ranges) = store.flattened(&param_names(cfg), 0)?;
    let fourier = if cfg.fourier > 0 { store.get("fourier.B")?.flatten_all()?.to_vec1::<f32>()? } else { Vec::new() };
    let op =
        MlpOp { cfg: cfg.clone(), ranges, fourier, freqs: sinusoidal_freqs(cfg.time_dim), saved: Mutex::new(None) };
    Ok(x.contiguous()?.apply_op3(&c.contiguous()?, &Tensor::cat(&flat, 0)?, op)?)
}

/// The parameters in the order of the flat vector: the time embedding's two dense layers,
/// each hidden layer's weight, bias and time weight, then the output layer.
fn param_names(cfg: &MlpConfig) -> Vec<String> {
    let mut names: Vec<String> =
        ["time.0.weight", "time.0.bias", "time.1.weight", "time.1.bias"].map(String::from).to_vec();
    for i in 0..cfg.hidden.len() {
        names.extend([format!("layers.{i}.weight"), format!("layers.{i}.bias"), format!("layers.{i}.time")]);
    }
    names.extend(["out.weight".to_string(), "out.bias".to_string()]);
    names
}

/// Rows per block: at least 256 (so each product stays efficient), at most 16 blocks.
fn block_rows(n: usize) -> usize {
    n.div_ceil(16).max(256)
}

/// The op: the network's shape, the fixed Fourier frequencies, and the activations its forward
/// saved for its backward.
struct MlpOp {
    cfg: MlpConfig,
    ranges: Vec<Range<usize>>,
    fourier: Vec<f32>,
    freqs: Vec<f32>,
    saved: Mutex<Option<Arc<Vec<Activations>>>>,
}

/// What the backward of one block of rows needs from its forward.
struct Activations {
    rows: Range<usize>,
    /// The sinusoidal embedding of the noise level, `[r, time_dim]`.
    sinusoid: Vec<f32>,
    /// The time embedding's hidden layer before and after SiLU.
    time_pre: Vec<f32>,
    time_hidden: Vec<f32>,
    /// The time embedding every hidden layer sees.
    temb: Vec<f32>,
    /// The input of each hidden layer and, last, of the output layer.
    inputs: Vec<Vec<f32>>,
    /// Each hidden layer's pre-activation.
    pre: Vec<Vec<f32>>,
}

/// `h · w + bias` for `h` `[rows, k]`, `w` `[k, m]` and `bias` `[m]`, on this thread.
fn affine(h: &[f32], rows: usize, w: &[f32], bias: &[f32]) -> Vec<f32> {
    let m = bias.len();
    let mut out: Vec<f32> = Vec::with_capacity(rows * m);
    for _ in 0..rows {
        out.extend_from_slice(bias);
    }
    matmul_into(&mut out, View::new(h, rows, h.len() / rows.max(1)), View::new(w, h.len() / rows.max(1), m), true, 1);
    out
}

/// `act'(z)` for the activations the op runs.
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

#[inline(always)]
fn apply_act(act: Act, z: &[f32]) -> Vec<f32> {
    match act {
        Act::Silu => z.iter().map(|&v| silu(v)).collect(),
        _ => z.iter().map(|&v| v.max(0.0)).collect(),
    }
}

impl MlpOp {
    fn time(&self, k: usize) -> Range<usize> {
        self.ranges[k].clone()
    }

    fn layer(&self, i: usize, k: usize) -> Range<usize> {
        self.ranges[4 + 3 * i + k].clone()
    }

    fn out(&self, k: usize) -> Range<usize> {
        self.ranges[4 + 3 * self.cfg.hidden.len() + k].clone()
    }

    /// One block's forward: writes its output rows into `out` and returns what its backward needs.
    #[inline(always)]
    fn forward_block(&self, rows: Range<usize>, x: &[f32], c: &[f32], p: &[f32], out: &mut [f32]) -> Activations {
        let (cfg, r) = (&self.cfg, rows.len());
        let td = cfg.time_dim;
        let mut sinusoid = vec![0f32; r * td];
        for (row, &level) in sinusoid.chunks_mut(td).zip(c) {
            sinusoidal_row(row, cfg.time_embed.embed_value(level), &self.freqs);
        }
        let time_pre = affine(&sinusoid, r, &p[self.time(0)], &p[self.time(1)]);
        let time_hidden: Vec<f32> = time_pre.iter().map(|&v| silu(v)).collect();
        let temb = affine(&time_hidden, r, &p[self.time(2)], &p[self.time(3)]);
        let width = cfg.dim + 2 * cfg.fourier;
        let features = if cfg.fourier > 0 {
            let mut h = vec![0f32; r * width];
            for (row, xr) in h.chunks_mut(width).zip(x.chunks(cfg.dim)) {
                fourier_features_row(row, xr, &self.fourier);
            }
            h
        } else {
            x.to_vec()
        };
        let mut inputs = vec![features];
        let mut pre = Vec::with_capacity(cfg.hidden.len());
        for (i, &h) in cfg.hidden.iter().enumerate() {
            let mut z = affine(&inputs[i], r, &p[self.layer(i, 0)], &p[self.layer(i, 1)]);
            matmul_into(&mut z, View::new(&temb, r, td), View::new(&p[self.layer(i, 2)], td, h), true, 1);
            inputs.push(apply_act(cfg.act, &z));
            pre.push(z);
        }
        let last = cfg.hidden[cfg.hidden.len() - 1];
        for row in out.chunks_mut(cfg.out) {
            row.copy_from_slice(&p[self.out(1)]);
        }
        matmul_into(
            out,
            View::new(&inputs[cfg.hidden.len()], r, last),
            View::new(&p[self.out(0)], last, cfg.out),
            true,
            1,
        );
        Activations { rows, sinusoid, time_pre, time_hidden, temb, inputs, pre }
    }

    /// One block's backward from the gradient `gy` of its output rows: the gradient of every
    /// parameter (a flat vector) and, when `want_dx`, of its input rows.
    #[inline(always)]
    fn backward_block(&self, a: &Activations, gy: &[f32], p: &[f32], want_dx: bool) -> (Vec<f32>, Option<Vec<f32>>) {
        let (cfg, r) = (&self.cfg, a.rows.len());
        let (td, layers) = (cfg.time_dim, cfg.hidden.len());
        let mut g = vec![0f32; p.len()];
        let last = cfg.hidden[layers - 1];
        matmul_into(
            &mut g[self.out(0)],
            View::new(&a.inputs[layers], r, last).t(),
            View::new(gy, r, cfg.out),
            false,
            1,
        );
        add_column_sums(&mut g[self.out(1)], gy);
        let mut gh = vec![0f32; r * last];
        matmul_into(&mut gh, View::new(gy, r, cfg.out), View::new(&p[self.out(0)], last, cfg.out).t(), false, 1);
        let mut gtemb = vec![0f32; r * td];
        for i in (0..layers).rev() {
            let h = cfg.hidden[i];
            let w_in = if i == 0 { cfg.dim + 2 * cfg.fourier } else { cfg.hidden[i - 1] };
            gh.iter_mut().zip(&a.pre[i]).for_each(|(g, &z)| *g *= act_grad(cfg.act, z));
            matmul_into(&mut g[self.layer(i, 0)], View::new(&a.inputs[i], r, w_in).t(), View::new(&gh, r, h), false, 1);
            add_column_sums(&mut g[self.layer(i, 1)], &gh);
            matmul_into(&mut g[self.layer(i, 2)], View::new(&a.temb, r, td).t(), View::new(&gh, r, h), false, 1);
            matmul_into(&mut gtemb, View::new(&gh, r, h), View::new(&p[self.layer(i, 2)], td, h).t(), true, 1);
            if i > 0 || want_dx {
                let mut below = vec![0f32; r * w_in];
                matmul_into(&mut below, View::new(&gh, r, h), View::new(&p[self.layer(i, 0)], w_in, h).t(), false, 1);
                gh = below;
            }
        }
        matmul_into(&mut g[self.time(2)], View::new(&a.time_hidden, r, td).t(), View::new(&gtemb, r, td), false, 1);
        add_column_sums(&mut g[self.time(3)], &gtemb);
        let mut gpre = vec![0f32; r * td];
        matmul_into(&mut gpre, View::new(&gtemb, r, td), View::new(&p[self.time(2)], td, td).t(), false, 1);
        gpre.iter_mut().zip(&a.time_pre).for_each(|(g, &z)| *g *= act_grad(Act::Silu, z));
        matmul_into(&mut g[self.time(0)], View::new(&a.sinusoid, r, td).t(), View::new(&gpre, r, td), false, 1);
        add_column_sums(&mut g[self.time(1)], &gpre);
        let dx = want_dx.then(|| self.input_grad(&gh, &a.inputs[0]));
        (g, dx)
    }

    /// The gradient of the input rows from that of their features `gf` (`[r, dim + 2·fourier]`):
    /// `x` passes through, and `sin(2π p)`, `cos(2π p)` of `p = x B` contribute
    /// `2π (g_sin cos − g_cos sin) Bᵀ`.
    fn input_grad(&self, gf: &[f32], features: &[f32]) -> Vec<f32> {
        let (d, f) = (self.cfg.dim, self.cfg.fourier);
        let width = d + 2 * f;
        let mut dx = vec![0f32; gf.len() / width * d];
        for ((dxr, gr), hr) in dx.chunks_mut(d).zip(gf.chunks(width)).zip(features.chunks(width)) {
            dxr.copy_from_slice(&gr[..d]);
            for j in 0..f {
                let gp = std::f32::consts::TAU * (gr[d + j] * hr[d + f + j] - gr[d + f + j] * hr[d + j]);
                for (k, v) in dxr.iter_mut().enumerate() {
                    *v += gp * self.fourier[k * f + j];
                }
            }
        }
        dx
    }
}

impl CustomOp3 for MlpOp {
    fn name(&self) -> &'static str {
        "mlp"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        crate::interrupt::check_in_kernel()?;
        let (x, c, p) = (f32s(s1, l1)?, f32s(s2, l2)?, f32s(s3, l3)?);
        let (n, d, o) = (c.len(), self.cfg.dim, self.cfg.out);
        let rows = block_rows(n);
        let mut out = vec![0f32; n * o];
        let saved: Vec<Activations> = out
            .par_chunks_mut(rows * o)
            .enumerate()
            .map(|(b, out)| {
                let r = b * rows..(b * rows + rows).min(n);
                vectorised(
                    #[inline(always)]
                    || self.forward_block(r.clone(), &x[r.start * d..r.end * d], &c[r], p, out),
                )
            })
            .collect();
        *self.saved.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(saved));
        Ok((CpuStorage::F32(out), Shape::from((n, o))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        _c: &Tensor,
        p: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let saved = self.saved.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let saved =
            saved.ok_or_else(|| candle_core::Error::Msg("the MLP op's backward ran before its forward".into()))?;
        let gy = grad.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
        let pv = p.to_vec1::<f32>()?;
        let o = self.cfg.out;
        let want_dx = x.track_op();
        let blocks: Vec<(Vec<f32>, Option<Vec<f32>>)> = saved
            .par_iter()
            .map(|a| {
                vectorised(
                    #[inline(always)]
                    || self.backward_block(a, &gy[a.rows.start * o..a.rows.end * o], &pv, want_dx),
                )
            })
            .collect();
        let mut gp = zeros(pv.len());
        sum_in_order(&mut gp, &blocks.iter().map(|(g, _)| g.as_slice()).collect::<Vec<_>>());
        let gp = Tensor::from_vec(gp, pv.len(), &Device::Cpu)?;
        let dx = if want_dx {
            let dx: Vec<f32> = blocks.into_iter().flat_map(|(_, dx)| dx.unwrap_or_default()).collect();
            Some(Tensor::from_vec(dx, x.dims(), &Device::Cpu)?)
        } else {
            None
        };
        Ok((dx, None, Some(gp)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::embed::TimeInput;
    use crate::nn::network::{Architecture, Network};
    use crate::nn::op_testing::assert_close;
    use crate::tensor::create::Placement;
    use candle_core::Var;

    /// Value and every gradient of the op against the tensor form, for a batch of several blocks.
    #[test]
    fn value_and_gradients_equal_the_tensor_form() {
        crate::tensor::rng::seed(9);
        for (act, fourier, input, n) in [(Act::Silu, 16, TimeInput::T, 700), (Act::Relu, 0, TimeInput::LogSigma, 40)] {
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
            let store = net.store();
            let x = Var::from_tensor(&Tensor::randn(0f32, 1.5, (n, 3), &Device::Cpu).unwrap()).unwrap();
            let c = (Tensor::rand(0.05f32, 1.0, n, &Device::Cpu).unwrap()).contiguous().unwrap();
            assert!(applies(&cfg, store, &x, &c));
            let weights = Tensor::randn(0f32, 1.0, (n, 3), &Device::Cpu).unwrap();
            let fused = forward(&cfg, store, &x, &c).unwrap();
            let plain = cfg.forward_tensors(store, &x, &c).unwrap();
            let close = |a: &Tensor, b: &Tensor, what: &str| assert_close(a, b, 3e-5, &format!("{act:?} {what}"));
            close(&fused, &plain, "value");
            let gf = (fused * &weights).unwrap().sum_all().unwrap().backward().unwrap();
            let gp = (plain * &weights).unwrap().sum_all().unwrap().backward().unwrap();
            close(gf.get(&x).unwrap(), gp.get(&x).unwrap(), "d x");
            for (name, v) in store.params() {
                close(gf.get(v).unwrap(), gp.get(v).unwrap(), name);
            }
        }
    }

    /// The blocks depend on the batch size only, so the gradient is the same bit for bit on one
    /// thread and on several.
    #[test]
    fn gradients_do_not_depend_on_the_thread_count() {
        crate::tensor::rng::seed(2);
        let cfg = MlpConfig {
            dim: 2,
            hidden: vec![32, 32],
            act: Act::Silu,
            fourier: 4,
            fourier_scale: 1.0,
            time_embed: TimeInput::T,
            time_dim: 16,
            out: 2,
        };
        let net = Network::new(Architecture::Mlp(cfg.clone()), &Placement { dtype: DType::F32, device: Device::Cpu })
            .unwrap();
        let x = Tensor::randn(0f32, 1.0, (1000, 2), &Device::Cpu).unwrap();
        let c = Tensor::rand(0f32, 1.0, 1000, &Device::Cpu).unwrap();
        let grads = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let g =
                    forward(&cfg, net.store(), &x, &c).unwrap().sqr().unwrap().sum_all().unwrap().backward().unwrap();
                net.store()
                    .params()
                    .iter()
                    .map(|(_, v)| g.get(v).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(grads(1), grads(3));
        assert_eq!(block_rows(1000), 256);
        assert_eq!(block_rows(65_536), 4096);
    }
}
