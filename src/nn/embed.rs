//! How networks see their inputs: the noise level, embedded as a function of
//! diffusion time `t` or of `log σ`, and random Fourier features of `x`.

use super::functional::sinusoidal;
use super::layer::linear::Linear;
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
    /// A pretrained model's own discrete timestep, a float in `0..T` (timestep k at
    /// `t = (k + 1)/T`), taken as it is.
    Timestep,
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
            TimeInput::Timestep => "timestep",
        }
    }

    /// The scalar the sinusoidal embedding sees, for one host value.
    pub fn embed_value(self, c: f32) -> f32 {
        match self {
            TimeInput::T => c * 1000.0,
            TimeInput::LogSigma => c.ln() * 0.25,
            TimeInput::Timestep => c,
        }
    }

    /// The scalar the sinusoidal embedding sees.
    pub fn embed_input(self, c: &Tensor) -> Result<Tensor> {
        Ok(match self {
            TimeInput::T => (c * 1000.0)?,
            TimeInput::LogSigma => (c.log()? * 0.25)?,
            TimeInput::Timestep => c.clone(),
        })
    }
}

/// Creates the parameters of a time embedding: a `freq_dim` sinusoid → dense
/// to `dim` → SiLU → dense.
pub fn init_time_mlp(store: &mut ParamStore, prefix: &str, freq_dim: usize, dim: usize, at: &Placement) -> Result<()> {
    Linear::init(store, &format!("{prefix}.0"), (freq_dim, dim), Some(Init::fan_in(freq_dim)), at)?;
    Linear::init(store, &format!("{prefix}.1"), (dim, dim), Some(Init::fan_in(dim)), at)
}

/// The embedding `[N, dim]` of noise levels `c` (`[N]`), from a `freq_dim` sinusoid.
pub fn time_mlp(store: &ParamStore, prefix: &str, input: TimeInput, c: &Tensor, freq_dim: usize) -> Result<Tensor> {
    let s = sinusoidal(&input.embed_input(c)?, freq_dim)?;
    let h = Linear::at(store, &format!("{prefix}.0"))?.forward(&s)?.silu()?;
    Linear::at(store, &format!("{prefix}.1"))?.forward(&h)
}

/// The class-embedding table of a network with `classes` classes: one row of `dim` per class
/// and a last row for the null label `classes` (no class, as classifier-free guidance trains
/// with; Ho & Salimans 2022), initialised N(0, 1) as `nn.Embedding`.
pub fn init_class_embedding(store: &mut ParamStore, classes: usize, dim: usize, at: &Placement) -> Result<()> {
    store.param("class_embedding.weight", &[classes + 1, dim], Init::Normal(1.0), at)
}

/// The rows of the class-embedding `table` for `labels` (one per example of `n`, or one for
/// all; `None`: the null label, the table's last row, for every example). A label must be an
/// integer row of the table; `null` says whether the last row is a null label (difflab's own
/// networks) or a class (a pretrained model's table), for the error.
pub fn class_rows(table: &Tensor, labels: Option<&Tensor>, n: usize, null: bool) -> Result<Tensor> {
    let rows = table.dim(0)?;
    let values = match labels {
        Some(l) => l.flatten_all()?.to_dtype(candle_core::DType::F64)?.to_vec1::<f64>()?,
        None if null => vec![(rows - 1) as f64],
        None => crate::bail!("the model is class-conditional ({rows} classes): give class labels"),
    };
    if values.len() != n && values.len() != 1 {
        crate::bail!("{} class labels for {n} examples; give one per example, or one for all", values.len());
    }
    if null {
        check_labels(&values, rows - 1, true, "network")?;
    } else {
        check_labels(&values, rows, false, "model")?;
    }
    let index: Vec<u32> = (0..n).map(|i| values[i.min(values.len() - 1)] as u32).collect();
    Ok(table.index_select(&Tensor::from_vec(index, n, table.device())?, 0)?)
}

/// Checks that each of `labels` is one of `classes` classes (an integer 0..classes−1), or,
/// where `null`, the null label `classes`; `whose` names the owner of the classes for the error.
pub fn check_labels(labels: &[f64], classes: usize, null: bool, whose: &str) -> Result<()> {
    if labels.is_empty() {
        crate::bail!("give at least one class label");
    }
    let top = classes as f64 - if null { 0.0 } else { 1.0 };
    if let Some(bad) = labels.iter().find(|v| !(v.fract() == 0.0 && **v >= 0.0 && **v <= top)) {
        let last = classes.saturating_sub(1);
        if null {
            crate::bail!(
                "class label {bad} is not one of the {whose}'s classes 0..{last} (or {classes}, the null label)"
            );
        }
        crate::bail!("class label {bad} is not one of the {whose}'s classes 0..{last}");
    }
    Ok(())
}

/// Random Fourier features (Tancik et al. 2020): `[x, sin(2π x B), cos(2π x B)]`
/// with a fixed Gaussian `B` of shape `[dim, count]`.
pub fn fourier_features(x: &Tensor, b: &Tensor) -> Result<Tensor> {
    let proj = (x.matmul(b)? * (2.0 * std::f64::consts::PI))?;
    Ok(Tensor::cat(&[x.clone(), proj.sin()?, proj.cos()?], 1)?)
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
