//! An exponential moving average of a network's weights (Polyak averaging),
//! the usual way diffusion models are evaluated.

use super::checkpoint;
use super::network::Network;
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::path::Path;

/// A shadow network whose weights trail the trained one.
#[derive(Clone, Debug)]
pub struct Ema {
    shadow: Network,
    decay: f64,
    warmup: bool,
    updates: u64,
}

impl Ema {
    /// Starts the average at `net`'s current weights. With `warmup` the decay
    /// used at update n is min(decay, (1+n)/(10+n)), so early weights fade fast.
    pub fn new(net: &Network, decay: f64, warmup: bool) -> Result<Self> {
        if !(0.0..1.0).contains(&decay) {
            crate::bail!("decay must be in [0, 1), got {decay}");
        }
        let shadow = net.deep_copy()?;
        shadow.set_training(false);
        Ok(Self { shadow, decay, warmup, updates: 0 })
    }

    /// The decay the next update will use.
    pub fn current_decay(&self) -> f64 {
        if self.warmup {
            let n = self.updates as f64;
            self.decay.min((1.0 + n) / (10.0 + n))
        } else {
            self.decay
        }
    }

    /// shadow ← d·shadow + (1 − d)·weights, for every parameter of `net`.
    pub fn update(&mut self, net: &Network) -> Result<()> {
        if net.architecture() != self.shadow.architecture() {
            crate::bail!("this EMA follows a different architecture: {}", self.shadow.describe());
        }
        let d = self.current_decay();
        for ((_, avg), (_, live)) in self.shadow.store().params().iter().zip(net.store().params()) {
            let mixed = ((avg.as_tensor() * d)? + (live.as_tensor().detach() * (1.0 - d))?)?;
            avg.set(&mixed)?;
        }
        self.updates += 1;
        Ok(())
    }

    /// The averaged network (in evaluation mode).
    pub fn network(&self) -> &Network {
        &self.shadow
    }

    /// How many updates have been made.
    pub fn updates(&self) -> u64 {
        self.updates
    }

    /// The nominal decay.
    pub fn decay(&self) -> f64 {
        self.decay
    }

    /// Saves the averaged weights and the counters.
    pub fn save(&self, path: &Path) -> Result<()> {
        let arch = serde_json::to_string(self.shadow.architecture()).map_err(|e| Error::new(e.to_string()))?;
        let metadata = HashMap::from([
            (checkpoint::KIND_KEY.to_string(), "ema".to_string()),
            (checkpoint::ARCH_KEY.to_string(), arch),
            ("decay".to_string(), self.decay.to_string()),
            ("warmup".to_string(), self.warmup.to_string()),
            ("updates".to_string(), self.updates.to_string()),
        ]);
        checkpoint::write(path, &self.shadow.store().named_tensors(), metadata)
    }

    /// Restores weights and counters saved by [`Ema::save`] for the same architecture.
    pub fn load(&mut self, path: &Path) -> Result<()> {
        let contents = checkpoint::read(path, &self.shadow.store().device())?;
        if contents.metadata.get(checkpoint::KIND_KEY).map(String::as_str) != Some("ema") {
            crate::bail!("{}: not an EMA file saved by ema.save(path)", path.display());
        }
        let number = |key: &str| -> Result<String> {
            contents
                .metadata
                .get(key)
                .cloned()
                .ok_or_else(|| Error::new(format!("{}: `{key}` is missing", path.display())))
        };
        self.shadow.store_mut().load(&contents.tensors).map_err(|e| e.context(path.display()))?;
        self.decay = number("decay")?.parse().map_err(|_| Error::new(format!("{}: bad decay", path.display())))?;
        self.warmup = number("warmup")? == "true";
        self.updates =
            number("updates")?.parse().map_err(|_| Error::new(format!("{}: bad update count", path.display())))?;
        Ok(())
    }
}
