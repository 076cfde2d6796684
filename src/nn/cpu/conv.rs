//! A 2-D convolution with its bias as one autograd op for `f32` on the CPU: per image, the
//! patches are unrolled (im2col) from the zero-padded image and one `gemm` product makes the
//! output. The backward unrolls them again for the kernel's gradient; the input's gradient is
//! at stride 1 a convolution of the output's gradient with the flipped kernel, and otherwise
//! the patches' gradient folded back (col2im). Images run in parallel in fixed blocks whose
//! kernel gradients are summed in order, so results do not depend on the thread count.
//! Candle's CPU convolution backward runs its transposed convolution as scalar loops, several
//! times slower than this.

use super::elementwise::{f32s, zeros};
use super::gemm::{lane_sum, matmul_into, View};
use super::simd::vectorised;
use crate::error::Result;
use candle_core::{CpuStorage, CustomOp2, CustomOp3, DType, Layout, Shape, Tensor};
use rayon::prelude::*;

/// Whether [`conv2d`] runs on these tensors (else the caller uses candle's convolution).
pub fn applies(x: &Tensor, w: &Tensor) -> bool {
    x.device().is_cpu() && x.dtype() == DType::F32 && w.dtype() == DType::F32 && x.rank() == 4 && w.rank() == 4
}

/// `x` (`[N, C, H, W]`) convolved with `w` (`[O, C, k, k]`) plus `b` (`[O]`, or `[N, O]`: a
/// bias per image), at this stride and zero padding.
pub fn conv2d(x: &Tensor, w: &Tensor, b: &Tensor, stride: usize, padding: usize) -> Result<Tensor> {
    let (n, c, h, wd) = x.dims4()?;
    let (o, wc, k, k2) = w.dims4()?;
    if wc != c
        || k != k2
        || (b.dims() != [o] && b.dims() != [n, o])
        || stride == 0
        || h + 2 * padding < k
        || wd + 2 * padding < k
    {
        crate::bail!(
            "a convolution of {:?} images with a {:?} kernel and {:?} bias does not fit",
            x.dims(),
            w.dims(),
            b.dims()
        );
    }
    let geo = Geometry { c, h, w: wd, o, k, stride, padding };
    Ok(x.contiguous()?.apply_op3(&w.contiguous()?, &b.contiguous()?, Conv { geo })?)
}

/// The sizes of one convolution.
#[derive(Clone, Copy, Debug)]
pub(super) struct Geometry {
    /// Input channels.
    pub c: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Output channels.
    pub o: usize,
    /// Kernel side.
    pub k: usize,
    /// Stride.
    pub stride: usize,
    /// Zero padding on each side.
    pub padding: usize,
}

impl Geometry {
    fn out_h(&self) -> usize {
        (self.h + 2 * self.padding - self.k) / self.stride + 1
    }

    fn out_w(&self) -> usize {
        (self.w + 2 * self.padding - self.k) / self.stride + 1
    }

    /// Output pixels per channel.
    pub fn pixels(&self) -> usize {
        self.out_h() * self.out_w()
    }

    /// Rows of the unrolled patches: `C·k·k`.
    fn patch(&self) -> usize {
        self.c * self.k * self.k
    }

    /// Whether the unrolled patches are the image itself (a 1×1 kernel at stride 1).
    fn is_pointwise(&self) -> bool {
        self.k == 1 && self.stride == 1 && self.padding == 0
    }

    fn padded_h(&self) -> usize {
        self.h + 2 * self.padding
    }

    fn padded_w(&self) -> usize {
        self.w + 2 * self.padding
    }

    /// At stride 1, the input's gradient is itself a convolution: of the output's gradient
    /// (`O` channels, padded by `k − 1 − padding`) with the kernel flipped in space and its
    /// two channel axes swapped ([`Geometry::flipped_kernel`]). `None` at other strides, or
    /// when the padding exceeds `k − 1`.
    pub fn transposed(&self) -> Option<Geometry> {
        (self.stride == 1 && self.padding < self.k && !self.is_pointwise()).then(|| Geometry {
            c: self.o,
            h: self.out_h(),
            w: self.out_w(),
            o: self.c,
            k: self.k,
            stride: 1,
            padding: self.k - 1 - self.padding,
        })
    }

    /// The kernel `w` (`[O, C, k, k]`) as `[C, O, k, k]`, flipped in both spatial axes.
    pub fn flipped_kernel(&self, w: &[f32]) -> Vec<f32> {
        let (k, taps) = (self.k, self.k * self.k);
        let mut flipped = vec![0f32; w.len()];
        for o in 0..self.o {
            for c in 0..self.c {
                let (src, dst) = ((o * self.c + c) * taps, (c * self.o + o) * taps);
                for t in 0..taps {
                    flipped[dst + t] = w[src + (k - 1 - t / k) * k + (k - 1 - t % k)];
                }
            }
        }
        flipped
    }

    /// Length of a zero-padded image.
    fn padded_len(&self) -> usize {
        self.c * self.padded_h() * self.padded_w()
    }

    /// Copies the image `x` (`[C, H, W]`) into the middle of `padded`, zeros around it.
    fn pad(&self, x: &[f32], padded: &mut [f32]) {
        let (hp, wp, pad) = (self.padded_h(), self.padded_w(), self.padding);
        padded.fill(0.0);
        for (plane, image) in padded.chunks_mut(hp * wp).zip(x.chunks(self.h * self.w)) {
            copy_rows(plane, (pad * wp + pad, wp), image, (0, self.w), self.w, self.h);
        }
    }

    /// The image's patches `[C·k·k, out_h·out_w]`: the image itself for a pointwise kernel,
    /// else unrolled into `col` from the zero-padded image in `padded`, one output row of a
    /// patch row at a time. (Running the product over the padded width instead, where each
    /// patch row is one contiguous run of the padded image, wastes 12–25% of its arithmetic on
    /// 16×16 and 8×8 images and measured slower.)
    fn unroll<'a>(&self, x: &'a [f32], padded: &mut [f32], col: &'a mut [f32]) -> &'a [f32] {
        if self.is_pointwise() {
            return x;
        }
        self.pad(x, padded);
        let (oh, ow, s, wp, p) = (self.out_h(), self.out_w(), self.stride, self.padded_w(), self.pixels());
        vectorised(
            #[inline(always)]
            || {
                self.for_each_tap(
                    #[inline(always)]
                    |row, start| {
                        if s == 1 {
                            return copy_rows(col, (row * p, ow), padded, (start, wp), ow, oh);
                        }
                        for (oy, out) in col[row * p..(row + 1) * p].chunks_exact_mut(ow).enumerate() {
                            out.iter_mut()
                                .zip(padded[start + oy * s * wp..].iter().step_by(s))
                                .for_each(|(o, v)| *o = *v);
                        }
                    },
                )
            },
        );
        col
    }

    /// The image's gradient `dx` (`[C, H, W]`, written in full) from the patches' gradient
    /// `dcol` (`[C·k·k, out_h·out_w]`): each patch value is added back where it was read from in the
    /// zero-padded image, and the padding is cut off.
    fn fold(&self, dcol: &[f32], padded: &mut [f32], dx: &mut [f32]) {
        let (hp, wp, pad, p) = (self.padded_h(), self.padded_w(), self.padding, self.pixels());
        let (ow, s) = (self.out_w(), self.stride);
        vectorised(
            #[inline(always)]
            || {
                padded.fill(0.0);
                self.for_each_tap(
                    #[inline(always)]
                    |row, start| {
                        let src = &dcol[row * p..(row + 1) * p];
                        for (oy, src) in src.chunks_exact(ow).enumerate() {
                            let dst = &mut padded[start + oy * s * wp..];
                            if s == 1 {
                                dst[..ow].iter_mut().zip(src).for_each(|(d, v)| *d += v);
                            } else {
                                dst.iter_mut().step_by(s).zip(src).for_each(|(d, v)| *d += v);
                            }
                        }
                    },
                );
            },
        );
        for (plane, image) in padded.chunks(hp * wp).zip(dx.chunks_mut(self.h * self.w)) {
            copy_rows(image, (0, self.w), plane, (pad * wp + pad, wp), self.w, self.h);
        }
    }

    /// One image's output `y` (`[O, out_h·out_w]`) = `w` · patches of `x`, added onto `y`'s
    /// contents when `accumulate`, on this thread.
    #[inline(always)]
    pub fn product(&self, x: &[f32], w: &[f32], y: &mut [f32], accumulate: bool) {
        with_scratch(self, |padded, col| {
            let col = self.unroll(x, padded, col);
            matmul_into(
                y,
                View::new(w, self.o, self.patch()),
                View::new(col, self.patch(), self.pixels()),
                accumulate,
                1,
            );
        })
    }

    /// Adds one image's kernel gradient, from its input `x` and output gradient `gy`, onto
    /// `transposed` (`[C·k·k, O]`: accumulated transposed so that `gemm` packs the output's
    /// gradient, O rows, instead of the unrolled patches, C·k·k rows), on this thread.
    #[inline(always)]
    pub fn add_kernel_grad(&self, x: &[f32], gy: &[f32], transposed: &mut [f32]) {
        with_scratch(self, |padded, col| {
            let col = self.unroll(x, padded, col);
            matmul_into(
                transposed,
                View::new(col, self.patch(), self.pixels()),
                View::new(gy, self.o, self.pixels()).t(),
                true,
                1,
            );
        })
    }

    /// Writes a kernel gradient accumulated as [`Geometry::add_kernel_grad`]'s `[C·k·k, O]`
    /// into `dw` in the kernel's layout `[O, C·k·k]`.
    pub fn untranspose(&self, transposed: &[f32], dw: &mut [f32]) {
        let patch = self.patch();
        for (r, row) in transposed.chunks(self.o).enumerate() {
            for (o, &v) in row.iter().enumerate() {
                dw[o * patch + r] = v;
            }
        }
    }

    /// Visits the patch rows (channel, kernel row, kernel column) in order: `f(row, start)`
    /// where `start` is the patch row's first read (output pixel 0) in the zero-padded image.
    #[inline(always)]
    fn for_each_tap(&self, mut f: impl FnMut(usize, usize)) {
        let (plane, wp, k) = (self.padded_h() * self.padded_w(), self.padded_w(), self.k);
        let mut row = 0;
        for ch in 0..self.c {
            for ki in 0..k {
                for kj in 0..k {
                    f(row, ch * plane + ki * wp + kj);
                    row += 1;
                }
            }
        }
    }
}

/// Copies `rows` rows of `width` values from `src` to `dst`, where `(at, stride)` places each
/// side's row `r` at `at + r·stride`. The widths of small images' rows (4, 8, 16, 32) compile
/// to a few vector moves per row; a `memcpy` call per row took most of the unrolling's time.
#[inline(always)]
fn copy_rows(
    dst: &mut [f32],
    (dst_at, dst_stride): (usize, usize),
    src: &[f32],
    (src_at, src_stride): (usize, usize),
    width: usize,
    rows: usize,
) {
    #[inline(always)]
    fn fixed<const W: usize>(
        dst: &mut [f32],
        (dst_at, dst_stride): (usize, usize),
        src: &[f32],
        (src_at, src_stride): (usize, usize),
        rows: usize,
    ) {
        if rows == 0 {
            return;
        }
        // the last row's bounds, checked once instead of per row
        assert!(
            dst_at + (rows - 1) * dst_stride + W <= dst.len() && src_at + (rows - 1) * src_stride + W <= src.len(),
            "rows out of bounds"
        );
        for r in 0..rows {
            // SAFETY: row r ends at or before the last row's end, checked above, and `dst` is
            // borrowed mutably, so the two do not overlap
            unsafe {
                std::ptr::copy_nonoverlapping(
                    src.as_ptr().add(src_at + r * src_stride),
                    dst.as_mut_ptr().add(dst_at + r * dst_stride),
                    W,
                )
            };
        }
    }
    let (d, s) = ((dst_at, dst_stride), (src_at, src_stride));
    match width {
        4 => fixed::<4>(dst, d, src, s, rows),
        8 => fixed::<8>(dst, d, src, s, rows),
        16 => fixed::<16>(dst, d, src, s, rows),
        32 => fixed::<32>(dst, d, src, s, rows),
        _ => (0..rows).for_each(|r| {
            dst[dst_at + r * dst_stride..][..width].copy_from_slice(&src[src_at + r * src_stride..][..width])
        }),
    }
}

/// One thread's buffers, kept between calls (so each image does not allocate and zero its
/// own): a padded image and its unrolled patches.
#[derive(Default)]
struct Scratch {
    padded: Vec<f32>,
    col: Vec<f32>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's buffers cut to `g`'s sizes: `(padded, col)`. Their contents
/// are stale; every user overwrites what it reads.
pub(super) fn with_scratch<R>(g: &Geometry, f: impl FnOnce(&mut [f32], &mut [f32]) -> R) -> R {
    let fit = |v: &mut Vec<f32>, n: usize| {
        if v.len() < n {
            v.resize(n, 0.0);
        }
    };
    let unrolled = !g.is_pointwise();
    let sizes = if unrolled { (g.padded_len(), g.patch() * g.pixels()) } else { (0, 0) };
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        let s = &mut *s;
        fit(&mut s.padded, sizes.0);
        fit(&mut s.col, sizes.1);
        f(&mut s.padded[..sizes.0], &mut s.col[..sizes.1])
    })
}

/// Images per block: the batch in at most 16 blocks.
pub(super) fn block_images(n: usize) -> usize {
    n.div_ceil(16).max(1)
}

/// The forward op.
struct Conv {
    geo: Geometry,
}

/// The input's gradient, from the output's gradient and the kernel.
struct ConvInputGrad {
    geo: Geometry,
}

/// The kernel's and bias's gradients (concatenated), from the input and the output's gradient.
struct ConvKernelGrad {
    geo: Geometry,
}

impl CustomOp3 for Conv {
    fn name(&self) -> &'static str {
        "conv2d"
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
        let (x, w, b) = (f32s(s1, l1)?, f32s(s2, l2)?, f32s(s3, l3)?);
        let g = self.geo;
        let (image, p) = (g.c * g.h * g.w, g.pixels());
        let n = x.len() / image;
        let mut y = zeros(n * g.o * p);
        let per_image = b.len() != g.o;
        y.par_chunks_mut(g.o * p).zip(x.par_chunks(image)).enumerate().for_each(|(i, (y, x))| {
            let b = if per_image { &b[i * g.o..(i + 1) * g.o] } else { b };
            for (row, &bias) in y.chunks_mut(p).zip(b) {
                row.fill(bias);
            }
            g.product(x, w, y, true);
        });
        Ok((CpuStorage::F32(y), Shape::from((n, g.o, g.out_h(), g.out_w()))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let g = self.geo;
        let grad = grad.contiguous()?;
        let dx = if x.track_op() {
            Some(grad.apply_op2_no_bwd(w, &ConvInputGrad { geo: g })?.reshape(x.dims())?)
        } else {
            None
        };
        let dwb = grad.apply_op2_no_bwd(x, &ConvKernelGrad { geo: g })?;
        let kernel = g.o * g.patch();
        let dw = dwb.narrow(0, 0, kernel)?.reshape(w.dims())?;
        let db = if b.rank() == 2 {
            grad.reshape((b.dim(0)?, g.o, g.pixels()))?.sum(2)?
        } else {
            dwb.narrow(0, kernel, g.o)?
        };
        Ok((dx, Some(dw), Some(db)))
    }
}

impl CustomOp2 for ConvInputGrad {
    fn name(&self) -> &'static str {
        "conv2d_input_grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        crate::interrupt::check_in_kernel()?;
        let (gy, w) = (f32s(s1, l1)?, f32s(s2, l2)?);
        let g = self.geo;
        let (image, p, patch) = (g.c * g.h * g.w, g.pixels(), g.patch());
        let n = gy.len() / (g.o * p);
        let mut dx = zeros(n * image);
        if let Some(t) = g.transposed() {
            // one product of C rows and depth O·k·k per image, where the fold's product has
            // C·k·k rows and depth O and then scatters its result back
            let flipped = g.flipped_kernel(w);
            dx.par_chunks_mut(image)
                .zip(gy.par_chunks(g.o * p))
                .for_each(|(dx, gy)| t.product(gy, &flipped, dx, false));
            return Ok((CpuStorage::F32(dx), Shape::from(n * image)));
        }
        dx.par_chunks_mut(image).zip(gy.par_chunks(g.o * p)).for_each(|(dx, gy)| {
            with_scratch(&g, |padded, col| {
                if g.is_pointwise() {
                    matmul_into(dx, View::new(w, g.o, patch).t(), View::new(gy, g.o, p), false, 1);
                } else {
                    matmul_into(col, View::new(w, g.o, patch).t(), View::new(gy, g.o, p), false, 1);
                    g.fold(col, padded, dx);
                }
            })
        });
        Ok((CpuStorage::F32(dx), Shape::from(n * image)))
    }
}

impl CustomOp2 for ConvKernelGrad {
    fn name(&self) -> &'static str {
        "conv2d_kernel_grad"
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
        let g = self.geo;
        let (image, p, patch) = (g.c * g.h * g.w, g.pixels(), g.patch());
        let n = x.len() / image;
        let per = block_images(n);
        let kernel = g.o * patch;
        let blocks: Vec<Vec<f32>> = x
            .par_chunks(per * image)
            .zip(gy.par_chunks(per * g.o * p))
            .map(|(xs, gys)| {
                let mut acc = vec![0f32; kernel + g.o];
                let mut transposed = vec![0f32; kernel];
                for (x, gy) in xs.chunks(image).zip(gys.chunks(g.o * p)) {
                    for (db, row) in acc[kernel..].iter_mut().zip(gy.chunks(p)) {
                        *db += lane_sum(row, row, |v, _| v) as f32;
                    }
                    g.add_kernel_grad(x, gy, &mut transposed);
                }
                g.untranspose(&transposed, &mut acc[..kernel]);
                acc
            })
            .collect();
        let mut total = vec![0f32; kernel + g.o];
        for block in &blocks {
            total.iter_mut().zip(block).for_each(|(t, v)| *t += v);
        }
        Ok((CpuStorage::F32(total), Shape::from(kernel + g.o)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::cpu::op_testing::assert_close;
    use candle_core::{Device, Var};

    #[test]
    fn value_and_gradients_equal_candles_convolution() {
        // strides 1 (the input's gradient as a convolution) and 2 (the fold), a pointwise
        // kernel, a padded 1×1 kernel (the fold at stride 1), and rows of 7 and of 8 values
        // (a general and a fixed-width copy)
        for (c, o, k, stride, padding, side) in [
            (3, 5, 3, 1, 1, 7),
            (3, 4, 3, 1, 1, 8),
            (4, 6, 3, 2, 1, 8),
            (6, 4, 1, 1, 0, 5),
            (2, 3, 3, 2, 1, 7),
            (2, 3, 1, 1, 1, 5),
        ] {
            let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (5, c, side, side), &Device::Cpu).unwrap()).unwrap();
            let w = Var::from_tensor(&Tensor::randn(0f32, 0.5, (o, c, k, k), &Device::Cpu).unwrap()).unwrap();
            let b = Var::from_tensor(&Tensor::randn(0f32, 1.0, o, &Device::Cpu).unwrap()).unwrap();
            let ours = conv2d(&x, &w, &b, stride, padding).unwrap();
            let theirs =
                x.conv2d(&w, padding, stride, 1, 1).unwrap().broadcast_add(&b.reshape((1, o, 1, 1)).unwrap()).unwrap();
            assert_eq!(ours.dims(), theirs.dims());
            let weights = Tensor::randn(0f32, 1.0, ours.dims(), &Device::Cpu).unwrap();
            let close =
                |a: &Tensor, b: &Tensor, what: &str| assert_close(a, b, 1e-5, &format!("k{k} s{stride} {what}"));
            close(&ours, &theirs, "value");
            let go = (ours * &weights).unwrap().sum_all().unwrap().backward().unwrap();
            let gt = (theirs * &weights).unwrap().sum_all().unwrap().backward().unwrap();
            for (v, what) in [(&x, "d x"), (&w, "d w"), (&b, "d b")] {
                close(go.get(v).unwrap(), gt.get(v).unwrap(), what);
            }
        }
        // a bias per image: the same as adding it after the convolution
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (3, 2, 6, 6), &Device::Cpu).unwrap()).unwrap();
        let w = Tensor::randn(0f32, 0.5, (4, 2, 3, 3), &Device::Cpu).unwrap();
        let b = Var::from_tensor(&Tensor::randn(0f32, 1.0, (3, 4), &Device::Cpu).unwrap()).unwrap();
        let ours = conv2d(&x, &w, &b, 1, 1).unwrap();
        let theirs = x.conv2d(&w, 1, 1, 1, 1).unwrap().broadcast_add(&b.reshape((3, 4, 1, 1)).unwrap()).unwrap();
        let d = (&ours - &theirs).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(d < 1e-5, "per-image bias: difference {d}");
        let weights = Tensor::randn(0f32, 1.0, ours.dims(), &Device::Cpu).unwrap();
        let go = (ours * &weights).unwrap().sum_all().unwrap().backward().unwrap();
        let gt = (theirs * &weights).unwrap().sum_all().unwrap().backward().unwrap();
        let d = (go.get(&b).unwrap() - gt.get(&b).unwrap())
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(d < 1e-4, "per-image bias gradient: difference {d}");
        let x = Tensor::zeros((1, 2, 4, 4), DType::F32, &Device::Cpu).unwrap();
        let w = Tensor::zeros((3, 5, 3, 3), DType::F32, &Device::Cpu).unwrap();
        let err = conv2d(&x, &w, &Tensor::zeros(3, DType::F32, &Device::Cpu).unwrap(), 1, 1).unwrap_err();
        assert!(err.message().contains("does not fit"), "{}", err.message());
    }
}
