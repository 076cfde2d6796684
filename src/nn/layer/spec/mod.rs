//! The layer types a script composes networks from, as serialisable descriptions: what
//! parameters each creates (PyTorch's default initialisation, drawn from the seeded
//! generator) and how it maps an input to an output. Weights of dense layers are stored
//! `[in, out]` (`x @ W`), as difflab's built-in networks store them.

pub mod fused;

use super::super::act::Act;
use super::super::cpu::elementwise::cpu_f32_images;
use super::super::cpu::{dense, rows, upsample};
use super::super::functional;
use super::super::params::{child, Init, ParamStore};
use super::conv::Conv2d;
use super::linear::{DenseStack, Linear};
use super::norm::{self, GroupNorm, LayerNorm};
use super::res_block::ResBlock;
use crate::error::Result;
use crate::tensor::create::Placement;
use candle_core::{Tensor, D};
use serde::{Deserialize, Serialize};

/// One layer: its kind and sizes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "layer", rename_all = "snake_case")]
pub enum LayerSpec {
    /// `x @ W + b` over the last dimension.
    Linear {
        /// Input features.
        inputs: usize,
        /// Output features.
        outputs: usize,
        /// Whether the layer adds a bias.
        bias: bool,
    },
    /// A 2-D convolution of `[N, C, H, W]` images.
    Conv2d {
        /// Input channels.
        inputs: usize,
        /// Output channels.
        outputs: usize,
        /// The kernel's height and width.
        kernel: usize,
        /// The step between windows.
        stride: usize,
        /// Zeros added on each side.
        padding: usize,
        /// Channel groups (inputs and outputs each split into this many).
        groups: usize,
    },
    /// Group normalisation of `[N, C, ...]` (Wu & He 2018) with a per-channel scale and shift.
    GroupNorm {
        /// Channel groups.
        groups: usize,
        /// Channels.
        channels: usize,
    },
    /// Layer normalisation over the last dimension (Ba et al. 2016).
    LayerNorm {
        /// The size of the last dimension.
        features: usize,
    },
    /// Inverted dropout in training mode, the identity in evaluation mode.
    Dropout {
        /// The probability of zeroing an element.
        p: f64,
    },
    /// A table of `count` learned vectors, looked up by integer index.
    Embedding {
        /// Table rows.
        count: usize,
        /// Width of each vector.
        features: usize,
    },
    /// The fixed sinusoidal embedding of scalars (Vaswani et al. 2017).
    Sinusoidal {
        /// Output features (even).
        features: usize,
    },
    /// Random Fourier features `[sin(2π x B), cos(2π x B)]` with a fixed Gaussian `B`
    /// (Tancik et al. 2020; the Gaussian Fourier projection of Song et al. 2021).
    Fourier {
        /// Input features (1 for scalars given as `[N]`).
        inputs: usize,
        /// Frequencies (the output has twice as many features).
        features: usize,
        /// Standard deviation of the frequencies.
        scale: f64,
    },
    /// Multi-head self-attention over tokens `[N, L, D]` or over the pixels of `[N, D, H, W]`.
    Attention {
        /// Features per token (channels of an image).
        features: usize,
        /// Heads (must divide `features`).
        heads: usize,
    },
    /// Nearest-neighbour upsampling of `[N, C, H, W]` by an integer factor.
    Upsample {
        /// The factor.
        factor: usize,
    },
    /// An elementwise activation.
    Activation {
        /// Which one.
        act: Act,
    },
    /// Layers applied in order.
    Sequential {
        /// The layers.
        layers: Vec<LayerSpec>,
    },
    /// `x + layer(x)`.
    Residual {
        /// The inner layer.
        inner: Box<LayerSpec>,
    },
    /// The UNet's residual block ([`ResBlock`]: group norm, SiLU, 3×3 convolution plus a
    /// projection of the embedding, group norm, SiLU, dropout, 3×3 convolution, added to the
    /// input or its 1×1 projection).
    ResBlock {
        /// Input channels.
        inputs: usize,
        /// Output channels.
        outputs: usize,
        /// The width of the embedding (the time embedding) its forward takes beside the
        /// input; without one it takes none.
        embedding: Option<usize>,
        /// Dropout before the second convolution, in training mode.
        dropout: f64,
    },
}

/// The largest size (features, channels, table rows) a layer may take.
pub const MAX_SIZE: usize = 1 << 24;

fn positive(what: &str, value: usize) -> Result<()> {
    if value == 0 || value > MAX_SIZE {
        crate::bail!("{what} must be from 1 to {MAX_SIZE}, got {value}");
    }
    Ok(())
}

impl LayerSpec {
    /// Checks the sizes.
    pub fn validate(&self) -> Result<()> {
        match self {
            LayerSpec::Linear { inputs, outputs, .. } => {
                positive("linear's inputs", *inputs)?;
                positive("linear's outputs", *outputs)
            }
            LayerSpec::Conv2d { inputs, outputs, kernel, stride, groups, padding } => {
                positive("conv2d's inputs", *inputs)?;
                positive("conv2d's outputs", *outputs)?;
                positive("conv2d's kernel", *kernel)?;
                positive("conv2d's stride", *stride)?;
                positive("conv2d's groups", *groups)?;
                if *padding > MAX_SIZE {
                    crate::bail!("conv2d's padding must be at most {MAX_SIZE}, got {padding}");
                }
                if inputs % groups != 0 || outputs % groups != 0 {
                    crate::bail!(
                        "conv2d's groups ({groups}) must divide its inputs ({inputs}) and outputs ({outputs})"
                    );
                }
                Ok(())
            }
            LayerSpec::GroupNorm { groups, channels } => {
                positive("group_norm's groups", *groups)?;
                positive("group_norm's channels", *channels)?;
                if channels % groups != 0 {
                    crate::bail!("group_norm's groups ({groups}) must divide its channels ({channels})");
                }
                Ok(())
            }
            LayerSpec::LayerNorm { features } => positive("layer_norm's features", *features),
            LayerSpec::Dropout { p } => {
                if !(0.0..1.0).contains(p) {
                    crate::bail!("dropout's p must be in [0, 1), got {p}");
                }
                Ok(())
            }
            LayerSpec::Embedding { count, features } => {
                positive("embedding's count", *count)?;
                positive("embedding's features", *features)
            }
            LayerSpec::Sinusoidal { features } => {
                positive("sinusoidal_embedding's features", *features)?;
                if features % 2 != 0 {
                    crate::bail!("sinusoidal_embedding's features must be even, got {features}");
                }
                Ok(())
            }
            LayerSpec::Fourier { inputs, features, scale } => {
                positive("fourier_embedding's inputs", *inputs)?;
                positive("fourier_embedding's features", *features)?;
                if !scale.is_finite() || *scale <= 0.0 {
                    crate::bail!("fourier_embedding's scale must be a positive number, got {scale}");
                }
                Ok(())
            }
            LayerSpec::Attention { features, heads } => {
                positive("attention's features", *features)?;
                positive("attention's heads", *heads)?;
                if features % heads != 0 {
                    crate::bail!("attention's heads ({heads}) must divide its features ({features})");
                }
                Ok(())
            }
            LayerSpec::Upsample { factor } => positive("upsample's factor", *factor),
            LayerSpec::Activation { .. } => Ok(()),
            LayerSpec::Sequential { layers } => layers.iter().try_for_each(LayerSpec::validate),
            LayerSpec::Residual { inner } => inner.validate(),
            LayerSpec::ResBlock { inputs, outputs, embedding, dropout } => {
                positive("res_block's inputs", *inputs)?;
                positive("res_block's outputs", *outputs)?;
                if let Some(e) = embedding {
                    positive("res_block's embedding", *e)?;
                }
                if !(0.0..1.0).contains(dropout) {
                    crate::bail!("res_block's dropout must be in [0, 1), got {dropout}");
                }
                Ok(())
            }
        }
    }

    /// Whether the layer, or a layer inside it, takes an embedding beside its input.
    pub fn takes_embedding(&self) -> bool {
        match self {
            LayerSpec::ResBlock { embedding, .. } => embedding.is_some(),
            other => other.children().iter().any(|(_, l)| l.takes_embedding()),
        }
    }

    /// The layer as a script writes it: `linear(34 -> 256)`.
    pub fn signature(&self) -> String {
        match self {
            LayerSpec::Linear { inputs, outputs, bias } => {
                format!("linear({inputs} -> {outputs}{})", if *bias { "" } else { ", no bias" })
            }
            LayerSpec::Conv2d { inputs, outputs, kernel, stride, padding, groups } => format!(
                "conv2d({inputs} -> {outputs}, {kernel}x{kernel}, stride {stride}, padding {padding}{})",
                if *groups > 1 { format!(", groups {groups}") } else { String::new() }
            ),
            LayerSpec::GroupNorm { groups, channels } => format!("group_norm({groups} groups, {channels} channels)"),
            LayerSpec::LayerNorm { features } => format!("layer_norm({features})"),
            LayerSpec::Dropout { p } => format!("dropout({p})"),
            LayerSpec::Embedding { count, features } => format!("embedding({count} x {features})"),
            LayerSpec::Sinusoidal { features } => format!("sinusoidal_embedding({features})"),
            LayerSpec::Fourier { inputs, features, scale } => {
                format!("fourier_embedding({inputs} -> {}, scale {scale})", 2 * features)
            }
            LayerSpec::Attention { features, heads } => format!("attention({features} features, {heads} heads)"),
            LayerSpec::Upsample { factor } => format!("upsample(x{factor})"),
            LayerSpec::Activation { act } => format!("{}()", act.name()),
            LayerSpec::Sequential { layers } => format!("sequential({} layers)", layers.len()),
            LayerSpec::Residual { inner } => format!("residual({})", inner.signature()),
            LayerSpec::ResBlock { inputs, outputs, embedding, dropout } => format!(
                "res_block({inputs} -> {outputs}{}{})",
                embedding.map_or(String::new(), |e| format!(", embedding {e}")),
                if *dropout > 0.0 { format!(", dropout {dropout}") } else { String::new() }
            ),
        }
    }

    /// The sublayers and the names their parameters sit under.
    pub fn children(&self) -> Vec<(String, &LayerSpec)> {
        match self {
            LayerSpec::Sequential { layers } => layers.iter().enumerate().map(|(i, l)| (i.to_string(), l)).collect(),
            LayerSpec::Residual { inner } => vec![("inner".to_string(), &**inner)],
            _ => Vec::new(),
        }
    }

    /// Creates the layer's parameters (and buffers) in `store` under `prefix`.
    pub fn init(&self, store: &mut ParamStore, prefix: &str, at: &Placement) -> Result<()> {
        let name = |n: &str| child(prefix, n);
        match self {
            LayerSpec::Linear { inputs, outputs, bias } => {
                // PyTorch's nn.Linear: weight and bias U(−1/√in, 1/√in)
                Linear::init(store, prefix, (*inputs, *outputs), bias.then(|| Init::fan_in(*inputs)), at)?;
            }
            LayerSpec::Conv2d { inputs, outputs, kernel, groups, .. } => {
                Conv2d::init(store, prefix, (*inputs, *outputs, *kernel), *groups, at)?;
            }
            LayerSpec::GroupNorm { channels: features, .. } | LayerSpec::LayerNorm { features } => {
                norm::init(store, prefix, *features, at)?;
            }
            LayerSpec::Embedding { count, features } => {
                // PyTorch's nn.Embedding: N(0, 1)
                store.param(name("weight"), &[*count, *features], Init::Normal(1.0), at)?;
            }
            LayerSpec::Fourier { inputs, features, scale } => {
                let b = crate::tensor::rng::normal(inputs * features)?.into_iter().map(|v| v * scale).collect();
                store.buffer(name("B"), crate::tensor::create::from_f64(b, &[*inputs, *features], at)?);
            }
            LayerSpec::Attention { features, .. } => {
                // PyTorch's nn.MultiheadAttention: Xavier-uniform input projection, zero biases
                let xavier = (6.0 / (4 * features) as f64).sqrt();
                store.param(name("qkv.weight"), &[*features, 3 * features], Init::Uniform(xavier), at)?;
                store.param(name("qkv.bias"), &[3 * features], Init::Zeros, at)?;
                store.param(name("out.weight"), &[*features, *features], Init::fan_in(*features), at)?;
                store.param(name("out.bias"), &[*features], Init::Zeros, at)?;
            }
            LayerSpec::Sequential { .. } | LayerSpec::Residual { .. } => {
                for (sub, layer) in self.children() {
                    layer.init(store, &name(&sub), at)?;
                }
            }
            LayerSpec::ResBlock { inputs, outputs, embedding, .. } => {
                ResBlock::init(store, prefix, (*inputs, *outputs), *embedding, at)?;
            }
            LayerSpec::Dropout { .. }
            | LayerSpec::Sinusoidal { .. }
            | LayerSpec::Upsample { .. }
            | LayerSpec::Activation { .. } => {}
        }
        Ok(())
    }

    /// The layer's output for `x`, reading its parameters from `store` under `prefix`.
    pub fn forward(&self, store: &ParamStore, prefix: &str, x: &Tensor, training: bool) -> Result<Tensor> {
        self.forward_embedded(store, prefix, x, None, training)
    }

    /// [`LayerSpec::forward`] with an embedding `[N, E]` for the residual blocks inside that
    /// take one (every such block gets the same).
    pub fn forward_embedded(
        &self,
        store: &ParamStore,
        prefix: &str,
        x: &Tensor,
        emb: Option<&Tensor>,
        training: bool,
    ) -> Result<Tensor> {
        self.forward_unchecked(store, prefix, x, emb, training).map_err(|e| e.context(self.signature()))
    }

    fn forward_unchecked(
        &self,
        store: &ParamStore,
        prefix: &str,
        x: &Tensor,
        emb: Option<&Tensor>,
        training: bool,
    ) -> Result<Tensor> {
        let get = |n: &str| store.get(&child(prefix, n));
        match self {
            LayerSpec::Linear { inputs, .. } => {
                self.expect(x.rank() >= 1 && x.dim(D::Minus1)? == *inputs, x, &format!("[..., {inputs}]"))?;
                Linear::at(store, prefix)?.forward(x)
            }
            LayerSpec::Conv2d { inputs, outputs, kernel, stride, padding, groups } => {
                self.expect(x.rank() == 4 && x.dim(1)? == *inputs, x, &format!("[N, {inputs}, H, W]"))?;
                let side = |d: usize| (d + 2 * padding).checked_sub(*kernel).map(|span| span / stride + 1);
                let (Some(h), Some(w)) = (side(x.dim(2)?), side(x.dim(3)?)) else {
                    crate::bail!("the {kernel}x{kernel} kernel is larger than the padded input {:?}", x.dims());
                };
                crate::memory::check_shape(&[x.dim(0)?, *outputs, h, w], x.dtype().size_in_bytes())?;
                Conv2d { groups: *groups, ..Conv2d::at(store, prefix, *stride, *padding)? }.forward(x)
            }
            LayerSpec::GroupNorm { groups, channels } => self.group_norm(*groups, *channels, store, prefix, x, false),
            LayerSpec::LayerNorm { features } => {
                self.expect(x.rank() >= 1 && x.dim(D::Minus1)? == *features, x, &format!("[..., {features}]"))?;
                LayerNorm::at(store, prefix)?.forward(x)
            }
            LayerSpec::Dropout { p } => match training {
                true => functional::dropout(x, *p),
                false => Ok(x.clone()),
            },
            LayerSpec::Embedding { count, features } => {
                if x.dtype().is_float() {
                    crate::bail!("takes integer indices, got {:?}", x.dtype());
                }
                crate::memory::check_shape(&[x.elem_count(), *features], 4)?;
                let flat = x.flatten_all()?.to_dtype(candle_core::DType::I64)?;
                if x.elem_count() > 0 {
                    let (lo, hi) = (flat.min(0)?.to_scalar::<i64>()?, flat.max(0)?.to_scalar::<i64>()?);
                    if lo < 0 || hi >= *count as i64 {
                        crate::bail!("indices must be in 0..{count}, got values from {lo} to {hi}");
                    }
                }
                let rows = get("weight")?.index_select(&flat.to_dtype(candle_core::DType::U32)?, 0)?;
                let mut shape = x.dims().to_vec();
                shape.push(rows.dim(1)?);
                Ok(rows.reshape(shape)?)
            }
            LayerSpec::Sinusoidal { features } => {
                self.expect(x.rank() == 1 || (x.rank() == 2 && x.dim(1)? == 1), x, "[N] or [N, 1]")?;
                crate::memory::check_shape(&[x.elem_count(), *features], x.dtype().size_in_bytes())?;
                if rows::applies(x) {
                    return rows::sinusoidal(x, *features);
                }
                functional::sinusoidal(&x.flatten_all()?, *features)
            }
            LayerSpec::Fourier { inputs, features, .. } => {
                let rows_in = match (x.rank(), *inputs) {
                    (1, 1) => x.reshape((x.elem_count(), 1))?,
                    (2, _) if x.dim(1)? == *inputs => x.clone(),
                    _ => crate::bail!("expected [N, {inputs}], got input {:?}", x.dims()),
                };
                crate::memory::check_shape(&[rows_in.dim(0)?, 2 * features], x.dtype().size_in_bytes())?;
                let b = get("B")?.to_dtype(x.dtype())?;
                if rows::applies(&rows_in) {
                    return rows::fourier(&rows_in, &b);
                }
                let proj = (rows_in.matmul(&b)? * std::f64::consts::TAU)?;
                Ok(Tensor::cat(&[proj.sin()?, proj.cos()?], 1)?)
            }
            LayerSpec::Attention { features, heads } => {
                let tokens = x.rank() == 3 && x.dim(2)? == *features;
                let image = x.rank() == 4 && x.dim(1)? == *features;
                self.expect(tokens || image, x, &format!("[N, L, {features}] or [N, {features}, H, W]"))?;
                let length = x.elem_count() / (x.dim(0)? * features).max(1);
                // the attention weights: [N·heads, L, L]
                crate::memory::check_shape(&[x.dim(0)?, *heads, length, length], x.dtype().size_in_bytes())?;
                let weights = super::attention::Weights {
                    qkv: (get("qkv.weight")?, get("qkv.bias")?),
                    out: (get("out.weight")?, get("out.bias")?),
                    heads: *heads,
                };
                match tokens {
                    true => super::attention::tokens(x, &weights),
                    false => super::attention::pixels(x, &weights),
                }
            }
            LayerSpec::Upsample { factor } => {
                self.expect(x.rank() == 4, x, "[N, C, H, W]")?;
                let (n, c, h, w) = x.dims4()?;
                let size =
                    |d: usize| d.checked_mul(*factor).ok_or_else(|| crate::Error::new("the output size overflows"));
                let (h, w) = (size(h)?, size(w)?);
                crate::memory::check_shape(&[n, c, h, w], x.dtype().size_in_bytes())?;
                if *factor == 2 && cpu_f32_images(x) {
                    return upsample::upsample2(x);
                }
                Ok(x.upsample_nearest2d(h, w)?)
            }
            LayerSpec::Activation { act } => act.apply(x),
            LayerSpec::Sequential { layers } => {
                let mut h = x.clone();
                let mut i = 0;
                while i < layers.len() {
                    let (fused, run) = dense_run(&layers[i..], store, prefix, i, &h)?;
                    if let Some(y) = fused {
                        (h, i) = (y, i + run);
                        continue;
                    }
                    // group norm then SiLU: one op on the CPU, as in the built-in UNet
                    if let (LayerSpec::GroupNorm { groups, channels }, Some(LayerSpec::Activation { act: Act::Silu })) =
                        (&layers[i], layers.get(i + 1))
                    {
                        let path = child(prefix, &i.to_string());
                        h = layers[i]
                            .group_norm(*groups, *channels, store, &path, &h, true)
                            .map_err(|e| e.context(layers[i].signature()))?;
                        i += 2;
                        continue;
                    }
                    // this layer, or the whole dense run the fused op does not take, one by one
                    for (j, layer) in layers.iter().enumerate().skip(i).take(run.max(1)) {
                        h = layer.forward_embedded(store, &child(prefix, &j.to_string()), &h, emb, training)?;
                    }
                    i += run.max(1);
                }
                Ok(h)
            }
            LayerSpec::Residual { inner } => {
                let path = child(prefix, "inner");
                if !inner.takes_embedding() {
                    if let Some(y) = fused::residual(inner, store, &path, x)? {
                        return Ok(y);
                    }
                }
                let y = inner.forward_embedded(store, &path, x, emb, training)?;
                if y.dims() != x.dims() {
                    crate::bail!("the inner layer gives {:?}, which cannot be added to its input", y.dims());
                }
                Ok((x + y)?)
            }
            LayerSpec::ResBlock { inputs, outputs, embedding, dropout } => {
                self.expect(x.rank() == 4 && x.dim(1)? == *inputs, x, &format!("[N, {inputs}, H, W]"))?;
                let (n, _, h, w) = x.dims4()?;
                let emb = match (embedding, emb) {
                    (Some(e), Some(t)) if t.dims() != [n, *e] => {
                        crate::bail!("expected an embedding of [{n}, {e}], got {:?}", t.dims())
                    }
                    (None, _) => None,
                    (Some(_), None) => crate::bail!("needs the embedding: forward(x, embedding)"),
                    (Some(_), t) => t,
                };
                crate::memory::check_shape(&[n, *outputs, h, w], x.dtype().size_in_bytes())?;
                let emb = emb.map(|t| t.to_dtype(x.dtype())).transpose()?;
                let drop = if training { *dropout } else { 0.0 };
                ResBlock::at(store, prefix)?.forward(&[x], emb.as_ref(), drop)
            }
        }
    }

    /// Group norm of `x` (`[N, C, ...]`) with the parameters under `prefix`, and SiLU after it
    /// when `then_silu`.
    fn group_norm(
        &self,
        groups: usize,
        channels: usize,
        store: &ParamStore,
        prefix: &str,
        x: &Tensor,
        then_silu: bool,
    ) -> Result<Tensor> {
        self.expect(x.rank() >= 2 && x.dim(1)? == channels, x, &format!("[N, {channels}, ...]"))?;
        let as_image = x.reshape((x.dim(0)?, channels, x.elem_count() / (x.dim(0)? * channels).max(1), 1))?;
        let norm = GroupNorm::at(store, prefix, groups)?;
        let y = if then_silu { norm.forward_silu(&as_image)? } else { norm.forward(&as_image)? };
        Ok(y.reshape(x.dims())?)
    }

    /// An error naming the input shape expected when `ok` is false.
    fn expect(&self, ok: bool, x: &Tensor, expected: &str) -> Result<()> {
        if !ok {
            crate::bail!("expected {expected}, got input {:?}", x.dims());
        }
        Ok(())
    }
}

/// The dense run at the start of `layers` (the sublayers of a sequential from index `first`
/// on): `linear` layers, each optionally followed by an activation the kernel runs. Gives its
/// length (0 when `layers` does not start with a `linear`) and, for a run of at least two
/// layers that the fused CPU op takes, its output for `x`.
fn dense_run(
    layers: &[LayerSpec],
    store: &ParamStore,
    prefix: &str,
    first: usize,
    x: &Tensor,
) -> Result<(Option<Tensor>, usize)> {
    let (mut stack, mut taken) = (DenseStack { layers: Vec::new() }, 0);
    while let Some(LayerSpec::Linear { .. }) = layers.get(taken) {
        let linear = Linear::at(store, &child(prefix, &(first + taken).to_string()))?;
        let act = match layers.get(taken + 1) {
            Some(LayerSpec::Activation { act }) if dense::runs(*act) => Some(*act),
            _ => None,
        };
        taken += 1 + usize::from(act.is_some());
        stack.layers.push((linear, act));
    }
    match taken {
        0 | 1 => Ok((None, taken)),
        _ => Ok((stack.forward_fused(x)?, taken)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::cpu::op_testing::assert_close;
    use candle_core::{DType, Device};

    /// A sequential of dense layers takes the fused op (with a layer norm between two runs) and
    /// equals the same layers applied one by one, in value and in every gradient.
    #[test]
    fn a_dense_sequential_equals_its_layers_one_by_one() {
        crate::tensor::rng::seed(5);
        let linear = |inputs, outputs, bias| LayerSpec::Linear { inputs, outputs, bias };
        let act = |act| LayerSpec::Activation { act };
        let layers = vec![
            linear(6, 32, true),
            act(Act::Silu),
            linear(32, 32, false),
            act(Act::Relu),
            LayerSpec::LayerNorm { features: 32 },
            linear(32, 16, true),
            act(Act::Gelu),
            linear(16, 3, true),
            act(Act::Silu),
        ];
        let seq = LayerSpec::Sequential { layers: layers.clone() };
        let mut store = ParamStore::new();
        seq.init(&mut store, "s", &Placement { dtype: DType::F32, device: Device::Cpu }).unwrap();
        let x = Tensor::randn(0f32, 1.0, (300, 6), &Device::Cpu).unwrap();
        let (fused, run) = dense_run(&layers, &store, "s", 0, &x).unwrap();
        assert!(fused.is_some() && run == 4);
        // linear(32 -> 16) then gelu, which the kernel does not run: a run of one, not fused
        assert!(matches!(dense_run(&layers[5..], &store, "s", 5, &x).unwrap(), (None, 1)));
        // the wrong width: the run is found, the fused op does not take it
        assert!(matches!(dense_run(&layers, &store, "s", 0, &x.narrow(1, 0, 5).unwrap()).unwrap(), (None, 4)));
        assert!(matches!(dense_run(&layers[4..], &store, "s", 4, &x).unwrap(), (None, 0)));
        let fused = seq.forward(&store, "s", &x, true).unwrap();
        let mut plain = x.clone();
        for (i, layer) in layers.iter().enumerate() {
            plain = layer.forward(&store, &format!("s.{i}"), &plain, true).unwrap();
        }
        assert_close(&fused, &plain, 3e-5, "value");
        let gf = fused.sqr().unwrap().sum_all().unwrap().backward().unwrap();
        let gp = plain.sqr().unwrap().sum_all().unwrap().backward().unwrap();
        for (name, v) in store.params() {
            assert_close(gf.get(v).unwrap(), gp.get(v).unwrap(), 3e-5, name);
        }
    }

    /// A group norm followed by SiLU runs as the fused op and equals the two layers one by one,
    /// on images and on `[N, C, L]` sequences; a wrong channel count names the layer.
    #[test]
    fn group_norm_then_silu_equals_the_two_layers() {
        crate::tensor::rng::seed(6);
        let layers = vec![LayerSpec::GroupNorm { groups: 2, channels: 6 }, LayerSpec::Activation { act: Act::Silu }];
        let seq = LayerSpec::Sequential { layers: layers.clone() };
        let mut store = ParamStore::new();
        seq.init(&mut store, "", &Placement { dtype: DType::F32, device: Device::Cpu }).unwrap();
        for (_, v) in store.params() {
            v.set(&Tensor::randn(0.5f32, 0.5, v.shape(), &Device::Cpu).unwrap()).unwrap();
        }
        for dims in [&[5, 6, 3, 4][..], &[5, 6, 7]] {
            let x = candle_core::Var::from_tensor(&Tensor::randn(0f32, 1.0, dims, &Device::Cpu).unwrap()).unwrap();
            let fused = seq.forward(&store, "", &x, true).unwrap();
            let norm = layers[0].forward(&store, "0", &x, true).unwrap();
            let plain = layers[1].forward(&store, "1", &norm, true).unwrap();
            assert_close(&fused, &plain, 3e-5, "value");
            let gf = fused.sqr().unwrap().sum_all().unwrap().backward().unwrap();
            let gp = plain.sqr().unwrap().sum_all().unwrap().backward().unwrap();
            assert_close(gf.get(&x).unwrap(), gp.get(&x).unwrap(), 3e-5, "d x");
            for (name, v) in store.params() {
                assert_close(gf.get(v).unwrap(), gp.get(v).unwrap(), 3e-5, name);
            }
        }
        let wrong = Tensor::zeros((2, 4, 3, 3), DType::F32, &Device::Cpu).unwrap();
        let err = seq.forward(&store, "", &wrong, true).unwrap_err().message().to_string();
        assert!(
            err.contains("group_norm(2 groups, 6 channels): expected [N, 6, ...], got input [2, 4, 3, 3]"),
            "{err}"
        );
    }
}
