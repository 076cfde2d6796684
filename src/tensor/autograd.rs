//! Reverse-mode gradients on candle's autograd: trainable parameters,
//! `backward`, and the gradients of the most recent backward pass.

use super::{shape::fmt_dims, Tensor};
use crate::error::Result;
use candle_core::backprop::GradStore;
use candle_core::Var;
use std::sync::{Mutex, OnceLock};

fn last_grads() -> &'static Mutex<Option<GradStore>> {
    static LAST: OnceLock<Mutex<Option<GradStore>>> = OnceLock::new();
    LAST.get_or_init(|| Mutex::new(None))
}

/// A trainable copy of `t`: operations on it record a graph for [`Tensor::backward`].
pub fn param(t: &Tensor) -> Result<Tensor> {
    if !t.is_float() {
        crate::bail!("a parameter must be a float tensor, got dtype {}", t.dtype().as_str());
    }
    let var = Var::from_tensor(&t.candle().copy()?.detach())?;
    Ok(Tensor::from_candle(var.as_tensor().clone()))
}

impl Tensor {
    /// Whether this tensor is a trainable parameter.
    pub fn is_param(&self) -> bool {
        self.candle().is_variable()
    }

    /// The parameter as a candle [`Var`], for in-place updates.
    pub fn as_var(&self) -> Result<Var> {
        if !self.is_param() {
            crate::bail!("the tensor of shape {} is not a parameter; make one with param(t)", fmt_dims(self.dims()));
        }
        Ok(Var::from_tensor(self.candle())?)
    }

    /// The same values cut off from the graph: no gradient flows through them.
    pub fn detach(&self) -> Tensor {
        Tensor::from_candle(self.candle().detach())
    }

    /// Computes the gradient of this scalar with respect to every parameter it
    /// depends on, and keeps them for [`Tensor::grad`].
    pub fn backward(&self) -> Result<()> {
        let grads = self.gradients()?;
        store_grads(grads);
        Ok(())
    }

    /// The gradients of this scalar, without storing them.
    pub fn gradients(&self) -> Result<GradStore> {
        if self.numel() != 1 {
            crate::bail!("backward needs a scalar (one-element) loss, got shape {}", fmt_dims(self.dims()));
        }
        if !self.is_float() {
            crate::bail!("backward needs a float loss, got dtype {}", self.dtype().as_str());
        }
        Ok(self.candle().backward()?)
    }

    /// The gradient of the latest backward pass with respect to this parameter.
    pub fn grad(&self) -> Result<Tensor> {
        if !self.is_param() {
            crate::bail!("only parameters have gradients; make one with param(t)");
        }
        let guard = last_grads().lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref().and_then(|g| g.get(self.candle())) {
            Some(g) => Ok(Tensor::from_candle(g.clone())),
            None if guard.is_none() => crate::bail!("no gradients yet: call loss.backward() (or opt.step(loss)) first"),
            None => Ok(Tensor::from_candle(self.candle().zeros_like()?)),
        }
    }
}

/// Keeps `grads` as the gradients of the latest backward pass.
pub fn store_grads(grads: GradStore) {
    *last_grads().lock().unwrap_or_else(|p| p.into_inner()) = Some(grads);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::create::{from_f64, Placement};
    use crate::tensor::reduce::Reduce;

    #[test]
    fn gradient_of_a_sum_of_squares() {
        let x = param(&from_f64(vec![1.0, -2.0, 3.0], &[3], &Placement::default()).unwrap()).unwrap();
        let loss = x.unary(crate::tensor::math::Unary::Square).unwrap().reduce(Reduce::Sum, None, false).unwrap();
        let grads = loss.gradients().unwrap();
        let g = Tensor::from_candle(grads.get(x.candle()).unwrap().clone());
        assert_eq!(g.to_f64_vec().unwrap(), vec![2.0, -4.0, 6.0]);
        assert!(x.detach().gradients().is_err());
    }
}
