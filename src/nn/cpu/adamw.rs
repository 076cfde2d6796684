//! AdamW's update of one `f32` parameter on the CPU in a single pass over θ, g, m and v
//! (the rule of `nn::optim`'s AdamW, Loshchilov & Hutter 2019, Algorithm 2), where the tensor
//! form runs a dozen elementwise ops, each allocating its result.

use super::simd::vectorised;
use crate::error::Result;
use candle_core::{DType, Tensor};
use rayon::prelude::*;

/// AdamW's constants: the moments' decays, the `ε` added to the root of the second moment,
/// and the decoupled weight decay.
pub(crate) struct Hyper {
    /// Decay of the first moment.
    pub beta1: f64,
    /// Decay of the second moment.
    pub beta2: f64,
    /// Added to the root of the second moment.
    pub eps: f64,
    /// Decoupled weight decay.
    pub weight_decay: f64,
}

/// The new `(θ, m, v)` after step `t` (1-based) at learning rate `lr`, or `None` when `theta`
/// is not an `f32` tensor on the CPU (the caller then uses the tensor form).
pub(crate) fn update(
    theta: &Tensor,
    g: &Tensor,
    m: Option<&Tensor>,
    v: Option<&Tensor>,
    c: &Hyper,
    lr: f64,
    t: i32,
) -> Result<Option<(Tensor, Tensor, Tensor)>> {
    if !theta.device().is_cpu() || theta.dtype() != DType::F32 {
        return Ok(None);
    }
    let flat = |x: &Tensor| -> Result<Vec<f32>> { Ok(x.flatten_all()?.to_vec1::<f32>()?) };
    let mut th = flat(theta)?;
    let g = flat(g)?;
    let mut m = match m {
        Some(m) => flat(m)?,
        None => vec![0.0; th.len()],
    };
    let mut v = match v {
        Some(v) => flat(v)?,
        None => vec![0.0; th.len()],
    };
    let (b1, b2) = (c.beta1 as f32, c.beta2 as f32);
    let (c1, c2) = ((1.0 - c.beta1.powi(t)) as f32, (1.0 - c.beta2.powi(t)) as f32);
    let (decay, lr, eps) = ((1.0 - lr * c.weight_decay) as f32, lr as f32, c.eps as f32);
    const CHUNK: usize = 1 << 14;
    th.par_chunks_mut(CHUNK)
        .zip(m.par_chunks_mut(CHUNK))
        .zip(v.par_chunks_mut(CHUNK).zip(g.par_chunks(CHUNK)))
        .for_each(|((th, m), (v, g))| {
            vectorised(
                #[inline(always)]
                || {
                    for ((th, m), (v, &g)) in th.iter_mut().zip(m).zip(v.iter_mut().zip(g)) {
                        *m = b1 * *m + (1.0 - b1) * g;
                        *v = b2 * *v + (1.0 - b2) * g * g;
                        let step = (*m / c1) / ((*v / c2).sqrt() + eps);
                        *th = *th * decay - lr * step;
                    }
                },
            )
        });
    let shaped = |x: Vec<f32>| -> Result<Tensor> { Ok(Tensor::from_vec(x, theta.shape(), theta.device())?) };
    Ok(Some((shaped(th)?, shaped(m)?, shaped(v)?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn three_steps_follow_the_rule_computed_in_f64() {
        let c = Hyper { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.1 };
        let lr = 0.01;
        let theta0 = [0.5f32, -1.0, 2.0, 0.0, 3.0];
        let grads = [[0.1f32, -0.2, 0.3, 0.0, 5.0], [0.2, 0.1, -0.3, 1e-4, 4.0], [-0.1, 0.0, 0.3, 2.0, 3.0]];
        let (mut th, mut m, mut v) = (Tensor::new(&theta0, &Device::Cpu).unwrap(), None, None);
        let (mut th64, mut m64, mut v64) = (theta0.map(f64::from), [0f64; 5], [0f64; 5]);
        for (k, g) in grads.iter().enumerate() {
            let t = k as i32 + 1;
            let gt = Tensor::new(g, &Device::Cpu).unwrap();
            let (a, b, d) = update(&th, &gt, m.as_ref(), v.as_ref(), &c, lr, t).unwrap().unwrap();
            (th, m, v) = (a, Some(b), Some(d));
            for i in 0..5 {
                let gi = g[i] as f64;
                m64[i] = c.beta1 * m64[i] + (1.0 - c.beta1) * gi;
                v64[i] = c.beta2 * v64[i] + (1.0 - c.beta2) * gi * gi;
                let step = (m64[i] / (1.0 - c.beta1.powi(t))) / ((v64[i] / (1.0 - c.beta2.powi(t))).sqrt() + c.eps);
                th64[i] = th64[i] * (1.0 - lr * c.weight_decay) - lr * step;
            }
        }
        let got = th.to_vec1::<f32>().unwrap();
        for i in 0..5 {
            assert!((got[i] as f64 - th64[i]).abs() < 1e-6, "θ[{i}] = {} vs {}", got[i], th64[i]);
        }
        let f64s = Tensor::new(&[1.0f64], &Device::Cpu).unwrap();
        assert!(update(&f64s, &f64s, None, None, &c, lr, 1).unwrap().is_none());
    }
}
