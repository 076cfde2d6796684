//! The denoiser MLP's weights as its fused kernels ([`super::mlp_train`], [`super::mlp_sample`])
//! take them: Fourier features of `x`, a two-layer time embedding added into every hidden
//! layer through a weight of its own, and a dense output.

use super::dense;
use crate::nn::act::Act;
use candle_core::{DType, Tensor};

/// The weights, each `[in, out]` for a product or `[out]` for a bias.
pub(crate) struct MlpWeights {
    /// The activation of the hidden layers.
    pub act: Act,
    /// The time embedding: weight and bias of its first layer (SiLU after it), then of its
    /// second; `[td, td]` and `[td]` each.
    pub time: [Tensor; 4],
    /// The Fourier frequencies `[dim, f]`, if the input gets Fourier features.
    pub fourier: Option<Tensor>,
    /// Each hidden layer's weight, bias and time weight (`[td, out]`).
    pub hidden: Vec<[Tensor; 3]>,
    /// The output layer's weight and bias.
    pub out: [Tensor; 2],
}

impl MlpWeights {
    /// Every tensor, in the order of the kernels' packed vector.
    pub fn packed_order(&self) -> Vec<&Tensor> {
        let mut all: Vec<&Tensor> = self.time.iter().collect();
        all.extend(self.hidden.iter().flatten());
        all.extend(&self.out);
        all
    }

    /// The number of Fourier frequencies.
    pub fn fourier_count(&self) -> usize {
        self.fourier.as_ref().map_or(0, |b| b.dims().last().copied().unwrap_or(0))
    }

    /// The input width `dim`.
    pub fn dim(&self) -> usize {
        self.hidden[0][0].dims()[0] - 2 * self.fourier_count()
    }

    /// The width of the time embedding.
    pub fn time_dim(&self) -> usize {
        self.time[1].elem_count()
    }

    /// The output width.
    pub fn outputs(&self) -> usize {
        self.out[1].elem_count()
    }
}

/// Whether the kernels run a network with hidden activation `act`, input width `dim` and
/// weights in `dtype` on `x`: `f32` weights and input on the CPU, an activation they run, and
/// `x` of shape `[N, dim]`. It needs no weights, so a caller checks it before gathering them.
pub(crate) fn runs(act: Act, dim: usize, dtype: DType, x: &Tensor) -> bool {
    x.device().is_cpu()
        && x.dtype() == DType::F32
        && dtype == DType::F32
        && dense::runs(act)
        && x.dims2().is_ok_and(|(_, d)| d == dim)
}
