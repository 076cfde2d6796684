//! The UNet's residual block (Ho et al. 2020: group norm and SiLU, a 3×3 convolution with a
//! bias per image, group norm and SiLU, a 3×3 convolution, plus the block's input or its 1×1
//! projection) as one autograd op for `f32` on the CPU.
//!
//! Run as its separate ops, a block spends much of a training step outside arithmetic: each op
//! writes its whole-batch result to memory for the next to read back, hands its work to the
//! thread pool and waits for it, and candle's autograd gives each intermediate tensor a zeroed
//! gradient that the backward then adds into, on the calling thread while the other cores idle.
//! Here the batch is cut into fixed blocks of images, and each block runs the whole residual
//! block forward, and later backward, one image at a time on one thread, so an image's
//! intermediate values stay in the core's cache. The forward keeps only the first convolution's
//! output; the backward recomputes both normalised activations from it and from the input.
//! The blocks' parameter gradients are summed in a fixed order, so results do not depend on
//! the thread count. Value and gradients equal the separate ops' to `f32` rounding.

use super::conv::{block_images, Geometry};
use super::elementwise::{f32s, zeros};
use super::gemm::{lane_sum, matmul_into, sum_in_order, View};
use super::group_norm::Norm;
use super::simd::vectorised;
use crate::error::Result;
use candle_core::{CpuStorage, CustomOp2, CustomOp3, Layout, Shape, Tensor};
use rayon::prelude::*;
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// A residual block's weights, as [`res_block`] takes them: group norm, 3×3 convolution
/// (its bias comes in as `bias1`), group norm, 3×3 convolution, and a 1×1 projection of the
/// input where the block changes the channel count.
pub(crate) struct ResBlockWeights<'a> {
    /// The first group norm's scale and shift, `[C_in]` each, and its group count.
    pub norm1: (&'a Tensor, &'a Tensor, usize),
    /// The first convolution's kernel, `[C_out, C_in, 3, 3]`.
    pub conv1: &'a Tensor,
    /// The second group norm's scale and shift, `[C_out]` each, and its group count.
    pub norm2: (&'a Tensor, &'a Tensor, usize),
    /// The second convolution's kernel `[C_out, C_out, 3, 3]` and bias `[C_out]`.
    pub conv2: (&'a Tensor, &'a Tensor),
    /// The projection's kernel `[C_out, C_in, 1, 1]` and bias `[C_out]`.
    pub skip: Option<(&'a Tensor, &'a Tensor)>,
    /// The ε both group norms add to each group's variance.
    pub eps: f64,
}

const NORM1_W: usize = 0;
const NORM1_B: usize = 1;
const CONV1_W: usize = 2;
const NORM2_W: usize = 3;
const NORM2_B: usize = 4;
const CONV2_W: usize = 5;
const CONV2_B: usize = 6;
const SKIP_W: usize = 7;
const SKIP_B: usize = 8;

/// The residual block of weights `wt` applied to
/// the channels of `parts` one after the other (`[N, C_i, H, W]` each: one input, or the UNet's
/// upward path and its skip connection, joined here image by image instead of as a whole-batch
/// concatenation); its first convolution adds `bias1` (`[N, O]`: the convolution's bias plus the
/// block's time term, one row per image).
pub(crate) fn res_block(wt: &ResBlockWeights, parts: &[&Tensor], bias1: &Tensor) -> Result<Tensor> {
    let (n, _, h, w) = parts[0].dims4()?;
    let dims: Vec<&[usize]> = parts.iter().map(|t| t.dims()).collect();
    if parts.len() > 2 || dims.iter().any(|d| d.len() != 4 || d[0] != n || d[2] != h || d[3] != w) {
        crate::bail!("a residual block takes one or two [N, C, H, W] inputs of one size, got {dims:?}");
    }
    let channels: Vec<usize> = dims.iter().map(|d| d[1]).collect();
    let cin = channels.iter().sum();
    let skip = wt.skip.is_some();
    let mut tensors = vec![wt.norm1.0, wt.norm1.1, wt.conv1, wt.norm2.0, wt.norm2.1, wt.conv2.0, wt.conv2.1];
    if let Some((sw, sb)) = wt.skip {
        tensors.extend([sw, sb]);
    }
    let (params, ranges) = super::packed(&tensors, bias1.elem_count())?;
    let cout = wt.conv1.dim(0)?;
    let want = [cin, cin, cout * cin * 9, cout, cout, cout * cout * 9, cout, cout * cin, cout];
    if ranges.iter().zip(want).any(|(r, len)| r.len() != len) || bias1.dims() != [n, cout] {
        crate::bail!("the residual block does not fit {dims:?} images with a {:?} bias", bias1.dims());
    }
    let groups = (wt.norm1.2, wt.norm2.2);
    let eps = wt.eps as f32;
    let op =
        ResBlock { block: Block { channels, cin, cout, h, w, skip, groups, eps, ranges }, saved: Mutex::new(None) };
    let mut flat = vec![bias1.flatten_all()?];
    flat.extend(params);
    let packed = Tensor::cat(&flat, 0)?;
    Ok(match parts {
        [a] => a.contiguous()?.apply_op2(&packed, op)?,
        [a, b] => a.contiguous()?.apply_op3(&b.contiguous()?, &packed, op)?,
        _ => unreachable!("one or two parts, checked above"),
    })
}

/// A block's sizes, and where each parameter lies in the packed vector (after the first bias).
#[derive(Clone)]
struct Block {
    /// Channels of each input part.
    channels: Vec<usize>,
    cin: usize,
    cout: usize,
    h: usize,
    w: usize,
    skip: bool,
    /// The two group norms' group counts.
    groups: (usize, usize),
    /// The ε of both group norms.
    eps: f32,
    ranges: Vec<Range<usize>>,
}

/// The forward op, and the first convolution's output of each block of images, kept for the
/// backward.
struct ResBlock {
    block: Block,
    saved: Mutex<Option<Arc<Vec<Vec<f32>>>>>,
}

/// The gradients of the input parts and of the packed vector (concatenated), from the output's
/// gradient and the input parts.
struct ResBlockGrad {
    block: Block,
    h1: Arc<Vec<Vec<f32>>>,
    packed: Vec<f32>,
}

impl Block {
    fn pixels(&self) -> usize {
        self.h * self.w
    }

    fn conv(&self, c: usize) -> Geometry {
        Geometry { c, h: self.h, w: self.w, o: self.cout, k: 3, stride: 1, padding: 1 }
    }

    fn norm(&self, channels: usize, groups: usize) -> Norm {
        Norm { channels, pixels: self.pixels(), groups, eps: self.eps, then_silu: true }
    }

    fn param<'a>(&self, p: &'a [f32], slot: usize) -> &'a [f32] {
        &p[self.ranges[slot].clone()]
    }

    /// The constant added to every output pixel of a channel: the second convolution's bias,
    /// plus the projection's.
    fn out_bias(&self, p: &[f32]) -> Vec<f32> {
        let b = self.param(p, CONV2_B);
        if self.skip {
            b.iter().zip(self.param(p, SKIP_B)).map(|(a, c)| a + c).collect()
        } else {
            b.to_vec()
        }
    }

    /// Image `i`'s input `[C, H, W]`: its one part, or its parts' channels one after the
    /// other, copied into `buf`.
    #[inline(always)]
    fn image<'a>(&self, parts: &[&'a [f32]], i: usize, buf: &'a mut [f32]) -> &'a [f32] {
        let hw = self.pixels();
        if let [x] = parts {
            return &x[i * self.cin * hw..(i + 1) * self.cin * hw];
        }
        let mut at = 0;
        for (part, &c) in parts.iter().zip(&self.channels) {
            buf[at..at + c * hw].copy_from_slice(&part[i * c * hw..(i + 1) * c * hw]);
            at += c * hw;
        }
        &buf[..at]
    }

    /// The forward of `images` on this thread: writes their outputs `y` and returns their first
    /// convolution's output (before the second norm).
    #[inline(always)]
    fn forward_images(&self, parts: &[&[f32]], images: Range<usize>, p: &[f32], y: &mut [f32]) -> Vec<f32> {
        let (hw, cin, o) = (self.pixels(), self.cin, self.cout);
        let (conv1, conv2, norm1, norm2) =
            (self.conv(cin), self.conv(o), self.norm(cin, self.groups.0), self.norm(o, self.groups.1));
        let out_bias = self.out_bias(p);
        let mut h1 = vec![0f32; images.len() * o * hw];
        let (mut a, mut joined) = (vec![0f32; cin.max(o) * hw], vec![0f32; cin * hw]);
        for ((i, h), y) in images.zip(h1.chunks_mut(o * hw)).zip(y.chunks_mut(o * hw)) {
            let x = self.image(parts, i, &mut joined);
            norm1.forward_image(x, self.param(p, NORM1_W), self.param(p, NORM1_B), &mut a[..cin * hw]);
            for (row, &b) in h.chunks_mut(hw).zip(&p[i * o..(i + 1) * o]) {
                row.fill(b);
            }
            conv1.product(&a[..cin * hw], self.param(p, CONV1_W), h, true);
            norm2.forward_image(h, self.param(p, NORM2_W), self.param(p, NORM2_B), &mut a[..o * hw]);
            for (row, &b) in y.chunks_mut(hw).zip(&out_bias) {
                row.fill(b);
            }
            if self.skip {
                matmul_into(y, View::new(self.param(p, SKIP_W), o, cin), View::new(x, cin, hw), true, 1);
            } else {
                y.iter_mut().zip(x).for_each(|(y, x)| *y += x);
            }
            conv2.product(&a[..o * hw], self.param(p, CONV2_W), y, true);
        }
        h1
    }

    /// The backward of `images` on this thread, from the output's gradient `gy` (the whole
    /// batch's): writes the input parts' gradients `dx` (these images' rows of each part) and
    /// returns these images' share of the packed vector's gradient (the first biases of other
    /// images left zero).
    /// `flipped` holds both convolutions' kernels as [`Geometry::flipped_kernel`] gives them.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn backward_images(
        &self,
        parts: &[&[f32]],
        images: Range<usize>,
        h1: &[f32],
        gy: &[f32],
        p: &[f32],
        flipped: &[Vec<f32>; 2],
        dx: &mut [&mut [f32]],
    ) -> Vec<f32> {
        let (hw, cin, o) = (self.pixels(), self.cin, self.cout);
        let (conv1, conv2, norm1, norm2) =
            (self.conv(cin), self.conv(o), self.norm(cin, self.groups.0), self.norm(o, self.groups.1));
        let (back1, back2) = (
            conv1.transposed().expect("a 3×3 kernel at stride 1"),
            conv2.transposed().expect("a 3×3 kernel at stride 1"),
        );
        let (gamma1, beta1, gamma2, beta2) =
            (self.param(p, NORM1_W), self.param(p, NORM1_B), self.param(p, NORM2_W), self.param(p, NORM2_B));
        let mut g = vec![0f32; p.len()];
        // kernel gradients accumulate transposed ([`Geometry::add_kernel_grad`])
        let (mut k1, mut k2) = (vec![0f32; o * cin * 9], vec![0f32; o * o * 9]);
        let (mut dgamma1, mut dbeta1, mut dgamma2, mut dbeta2, mut dbias2) =
            (vec![0f32; cin], vec![0f32; cin], vec![0f32; o], vec![0f32; o], vec![0f32; o]);
        let (mut a, mut ga) = (vec![0f32; cin.max(o) * hw], vec![0f32; cin.max(o) * hw]);
        let (mut gh, mut joined, mut dxi) = (vec![0f32; o * hw], vec![0f32; cin * hw], vec![0f32; cin * hw]);
        let first = images.start;
        for (i, h) in images.zip(h1.chunks(o * hw)) {
            let gy = &gy[i * o * hw..(i + 1) * o * hw];
            let x = self.image(parts, i, &mut joined);
            for (db, row) in dbias2.iter_mut().zip(gy.chunks(hw)) {
                *db += lane_sum(row, row, |v, _| v) as f32;
            }
            if self.skip {
                matmul_into(
                    &mut g[self.ranges[SKIP_W].clone()],
                    View::new(gy, o, hw),
                    View::new(x, cin, hw).t(),
                    true,
                    1,
                );
            }
            // the second convolution, from its recomputed input
            norm2.forward_image(h, gamma2, beta2, &mut a[..o * hw]);
            conv2.add_kernel_grad(&a[..o * hw], gy, &mut k2);
            back2.product(gy, &flipped[1], &mut ga[..o * hw], false);
            norm2.backward_image(h, &ga[..o * hw], gamma2, beta2, &mut gh, &mut dgamma2, &mut dbeta2);
            // the first convolution; its bias is the packed vector's first `N·O` values
            for (db, row) in g[i * o..(i + 1) * o].iter_mut().zip(gh.chunks(hw)) {
                *db = lane_sum(row, row, |v, _| v) as f32;
            }
            norm1.forward_image(x, gamma1, beta1, &mut a[..cin * hw]);
            conv1.add_kernel_grad(&a[..cin * hw], &gh, &mut k1);
            back1.product(&gh, &flipped[0], &mut ga[..cin * hw], false);
            norm1.backward_image(x, &ga[..cin * hw], gamma1, beta1, &mut dxi, &mut dgamma1, &mut dbeta1);
            if self.skip {
                matmul_into(&mut dxi, View::new(self.param(p, SKIP_W), o, cin).t(), View::new(gy, o, hw), true, 1);
            } else {
                dxi.iter_mut().zip(gy).for_each(|(d, g)| *d += g);
            }
            let mut at = 0;
            for (d, &c) in dx.iter_mut().zip(&self.channels) {
                d[(i - first) * c * hw..(i - first + 1) * c * hw].copy_from_slice(&dxi[at..at + c * hw]);
                at += c * hw;
            }
        }
        conv1.untranspose(&k1, &mut g[self.ranges[CONV1_W].clone()]);
        conv2.untranspose(&k2, &mut g[self.ranges[CONV2_W].clone()]);
        let mut put = |slot: usize, v: &[f32]| g[self.ranges[slot].clone()].copy_from_slice(v);
        put(NORM1_W, &dgamma1);
        put(NORM1_B, &dbeta1);
        put(NORM2_W, &dgamma2);
        put(NORM2_B, &dbeta2);
        put(CONV2_B, &dbias2);
        if self.skip {
            put(SKIP_B, &dbias2);
        }
        g
    }
}

impl ResBlock {
    /// The forward on the input parts and the packed vector.
    fn forward(&self, parts: &[&[f32]], p: &[f32]) -> (CpuStorage, Shape) {
        let b = &self.block;
        let (hw, o) = (b.pixels(), b.cout);
        let n = parts[0].len() / (b.channels[0] * hw);
        let per = block_images(n);
        let mut y = zeros(n * o * hw);
        let h1: Vec<Vec<f32>> = y
            .par_chunks_mut(per * o * hw)
            .enumerate()
            .map(|(k, y)| {
                let images = k * per..(k * per + per).min(n);
                vectorised(
                    #[inline(always)]
                    || b.forward_images(parts, images, p, y),
                )
            })
            .collect();
        *self.saved.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(h1));
        (CpuStorage::F32(y), Shape::from((n, o, b.h, b.w)))
    }

    /// The gradients of the input parts and of the packed vector `p`.
    fn backward(&self, parts: &[&Tensor], p: &Tensor, grad: &Tensor) -> candle_core::Result<Vec<Tensor>> {
        let h1 = self.saved.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let h1 =
            h1.ok_or_else(|| candle_core::Error::Msg("the residual block's backward ran before its forward".into()))?;
        let np = p.elem_count();
        let op = ResBlockGrad { block: self.block.clone(), h1, packed: p.to_vec1::<f32>()? };
        let grad = grad.contiguous()?;
        let all = match parts {
            [a] => grad.apply_op2_no_bwd(a, &op)?,
            [a, b] => grad.apply_op3_no_bwd(a, b, &op)?,
            _ => unreachable!("one or two parts"),
        };
        let mut at = 0;
        let mut grads = Vec::new();
        for part in parts {
            grads.push(all.narrow(0, at, part.elem_count())?.reshape(part.dims())?);
            at += part.elem_count();
        }
        grads.push(all.narrow(0, at, np)?);
        Ok(grads)
    }
}

impl ResBlockGrad {
    /// `[d part…, d packed]` from the output's gradient `gy` and the input parts.
    fn compute(&self, gy: &[f32], parts: &[&[f32]]) -> (CpuStorage, Shape) {
        let b = &self.block;
        let p = &self.packed;
        let (hw, cin, o) = (b.pixels(), b.cin, b.cout);
        let n = gy.len() / (o * hw);
        let per = block_images(n);
        let flipped = [b.conv(cin).flipped_kernel(b.param(p, CONV1_W)), b.conv(o).flipped_kernel(b.param(p, CONV2_W))];
        // the parts' gradients are written in full by the blocks, the packed vector's summed below
        let total = n * cin * hw + p.len();
        let mut out = zeros(total);
        let (dx, dp) = out.split_at_mut(n * cin * hw);
        // each block's rows of each part's gradient
        let mut blocks: Vec<Vec<&mut [f32]>> = (0..n.div_ceil(per)).map(|_| Vec::new()).collect();
        let mut rest = dx;
        for &c in &b.channels {
            let (part, tail) = rest.split_at_mut(n * c * hw);
            rest = tail;
            for (block, rows) in blocks.iter_mut().zip(part.chunks_mut(per * c * hw)) {
                block.push(rows);
            }
        }
        let grads: Vec<Vec<f32>> = blocks
            .into_par_iter()
            .zip(self.h1.par_iter())
            .enumerate()
            .map(|(k, (mut dx, h1))| {
                let images = k * per..(k * per + per).min(n);
                vectorised(
                    #[inline(always)]
                    || b.backward_images(parts, images, h1, gy, p, &flipped, &mut dx),
                )
            })
            .collect();
        sum_in_order(dp, &grads.iter().map(Vec::as_slice).collect::<Vec<_>>());
        (CpuStorage::F32(out), Shape::from(total))
    }
}

impl CustomOp2 for ResBlock {
    fn name(&self) -> &'static str {
        "res_block"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        crate::interrupt::check_in_kernel()?;
        Ok(self.forward(&[f32s(s1, l1)?], f32s(s2, l2)?))
    }

    fn bwd(
        &self,
        x: &Tensor,
        p: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let mut g = self.backward(&[x], p, grad)?.into_iter().map(Some);
        Ok((g.next().flatten(), g.next().flatten()))
    }
}

impl CustomOp3 for ResBlock {
    fn name(&self) -> &'static str {
        "res_block"
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
        Ok(self.forward(&[f32s(s1, l1)?, f32s(s2, l2)?], f32s(s3, l3)?))
    }

    fn bwd(
        &self,
        a: &Tensor,
        b: &Tensor,
        p: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let mut g = self.backward(&[a, b], p, grad)?.into_iter().map(Some);
        Ok((g.next().flatten(), g.next().flatten(), g.next().flatten()))
    }
}

impl CustomOp2 for ResBlockGrad {
    fn name(&self) -> &'static str {
        "res_block_grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        crate::interrupt::check_in_kernel()?;
        Ok(self.compute(f32s(s1, l1)?, &[f32s(s2, l2)?]))
    }
}

impl CustomOp3 for ResBlockGrad {
    fn name(&self) -> &'static str {
        "res_block_grad"
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
        Ok(self.compute(f32s(s1, l1)?, &[f32s(s2, l2)?, f32s(s3, l3)?]))
    }
}
