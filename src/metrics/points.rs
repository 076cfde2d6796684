//! The point sets every metric takes: shape, device and finiteness checks, the
//! conversion to `f64`, and pairwise squared distances computed in row blocks
//! as ‖x‖² + ‖y‖² − 2 x·y with a matmul, so no N × M matrix is ever whole.

use crate::error::Result;
use crate::tensor::{device::device_name, shape::fmt_dims, DType, Tensor};

/// How many distances one block holds (32 MiB of `f64`).
const BLOCK_ELEMENTS: usize = 1 << 22;

/// Checks that `t` is `[N, d]` with `d >= 1` and `N >= min_rows`; `what` names the caller.
fn check_shape(t: &Tensor, what: &str, min_rows: usize) -> Result<()> {
    let dims = t.dims();
    if dims.len() != 2 || dims[1] == 0 {
        crate::bail!("{what} expects points as a [N, d] tensor with d >= 1, got shape {}", fmt_dims(dims));
    }
    if dims[0] < min_rows {
        let s = if min_rows == 1 { "" } else { "s" };
        crate::bail!("{what} needs at least {min_rows} point{s} in a set, got shape {}", fmt_dims(dims));
    }
    Ok(())
}

/// `t` as a contiguous `f64` candle matrix on its own device, refused if any value is NaN or infinite.
fn to_f64(t: &Tensor, what: &str) -> Result<candle_core::Tensor> {
    let x = t.candle().to_dtype(DType::F64)?.contiguous()?;
    if !x.abs()?.sum_all()?.to_scalar::<f64>()?.is_finite() {
        crate::bail!(
            "{what} expects finite coordinates, but the points of shape {} hold NaN or infinity",
            fmt_dims(t.dims())
        );
    }
    Ok(x)
}

/// One point set `[N, d]` (`N >= min_rows`) as `f64` on its device.
pub(crate) fn points(t: &Tensor, what: &str, min_rows: usize) -> Result<candle_core::Tensor> {
    check_shape(t, what, min_rows)?;
    to_f64(t, what)
}

/// Two point sets `[N, d]` and `[M, d]` (each with at least `min_rows` points, on one device) as `f64`.
pub(crate) fn pair(
    a: &Tensor,
    b: &Tensor,
    what: &str,
    min_rows: usize,
) -> Result<(candle_core::Tensor, candle_core::Tensor)> {
    check_shape(a, what, min_rows)?;
    check_shape(b, what, min_rows)?;
    if a.dims()[1] != b.dims()[1] {
        crate::bail!(
            "{what} needs two point sets of the same dimension, got shapes {} and {}",
            fmt_dims(a.dims()),
            fmt_dims(b.dims())
        );
    }
    if !a.device().same_device(b.device()) {
        crate::bail!(
            "{what} needs both point sets on one device, got {} and {}",
            device_name(a.device()),
            device_name(b.device())
        );
    }
    Ok((to_f64(a, what)?, to_f64(b, what)?))
}

/// Both sets shifted by their pooled mean, which leaves every distance unchanged
/// but keeps ‖x‖² + ‖y‖² − 2 x·y from cancelling catastrophically far from the origin.
pub(crate) fn centered(
    x: &candle_core::Tensor,
    y: &candle_core::Tensor,
) -> Result<(candle_core::Tensor, candle_core::Tensor)> {
    let count = (x.dim(0)? + y.dim(0)?) as f64;
    let mean = x.sum_keepdim(0)?.add(&y.sum_keepdim(0)?)?.affine(1.0 / count, 0.0)?;
    Ok((x.broadcast_sub(&mean)?, y.broadcast_sub(&mean)?))
}

/// Calls `f` on consecutive row blocks `[B, M]` of the squared distances between
/// the rows of `x` `[N, d]` and `y` `[M, d]`, in row order, clamped at 0.
pub(crate) fn for_each_distance_block(
    x: &candle_core::Tensor,
    y: &candle_core::Tensor,
    mut f: impl FnMut(candle_core::Tensor) -> Result<()>,
) -> Result<()> {
    let (n, m) = (x.dim(0)?, y.dim(0)?);
    let y_sq = y.sqr()?.sum_keepdim(1)?.t()?;
    let y_t = y.t()?;
    let rows = (BLOCK_ELEMENTS / m.max(1)).max(1);
    let mut start = 0;
    while start < n {
        let len = rows.min(n - start);
        let block = x.narrow(0, start, len)?;
        let cross = block.matmul(&y_t)?.affine(2.0, 0.0)?;
        let sq = block.sqr()?.sum_keepdim(1)?.broadcast_add(&y_sq)?.sub(&cross)?.maximum(0.0)?;
        f(sq)?;
        start += len;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn blocks_hold_the_squared_distances() {
        let x = candle_core::Tensor::new(&[[0.0f64, 0.0], [3.0, 4.0]], &Device::Cpu).unwrap();
        let y = candle_core::Tensor::new(&[[0.0f64, 0.0], [1.0, 0.0], [3.0, 4.0]], &Device::Cpu).unwrap();
        let mut rows = Vec::new();
        for_each_distance_block(&x, &y, |d| {
            rows.extend(d.to_vec2::<f64>()?);
            Ok(())
        })
        .unwrap();
        assert_eq!(rows, vec![vec![0.0, 1.0, 25.0], vec![25.0, 20.0, 0.0]]);
    }

    #[test]
    fn bad_point_sets_are_refused_with_their_shapes() {
        let t = |v: Vec<f64>, shape: &[usize]| {
            Tensor::from_candle(candle_core::Tensor::from_vec(v, shape, &Device::Cpu).unwrap())
        };
        let err = points(&t(vec![1.0; 3], &[3]), "f", 1).unwrap_err();
        assert_eq!(err.message(), "f expects points as a [N, d] tensor with d >= 1, got shape [3]");
        let err = points(&t(vec![1.0, 2.0], &[1, 2]), "f", 2).unwrap_err();
        assert_eq!(err.message(), "f needs at least 2 points in a set, got shape [1, 2]");
        let err = points(&t(vec![1.0, f64::NAN], &[1, 2]), "f", 1).unwrap_err();
        assert!(err.message().contains("NaN or infinity"), "{err}");
    }
}
