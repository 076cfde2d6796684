//! Shape operations: reshape, transpose, permute, squeeze, concatenation,
//! slicing and indexing. Dimensions may be negative (counted from the end).

use super::{DType, Tensor};
use crate::error::Result;

/// Formats dimensions as `[2, 3]`.
pub fn fmt_dims(dims: &[usize]) -> String {
    format!("{dims:?}")
}

/// Resolves a possibly negative dimension against a rank; a 0-dimensional tensor has none.
pub fn resolve_dim(dim: i64, rank: usize) -> Result<usize> {
    if rank == 0 {
        crate::bail!("a 0-dimensional tensor has no dimension {dim}");
    }
    let r = rank as i64;
    let d = if dim < 0 { dim + r } else { dim };
    if d < 0 || d >= r {
        crate::bail!("dimension {dim} is out of range for a tensor with {rank} dimension{}", plural(rank));
    }
    Ok(d as usize)
}

/// Resolves a dimension for inserting a new axis (range `-(rank+1) ..= rank`).
fn resolve_insert_dim(dim: i64, rank: usize) -> Result<usize> {
    resolve_dim(dim, rank + 1)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Resolves a target shape that may hold one `-1` against an element count.
pub fn resolve_shape(shape: &[i64], numel: usize, from: &[usize]) -> Result<Vec<usize>> {
    let unknown: Vec<usize> = (0..shape.len()).filter(|&i| shape[i] == -1).collect();
    if unknown.len() > 1 {
        crate::bail!("only one dimension can be -1, got {shape:?}");
    }
    if let Some(&bad) = shape.iter().find(|&&d| d < -1) {
        crate::bail!("dimension sizes must be >= 0 (or -1 to infer), got {bad}");
    }
    let positive: Vec<usize> = shape.iter().filter(|&&d| d >= 0).map(|&d| d as usize).collect();
    let known = crate::memory::elements(&positive)?;
    let mut dims: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
    if let Some(&i) = unknown.first() {
        if known == 0 || numel % known != 0 {
            crate::bail!("cannot reshape {} ({numel} elements) into {shape:?}", fmt_dims(from));
        }
        dims[i] = numel / known;
    } else if known != numel {
        crate::bail!("cannot reshape {} ({numel} elements) into {shape:?} ({known} elements)", fmt_dims(from));
    }
    Ok(dims)
}

impl Tensor {
    /// The same data in a new shape; one dimension may be `-1`.
    pub fn reshape(&self, shape: &[i64]) -> Result<Tensor> {
        let dims = resolve_shape(shape, self.numel(), self.dims())?;
        Ok(Tensor(self.0.reshape(dims)?))
    }

    /// Swaps two dimensions.
    pub fn transpose(&self, d0: i64, d1: i64) -> Result<Tensor> {
        let (a, b) = (resolve_dim(d0, self.rank())?, resolve_dim(d1, self.rank())?);
        if self.rank() < 2 {
            return Ok(self.clone());
        }
        Ok(Tensor(self.0.transpose(a, b)?))
    }

    /// The matrix transpose of the last two dimensions.
    pub fn t(&self) -> Result<Tensor> {
        self.transpose(-2, -1)
    }

    /// Reorders the dimensions.
    pub fn permute(&self, order: &[i64]) -> Result<Tensor> {
        if order.len() != self.rank() {
            crate::bail!("the order {order:?} must name all {} dimensions of {}", self.rank(), fmt_dims(self.dims()));
        }
        let dims = order.iter().map(|&d| resolve_dim(d, self.rank())).collect::<Result<Vec<_>>>()?;
        let mut seen = vec![false; dims.len()];
        for &d in &dims {
            if std::mem::replace(&mut seen[d], true) {
                crate::bail!("the order {order:?} names dimension {d} twice");
            }
        }
        Ok(Tensor(self.0.permute(dims)?))
    }

    /// Removes every dimension of size 1.
    pub fn squeeze_all(&self) -> Result<Tensor> {
        let dims: Vec<usize> = self.dims().iter().copied().filter(|&d| d != 1).collect();
        Ok(Tensor(self.0.reshape(dims)?))
    }

    /// Removes one dimension, which must have size 1.
    pub fn squeeze(&self, dim: i64) -> Result<Tensor> {
        let d = resolve_dim(dim, self.rank())?;
        if self.dims()[d] != 1 {
            crate::bail!("dimension {dim} of {} has size {}, not 1", fmt_dims(self.dims()), self.dims()[d]);
        }
        Ok(Tensor(self.0.squeeze(d)?))
    }

    /// Inserts a dimension of size 1.
    pub fn unsqueeze(&self, dim: i64) -> Result<Tensor> {
        let d = resolve_insert_dim(dim, self.rank())?;
        Ok(Tensor(self.0.unsqueeze(d)?))
    }

    /// Merges dimensions `start ..= end` into one.
    pub fn flatten(&self, start: i64, end: i64) -> Result<Tensor> {
        if self.rank() == 0 {
            return Ok(Tensor(self.0.reshape(1)?));
        }
        let (s, e) = (resolve_dim(start, self.rank())?, resolve_dim(end, self.rank())?);
        if s > e {
            crate::bail!("flatten range {start}..={end} is empty for {}", fmt_dims(self.dims()));
        }
        Ok(Tensor(self.0.flatten(s, e)?))
    }

    /// `len` elements of dimension `dim` starting at `start`.
    pub fn narrow(&self, dim: i64, start: i64, len: usize) -> Result<Tensor> {
        let d = resolve_dim(dim, self.rank())?;
        let size = self.dims()[d];
        let s = if start < 0 { start + size as i64 } else { start };
        if s < 0 || (s as usize).checked_add(len).is_none_or(|end| end > size) {
            let end = start.saturating_add(i64::try_from(len).unwrap_or(i64::MAX));
            crate::bail!("range {start}..{end} is out of bounds for dimension {dim} of size {size}");
        }
        Ok(Tensor(self.0.narrow(d, s as usize, len)?))
    }

    /// Elements `start..end` (by `step`) of dimension `dim`, Python-style:
    /// negative bounds count from the end and are clamped to the size.
    pub fn slice(&self, dim: i64, start: i64, end: i64, step: i64) -> Result<Tensor> {
        let d = resolve_dim(dim, self.rank())?;
        if step <= 0 {
            crate::bail!("slice step must be positive, got {step}");
        }
        let size = self.dims()[d] as i64;
        let clamp = |i: i64| if i < 0 { (i + size).max(0) } else { i.min(size) };
        let (s, e) = (clamp(start), clamp(end));
        let len = if e > s { (e - s) as usize } else { 0 };
        let part = self.0.narrow(d, s as usize, len)?;
        if step == 1 || len == 0 {
            return Ok(Tensor(part));
        }
        let picks: Vec<u32> = (0..len as u32).step_by(step as usize).collect();
        let n = picks.len();
        let index = super::transfer::upload(picks, n, DType::U32, self.device())?;
        Ok(Tensor(part.index_select(&index, d)?))
    }

    /// The sub-tensor at position `index` of dimension 0 (negative from the end).
    pub fn get(&self, index: i64) -> Result<Tensor> {
        if self.rank() == 0 {
            crate::bail!("a 0-dimensional tensor cannot be indexed");
        }
        let size = self.dims()[0] as i64;
        let i = if index < 0 { index + size } else { index };
        if i < 0 || i >= size {
            crate::bail!("index {index} is out of range for dimension 0 of size {size}");
        }
        Ok(Tensor(self.0.get(i as usize)?))
    }

    /// Picks entries of dimension `dim` by an integer index tensor.
    pub fn index_select(&self, indices: &Tensor, dim: i64) -> Result<Tensor> {
        let d = resolve_dim(dim, self.rank())?;
        if indices.rank() != 1 {
            crate::bail!("indices must be one-dimensional, got shape {}", fmt_dims(indices.dims()));
        }
        if indices.is_float() {
            crate::bail!("indices must be integers, got dtype {}", indices.dtype().as_str());
        }
        let mut out_dims = self.dims().to_vec();
        out_dims[d] = indices.numel();
        crate::memory::check_shape(&out_dims, self.dtype().size_in_bytes())?;
        let size = self.dims()[d] as f64;
        if let Some(bad) = indices.to_f64_vec()?.into_iter().find(|&i| i < 0.0 || i >= size) {
            crate::bail!("index {bad} is out of range for dimension {dim} of size {size}");
        }
        Ok(Tensor(self.0.index_select(indices.candle(), d)?))
    }

    /// A broadcast view of this tensor with the given shape.
    pub fn broadcast_as(&self, shape: &[usize]) -> Result<Tensor> {
        let ok = shape.len() >= self.rank()
            && self.dims().iter().rev().zip(shape.iter().rev()).all(|(&a, &b)| a == b || a == 1);
        if !ok {
            crate::bail!("cannot broadcast {} to {}", fmt_dims(self.dims()), fmt_dims(shape));
        }
        crate::memory::check_shape(shape, self.dtype().size_in_bytes())?;
        Ok(Tensor(self.0.broadcast_as(shape)?))
    }

    /// A contiguous copy of the data that shares nothing with this tensor.
    pub fn copy(&self) -> Result<Tensor> {
        Ok(Tensor(self.0.copy()?.detach()))
    }
}

/// Joins tensors along an existing dimension.
pub fn cat(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
    let first = check_joinable(tensors, "cat")?;
    let d = resolve_dim(dim, first.rank())?;
    for (i, t) in tensors.iter().enumerate() {
        if t.rank() != first.rank() || t.dims().iter().zip(first.dims()).enumerate().any(|(k, (a, b))| k != d && a != b)
        {
            crate::bail!(
                "tensor {i} has shape {}, which does not match {} outside dimension {dim}",
                fmt_dims(t.dims()),
                fmt_dims(first.dims())
            );
        }
    }
    let parts: Vec<&candle_core::Tensor> = tensors.iter().map(|t| t.candle()).collect();
    Ok(Tensor(candle_core::Tensor::cat(&parts, d)?))
}

/// Stacks same-shaped tensors along a new dimension.
pub fn stack(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
    let first = check_joinable(tensors, "stack")?;
    let d = resolve_insert_dim(dim, first.rank())?;
    if let Some((i, t)) = tensors.iter().enumerate().find(|(_, t)| t.dims() != first.dims()) {
        crate::bail!("tensor {i} has shape {}, expected {} like tensor 0", fmt_dims(t.dims()), fmt_dims(first.dims()));
    }
    let parts: Vec<&candle_core::Tensor> = tensors.iter().map(|t| t.candle()).collect();
    Ok(Tensor(candle_core::Tensor::stack(&parts, d)?))
}

fn check_joinable<'a>(tensors: &'a [Tensor], what: &str) -> Result<&'a Tensor> {
    let Some(first) = tensors.first() else {
        crate::bail!("{what} needs at least one tensor");
    };
    if let Some((i, t)) = tensors.iter().enumerate().find(|(_, t)| t.dtype() != first.dtype()) {
        crate::bail!("tensor {i} has dtype {}, expected {} like tensor 0", t.dtype().as_str(), first.dtype().as_str());
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::create::{arange, Placement};

    fn range(n: usize) -> Tensor {
        arange(0.0, n as f64, 1.0, &Placement::default()).unwrap()
    }

    #[test]
    fn reshape_infers_minus_one_and_rejects_bad_sizes() {
        let x = range(6);
        assert_eq!(x.reshape(&[2, -1]).unwrap().dims(), &[2, 3]);
        assert!(x.reshape(&[4, -1]).unwrap_err().message().contains("cannot reshape [6]"));
        assert!(x.reshape(&[-1, -1]).is_err());
    }

    #[test]
    fn slicing_is_python_like() {
        let x = range(10);
        assert_eq!(x.slice(0, 2, 8, 3).unwrap().to_f64_vec().unwrap(), vec![2.0, 5.0]);
        assert_eq!(x.slice(0, -3, 100, 1).unwrap().to_f64_vec().unwrap(), vec![7.0, 8.0, 9.0]);
        assert_eq!(x.get(-1).unwrap().to_scalar_f64().unwrap(), 9.0);
        assert!(x.get(10).unwrap_err().message().contains("out of range"));
    }

    #[test]
    fn cat_stack_permute_check_shapes() {
        let a = range(6).reshape(&[2, 3]).unwrap();
        let b = range(3).reshape(&[1, 3]).unwrap();
        assert_eq!(cat(&[a.clone(), b.clone()], 0).unwrap().dims(), &[3, 3]);
        assert!(cat(&[a.clone(), b.clone()], 1).unwrap_err().message().contains("outside dimension 1"));
        assert_eq!(stack(&[a.clone(), a.clone()], -1).unwrap().dims(), &[2, 3, 2]);
        assert_eq!(a.permute(&[1, 0]).unwrap().dims(), &[3, 2]);
        assert!(a.permute(&[0, 0]).is_err());
        assert!(a.transpose(0, 2).unwrap_err().message().contains("out of range"));
    }
}
