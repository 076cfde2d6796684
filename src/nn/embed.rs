//! How networks see their inputs: the noise level, embedded as a function of
//! diffusion time `t` or of `log σ`, and random Fourier features of `x`.

use super::fast_math::sin_cos;
use super::layers::{linear, sinusoidal};
use super::params::{Init, ParamStore};
use crate::error::Result;
use crate::tensor::create::Placement;
use candle_core::Tensor;
use serde::{Deserialize, Serialize};

/// What the second input of a network is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeInput {
    /// Diffusion time `t ∈ [0, 1]`, embedded as `1000·t` (the DDPM timestep).
    T,
    /// The noise level σ (of `x = x0 + σ ε`), embedded as `ln(σ)/4` (EDM's c_noise).
    LogSigma,
}

impl TimeInput {
    /// Parses `"t"` or `"log_sigma"`.
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "t" => TimeInput::T,
            "log_sigma" | "logsigma" | "sigma" => TimeInput::LogSigma,
            other => crate::bail!("unknown time_embed \"{other}\"; expected \"t\" or \"log_sigma\""),
        })
    }

    /// The script name.
    pub fn name(self) -> &'static str {
        match self {
            TimeInput::T => "t",
            TimeInput::LogSigma => "log_sigma",
        }
    }

    /// The scalar the sinusoidal embedding sees, for one host value.
    pub fn embed_value(self, c: f32) -> f32 {
        match self {
            TimeInput::T => c * 1000.0,
            TimeInput::LogSigma => c.ln() * 0.25,
        }
    }

    /// The scalar the sinusoidal embedding sees.
    pub fn embed_input(self, c: &Tensor) -> Result<Tensor> {
        Ok(match self {
            TimeInput::T => (c * 1000.0)?,
            TimeInput::LogSigma => (c.log()? * 0.25)?,
        })
    }
}

/// Creates the parameters of a time embedding: a `freq_dim` sinusoid → dense
/// to `dim` → SiLU → dense.
pub fn init_time_mlp(store: &mut ParamStore, prefix: &str, freq_dim: usize, dim: usize, at: &Placement) -> Result<()> {
    store.param(format!("{prefix}.0.weight"), &[freq_dim, dim], Init::fan_in(freq_dim), at)?;
    store.param(format!("{prefix}.0.bias"), &[dim], Init::fan_in(freq_dim), at)?;
    store.param(format!("{prefix}.1.weight"), &[dim, dim], Init::fan_in(dim), at)?;
    store.param(format!("{prefix}.1.bias"), &[dim], Init::fan_in(dim), at)?;
    Ok(())
}

/// The embedding `[N, dim]` of noise levels `c` (`[N]`), from a `freq_dim` sinusoid.
pub fn time_mlp(store: &ParamStore, prefix: &str, input: TimeInput, c: &Tensor, freq_dim: usize) -> Result<Tensor> {
    let s = sinusoidal(&input.embed_input(c)?, freq_dim)?;
    let h = linear(&s, &store.get(&format!("{prefix}.0.weight"))?, &store.get(&format!("{prefix}.0.bias"))?)?.silu()?;
    linear(&h, &store.get(&format!("{prefix}.1.weight"))?, &store.get(&format!("{prefix}.1.bias"))?)
}

/// Random Fourier features (Tancik et al. 2020): `[x, sin(2π x B), cos(2π x B)]`
/// with a fixed Gaussian `B` of shape `[dim, count]`.
pub fn fourier_features(x: &Tensor, b: &Tensor) -> Result<Tensor> {
    let proj = (x.matmul(b)? * (2.0 * std::f64::consts::PI))?;
    Ok(Tensor::cat(&[x.clone(), proj.sin()?, proj.cos()?], 1)?)
}

/// [`fourier_features`] of one row `x` (`dim` values) into `row` (`dim + 2·count` values),
/// on the host, with `b` the row-major `[dim, count]` frequencies.
pub fn fourier_features_row(row: &mut [f32], x: &[f32], b: &[f32]) {
    let d = x.len();
    let f = b.len() / d.max(1);
    row[..d].copy_from_slice(x);
    for j in 0..f {
        let proj: f32 = (0..d).map(|k| x[k] * b[k * f + j]).sum();
        let (s, c) = sin_cos(proj * std::f32::consts::TAU);
        row[d + j] = s;
        row[d + f + j] = c;
    }
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
    fn time_inputs_map_to_the_embedding_scale() {
        let c = Tensor::new(&[0.5f32], &Device::Cpu).unwrap();
        assert_eq!(TimeInput::T.embed_input(&c).unwrap().to_vec1::<f32>().unwrap(), vec![500.0]);
        let s = Tensor::new(&[std::f32::consts::E], &Device::Cpu).unwrap();
        assert!((TimeInput::LogSigma.embed_input(&s).unwrap().to_vec1::<f32>().unwrap()[0] - 0.25).abs() < 1e-6);
        assert!(TimeInput::parse("tau").is_err());
    }

    #[test]
    fn fourier_features_stack_the_input_sin_and_cos() {
        let x = Tensor::new(&[[0.25f32]], &Device::Cpu).unwrap();
        let b = Tensor::new(&[[1.0f32]], &Device::Cpu).unwrap();
        let f = fourier_features(&x, &b).unwrap().to_vec2::<f32>().unwrap();
        assert!((f[0][0] - 0.25).abs() < 1e-7 && (f[0][1] - 1.0).abs() < 1e-6 && f[0][2].abs() < 1e-6);
    }
}
