//! `act(pre + cond + bias)`, a hidden layer's tail in the denoiser MLP, as one candle op on
//! the CPU: one pass forward and one pass for its gradient, split across the thread pool,
//! where candle would run (and allocate for) about a dozen single-threaded elementwise ops.
//! Other devices, dtypes and activations take the plain tensor ops.

use super::fast_math::{exp, silu};
use super::simd::vectorised;
use crate::error::Result;
use crate::nn::act::Act;
use candle_core::{CpuStorage, CustomOp3, DType, Layout, Shape, Tensor};
use rayon::prelude::*;

/// `act(pre + cond + bias)` for `pre` and `cond` `[N, m]` and `bias` `[m]`.
pub fn bias_act(pre: &Tensor, cond: &Tensor, bias: &Tensor, act: Act) -> Result<Tensor> {
    let fused = pre.device().is_cpu() && pre.dtype() == DType::F32 && matches!(act, Act::Silu | Act::Relu);
    if fused && pre.dims() == cond.dims() && pre.rank() == 2 && bias.dims() == [pre.dims()[1]] {
        let (pre, cond, bias) = (pre.contiguous()?, cond.contiguous()?, bias.contiguous()?);
        return Ok(pre.apply_op3(&cond, &bias, BiasAct { act })?);
    }
    act.apply(&(pre.broadcast_add(bias)? + cond)?)
}

/// The forward op.
struct BiasAct {
    act: Act,
}

/// Its gradient: `grad · act'(pre + cond + bias)`, with the bias held on the host.
struct BiasActGrad {
    act: Act,
    bias: Vec<f32>,
}

/// Whether the fused CPU image ops (group norm, residual block, attention, upsampling) run on
/// `x`: `f32` images `[N, C, H, W]` on the CPU; elsewhere callers take candle's ops.
pub(crate) fn cpu_f32_images(x: &Tensor) -> bool {
    x.device().is_cpu() && x.dtype() == DType::F32 && x.rank() == 4
}

/// The values of a contiguous `f32` CPU storage under `l`.
pub(super) fn f32s<'a>(s: &'a CpuStorage, l: &Layout) -> candle_core::Result<&'a [f32]> {
    let (start, end) =
        l.contiguous_offsets().ok_or_else(|| candle_core::Error::Msg("bias_act takes contiguous tensors".into()))?;
    Ok(&s.as_slice::<f32>()?[start..end])
}

/// `n` zeros for an op's output, written across the thread pool: `vec![0.0; n]` zeroes on
/// the calling thread before the op's parallel part starts, which took a few percent of a
/// UNet training step. Small buffers are zeroed in place.
pub(super) fn zeros(n: usize) -> Vec<f32> {
    if n < 1 << 17 {
        return vec![0.0; n];
    }
    let mut v = Vec::with_capacity(n);
    v.par_extend(rayon::iter::repeat_n(0f32, n));
    v
}

/// Rows per parallel task: enough work per task to pay for the hand-off.
fn rows_per_task(width: usize) -> usize {
    (16_384 / width.max(1)).max(1)
}

impl CustomOp3 for BiasAct {
    fn name(&self) -> &'static str {
        "bias_act"
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
        let (pre, cond, bias) = (f32s(s1, l1)?, f32s(s2, l2)?, f32s(s3, l3)?);
        let m = bias.len();
        let mut out = vec![0f32; pre.len()];
        let chunk = rows_per_task(m) * m;
        let act = self.act;
        out.par_chunks_mut(chunk).zip(pre.par_chunks(chunk)).zip(cond.par_chunks(chunk)).for_each(|((o, p), c)| {
            vectorised(
                #[inline(always)]
                || {
                    for ((o, p), c) in o.chunks_mut(m).zip(p.chunks(m)).zip(c.chunks(m)) {
                        let row = o.iter_mut().zip(p).zip(c).zip(bias);
                        match act {
                            Act::Silu => row.for_each(|(((o, p), c), b)| *o = silu(p + c + b)),
                            _ => row.for_each(|(((o, p), c), b)| *o = (p + c + b).max(0.0)),
                        }
                    }
                },
            )
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        pre: &Tensor,
        cond: &Tensor,
        bias: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let op = BiasActGrad { act: self.act, bias: bias.to_vec1::<f32>()? };
        let gz = grad.contiguous()?.apply_op3_no_bwd(pre, cond, &op)?;
        // column sums as a product with ones: one gemm, where candle's sum over rows is strided
        let gb = Tensor::ones((1, gz.dims()[0]), DType::F32, gz.device())?.matmul(&gz)?.squeeze(0)?;
        Ok((Some(gz.clone()), Some(gz), Some(gb)))
    }
}

impl CustomOp3 for BiasActGrad {
    fn name(&self) -> &'static str {
        "bias_act_grad"
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
        let (grad, pre, cond) = (f32s(s1, l1)?, f32s(s2, l2)?, f32s(s3, l3)?);
        let m = self.bias.len();
        let mut out = vec![0f32; grad.len()];
        let chunk = rows_per_task(m) * m;
        let (act, bias) = (self.act, &self.bias);
        out.par_chunks_mut(chunk)
            .zip(grad.par_chunks(chunk))
            .zip(pre.par_chunks(chunk).zip(cond.par_chunks(chunk)))
            .for_each(|((o, g), (p, c))| {
                vectorised(
                    #[inline(always)]
                    || {
                        for (((o, g), p), c) in o.chunks_mut(m).zip(g.chunks(m)).zip(p.chunks(m)).zip(c.chunks(m)) {
                            let row = o.iter_mut().zip(g).zip(p.iter().zip(c).zip(bias));
                            match act {
                                // d/dz z·σ(z) = σ(z)·(1 + z·(1 − σ(z)))
                                Act::Silu => row.for_each(|((o, g), ((p, c), b))| {
                                    let z = p + c + b;
                                    let s = 1.0 / (1.0 + exp(-z));
                                    *o = g * (s * (1.0 + z * (1.0 - s)));
                                }),
                                _ => row.for_each(|((o, g), ((p, c), b))| *o = if p + c + b > 0.0 { *g } else { 0.0 }),
                            }
                        }
                    },
                )
            });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::cpu::op_testing::assert_close;
    use candle_core::{Device, Var};

    #[test]
    fn value_and_gradients_equal_the_plain_ops() {
        for act in [Act::Silu, Act::Relu] {
            let pre = Var::from_tensor(&Tensor::randn(0f32, 2.0, (300, 70), &Device::Cpu).unwrap()).unwrap();
            let cond = Var::from_tensor(&Tensor::randn(0f32, 1.0, (300, 70), &Device::Cpu).unwrap()).unwrap();
            let bias = Var::from_tensor(&Tensor::randn(0f32, 1.0, 70, &Device::Cpu).unwrap()).unwrap();
            let weights = Tensor::randn(0f32, 1.0, (300, 70), &Device::Cpu).unwrap();
            let plain = act.apply(&(pre.broadcast_add(&bias).unwrap() + cond.as_tensor()).unwrap()).unwrap();
            let fused = bias_act(&pre, &cond, &bias, act).unwrap();
            let close = |a: &Tensor, b: &Tensor, what: &str| assert_close(a, b, 1e-5, &format!("{act:?} {what}"));
            close(&fused, &plain, "value");
            let gp = (plain * &weights).unwrap().sum_all().unwrap().backward().unwrap();
            let gf = (fused * &weights).unwrap().sum_all().unwrap().backward().unwrap();
            for (v, what) in [(&pre, "d pre"), (&cond, "d cond"), (&bias, "d bias")] {
                close(gf.get(v).unwrap(), gp.get(v).unwrap(), what);
            }
        }
        let f64s = Tensor::zeros((2, 3), DType::F64, &Device::Cpu).unwrap();
        let out = bias_act(&f64s, &f64s, &Tensor::ones(3, DType::F64, &Device::Cpu).unwrap(), Act::Silu).unwrap();
        assert_eq!(out.dtype(), DType::F64);
    }
}
