//! Devices by name (`"cpu"`, `"cuda"`, `"cuda:1"`) and the default device new
//! tensors are created on.

use super::Device;
use crate::error::Result;
use std::sync::{Mutex, OnceLock};

fn default_slot() -> &'static Mutex<Device> {
    static SLOT: OnceLock<Mutex<Device>> = OnceLock::new();
    SLOT.get_or_init(|| Mutex::new(Device::Cpu))
}

/// The device new tensors go to when a constructor is not told otherwise.
pub fn default_device() -> Device {
    default_slot().lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Makes `device` the default for new tensors.
pub fn set_default_device(device: Device) {
    *default_slot().lock().unwrap_or_else(|p| p.into_inner()) = device;
}

/// Whether this binary was built with the `cuda` feature.
pub const CUDA_BUILT: bool = cfg!(feature = "cuda");

/// Parses `"cpu"`, `"cuda"` or `"cuda:N"` into a device, opening the GPU if needed.
pub fn parse_device(name: &str) -> Result<Device> {
    let (kind, ordinal) = match name.split_once(':') {
        Some((kind, index)) => {
            let ordinal = index.parse::<usize>().map_err(|_| {
                crate::error::Error::new(format!("bad device \"{name}\": the part after ':' must be a GPU number"))
            })?;
            (kind, ordinal)
        }
        None => (name, 0),
    };
    match kind {
        "cpu" => Ok(Device::Cpu),
        "cuda" | "gpu" => open_cuda(ordinal),
        other => crate::bail!("unknown device \"{other}\"; expected \"cpu\", \"cuda\" or \"cuda:N\""),
    }
}

fn open_cuda(ordinal: usize) -> Result<Device> {
    if !CUDA_BUILT {
        crate::bail!(
            "this difflab binary was built without CUDA; rebuild with `cargo build --release --features cuda`"
        );
    }
    Device::new_cuda(ordinal).map_err(|e| crate::error::Error::from(e).context(format!("cannot open GPU {ordinal}")))
}

/// The name of a device as scripts write it.
pub fn device_name(device: &Device) -> String {
    match device.location() {
        candle_core::DeviceLocation::Cpu => "cpu".to_string(),
        candle_core::DeviceLocation::Cuda { gpu_id } => format!("cuda:{gpu_id}"),
        candle_core::DeviceLocation::Metal { gpu_id } => format!("metal:{gpu_id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_parses_and_unknown_names_are_listed() {
        assert!(parse_device("cpu").unwrap().is_cpu());
        assert!(parse_device("tpu").unwrap_err().message().contains("\"cuda\""));
        assert!(parse_device("cuda:x").is_err());
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_without_the_feature_says_how_to_get_it() {
        let err = parse_device("cuda").unwrap_err();
        assert!(err.message().contains("built without CUDA"), "{err}");
    }
}
