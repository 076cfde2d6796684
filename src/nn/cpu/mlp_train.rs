//! The denoiser MLP's forward and backward on the CPU as one autograd op, for training.
//!
//! Candle runs a training step of the MLP as about a hundred tensor ops, each allocating its
//! result and handing its work to the thread pool; between them the second core idles. Here
//! the batch is cut into fixed blocks of rows ([`dense::block_rows`]). Each block runs the
//! whole forward, and later the whole backward, on one thread: the time embedding and the
//! hidden layers are two stacks of [`dense`] layers, the second conditioned on the first's
//! output. The blocks' weight gradients are summed in a fixed order. The op sees the
//! parameters as one flat vector (their concatenation), so candle's autograd hands each
//! parameter its slice of the gradient.
//!
//! Its value and gradients equal the network's tensor form to `f32` rounding.

use super::dense::{self, Cond, Dense, Trace};
use super::elementwise::f32s;
use super::mlp_weights::MlpWeights;
use super::rows::{fourier_features_row, sinusoidal_freqs, sinusoidal_row};
use super::simd::vectorised;
use crate::error::Result;
use crate::nn::act::Act;
use candle_core::{CpuStorage, CustomOp3, DType, Layout, Shape, Tensor};
use rayon::prelude::*;
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// The MLP's output `[N, out]` for inputs `x` (`[N, dim]`) whose noise levels, as the sinusoidal
/// embedding sees them, are `e` (`[N]`, no gradient), with gradients to `x` and to every
/// weight; check [`super::mlp_weights::runs`] first.
pub(crate) fn forward(w: &MlpWeights, x: &Tensor, e: &Tensor) -> Result<Tensor> {
    let order = w.packed_order();
    let (flat, ranges) = super::packed(&order, 0)?;
    let td = w.time_dim();
    let layer = |k: usize, act: Option<Act>, cond: bool| Dense {
        inputs: order[k].dims()[0],
        outputs: order[k].dims()[1],
        act,
        weight: ranges[k].clone(),
        bias: Some(ranges[k + 1].clone()),
        cond: cond.then(|| ranges[k + 2].clone()),
    };
    let time = vec![layer(0, Some(Act::Silu), false), layer(2, None, false)];
    let mut main: Vec<Dense> = (0..w.hidden.len()).map(|i| layer(4 + 3 * i, Some(w.act), true)).collect();
    main.push(layer(4 + 3 * w.hidden.len(), None, false));
    let fourier = match &w.fourier {
        Some(b) => b.flatten_all()?.to_vec1::<f32>()?,
        None => Vec::new(),
    };
    let op = MlpOp { dim: w.dim(), td, time, main, fourier, freqs: sinusoidal_freqs(td), saved: Mutex::new(None) };
    Ok(x.contiguous()?.apply_op3(&e.contiguous()?, &Tensor::cat(&flat, 0)?, op)?)
}

/// The op: the network's shape as two dense stacks, the fixed Fourier frequencies, and the
/// activations its forward saved for its backward.
struct MlpOp {
    dim: usize,
    td: usize,
    /// The time embedding: sinusoid → dense → SiLU → dense.
    time: Vec<Dense>,
    /// The hidden layers (conditioned on the time embedding) and the output layer.
    main: Vec<Dense>,
    fourier: Vec<f32>,
    freqs: Vec<f32>,
    saved: Mutex<Option<Arc<Vec<Activations>>>>,
}

/// What the backward of one block of rows needs from its forward.
struct Activations {
    rows: Range<usize>,
    /// The time embedding's trace and output.
    time: Trace,
    temb: Vec<f32>,
    /// The hidden layers' trace (its input: the Fourier features).
    main: Trace,
}

impl MlpOp {
    fn width(&self) -> usize {
        self.main[0].inputs
    }

    fn outputs(&self) -> usize {
        self.main[self.main.len() - 1].outputs
    }

    /// One block's forward: writes its output rows into `out` and returns what its backward needs.
    #[inline(always)]
    fn forward_block(&self, rows: Range<usize>, x: &[f32], e: &[f32], p: &[f32], out: &mut [f32]) -> Activations {
        let (r, td, width) = (rows.len(), self.td, self.width());
        let mut sinusoid = vec![0f32; r * td];
        for (row, &level) in sinusoid.chunks_mut(td).zip(e) {
            sinusoidal_row(row, level, &self.freqs);
        }
        let (temb, time) = dense::forward(&self.time, p, sinusoid, r, None);
        let features = if self.fourier.is_empty() {
            x.to_vec()
        } else {
            let mut h = vec![0f32; r * width];
            for (row, xr) in h.chunks_mut(width).zip(x.chunks(self.dim)) {
                fourier_features_row(row, xr, &self.fourier);
            }
            h
        };
        let (y, main) = dense::forward(&self.main, p, features, r, Some(Cond { rows: &temb, width: td }));
        out.copy_from_slice(&y);
        Activations { rows, time, temb, main }
    }

    /// One block's backward from the gradient `gy` of its output rows: the gradient of every
    /// parameter (a flat vector) and, when `want_dx`, of its input rows.
    #[inline(always)]
    fn backward_block(&self, a: &Activations, gy: &[f32], p: &[f32], want_dx: bool) -> (Vec<f32>, Option<Vec<f32>>) {
        let (r, td) = (a.rows.len(), self.td);
        let mut g = vec![0f32; p.len()];
        let mut gtemb = vec![0f32; r * td];
        let cond = Some(Cond { rows: &a.temb, width: td });
        let gf = dense::backward(&self.main, p, &a.main, gy.to_vec(), r, cond, &mut g, Some(&mut gtemb), want_dx);
        dense::backward(&self.time, p, &a.time, gtemb, r, None, &mut g, None, false);
        (g, gf.map(|gf| self.input_grad(&gf, a.main.input())))
    }

    /// The gradient of the input rows from that of their features `gf` (`[r, dim + 2·fourier]`):
    /// `x` passes through, and `sin(2π p)`, `cos(2π p)` of `p = x B` contribute
    /// `2π (g_sin cos − g_cos sin) Bᵀ`.
    fn input_grad(&self, gf: &[f32], features: &[f32]) -> Vec<f32> {
        let (d, width) = (self.dim, self.width());
        let f = (width - d) / 2;
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
        let (n, d, o) = (c.len(), self.dim, self.outputs());
        let rows = dense::block_rows(n);
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
        let o = self.outputs();
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
        let (dx, gp) = dense::joined_gradients(blocks, pv.len(), x, want_dx)?;
        Ok((dx, None, Some(gp)))
    }
}
