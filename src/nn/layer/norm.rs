//! Normalisations over a parameter path (`path.weight`, `path.bias`, per channel or
//! feature): group norm (Wu & He 2018), with SiLU fused on the CPU where asked, and layer
//! norm (Ba et al. 2016).

use crate::error::Result;
use crate::nn::functional;
use crate::nn::params::{child, Init, ParamStore};
use crate::tensor::create::Placement;
use candle_core::{Tensor, D};

/// Creates `path.weight` (ones) and `path.bias` (zeros) of `features` values, PyTorch's
/// initialisation of both norms.
pub fn init(store: &mut ParamStore, path: &str, features: usize, at: &Placement) -> Result<()> {
    store.param(child(path, "weight"), &[features], Init::Ones, at)?;
    store.param(child(path, "bias"), &[features], Init::Zeros, at)
}

/// Group normalisation of `[N, C, H, W]`.
#[derive(Clone, Debug)]
pub struct GroupNorm {
    /// The per-channel scale.
    pub weight: Tensor,
    /// The per-channel shift.
    pub bias: Tensor,
    /// Channel groups.
    pub groups: usize,
    /// The ε added to each group's variance.
    pub eps: f64,
}

impl GroupNorm {
    /// The norm at `path` with `groups` groups and PyTorch's default ε.
    pub fn at(store: &ParamStore, path: &str, groups: usize) -> Result<Self> {
        Self::with_eps(store, path, groups, crate::nn::cpu::group_norm::EPS)
    }

    /// The norm at `path` with `groups` groups, adding `eps` to each group's variance.
    pub fn with_eps(store: &ParamStore, path: &str, groups: usize, eps: f64) -> Result<Self> {
        Ok(Self { weight: store.get(&child(path, "weight"))?, bias: store.get(&child(path, "bias"))?, groups, eps })
    }

    /// The norm at `path` with the built-in networks' group count for its channels
    /// ([`functional::groups_for`]).
    pub fn standard(store: &ParamStore, path: &str) -> Result<Self> {
        let norm = Self::at(store, path, 1)?;
        Ok(Self { groups: functional::groups_for(norm.weight.elem_count()), ..norm })
    }

    /// The normalised `x`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        functional::group_norm(x, (self.groups, self.eps), &self.weight, &self.bias)
    }

    /// SiLU of the normalised `x`, as one op on the CPU.
    pub fn forward_silu(&self, x: &Tensor) -> Result<Tensor> {
        functional::group_norm_silu(x, (self.groups, self.eps), &self.weight, &self.bias)
    }
}

/// The ε of [`LayerNorm`], PyTorch's default.
pub const LAYER_NORM_EPS: f64 = 1e-5;

/// Layer normalisation over the last dimension.
#[derive(Clone, Debug)]
pub struct LayerNorm {
    /// The per-feature scale.
    pub weight: Tensor,
    /// The per-feature shift.
    pub bias: Tensor,
}

impl LayerNorm {
    /// The norm at `path`.
    pub fn at(store: &ParamStore, path: &str) -> Result<Self> {
        Ok(Self { weight: store.get(&child(path, "weight"))?, bias: store.get(&child(path, "bias"))? })
    }

    /// The normalised `x`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mean = x.mean_keepdim(D::Minus1)?;
        let centered = x.broadcast_sub(&mean)?;
        let var = centered.sqr()?.mean_keepdim(D::Minus1)?;
        let normed = centered.broadcast_div(&(var + LAYER_NORM_EPS)?.sqrt()?)?;
        Ok(normed.broadcast_mul(&self.weight)?.broadcast_add(&self.bias)?)
    }
}
