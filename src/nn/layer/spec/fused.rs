//! Residual patterns of composed layers that run as one fused CPU op, so a network composed
//! in a script trains as fast as the built-in UNet made of the same blocks:
//!
//! - `residual(sequential([group_norm(g, C), attention(C, heads)]))`, the pre-norm attention
//!   block over an image's pixels, runs as [`crate::nn::cpu::attention`];
//! - `residual(...)` of group norm, SiLU, 3×3 convolution, group norm, SiLU, 3×3 convolution
//!   (`C` channels throughout, "same" padding; nested sequentials allowed) runs as
//!   [`crate::nn::cpu::res_block`] with the first convolution's own bias.
//!
//! Both give the value and gradients of the layers one by one, to `f32` rounding; any other
//! residual, and these on other devices or dtypes, runs layer by layer.

use super::LayerSpec;
use crate::error::Result;
use crate::nn::act::Act;
use crate::nn::cpu::attention::{attention, AttentionWeights};
use crate::nn::cpu::elementwise::cpu_f32_images;
use crate::nn::cpu::group_norm::EPS;
use crate::nn::cpu::res_block::{res_block, ResBlockWeights};
use crate::nn::params::{child, ParamStore};
use candle_core::Tensor;

/// `x + inner(x)` as one fused op, where `inner` (its parameters under `path`) is one of the
/// patterns above and `x` is an `f32` CPU image batch it fits; `None` otherwise.
pub fn residual(inner: &LayerSpec, store: &ParamStore, path: &str, x: &Tensor) -> Result<Option<Tensor>> {
    if !cpu_f32_images(x) {
        return Ok(None);
    }
    let mut flat = Vec::new();
    flatten(inner, path.to_string(), &mut flat);
    let specs: Vec<&LayerSpec> = flat.iter().map(|(s, _)| *s).collect();
    let get = |i: usize, name: &str| store.get(&child(&flat[i].1, name));
    let channels = x.dim(1)?;
    match specs[..] {
        [LayerSpec::GroupNorm { groups, channels: c }, LayerSpec::Attention { features, heads }]
            if *c == channels && *features == channels =>
        {
            let (norm_w, norm_b) = (get(0, "weight")?, get(0, "bias")?);
            // the layer applies x @ W ([C, 3C]); the kernel takes W as a 1×1 convolution, [3C, C]
            let qkv = (get(1, "qkv.weight")?.t()?.contiguous()?, get(1, "qkv.bias")?);
            let proj = (get(1, "out.weight")?.t()?.contiguous()?, get(1, "out.bias")?);
            let weights = AttentionWeights {
                norm: (&norm_w, &norm_b, *groups),
                qkv: (&qkv.0, &qkv.1),
                proj: (&proj.0, &proj.1),
                heads: *heads,
                eps: EPS,
            };
            Ok(Some(attention(&weights, x)?))
        }
        [LayerSpec::GroupNorm { groups: g1, channels: c1 }, LayerSpec::Activation { act: Act::Silu }, conv1, LayerSpec::GroupNorm { groups: g2, channels: c2 }, LayerSpec::Activation { act: Act::Silu }, conv2]
            if *c1 == channels && *c2 == channels && same_3x3(conv1, channels) && same_3x3(conv2, channels) =>
        {
            let (n1w, n1b, n2w, n2b) = (get(0, "weight")?, get(0, "bias")?, get(3, "weight")?, get(3, "bias")?);
            let (w1, b1, w2, b2) = (get(2, "weight")?, get(2, "bias")?, get(5, "weight")?, get(5, "bias")?);
            let weights = ResBlockWeights {
                norm1: (&n1w, &n1b, *g1),
                conv1: &w1,
                norm2: (&n2w, &n2b, *g2),
                conv2: (&w2, &b2),
                skip: None,
                eps: EPS,
            };
            let bias = b1.unsqueeze(0)?.broadcast_as((x.dim(0)?, channels))?;
            Ok(Some(res_block(&weights, &[x], &bias)?))
        }
        _ => Ok(None),
    }
}

/// Whether `spec` is a 3×3 convolution from `c` to `c` channels, stride 1, padding 1, ungrouped.
fn same_3x3(spec: &LayerSpec, c: usize) -> bool {
    matches!(spec, LayerSpec::Conv2d { inputs, outputs, kernel: 3, stride: 1, padding: 1, groups: 1 }
        if *inputs == c && *outputs == c)
}

/// The layers of `spec` in the order they run, sequentials opened, with their parameter paths.
fn flatten<'a>(spec: &'a LayerSpec, path: String, out: &mut Vec<(&'a LayerSpec, String)>) {
    match spec {
        LayerSpec::Sequential { layers } => {
            for (i, layer) in layers.iter().enumerate() {
                flatten(layer, child(&path, &i.to_string()), out);
            }
        }
        other => out.push((other, path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::cpu::op_testing::assert_close;
    use crate::tensor::create::Placement;
    use candle_core::{DType, Device, Var};

    /// `residual(inner)`'s fused output and gradients against `x + inner(x)` layer by layer.
    fn fused_equals_layers(inner: LayerSpec, x_dims: &[usize]) {
        let mut store = ParamStore::new();
        inner.init(&mut store, "r.inner", &Placement { dtype: DType::F32, device: Device::Cpu }).unwrap();
        for (_, v) in store.params() {
            v.set(&Tensor::randn(0f32, 0.4, v.shape(), &Device::Cpu).unwrap()).unwrap();
        }
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, x_dims, &Device::Cpu).unwrap()).unwrap();
        let fused = residual(&inner, &store, "r.inner", &x).unwrap().expect("the pattern is fused");
        let plain = (x.as_tensor() + inner.forward(&store, "r.inner", &x, false).unwrap()).unwrap();
        assert_close(&fused, &plain, 3e-5, "value");
        let weights = Tensor::randn(0f32, 1.0, fused.dims(), &Device::Cpu).unwrap();
        let gf = (&fused * &weights).unwrap().sum_all().unwrap().backward().unwrap();
        let gp = (&plain * &weights).unwrap().sum_all().unwrap().backward().unwrap();
        assert_close(gf.get(&x).unwrap(), gp.get(&x).unwrap(), 3e-5, "d x");
        for (name, v) in store.params() {
            assert_close(gf.get(v).unwrap(), gp.get(v).unwrap(), 3e-5, name);
        }
    }

    #[test]
    fn pre_norm_attention_over_pixels_equals_its_layers_with_one_head_or_several() {
        crate::tensor::rng::seed(11);
        for heads in [1, 4] {
            let inner = LayerSpec::Sequential {
                layers: vec![
                    LayerSpec::GroupNorm { groups: 4, channels: 16 },
                    LayerSpec::Attention { features: 16, heads },
                ],
            };
            fused_equals_layers(inner, &[19, 16, 3, 5]);
        }
    }

    #[test]
    fn a_residual_of_two_norm_silu_conv_blocks_equals_its_layers() {
        crate::tensor::rng::seed(12);
        let conv = LayerSpec::Conv2d { inputs: 8, outputs: 8, kernel: 3, stride: 1, padding: 1, groups: 1 };
        let block = |groups| LayerSpec::Sequential {
            layers: vec![
                LayerSpec::GroupNorm { groups, channels: 8 },
                LayerSpec::Activation { act: Act::Silu },
                conv.clone(),
            ],
        };
        fused_equals_layers(LayerSpec::Sequential { layers: vec![block(2), block(4)] }, &[18, 8, 6, 5]);
    }

    /// Near misses run layer by layer: another padding, another activation, a channel count
    /// the input does not have, a tensor that is not an f32 image batch.
    #[test]
    fn other_residuals_are_not_fused() {
        let mut store = ParamStore::new();
        let at = Placement { dtype: DType::F32, device: Device::Cpu };
        let seq = |layers| LayerSpec::Sequential { layers };
        let norm = LayerSpec::GroupNorm { groups: 2, channels: 8 };
        let conv = |padding| LayerSpec::Conv2d { inputs: 8, outputs: 8, kernel: 3, stride: 1, padding, groups: 1 };
        let act = |act| LayerSpec::Activation { act };
        let x = Tensor::zeros((2, 8, 4, 4), DType::F32, &Device::Cpu).unwrap();
        let misses = [
            seq(vec![norm.clone(), act(Act::Silu), conv(0), norm.clone(), act(Act::Silu), conv(1)]),
            seq(vec![norm.clone(), act(Act::Relu), conv(1), norm.clone(), act(Act::Silu), conv(1)]),
            seq(vec![LayerSpec::GroupNorm { groups: 2, channels: 4 }, LayerSpec::Attention { features: 4, heads: 1 }]),
        ];
        for (i, inner) in misses.iter().enumerate() {
            let path = format!("m{i}");
            inner.init(&mut store, &path, &at).unwrap();
            assert!(residual(inner, &store, &path, &x).unwrap().is_none(), "{}", inner.signature());
        }
        let attn = seq(vec![norm, LayerSpec::Attention { features: 8, heads: 2 }]);
        attn.init(&mut store, "a", &at).unwrap();
        assert!(residual(&attn, &store, "a", &x).unwrap().is_some());
        assert!(residual(&attn, &store, "a", &x.to_dtype(DType::F64).unwrap()).unwrap().is_none());
    }
}
