//! The script-facing tensor: a thin wrapper over [`candle_core::Tensor`] whose
//! operations broadcast like NumPy, check their inputs, and fail with messages
//! that name shapes and dimensions instead of panicking.
//!
//! Every random number comes from the seeded state in [`rng`].

pub mod autograd;
pub mod create;
pub mod device;
pub mod dtype;
pub mod format;
pub mod math;
pub mod ops;
pub mod per_device;
pub mod philox;
pub mod philox_op;
pub mod reduce;
pub mod rng;
pub mod shape;
pub mod transfer;

use crate::error::Result;
pub use candle_core::{DType, Device};

/// An n-dimensional array on a device, with autograd when it depends on a
/// trainable parameter (see [`autograd::param`]).
#[derive(Clone, Debug)]
pub struct Tensor(candle_core::Tensor);

impl Tensor {
    /// Wraps a candle tensor.
    pub fn from_candle(inner: candle_core::Tensor) -> Self {
        Self(inner)
    }

    /// The wrapped candle tensor.
    pub fn candle(&self) -> &candle_core::Tensor {
        &self.0
    }

    /// Unwraps into the candle tensor.
    pub fn into_candle(self) -> candle_core::Tensor {
        self.0
    }

    /// The size of every dimension.
    pub fn dims(&self) -> &[usize] {
        self.0.dims()
    }

    /// The number of dimensions.
    pub fn rank(&self) -> usize {
        self.0.rank()
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        self.0.elem_count()
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.0.dtype()
    }

    /// The device the data lives on.
    pub fn device(&self) -> &Device {
        self.0.device()
    }

    /// All elements in row-major order, converted to `f64` (a counted download, see
    /// [`transfer`]).
    pub fn to_f64_vec(&self) -> Result<Vec<f64>> {
        transfer::download_f64(&self.0)
    }

    /// The single value of a one-element tensor, as `f64`.
    pub fn to_scalar_f64(&self) -> Result<f64> {
        if self.numel() != 1 {
            crate::bail!("expected a tensor with one element, got shape {}", shape::fmt_dims(self.dims()));
        }
        Ok(self.to_f64_vec()?[0])
    }

    /// Whether the element type is a floating-point type.
    pub fn is_float(&self) -> bool {
        self.dtype().is_float()
    }
}

impl From<candle_core::Tensor> for Tensor {
    fn from(inner: candle_core::Tensor) -> Self {
        Self(inner)
    }
}
