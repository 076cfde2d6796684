//! Matrix products (through the `gemm` crate) and sums of host `f32` slices, for the fused
//! CPU paths that work on plain buffers instead of candle tensors.

use rayon::prelude::*;

/// A read-only `rows × cols` matrix over a slice: row-major, or its transpose.
#[derive(Clone, Copy)]
pub struct View<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: isize,
    col_stride: isize,
}

impl<'a> View<'a> {
    /// The row-major `rows × cols` matrix held in `data`.
    ///
    /// # Panics
    /// When `data` holds fewer than `rows · cols` values.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert!(data.len() >= rows * cols, "a {rows}×{cols} matrix over {} values", data.len());
        Self { data, rows, cols, row_stride: cols as isize, col_stride: 1 }
    }

    /// The transpose, without copying.
    pub fn t(self) -> Self {
        Self { rows: self.cols, cols: self.rows, row_stride: self.col_stride, col_stride: self.row_stride, ..self }
    }
}

/// `dst = a · b`, or `dst += a · b` when `accumulate`, for row-major `dst` of `a.rows × b.cols`,
/// on `threads` threads of the rayon pool (1: on the calling thread).
///
/// # Panics
/// When the shapes do not match.
pub fn matmul_into(dst: &mut [f32], a: View, b: View, accumulate: bool, threads: usize) {
    assert_eq!(a.cols, b.rows, "inner dimensions");
    assert_eq!(dst.len(), a.rows * b.cols, "output size");
    let parallelism = if threads > 1 { gemm::Parallelism::Rayon(threads) } else { gemm::Parallelism::None };
    // SAFETY: every index the strides reach lies inside its slice (checked by `View::new` and
    // the asserts above), and `dst` is borrowed mutably for the call.
    unsafe {
        gemm::gemm(
            a.rows,
            b.cols,
            a.cols,
            dst.as_mut_ptr(),
            1,
            b.cols as isize,
            accumulate,
            a.data.as_ptr(),
            a.col_stride,
            a.row_stride,
            b.data.as_ptr(),
            b.col_stride,
            b.row_stride,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// Adds the column sums of the row-major `rows × cols` matrix `m` to `acc` (`cols` long).
pub fn add_column_sums(acc: &mut [f32], m: &[f32]) {
    for row in m.chunks_exact(acc.len()) {
        acc.iter_mut().zip(row).for_each(|(a, v)| *a += v);
    }
}

/// Writes into `dst` the sum of `parts` (each at least `dst.len()` long), added in the order
/// given: spans of `dst` run in parallel on the rayon pool, and each value's sum is the same
/// whatever the thread count. The fused ops sum their blocks' parameter gradients this way.
pub fn sum_in_order(dst: &mut [f32], parts: &[&[f32]]) {
    const SPAN: usize = 1 << 14;
    dst.par_chunks_mut(SPAN).enumerate().for_each(|(k, acc)| {
        acc.fill(0.0);
        for part in parts {
            acc.iter_mut().zip(&part[k * SPAN..]).for_each(|(a, v)| *a += v);
        }
    });
}

/// `Σ f(aᵢ, bᵢ)` accumulated in 16 `f32` lanes, so that the loop vectorises, and the lanes
/// added in `f64`.
#[inline(always)]
pub fn lane_sum(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f64 {
    const LANES: usize = 16;
    let mut lanes = [0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let rest: f64 = ca.remainder().iter().zip(cb.remainder()).map(|(&x, &y)| f(x, y) as f64).sum();
    for (x, y) in ca.zip(cb) {
        for ((l, &x), &y) in lanes.iter_mut().zip(x).zip(y) {
            *l += f(x, y);
        }
    }
    lanes.iter().map(|&l| l as f64).sum::<f64>() + rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_and_transposes_match_the_definition() {
        let a: Vec<f32> = (0..6).map(|v| v as f32).collect(); // 2×3
        let b: Vec<f32> = (0..12).map(|v| (v as f32) * 0.5 - 2.0).collect(); // 3×4
        let mut c = vec![0f32; 8];
        matmul_into(&mut c, View::new(&a, 2, 3), View::new(&b, 3, 4), false, 1);
        for i in 0..2 {
            for j in 0..4 {
                let want: f32 = (0..3).map(|k| a[i * 3 + k] * b[k * 4 + j]).sum();
                assert_eq!(c[i * 4 + j], want);
            }
        }
        // (aᵀ)ᵀ · b again, accumulated onto the first result: twice the product
        let at: Vec<f32> = (0..6).map(|v| a[(v % 2) * 3 + v / 2]).collect(); // 3×2
        let once = c.clone();
        matmul_into(&mut c, View::new(&at, 3, 2).t(), View::new(&b, 3, 4), true, 2);
        assert_eq!(c, once.iter().map(|v| 2.0 * v).collect::<Vec<_>>());
        let mut sums = vec![1f32; 3];
        add_column_sums(&mut sums, &a);
        assert_eq!(sums, vec![4.0, 6.0, 8.0]);
        let long: Vec<f32> = (0..37).map(|v| v as f32).collect();
        assert_eq!(lane_sum(&long, &long, |x, y| x * y), (0..37).map(|v| (v * v) as f64).sum::<f64>());
    }
}
