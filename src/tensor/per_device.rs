//! Constants a hot loop needs where its tensors live (a mixture's parameters, an
//! embedding's frequencies), made once per device, element type and size and then reused,
//! so a sampler's steps do not upload them again at every call.

use super::{DType, Device};
use crate::error::Result;
use std::sync::Mutex;

/// One cached value per (device, element type, size).
pub struct PerDevice<T> {
    slots: Mutex<Vec<(Device, DType, usize, T)>>,
}

impl<T: Clone> PerDevice<T> {
    /// An empty cache.
    pub const fn new() -> Self {
        Self { slots: Mutex::new(Vec::new()) }
    }

    /// The value for `device`, `dtype` and `size`, made by `make` the first time.
    pub fn get_or_make(
        &self,
        device: &Device,
        dtype: DType,
        size: usize,
        make: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let found = slots.iter().find(|(d, t, s, _)| d.same_device(device) && *t == dtype && *s == size);
        if let Some((_, _, _, value)) = found {
            return Ok(value.clone());
        }
        let value = make()?;
        slots.push((device.clone(), dtype, size, value.clone()));
        Ok(value)
    }
}

impl<T: Clone> Default for PerDevice<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// A copy starts empty: the cache is derived data, made again on first use.
impl<T: Clone> Clone for PerDevice<T> {
    fn clone(&self) -> Self {
        Self::new()
    }
}

/// Caches never make their owners differ.
impl<T> PartialEq for PerDevice<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> std::fmt::Debug for PerDevice<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.slots.lock().map(|s| s.len()).unwrap_or(0);
        write!(f, "PerDevice({n} cached)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_made_once_per_key() {
        let cache = PerDevice::new();
        let mut made = 0;
        for _ in 0..3 {
            let v = cache.get_or_make(&Device::Cpu, DType::F32, 4, || {
                made += 1;
                Ok(7)
            });
            assert_eq!(v.unwrap(), 7);
        }
        assert_eq!(made, 1);
        assert_eq!(cache.get_or_make(&Device::Cpu, DType::F64, 4, || Ok(8)).unwrap(), 8);
        assert_eq!(cache.get_or_make(&Device::Cpu, DType::F32, 5, || Ok(9)).unwrap(), 9);
        assert_eq!(format!("{cache:?}"), "PerDevice(3 cached)");
        assert!(cache.get_or_make(&Device::Cpu, DType::U8, 0, || crate::bail!("no")).is_err());
        assert_eq!(format!("{:?}", cache.clone()), "PerDevice(0 cached)");
    }
}
