//! Where data crosses between the host and a tensor's storage: host values becoming
//! tensor data (an upload) and tensor data read back into host values (a download). On a
//! GPU each crossing is a host↔device copy, and a download also waits for the device to
//! finish its queued work, so the hot loops (a sampler's steps) should make none.
//!
//! Every crossing of the tensor, model and diffusion layers goes through this module and
//! is counted, on every device alike (the counts say what a GPU would copy, so a check of
//! them also runs on the CPU); scripts read the counts with `transfers()`. Moving a tensor
//! with [`to_device`] counts only when the data really changes place. The fused CPU
//! kernels, which only ever run on host memory, do not cross and are not counted.

use super::{DType, Device};
use crate::error::Result;
use candle_core::{Shape, Tensor as CTensor, WithDType};
use std::sync::atomic::{AtomicU64, Ordering};

static UPLOADS: AtomicU64 = AtomicU64::new(0);
static DOWNLOADS: AtomicU64 = AtomicU64::new(0);

/// The crossings counted since the process started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Host values that became tensor data (or tensors moved onto another device).
    pub uploads: u64,
    /// Tensor data read back into host values (or tensors moved off a device).
    pub downloads: u64,
}

/// The counts so far.
pub fn counts() -> Counts {
    Counts { uploads: UPLOADS.load(Ordering::Relaxed), downloads: DOWNLOADS.load(Ordering::Relaxed) }
}

/// Host `values` as a tensor of `shape` on `device`, converted to `dtype`: one upload.
pub fn upload<T: WithDType>(values: Vec<T>, shape: impl Into<Shape>, dtype: DType, device: &Device) -> Result<CTensor> {
    UPLOADS.fetch_add(1, Ordering::Relaxed);
    let host = CTensor::from_vec(values, shape, &Device::Cpu)?;
    // converted on the host, so the device receives the final element type
    Ok(host.to_dtype(dtype)?.to_device(device)?)
}

/// Every element of `t`, in row-major order, as `f64`: one download.
pub fn download_f64(t: &CTensor) -> Result<Vec<f64>> {
    DOWNLOADS.fetch_add(1, Ordering::Relaxed);
    Ok(t.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()?)
}

/// Every element of `t`, in row-major order, as `f32`: one download.
pub fn download_f32(t: &CTensor) -> Result<Vec<f32>> {
    DOWNLOADS.fetch_add(1, Ordering::Relaxed);
    Ok(t.flatten_all()?.to_dtype(DType::F32)?.to_vec1::<f32>()?)
}

/// `t` on `device`: counted as an upload (onto a GPU) or a download (off it) only when its
/// data changes place.
pub fn to_device(t: &CTensor, device: &Device) -> Result<CTensor> {
    if t.device().same_device(device) {
        return Ok(t.clone());
    }
    let counter = if device.is_cpu() { &DOWNLOADS } else { &UPLOADS };
    counter.fetch_add(1, Ordering::Relaxed);
    Ok(t.to_device(device)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossings_are_counted_and_staying_put_is_not() {
        // the counters are process-wide and other tests run alongside: count at least
        let before = counts();
        let t = upload(vec![1.0f64, 2.0, 3.0], 3, DType::F32, &Device::Cpu).unwrap();
        assert_eq!((t.dtype(), t.dims()), (DType::F32, &[3][..]));
        assert_eq!(download_f64(&t).unwrap(), vec![1.0, 2.0, 3.0]);
        assert_eq!(download_f32(&t).unwrap(), vec![1.0f32, 2.0, 3.0]);
        let after = counts();
        assert!(after.uploads > before.uploads && after.downloads >= before.downloads + 2);
        let same = to_device(&t, &Device::Cpu).unwrap();
        assert_eq!(download_f64(&same).unwrap(), vec![1.0, 2.0, 3.0]);
    }
}
