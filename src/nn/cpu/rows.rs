//! Embeddings computed row by row on the host, for the fused CPU kernels: random Fourier
//! features of an input row (Tancik et al. 2020) and the sinusoidal embedding of a scalar
//! (Vaswani et al. 2017); and both over whole `f32` tensors that need no gradient.

use super::fast_math::sin_cos;
use crate::error::Result;
use candle_core::{DType, Tensor};
use rayon::prelude::*;

/// `[x, sin(2π x B), cos(2π x B)]` of one row `x` (`dim` values) into `row` (`dim + 2·count`
/// values), with `b` the row-major `[dim, count]` frequencies.
pub fn fourier_features_row(row: &mut [f32], x: &[f32], b: &[f32]) {
    let d = x.len();
    row[..d].copy_from_slice(x);
    fourier_row(&mut row[d..], x, b);
}

/// `[sin(2π x B), cos(2π x B)]` of one row `x` into `row` (`2·count` values).
fn fourier_row(row: &mut [f32], x: &[f32], b: &[f32]) {
    let d = x.len();
    let f = b.len() / d.max(1);
    for j in 0..f {
        let proj: f32 = (0..d).map(|k| x[k] * b[k * f + j]).sum();
        let (s, c) = sin_cos(proj * std::f32::consts::TAU);
        row[j] = s;
        row[f + j] = c;
    }
}

/// Whether [`fourier`] and [`sinusoidal`] run on `x`: `f32` on the CPU, needing no gradient.
pub fn applies(x: &Tensor) -> bool {
    x.device().is_cpu() && x.dtype() == DType::F32 && !x.track_op()
}

/// `[sin(2π x B), cos(2π x B)]` for `x` `[N, dim]` and `b` `[dim, count]`: `[N, 2·count]`.
pub fn fourier(x: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (n, d) = x.dims2()?;
    let (xs, b) = (x.flatten_all()?.to_vec1::<f32>()?, b.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?);
    let width = 2 * (b.len() / d.max(1));
    let mut out = vec![0f32; n * width];
    out.par_chunks_mut(width * 256).zip(xs.par_chunks(d * 256)).for_each(|(rows, xrows)| {
        for (row, xr) in rows.chunks_mut(width).zip(xrows.chunks(d)) {
            fourier_row(row, xr, &b);
        }
    });
    Ok(Tensor::from_vec(out, (n, width), x.device())?)
}

/// The `dim`-wide sinusoidal embedding (cosines, then sines) of the values of `x`: `[N, dim]`.
pub fn sinusoidal(x: &Tensor, dim: usize) -> Result<Tensor> {
    let values = x.flatten_all()?.to_vec1::<f32>()?;
    let freqs = sinusoidal_freqs(dim);
    let mut out = vec![0f32; values.len() * dim];
    for (row, &e) in out.chunks_mut(dim).zip(&values) {
        sinusoidal_row(row, e, &freqs);
    }
    Ok(Tensor::from_vec(out, (values.len(), dim), x.device())?)
}

/// The frequencies of a `dim`-wide [`sinusoidal`] embedding.
pub fn sinusoidal_freqs(dim: usize) -> Vec<f32> {
    let half = dim / 2;
    (0..half).map(|i| (-(10000f64.ln()) * i as f64 / half as f64).exp() as f32).collect()
}

/// [`sinusoidal`] of one host value `e` into `row` (`2·freqs.len()` values): cosines, then sines.
pub fn sinusoidal_row(row: &mut [f32], e: f32, freqs: &[f32]) {
    let half = freqs.len();
    for (i, f) in freqs.iter().enumerate() {
        let (s, c) = sin_cos(e * f);
        row[i] = c;
        row[half + i] = s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn whole_tensor_embeddings_follow_the_formulas() {
        let x = Tensor::new(&[[0.25f32, -0.5], [1.0, 0.125]], &Device::Cpu).unwrap();
        let b = Tensor::new(&[[1.0f32, 0.5, -2.0], [0.25, 3.0, 1.0]], &Device::Cpu).unwrap();
        let got = fourier(&x, &b).unwrap().to_vec2::<f32>().unwrap();
        let (xs, bs) = (x.to_vec2::<f32>().unwrap(), b.to_vec2::<f32>().unwrap());
        for (row, xr) in got.iter().zip(&xs) {
            for j in 0..3 {
                let p = std::f64::consts::TAU * (xr[0] * bs[0][j] + xr[1] * bs[1][j]) as f64;
                assert!((row[j] as f64 - p.sin()).abs() < 1e-5 && (row[3 + j] as f64 - p.cos()).abs() < 1e-5);
            }
        }
        let e = sinusoidal(&Tensor::new(&[0f32, 2.0], &Device::Cpu).unwrap(), 4).unwrap().to_vec2::<f32>().unwrap();
        // frequencies 1 and 10000^(-1/2) = 0.01: cosines, then sines
        let want = [[1.0, 1.0, 0.0, 0.0], [2f64.cos(), 0.02f64.cos(), 2f64.sin(), 0.02f64.sin()]];
        for (row, w) in e.iter().zip(want) {
            for (a, b) in row.iter().zip(w) {
                assert!((*a as f64 - b).abs() < 1e-6, "{row:?} vs {w:?}");
            }
        }
    }
}
