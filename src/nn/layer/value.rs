//! A layer as a script holds it: a [`LayerSpec`] and the parameters it reads, under a name
//! prefix in a parameter store. A layer made on its own owns a store of its own; the layers
//! a composed network hands its forward function read the network's store. Clones share
//! parameters and mode, like object references in Python.

use super::spec::LayerSpec;
use crate::error::Result;
use crate::nn::params::{child, ParamStore};
use crate::tensor::{create::Placement, Tensor};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A layer with its parameters.
#[derive(Clone, Debug)]
pub struct Layer {
    spec: Arc<LayerSpec>,
    store: Arc<ParamStore>,
    prefix: String,
    training: Arc<AtomicBool>,
}

impl Layer {
    /// A new layer with freshly initialised parameters (from the seeded generator).
    pub fn new(spec: LayerSpec, at: &Placement) -> Result<Self> {
        spec.validate()?;
        let mut store = ParamStore::new();
        spec.init(&mut store, "", at)?;
        Ok(Self {
            spec: Arc::new(spec),
            store: Arc::new(store),
            prefix: String::new(),
            training: Arc::new(true.into()),
        })
    }

    /// The layer `spec` reading its parameters from `store` under `prefix`.
    pub fn bound(spec: &LayerSpec, store: &Arc<ParamStore>, prefix: &str, training: &Arc<AtomicBool>) -> Self {
        Self {
            spec: Arc::new(spec.clone()),
            store: store.clone(),
            prefix: prefix.to_string(),
            training: training.clone(),
        }
    }

    /// What the layer is.
    pub fn spec(&self) -> &LayerSpec {
        &self.spec
    }

    /// The layer's own parameters and buffers, named as inside the layer (`0.weight`).
    pub fn own_store(&self) -> ParamStore {
        self.store.with_prefix(&self.prefix)
    }

    /// The output for `x`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_embedded(x, None)
    }

    /// The output for `x`, with `emb` (`[N, E]`) given to every `res_block` inside that takes
    /// an embedding.
    pub fn forward_embedded(&self, x: &Tensor, emb: Option<&Tensor>) -> Result<Tensor> {
        let device = self.store.device();
        for t in std::iter::once(x).chain(emb) {
            if self.store.count() > 0 && !t.device().same_device(&device) {
                crate::bail!(
                    "{} is on {} but the input is on {}",
                    self.spec.signature(),
                    crate::tensor::device::device_name(&device),
                    crate::tensor::device::device_name(t.device())
                );
            }
        }
        if emb.is_some() && !self.spec.takes_embedding() {
            crate::bail!(
                "{} takes no embedding: only a res_block made with the embedding option (or a layer holding one) does",
                self.spec.signature()
            );
        }
        let xs = match x.is_float() && self.store.count() > 0 {
            true => x.candle().to_dtype(self.store.dtype())?,
            false => x.candle().clone(),
        };
        let y =
            self.spec.forward_embedded(&self.store, &self.prefix, &xs, emb.map(Tensor::candle), self.is_training())?;
        Ok(Tensor::from_candle(y))
    }

    /// The trainable parameters, in creation order.
    pub fn params(&self) -> Vec<Tensor> {
        let own = self.own_store();
        own.params().iter().map(|(_, v)| Tensor::from_candle(v.as_tensor().clone())).collect()
    }

    /// The number of trainable scalars.
    pub fn param_count(&self) -> usize {
        self.own_store().count()
    }

    /// A copy on `device` with float parameters in `dtype`, in a store of its own.
    pub fn converted(&self, device: &crate::tensor::Device, dtype: crate::tensor::DType) -> Result<Self> {
        if !dtype.is_float() {
            crate::bail!("layer weights must be floats, not {}", dtype.as_str());
        }
        Ok(Self {
            spec: self.spec.clone(),
            store: Arc::new(self.own_store().converted(device, dtype)?),
            prefix: String::new(),
            training: Arc::new(self.is_training().into()),
        })
    }

    /// The device of the weights (the CPU for a layer without any).
    pub fn device(&self) -> crate::tensor::Device {
        self.own_store().device()
    }

    /// Switches dropout on (training) or off (evaluation), for every clone of this layer.
    pub fn set_training(&self, training: bool) {
        self.training.store(training, Ordering::Relaxed);
    }

    /// Whether dropout is on.
    pub fn is_training(&self) -> bool {
        self.training.load(Ordering::Relaxed)
    }

    /// One line: the signature and the parameter count.
    pub fn describe(&self) -> String {
        format!("{}: {} parameters", self.spec.signature(), crate::nn::params::group_digits(self.param_count()))
    }
}

/// The rows of a summary table for the layer `spec` named `name` in `store`: name,
/// signature, parameter shapes (of a layer without sublayers), parameter count; the layer
/// first, then its sublayers.
pub fn summary_rows(name: &str, spec: &LayerSpec, store: &ParamStore) -> Vec<[String; 4]> {
    let own = store.with_prefix(name);
    let shapes: Vec<String> = match spec.children().is_empty() {
        true => own.params().iter().map(|(n, v)| format!("{n} {:?}", v.as_tensor().dims())).collect(),
        false => Vec::new(),
    };
    let mut rows =
        vec![[name.to_string(), spec.signature(), shapes.join(", "), crate::nn::params::group_digits(own.count())]];
    for (sub, layer) in spec.children() {
        rows.extend(summary_rows(&child(name, &sub), layer, store));
    }
    rows
}
