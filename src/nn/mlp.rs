//! The denoiser MLP for vector data: Fourier features of `x` (as the 3-layer
//! MLP of the shortcut-MCMC paper, Chen 2023, built on VDM's 2-D example),
//! a sinusoidal embedding of the noise level added into every hidden layer,
//! and a dense output.

use super::embed::{fourier_features, init_time_mlp, time_mlp, TimeInput};
use super::fused_act::bias_act;
use super::layers::{linear, per_example, Act};
use super::params::{Init, ParamStore};
use crate::error::Result;
use crate::tensor::{create::Placement, rng};
use candle_core::Tensor;
use serde::{Deserialize, Serialize};

/// The shape of a denoiser MLP.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Input dimension.
    pub dim: usize,
    /// Widths of the hidden layers.
    pub hidden: Vec<usize>,
    /// Activation between layers.
    pub act: Act,
    /// Number of random Fourier frequencies of `x` (0: feed `x` as is).
    pub fourier: usize,
    /// Standard deviation of the Fourier frequencies.
    pub fourier_scale: f64,
    /// What the second input is.
    pub time_embed: TimeInput,
    /// Width of the noise-level embedding.
    pub time_dim: usize,
    /// Output dimension.
    pub out: usize,
}

/// The widest input, output, time embedding or Fourier feature count an MLP may have
/// (its hidden widths are bounded by the memory budget alone).
pub const MAX_WIDTH: usize = 1 << 20;

impl MlpConfig {
    /// Checks the sizes.
    pub fn validate(&self) -> Result<()> {
        if self.dim == 0 || self.out == 0 {
            crate::bail!("dim and out must be at least 1");
        }
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            crate::bail!("hidden must list at least one layer width, each at least 1, got {:?}", self.hidden);
        }
        if self.time_dim < 2 || self.time_dim % 2 != 0 || self.time_dim > MAX_WIDTH {
            crate::bail!("time_dim must be an even number from 2 to {MAX_WIDTH}, got {}", self.time_dim);
        }
        if self.fourier > MAX_WIDTH || self.dim > MAX_WIDTH || self.out > MAX_WIDTH {
            crate::bail!(
                "dim, out and fourier must be at most {MAX_WIDTH}, got {}, {} and {}",
                self.dim,
                self.out,
                self.fourier
            );
        }
        Ok(())
    }

    /// Creates the parameters.
    pub fn init(&self, store: &mut ParamStore, at: &Placement) -> Result<()> {
        self.validate()?;
        if self.fourier > 0 {
            let b = rng::normal(self.dim * self.fourier)?.into_iter().map(|v| v * self.fourier_scale).collect();
            store.buffer("fourier.B", crate::tensor::create::from_f64(b, &[self.dim, self.fourier], at)?);
        }
        init_time_mlp(store, "time", self.time_dim, self.time_dim, at)?;
        let mut width = self.dim + 2 * self.fourier;
        for (i, &h) in self.hidden.iter().enumerate() {
            store.param(format!("layers.{i}.weight"), &[width, h], Init::fan_in(width), at)?;
            store.param(format!("layers.{i}.bias"), &[h], Init::fan_in(width), at)?;
            store.param(format!("layers.{i}.time"), &[self.time_dim, h], Init::fan_in(self.time_dim), at)?;
            width = h;
        }
        store.param("out.weight", &[width, self.out], Init::fan_in(width), at)?;
        store.param("out.bias", &[self.out], Init::Zeros, at)?;
        Ok(())
    }

    /// The output `[N, out]` for inputs `x` (`[N, dim]`) at noise levels `c`.
    pub fn forward(&self, store: &ParamStore, x: &Tensor, c: &Tensor) -> Result<Tensor> {
        let (n, d) = x
            .dims2()
            .map_err(|_| crate::Error::new(format!("the MLP takes [N, {}] inputs, got {:?}", self.dim, x.dims())))?;
        if d != self.dim {
            crate::bail!("the MLP takes [N, {}] inputs, got [{n}, {d}]", self.dim);
        }
        let c = per_example(c, n, x.dtype())?;
        if super::mlp_autograd::applies(self, store, x, &c) {
            return super::mlp_autograd::forward(self, store, x, &c);
        }
        self.forward_tensors(store, x, &c)
    }

    /// [`MlpConfig::forward`] as candle tensor ops, for levels `c` already one per example.
    pub fn forward_tensors(&self, store: &ParamStore, x: &Tensor, c: &Tensor) -> Result<Tensor> {
        let temb = time_mlp(store, "time", self.time_embed, c, self.time_dim)?;
        let mut h = if self.fourier > 0 { fourier_features(x, &store.get("fourier.B")?)? } else { x.clone() };
        for i in 0..self.hidden.len() {
            let pre = h.matmul(&store.get(&format!("layers.{i}.weight"))?)?;
            let cond = temb.matmul(&store.get(&format!("layers.{i}.time"))?)?;
            h = bias_act(&pre, &cond, &store.get(&format!("layers.{i}.bias"))?, self.act)?;
        }
        linear(&h, &store.get("out.weight")?, &store.get("out.bias")?)
    }
}
