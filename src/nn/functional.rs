//! The building blocks networks are made of, as functions of candle tensors:
//! dense and convolutional layers, group norm, dropout, activations and the
//! sinusoidal embedding of a noise level.

use crate::error::Result;
use crate::tensor::{per_device::PerDevice, rng, transfer};
use candle_core::{DType, Tensor, D};

/// `x @ w + b` for `x` of shape `[.., in]`, `w` of shape `[in, out]`.
pub fn linear(x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
    if x.rank() == 2 && x.device().is_cpu() {
        // the bias as a rank-1 product, so that its gradient is one gemm: candle's CPU sum
        // over the rows of a broadcast bias is a strided loop several times slower
        let ones = Tensor::ones((x.dim(0)?, 1), x.dtype(), x.device())?;
        return Ok(x.matmul(w)?.add(&ones.matmul(&b.reshape((1, b.elem_count()))?)?)?);
    }
    let y = if x.rank() == 2 { x.matmul(w)? } else { x.broadcast_matmul(w)? };
    Ok(y.broadcast_add(b)?)
}

/// A 2-D convolution with a `[out, in, k, k]` kernel and a `[out]` bias (or `[N, out]`, one
/// per image).
pub fn conv2d(x: &Tensor, w: &Tensor, b: &Tensor, stride: usize, padding: usize) -> Result<Tensor> {
    if super::cpu::conv::applies(x, w) {
        return super::cpu::conv::conv2d(x, w, b, stride, padding);
    }
    let y = x.conv2d(w, padding, stride, 1, 1)?;
    let rows = if b.rank() == 2 { b.dim(0)? } else { 1 };
    Ok(y.broadcast_add(&b.reshape((rows, b.elem_count() / rows, 1, 1))?)?)
}

/// Group normalisation (Wu & He 2018) of `[N, C, H, W]` in `groups` groups, ε added to each
/// group's variance, with per-channel scale and shift.
pub fn group_norm(x: &Tensor, groups: (usize, f64), gamma: &Tensor, beta: &Tensor) -> Result<Tensor> {
    if super::cpu::elementwise::cpu_f32_images(x) {
        return super::cpu::group_norm::group_norm(x, groups, gamma, beta, false);
    }
    group_norm_tensors(x, groups, gamma, beta)
}

/// SiLU of [`group_norm`], as one op on the CPU.
pub fn group_norm_silu(x: &Tensor, groups: (usize, f64), gamma: &Tensor, beta: &Tensor) -> Result<Tensor> {
    if super::cpu::elementwise::cpu_f32_images(x) {
        return super::cpu::group_norm::group_norm(x, groups, gamma, beta, true);
    }
    Ok(group_norm_tensors(x, groups, gamma, beta)?.silu()?)
}

/// [`group_norm`] as candle tensor ops.
pub fn group_norm_tensors(x: &Tensor, (groups, eps): (usize, f64), gamma: &Tensor, beta: &Tensor) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    let grouped = x.reshape((n, groups, (c / groups) * h * w))?;
    let mean = grouped.mean_keepdim(D::Minus1)?;
    let centered = grouped.broadcast_sub(&mean)?;
    let var = centered.sqr()?.mean_keepdim(D::Minus1)?;
    let normed = centered.broadcast_div(&(var + eps)?.sqrt()?)?.reshape((n, c, h, w))?;
    let gamma = gamma.reshape((1, c, 1, 1))?;
    let beta = beta.reshape((1, c, 1, 1))?;
    Ok(normed.broadcast_mul(&gamma)?.broadcast_add(&beta)?)
}

/// The largest group count ≤ 32 that divides `channels` (GroupNorm's usual choice).
pub fn groups_for(channels: usize) -> usize {
    (1..=32.min(channels)).rev().find(|g| channels % g == 0).unwrap_or(1)
}

/// Inverted dropout: zeroes each element with probability `p` and scales the
/// rest by 1/(1−p); the mask comes from the seeded generator.
pub fn dropout(x: &Tensor, p: f64) -> Result<Tensor> {
    if p <= 0.0 {
        return Ok(x.clone());
    }
    let keep: Vec<f32> = rng::uniform(x.elem_count(), 0.0, 1.0)?
        .into_iter()
        .map(|u| if u >= p { (1.0 / (1.0 - p)) as f32 } else { 0.0 })
        .collect();
    let mask = transfer::upload(keep, x.dims(), x.dtype(), x.device())?;
    Ok(x.mul(&mask)?)
}

/// The sinusoidal embedding of scalar inputs `c` (`[N]`) into `dim` features,
/// `[cos(c·f_i), sin(c·f_i)]` with `f_i = 10000^(−i/(dim/2))` (Vaswani et al.
/// 2017; the timestep embedding of Ho et al. 2020).
pub fn sinusoidal(c: &Tensor, dim: usize) -> Result<Tensor> {
    let freqs = sinusoidal_freqs_like(c, dim)?;
    let args = c.reshape((c.elem_count(), 1))?.broadcast_mul(&freqs)?;
    Ok(Tensor::cat(&[args.cos()?, args.sin()?], 1)?)
}

/// The `[1, dim/2]` frequencies of [`sinusoidal`] on `c`'s device and in its dtype, uploaded
/// once per device, dtype and width: a sampler calls the network at every step, and each
/// upload would be a host→device copy.
fn sinusoidal_freqs_like(c: &Tensor, dim: usize) -> Result<Tensor> {
    static FREQS: PerDevice<Tensor> = PerDevice::new();
    FREQS.get_or_make(c.device(), c.dtype(), dim, || {
        transfer::upload(super::cpu::rows::sinusoidal_freqs(dim), (1, dim / 2), c.dtype(), c.device())
    })
}

/// A noise-level input as a `[N]` tensor: a scalar is repeated for the batch.
pub fn per_example(c: &Tensor, n: usize, dtype: DType) -> Result<Tensor> {
    let c = c.to_dtype(dtype)?;
    match c.elem_count() {
        1 => Ok(c.reshape(1)?.broadcast_as(n)?.contiguous()?),
        m if m == n => Ok(c.reshape(n)?),
        m => crate::bail!("the noise level has {m} values for a batch of {n}; give one per example or one for all"),
    }
}

fn check_labels(logits: &crate::tensor::Tensor, labels: &crate::tensor::Tensor) -> Result<(usize, usize)> {
    let (n, c) = match logits.dims() {
        [n, c] => (*n, *c),
        d => crate::bail!("logits must be [N, classes], got {d:?}"),
    };
    if labels.dims() != [n] || labels.is_float() {
        crate::bail!("labels must be N = {n} integers, got shape {:?} of {}", labels.dims(), labels.dtype().as_str());
    }
    Ok((n, c))
}

/// The mean cross-entropy of `logits` `[N, C]` against integer `labels` `[N]`.
pub fn cross_entropy(logits: &crate::tensor::Tensor, labels: &crate::tensor::Tensor) -> Result<crate::tensor::Tensor> {
    let (_, c) = check_labels(logits, labels)?;
    let logits = &logits.as_float()?;
    if let Some(bad) = labels.to_f64_vec()?.into_iter().find(|&l| l < 0.0 || l >= c as f64) {
        crate::bail!("label {bad} is outside 0..{c}");
    }
    let logp = candle_nn::ops::log_softmax(logits.candle(), D::Minus1)?;
    let idx = labels.candle().to_dtype(DType::U32)?.unsqueeze(1)?;
    let picked = logp.gather(&idx, 1)?;
    Ok(crate::tensor::Tensor::from_candle(picked.mean_all()?.neg()?))
}

/// The fraction of rows of `logits` whose largest entry is at the label.
pub fn accuracy(logits: &crate::tensor::Tensor, labels: &crate::tensor::Tensor) -> Result<f64> {
    let (n, _) = check_labels(logits, labels)?;
    let predicted = logits.candle().argmax(D::Minus1)?.to_dtype(DType::I64)?;
    let hits = predicted.eq(&labels.candle().to_dtype(DType::I64)?)?.to_dtype(DType::F64)?.sum_all()?;
    Ok(transfer::download_f64(&hits)?[0] / n.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::cpu;
    use crate::nn::cpu::op_testing::assert_close;
    use candle_core::{Device, Var};

    #[test]
    fn group_norm_normalises_each_group() {
        let x = Tensor::arange(0f32, 16.0, &Device::Cpu).unwrap().reshape((1, 4, 2, 2)).unwrap();
        let y = group_norm(
            &x,
            (2, cpu::group_norm::EPS),
            &Tensor::ones(4, DType::F32, &Device::Cpu).unwrap(),
            &Tensor::zeros(4, DType::F32, &Device::Cpu).unwrap(),
        )
        .unwrap();
        let first: Vec<f32> = y.flatten_all().unwrap().to_vec1().unwrap()[..8].to_vec();
        let mean: f32 = first.iter().sum::<f32>() / 8.0;
        let var: f32 = first.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 8.0;
        assert!(mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-3, "mean {mean} var {var}");
        assert_eq!(groups_for(48), 24);
        assert_eq!(groups_for(64), 32);
    }

    #[test]
    fn sinusoidal_embedding_matches_the_formula() {
        let c = Tensor::new(&[0f32, 2.0], &Device::Cpu).unwrap();
        let e = sinusoidal(&c, 4).unwrap().to_vec2::<f32>().unwrap();
        // frequencies 1 and 1/100
        assert_eq!(e[0], vec![1.0, 1.0, 0.0, 0.0]);
        let want = [2f32.cos(), 0.02f32.cos(), 2f32.sin(), 0.02f32.sin()];
        for (a, b) in e[1].iter().zip(want) {
            assert!((a - b).abs() < 1e-6);
        }
    }

    #[test]
    fn cross_entropy_of_uniform_logits_is_log_c() {
        let logits = crate::tensor::Tensor::from_candle(Tensor::zeros((3, 4), DType::F32, &Device::Cpu).unwrap());
        let labels = crate::tensor::Tensor::from_candle(Tensor::new(&[0i64, 3, 1], &Device::Cpu).unwrap());
        let ce = cross_entropy(&logits, &labels).unwrap().to_scalar_f64().unwrap();
        assert!((ce - 4f64.ln()).abs() < 1e-6);
        let bad = crate::tensor::Tensor::from_candle(Tensor::new(&[0i64, 4, 1], &Device::Cpu).unwrap());
        assert!(cross_entropy(&logits, &bad).unwrap_err().message().contains("label 4 is outside 0..4"));
        let sharp = crate::tensor::Tensor::from_candle(Tensor::new(&[[5f32, 0.0], [0.0, 5.0]], &Device::Cpu).unwrap());
        let l = crate::tensor::Tensor::from_candle(Tensor::new(&[0i64, 0], &Device::Cpu).unwrap());
        assert_eq!(accuracy(&sharp, &l).unwrap(), 0.5);
    }

    #[test]
    fn dropout_keeps_the_mean() {
        rng::seed(0);
        let x = Tensor::ones(10_000, DType::F32, &Device::Cpu).unwrap();
        let y = dropout(&x, 0.25).unwrap();
        let mean = y.mean_all().unwrap().to_scalar::<f32>().unwrap();
        assert!((mean - 1.0).abs() < 0.03, "{mean}");
        let zeros = y.eq(0f32).unwrap().to_dtype(DType::F32).unwrap().mean_all().unwrap().to_scalar::<f32>().unwrap();
        assert!((zeros - 0.25).abs() < 0.02);
    }

    #[test]
    fn the_fused_group_norm_equals_the_tensor_form() {
        for then_silu in [false, true] {
            let x = Var::from_tensor(&(Tensor::randn(0f32, 2.0, (3, 8, 5, 5), &Device::Cpu).unwrap() + 0.5).unwrap())
                .unwrap();
            let gamma = Var::from_tensor(&Tensor::randn(1f32, 0.3, 8, &Device::Cpu).unwrap()).unwrap();
            let beta = Var::from_tensor(&Tensor::randn(0f32, 0.3, 8, &Device::Cpu).unwrap()).unwrap();
            let ours = cpu::group_norm::group_norm(&x, (4, cpu::group_norm::EPS), &gamma, &beta, then_silu).unwrap();
            let plain = group_norm_tensors(&x, (4, cpu::group_norm::EPS), &gamma, &beta).unwrap();
            let plain = if then_silu { plain.silu().unwrap() } else { plain };
            let weights = Tensor::randn(0f32, 1.0, ours.dims(), &Device::Cpu).unwrap();
            let close =
                |a: &Tensor, b: &Tensor, what: &str| assert_close(a, b, 2e-5, &format!("silu {then_silu} {what}"));
            close(&ours, &plain, "value");
            let go = (ours * &weights).unwrap().sum_all().unwrap().backward().unwrap();
            let gp = (plain * &weights).unwrap().sum_all().unwrap().backward().unwrap();
            for (v, what) in [(&x, "d x"), (&gamma, "d gamma"), (&beta, "d beta")] {
                close(go.get(v).unwrap(), gp.get(v).unwrap(), what);
            }
        }
        let x = Tensor::zeros((1, 6, 2, 2), DType::F32, &Device::Cpu).unwrap();
        let one = Tensor::ones(6, DType::F32, &Device::Cpu).unwrap();
        assert!(cpu::group_norm::group_norm(&x, (4, cpu::group_norm::EPS), &one, &one, false)
            .unwrap_err()
            .message()
            .contains("does not fit"));
    }
}
