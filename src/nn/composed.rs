//! Networks composed in a script: named layers and a forward function written in the
//! script, which receives the layers (bound to the network's own parameters) and the
//! inputs. The parameters are named `key.name` from the layers' keys (`body.0.weight`).

use super::embed::TimeInput;
use super::layer::spec::LayerSpec;
use super::layer::value::{summary_rows, Layer};
use super::params::ParamStore;
use crate::error::Result;
use crate::tensor::Tensor;
use serde::{Deserialize, Serialize};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// What a composed network is made of (saved in its checkpoints).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComposedConfig {
    /// The layers by key, in the order their parameters were created.
    pub layers: Vec<(String, LayerSpec)>,
    /// 2 for a denoiser `f(layers, x, t)`, 1 for a classifier `f(layers, x)`.
    pub inputs: usize,
    /// What a denoiser's second input is.
    pub time_embed: TimeInput,
    /// The shape of one input example, when given.
    pub input_shape: Option<Vec<usize>>,
}

/// The layers a composed network's forward function receives, by key (`m.body` in a script).
#[derive(Clone, Debug)]
pub struct Layers(pub Arc<Vec<(String, Layer)>>);

impl Layers {
    /// The layer under `key`, or an error naming the keys there are.
    pub fn get(&self, key: &str) -> Result<Layer> {
        match self.0.iter().find(|(k, _)| k == key) {
            Some((_, layer)) => Ok(layer.clone()),
            None => {
                let keys: Vec<&str> = self.0.iter().map(|(k, _)| k.as_str()).collect();
                crate::bail!("the network has no layer `{key}`; its layers are {}", keys.join(", "))
            }
        }
    }
}

/// The forward function of a composed network, written in a script.
pub trait ForwardFn: Send + Sync {
    /// The output for `inputs` (`x`, or `x` and the noise levels `[N]`), with the network's
    /// layers by key.
    fn call(&self, layers: Vec<(String, Layer)>, inputs: Vec<Tensor>) -> Result<Tensor>;
}

/// A shared forward function (debug-printed by name only).
#[derive(Clone)]
pub struct Forward(pub Arc<dyn ForwardFn>);

impl std::fmt::Debug for Forward {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<script function>")
    }
}

impl ComposedConfig {
    /// The layers bound to `store`, by key.
    pub fn bind(&self, store: &ParamStore, training: &Arc<AtomicBool>) -> Vec<(String, Layer)> {
        let shared = Arc::new(store.clone());
        self.layers.iter().map(|(key, spec)| (key.clone(), Layer::bound(spec, &shared, key, training))).collect()
    }

    /// The summary table: one row per layer and sublayer.
    pub fn summary(&self, store: &ParamStore) -> String {
        let mut rows = vec![["layer".to_string(), "type".into(), "parameter shapes".into(), "parameters".into()]];
        for (key, spec) in &self.layers {
            rows.extend(summary_rows(key, spec, store));
        }
        let widths: Vec<usize> = (0..4).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
        rows.iter()
            .map(|r| {
                format!(
                    "  {:<w0$}  {:<w1$}  {:<w2$}  {:>w3$}",
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    w0 = widths[0],
                    w1 = widths[1],
                    w2 = widths[2],
                    w3 = widths[3]
                )
                .trim_end()
                .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}
