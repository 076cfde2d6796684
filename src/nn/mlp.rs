//! The denoiser MLP for vector data: Fourier features of `x` (as the 3-layer
//! MLP of the shortcut-MCMC paper, Chen 2023, built on VDM's 2-D example),
//! a sinusoidal embedding of the noise level added into every hidden layer,
//! and a dense output.

use super::act::Act;
use super::cpu::elementwise::bias_act;
use super::cpu::mlp_weights::{self, MlpWeights};
use super::cpu::{mlp_sample, mlp_train};
use super::embed::{class_rows, fourier_features, init_class_embedding, init_time_mlp, time_mlp, TimeInput};
use super::functional::per_example;
use super::layer::linear::Linear;
use super::params::{Init, ParamStore};
use crate::error::Result;
use crate::tensor::{create::Placement, rng};
use candle_core::Tensor;
use serde::{Deserialize, Serialize};

/// The shape of a denoiser MLP.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Input dimension.
    pub dim: usize,
    /// Widths of the hidden layers.
    pub hidden: Vec<usize>,
    /// Activation between layers.
    pub act: Act,
    /// Number of random Fourier frequencies of `x` (0: feed `x` as is).
    pub fourier: usize,
    /// Standard deviation of the Fourier frequencies.
    pub fourier_scale: f64,
    /// What the second input is.
    pub time_embed: TimeInput,
    /// Width of the noise-level embedding.
    pub time_dim: usize,
    /// Output dimension.
    pub out: usize,
    /// The number of classes of a class-conditional network (its labels 0..classes−1, and
    /// `classes` the null label); `None` for an unconditional one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<usize>,
}

impl Default for MlpConfig {
    /// A script's `mlp()` without options: a 2-D MLP of three hidden layers of 256, SiLU,
    /// timestep input with a 64-wide embedding, unconditional.
    fn default() -> Self {
        Self {
            dim: 2,
            hidden: vec![256, 256, 256],
            act: Act::Silu,
            fourier: 0,
            fourier_scale: 1.0,
            time_embed: TimeInput::T,
            time_dim: 64,
            out: 2,
            classes: None,
        }
    }
}

/// The widest input, output, time embedding or Fourier feature count an MLP may have
/// (its hidden widths are bounded by the memory budget alone).
pub const MAX_WIDTH: usize = 1 << 20;

impl MlpConfig {
    /// Checks the sizes.
    pub fn validate(&self) -> Result<()> {
        if self.dim == 0 || self.out == 0 {
            crate::bail!("dim and out must be at least 1");
        }
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            crate::bail!("hidden must list at least one layer width, each at least 1, got {:?}", self.hidden);
        }
        if self.time_dim < 2 || self.time_dim % 2 != 0 || self.time_dim > MAX_WIDTH {
            crate::bail!("time_dim must be an even number from 2 to {MAX_WIDTH}, got {}", self.time_dim);
        }
        if matches!(self.classes, Some(k) if k == 0 || k > MAX_WIDTH) {
            crate::bail!("classes must be from 1 to {MAX_WIDTH}, got {}", self.classes.unwrap_or(0));
        }
        if self.fourier > MAX_WIDTH || self.dim > MAX_WIDTH || self.out > MAX_WIDTH {
            crate::bail!(
                "dim, out and fourier must be at most {MAX_WIDTH}, got {}, {} and {}",
                self.dim,
                self.out,
                self.fourier
            );
        }
        Ok(())
    }

    /// Creates the parameters.
    pub fn init(&self, store: &mut ParamStore, at: &Placement) -> Result<()> {
        self.validate()?;
        if self.fourier > 0 {
            let b = rng::normal(self.dim * self.fourier)?.into_iter().map(|v| v * self.fourier_scale).collect();
            store.buffer("fourier.B", crate::tensor::create::from_f64(b, &[self.dim, self.fourier], at)?);
        }
        init_time_mlp(store, "time", self.time_dim, self.time_dim, at)?;
        if let Some(classes) = self.classes {
            init_class_embedding(store, classes, self.time_dim, at)?;
        }
        let mut width = self.dim + 2 * self.fourier;
        for (i, &h) in self.hidden.iter().enumerate() {
            Linear::init(store, &format!("layers.{i}"), (width, h), Some(Init::fan_in(width)), at)?;
            store.param(format!("layers.{i}.time"), &[self.time_dim, h], Init::fan_in(self.time_dim), at)?;
            width = h;
        }
        Linear::init(store, "out", (width, self.out), Some(Init::Zeros), at)
    }

    /// The output `[N, out]` for inputs `x` (`[N, dim]`) at noise levels `c`, with class
    /// `labels` for a class-conditional network (`None`: the null label).
    pub fn forward(&self, store: &ParamStore, x: &Tensor, c: &Tensor, labels: Option<&Tensor>) -> Result<Tensor> {
        let (n, d) = x
            .dims2()
            .map_err(|_| crate::Error::new(format!("the MLP takes [N, {}] inputs, got {:?}", self.dim, x.dims())))?;
        if d != self.dim {
            crate::bail!("the MLP takes [N, {}] inputs, got [{n}, {d}]", self.dim);
        }
        let c = per_example(c, n, x.dtype())?;
        if self.classes.is_none() && self.fused(store, x) && !c.track_op() {
            return mlp_train::forward(&self.weights(store)?, x, &self.time_embed.embed_input(&c)?);
        }
        self.forward_tensors(store, x, &c, labels)
    }

    /// The output for inputs `x` (`[N, dim]`, no gradient wanted) all at noise level `c`
    /// through the fused sampling kernel, or `None` where it does not apply.
    pub fn forward_fused_at_level(&self, store: &ParamStore, x: &Tensor, c: f64) -> Result<Option<Tensor>> {
        if x.track_op() || self.classes.is_some() || !self.fused(store, x) {
            return Ok(None);
        }
        let c = Tensor::new(&[c as f32], x.device())?;
        let temb = time_mlp(store, "time", self.time_embed, &c, self.time_dim)?;
        Ok(Some(mlp_sample::forward(&self.weights(store)?, x, &temb)?))
    }

    /// Whether the fused kernels run this network on `x`.
    fn fused(&self, store: &ParamStore, x: &Tensor) -> bool {
        mlp_weights::runs(self.act, self.dim, store.dtype(), x)
    }

    /// The weights as the fused kernels take them.
    fn weights(&self, store: &ParamStore) -> Result<MlpWeights> {
        let hidden = (0..self.hidden.len())
            .map(|i| {
                let get = |name: &str| store.get(&format!("layers.{i}.{name}"));
                Ok([get("weight")?, get("bias")?, get("time")?])
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(MlpWeights {
            act: self.act,
            time: [
                store.get("time.0.weight")?,
                store.get("time.0.bias")?,
                store.get("time.1.weight")?,
                store.get("time.1.bias")?,
            ],
            fourier: if self.fourier > 0 { Some(store.get("fourier.B")?) } else { None },
            hidden,
            out: [store.get("out.weight")?, store.get("out.bias")?],
        })
    }

    /// [`MlpConfig::forward`] as candle tensor ops, for levels `c` already one per example.
    pub fn forward_tensors(
        &self,
        store: &ParamStore,
        x: &Tensor,
        c: &Tensor,
        labels: Option<&Tensor>,
    ) -> Result<Tensor> {
        let mut temb = time_mlp(store, "time", self.time_embed, c, self.time_dim)?;
        if self.classes.is_some() {
            let table = store.get("class_embedding.weight")?;
            temb = (temb + class_rows(&table, labels, c.dim(0)?, true)?)?;
        }
        let mut h = if self.fourier > 0 { fourier_features(x, &store.get("fourier.B")?)? } else { x.clone() };
        for i in 0..self.hidden.len() {
            let pre = h.matmul(&store.get(&format!("layers.{i}.weight"))?)?;
            let cond = temb.matmul(&store.get(&format!("layers.{i}.time"))?)?;
            h = bias_act(&pre, &cond, &store.get(&format!("layers.{i}.bias"))?, self.act)?;
        }
        Linear::at(store, "out")?.forward(&h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::cpu::op_testing::assert_close;
    use candle_core::{DType, Device, Var};

    /// The freshly initialised parameters of a network of shape `cfg`.
    fn params(cfg: &MlpConfig) -> ParamStore {
        let mut store = ParamStore::new();
        cfg.init(&mut store, &Placement { dtype: DType::F32, device: Device::Cpu }).unwrap();
        store
    }

    fn shape(act: Act, fourier: usize, time_embed: TimeInput) -> MlpConfig {
        MlpConfig { dim: 3, hidden: vec![64, 48], act, fourier, time_embed, time_dim: 32, out: 3, ..Default::default() }
    }

    /// The fused training op's value and every gradient against the tensor form, for a batch
    /// of several blocks.
    #[test]
    fn the_training_kernel_equals_the_tensor_form() {
        crate::tensor::rng::seed(9);
        for (act, fourier, input, n) in [(Act::Silu, 16, TimeInput::T, 700), (Act::Relu, 0, TimeInput::LogSigma, 40)] {
            let cfg = shape(act, fourier, input);
            let store = &params(&cfg);
            let x = Var::from_tensor(&Tensor::randn(0f32, 1.5, (n, 3), &Device::Cpu).unwrap()).unwrap();
            let c = (Tensor::rand(0.05f32, 1.0, n, &Device::Cpu).unwrap()).contiguous().unwrap();
            assert!(cfg.fused(store, &x));
            let weights = Tensor::randn(0f32, 1.0, (n, 3), &Device::Cpu).unwrap();
            let fused = cfg.forward(store, &x, &c, None).unwrap();
            let plain = cfg.forward_tensors(store, &x, &c, None).unwrap();
            let close = |a: &Tensor, b: &Tensor, what: &str| assert_close(a, b, 3e-5, &format!("{act:?} {what}"));
            close(&fused, &plain, "value");
            let gf = (fused * &weights).unwrap().sum_all().unwrap().backward().unwrap();
            let gp = (plain * &weights).unwrap().sum_all().unwrap().backward().unwrap();
            close(gf.get(&x).unwrap(), gp.get(&x).unwrap(), "d x");
            for (name, v) in store.params() {
                close(gf.get(v).unwrap(), gp.get(v).unwrap(), name);
            }
        }
    }

    /// The blocks depend on the batch size only, so the gradient is the same bit for bit on one
    /// thread and on several.
    #[test]
    fn training_gradients_do_not_depend_on_the_thread_count() {
        crate::tensor::rng::seed(2);
        let cfg = MlpConfig {
            dim: 2,
            hidden: vec![32, 32],
            fourier: 4,
            time_dim: 16,
            out: 2,
            ..shape(Act::Silu, 0, TimeInput::T)
        };
        let net = params(&cfg);
        let x = Tensor::randn(0f32, 1.0, (1000, 2), &Device::Cpu).unwrap();
        let c = Tensor::rand(0f32, 1.0, 1000, &Device::Cpu).unwrap();
        let grads = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let g = cfg.forward(&net, &x, &c, None).unwrap().sqr().unwrap().sum_all().unwrap().backward().unwrap();
                net.params()
                    .iter()
                    .map(|(_, v)| g.get(v).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(grads(1), grads(3));
    }

    /// The fused sampling forward at one level equals the tensor form; other activations and
    /// dtypes take the tensor form.
    #[test]
    fn the_sampling_kernel_equals_the_tensor_form() {
        crate::tensor::rng::seed(4);
        for (act, fourier, input) in [(Act::Silu, 16, TimeInput::T), (Act::Relu, 0, TimeInput::LogSigma)] {
            let cfg = shape(act, fourier, input);
            let net = params(&cfg);
            let x = (Tensor::randn(0f32, 1.5, (700, 3), &Device::Cpu).unwrap()).contiguous().unwrap();
            let c = 0.37;
            let fused = cfg.forward_fused_at_level(&net, &x, c).unwrap().unwrap();
            let level = Tensor::new(&[c as f32], &Device::Cpu).unwrap();
            let plain = cfg.forward_tensors(&net, &x, &per_example(&level, 700, DType::F32).unwrap(), None).unwrap();
            let diff = (fused - &plain).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
            let scale = plain.abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
            assert!(diff <= 2e-5 * scale.max(1.0), "{act:?}: max difference {diff} at scale {scale}");
        }
        let gelu = MlpConfig { dim: 2, hidden: vec![8], time_dim: 4, out: 2, ..shape(Act::Gelu, 0, TimeInput::T) };
        let x = Tensor::zeros((1, 2), DType::F32, &Device::Cpu).unwrap();
        assert!(gelu.forward_fused_at_level(&params(&gelu), &x, 0.5).unwrap().is_none());
        let silu = MlpConfig { act: Act::Silu, ..gelu };
        assert!(silu.forward_fused_at_level(&params(&silu), &x, 0.5).unwrap().is_some());
        let wide = Tensor::zeros((1, 3), DType::F32, &Device::Cpu).unwrap();
        assert!(silu.forward_fused_at_level(&params(&silu), &wide, 0.5).unwrap().is_none());
    }
}
