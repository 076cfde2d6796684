//! Nearest-neighbour upsampling by 2 as one autograd op for `f32` on the CPU, with the
//! gradient summed over each 2×2 block; channel planes run in parallel. Candle's backward of
//! its upsampling is a grouped, strided convolution that runs on the calling thread.

use super::elementwise::{f32s, zeros};
use crate::error::Result;
use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};
use rayon::prelude::*;

/// `x` (`[N, C, H, W]`) upsampled to `[N, C, 2H, 2W]`, each value repeated over a 2×2 block.
pub fn upsample2(x: &Tensor) -> Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    Ok(x.contiguous()?.apply_op1(Upsample { h, w })?)
}

/// Planes per parallel task.
const PLANES: usize = 16;

/// The forward op, on planes of `h × w`.
struct Upsample {
    h: usize,
    w: usize,
}

/// Its backward: the sums of the 2×2 blocks of `2h × 2w` planes.
struct BlockSums {
    h: usize,
    w: usize,
}

impl CustomOp1 for Upsample {
    fn name(&self) -> &'static str {
        "upsample2"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        crate::interrupt::check_in_kernel()?;
        let x = f32s(s, l)?;
        let (h, w) = (self.h, self.w);
        let mut y = zeros(4 * x.len());
        y.par_chunks_mut(PLANES * 4 * h * w).zip(x.par_chunks(PLANES * h * w)).for_each(|(y, x)| {
            for (row, out) in x.chunks(w).zip(y.chunks_mut(4 * w)) {
                let (top, bottom) = out.split_at_mut(2 * w);
                for (pair, &v) in top.chunks_exact_mut(2).zip(row) {
                    pair.fill(v);
                }
                bottom.copy_from_slice(top);
            }
        });
        let dims = l.shape().dims();
        Ok((CpuStorage::F32(y), Shape::from((dims[0], dims[1], 2 * h, 2 * w))))
    }

    fn bwd(&self, x: &Tensor, _res: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        Ok(Some(grad.contiguous()?.apply_op1_no_bwd(&BlockSums { h: self.h, w: self.w })?.reshape(x.dims())?))
    }
}

impl CustomOp1 for BlockSums {
    fn name(&self) -> &'static str {
        "upsample2_grad"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        crate::interrupt::check_in_kernel()?;
        let gy = f32s(s, l)?;
        let (h, w) = (self.h, self.w);
        let mut dx = zeros(gy.len() / 4);
        dx.par_chunks_mut(PLANES * h * w).zip(gy.par_chunks(PLANES * 4 * h * w)).for_each(|(dx, gy)| {
            for (row, g) in dx.chunks_mut(w).zip(gy.chunks(4 * w)) {
                let (top, bottom) = g.split_at(2 * w);
                for ((d, t), b) in row.iter_mut().zip(top.chunks_exact(2)).zip(bottom.chunks_exact(2)) {
                    *d = (t[0] + t[1]) + (b[0] + b[1]);
                }
            }
        });
        Ok((CpuStorage::F32(dx), Shape::from(gy.len() / 4)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::cpu::op_testing::assert_close;
    use candle_core::{Device, Var};

    #[test]
    fn value_and_gradient_equal_candles_upsampling() {
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (3, 19, 5, 6), &Device::Cpu).unwrap()).unwrap();
        let ours = upsample2(&x).unwrap();
        let theirs = x.upsample_nearest2d(10, 12).unwrap();
        assert_eq!(ours.dims(), &[3, 19, 10, 12]);
        assert_eq!(
            ours.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            theirs.flatten_all().unwrap().to_vec1::<f32>().unwrap()
        );
        let weights = Tensor::randn(0f32, 1.0, ours.dims(), &Device::Cpu).unwrap();
        let go = (ours * &weights).unwrap().sum_all().unwrap().backward().unwrap();
        let gt = (theirs * &weights).unwrap().sum_all().unwrap().backward().unwrap();
        assert_close(go.get(&x).unwrap(), gt.get(&x).unwrap(), 1e-6, "d x");
    }
}
