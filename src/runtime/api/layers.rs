//! Layers as script values and networks composed from them: `linear`, `conv2d`, norms,
//! embeddings, attention, activations, `sequential`, `residual`, and
//! `network(layers, forward)`, a network like the built-in ones whose forward pass is a
//! script function.

use crate::nn::act::Act;
use crate::nn::composed::{ComposedConfig, ForwardFn, Layers};
use crate::nn::layer::spec::LayerSpec;
use crate::nn::layer::value::Layer;
use crate::runtime::call_context;
use crate::runtime::convert::describe;
use crate::runtime::options::CheckedOptions;
use crate::tensor::create::Placement;
use crate::tensor::Tensor;
use rhai::plugin::*;
use rhai::{EvalAltResult, FnPtr, Map, INT};

const LINEAR_KEYS: &[&str] = &["bias", "dtype", "device"];
const CONV_KEYS: &[&str] = &["stride", "padding", "groups", "dtype", "device"];
const FOURIER_KEYS: &[&str] = &["features", "scale", "inputs", "dtype", "device"];
const NETWORK_KEYS: &[&str] = &["time_embed", "input"];
const RES_BLOCK_KEYS: &[&str] = &["embedding", "dropout", "dtype", "device"];

/// The option keys of this module's functions (for completion).
pub const OPTIONS: &[(&str, &[&str])] = &[
    ("linear", LINEAR_KEYS),
    ("conv2d", CONV_KEYS),
    ("fourier_embedding", FOURIER_KEYS),
    ("network", NETWORK_KEYS),
    ("res_block", RES_BLOCK_KEYS),
];

/// A size argument: a non-negative int.
fn size(what: &str, value: INT) -> crate::Result<usize> {
    usize::try_from(value).map_err(|_| crate::Error::new(format!("{what} must be a size >= 1, got {value}")))
}

/// A new layer on the default placement, or the one `options` names.
fn made(spec: LayerSpec, placement: Placement) -> crate::Result<Layer> {
    Layer::new(spec, &placement)
}

fn activation(act: Act) -> crate::Result<Layer> {
    made(LayerSpec::Activation { act }, Placement::default())
}

fn layers_of(list: &rhai::Array) -> crate::Result<Vec<Layer>> {
    list.iter()
        .enumerate()
        .map(|(i, v)| {
            v.clone().try_cast::<Layer>().ok_or_else(|| {
                crate::Error::new(format!("entry {i} must be a layer (linear(...), silu(), ...), got {}", describe(v)))
            })
        })
        .collect()
}

/// A layer holding `children` under the names `spec` gives them, sharing their parameters.
fn container(spec: LayerSpec, children: &[Layer]) -> crate::Result<Layer> {
    let mut store = crate::nn::params::ParamStore::new();
    for ((name, _), layer) in spec.children().into_iter().zip(children) {
        store.extend_prefixed(&name, &layer.own_store());
    }
    store.check_unshared()?;
    Ok(Layer::bound(&spec, &std::sync::Arc::new(store), "", &std::sync::Arc::new(true.into())))
}

/// A network's forward function written in a script: `|layers, x, t| ...` or `|layers, x| ...`.
struct ScriptForward(FnPtr);

impl ForwardFn for ScriptForward {
    fn call(&self, layers: Vec<(String, Layer)>, inputs: Vec<Tensor>) -> crate::Result<Tensor> {
        let mut args = vec![Dynamic::from(Layers(std::sync::Arc::new(layers)))];
        args.extend(inputs.into_iter().map(Dynamic::from));
        let result = call_context::with(|ctx| self.0.call_raw(ctx, None, args))
            .ok_or_else(|| crate::Error::new("a network composed in a script can only run while a script runs"))?;
        match result {
            Ok(v) => v.clone().try_cast::<Tensor>().ok_or_else(|| {
                crate::Error::new(format!("the forward function must return a tensor, it returned {}", describe(&v)))
            }),
            Err(e) if matches!(*e, EvalAltResult::ErrorTerminated(..)) => Err(crate::Error::interrupted()),
            Err(e) => Err(crate::Error::new(format!("in the forward function: {e}"))),
        }
    }
}

/// How many inputs besides the layers `f` takes: 2 (x, t) or 1 (x).
fn forward_inputs(ctx: &NativeCallContext, f: &FnPtr) -> crate::Result<usize> {
    let takes = |n: usize| {
        let params = f.curry().len() + 1 + n;
        ctx.global_runtime_state().lib.iter().any(|m| m.get_script_fn(f.fn_name(), params).is_some())
    };
    match (takes(2), takes(1)) {
        (true, _) => Ok(2),
        (false, true) => Ok(1),
        _ => crate::bail!(
            "the forward function must take (layers, x, t) for a denoiser or (layers, x) for a classifier: |m, x, t| m.body.forward(x)"
        ),
    }
}

#[export_module]
mod api {
    use super::*;
    use crate::runtime::api::Options;
    use crate::runtime::error::{guard, RhaiResult};
    use crate::tensor::{device::parse_device, dtype::parse_dtype};

    /// A dense layer `x @ W + b` over the last dimension: `linear(34, 256)`; weights
    /// `[in, out]`, PyTorch's default init U(−1/√in, 1/√in). Options: bias (true), dtype, device.
    #[rhai_fn(return_raw)]
    pub fn linear(ctx: NativeCallContext, inputs: INT, outputs: INT) -> RhaiResult<Layer> {
        linear_with(ctx, inputs, outputs, Map::new())
    }

    /// `linear(inputs, outputs)` with options: `linear(16, 64, #{ bias: false })`.
    #[rhai_fn(name = "linear", return_raw)]
    pub fn linear_with(ctx: NativeCallContext, inputs: INT, outputs: INT, options: Options) -> RhaiResult<Layer> {
        guard(&ctx, || {
            let o = CheckedOptions::new(options, LINEAR_KEYS)?;
            let spec = LayerSpec::Linear {
                inputs: size("inputs", inputs)?,
                outputs: size("outputs", outputs)?,
                bias: o.bool_or("bias", true)?,
            };
            made(spec, o.placement(crate::tensor::dtype::DEFAULT_FLOAT)?)
        })
    }

    /// A 2-D convolution of `[N, C, H, W]` by a `kernel`×`kernel` window, stride 1, no padding
    /// (options set them); PyTorch's default init U(−1/√fan_in, 1/√fan_in).
    #[rhai_fn(name = "conv2d", return_raw)]
    pub fn conv2d_plain(ctx: NativeCallContext, inputs: INT, outputs: INT, kernel: INT) -> RhaiResult<Layer> {
        conv2d(ctx, inputs, outputs, kernel, Map::new())
    }

    /// `conv2d(inputs, outputs, kernel)` with options: `conv2d(1, 32, 3, #{ padding: 1 })`. Options:
    /// stride (1), padding (0), groups (1), dtype, device.
    #[rhai_fn(return_raw)]
    pub fn conv2d(
        ctx: NativeCallContext,
        inputs: INT,
        outputs: INT,
        kernel: INT,
        options: Options,
    ) -> RhaiResult<Layer> {
        guard(&ctx, || {
            let o = CheckedOptions::new(options, CONV_KEYS)?;
            let spec = LayerSpec::Conv2d {
                inputs: size("inputs", inputs)?,
                outputs: size("outputs", outputs)?,
                kernel: size("kernel", kernel)?,
                stride: o.usize_or("stride", 1)?,
                padding: o.usize_or("padding", 0)?,
                groups: o.usize_or("groups", 1)?,
            };
            made(spec, o.placement(crate::tensor::dtype::DEFAULT_FLOAT)?)
        })
    }

    /// Group normalisation of `[N, C, ...]` over `groups` groups of channels (ε = 1e-5), scale 1, shift 0.
    #[rhai_fn(return_raw)]
    pub fn group_norm(ctx: NativeCallContext, groups: INT, channels: INT) -> RhaiResult<Layer> {
        guard(&ctx, || {
            let spec = LayerSpec::GroupNorm { groups: size("groups", groups)?, channels: size("channels", channels)? };
            made(spec, Placement::default())
        })
    }

    /// Layer normalisation over the last dimension of `features` (ε = 1e-5), scale 1, shift 0.
    #[rhai_fn(return_raw)]
    pub fn layer_norm(ctx: NativeCallContext, features: INT) -> RhaiResult<Layer> {
        guard(&ctx, || made(LayerSpec::LayerNorm { features: size("features", features)? }, Placement::default()))
    }

    /// Inverted dropout with probability `p` in training mode; the identity in evaluation mode.
    #[rhai_fn(return_raw)]
    pub fn dropout(ctx: NativeCallContext, p: rhai::FLOAT) -> RhaiResult<Layer> {
        guard(&ctx, || made(LayerSpec::Dropout { p }, Placement::default()))
    }

    /// A table of `count` learned vectors of `features`, looked up by integer index (N(0, 1) init).
    #[rhai_fn(return_raw)]
    pub fn embedding(ctx: NativeCallContext, count: INT, features: INT) -> RhaiResult<Layer> {
        guard(&ctx, || {
            let spec = LayerSpec::Embedding { count: size("count", count)?, features: size("features", features)? };
            made(spec, Placement::default())
        })
    }

    /// The fixed sinusoidal embedding `[cos(c·f_i), sin(c·f_i)]`, f_i = 10000^(−i/(features/2)), of
    /// scalars `[N]` (Vaswani et al. 2017; scale t by 1000 for DDPM's timestep embedding).
    #[rhai_fn(return_raw)]
    pub fn sinusoidal_embedding(ctx: NativeCallContext, features: INT) -> RhaiResult<Layer> {
        guard(&ctx, || made(LayerSpec::Sinusoidal { features: size("features", features)? }, Placement::default()))
    }

    /// Random Fourier features `[sin(2π x B), cos(2π x B)]` with a fixed Gaussian B `[inputs, features]`
    /// (Tancik et al. 2020): `fourier_embedding(#{ features: 16, scale: 1.0 })`. Options: features (16),
    /// scale (1.0), inputs (1: scalars `[N]`), dtype, device.
    #[rhai_fn(return_raw)]
    pub fn fourier_embedding(ctx: NativeCallContext, options: Options) -> RhaiResult<Layer> {
        guard(&ctx, || {
            let o = CheckedOptions::new(options, FOURIER_KEYS)?;
            let spec = LayerSpec::Fourier {
                inputs: o.usize_or("inputs", 1)?,
                features: o.usize_or("features", 16)?,
                scale: o.f64_or("scale", 1.0)?,
            };
            made(spec, o.placement(crate::tensor::dtype::DEFAULT_FLOAT)?)
        })
    }

    /// Multi-head self-attention over tokens `[N, L, features]` or the pixels of `[N, features, H, W]`.
    #[rhai_fn(return_raw)]
    pub fn attention(ctx: NativeCallContext, features: INT, heads: INT) -> RhaiResult<Layer> {
        guard(&ctx, || {
            let spec = LayerSpec::Attention { features: size("features", features)?, heads: size("heads", heads)? };
            made(spec, Placement::default())
        })
    }

    /// The UNet's residual block (Ho et al. 2020) from `inputs` to `outputs` channels, as the built-in
    /// `unet` is made of: group norm, SiLU, 3×3 conv, group norm, SiLU, 3×3 conv, plus the input
    /// (through a 1×1 conv where the channel count changes); group norms of up to 32 groups.
    #[rhai_fn(name = "res_block", return_raw)]
    pub fn res_block_plain(ctx: NativeCallContext, inputs: INT, outputs: INT) -> RhaiResult<Layer> {
        res_block(ctx, inputs, outputs, Map::new())
    }

    /// `res_block(inputs, outputs)` with options: `res_block(32, 64, #{ embedding: 128 })` adds a
    /// projection of a 128-wide embedding (SiLU, then dense; zero at the start) after the first conv,
    /// given as `block.forward(x, emb)`. Options: embedding (none), dropout (0.0, before the second
    /// conv in training mode), dtype, device. On the CPU in f32 the block runs as one fused op.
    #[rhai_fn(return_raw)]
    pub fn res_block(ctx: NativeCallContext, inputs: INT, outputs: INT, options: Options) -> RhaiResult<Layer> {
        guard(&ctx, || {
            let o = CheckedOptions::new(options, RES_BLOCK_KEYS)?;
            let embedding = match o.usize_or("embedding", 0)? {
                0 => None,
                e => Some(e),
            };
            let spec = LayerSpec::ResBlock {
                inputs: size("inputs", inputs)?,
                outputs: size("outputs", outputs)?,
                embedding,
                dropout: o.f64_or("dropout", 0.0)?,
            };
            made(spec, o.placement(crate::tensor::dtype::DEFAULT_FLOAT)?)
        })
    }

    /// Nearest-neighbour upsampling of `[N, C, H, W]` by an integer `factor`.
    #[rhai_fn(return_raw)]
    pub fn upsample(ctx: NativeCallContext, factor: INT) -> RhaiResult<Layer> {
        guard(&ctx, || made(LayerSpec::Upsample { factor: size("factor", factor)? }, Placement::default()))
    }

    /// The SiLU activation x·sigmoid(x) as a layer.
    #[rhai_fn(name = "silu", return_raw)]
    pub fn silu_layer(ctx: NativeCallContext) -> RhaiResult<Layer> {
        guard(&ctx, || activation(Act::Silu))
    }

    /// The GELU activation x·Φ(x) as a layer.
    #[rhai_fn(name = "gelu", return_raw)]
    pub fn gelu_layer(ctx: NativeCallContext) -> RhaiResult<Layer> {
        guard(&ctx, || activation(Act::Gelu))
    }

    /// The ReLU activation max(x, 0) as a layer.
    #[rhai_fn(name = "relu", return_raw)]
    pub fn relu_layer(ctx: NativeCallContext) -> RhaiResult<Layer> {
        guard(&ctx, || activation(Act::Relu))
    }

    /// The tanh activation as a layer.
    #[rhai_fn(name = "tanh", return_raw)]
    pub fn tanh_layer(ctx: NativeCallContext) -> RhaiResult<Layer> {
        guard(&ctx, || activation(Act::Tanh))
    }

    /// Layers applied in order: `sequential([linear(2, 64), silu(), linear(64, 2)])`; parameters
    /// named by position (`0.weight`), sharing storage with the layers given.
    #[rhai_fn(return_raw)]
    pub fn sequential(ctx: NativeCallContext, layers: rhai::Array) -> RhaiResult<Layer> {
        guard(&ctx, || {
            let children = layers_of(&layers)?;
            let spec = LayerSpec::Sequential { layers: children.iter().map(|l| l.spec().clone()).collect() };
            container(spec, &children)
        })
    }

    /// `x + layer(x)`: `residual(sequential([group_norm(8, 32), silu(), conv2d(32, 32, 3, #{ padding: 1 })]))`.
    #[rhai_fn(return_raw)]
    pub fn residual(ctx: NativeCallContext, layer: Layer) -> RhaiResult<Layer> {
        guard(&ctx, || container(LayerSpec::Residual { inner: Box::new(layer.spec().clone()) }, &[layer]))
    }

    /// The layer's output for `x`.
    #[rhai_fn(name = "forward", return_raw)]
    pub fn forward(ctx: NativeCallContext, layer: &mut Layer, x: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || layer.forward(&x))
    }

    /// The layer's output for `x` with the embedding `emb` (`[N, E]`, e.g. the time embedding),
    /// which goes to every `res_block` inside made with the embedding option.
    #[rhai_fn(name = "forward", return_raw)]
    pub fn forward_embedded(ctx: NativeCallContext, layer: &mut Layer, x: Tensor, emb: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || layer.forward_embedded(&x, Some(&emb)))
    }

    /// The layer's trainable parameter tensors (they share storage with the layer).
    #[rhai_fn(name = "params")]
    pub fn params(layer: &mut Layer) -> rhai::Array {
        layer.params().into_iter().map(Dynamic::from).collect()
    }

    /// The number of trainable scalars.
    #[rhai_fn(name = "param_count")]
    pub fn param_count(layer: &mut Layer) -> INT {
        layer.param_count() as INT
    }

    /// A copy of the layer on a device: `layer.to("cuda")`.
    #[rhai_fn(name = "to", return_raw)]
    pub fn to_device(ctx: NativeCallContext, layer: &mut Layer, device: &str) -> RhaiResult<Layer> {
        guard(&ctx, || {
            let dtype = layer.own_store().dtype();
            layer.converted(&parse_device(device)?, dtype)
        })
    }

    /// A copy of the layer with weights in another float type: `layer.to_dtype("f64")`.
    #[rhai_fn(name = "to_dtype", return_raw)]
    pub fn to_dtype(ctx: NativeCallContext, layer: &mut Layer, dtype: &str) -> RhaiResult<Layer> {
        guard(&ctx, || layer.converted(&layer.device(), parse_dtype(dtype)?))
    }

    /// Training mode (dropout on). Returns the layer.
    #[rhai_fn(name = "train_mode")]
    pub fn train_mode(layer: &mut Layer) -> Layer {
        layer.set_training(true);
        layer.clone()
    }

    /// Evaluation mode (dropout off). Returns the layer.
    #[rhai_fn(name = "eval_mode")]
    pub fn eval_mode(layer: &mut Layer) -> Layer {
        layer.set_training(false);
        layer.clone()
    }

    /// The layer and its parameter count: `linear(34 -> 256): 8,960 parameters`.
    #[rhai_fn(name = "to_string", name = "to_debug")]
    pub fn describe_layer(layer: &mut Layer) -> String {
        layer.describe()
    }

    /// A network of named layers with a forward function written in the script, usable wherever a
    /// built-in network is: `network(#{ emb: emb, body: body }, |m, x, t| m.body.forward(cat([x, m.emb.forward(t)], 1)))`.
    /// `|m, x, t|` makes a denoiser (t as time_embed says), `|m, x|` a classifier; weights are
    /// saved as `key.name`.
    #[rhai_fn(name = "network", return_raw)]
    pub fn network(ctx: NativeCallContext, layers: Map, forward: FnPtr) -> RhaiResult<crate::nn::network::Network> {
        network_with(ctx, layers, forward, Map::new())
    }

    /// `network(layers, forward)` with options: time_embed ("t": the second input is t ∈ [0, 1];
    /// "log_sigma": it is σ), input (the shape of one example, e.g. [2]; otherwise taken from the first call).
    #[rhai_fn(name = "network", return_raw)]
    pub fn network_with(
        ctx: NativeCallContext,
        layers: Map,
        forward: FnPtr,
        options: Options,
    ) -> RhaiResult<crate::nn::network::Network> {
        guard(&ctx, || {
            let o = CheckedOptions::new(options, NETWORK_KEYS)?;
            let mut named = Vec::new();
            for (key, value) in layers {
                let layer = value.clone().try_cast::<Layer>().ok_or_else(|| {
                    crate::Error::new(format!(
                        "`{key}` must be a layer (linear(...), sequential([...]), ...), got {}",
                        describe(&value)
                    ))
                })?;
                named.push((key.to_string(), layer));
            }
            let input_shape = match o.opt_array("input")? {
                Some(a) => Some(
                    crate::runtime::convert::ints(&a)?
                        .into_iter()
                        .map(|d| size("input", d))
                        .collect::<crate::Result<Vec<_>>>()?,
                ),
                None => None,
            };
            let config = ComposedConfig {
                layers: named.iter().map(|(k, l)| (k.clone(), l.spec().clone())).collect(),
                inputs: forward_inputs(&ctx, &forward)?,
                time_embed: crate::nn::embed::TimeInput::parse(
                    &o.opt_string("time_embed")?.unwrap_or_else(|| "t".into()),
                )?,
                input_shape,
            };
            let f = crate::nn::composed::Forward(std::sync::Arc::new(ScriptForward(forward)));
            crate::nn::network::Network::composed(config, &named, f)
        })
    }

    /// Inside a composed network's forward function, the layer under `key`: `m.body` or `m["body"]`.
    #[rhai_fn(index_get, return_raw)]
    pub fn layer_by_key(ctx: NativeCallContext, layers: &mut Layers, key: &str) -> RhaiResult<Layer> {
        guard(&ctx, || layers.get(key))
    }

    /// Every parameter and buffer by name (`"body.0.weight"`), sharing storage with the network.
    #[rhai_fn(name = "state_dict")]
    pub fn state_dict(net: &mut crate::nn::network::Network) -> Map {
        net.store()
            .named_tensors()
            .into_iter()
            .map(|(n, t)| (n.into(), Dynamic::from(Tensor::from_candle(t))))
            .collect()
    }

    /// Copies the tensors of `state` (as `state_dict()` gives) into the network's parameters and
    /// buffers by name; shapes must match, and every name must be given.
    #[rhai_fn(name = "load_state_dict", return_raw)]
    pub fn load_state_dict(
        ctx: NativeCallContext,
        net: &mut crate::nn::network::Network,
        state: Map,
    ) -> RhaiResult<()> {
        guard(&ctx, || {
            let mut values = std::collections::HashMap::new();
            for (name, value) in state {
                let t = value
                    .clone()
                    .try_cast::<Tensor>()
                    .ok_or_else(|| crate::Error::new(format!("`{name}` must be a tensor, got {}", describe(&value))))?;
                values.insert(name.to_string(), t.into_candle());
            }
            net.store_mut().load(&values)
        })
    }

    /// Loads weights saved by `net.save(path)` into this network (same architecture): how a network
    /// composed in a script is restored.
    #[rhai_fn(name = "load_weights", return_raw)]
    pub fn load_weights(ctx: NativeCallContext, net: &mut crate::nn::network::Network, path: &str) -> RhaiResult<()> {
        guard(&ctx, || crate::nn::checkpoint::load_weights(net, std::path::Path::new(path)))
    }
}

/// The module of layer built-ins.
pub fn module() -> Module {
    exported_module!(api)
}
