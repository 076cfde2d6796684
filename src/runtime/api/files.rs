//! Files from scripts: tensors in `.npy`, `.csv` and safetensors, folders of
//! PNG images, MNIST IDX files, and JSON.

use rhai::plugin::*;

const CSV_KEYS: &[&str] = &["header"];
const IMAGES_KEYS: &[&str] = &["size", "channels"];

/// The option keys of this module's functions (for completion).
pub const OPTIONS: &[(&str, &[&str])] = &[("load_csv", CSV_KEYS), ("load_images", IMAGES_KEYS)];

#[export_module]
mod api {
    use super::{CSV_KEYS, IMAGES_KEYS};
    use crate::data::loaders;
    use crate::nn::checkpoint;
    use crate::runtime::api::Options;
    use crate::runtime::convert::{count_arg, from_json, ints, to_json};
    use crate::runtime::error::{guard, RhaiResult};
    use crate::runtime::options;
    use crate::tensor::Tensor;
    use rhai::Map;
    use std::collections::HashMap;
    use std::path::Path;

    /// Reads a NumPy `.npy` file into a tensor.
    #[rhai_fn(return_raw)]
    pub fn load_npy(ctx: NativeCallContext, path: &str) -> RhaiResult<Tensor> {
        guard(&ctx, || loaders::load_npy(Path::new(path)))
    }

    /// Writes a tensor to a NumPy `.npy` file (atomically).
    #[rhai_fn(return_raw)]
    pub fn save_npy(ctx: NativeCallContext, path: &str, x: Tensor) -> RhaiResult<()> {
        guard(&ctx, || loaders::save_npy(Path::new(path), &x))
    }

    /// Reads a CSV file of numbers into an f32 `[rows, cols]` tensor; a header line is detected
    /// (option `header: true|false` to decide).
    #[rhai_fn(return_raw)]
    pub fn load_csv(ctx: NativeCallContext, path: &str, options: Options) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            let o = options::CheckedOptions::new(options, CSV_KEYS)?;
            let header = match o.opt_value("header") {
                None => None,
                Some(_) => Some(o.bool_or("header", false)?),
            };
            loaders::load_csv(Path::new(path), header)
        })
    }
    #[rhai_fn(name = "load_csv", return_raw)]
    pub fn load_csv_default(ctx: NativeCallContext, path: &str) -> RhaiResult<Tensor> {
        load_csv(ctx, path, Map::new())
    }

    /// Reads every `.png` in a folder (sorted by name) as `[N, C, H, W]` in [-1, 1]; options
    /// `size: [width, height]` to resize, `channels: 1 | 3`.
    #[rhai_fn(return_raw)]
    pub fn load_images(ctx: NativeCallContext, folder: &str, options: Options) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            let o = options::CheckedOptions::new(options, IMAGES_KEYS)?;
            let size = match o.opt_array("size")? {
                None => None,
                Some(a) => match ints(&a)?.as_slice() {
                    &[w, h] => match (u32::try_from(w), u32::try_from(h)) {
                        (Ok(w @ 1..), Ok(h @ 1..)) => Some((w, h)),
                        _ => crate::bail!(
                            "option `size` must be [width, height] from 1 to {}, got {:?}",
                            u32::MAX,
                            [w, h]
                        ),
                    },
                    other => crate::bail!("option `size` must be [width, height], got {other:?}"),
                },
            };
            let channels = match o.opt_value("channels") {
                None => None,
                Some(_) => Some(u32::try_from(o.usize_or("channels", 1)?).unwrap_or(0)),
            };
            loaders::load_image_folder(Path::new(folder), &loaders::ImageFolderOptions { size, channels })
        })
    }
    #[rhai_fn(name = "load_images", return_raw)]
    pub fn load_images_default(ctx: NativeCallContext, folder: &str) -> RhaiResult<Tensor> {
        load_images(ctx, folder, Map::new())
    }

    /// Reads MNIST (or Fashion-MNIST) IDX files, gzipped or not: `#{ images: [N, 1, 28, 28] in [-1, 1], labels }`.
    #[rhai_fn(return_raw)]
    pub fn load_mnist(ctx: NativeCallContext, images: &str, labels: &str) -> RhaiResult<Map> {
        guard(&ctx, || {
            let (x, y) = loaders::load_mnist(Path::new(images), Some(Path::new(labels)))?;
            let mut m = Map::new();
            m.insert("images".into(), Dynamic::from(x));
            if let Some(y) = y {
                m.insert("labels".into(), Dynamic::from(y));
            }
            Ok(m)
        })
    }
    #[rhai_fn(name = "load_mnist", return_raw)]
    pub fn load_mnist_images(ctx: NativeCallContext, images: &str) -> RhaiResult<Map> {
        guard(&ctx, || {
            let (x, _) = loaders::load_mnist(Path::new(images), None)?;
            Ok(Map::from_iter([("images".into(), Dynamic::from(x))]))
        })
    }

    /// Writes a map of tensors to a safetensors file (atomically): `save_tensors("x.safetensors", #{ x: x })`.
    #[rhai_fn(return_raw)]
    pub fn save_tensors(ctx: NativeCallContext, path: &str, tensors: Map) -> RhaiResult<()> {
        guard(&ctx, || {
            let mut named = Vec::new();
            for (k, v) in &tensors {
                match v.read_lock::<Tensor>() {
                    Some(t) => named.push((k.to_string(), t.candle().clone())),
                    None => crate::bail!("`{k}` is {}, not a tensor", crate::runtime::convert::describe(v)),
                }
            }
            checkpoint::write(Path::new(path), &named, HashMap::new())
        })
    }

    /// Reads every tensor of a safetensors file into a map.
    #[rhai_fn(return_raw)]
    pub fn load_tensors(ctx: NativeCallContext, path: &str) -> RhaiResult<Map> {
        guard(&ctx, || {
            let c = checkpoint::read(Path::new(path), &crate::tensor::device::default_device())?;
            Ok(c.tensors.into_iter().map(|(k, t)| (k.into(), Dynamic::from(Tensor::from_candle(t)))).collect())
        })
    }

    /// Reads a JSON file: objects become maps, arrays arrays.
    #[rhai_fn(return_raw)]
    pub fn read_json(ctx: NativeCallContext, path: &str) -> RhaiResult<Dynamic> {
        guard(&ctx, || {
            let text = crate::data::read::read_text(Path::new(path))?;
            let value: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| crate::Error::new(format!("{path}: not valid JSON: {e}")))?;
            Ok(from_json(value))
        })
    }

    /// Writes a value as pretty JSON (tensors become nested arrays), atomically.
    #[rhai_fn(return_raw)]
    pub fn write_json(ctx: NativeCallContext, path: &str, value: Dynamic) -> RhaiResult<()> {
        guard(&ctx, || {
            crate::runtime::nesting::check_depth(&value)?;
            let text = serde_json::to_string_pretty(&to_json(&value)?).map_err(|e| crate::Error::new(e.to_string()))?;
            crate::atomic_file::write_atomically(Path::new(path), text.as_bytes())
        })
    }

    /// The first `n` lines of a text file, for a quick look.
    #[rhai_fn(return_raw)]
    pub fn head(ctx: NativeCallContext, path: &str, n: rhai::INT) -> RhaiResult<String> {
        guard(&ctx, || {
            let text = crate::data::read::read_text(Path::new(path))?;
            Ok(text.lines().take(count_arg("n", n)?).collect::<Vec<_>>().join("\n"))
        })
    }
}

/// The module of file built-ins.
pub fn module() -> Module {
    exported_module!(api)
}
