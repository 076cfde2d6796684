//! Constructors: filled, ranged, identity, random, and from flat data.

use super::philox::{self, Distribution};
use super::philox_op::PhiloxFill;
use super::{dtype::DEFAULT_FLOAT, rng, shape::fmt_dims, transfer, DType, Device, Tensor};
use crate::error::Result;
use crate::memory;

/// Where and in what element type a constructor puts its tensor.
#[derive(Clone, Debug)]
pub struct Placement {
    /// The element type.
    pub dtype: DType,
    /// The device.
    pub device: Device,
}

impl Default for Placement {
    fn default() -> Self {
        Self { dtype: DEFAULT_FLOAT, device: super::device::default_device() }
    }
}

/// A tensor of the given shape filled with `value`, set where it lives (no upload).
pub fn full(shape: &[usize], value: f64, at: &Placement) -> Result<Tensor> {
    use candle_core::Tensor as T;
    check(shape, at)?;
    let dev = &at.device;
    Ok(Tensor(match at.dtype {
        DType::F32 => T::full(value as f32, shape, dev)?,
        DType::F64 => T::full(value, shape, dev)?,
        DType::I64 => T::full(value as i64, shape, dev)?,
        DType::U32 => T::full(value as u32, shape, dev)?,
        DType::U8 => T::full(value as u8, shape, dev)?,
        other => T::full(value, shape, dev)?.to_dtype(other)?,
    }))
}

/// A tensor of zeros.
pub fn zeros(shape: &[usize], at: &Placement) -> Result<Tensor> {
    check(shape, at)?;
    Ok(Tensor(candle_core::Tensor::zeros(shape, at.dtype, &at.device)?))
}

/// A tensor of ones.
pub fn ones(shape: &[usize], at: &Placement) -> Result<Tensor> {
    check(shape, at)?;
    Ok(Tensor(candle_core::Tensor::ones(shape, at.dtype, &at.device)?))
}

/// Builds a tensor from row-major `f64` values, converted to the placement's dtype.
pub fn from_f64(values: Vec<f64>, shape: &[usize], at: &Placement) -> Result<Tensor> {
    let count = memory::elements(shape)?;
    if values.len() != count {
        crate::bail!("{} values cannot fill shape {}", values.len(), fmt_dims(shape));
    }
    Ok(Tensor(transfer::upload(values, shape, at.dtype, &at.device)?))
}

/// Builds an `i64` tensor (or the placement's dtype) from row-major integers.
pub fn from_i64(values: Vec<i64>, shape: &[usize], at: &Placement) -> Result<Tensor> {
    let count = memory::elements(shape)?;
    if values.len() != count {
        crate::bail!("{} values cannot fill shape {}", values.len(), fmt_dims(shape));
    }
    Ok(Tensor(transfer::upload(values, shape, at.dtype, &at.device)?))
}

/// Evenly spaced values `start, start + step, ...` below `end` (above, for a negative step).
pub fn arange(start: f64, end: f64, step: f64, at: &Placement) -> Result<Tensor> {
    if step == 0.0 || !step.is_finite() {
        crate::bail!("step must be a non-zero finite number, got {step}");
    }
    let steps = ((end - start) / step).ceil().max(0.0);
    if !steps.is_finite() || steps >= usize::MAX as f64 {
        crate::bail!("the range from {start} to {end} by {step} has too many values");
    }
    let count = steps as usize;
    check(&[count], at)?;
    memory::check(count, 8)?;
    let values: Vec<f64> = (0..count).map(|i| start + i as f64 * step).collect();
    from_f64(values, &[count], at)
}

/// `count` evenly spaced values from `start` to `end`, both included.
pub fn linspace(start: f64, end: f64, count: usize, at: &Placement) -> Result<Tensor> {
    check(&[count], at)?;
    memory::check(count, 8)?;
    let values: Vec<f64> = match count {
        0 => vec![],
        1 => vec![start],
        _ => {
            let step = (end - start) / (count - 1) as f64;
            (0..count).map(|i| if i == count - 1 { end } else { start + i as f64 * step }).collect()
        }
    };
    from_f64(values, &[count], at)
}

/// The `n × n` identity matrix.
pub fn eye(n: usize, at: &Placement) -> Result<Tensor> {
    check(&[n, n], at)?;
    let mut values = memory::filled(n * n, 0.0)?;
    for i in 0..n {
        values[i * n + i] = 1.0;
    }
    from_f64(values, &[n, n], at)
}

/// Standard-normal draws from the seeded tensor stream, made on the placement's device.
pub fn randn(shape: &[usize], at: &Placement) -> Result<Tensor> {
    require_float(at.dtype, "randn")?;
    philox_draw(Distribution::Normal, shape, at)
}

/// Draws uniform on `[0, 1)` from the seeded tensor stream, made on the placement's device.
pub fn rand(shape: &[usize], at: &Placement) -> Result<Tensor> {
    require_float(at.dtype, "rand")?;
    philox_draw(Distribution::Uniform, shape, at)
}

/// The next draw of the tensor stream, computed in `f32` where the tensor lives and then
/// converted to the placement's dtype.
fn philox_draw(dist: Distribution, shape: &[usize], at: &Placement) -> Result<Tensor> {
    let n = memory::check_shape(shape, 4)?;
    check(shape, at)?;
    let from = rng::take_tensor_draw(n);
    let t = candle_core::Tensor::zeros(shape, DType::F32, &at.device)?;
    t.inplace_op1(&PhiloxFill { dist, key: philox::key_of(from.seed), first_block: from.next_block })?;
    Ok(Tensor(t.to_dtype(at.dtype)?))
}

/// Integers uniform on `[low, high)` from the seeded generator.
pub fn randint(low: i64, high: i64, shape: &[usize], at: &Placement) -> Result<Tensor> {
    if high <= low {
        crate::bail!("the range [{low}, {high}) is empty");
    }
    let n = memory::check_shape(shape, 8)?;
    check(shape, at)?;
    from_i64(rng::integers(n, low, high)?, shape, at)
}

/// A random permutation of `0..n` as an `i64` tensor.
pub fn randperm(n: usize, device: &Device) -> Result<Tensor> {
    memory::check(n, 16)?;
    let order: Vec<i64> = rng::permutation(n)?.into_iter().map(|i| i as i64).collect();
    from_i64(order, &[n], &Placement { dtype: DType::I64, device: device.clone() })
}

/// Checks that a tensor of `shape` in the placement's dtype fits the memory budget.
pub fn check(shape: &[usize], at: &Placement) -> Result<()> {
    memory::check_shape(shape, at.dtype.size_in_bytes()).map(|_| ())
}

fn require_float(dtype: DType, what: &str) -> Result<()> {
    if !dtype.is_float() {
        crate::bail!("{what} draws real numbers; dtype {} is not a float type", dtype.as_str());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f64s(t: &Tensor) -> Vec<f64> {
        t.to_f64_vec().unwrap()
    }

    #[test]
    fn ranges_match_numpy() {
        let at = Placement::default();
        assert_eq!(f64s(&arange(0.0, 5.0, 2.0, &at).unwrap()), vec![0.0, 2.0, 4.0]);
        assert_eq!(f64s(&arange(3.0, 0.0, -1.0, &at).unwrap()), vec![3.0, 2.0, 1.0]);
        assert_eq!(f64s(&linspace(0.0, 1.0, 5, &at).unwrap()), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(f64s(&eye(2, &at).unwrap()), vec![1.0, 0.0, 0.0, 1.0]);
        assert!(arange(0.0, 1.0, 0.0, &at).is_err());
    }

    #[test]
    fn random_constructors_follow_the_seed() {
        let at = Placement { dtype: DType::F64, device: Device::Cpu };
        rng::seed(3);
        let a = randn(&[4, 2], &at).unwrap();
        rng::seed(3);
        let b = randn(&[4, 2], &at).unwrap();
        assert_eq!(f64s(&a), f64s(&b));
        assert_eq!(a.dims(), &[4, 2]);
        let i = randint(0, 3, &[1000], &Placement { dtype: DType::I64, device: Device::Cpu }).unwrap();
        assert!(f64s(&i).iter().all(|v| [0.0, 1.0, 2.0].contains(v)));
    }

    #[test]
    fn tensor_draws_are_the_philox_stream_in_any_float_dtype() {
        rng::seed(12);
        let z = randn(&[3, 5], &Placement { dtype: DType::F32, device: Device::Cpu }).unwrap();
        let u = rand(&[7], &Placement { dtype: DType::F64, device: Device::Cpu }).unwrap();
        let mut want_z = vec![0f32; 15];
        philox::fill(Distribution::Normal, philox::key_of(12), 0, &mut want_z);
        let mut want_u = vec![0f32; 7];
        philox::fill(Distribution::Uniform, philox::key_of(12), 4, &mut want_u);
        assert_eq!(f64s(&z), want_z.iter().map(|&v| v as f64).collect::<Vec<_>>());
        assert_eq!(f64s(&u), want_u.iter().map(|&v| v as f64).collect::<Vec<_>>());
        assert_eq!(randn(&[0], &Placement::default()).unwrap().dims(), &[0]);
    }

    /// Run where the binary has CUDA and a GPU is present; elsewhere it says it skipped.
    #[cfg(feature = "cuda")]
    #[test]
    fn gpu_draws_equal_cpu_draws_bit_for_bit() {
        let Ok(gpu) = Device::new_cuda(0) else {
            eprintln!("no GPU: skipped");
            return;
        };
        for (n, seed) in [(1usize, 0u64), (1_000_003, 42), (4096, u64::MAX)] {
            rng::seed(seed);
            let on_gpu = randn(&[n], &Placement { dtype: DType::F32, device: gpu.clone() }).unwrap();
            let uniform_gpu = rand(&[n], &Placement { dtype: DType::F32, device: gpu.clone() }).unwrap();
            rng::seed(seed);
            let on_cpu = randn(&[n], &Placement { dtype: DType::F32, device: Device::Cpu }).unwrap();
            let uniform_cpu = rand(&[n], &Placement { dtype: DType::F32, device: Device::Cpu }).unwrap();
            let bits = |t: &Tensor| {
                t.0.to_device(&Device::Cpu)
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap()
                    .iter()
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>()
            };
            assert_eq!(bits(&on_gpu), bits(&on_cpu), "normals, n = {n}");
            assert_eq!(bits(&uniform_gpu), bits(&uniform_cpu), "uniforms, n = {n}");
        }
    }
}
