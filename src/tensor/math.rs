//! Elementwise math functions and the softmax family. Integer tensors are
//! converted to the default float type first.

use super::{shape::resolve_dim, DType, Tensor};
use crate::error::Result;

/// An elementwise function of one tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unary {
    /// `e^x`
    Exp,
    /// natural logarithm
    Log,
    /// square root
    Sqrt,
    /// absolute value
    Abs,
    /// sine
    Sin,
    /// cosine
    Cos,
    /// hyperbolic tangent
    Tanh,
    /// `1 / (1 + e^-x)`
    Sigmoid,
    /// `x · sigmoid(x)`
    Silu,
    /// `max(x, 0)`
    Relu,
    /// GELU (erf form)
    Gelu,
    /// `-x`
    Neg,
    /// `x²`
    Square,
    /// round down
    Floor,
    /// round up
    Ceil,
    /// round half away from zero
    Round,
}

impl Tensor {
    /// Applies an elementwise function.
    pub fn unary(&self, f: Unary) -> Result<Tensor> {
        if f == Unary::Neg {
            if self.is_float() {
                return Ok(Tensor(self.0.neg()?));
            }
            // candle has no integer negation: 0 − x in i64 (unsigned values widen first)
            let x = self.0.to_dtype(DType::I64)?;
            return Ok(Tensor(x.zeros_like()?.sub(&x)?));
        }
        let x = if self.is_float() { self.0.clone() } else { self.0.to_dtype(super::dtype::DEFAULT_FLOAT)? };
        Ok(Tensor(match f {
            Unary::Exp => x.exp()?,
            Unary::Log => x.log()?,
            Unary::Sqrt => x.sqrt()?,
            Unary::Abs => x.abs()?,
            Unary::Sin => x.sin()?,
            Unary::Cos => x.cos()?,
            Unary::Tanh => x.tanh()?,
            Unary::Sigmoid => candle_nn::ops::sigmoid(&x)?,
            Unary::Silu => x.silu()?,
            Unary::Relu => x.relu()?,
            Unary::Gelu => x.gelu_erf()?,
            Unary::Neg => unreachable!("handled above"),
            Unary::Square => x.sqr()?,
            Unary::Floor => x.floor()?,
            Unary::Ceil => x.ceil()?,
            Unary::Round => x.round()?,
        }))
    }

    /// Limits every element to `[min, max]`.
    pub fn clamp(&self, min: f64, max: f64) -> Result<Tensor> {
        if min > max {
            crate::bail!("min {min} is larger than max {max}");
        }
        Ok(Tensor(self.0.clamp(min, max)?))
    }

    /// `exp(x) / sum(exp(x))` along `dim`.
    pub fn softmax(&self, dim: i64) -> Result<Tensor> {
        let d = resolve_dim(dim, self.rank())?;
        Ok(Tensor(candle_nn::ops::softmax(&self.as_float()?.0, d)?))
    }

    /// `log(softmax(x))` along `dim`, computed stably.
    pub fn log_softmax(&self, dim: i64) -> Result<Tensor> {
        let d = resolve_dim(dim, self.rank())?;
        Ok(Tensor(candle_nn::ops::log_softmax(&self.as_float()?.0, d)?))
    }

    /// This tensor if it holds floats, else converted to the default float type (as
    /// PyTorch's `x.float()`): what float-only operations do with integer input.
    pub fn as_float(&self) -> Result<Tensor> {
        if self.is_float() {
            Ok(self.clone())
        } else {
            self.to_dtype(super::dtype::DEFAULT_FLOAT)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::create::{from_f64, Placement};
    use crate::tensor::DType;

    fn t(values: &[f64]) -> Tensor {
        from_f64(values.to_vec(), &[values.len()], &Placement { dtype: DType::F64, device: candle_core::Device::Cpu })
            .unwrap()
    }

    #[test]
    fn functions_match_std() {
        let x = t(&[-1.5, 0.0, 2.0]);
        let close = |f: Unary, g: fn(f64) -> f64| {
            let got = x.unary(f).unwrap().to_f64_vec().unwrap();
            for (a, v) in got.iter().zip([-1.5f64, 0.0, 2.0]) {
                assert!((a - g(v)).abs() < 1e-12, "{f:?}({v}) = {a}, expected {}", g(v));
            }
        };
        close(Unary::Exp, f64::exp);
        close(Unary::Tanh, f64::tanh);
        close(Unary::Sigmoid, |v| 1.0 / (1.0 + (-v).exp()));
        close(Unary::Silu, |v| v / (1.0 + (-v).exp()));
        close(Unary::Relu, |v| v.max(0.0));
        close(Unary::Abs, f64::abs);
        assert_eq!(x.clamp(-1.0, 1.0).unwrap().to_f64_vec().unwrap(), vec![-1.0, 0.0, 1.0]);
    }

    #[test]
    fn softmax_sums_to_one_and_log_softmax_agrees() {
        let x = t(&[1.0, 2.0, 3.0]);
        let p = x.softmax(0).unwrap().to_f64_vec().unwrap();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let lp = x.log_softmax(-1).unwrap().to_f64_vec().unwrap();
        for (a, b) in p.iter().zip(lp) {
            assert!((a.ln() - b).abs() < 1e-12);
        }
    }
}
