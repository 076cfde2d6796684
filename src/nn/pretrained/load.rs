//! Reading a diffusers folder: a `UNet2DModel` folder (`config.json`,
//! `diffusion_pytorch_model.safetensors`) or a pipeline folder (`model_index.json`, `unet/`,
//! `scheduler/scheduler_config.json`). Every tensor the config's architecture needs is taken
//! from the file by its diffusers name (the names before diffusers 0.14 too), checked
//! against the shape the config gives it, and converted to difflab's layout
//! ([`super::layout`]), dtype and device.

use super::config::UnetConfig;
use super::layout::{current_name, Entry, Source};
use super::scheduler::SchedulerConfig;
use crate::error::{Error, Result};
use crate::nn::params::ParamStore;
use crate::tensor::create::Placement;
use candle_core::safetensors::Load;
use candle_core::Tensor;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A model read from a folder.
pub struct Pretrained {
    /// The network's architecture.
    pub config: UnetConfig,
    /// Its weights, in difflab's layout.
    pub store: ParamStore,
    /// The schedule and prediction it was trained with.
    pub scheduler: SchedulerConfig,
    /// One line for each thing read with a default or left aside (unknown config keys, a
    /// missing scheduler config).
    pub warnings: Vec<String>,
}

/// The file names of a UNet's weights that difflab reads, in the order it looks for them.
const WEIGHT_FILES: &[&str] = &["diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors"];

/// Reads the model at `path` (a UNet folder or a pipeline folder) onto `at`.
pub fn load(path: &Path, at: &Placement) -> Result<Pretrained> {
    let (unet_dir, scheduler_file) = locate(path)?;
    let config_file = unet_dir.join("config.json");
    let json = read_json(&config_file)?;
    let (config, unknown) = UnetConfig::from_json(&json).map_err(|e| e.context(config_file.display()))?;
    let mut warnings = Vec::new();
    if !unknown.is_empty() {
        warnings.push(format!("{}: keys difflab does not read: {}", config_file.display(), unknown.join(", ")));
    }
    let scheduler = match scheduler_file {
        Some(file) => {
            let (s, unknown) = SchedulerConfig::from_json(&read_json(&file)?).map_err(|e| e.context(file.display()))?;
            if !unknown.is_empty() {
                warnings.push(format!("{}: keys difflab does not read: {}", file.display(), unknown.join(", ")));
            }
            s
        }
        None => {
            warnings.push(format!(
                "{}: no scheduler config beside the model; using DDPM's (linear β from 1e-4 to 0.02 over 1000 steps, ε-prediction)",
                path.display()
            ));
            SchedulerConfig::default()
        }
    };
    let weights = weights_file(&unet_dir)?;
    let store = read_weights(&weights, &config.layout(), at)?;
    Ok(Pretrained { config, store, scheduler, warnings })
}

/// The UNet folder and the scheduler config (if there is one) of the model at `path`.
fn locate(path: &Path) -> Result<(PathBuf, Option<PathBuf>)> {
    if !path.is_dir() {
        let what = if path.exists() { "is not a folder" } else { "does not exist" };
        crate::bail!("{}: {what}; give a diffusers model folder (config.json and its safetensors) or a pipeline folder (model_index.json)", path.display());
    }
    let existing = |p: PathBuf| p.is_file().then_some(p);
    if path.join("model_index.json").is_file() {
        let unet = path.join("unet");
        if !unet.join("config.json").is_file() {
            crate::bail!("{}: a pipeline folder without unet/config.json", path.display());
        }
        return Ok((unet, existing(path.join("scheduler").join("scheduler_config.json"))));
    }
    if !path.join("config.json").is_file() {
        crate::bail!("{}: no config.json or model_index.json: not a diffusers model folder", path.display());
    }
    // a pipeline's unet/ folder given directly: its scheduler sits beside it
    let beside = path.parent().map(|p| p.join("scheduler").join("scheduler_config.json"));
    let own = existing(path.join("scheduler_config.json"));
    Ok((path.to_path_buf(), own.or(beside.and_then(existing))))
}

fn read_json(file: &Path) -> Result<serde_json::Value> {
    let text = crate::data::read::read_text(file)?;
    serde_json::from_str(&text).map_err(|e| Error::new(format!("{}: not valid JSON ({e})", file.display())))
}

fn weights_file(dir: &Path) -> Result<PathBuf> {
    if let Some(found) = WEIGHT_FILES.iter().map(|n| dir.join(n)).find(|p| p.is_file()) {
        return Ok(found);
    }
    let pickled = dir.join("diffusion_pytorch_model.bin");
    if pickled.is_file() {
        crate::bail!(
            "{}: difflab reads safetensors, not PyTorch pickles; convert it once in Python: UNet2DModel.from_pretrained(folder).save_pretrained(folder, safe_serialization=True)",
            pickled.display()
        );
    }
    crate::bail!("{}: no {} in the model folder", dir.display(), WEIGHT_FILES[0])
}

/// The tensors of `layout` read from the safetensors file `file`.
fn read_weights(file: &Path, layout: &[Entry], at: &Placement) -> Result<ParamStore> {
    let count: usize = layout.iter().map(|e| e.shape.iter().product::<usize>()).sum();
    crate::memory::check(count, at.dtype.size_in_bytes())
        .map_err(|e| e.context(format!("{}: the weights", file.display())))?;
    let bytes = crate::data::read::read_bounded(file)?;
    let st = safetensors::SafeTensors::deserialize(&bytes)
        .map_err(|e| Error::new(format!("{}: not a valid safetensors file ({e})", file.display())))?;
    let by_current: HashMap<String, String> =
        st.names().into_iter().map(|n| (current_name(n), n.to_string())).collect();
    // the file's tensor `name`, which must have the shape `want`
    let tensor = |name: &str, want: &[usize]| -> Result<Tensor> {
        let Some(stored) = by_current.get(name) else {
            crate::bail!("{}: no tensor `{name}`, which config.json's architecture needs", file.display());
        };
        let view = st.tensor(stored).map_err(|e| Error::new(format!("{}: tensor `{stored}`: {e}", file.display())))?;
        if view.shape() != want {
            crate::bail!(
                "{}: tensor `{stored}` has shape {:?} here, but config.json's architecture needs {want:?}",
                file.display(),
                view.shape()
            );
        }
        let t = view
            .load(&candle_core::Device::Cpu)
            .map_err(|e| Error::from(e).context(format!("{}: tensor `{stored}`", file.display())))?;
        if !t.dtype().is_float() {
            crate::bail!("{}: tensor `{stored}` is {:?}, not a float", file.display(), t.dtype());
        }
        Ok(t)
    };
    let mut store = ParamStore::new();
    let mut used = 0;
    for entry in layout {
        let want = file_shape(entry);
        let t = match &entry.source {
            Source::Same(n) => tensor(n, &want)?,
            Source::Transposed(n) => tensor(n, &want)?.t()?.contiguous()?,
            Source::Kernel(n) => tensor(n, &want)?.reshape(entry.shape.as_slice())?,
            Source::StackedKernels(ns) | Source::StackedBiases(ns) => {
                let parts = ns.iter().map(|n| tensor(n, &want)).collect::<Result<Vec<_>>>()?;
                Tensor::cat(&parts, 0)?.reshape(entry.shape.as_slice())?
            }
        };
        used += entry.source.file_names().len();
        let placed = crate::tensor::transfer::to_device(&t.to_dtype(at.dtype)?, &at.device)?;
        store.adopt(&entry.name, placed)?;
    }
    if used != by_current.len() {
        let needed: std::collections::HashSet<&str> = layout.iter().flat_map(|e| e.source.file_names()).collect();
        let mut extra: Vec<&String> = by_current.keys().filter(|k| !needed.contains(k.as_str())).collect();
        extra.sort();
        extra.truncate(5);
        crate::bail!(
            "{}: holds tensors config.json's architecture does not have (the file is for another model?): {extra:?}",
            file.display()
        );
    }
    Ok(store)
}

/// The shape a diffusers file holds for `entry` (for each of the three tensors stacked into it).
fn file_shape(entry: &Entry) -> Vec<usize> {
    match &entry.source {
        Source::Transposed(_) => entry.shape.iter().rev().copied().collect(),
        Source::Kernel(_) => entry.shape[..2].to_vec(),
        Source::StackedKernels(_) => vec![entry.shape[0] / 3, entry.shape[1]],
        Source::StackedBiases(_) => vec![entry.shape[0] / 3],
        Source::Same(_) => entry.shape.clone(),
    }
}
