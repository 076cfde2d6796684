//! Tensors as values: element type, device, conversion to Rhai numbers and
//! arrays, and how they print.

use rhai::plugin::*;

#[export_module]
mod api {
    use crate::runtime::convert::to_nested;
    use crate::runtime::error::{guard, RhaiResult};
    use crate::tensor::{device, dtype, format, DType, Tensor};
    use rhai::{FLOAT, INT};

    /// The values as (nested) arrays: floats for float tensors, ints otherwise.
    #[rhai_fn(return_raw)]
    pub fn to_array(ctx: NativeCallContext, x: Tensor) -> RhaiResult<Dynamic> {
        guard(&ctx, || to_nested(&x))
    }

    /// The single value of a one-element tensor: a float, or an int for integer tensors.
    #[rhai_fn(return_raw)]
    pub fn item(ctx: NativeCallContext, x: Tensor) -> RhaiResult<Dynamic> {
        guard(&ctx, || {
            let v = x.to_scalar_f64()?;
            Ok(if x.is_float() { Dynamic::from_float(v as FLOAT) } else { Dynamic::from_int(v as INT) })
        })
    }

    /// The element type's name: "f32", "f64", "i64", ...
    pub fn dtype(x: Tensor) -> String {
        dtype::dtype_name(x.dtype()).to_string()
    }

    /// The device's name: "cpu" or "cuda:0".
    pub fn device(x: Tensor) -> String {
        device::device_name(x.device())
    }

    /// The tensor converted to another element type: `x.to_dtype("f64")`.
    #[rhai_fn(return_raw)]
    pub fn to_dtype(ctx: NativeCallContext, x: Tensor, dtype: &str) -> RhaiResult<Tensor> {
        guard(&ctx, || x.to_dtype(dtype::parse_dtype(dtype)?))
    }

    /// The tensor as f32.
    #[rhai_fn(return_raw)]
    pub fn f32(ctx: NativeCallContext, x: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || x.to_dtype(DType::F32))
    }

    /// The tensor as f64.
    #[rhai_fn(return_raw)]
    pub fn f64(ctx: NativeCallContext, x: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || x.to_dtype(DType::F64))
    }

    /// The tensor moved to a device: `x.to("cuda")`.
    #[rhai_fn(name = "to", return_raw)]
    pub fn to_device(ctx: NativeCallContext, x: Tensor, device: &str) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            Ok(Tensor::from_candle(crate::tensor::transfer::to_device(x.candle(), &device::parse_device(device)?)?))
        })
    }

    /// A copy that shares no memory (and no gradient graph) with `x`.
    #[rhai_fn(return_raw)]
    pub fn copy(ctx: NativeCallContext, x: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || x.copy())
    }

    /// What `print` shows: a 0-d tensor as its number, otherwise the values with shape, dtype and device.
    #[rhai_fn(name = "to_string", return_raw)]
    pub fn to_string(ctx: NativeCallContext, x: &mut Tensor) -> RhaiResult<String> {
        guard(&ctx, || format::display(x))
    }

    /// The full representation, `tensor([...], shape=[..], dtype=.., device=..)`.
    #[rhai_fn(name = "to_debug", return_raw)]
    pub fn to_debug(ctx: NativeCallContext, x: &mut Tensor) -> RhaiResult<String> {
        guard(&ctx, || format::repr(x))
    }
}

/// The module of value conversions.
pub fn module() -> Module {
    exported_module!(api)
}
