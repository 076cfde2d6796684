//! Printing tensors the way PyTorch and NumPy do: nested brackets, aligned
//! columns, a common number format, `...` for large tensors, and a trailer
//! with shape, dtype and device.

use super::{device::device_name, shape::fmt_dims, Tensor};
use crate::error::Result;

/// Tensors with more elements than this are summarised with `...`.
const SUMMARY_THRESHOLD: usize = 1000;
/// How many leading and trailing entries a summarised dimension keeps.
const EDGE_ITEMS: usize = 3;
/// Digits after the decimal point in fixed and scientific notation.
const PRECISION: usize = 4;

/// How the numbers of one tensor are written.
enum NumberStyle {
    /// Integer dtypes.
    Int,
    /// Floats that are all whole numbers: `3.`
    WholeFloat,
    /// Fixed point with [`PRECISION`] digits.
    Fixed,
    /// Scientific notation with [`PRECISION`] digits.
    Scientific,
}

impl NumberStyle {
    fn choose(values: &[f64], is_float: bool) -> Self {
        if !is_float {
            return Self::Int;
        }
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).map(f64::abs).collect();
        if finite.iter().all(|v| v.fract() == 0.0 && *v < 1e16) {
            return Self::WholeFloat;
        }
        let max = finite.iter().copied().fold(0.0, f64::max);
        let min_nonzero = finite.iter().copied().filter(|&v| v > 0.0).fold(f64::INFINITY, f64::min);
        if max >= 1e8 || min_nonzero < 1e-4 || (min_nonzero.is_finite() && max / min_nonzero > 1e3) {
            Self::Scientific
        } else {
            Self::Fixed
        }
    }

    fn write(&self, v: f64) -> String {
        if v.is_nan() {
            return "nan".into();
        }
        if v.is_infinite() {
            return if v > 0.0 { "inf".into() } else { "-inf".into() };
        }
        match self {
            Self::Int => format!("{}", v as i64),
            Self::WholeFloat => format!("{v:.0}."),
            Self::Fixed => format!("{v:.PRECISION$}"),
            Self::Scientific => {
                let s = format!("{v:.PRECISION$e}");
                // Rust writes `1.0000e3`; write `1.0000e+03` as NumPy does.
                match s.split_once('e') {
                    Some((m, e)) => {
                        let (sign, digits) = e.strip_prefix('-').map_or(("+", e), |d| ("-", d));
                        format!("{m}e{sign}{digits:0>2}")
                    }
                    None => s,
                }
            }
        }
    }
}

/// The index ranges of one dimension that are shown, with a gap marker.
fn shown(size: usize, summarise: bool) -> Vec<Option<usize>> {
    if summarise && size > 2 * EDGE_ITEMS {
        let mut v: Vec<Option<usize>> = (0..EDGE_ITEMS).map(Some).collect();
        v.push(None);
        v.extend((size - EDGE_ITEMS..size).map(Some));
        v
    } else {
        (0..size).map(Some).collect()
    }
}

struct Layout<'a> {
    dims: &'a [usize],
    strides: Vec<usize>,
    cells: Vec<String>,
    width: usize,
    summarise: bool,
}

impl Layout<'_> {
    fn block(&self, depth: usize, offset: usize, indent: usize, out: &mut String) {
        out.push('[');
        let last = depth + 1 == self.dims.len();
        let entries = shown(self.dims[depth], self.summarise);
        for (k, entry) in entries.iter().enumerate() {
            if k > 0 {
                out.push(',');
                if last {
                    out.push(' ');
                } else {
                    let blank_lines = self.dims.len() - depth - 2;
                    out.push_str(&"\n".repeat(blank_lines + 1));
                    out.push_str(&" ".repeat(indent + 1));
                }
            }
            match entry {
                None => out.push_str("..."),
                Some(i) if last => {
                    let cell = &self.cells[offset + i * self.strides[depth]];
                    out.push_str(&format!("{cell:>w$}", w = self.width));
                }
                Some(i) => self.block(depth + 1, offset + i * self.strides[depth], indent + 1, out),
            }
        }
        out.push(']');
    }
}

/// The values of a tensor written as nested brackets, `indent` columns in.
fn body(t: &Tensor, indent: usize) -> Result<String> {
    let values = t.to_f64_vec()?;
    let style = NumberStyle::choose(&values, t.is_float());
    if t.rank() == 0 {
        return Ok(style.write(values[0]));
    }
    let dims = t.dims();
    let mut strides = vec![1; dims.len()];
    for i in (0..dims.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * dims[i + 1];
    }
    let cells: Vec<String> = values.iter().map(|&v| style.write(v)).collect();
    let width = cells.iter().map(String::len).max().unwrap_or(0);
    let layout = Layout { dims, strides, cells, width, summarise: values.len() > SUMMARY_THRESHOLD };
    let mut out = String::new();
    layout.block(0, 0, indent, &mut out);
    Ok(out)
}

/// The full representation: `tensor([...], shape=[..], dtype=.., device=..)`.
pub fn repr(t: &Tensor) -> Result<String> {
    const PREFIX: &str = "tensor(";
    let mut trailer = format!("dtype={}, device={}", t.dtype().as_str(), device_name(t.device()));
    if t.rank() > 0 {
        trailer = format!("shape={}, {trailer}", fmt_dims(t.dims()));
    }
    if t.candle().is_variable() {
        trailer.push_str(", param");
    }
    Ok(format!("{PREFIX}{}, {trailer})", body(t, PREFIX.len())?))
}

/// What `print` shows: a 0-dimensional tensor as a plain number (like a
/// NumPy scalar), anything else as [`repr`].
pub fn display(t: &Tensor) -> Result<String> {
    if t.rank() == 0 {
        let v = t.to_f64_vec()?[0];
        return Ok(match t.dtype() {
            d if !d.is_float() => format!("{}", v as i64),
            candle_core::DType::F64 => format!("{v:?}"),
            _ => format!("{:?}", v as f32),
        });
    }
    repr(t)
}

impl std::fmt::Display for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match display(self) {
            Ok(s) => f.write_str(&s),
            Err(e) => write!(f, "<tensor {}: {e}>", fmt_dims(self.dims())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::create::{arange, from_f64, Placement};
    use crate::tensor::DType;

    fn f32s(values: &[f64], shape: &[usize]) -> Tensor {
        from_f64(values.to_vec(), shape, &Placement { dtype: DType::F32, device: candle_core::Device::Cpu }).unwrap()
    }

    #[test]
    fn small_matrices_print_aligned() {
        let t = f32s(&[1.0, -2.5, 3.25, 40.0], &[2, 2]);
        assert_eq!(
            repr(&t).unwrap(),
            "tensor([[ 1.0000, -2.5000],\n        [ 3.2500, 40.0000]], shape=[2, 2], dtype=f32, device=cpu)"
        );
        let whole = f32s(&[3.0, 3.0, 3.0], &[3]);
        assert_eq!(repr(&whole).unwrap(), "tensor([3., 3., 3.], shape=[3], dtype=f32, device=cpu)");
    }

    #[test]
    fn scalars_print_as_numbers() {
        let s = f32s(&[18.0], &[]);
        assert_eq!(display(&s).unwrap(), "18.0");
        assert_eq!(repr(&s).unwrap(), "tensor(18., dtype=f32, device=cpu)");
        assert_eq!(display(&f32s(&[0.1], &[])).unwrap(), "0.1");
    }

    #[test]
    fn wide_ranges_use_scientific_notation() {
        let t = f32s(&[1e-6, 1.0], &[2]);
        assert!(repr(&t).unwrap().starts_with("tensor([1.0000e-06, 1.0000e+00]"));
    }

    #[test]
    fn large_tensors_are_summarised() {
        let t = arange(0.0, 2000.0, 1.0, &Placement::default()).unwrap().reshape(&[2, 1000]).unwrap();
        let s = repr(&t).unwrap();
        assert!(s.contains("[   0.,    1.,    2., ...,  997.,  998.,  999.]"), "{s}");
        assert!(s.ends_with("shape=[2, 1000], dtype=f32, device=cpu)"));
        let cube = arange(0.0, 8.0, 1.0, &Placement::default()).unwrap().reshape(&[2, 2, 2]).unwrap();
        assert_eq!(body(&cube, 0).unwrap(), "[[[0., 1.],\n  [2., 3.]],\n\n [[4., 5.],\n  [6., 7.]]]");
    }
}
