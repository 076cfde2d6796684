//! A network: its architecture (a serialisable config) and its named
//! parameters. Denoisers (MLP, UNet) take `(x, noise level)`; classifiers take `x`.
//! Clones share weights and mode, like object references in Python;
//! [`Network::deep_copy`] makes an independent network.

use super::classifier::{ClassifierConfig, ClassifierInput};
use super::composed::{ComposedConfig, Forward};
use super::embed::TimeInput;
use super::layer::value::Layer;
use super::mlp::MlpConfig;
use super::params::{group_digits, ParamStore};
use super::pretrained::config::UnetConfig as DiffusersUnet;
use super::unet::UnetConfig;
use crate::diffusion::saved::TrainedWith;
use crate::error::Result;
use crate::tensor::{create::Placement, device::device_name, DType, Device, Tensor};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// Every kind of network difflab builds, with its configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Architecture {
    /// A denoiser MLP for vectors.
    Mlp(MlpConfig),
    /// A denoiser UNet for images.
    Unet(UnetConfig),
    /// A noise-level classifier.
    Classifier(ClassifierConfig),
    /// Layers composed in a script, with a forward function written there.
    Composed(ComposedConfig),
    /// A pretrained diffusers `UNet2DModel`.
    DiffusersUnet(DiffusersUnet),
}

/// An architecture with its parameters.
#[derive(Clone, Debug)]
pub struct Network {
    arch: Architecture,
    store: ParamStore,
    training: Arc<AtomicBool>,
    /// A composed network's forward function.
    forward_fn: Option<Forward>,
    /// The example shape of the first input a composed network saw.
    seen_input: Arc<OnceLock<Vec<usize>>>,
    /// The file it was loaded from and what that file records it was trained with.
    trained_with: Option<Arc<(PathBuf, TrainedWith)>>,
}

impl Network {
    /// A new network with freshly initialised parameters (from the seeded generator).
    pub fn new(arch: Architecture, at: &Placement) -> Result<Self> {
        let mut store = ParamStore::new();
        match &arch {
            Architecture::Mlp(c) => c.init(&mut store, at)?,
            Architecture::Unet(c) => c.init(&mut store, at)?,
            Architecture::Classifier(c) => c.init(&mut store, at)?,
            Architecture::DiffusersUnet(c) => {
                c.validate()?;
                for e in c.layout() {
                    store.param(e.name, &e.shape, e.init, at)?;
                }
            }
            Architecture::Composed(_) => crate::bail!(
                "a network composed in a script is rebuilt by its script: run network(layers, forward) again, then net.load_weights(path)"
            ),
        }
        Ok(Self::assemble(arch, store, None))
    }

    /// A network of the `layers` (by key) with the forward function `forward`, its parameters
    /// shared with the layers and named `key.name`.
    pub fn composed(config: ComposedConfig, layers: &[(String, Layer)], forward: Forward) -> Result<Self> {
        let mut store = ParamStore::new();
        for (key, layer) in layers {
            store.extend_prefixed(key, &layer.own_store());
        }
        store.check_unshared()?;
        let placement = |p: &(String, candle_core::Var)| (p.1.as_tensor().device().location(), p.1.as_tensor().dtype());
        let params = store.params();
        if let Some(other) = params.iter().find(|p| placement(p) != placement(&params[0])) {
            crate::bail!(
                "the layers' weights must share one device and dtype: `{}` is {:?} but `{}` is {:?}",
                params[0].0,
                placement(&params[0]),
                other.0,
                placement(other)
            );
        }
        Ok(Self::assemble(Architecture::Composed(config), store, Some(forward)))
    }

    /// A pretrained diffusers UNet with the weights read from its file, in eval mode.
    pub fn pretrained(config: DiffusersUnet, store: ParamStore) -> Self {
        let net = Self::assemble(Architecture::DiffusersUnet(config), store, None);
        net.set_training(false);
        net
    }

    fn assemble(arch: Architecture, store: ParamStore, forward_fn: Option<Forward>) -> Self {
        Self {
            arch,
            store,
            training: Arc::new(AtomicBool::new(true)),
            forward_fn,
            seen_input: Arc::default(),
            trained_with: None,
        }
    }

    /// A copy of this network's kind with another store and a mode of its own.
    fn with_store(&self, store: ParamStore) -> Self {
        Self {
            arch: self.arch.clone(),
            store,
            training: self.fresh_mode(),
            forward_fn: self.forward_fn.clone(),
            seen_input: self.seen_input.clone(),
            trained_with: self.trained_with.clone(),
        }
    }

    /// The file this network was loaded from and what it records the network was trained with.
    pub fn trained_with(&self) -> Option<&(PathBuf, TrainedWith)> {
        self.trained_with.as_deref()
    }

    /// Records that this network was loaded from `file`, trained with `with`.
    pub fn set_trained_with(&mut self, file: PathBuf, with: TrainedWith) {
        self.trained_with = Some(Arc::new((file, with)));
    }

    /// The architecture.
    pub fn architecture(&self) -> &Architecture {
        &self.arch
    }

    /// The parameters and buffers.
    pub fn store(&self) -> &ParamStore {
        &self.store
    }

    /// The device the weights are on.
    pub fn device(&self) -> Device {
        self.store.device()
    }

    /// The parameters and buffers, for loading.
    pub fn store_mut(&mut self) -> &mut ParamStore {
        &mut self.store
    }

    /// What the second input of a denoiser means; `None` for a classifier.
    pub fn time_input(&self) -> Option<TimeInput> {
        match &self.arch {
            Architecture::Mlp(c) => Some(c.time_embed),
            Architecture::Unet(c) => Some(c.time_embed),
            Architecture::DiffusersUnet(_) => Some(TimeInput::Timestep),
            Architecture::Classifier(_) => None,
            Architecture::Composed(c) => (c.inputs == 2).then_some(c.time_embed),
        }
    }

    /// Whether this network is class-conditional: it takes class labels.
    pub fn takes_labels(&self) -> bool {
        match &self.arch {
            Architecture::Mlp(c) => c.classes.is_some(),
            Architecture::Unet(c) => c.classes.is_some(),
            Architecture::DiffusersUnet(c) => c.num_class_embeds.is_some(),
            Architecture::Classifier(_) | Architecture::Composed(_) => false,
        }
    }

    /// The null label of a class-conditional network of difflab's own (its class count: the
    /// label it is trained with for "no class", the unconditional model); `None` for a network
    /// without one (a pretrained model's class table has no null row).
    pub fn null_label(&self) -> Option<usize> {
        match &self.arch {
            Architecture::Mlp(c) => c.classes,
            Architecture::Unet(c) => c.classes,
            _ => None,
        }
    }

    /// Whether this network is a classifier (one input) rather than a denoiser.
    pub fn is_classifier(&self) -> bool {
        self.time_input().is_none()
    }

    /// The shape of one input example (without the batch dimension); for a composed network,
    /// as given or as first seen (empty before its first call).
    pub fn input_shape(&self) -> Vec<usize> {
        match &self.arch {
            Architecture::Composed(c) => {
                c.input_shape.clone().or_else(|| self.seen_input.get().cloned()).unwrap_or_default()
            }
            Architecture::Mlp(c) => vec![c.dim],
            Architecture::Unet(c) => c.image.to_vec(),
            Architecture::DiffusersUnet(c) => vec![c.in_channels, c.sample_size, c.sample_size],
            Architecture::Classifier(c) => match &c.input {
                ClassifierInput::Vector { dim, .. } => vec![*dim],
                ClassifierInput::Image { image } => image.to_vec(),
            },
        }
    }

    fn prepare(&self, x: &Tensor) -> Result<candle_core::Tensor> {
        let device = self.store.device();
        if !x.device().same_device(&device) {
            crate::bail!(
                "the network is on {} but the input is on {}; move one with .to(\"{}\")",
                device_name(&device),
                device_name(x.device()),
                device_name(&device)
            );
        }
        Ok(x.candle().to_dtype(self.store.dtype())?)
    }

    /// A denoiser's output for inputs `x` at noise levels `c` (one per example,
    /// or one for all), in the input's dtype.
    pub fn forward(&self, x: &Tensor, c: &Tensor) -> Result<Tensor> {
        self.forward_labeled(x, c, None)
    }

    /// [`Network::forward`] with class `labels` (one per example, or one for all) for a
    /// class-conditional network.
    pub fn forward_labeled(&self, x: &Tensor, c: &Tensor, labels: Option<&Tensor>) -> Result<Tensor> {
        let xs = self.prepare(x)?;
        let cs = crate::tensor::transfer::to_device(c.candle(), &self.store.device())?;
        if labels.is_some() && !self.takes_labels() {
            crate::bail!("this network takes no class labels (make it with #{{ classes: K }} to condition on classes)");
        }
        let labels =
            labels.map(|l| crate::tensor::transfer::to_device(l.candle(), &self.store.device())).transpose()?;
        let labels = labels.as_ref();
        let out = match &self.arch {
            Architecture::DiffusersUnet(cfg) => cfg.forward(&self.store, &xs, &cs, labels)?,
            Architecture::Mlp(cfg) => cfg.forward(&self.store, &xs, &cs, labels)?,
            Architecture::Unet(cfg) => cfg.forward(&self.store, &xs, &cs, labels, self.is_training())?,
            Architecture::Classifier(_) => crate::bail!("a classifier takes one input: clf.forward(x)"),
            Architecture::Composed(cfg) if cfg.inputs == 2 => {
                let c = super::functional::per_example(&cs, xs.dim(0).unwrap_or(1), xs.dtype())?;
                self.call_composed(cfg, vec![Tensor::from_candle(xs), Tensor::from_candle(c)])?.into_candle()
            }
            Architecture::Composed(_) => {
                crate::bail!("this network's forward function takes one input: net.forward(x)")
            }
        };
        Ok(Tensor::from_candle(out.to_dtype(out_dtype(x))?))
    }

    /// A denoiser's output for inputs `x` all at the noise level `c`, for sampling: the
    /// same values as [`Network::forward`], through the MLP's fused CPU path
    /// ([`MlpConfig::forward_fused_at_level`]) where it applies (an `f32` MLP on the CPU whose input needs no
    /// gradient). The result then carries no gradient to the weights.
    pub fn forward_at_level(&self, x: &Tensor, c: f64) -> Result<Tensor> {
        let xs = self.prepare(x)?;
        if let Architecture::Mlp(cfg) = &self.arch {
            if let Some(out) = cfg.forward_fused_at_level(&self.store, &xs, c)? {
                return Ok(Tensor::from_candle(out.to_dtype(out_dtype(x))?));
            }
        }
        self.forward(
            x,
            &crate::tensor::create::full(
                &[1],
                c,
                &crate::tensor::create::Placement { dtype: self.store.dtype(), device: self.store.device() },
            )?,
        )
    }

    /// A classifier's logits for inputs `x`.
    pub fn logits(&self, x: &Tensor) -> Result<Tensor> {
        let xs = self.prepare(x)?;
        match &self.arch {
            Architecture::Classifier(cfg) => {
                Ok(Tensor::from_candle(cfg.forward(&self.store, &xs)?.to_dtype(out_dtype(x))?))
            }
            Architecture::Composed(cfg) if cfg.inputs == 1 => {
                let out = self.call_composed(cfg, vec![Tensor::from_candle(xs)])?;
                Ok(Tensor::from_candle(out.candle().to_dtype(out_dtype(x))?))
            }
            _ => crate::bail!("a denoiser takes two inputs: net.forward(x, t)"),
        }
    }

    /// Runs a composed network's forward function on `inputs`, checking what the script's
    /// function returned.
    fn call_composed(&self, cfg: &ComposedConfig, inputs: Vec<Tensor>) -> Result<Tensor> {
        let Some(forward) = &self.forward_fn else { crate::bail!("this composed network has no forward function") };
        let example = inputs[0].dims().get(1..).map(<[usize]>::to_vec).unwrap_or_default();
        if let Some(want) = &cfg.input_shape {
            if &example != want {
                crate::bail!("the network takes examples of shape {want:?}, got input {:?}", inputs[0].dims());
            }
        }
        let _ = self.seen_input.set(example);
        let out = forward.0.call(cfg.bind(&self.store, &self.training), inputs)?;
        Ok(out)
    }

    /// The trainable parameters as tensors.
    pub fn params(&self) -> Vec<Tensor> {
        self.store.params().iter().map(|(_, v)| Tensor::from_candle(v.as_tensor().clone())).collect()
    }

    /// The number of trainable scalars.
    pub fn param_count(&self) -> usize {
        self.store.count()
    }

    /// An independent copy with the same weights (a student from a teacher).
    pub fn deep_copy(&self) -> Result<Self> {
        Ok(self.with_store(self.store.deep_copy()?))
    }

    /// A copy on `device` (weights are copied; the original stays where it is).
    pub fn to_device(&self, device: &Device) -> Result<Self> {
        Ok(self.with_store(self.store.converted(device, self.store.dtype())?))
    }

    /// A copy with float parameters in `dtype`.
    pub fn to_dtype(&self, dtype: DType) -> Result<Self> {
        if !dtype.is_float() {
            crate::bail!("network weights must be floats, not {}", dtype.as_str());
        }
        Ok(self.with_store(self.store.converted(&self.store.device(), dtype)?))
    }

    /// Switches dropout on (training) or off (evaluation), for every clone of this network.
    pub fn set_training(&self, training: bool) {
        self.training.store(training, Ordering::Relaxed);
    }

    /// Whether dropout is on.
    pub fn is_training(&self) -> bool {
        self.training.load(Ordering::Relaxed)
    }

    /// A mode flag of its own for a copy, starting in this network's mode.
    fn fresh_mode(&self) -> Arc<AtomicBool> {
        Arc::new(AtomicBool::new(self.is_training()))
    }

    /// A one-line description: kind, sizes, parameter count, device.
    pub fn describe(&self) -> String {
        let what = match &self.arch {
            Architecture::Mlp(c) => format!(
                "mlp({} → {:?} → {}, fourier {}, {}, time_embed {}{})",
                c.dim,
                c.hidden,
                c.out,
                c.fourier,
                c.act.name(),
                c.time_embed.name(),
                classes_text(c.classes)
            ),
            Architecture::Unet(c) => format!(
                "unet(image {:?}, channels {}, mults {:?}, res_blocks {}, attention_at {:?}, dropout {}, time_embed {}{})",
                c.image,
                c.channels,
                c.mults,
                c.res_blocks,
                c.attention_at,
                c.dropout,
                c.time_embed.name(),
                classes_text(c.classes)
            ),
            Architecture::DiffusersUnet(c) => format!(
                "diffusers UNet2DModel(image [{}, {s}, {s}], block_out_channels {:?}, layers_per_block {}, attention {:?}/{:?}{}{})",
                c.in_channels,
                c.block_out_channels,
                c.layers_per_block,
                c.down_attention,
                c.up_attention,
                if c.scale_shift { ", scale_shift" } else { "" },
                c.num_class_embeds.map(|k| format!(", {k} classes")).unwrap_or_default(),
                s = c.sample_size
            ),
            Architecture::Classifier(c) => match &c.input {
                ClassifierInput::Vector { dim, hidden, .. } => format!("classifier({dim} → {hidden:?} → {} classes)", c.classes),
                ClassifierInput::Image { image } => format!("classifier(image {image:?} → {} classes)", c.classes),
            },
            Architecture::Composed(c) => {
                let keys: Vec<&str> = c.layers.iter().map(|(k, _)| k.as_str()).collect();
                format!("network({})", keys.join(", "))
            }
        };
        let mode = if self.is_training() { "train" } else { "eval" };
        let line = format!(
            "{what}: {} parameters, {} on {}, {mode} mode",
            group_digits(self.param_count()),
            self.store.dtype().as_str(),
            device_name(&self.store.device())
        );
        match &self.arch {
            Architecture::Composed(c) => format!("{line}\n{}", c.summary(&self.store)),
            _ => line,
        }
    }
}

/// ", K classes" for a class-conditional network, nothing for another.
fn classes_text(classes: Option<usize>) -> String {
    classes.map(|k| format!(", {k} classes")).unwrap_or_default()
}

fn out_dtype(x: &Tensor) -> DType {
    if x.is_float() {
        x.dtype()
    } else {
        crate::tensor::dtype::DEFAULT_FLOAT
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::create::{randn, Placement};

    fn mlp() -> Architecture {
        Architecture::Mlp(MlpConfig { hidden: vec![16, 16], fourier: 4, time_dim: 8, ..Default::default() })
    }

    #[test]
    fn mlp_forward_shapes_and_copies() {
        let net = Network::new(mlp(), &Placement::default()).unwrap();
        let x = randn(&[5, 2], &Placement::default()).unwrap();
        let t = crate::tensor::create::full(&[5], 0.3, &Placement::default()).unwrap();
        let y = net.forward(&x, &t).unwrap();
        assert_eq!(y.dims(), &[5, 2]);
        // 2+8 inputs → 16 → 16 → 2, time mlp 8→8→8, time projections 8→16 twice
        let expected = (10 * 16 + 16) + (16 * 16 + 16) + (16 * 2 + 2) + (8 * 8 + 8) * 2 + 8 * 16 * 2;
        assert_eq!(net.param_count(), expected);
        let copy = net.deep_copy().unwrap();
        assert_eq!(copy.forward(&x, &t).unwrap().to_f64_vec().unwrap(), y.to_f64_vec().unwrap());
        assert!(net
            .forward(&randn(&[5, 3], &Placement::default()).unwrap(), &t)
            .unwrap_err()
            .message()
            .contains("[N, 2]"));
    }

    #[test]
    fn unet_keeps_the_image_shape() {
        let arch = Architecture::Unet(UnetConfig {
            image: [1, 8, 8],
            channels: 8,
            mults: vec![1, 2],
            res_blocks: 1,
            attention_at: vec![4],
            dropout: 0.1,
            time_embed: TimeInput::T,
            classes: None,
        });
        let net = Network::new(arch, &Placement::default()).unwrap();
        let x = randn(&[3, 1, 8, 8], &Placement::default()).unwrap();
        let t = crate::tensor::create::full(&[1], 0.5, &Placement::default()).unwrap();
        assert_eq!(net.forward(&x, &t).unwrap().dims(), &[3, 1, 8, 8]);
    }

    #[test]
    fn architecture_round_trips_through_json() {
        let json = serde_json::to_string(&mlp()).unwrap();
        assert!(json.starts_with("{\"kind\":\"mlp\""), "{json}");
        assert_eq!(serde_json::from_str::<Architecture>(&json).unwrap(), mlp());
        assert_eq!(group_digits(143362), "143,362");
    }
}
