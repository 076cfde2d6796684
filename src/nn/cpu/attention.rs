//! The UNet's self-attention block (Ho et al. 2020, after Vaswani et al. 2017: group norm, a
//! 1×1 convolution to queries, keys and values, softmax attention over the pixels with one
//! head or several, a 1×1 output projection, plus the block's input) as one autograd op for
//! `f32` on the CPU.
//!
//! As separate candle ops the block is some twenty whole-batch tensors (the narrows of the
//! queries, keys and values, transposed copies, the softmax's steps), each given a zeroed
//! gradient and added into on the calling thread: about a seventh of a UNet training step,
//! for under 3% of its arithmetic. Here fixed blocks of images run the whole block, forward
//! and later backward, one image at a time on one thread. Nothing is kept between the two:
//! the backward recomputes the image's attention from its input. Parameter gradients are
//! summed over the blocks in a fixed order, so results do not depend on the thread count.
//! Value and gradients equal the separate ops' to `f32` rounding.

use super::conv::block_images;
use super::elementwise::{f32s, zeros};
use super::fast_math::exp;
use super::gemm::{lane_sum, matmul_into, sum_in_order, View};
use super::group_norm::Norm;
use super::simd::vectorised;
use crate::error::Result;
use candle_core::{CpuStorage, CustomOp2, Layout, Shape, Tensor};
use rayon::prelude::*;
use std::ops::Range;

/// An attention block's weights, as [`attention`] takes them.
pub(crate) struct AttentionWeights<'a> {
    /// The group norm's scale and shift, `[C]` each, and its group count.
    pub norm: (&'a Tensor, &'a Tensor, usize),
    /// The 1×1 convolution to queries, keys and values: kernel `[3C, C, 1, 1]`, bias `[3C]`.
    pub qkv: (&'a Tensor, &'a Tensor),
    /// The output projection: kernel `[C, C, 1, 1]`, bias `[C]`.
    pub proj: (&'a Tensor, &'a Tensor),
    /// Heads: head `h` attends with channels `h·C/heads..(h+1)·C/heads` of the queries, keys
    /// and values (as `[N, L, 3, heads, C/heads]` splits them in multi-head attention).
    pub heads: usize,
    /// The ε the group norm adds to each group's variance.
    pub eps: f64,
}

const NORM_W: usize = 0;
const NORM_B: usize = 1;
const QKV_W: usize = 2;
const QKV_B: usize = 3;
const PROJ_W: usize = 4;
const PROJ_B: usize = 5;

/// `x + proj(attention(norm(x)))` for `x` of `[N, C, H, W]` with the weights `wt`: queries,
/// keys and values are the three `C`-channel thirds of the `qkv` convolution, and in each head
/// every pixel attends to every pixel of its image with weights `softmax(q_hᵀk_h / √(C/heads))`.
pub(crate) fn attention(wt: &AttentionWeights, x: &Tensor) -> Result<Tensor> {
    let (_, c, h, w) = x.dims4()?;
    let tensors = [wt.norm.0, wt.norm.1, wt.qkv.0, wt.qkv.1, wt.proj.0, wt.proj.1];
    let (params, ranges) = super::packed(&tensors, 0)?;
    let want = [c, c, 3 * c * c, 3 * c, c * c, c];
    if ranges.iter().zip(want).any(|(r, len)| r.len() != len) {
        crate::bail!("the attention block does not fit {:?} images", x.dims());
    }
    if wt.heads == 0 || c % wt.heads != 0 {
        crate::bail!("{} heads do not divide {c} channels", wt.heads);
    }
    let op = Attention { c, h, w, groups: wt.norm.2, eps: wt.eps as f32, heads: wt.heads, ranges };
    Ok(x.contiguous()?.apply_op2(&Tensor::cat(&params, 0)?, op)?)
}

/// The forward op: sizes, and where each parameter lies in the packed vector.
#[derive(Clone)]
struct Attention {
    c: usize,
    h: usize,
    w: usize,
    /// The group norm's group count.
    groups: usize,
    /// The group norm's ε.
    eps: f32,
    /// Attention heads.
    heads: usize,
    ranges: Vec<Range<usize>>,
}

/// `[dx, d packed]` (concatenated) from the output's gradient and the input.
struct AttentionGrad {
    block: Attention,
    packed: Vec<f32>,
}

/// One image's attention, as the backward needs it again.
struct Forward {
    /// The normalised input, `[C, P]`.
    normed: Vec<f32>,
    /// Queries, keys and values, `[3C, P]`.
    qkv: Vec<f32>,
    /// The attention weights, `[heads, P, P]`: row `i` of head `h` is pixel `i`'s softmax over
    /// the pixels.
    weights: Vec<f32>,
    /// The attended values before the projection, `[C, P]`.
    out: Vec<f32>,
}

impl Attention {
    fn pixels(&self) -> usize {
        self.h * self.w
    }

    fn norm(&self) -> Norm {
        Norm { channels: self.c, pixels: self.pixels(), groups: self.groups, eps: self.eps, then_silu: false }
    }

    fn param<'a>(&self, p: &'a [f32], slot: usize) -> &'a [f32] {
        &p[self.ranges[slot].clone()]
    }

    fn image_len(&self) -> usize {
        self.c * self.pixels()
    }

    /// Image `x`'s (`[C, P]`) attention up to the projection, written into `f`.
    #[inline(always)]
    fn attend(&self, x: &[f32], p: &[f32], f: &mut Forward) {
        let (c, np) = (self.c, self.pixels());
        self.norm().forward_image(x, self.param(p, NORM_W), self.param(p, NORM_B), &mut f.normed);
        for (row, &b) in f.qkv.chunks_mut(np).zip(self.param(p, QKV_B)) {
            row.fill(b);
        }
        matmul_into(&mut f.qkv, View::new(self.param(p, QKV_W), 3 * c, c), View::new(&f.normed, c, np), true, 1);
        let (q, kv) = f.qkv.split_at(c * np);
        let (k, v) = kv.split_at(c * np);
        let dh = c / self.heads;
        let scale = 1.0 / (dh as f32).sqrt();
        let head = |t, h| head_rows(t, h, dh, np);
        for (h, (weights, out)) in f.weights.chunks_mut(np * np).zip(f.out.chunks_mut(dh * np)).enumerate() {
            matmul_into(weights, head(q, h).t(), head(k, h), false, 1);
            for row in weights.chunks_mut(np) {
                let top = row.iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s));
                row.iter_mut().for_each(|s| *s = exp((*s - top) * scale));
                let total = lane_sum(row, row, |s, _| s) as f32;
                row.iter_mut().for_each(|s| *s /= total);
            }
            matmul_into(out, head(v, h), View::new(weights, np, np).t(), false, 1);
        }
    }

    fn scratch(&self) -> Forward {
        let (c, np) = (self.c, self.pixels());
        Forward {
            normed: vec![0f32; c * np],
            qkv: vec![0f32; 3 * c * np],
            weights: vec![0f32; self.heads * np * np],
            out: vec![0f32; c * np],
        }
    }

    /// The outputs `y` of `images` of the batch `x`, on this thread.
    #[inline(always)]
    fn forward_images(&self, x: &[f32], images: Range<usize>, p: &[f32], y: &mut [f32]) {
        let (c, np, len) = (self.c, self.pixels(), self.image_len());
        let mut f = self.scratch();
        for (i, y) in images.zip(y.chunks_mut(len)) {
            let x = &x[i * len..(i + 1) * len];
            self.attend(x, p, &mut f);
            for ((row, x), &b) in y.chunks_mut(np).zip(x.chunks(np)).zip(self.param(p, PROJ_B)) {
                row.iter_mut().zip(x).for_each(|(y, x)| *y = x + b);
            }
            matmul_into(y, View::new(self.param(p, PROJ_W), c, c), View::new(&f.out, c, np), true, 1);
        }
    }

    /// The backward of `images` on this thread from the output's gradient `gy` (the whole
    /// batch's): writes the input's gradient `dx` (these images' rows) and returns these
    /// images' share of the packed vector's gradient.
    #[inline(always)]
    fn backward_images(&self, x: &[f32], images: Range<usize>, gy: &[f32], p: &[f32], dx: &mut [f32]) -> Vec<f32> {
        let (c, np, len) = (self.c, self.pixels(), self.image_len());
        let dh = c / self.heads;
        let scale = 1.0 / (dh as f32).sqrt();
        let mut g = vec![0f32; p.len()];
        let (mut dgamma, mut dbeta) = (vec![0f32; c], vec![0f32; c]);
        let mut f = self.scratch();
        let (mut dout, mut dweights) = (vec![0f32; c * np], vec![0f32; np * np]);
        let (mut dqkv, mut dnormed) = (vec![0f32; 3 * c * np], vec![0f32; c * np]);
        for (i, dx) in images.zip(dx.chunks_mut(len)) {
            let (x, gy) = (&x[i * len..(i + 1) * len], &gy[i * len..(i + 1) * len]);
            self.attend(x, p, &mut f);
            // the projection
            for (db, row) in g[self.ranges[PROJ_B].clone()].iter_mut().zip(gy.chunks(np)) {
                *db += lane_sum(row, row, |v, _| v) as f32;
            }
            matmul_into(
                &mut g[self.ranges[PROJ_W].clone()],
                View::new(gy, c, np),
                View::new(&f.out, c, np).t(),
                true,
                1,
            );
            matmul_into(&mut dout, View::new(self.param(p, PROJ_W), c, c).t(), View::new(gy, c, np), false, 1);
            // per head, out = v·Aᵀ: dv = dout·A, dA = doutᵀ·v
            let (q, kv) = f.qkv.split_at(c * np);
            let (k, v) = kv.split_at(c * np);
            let (dq, dkv) = dqkv.split_at_mut(c * np);
            let (dk, dv) = dkv.split_at_mut(c * np);
            let head = |t, h| head_rows(t, h, dh, np);
            let heads = dq.chunks_mut(dh * np).zip(dk.chunks_mut(dh * np)).zip(dv.chunks_mut(dh * np));
            for (h, ((dq, dk), dv)) in heads.enumerate() {
                let a = &f.weights[h * np * np..(h + 1) * np * np];
                matmul_into(dv, head(&dout, h), View::new(a, np, np), false, 1);
                matmul_into(&mut dweights, head(&dout, h).t(), head(v, h), false, 1);
                // the softmax: dS = A ⊙ (dA − Σⱼ dA·A), times the score scale
                for (ds, a) in dweights.chunks_mut(np).zip(a.chunks(np)) {
                    let dot = lane_sum(ds, a, |d, a| d * a) as f32;
                    ds.iter_mut().zip(a).for_each(|(d, &a)| *d = a * (*d - dot) * scale);
                }
                // S = qᵀk: dq = k·dSᵀ, dk = q·dS
                matmul_into(dq, head(k, h), View::new(&dweights, np, np).t(), false, 1);
                matmul_into(dk, head(q, h), View::new(&dweights, np, np), false, 1);
            }
            // the qkv convolution and the norm
            for (db, row) in g[self.ranges[QKV_B].clone()].iter_mut().zip(dqkv.chunks(np)) {
                *db += lane_sum(row, row, |v, _| v) as f32;
            }
            matmul_into(
                &mut g[self.ranges[QKV_W].clone()],
                View::new(&dqkv, 3 * c, np),
                View::new(&f.normed, c, np).t(),
                true,
                1,
            );
            matmul_into(
                &mut dnormed,
                View::new(self.param(p, QKV_W), 3 * c, c).t(),
                View::new(&dqkv, 3 * c, np),
                false,
                1,
            );
            self.norm().backward_image(
                x,
                &dnormed,
                self.param(p, NORM_W),
                self.param(p, NORM_B),
                dx,
                &mut dgamma,
                &mut dbeta,
            );
            dx.iter_mut().zip(gy).for_each(|(d, g)| *d += g);
        }
        g[self.ranges[NORM_W].clone()].copy_from_slice(&dgamma);
        g[self.ranges[NORM_B].clone()].copy_from_slice(&dbeta);
        g
    }
}

/// Head `h`'s `dh` channel rows of the `[C, P]` (or `[3C, P]`-third) matrix `t`.
fn head_rows(t: &[f32], h: usize, dh: usize, np: usize) -> View<'_> {
    View::new(&t[h * dh * np..(h + 1) * dh * np], dh, np)
}

impl CustomOp2 for Attention {
    fn name(&self) -> &'static str {
        "attention"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        crate::interrupt::check_in_kernel()?;
        let (x, p) = (f32s(s1, l1)?, f32s(s2, l2)?);
        let len = self.image_len();
        let n = x.len() / len;
        let per = block_images(n);
        let mut y = zeros(n * len);
        y.par_chunks_mut(per * len).enumerate().for_each(|(k, y)| {
            let images = k * per..(k * per + per).min(n);
            vectorised(
                #[inline(always)]
                || self.forward_images(x, images, p, y),
            )
        });
        Ok((CpuStorage::F32(y), Shape::from((n, self.c, self.h, self.w))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        p: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let op = AttentionGrad { block: self.clone(), packed: p.to_vec1::<f32>()? };
        let all = grad.contiguous()?.apply_op2_no_bwd(x, &op)?;
        let nx = x.elem_count();
        Ok((Some(all.narrow(0, 0, nx)?.reshape(x.dims())?), Some(all.narrow(0, nx, p.elem_count())?)))
    }
}

impl CustomOp2 for AttentionGrad {
    fn name(&self) -> &'static str {
        "attention_grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        crate::interrupt::check_in_kernel()?;
        let (gy, x) = (f32s(s1, l1)?, f32s(s2, l2)?);
        let (b, p) = (&self.block, &self.packed);
        let len = b.image_len();
        let n = x.len() / len;
        let per = block_images(n);
        let total = n * len + p.len();
        let mut out = zeros(total);
        let (dx, dp) = out.split_at_mut(n * len);
        let grads: Vec<Vec<f32>> = dx
            .par_chunks_mut(per * len)
            .enumerate()
            .map(|(k, dx)| {
                let images = k * per..(k * per + per).min(n);
                vectorised(
                    #[inline(always)]
                    || b.backward_images(x, images, gy, p, dx),
                )
            })
            .collect();
        sum_in_order(dp, &grads.iter().map(Vec::as_slice).collect::<Vec<_>>());
        Ok((CpuStorage::F32(out), Shape::from(total)))
    }
}
