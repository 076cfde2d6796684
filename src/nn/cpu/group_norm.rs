//! Group normalisation (Wu & He 2018), optionally followed by SiLU, as one autograd op for
//! `f32` on the CPU: two passes per group forward, two per group backward, images in parallel,
//! where candle's tensor form runs about a dozen ops (means, broadcasts, a square root, the
//! activation), each allocating its result. The scale and shift gradients are summed over the
//! images in order, so results do not depend on the thread count.

use super::elementwise::{f32s, zeros};
use super::fast_math::{exp, silu};
use super::gemm::lane_sum;
use super::simd::vectorised;
use crate::error::Result;
use candle_core::{CpuStorage, CustomOp3, Layout, Shape, Tensor};
use rayon::prelude::*;

/// The ε added to each group's variance unless a network says otherwise (PyTorch's default).
pub const EPS: f64 = 1e-5;

/// `[N, C, H, W]` normalised over `groups` channel groups per image (ε added to each group's
/// variance), scaled by `gamma` and shifted by `beta` (`[C]` each), then passed through SiLU
/// when `then_silu`.
pub fn group_norm(
    x: &Tensor,
    (groups, eps): (usize, f64),
    gamma: &Tensor,
    beta: &Tensor,
    then_silu: bool,
) -> Result<Tensor> {
    let (_, c, h, w) = x.dims4()?;
    if groups == 0 || c % groups != 0 || gamma.dims() != [c] || beta.dims() != [c] {
        crate::bail!(
            "group norm of {:?} in {groups} groups with scale {:?} and shift {:?} does not fit",
            x.dims(),
            gamma.dims(),
            beta.dims()
        );
    }
    let shape = Norm { channels: c, pixels: h * w, groups, eps: eps as f32, then_silu };
    Ok(x.contiguous()?.apply_op3(&gamma.contiguous()?, &beta.contiguous()?, shape)?)
}

/// The op and its sizes; its per-group passes also serve the fused residual block
/// ([`super::res_block`]).
#[derive(Clone, Copy)]
pub(super) struct Norm {
    /// Channels per image.
    pub channels: usize,
    /// Pixels per channel.
    pub pixels: usize,
    /// Channel groups per image.
    pub groups: usize,
    /// The ε added to each group's variance.
    pub eps: f32,
    /// Whether SiLU follows.
    pub then_silu: bool,
}

/// The gradients `[dx, dγ, dβ]` (concatenated), from the output's gradient, `x` and `γ`.
struct NormGrad {
    norm: Norm,
    beta: Vec<f32>,
}

impl Norm {
    /// Values per group.
    fn group_len(&self) -> usize {
        self.channels / self.groups * self.pixels
    }

    /// Channels per group.
    fn group_channels(&self) -> usize {
        self.channels / self.groups
    }

    /// One group's output `y` from its values `x`; its channels start at `first`.
    #[inline(always)]
    pub fn forward_group(&self, first: usize, x: &[f32], gamma: &[f32], beta: &[f32], y: &mut [f32]) {
        let (mean, rstd) = self.stats(x);
        let hw = self.pixels;
        for (ch, (y, x)) in y.chunks_mut(hw).zip(x.chunks(hw)).enumerate() {
            let (scale, shift) = (rstd * gamma[first + ch], beta[first + ch] - mean * rstd * gamma[first + ch]);
            if self.then_silu {
                y.iter_mut().zip(x).for_each(|(y, &x)| *y = silu(x * scale + shift));
            } else {
                y.iter_mut().zip(x).for_each(|(y, &x)| *y = x * scale + shift);
            }
        }
    }

    /// One image's output `y` (`[C, H, W]`) from `x`.
    #[inline(always)]
    pub fn forward_image(&self, x: &[f32], gamma: &[f32], beta: &[f32], y: &mut [f32]) {
        let glen = self.group_len();
        for (g, (y, x)) in y.chunks_mut(glen).zip(x.chunks(glen)).enumerate() {
            self.forward_group(g * self.group_channels(), x, gamma, beta, y);
        }
    }

    /// One group's backward from the output's gradient `gy`: writes the input's gradient
    /// `dx` and adds the group's channels' scale and shift gradients onto `dgamma` and `dbeta`
    /// (one value per channel of the group); its channels start at `first`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn backward_group(
        &self,
        first: usize,
        x: &[f32],
        gy: &[f32],
        gamma: &[f32],
        beta: &[f32],
        dx: &mut [f32],
        dgamma: &mut [f32],
        dbeta: &mut [f32],
    ) {
        let (mean, rstd) = self.stats(x);
        let (hw, glen) = (self.pixels, x.len());
        // the means of dL/dx̂ and of dL/dx̂ · x̂ over the group
        let (mut sum_g, mut sum_gx) = (0f64, 0f64);
        for (ch, ((dx, x), gy)) in dx.chunks_mut(hw).zip(x.chunks(hw)).zip(gy.chunks(hw)).enumerate() {
            let (g, b) = (gamma[first + ch], beta[first + ch]);
            if self.then_silu {
                let (scale, shift) = (rstd * g, b - mean * rstd * g);
                for ((dx, &x), &gy) in dx.iter_mut().zip(x).zip(gy) {
                    let z = x * scale + shift;
                    let s = 1.0 / (1.0 + exp(-z));
                    *dx = gy * s * (1.0 + z * (1.0 - s));
                }
            } else {
                dx.copy_from_slice(gy);
            }
            // dx holds dL/dz; dγ = Σ dz·x̂, dβ = Σ dz, and dL/dx̂ = γ·dz
            let dg = lane_sum(dx, x, |gz, x| gz * (x - mean) * rstd);
            let db = lane_sum(dx, x, |gz, _| gz);
            dx.iter_mut().for_each(|v| *v *= g);
            dgamma[ch] += dg as f32;
            dbeta[ch] += db as f32;
            sum_g += g as f64 * db;
            sum_gx += g as f64 * dg;
        }
        let (mg, mgx) = ((sum_g / glen as f64) as f32, (sum_gx / glen as f64) as f32);
        dx.iter_mut().zip(x).for_each(|(dx, &x)| *dx = rstd * (*dx - mg - (x - mean) * rstd * mgx));
    }

    /// One image's backward ([`Norm::backward_group`] for each of its groups): `dgamma` and
    /// `dbeta` hold one value per channel.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn backward_image(
        &self,
        x: &[f32],
        gy: &[f32],
        gamma: &[f32],
        beta: &[f32],
        dx: &mut [f32],
        dgamma: &mut [f32],
        dbeta: &mut [f32],
    ) {
        let (glen, per) = (self.group_len(), self.group_channels());
        for (g, ((dx, x), gy)) in dx.chunks_mut(glen).zip(x.chunks(glen)).zip(gy.chunks(glen)).enumerate() {
            self.backward_group(
                g * per,
                x,
                gy,
                gamma,
                beta,
                dx,
                &mut dgamma[g * per..(g + 1) * per],
                &mut dbeta[g * per..(g + 1) * per],
            );
        }
    }

    /// The mean and 1/√(var + ε) of one group (two passes).
    #[inline(always)]
    fn stats(&self, group: &[f32]) -> (f32, f32) {
        let n = group.len() as f64;
        let mean = (lane_sum(group, group, |v, _| v) / n) as f32;
        let var = lane_sum(group, group, |v, _| (v - mean) * (v - mean)) / n;
        (mean, (1.0 / (var + self.eps as f64).sqrt()) as f32)
    }
}

impl CustomOp3 for Norm {
    fn name(&self) -> &'static str {
        "group_norm"
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
        let (x, gamma, beta) = (f32s(s1, l1)?, f32s(s2, l2)?, f32s(s3, l3)?);
        let glen = self.group_len();
        let mut y = zeros(x.len());
        y.par_chunks_mut(glen).zip(x.par_chunks(glen)).enumerate().for_each(|(i, (y, x))| {
            vectorised(
                #[inline(always)]
                || self.forward_group((i % self.groups) * self.group_channels(), x, gamma, beta, y),
            )
        });
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        beta: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let op = NormGrad { norm: *self, beta: beta.to_vec1::<f32>()? };
        let all = grad.contiguous()?.apply_op3_no_bwd(x, gamma, &op)?;
        let (n, c) = (x.elem_count(), self.channels);
        let dx = all.narrow(0, 0, n)?.reshape(x.dims())?;
        Ok((Some(dx), Some(all.narrow(0, n, c)?), Some(all.narrow(0, n + c, c)?)))
    }
}

impl CustomOp3 for NormGrad {
    fn name(&self) -> &'static str {
        "group_norm_grad"
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
        let (gy, x, gamma) = (f32s(s1, l1)?, f32s(s2, l2)?, f32s(s3, l3)?);
        let norm = self.norm;
        let (c, glen, per_group) = (norm.channels, norm.group_len(), norm.group_channels());
        // dx is written in full below, and dγ, dβ are added onto zeros
        let mut dx = zeros(x.len() + 2 * c);
        // per group: (dγ, dβ) of its channels
        let partial: Vec<(Vec<f32>, Vec<f32>)> = dx[..x.len()]
            .par_chunks_mut(glen)
            .zip(x.par_chunks(glen).zip(gy.par_chunks(glen)))
            .enumerate()
            .map(|(i, (dx, (x, gy)))| {
                let (mut dgamma, mut dbeta) = (vec![0f32; per_group], vec![0f32; per_group]);
                let first = (i % norm.groups) * per_group;
                vectorised(
                    #[inline(always)]
                    || norm.backward_group(first, x, gy, gamma, &self.beta, dx, &mut dgamma, &mut dbeta),
                );
                (dgamma, dbeta)
            })
            .collect();
        let (dgamma, dbeta) = dx[x.len()..].split_at_mut(c);
        for (i, (dg, db)) in partial.iter().enumerate() {
            let first = (i % norm.groups) * per_group;
            dgamma[first..first + per_group].iter_mut().zip(dg).for_each(|(a, v)| *a += v);
            dbeta[first..first + per_group].iter_mut().zip(db).for_each(|(a, v)| *a += v);
        }
        Ok((CpuStorage::F32(dx), Shape::from(x.len() + 2 * c)))
    }
}
