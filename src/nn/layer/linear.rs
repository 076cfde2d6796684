//! The dense layer over a parameter path (`path.weight` `[in, out]`, `path.bias` `[out]`),
//! and a run of dense layers with activations through the fused CPU kernel
//! ([`crate::nn::cpu::dense_stack`]) where it applies.

use crate::error::Result;
use crate::nn::act::Act;
use crate::nn::cpu::dense_stack::{self, DenseWeights};
use crate::nn::functional;
use crate::nn::params::{child, Init, ParamStore};
use crate::tensor::create::Placement;
use candle_core::Tensor;

/// `x @ W + b` over the last dimension.
#[derive(Clone, Debug)]
pub struct Linear {
    /// `[in, out]`.
    pub weight: Tensor,
    /// `[out]`, if the layer has one.
    pub bias: Option<Tensor>,
}

impl Linear {
    /// Creates `path.weight` (`[inputs, outputs]`, PyTorch's default U(±1/√inputs)) and, when
    /// `bias` is given, `path.bias` initialised by it.
    pub fn init(
        store: &mut ParamStore,
        path: &str,
        (inputs, outputs): (usize, usize),
        bias: Option<Init>,
        at: &Placement,
    ) -> Result<()> {
        store.param(child(path, "weight"), &[inputs, outputs], Init::fan_in(inputs), at)?;
        if let Some(init) = bias {
            store.param(child(path, "bias"), &[outputs], init, at)?;
        }
        Ok(())
    }

    /// The layer whose parameters are `path.weight` and, if the store has it, `path.bias`.
    pub fn at(store: &ParamStore, path: &str) -> Result<Self> {
        let bias = child(path, "bias");
        let bias = if store.has(&bias) { Some(store.get(&bias)?) } else { None };
        Ok(Self { weight: store.get(&child(path, "weight"))?, bias })
    }

    /// The output for `x` (`[..., in]`).
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match &self.bias {
            Some(b) => functional::linear(x, &self.weight, b),
            None if x.rank() == 2 => Ok(x.matmul(&self.weight)?),
            None => Ok(x.broadcast_matmul(&self.weight)?),
        }
    }
}

/// Dense layers applied in order, each followed by its activation (if any), as one fused CPU
/// op; where that does not apply, the caller runs the layers one by one.
#[derive(Clone, Debug)]
pub struct DenseStack {
    /// The layers and their activations.
    pub layers: Vec<(Linear, Option<Act>)>,
}

impl DenseStack {
    /// The output for `x` through the fused CPU op, or `None` where that does not apply
    /// (another device or dtype, an activation it does not run, a shape that does not fit).
    pub fn forward_fused(&self, x: &Tensor) -> Result<Option<Tensor>> {
        let weights: Vec<DenseWeights> = self
            .layers
            .iter()
            .map(|(l, act)| DenseWeights { weight: l.weight.clone(), bias: l.bias.clone(), act: *act })
            .collect();
        match dense_stack::applies(x, &weights) {
            true => Ok(Some(dense_stack::forward(x, &weights)?)),
            false => Ok(None),
        }
    }
}
