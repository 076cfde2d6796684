//! Networks from scripts: `mlp`, `unet`, `classifier`, their forward pass,
//! copies, devices, modes, and checkpoints.

use crate::nn::act::Act;
use crate::nn::classifier::{ClassifierConfig, ClassifierInput};
use crate::nn::embed::TimeInput;
use crate::nn::mlp::MlpConfig;
use crate::nn::network::{Architecture, Network};
use crate::nn::unet::UnetConfig;
use crate::runtime::convert::ints;
use crate::runtime::options::CheckedOptions;
use rhai::plugin::*;
use rhai::Map;

fn sizes(o: &CheckedOptions, key: &str, default: &[usize]) -> crate::Result<Vec<usize>> {
    match o.opt_array(key)? {
        None => Ok(default.to_vec()),
        Some(a) => ints(&a)?
            .into_iter()
            .map(|v| {
                usize::try_from(v)
                    .map_err(|_| crate::Error::new(format!("option `{key}` must hold sizes >= 0, got {v}")))
            })
            .collect(),
    }
}

fn time_embed(o: &CheckedOptions) -> crate::Result<TimeInput> {
    TimeInput::parse(&o.opt_string("time_embed")?.unwrap_or_else(|| "t".into()))
}

fn act(o: &CheckedOptions) -> crate::Result<Act> {
    Act::parse(&o.opt_string("act")?.unwrap_or_else(|| "silu".into()))
}

fn image(o: &CheckedOptions) -> crate::Result<[usize; 3]> {
    let v = sizes(o, "image", &[])?;
    match v.as_slice() {
        [c, h, w] => Ok([*c, *h, *w]),
        _ => crate::bail!("option `image` must be [C, H, W], got {v:?}"),
    }
}

const MLP_KEYS: &[&str] = &[
    "dim",
    "hidden",
    "act",
    "fourier",
    "fourier_scale",
    "time_embed",
    "time_dim",
    "out",
    "classes",
    "dtype",
    "device",
];
const UNET_KEYS: &[&str] = &[
    "image",
    "channels",
    "mults",
    "res_blocks",
    "attention_at",
    "dropout",
    "time_embed",
    "classes",
    "dtype",
    "device",
];
const CLASSIFIER_KEYS: &[&str] = &["classes", "dim", "hidden", "fourier", "act", "image", "dtype", "device"];

/// The option keys of this module's functions (for completion).
pub const OPTIONS: &[(&str, &[&str])] = &[("mlp", MLP_KEYS), ("unet", UNET_KEYS), ("classifier", CLASSIFIER_KEYS)];

fn build(arch: Architecture, o: &CheckedOptions) -> crate::Result<Network> {
    Network::new(arch, &o.placement(crate::tensor::dtype::DEFAULT_FLOAT)?)
}

/// The `classes` option of a class-conditional denoiser (absent: unconditional).
fn classes(o: &CheckedOptions) -> crate::Result<Option<usize>> {
    o.opt_value("classes").is_some().then(|| o.count_in("classes", 1, 1..=1 << 20)).transpose()
}

/// Builds an MLP from script options.
pub fn mlp_from(options: Map) -> crate::Result<Network> {
    let o = CheckedOptions::new(options, MLP_KEYS)?;
    let d = MlpConfig::default();
    let dim = o.usize_or("dim", d.dim)?;
    let config = MlpConfig {
        dim,
        hidden: sizes(&o, "hidden", &d.hidden)?,
        act: act(&o)?,
        fourier: o.usize_or("fourier", d.fourier)?,
        fourier_scale: o.f64_in("fourier_scale", d.fourier_scale, crate::runtime::options::Range::Positive)?,
        time_embed: time_embed(&o)?,
        time_dim: o.usize_or("time_dim", d.time_dim)?,
        out: o.usize_or("out", dim)?,
        classes: classes(&o)?,
    };
    build(Architecture::Mlp(config), &o)
}

/// Builds a UNet from script options.
pub fn unet_from(options: Map) -> crate::Result<Network> {
    let o = CheckedOptions::new(options, UNET_KEYS)?;
    let config = UnetConfig {
        image: image(&o)?,
        channels: o.usize_or("channels", 32)?,
        mults: sizes(&o, "mults", &[1, 2])?,
        res_blocks: o.usize_or("res_blocks", 1)?,
        attention_at: sizes(&o, "attention_at", &[])?,
        dropout: o.f64_in("dropout", 0.0, crate::runtime::options::Range::UnitOpenAbove)?,
        time_embed: time_embed(&o)?,
        classes: classes(&o)?,
    };
    build(Architecture::Unet(config), &o)
}

/// Builds a classifier from script options.
pub fn classifier_from(options: Map) -> crate::Result<Network> {
    let o = CheckedOptions::new(options, CLASSIFIER_KEYS)?;
    let input = if o.opt_array("image")?.is_some() {
        ClassifierInput::Image { image: image(&o)? }
    } else {
        ClassifierInput::Vector {
            dim: o.usize_or("dim", 2)?,
            hidden: sizes(&o, "hidden", &[256, 256])?,
            fourier: o.usize_or("fourier", 0)?,
            act: act(&o)?,
        }
    };
    let config = ClassifierConfig { input, classes: o.usize_or("classes", 0)? };
    build(Architecture::Classifier(config), &o)
}

#[export_module]
mod api {
    use super::{classifier_from, mlp_from, unet_from};
    use crate::nn::checkpoint;
    use crate::nn::network::Network;
    use crate::runtime::api::{Options, TensorLike};
    use crate::runtime::convert::tensor_like;
    use crate::runtime::error::{guard, RhaiResult};
    use crate::tensor::{device::parse_device, dtype::parse_dtype, Tensor};
    use rhai::INT;
    use std::path::Path;

    /// A denoiser MLP on (x, noise level): `mlp(#{ dim: 2, hidden: [256, 256, 256], fourier: 16 })`.
    /// Options: dim (2), hidden ([256, 256, 256]), act ("silu"|"relu"|"gelu"|"tanh"), fourier (0: off;
    /// the number of random Fourier frequencies of x), fourier_scale (1.0), time_embed ("t": the second
    /// input is t ∈ [0, 1], embedded as 1000·t; "log_sigma": it is σ, embedded as EDM's
    /// c_noise = ln(σ)/4 — the one to use with `pred: "edm"`), time_dim (64), out (= dim), classes (a
    /// class-conditional network: labels 0..classes−1 and the null label `classes`, trained with
    /// `diffusion_loss(..., #{ labels, label_dropout })`, guided with `den.guided`), dtype, device.
    #[rhai_fn(return_raw)]
    pub fn mlp(ctx: NativeCallContext, options: Options) -> RhaiResult<Network> {
        guard(&ctx, || mlp_from(options))
    }

    /// A small UNet denoiser for images up to 32×32 (DDPM-style): `unet(#{ image: [1, 8, 8] })`.
    /// Options: image [C, H, W] (required), channels (32), mults ([1, 2]), res_blocks (1),
    /// attention_at (resolutions with self-attention, []), dropout (0), time_embed ("t"|"log_sigma"),
    /// classes (class-conditional, as `mlp`'s: a class embedding added to the time embedding), dtype, device.
    #[rhai_fn(return_raw)]
    pub fn unet(ctx: NativeCallContext, options: Options) -> RhaiResult<Network> {
        guard(&ctx, || unet_from(options))
    }

    /// A noise-level classifier over `classes` (Kim & Ye's Denoising MCMC): an MLP for vectors
    /// (`#{ classes: 100, dim: 2, hidden: [256, 256], fourier }`) or, with `image: [C, H, W]`,
    /// four convolutions (32/64/128/256 channels) and a linear head.
    #[rhai_fn(return_raw)]
    pub fn classifier(ctx: NativeCallContext, options: Options) -> RhaiResult<Network> {
        guard(&ctx, || classifier_from(options))
    }

    /// A denoiser's output for a batch `x` at noise level `t` (a number or one per example):
    /// t ∈ [0, 1] for time_embed "t", σ for "log_sigma".
    #[rhai_fn(name = "forward", return_raw)]
    pub fn forward(ctx: NativeCallContext, net: &mut Network, x: Tensor, t: TensorLike) -> RhaiResult<Tensor> {
        guard(&ctx, || net.forward(&x, &tensor_like(&t, Some(&x))?))
    }

    /// A class-conditional denoiser's output for a batch `x` at noise level `t` with class
    /// `labels` (an integer for all rows, or one per row): a pretrained model with a class
    /// embedding takes its own timesteps as `t`.
    #[rhai_fn(name = "forward", return_raw)]
    pub fn forward_labeled(
        ctx: NativeCallContext,
        net: &mut Network,
        x: Tensor,
        t: TensorLike,
        labels: rhai::Dynamic,
    ) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            let labels = crate::runtime::convert::label_tensor(&labels)?;
            net.forward_labeled(&x, &tensor_like(&t, Some(&x))?, Some(&labels))
        })
    }

    /// A classifier's logits for a batch `x`.
    #[rhai_fn(name = "forward", return_raw)]
    pub fn forward_classifier(ctx: NativeCallContext, net: &mut Network, x: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || net.logits(&x))
    }

    /// The trainable parameter tensors (they share storage with the network).
    #[rhai_fn(name = "params")]
    pub fn params(net: &mut Network) -> rhai::Array {
        net.params().into_iter().map(Dynamic::from).collect()
    }

    /// The shape of one input example (without the batch dimension): `[2]`, `[1, 8, 8]`.
    #[rhai_fn(get = "input_shape")]
    pub fn input_shape(net: &mut Network) -> rhai::Array {
        net.input_shape().into_iter().map(|d| Dynamic::from_int(d as INT)).collect()
    }

    /// The number of trainable scalars.
    pub fn param_count(net: &mut Network) -> INT {
        net.param_count() as INT
    }

    /// An independent copy with the same weights (a student initialised from a teacher).
    #[rhai_fn(name = "copy", return_raw)]
    pub fn copy_net(ctx: NativeCallContext, net: &mut Network) -> RhaiResult<Network> {
        guard(&ctx, || net.deep_copy())
    }

    /// The device the network's weights are on: "cpu" or "cuda:0".
    #[rhai_fn(name = "device")]
    pub fn device(net: &mut Network) -> String {
        crate::tensor::device::device_name(&net.device())
    }

    /// A copy of the network on a device: `net.to("cuda")`.
    #[rhai_fn(name = "to", return_raw)]
    pub fn to_device(ctx: NativeCallContext, net: &mut Network, device: &str) -> RhaiResult<Network> {
        guard(&ctx, || net.to_device(&parse_device(device)?))
    }

    /// A copy of the network with weights in another float type: `net.to_dtype("f64")`.
    #[rhai_fn(name = "to_dtype", return_raw)]
    pub fn to_dtype(ctx: NativeCallContext, net: &mut Network, dtype: &str) -> RhaiResult<Network> {
        guard(&ctx, || net.to_dtype(parse_dtype(dtype)?))
    }

    /// Training mode, dropout on (PyTorch's `train()`; `eval` is a reserved word in Rhai). Returns the network.
    pub fn train_mode(net: &mut Network) -> Network {
        net.set_training(true);
        net.clone()
    }

    /// Evaluation mode, dropout off (PyTorch's `eval()`). Returns the network.
    pub fn eval_mode(net: &mut Network) -> Network {
        net.set_training(false);
        net.clone()
    }

    /// Whether the network is in training mode (dropout on).
    #[rhai_fn(get = "training")]
    pub fn training(net: &mut Network) -> bool {
        net.is_training()
    }

    /// Saves the weights with the architecture (safetensors, written atomically): `net.save("net.safetensors")`.
    #[rhai_fn(name = "save", return_raw)]
    pub fn save(ctx: NativeCallContext, net: &mut Network, path: &str) -> RhaiResult<()> {
        guard(&ctx, || checkpoint::save_network(net, Path::new(path)))
    }

    /// Rebuilds a network saved with `net.save(path)`, in the mode (train or eval) it was saved in, or
    /// the averaged network of `ema.save(path)`, in eval mode as `ema.net` is; on the default device.
    #[rhai_fn(name = "load", return_raw)]
    pub fn load(ctx: NativeCallContext, path: &str) -> RhaiResult<Network> {
        guard(&ctx, || checkpoint::load_network(Path::new(path), &crate::tensor::device::default_device()))
    }

    /// The architecture, parameter count, dtype, device and mode.
    #[rhai_fn(name = "to_string", name = "to_debug")]
    pub fn describe(net: &mut Network) -> String {
        net.describe()
    }
}

/// The module of network built-ins.
pub fn module() -> Module {
    exported_module!(api)
}
