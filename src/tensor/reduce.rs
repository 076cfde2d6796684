//! Reductions over every element or along one dimension, with `keepdim`.

use super::{shape::resolve_dim, DType, Tensor};
use crate::error::Result;

/// A reduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduce {
    /// the sum
    Sum,
    /// the arithmetic mean
    Mean,
    /// the largest element
    Max,
    /// the smallest element
    Min,
    /// the unbiased variance (divides by n − 1, as NumPy's `ddof=1` and PyTorch)
    Var,
    /// the unbiased standard deviation
    Std,
    /// the position of the largest element (an `i64` tensor)
    Argmax,
    /// the position of the smallest element (an `i64` tensor)
    Argmin,
}

impl Tensor {
    /// Reduces over `dim`, or over every element when `dim` is `None`.
    pub fn reduce(&self, op: Reduce, dim: Option<i64>, keepdim: bool) -> Result<Tensor> {
        if self.numel() == 0 && !matches!(op, Reduce::Sum) {
            crate::bail!("cannot take the {} of an empty tensor", format!("{op:?}").to_lowercase());
        }
        if self.rank() == 0 && matches!(dim, Some(0 | -1)) {
            return self.reduce(op, None, keepdim);
        }
        let (x, d) = match dim {
            Some(dim) => (self.0.clone(), resolve_dim(dim, self.rank())?),
            None => (self.0.flatten_all()?, 0),
        };
        let x = if matches!(op, Reduce::Mean | Reduce::Var | Reduce::Std) && !x.dtype().is_float() {
            x.to_dtype(super::dtype::DEFAULT_FLOAT)?
        } else if op == Reduce::Sum && matches!(x.dtype(), DType::U8 | DType::U32) {
            // sums of small unsigned integers are taken in i64, as NumPy and PyTorch do
            x.to_dtype(DType::I64)?
        } else {
            x
        };
        if matches!(op, Reduce::Var | Reduce::Std) && x.dims()[d] < 2 {
            crate::bail!(
                "the unbiased {} needs at least 2 elements along the dimension, got {}",
                format!("{op:?}").to_lowercase(),
                x.dims()[d]
            );
        }
        let r = match op {
            Reduce::Sum => x.sum_keepdim(d)?,
            Reduce::Mean => x.mean_keepdim(d)?,
            Reduce::Max => x.max_keepdim(d)?,
            Reduce::Min => x.min_keepdim(d)?,
            Reduce::Var => x.var_keepdim(d)?,
            Reduce::Std => x.var_keepdim(d)?.sqrt()?,
            Reduce::Argmax => x.argmax_keepdim(d)?.to_dtype(DType::I64)?,
            Reduce::Argmin => x.argmin_keepdim(d)?.to_dtype(DType::I64)?,
        };
        let out = match (dim, keepdim) {
            (Some(_), true) => r,
            (Some(_), false) => r.squeeze(d)?,
            (None, true) => r.reshape(vec![1; self.rank()])?,
            (None, false) => r.reshape(())?,
        };
        Ok(Tensor(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::create::{from_f64, Placement};

    fn m() -> Tensor {
        from_f64(
            vec![1.0, 5.0, 3.0, 4.0, 2.0, 6.0],
            &[2, 3],
            &Placement { dtype: DType::F64, device: candle_core::Device::Cpu },
        )
        .unwrap()
    }

    fn vals(t: Tensor) -> Vec<f64> {
        t.to_f64_vec().unwrap()
    }

    #[test]
    fn reductions_over_all_and_one_dim() {
        let x = m();
        assert_eq!(vals(x.reduce(Reduce::Sum, None, false).unwrap()), vec![21.0]);
        assert_eq!(x.reduce(Reduce::Sum, None, false).unwrap().rank(), 0);
        assert_eq!(x.reduce(Reduce::Mean, None, true).unwrap().dims(), &[1, 1]);
        assert_eq!(vals(x.reduce(Reduce::Max, Some(1), false).unwrap()), vec![5.0, 6.0]);
        assert_eq!(vals(x.reduce(Reduce::Min, Some(0), false).unwrap()), vec![1.0, 2.0, 3.0]);
        assert_eq!(vals(x.reduce(Reduce::Argmax, Some(-1), false).unwrap()), vec![1.0, 2.0]);
        assert_eq!(vals(x.reduce(Reduce::Argmax, None, false).unwrap()), vec![5.0]);
        assert_eq!(x.reduce(Reduce::Mean, Some(0), true).unwrap().dims(), &[1, 3]);
        // unbiased: var of [1, 5, 3] is 4
        assert_eq!(vals(x.reduce(Reduce::Var, Some(1), false).unwrap())[0], 4.0);
        assert_eq!(vals(x.reduce(Reduce::Std, Some(1), false).unwrap())[0], 2.0);
    }
}
