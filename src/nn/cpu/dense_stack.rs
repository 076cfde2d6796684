//! A stack of dense layers (`linear`, then optionally SiLU or ReLU, repeated) as one autograd
//! op on the CPU: how a `sequential` of such layers runs in training and sampling.
//!
//! Candle runs each layer as a product, a bias addition and an activation, each allocating its
//! result and handing its work to the thread pool. Here the batch is cut into blocks of rows
//! ([`dense::block_rows`]); each block runs the whole stack forward, and later backward, on
//! one thread ([`dense`]); the blocks' weight gradients are summed in a fixed order. The op
//! sees the parameters as one packed vector, so candle's autograd hands each its slice of the
//! gradient. Its value and gradients equal the layers' tensor ops to `f32` rounding.

use super::dense::{self, Dense, Trace};
use super::elementwise::f32s;
use super::simd::vectorised;
use crate::error::Result;
use crate::nn::act::Act;
use candle_core::{CpuStorage, CustomOp2, DType, Layout, Shape, Tensor};
use rayon::prelude::*;
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// One layer's weights: `W` (`[in, out]`), an optional bias (`[out]`) and activation.
pub(crate) struct DenseWeights {
    /// The weight.
    pub weight: Tensor,
    /// The bias.
    pub bias: Option<Tensor>,
    /// The activation after it.
    pub act: Option<Act>,
}

/// Whether [`forward`] runs `layers` on `x`: `f32` on the CPU, `x` of rank 2, activations the
/// kernels run, and each layer's input width the previous one's output.
pub(crate) fn applies(x: &Tensor, layers: &[DenseWeights]) -> bool {
    let cpu_f32 = |t: &Tensor| t.device().is_cpu() && t.dtype() == DType::F32;
    let mut width = match x.dims() {
        [_, d] if cpu_f32(x) => *d,
        _ => return false,
    };
    for l in layers {
        let fits = match l.weight.dims() {
            [i, o] if *i == width && l.bias.as_ref().is_none_or(|b| b.dims() == [*o]) => {
                width = *o;
                true
            }
            _ => false,
        };
        if !fits || !cpu_f32(&l.weight) || l.bias.as_ref().is_some_and(|b| !cpu_f32(b)) {
            return false;
        }
        if l.act.is_some_and(|a| !dense::runs(a)) {
            return false;
        }
    }
    !layers.is_empty()
}

/// The stack's output `[N, out]` for `x` (`[N, in]`), with gradients to `x` and every weight;
/// check [`applies`] first.
pub(crate) fn forward(x: &Tensor, layers: &[DenseWeights]) -> Result<Tensor> {
    let (mut tensors, mut plan) = (Vec::new(), Vec::with_capacity(layers.len()));
    let mut at = 0;
    let mut take = |t: &Tensor| -> Result<Range<usize>> {
        tensors.push(t.flatten_all()?);
        at += t.elem_count();
        Ok(at - t.elem_count()..at)
    };
    for l in layers {
        let (inputs, outputs) = l.weight.dims2()?;
        let weight = take(&l.weight)?;
        let bias = l.bias.as_ref().map(&mut take).transpose()?;
        plan.push(Dense { inputs, outputs, act: l.act, weight, bias, cond: None });
    }
    let keep = x.track_op() || tensors.iter().any(Tensor::track_op);
    let op = StackOp { layers: plan, keep, saved: Mutex::new(None) };
    Ok(x.contiguous()?.apply_op2(&Tensor::cat(&tensors, 0)?, op)?)
}

/// The op: the layers, whether to keep the traces for a backward, and the traces kept.
struct StackOp {
    layers: Vec<Dense>,
    keep: bool,
    saved: Mutex<Option<Arc<Vec<Block>>>>,
}

/// A block of rows and its forward's trace.
type Block = (Range<usize>, Trace);

impl StackOp {
    fn inputs(&self) -> usize {
        self.layers[0].inputs
    }

    fn outputs(&self) -> usize {
        self.layers[self.layers.len() - 1].outputs
    }
}

impl CustomOp2 for StackOp {
    fn name(&self) -> &'static str {
        "dense-stack"
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
        let (d, o) = (self.inputs(), self.outputs());
        let n = x.len() / d;
        let rows = dense::block_rows(n);
        let mut out = vec![0f32; n * o];
        let traces: Vec<Block> = out
            .par_chunks_mut(rows * o)
            .enumerate()
            .filter_map(|(b, out)| {
                let r = b * rows..(b * rows + rows).min(n);
                let input = x[r.start * d..r.end * d].to_vec();
                let (y, trace) = vectorised(
                    #[inline(always)]
                    || dense::forward(&self.layers, p, input, r.len(), None),
                );
                out.copy_from_slice(&y);
                self.keep.then_some((r, trace))
            })
            .collect();
        *self.saved.lock().unwrap_or_else(|e| e.into_inner()) = self.keep.then(|| Arc::new(traces));
        Ok((CpuStorage::F32(out), Shape::from((n, o))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        p: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let saved = self.saved.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let saved = saved
            .ok_or_else(|| candle_core::Error::Msg("the dense stack's backward ran without its forward".into()))?;
        let gy = grad.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
        let pv = p.to_vec1::<f32>()?;
        let o = self.outputs();
        let want_dx = x.track_op();
        let blocks: Vec<(Vec<f32>, Option<Vec<f32>>)> = saved
            .par_iter()
            .map(|(r, trace)| {
                vectorised(
                    #[inline(always)]
                    || {
                        let mut g = vec![0f32; pv.len()];
                        let gy = gy[r.start * o..r.end * o].to_vec();
                        let dx = dense::backward(&self.layers, &pv, trace, gy, r.len(), None, &mut g, None, want_dx);
                        (g, dx)
                    },
                )
            })
            .collect();
        let (dx, gp) = dense::joined_gradients(blocks, pv.len(), x, want_dx)?;
        Ok((dx, Some(gp)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::cpu::op_testing::assert_close;
    use candle_core::{Device, Var};

    /// Value and every gradient against candle's ops, over several blocks of rows, and the
    /// same gradients bit for bit on one thread and on three.
    #[test]
    fn value_and_gradients_equal_the_tensor_ops() {
        crate::tensor::rng::seed(3);
        let var = |dims: &[usize]| Var::from_tensor(&Tensor::randn(0f32, 0.3, dims, &Device::Cpu).unwrap()).unwrap();
        let (w0, b0, w1, w2, b2) = (var(&[5, 32]), var(&[32]), var(&[32, 24]), var(&[24, 3]), var(&[3]));
        let layers = [
            DenseWeights { weight: w0.as_tensor().clone(), bias: Some(b0.as_tensor().clone()), act: Some(Act::Silu) },
            DenseWeights { weight: w1.as_tensor().clone(), bias: None, act: Some(Act::Relu) },
            DenseWeights { weight: w2.as_tensor().clone(), bias: Some(b2.as_tensor().clone()), act: None },
        ];
        let x = var(&[700, 5]);
        assert!(applies(&x, &layers));
        let fused = forward(&x, &layers).unwrap();
        let h = x.matmul(&w0).unwrap().broadcast_add(&b0).unwrap().silu().unwrap();
        let h = h.matmul(&w1).unwrap().relu().unwrap();
        let plain = h.matmul(&w2).unwrap().broadcast_add(&b2).unwrap();
        assert_close(&fused, &plain, 3e-5, "value");
        let weights = Tensor::randn(0f32, 1.0, (700, 3), &Device::Cpu).unwrap();
        let gf = (&fused * &weights).unwrap().sum_all().unwrap().backward().unwrap();
        let gp = (plain * &weights).unwrap().sum_all().unwrap().backward().unwrap();
        for (v, name) in [(&x, "x"), (&w0, "w0"), (&b0, "b0"), (&w1, "w1"), (&w2, "w2"), (&b2, "b2")] {
            assert_close(gf.get(v).unwrap(), gp.get(v).unwrap(), 3e-5, name);
        }
        let grads = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let g = forward(&x, &layers).unwrap().sqr().unwrap().sum_all().unwrap().backward().unwrap();
                [&x, &w0, &w1].map(|v| g.get(v).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap())
            })
        };
        assert_eq!(grads(1), grads(3));
    }

    #[test]
    fn other_shapes_dtypes_and_activations_do_not_apply() {
        let t = |dims: &[usize], dtype| Tensor::zeros(dims, dtype, &Device::Cpu).unwrap();
        let layer = |w: Tensor, act| DenseWeights { weight: w, bias: None, act };
        let x = t(&[4, 2], DType::F32);
        assert!(applies(&x, &[layer(t(&[2, 3], DType::F32), Some(Act::Relu))]));
        assert!(!applies(&x, &[layer(t(&[2, 3], DType::F32), Some(Act::Gelu))]));
        assert!(!applies(&x, &[layer(t(&[3, 3], DType::F32), None)]));
        assert!(!applies(&t(&[4, 2], DType::F64), &[layer(t(&[2, 3], DType::F64), None)]));
        assert!(!applies(&t(&[4, 1, 2], DType::F32), &[layer(t(&[2, 3], DType::F32), None)]));
        assert!(!applies(&x, &[]));
    }
}
