//! safetensors files: networks with their architecture in the metadata (so
//! `load(path)` rebuilds them with no other input), optimizer and EMA state,
//! and plain named tensors. Writes are atomic: a temporary file, then a rename.

use super::network::{Architecture, Network};
use crate::error::{Error, Result};
use crate::tensor::{create::Placement, Device};
use std::collections::HashMap;
use std::path::Path;

/// The metadata key that marks difflab files and says what they hold.
pub const KIND_KEY: &str = "difflab";
/// The metadata key holding a network's architecture as JSON.
pub const ARCH_KEY: &str = "architecture";
/// The metadata key holding a network's mode, "train" or "eval" (dropout on or off), so an
/// EMA's network (kept in eval mode) comes back as it was saved.
pub const MODE_KEY: &str = "mode";

/// Named tensors and string metadata, as read from a file.
pub struct Contents {
    /// The tensors by name.
    pub tensors: HashMap<String, candle_core::Tensor>,
    /// The metadata.
    pub metadata: HashMap<String, String>,
}

/// Writes named tensors and metadata to `path` atomically.
pub fn write(path: &Path, tensors: &[(String, candle_core::Tensor)], metadata: HashMap<String, String>) -> Result<()> {
    let contiguous: Vec<(String, candle_core::Tensor)> = tensors
        .iter()
        .map(|(n, t)| Ok((n.clone(), crate::tensor::transfer::to_device(&t.contiguous()?, &Device::Cpu)?)))
        .collect::<Result<_>>()?;
    let bytes = safetensors::serialize(contiguous.iter().map(|(n, t)| (n.as_str(), t)), Some(metadata))
        .map_err(|e| Error::new(format!("{}: cannot encode: {e}", path.display())))?;
    crate::atomic_file::write_atomically(path, &bytes)
}

/// Reads every tensor and the metadata of a safetensors file.
pub fn read(path: &Path, device: &Device) -> Result<Contents> {
    let bytes = crate::data::read::read_bounded(path)?;
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes)
        .map_err(|e| Error::new(format!("{}: not a valid safetensors file ({e})", path.display())))?;
    let metadata = meta.metadata().clone().unwrap_or_default();
    let tensors = candle_core::safetensors::load_buffer(&bytes, device)
        .map_err(|e| Error::from(e).context(format!("{}: cannot read the tensors", path.display())))?
        .into_iter()
        .map(|(name, t)| {
            let t = computable(t).map_err(|e| e.context(format!("{}: tensor `{name}`", path.display())))?;
            Ok((name, t))
        })
        .collect::<Result<_>>()?;
    Ok(Contents { tensors, metadata })
}

/// A tensor of a type difflab computes with: the narrow integers (i16, i32) widen to i64 and
/// the 8-bit float F8E4M3 to f32, as NumPy and PyTorch read them; the packed micro-scaling
/// floats (F6, F4, F8E8M0) are refused.
fn computable(t: candle_core::Tensor) -> Result<candle_core::Tensor> {
    use candle_core::DType as D;
    Ok(match t.dtype() {
        D::U8 | D::U32 | D::I64 | D::BF16 | D::F16 | D::F32 | D::F64 => t,
        D::I16 | D::I32 => t.to_dtype(D::I64)?,
        D::F8E4M3 => t.to_dtype(D::F32)?,
        other => crate::bail!(
            "its dtype {other:?} is not supported; supported: {}",
            crate::tensor::dtype::DTYPE_NAMES.join(", ")
        ),
    })
}

/// Saves a network with its architecture and mode.
pub fn save_network(net: &Network, path: &Path) -> Result<()> {
    let arch = serde_json::to_string(net.architecture()).map_err(|e| Error::new(e.to_string()))?;
    let mode = if net.is_training() { "train" } else { "eval" };
    let metadata = HashMap::from([
        (KIND_KEY.to_string(), "network".to_string()),
        (ARCH_KEY.to_string(), arch),
        (MODE_KEY.to_string(), mode.to_string()),
    ]);
    write(path, &net.store().named_tensors(), metadata)
}

/// Loads a network saved by [`save_network`] (or with its denoiser by
/// [`crate::diffusion::saved::save_denoiser`], whose record it keeps) onto `device`, in the
/// mode it was saved in (train mode for files that do not say), or the averaged network of an
/// EMA file, in eval mode as the EMA keeps it.
pub fn load_network(path: &Path, device: &Device) -> Result<Network> {
    let contents = read(path, device)?;
    let kind = contents.metadata.get(KIND_KEY).map(String::as_str);
    if !matches!(kind, Some("network" | "ema" | crate::diffusion::saved::DENOISER_KIND)) {
        let what =
            kind.map_or("has no difflab metadata".to_string(), |k| format!("holds a difflab {k}, not a network"));
        crate::bail!("{}: {what}; read plain tensors with load_tensors(path)", path.display());
    }
    let arch_json = contents
        .metadata
        .get(ARCH_KEY)
        .ok_or_else(|| Error::new(format!("{}: the architecture is missing from the metadata", path.display())))?;
    let arch: Architecture = serde_json::from_str(arch_json)
        .map_err(|e| Error::new(format!("{}: the architecture cannot be read ({e})", path.display())))?;
    let dtype = contents.tensors.values().next().map_or(crate::tensor::dtype::DEFAULT_FLOAT, |t| t.dtype());
    // Building the skeleton draws initial weights; keep the caller's random stream as it was.
    let saved = crate::tensor::rng::with_rng(|rng| rng.clone());
    let built = Network::new(arch, &Placement { dtype, device: device.clone() });
    crate::tensor::rng::with_rng(|rng| *rng = saved);
    let mut net = built.map_err(|e| e.context(path.display()))?;
    net.store_mut().load(&contents.tensors).map_err(|e| e.context(path.display()))?;
    let eval = kind == Some("ema") || contents.metadata.get(MODE_KEY).map(String::as_str) == Some("eval");
    net.set_training(!eval);
    if let Some(with) = crate::diffusion::saved::read_trained_with(&contents.metadata, path)? {
        net.set_trained_with(path.to_path_buf(), with);
    }
    Ok(net)
}

/// Loads the weights of a network saved by [`save_network`] into `net`, whose architecture
/// must be the saved one (how a network composed in a script is restored).
pub fn load_weights(net: &mut Network, path: &Path) -> Result<()> {
    let contents = read(path, &net.device())?;
    let saved = contents.metadata.get(ARCH_KEY).map(|json| serde_json::from_str::<Architecture>(json));
    match saved {
        Some(Ok(arch)) if &arch == net.architecture() => {}
        Some(Ok(_)) => crate::bail!(
            "{}: the file holds another architecture than this network's ({})",
            path.display(),
            net.describe().lines().next().unwrap_or_default()
        ),
        _ => crate::bail!("{}: not a network saved by net.save(path)", path.display()),
    }
    net.store_mut().load(&contents.tensors).map_err(|e| e.context(path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::act::Act;
    use crate::nn::embed::TimeInput;
    use crate::nn::mlp::MlpConfig;
    use crate::tensor::create::randn;

    fn net() -> Network {
        let arch = Architecture::Mlp(MlpConfig {
            hidden: vec![8],
            act: Act::Relu,
            fourier: 2,
            time_embed: TimeInput::LogSigma,
            time_dim: 4,
            ..Default::default()
        });
        Network::new(arch, &Placement::default()).unwrap()
    }

    #[test]
    fn networks_round_trip_and_bad_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("net.safetensors");
        let n = net();
        save_network(&n, &path).unwrap();
        let back = load_network(&path, &Device::Cpu).unwrap();
        let x = randn(&[4, 2], &Placement::default()).unwrap();
        let s = crate::tensor::create::full(&[4], 2.0, &Placement::default()).unwrap();
        assert_eq!(
            back.forward(&x, &s).unwrap().to_f64_vec().unwrap(),
            n.forward(&x, &s).unwrap().to_f64_vec().unwrap()
        );

        let bytes = std::fs::read(&path).unwrap();
        let cut = dir.path().join("cut.safetensors");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let err = load_network(&cut, &Device::Cpu).unwrap_err();
        assert!(err.message().starts_with(&format!("{}: ", cut.display())), "{err}");

        let foreign = dir.path().join("foreign.safetensors");
        write(
            &foreign,
            &[("w".into(), candle_core::Tensor::ones(3, candle_core::DType::F32, &Device::Cpu).unwrap())],
            HashMap::new(),
        )
        .unwrap();
        assert!(load_network(&foreign, &Device::Cpu).unwrap_err().message().contains("has no difflab metadata"));

        let garbage = dir.path().join("garbage.safetensors");
        std::fs::write(&garbage, b"not a tensor file at all").unwrap();
        assert!(load_network(&garbage, &Device::Cpu).unwrap_err().message().contains("not a valid safetensors file"));
    }
}
