//! The candle op that fills an `f32` tensor in place with a Philox draw: on the CPU
//! through [`super::philox::fill`], on a GPU through the kernel in `kernels/philox.cu`
//! (compiled to PTX by `build.rs` with the `cuda` feature), so the same seed gives the same
//! bits on both and a GPU draw never crosses the bus.

use super::philox::{fill, Distribution};
use candle_core::{CpuStorage, InplaceOp1, Layout};

/// A draw of a tensor's worth of values from one position of a Philox stream.
pub struct PhiloxFill {
    /// Normals or uniforms.
    pub dist: Distribution,
    /// The stream's key.
    pub key: [u32; 2],
    /// The block the draw starts at.
    pub first_block: u64,
}

/// Values drawn between interrupt checks (a multiple of the 4 values of a block).
const PIECE: usize = 1 << 20;

fn contiguous_range(layout: &Layout) -> candle_core::Result<std::ops::Range<usize>> {
    layout
        .contiguous_offsets()
        .ok_or_else(|| candle_core::Error::Msg("a Philox draw fills only contiguous tensors".into()))
        .map(|(start, end)| start..end)
}

impl InplaceOp1 for PhiloxFill {
    fn name(&self) -> &'static str {
        "philox_fill"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        let range = contiguous_range(layout)?;
        match storage {
            CpuStorage::F32(values) => {
                // in pieces, so that an interrupt stops a draw of gigabytes within a fraction of a second
                for (i, piece) in values[range].chunks_mut(PIECE).enumerate() {
                    if crate::interrupt::is_requested() {
                        return Err(candle_core::Error::Msg("interrupted".into()));
                    }
                    fill(self.dist, self.key, self.first_block + (i * PIECE / 4) as u64, piece);
                }
                Ok(())
            }
            other => Err(candle_core::Error::Msg(format!(
                "a Philox draw fills f32 tensors, not {:?}",
                candle_core::backend::BackendStorage::dtype(other)
            ))),
        }
    }

    #[cfg(feature = "cuda")]
    fn cuda_fwd(&self, storage: &mut candle_core::CudaStorage, layout: &Layout) -> candle_core::Result<()> {
        use candle_core::backend::BackendStorage;
        use candle_core::cuda_backend::cudarc::driver::{LaunchConfig, PushKernelArg};
        use candle_core::cuda_backend::WrapErr;
        const PTX: &str = include_str!(concat!(env!("OUT_DIR"), "/philox.ptx"));

        let range = contiguous_range(layout)?;
        let n = range.len() as u64;
        let dev = storage.device().clone();
        let func = dev.get_or_load_custom_func("philox_fill_f32", "difflab_philox", PTX)?;
        let out = storage.as_cuda_slice_mut::<f32>()?;
        let mut out = out.slice_mut(range);
        let (k0, k1, first, normal) =
            (self.key[0], self.key[1], self.first_block, i32::from(self.dist == Distribution::Normal));
        let threads = u32::try_from(n.div_ceil(4))
            .map_err(|_| candle_core::Error::Msg("a Philox draw of more than 2^34 values".into()))?;
        let mut builder = func.builder();
        builder.arg(&mut out);
        builder.arg(&n);
        builder.arg(&k0);
        builder.arg(&k1);
        builder.arg(&first);
        builder.arg(&normal);
        // SAFETY: the kernel writes exactly `n` floats of `out` and reads nothing else.
        unsafe { builder.launch(LaunchConfig::for_num_elems(threads.max(1))) }.w()?;
        Ok(())
    }
}
