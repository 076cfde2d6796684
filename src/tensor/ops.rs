//! Arithmetic with NumPy broadcasting and dtype promotion, comparisons that
//! give masks, `where`, and matrix products.

use super::{shape::fmt_dims, DType, Tensor};
use crate::error::Result;

/// An elementwise binary operation between two tensors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a / b`
    Div,
    /// `a ** b`, computed as `exp(b ln a)`: the base must be positive.
    Pow,
    /// The larger of `a` and `b`.
    Maximum,
    /// The smaller of `a` and `b`.
    Minimum,
}

/// An elementwise comparison, giving a mask of 1.0 where it holds and 0.0 elsewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    /// `a == b`
    Eq,
    /// `a != b`
    Ne,
    /// `a < b`
    Lt,
    /// `a <= b`
    Le,
    /// `a > b`
    Gt,
    /// `a >= b`
    Ge,
}

/// The shape two shapes broadcast to, NumPy's rules.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let da = if i < rank - a.len() { 1 } else { a[i - (rank - a.len())] };
        let db = if i < rank - b.len() { 1 } else { b[i - (rank - b.len())] };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => crate::bail!("shapes {} and {} do not broadcast", fmt_dims(a), fmt_dims(b)),
        };
    }
    Ok(out)
}

/// The element type two operands are computed in: floats win over integers,
/// wider wins over narrower.
pub fn promote(a: DType, b: DType) -> DType {
    use DType::*;
    match (a, b) {
        (x, y) if x == y => x,
        (F64, _) | (_, F64) => F64,
        (x, y) if x.is_float() && y.is_float() => F32,
        (x, _) if x.is_float() => x,
        (_, y) if y.is_float() => y,
        _ => I64,
    }
}

fn float_dtype_of(dtype: DType) -> DType {
    if dtype.is_float() {
        dtype
    } else {
        super::dtype::DEFAULT_FLOAT
    }
}

impl Tensor {
    /// This tensor converted to another element type.
    pub fn to_dtype(&self, dtype: DType) -> Result<Tensor> {
        if self.dtype() == dtype {
            return Ok(self.clone());
        }
        Ok(Tensor(self.0.to_dtype(dtype)?))
    }

    /// Applies an elementwise binary operation with broadcasting and promotion.
    pub fn binary(&self, op: BinaryOp, rhs: &Tensor) -> Result<Tensor> {
        let shape = broadcast_shape(self.dims(), rhs.dims())?;
        let mut dtype = promote(self.dtype(), rhs.dtype());
        if matches!(op, BinaryOp::Div | BinaryOp::Pow) {
            dtype = float_dtype_of(dtype);
        }
        crate::memory::check_shape(&shape, dtype.size_in_bytes())?;
        let a = self.to_dtype(dtype)?.0.broadcast_as(shape.as_slice())?;
        let b = rhs.to_dtype(dtype)?.0.broadcast_as(shape.as_slice())?;
        let out = match op {
            BinaryOp::Add => a.add(&b)?,
            BinaryOp::Sub => a.sub(&b)?,
            BinaryOp::Mul => a.mul(&b)?,
            BinaryOp::Div => a.div(&b)?,
            BinaryOp::Pow => b.mul(&a.log()?)?.exp()?,
            BinaryOp::Maximum => a.maximum(&b)?,
            BinaryOp::Minimum => a.minimum(&b)?,
        };
        Ok(Tensor(out))
    }

    /// Applies an elementwise binary operation with a number on the right.
    pub fn binary_scalar(&self, op: BinaryOp, rhs: f64) -> Result<Tensor> {
        let x = self.for_scalar(op, rhs)?;
        let t = &x.0;
        Ok(Tensor(match op {
            BinaryOp::Add => t.affine(1.0, rhs)?,
            BinaryOp::Sub => t.affine(1.0, -rhs)?,
            BinaryOp::Mul => t.affine(rhs, 0.0)?,
            BinaryOp::Pow => t.powf(rhs)?,
            BinaryOp::Div | BinaryOp::Maximum | BinaryOp::Minimum => {
                return x.binary(op, &x.scalar_like(rhs)?);
            }
        }))
    }

    /// Applies an elementwise binary operation with a number on the left.
    pub fn scalar_binary(lhs: f64, op: BinaryOp, rhs: &Tensor) -> Result<Tensor> {
        let x = rhs.for_scalar(op, lhs)?;
        match op {
            BinaryOp::Add | BinaryOp::Mul | BinaryOp::Maximum | BinaryOp::Minimum => x.binary_scalar(op, lhs),
            BinaryOp::Sub => Ok(Tensor(x.0.affine(-1.0, lhs)?)),
            BinaryOp::Div | BinaryOp::Pow => x.scalar_like(lhs)?.binary(op, &x),
        }
    }

    /// This tensor in the dtype a scalar operation needs: integers become
    /// floats when the scalar or the operation is not integral.
    fn for_scalar(&self, op: BinaryOp, scalar: f64) -> Result<Tensor> {
        // an integer tensor stays integer only with a scalar it holds exactly
        let exact_int = scalar.fract() == 0.0 && scalar.abs() <= (1u64 << 53) as f64;
        let needs_float = !exact_int || matches!(op, BinaryOp::Div | BinaryOp::Pow);
        if needs_float && !self.is_float() {
            return self.to_dtype(super::dtype::DEFAULT_FLOAT);
        }
        Ok(self.clone())
    }

    /// A 0-dimensional tensor holding `value` in this tensor's dtype and device.
    pub fn scalar_like(&self, value: f64) -> Result<Tensor> {
        super::create::full(
            &[],
            value,
            &super::create::Placement { dtype: self.dtype(), device: self.device().clone() },
        )
    }

    /// Elementwise comparison with broadcasting; 1.0 where it holds, 0.0 elsewhere,
    /// in the operands' float dtype.
    pub fn compare(&self, op: Compare, rhs: &Tensor) -> Result<Tensor> {
        let shape = broadcast_shape(self.dims(), rhs.dims())?;
        let dtype = promote(self.dtype(), rhs.dtype());
        crate::memory::check_shape(&shape, dtype.size_in_bytes())?;
        let a = self.to_dtype(dtype)?.0.broadcast_as(shape.as_slice())?;
        let b = rhs.to_dtype(dtype)?.0.broadcast_as(shape.as_slice())?;
        let cmp = match op {
            Compare::Eq => candle_core::op::CmpOp::Eq,
            Compare::Ne => candle_core::op::CmpOp::Ne,
            Compare::Lt => candle_core::op::CmpOp::Lt,
            Compare::Le => candle_core::op::CmpOp::Le,
            Compare::Gt => candle_core::op::CmpOp::Gt,
            Compare::Ge => candle_core::op::CmpOp::Ge,
        };
        Ok(Tensor(a.cmp(&b, cmp)?.to_dtype(float_dtype_of(dtype))?))
    }

    /// Elementwise comparison with a number.
    pub fn compare_scalar(&self, op: Compare, rhs: f64) -> Result<Tensor> {
        let x = if self.is_float() { self.clone() } else { self.to_dtype(super::dtype::DEFAULT_FLOAT)? };
        x.compare(op, &x.scalar_like(rhs)?)
    }

    /// Picks `on_true` where `mask` is non-zero and `on_false` elsewhere, broadcasting all three.
    pub fn where_mask(mask: &Tensor, on_true: &Tensor, on_false: &Tensor) -> Result<Tensor> {
        let shape = broadcast_shape(&broadcast_shape(mask.dims(), on_true.dims())?, on_false.dims())?;
        let dtype = promote(on_true.dtype(), on_false.dtype());
        crate::memory::check_shape(&shape, dtype.size_in_bytes())?;
        let m = mask.0.ne(&mask.0.zeros_like()?)?;
        let m = m.broadcast_as(shape.as_slice())?;
        let a = on_true.to_dtype(dtype)?.0.broadcast_as(shape.as_slice())?;
        let b = on_false.to_dtype(dtype)?.0.broadcast_as(shape.as_slice())?;
        Ok(Tensor(m.where_cond(&a, &b)?))
    }

    /// The matrix product, NumPy's `matmul`: 1-D operands are vectors, leading
    /// dimensions broadcast.
    pub fn matmul(&self, rhs: &Tensor) -> Result<Tensor> {
        let (ad, bd) = (self.dims(), rhs.dims());
        if ad.is_empty() || bd.is_empty() {
            crate::bail!(
                "cannot multiply {} by {}: both operands need at least one dimension",
                fmt_dims(ad),
                fmt_dims(bd)
            );
        }
        let k_left = ad[ad.len() - 1];
        let k_right = if bd.len() == 1 { bd[0] } else { bd[bd.len() - 2] };
        if k_left != k_right {
            crate::bail!(
                "cannot multiply {} by {}: the last dimension of the left ({k_left}) must equal the {} of the right ({k_right})",
                fmt_dims(ad),
                fmt_dims(bd),
                if bd.len() == 1 { "length" } else { "second-to-last dimension" }
            );
        }
        let dtype = promote(self.dtype(), rhs.dtype());
        let mut a = self.to_dtype(dtype)?.0;
        let mut b = rhs.to_dtype(dtype)?.0;
        if ad.len() == 1 {
            a = a.unsqueeze(0)?;
        }
        if bd.len() == 1 {
            b = b.unsqueeze(1)?;
        }
        let mut out_dims = broadcast_shape(&a.dims()[..a.rank() - 2], &b.dims()[..b.rank() - 2])
            .map_err(|e| e.context(format!("cannot multiply {} by {}", fmt_dims(ad), fmt_dims(bd))))?;
        out_dims.extend([a.dims()[a.rank() - 2], b.dims()[b.rank() - 1]]);
        crate::memory::check_shape(&out_dims, dtype.size_in_bytes())?;
        let product = interruptible_matmul(&a, &b, &out_dims, MATMUL_PIECE)?;
        let mut out = product;
        if bd.len() == 1 {
            out = out.squeeze(out.rank() - 1)?;
        }
        if ad.len() == 1 {
            out = out.squeeze(out.rank() - if bd.len() == 1 { 1 } else { 2 })?;
        }
        Ok(Tensor(out))
    }
}

/// Multiply-adds one piece of a large CPU matrix product does between interrupt checks
/// (about a tenth of a second on two cores).
const MATMUL_PIECE: usize = 1 << 31;

/// `a @ b` (broadcasting batch dimensions; both at least 2-D) with output `out_dims`. A
/// product of more than `piece` multiply-adds is computed in blocks of rows of `a`,
/// checking for an interrupt between blocks, so Ctrl-C stops a chain of huge products.
fn interruptible_matmul(
    a: &candle_core::Tensor,
    b: &candle_core::Tensor,
    out_dims: &[usize],
    piece: usize,
) -> Result<candle_core::Tensor> {
    let product = |a: &candle_core::Tensor| -> Result<candle_core::Tensor> {
        Ok(match a.broadcast_matmul(b) {
            Ok(p) => p,
            Err(_) => a.contiguous()?.broadcast_matmul(&b.contiguous()?)?,
        })
    };
    let rows_dim = a.rank() - 2;
    let (m, k) = (a.dims()[rows_dim], a.dims()[rows_dim + 1]);
    let work_per_row = (out_dims.iter().product::<usize>() / m.max(1)).saturating_mul(k);
    if !a.device().is_cpu() || work_per_row == 0 || work_per_row.saturating_mul(m) <= piece {
        return product(a);
    }
    let rows = (piece / work_per_row).max(1);
    let mut pieces = Vec::with_capacity(m.div_ceil(rows));
    for start in (0..m).step_by(rows) {
        crate::interrupt::check()?;
        pieces.push(product(&a.narrow(rows_dim, start, rows.min(m - start))?)?);
    }
    Ok(candle_core::Tensor::cat(&pieces, rows_dim)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::create::{from_f64, Placement};

    fn t(values: &[f64], shape: &[usize]) -> Tensor {
        from_f64(values.to_vec(), shape, &Placement { dtype: DType::F64, device: candle_core::Device::Cpu }).unwrap()
    }

    #[test]
    fn broadcasting_follows_numpy() {
        let a = t(&[1.0, 2.0, 3.0], &[3, 1]);
        let b = t(&[10.0, 20.0], &[2]);
        let s = a.binary(BinaryOp::Add, &b).unwrap();
        assert_eq!(s.dims(), &[3, 2]);
        assert_eq!(s.to_f64_vec().unwrap(), vec![11.0, 21.0, 12.0, 22.0, 13.0, 23.0]);
        let err = t(&[1.0, 2.0, 3.0], &[3]).binary(BinaryOp::Mul, &b).unwrap_err();
        assert_eq!(err.message(), "shapes [3] and [2] do not broadcast");
    }

    #[test]
    fn scalar_operations_are_exact() {
        let a = t(&[1.0, -2.0, 4.0], &[3]);
        assert_eq!(
            a.binary_scalar(BinaryOp::Div, 3.0).unwrap().to_f64_vec().unwrap(),
            vec![1.0 / 3.0, -2.0 / 3.0, 4.0 / 3.0]
        );
        assert_eq!(Tensor::scalar_binary(1.0, BinaryOp::Sub, &a).unwrap().to_f64_vec().unwrap(), vec![0.0, 3.0, -3.0]);
        assert_eq!(a.binary_scalar(BinaryOp::Pow, 2.0).unwrap().to_f64_vec().unwrap(), vec![1.0, 4.0, 16.0]);
        assert!((Tensor::scalar_binary(2.0, BinaryOp::Pow, &a).unwrap().to_f64_vec().unwrap()[2] - 16.0).abs() < 1e-12);
    }

    #[test]
    fn comparisons_give_masks_and_where_picks() {
        let a = t(&[1.0, 5.0, 3.0], &[3]);
        let m = a.compare_scalar(Compare::Gt, 2.0).unwrap();
        assert_eq!(m.to_f64_vec().unwrap(), vec![0.0, 1.0, 1.0]);
        let w = Tensor::where_mask(&m, &a, &a.scalar_like(0.0).unwrap()).unwrap();
        assert_eq!(w.to_f64_vec().unwrap(), vec![0.0, 5.0, 3.0]);
    }

    #[test]
    fn a_large_product_in_blocks_of_rows_is_the_whole_product() {
        let a = candle_core::Tensor::arange(0f64, 2.0 * 7.0 * 5.0, &candle_core::Device::Cpu)
            .unwrap()
            .reshape((2, 7, 5))
            .unwrap();
        let b = candle_core::Tensor::arange(0f64, 15.0, &candle_core::Device::Cpu).unwrap().reshape((5, 3)).unwrap();
        let whole = a.broadcast_matmul(&b).unwrap();
        // 2 · 3 · 5 = 30 multiply-adds a row: pieces of 2 rows, the last of 1
        let blocks = interruptible_matmul(&a, &b, &[2, 7, 3], 60).unwrap();
        assert_eq!(blocks.to_vec3::<f64>().unwrap(), whole.to_vec3::<f64>().unwrap());
    }

    #[test]
    fn matmul_handles_vectors_batches_and_bad_shapes() {
        let m = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let v = t(&[1.0, 0.0, -1.0], &[3]);
        assert_eq!(m.matmul(&v).unwrap().to_f64_vec().unwrap(), vec![-2.0, -2.0]);
        let batch = t(&[1.0; 12], &[2, 3, 2]);
        assert_eq!(m.matmul(&batch).unwrap().dims(), &[2, 2, 2]);
        let err = m.matmul(&m).unwrap_err();
        assert!(err.message().contains("[2, 3] by [2, 3]"), "{err}");
        assert_eq!(v.matmul(&v).unwrap().to_scalar_f64().unwrap(), 2.0);
    }
}
