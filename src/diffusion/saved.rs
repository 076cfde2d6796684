//! Denoisers saved with what sampling needs: a network's safetensors file whose metadata also
//! records the schedule it was trained under and what it predicts (or, for a pretrained
//! discrete-time model, its scheduler config), so that loading it gives the same denoiser
//! back and a script pairing the network with something else is told what the file says.

use super::denoiser::{Denoiser, NetworkDenoiser};
use super::discrete::DiscreteDenoiser;
use super::parameterization::Pred;
use super::schedule::Schedule;
use crate::error::{Error, Result};
use crate::nn::checkpoint::{self, ARCH_KEY, KIND_KEY, MODE_KEY};
use crate::nn::network::Network;
use crate::nn::pretrained::scheduler::SchedulerConfig;
use crate::tensor::Device;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// The metadata key of what a denoiser file's network was trained with, as JSON.
pub const TRAINED_WITH_KEY: &str = "trained_with";

/// The kind of a saved denoiser's file (the value of [`KIND_KEY`]).
pub const DENOISER_KIND: &str = "denoiser";

/// What a network was trained with, as sampling needs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrainedWith {
    /// A network trained here: its schedule and prediction.
    Continuous {
        /// The schedule.
        schedule: Schedule,
        /// The prediction.
        pred: Pred,
    },
    /// A pretrained discrete-time model: its scheduler config.
    Discrete {
        /// The scheduler config.
        scheduler: SchedulerConfig,
    },
}

impl TrainedWith {
    /// The schedule and prediction, in words.
    pub fn describe(&self) -> String {
        match self {
            TrainedWith::Continuous { schedule, pred } => format!("{}, pred \"{}\"", schedule.describe(), pred.name()),
            TrainedWith::Discrete { scheduler } => format!(
                "a discrete {} β schedule over {} steps, pred \"{}\"",
                scheduler.beta_schedule,
                scheduler.num_train_timesteps,
                scheduler.pred.name()
            ),
        }
    }
}

/// Saves the network of `den` with what it was trained with.
pub fn save_denoiser(den: &dyn Denoiser, path: &Path) -> Result<()> {
    let (Some(net), Some(with)) = (den.network(), den.trained_with()) else {
        crate::bail!(
            "only a denoiser that wraps a network (denoiser(net, sched, pred) or load_pretrained) can be saved"
        );
    };
    let metadata = HashMap::from([
        (KIND_KEY.to_string(), DENOISER_KIND.to_string()),
        (ARCH_KEY.to_string(), json(net.architecture())?),
        (MODE_KEY.to_string(), if net.is_training() { "train" } else { "eval" }.to_string()),
        (TRAINED_WITH_KEY.to_string(), json(&with)?),
    ]);
    checkpoint::write(path, &net.store().named_tensors(), metadata)
}

/// A metadata value as JSON text.
fn json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::new(e.to_string()))
}

/// What the denoiser file at `path` records its network was trained with (`None` for a
/// network saved without it).
pub fn read_trained_with(metadata: &HashMap<String, String>, path: &Path) -> Result<Option<TrainedWith>> {
    metadata
        .get(TRAINED_WITH_KEY)
        .map(|json| {
            serde_json::from_str(json).map_err(|e| {
                Error::new(format!("{}: what the network was trained with cannot be read ({e})", path.display()))
            })
        })
        .transpose()
}

/// The denoiser saved by [`save_denoiser`] at `path`, on `device`.
pub fn load_denoiser(path: &Path, device: &Device) -> Result<std::sync::Arc<dyn Denoiser + Send + Sync>> {
    let net = checkpoint::load_network(path, device)?;
    let Some((_, with)) = net.trained_with().cloned() else {
        crate::bail!(
            "{}: a network saved without its schedule and prediction; wrap it with denoiser(load(path), sched, pred), or save it with save_denoiser(den, path)",
            path.display()
        );
    };
    Ok(match with {
        TrainedWith::Continuous { schedule, pred } => std::sync::Arc::new(NetworkDenoiser::new(net, schedule, pred)?),
        TrainedWith::Discrete { scheduler } => std::sync::Arc::new(DiscreteDenoiser::new(net, scheduler)?),
    })
}

/// One line when `net` was loaded from a file that records another schedule or prediction than
/// the ones a script pairs it with, saying what the file says.
pub fn mismatch(net: &Network, schedule: &Schedule, pred: Pred) -> Option<String> {
    let (file, with) = net.trained_with()?;
    let given = TrainedWith::Continuous { schedule: schedule.clone(), pred };
    (with != &given)
        .then(|| format!("{} records {}; it is paired here with {}", file.display(), with.describe(), given.describe()))
}
