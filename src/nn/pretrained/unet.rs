//! The forward pass of a diffusers `UNet2DModel` (the DDPM UNet of Ho et al. 2020 as
//! diffusers lays it out: `unet_2d.py`, `unet_2d_blocks.py`, `resnet.py`), built from
//! difflab's layer structs over the names of [`super::layout`], so the fused CPU kernels
//! run its residual blocks, attention, norms and convolutions.

use super::config::UnetConfig;
use crate::error::Result;
use crate::nn::cpu::elementwise::cpu_f32_images;
use crate::nn::cpu::upsample;
use crate::nn::layer::conv::Conv2d;
use crate::nn::layer::linear::Linear;
use crate::nn::layer::norm::GroupNorm;
use crate::nn::layer::res_block::ResBlock;
use crate::nn::params::ParamStore;
use crate::nn::unet::attention_block::AttentionBlock;
use candle_core::{DType, Tensor};

/// diffusers' sinusoidal timestep embedding (`get_timestep_embedding`, after DDPM's): for
/// `half = dim/2` frequencies `f_i = exp(−ln(10⁴) · i / (half − shift))` (made in `f32` as
/// diffusers makes them), `[sin(t f), cos(t f)]`, or `[cos, sin]` with `flip`; `t` is `[N]`.
pub fn timestep_embedding(t: &Tensor, dim: usize, flip: bool, shift: f64) -> Result<Tensor> {
    let half = dim / 2;
    let freqs: Vec<f32> =
        (0..half).map(|i| (-(10000f32.ln()) * i as f32 / (half as f64 - shift) as f32).exp()).collect();
    let freqs = Tensor::from_vec(freqs, (1, half), t.device())?;
    let args = t.to_dtype(DType::F32)?.unsqueeze(1)?.broadcast_mul(&freqs)?;
    let (sin, cos) = (args.sin()?, args.cos()?);
    let emb = if flip { Tensor::cat(&[cos, sin], 1)? } else { Tensor::cat(&[sin, cos], 1)? };
    if dim % 2 == 1 {
        return Ok(emb.pad_with_zeros(1, 0, 1)?);
    }
    Ok(emb)
}

impl UnetConfig {
    /// The raw output `[N, out, S, S]` for images `x` (`[N, in, S, S]`) at the model's own
    /// timesteps `t` (`[N]` or `[1]`, floats in `0..T`), with class `labels` (`[N]` integers)
    /// for a class-conditional model.
    pub fn forward(&self, store: &ParamStore, x: &Tensor, t: &Tensor, labels: Option<&Tensor>) -> Result<Tensor> {
        let (s, n) = (self.sample_size, x.dim(0).unwrap_or(0));
        if x.rank() != 4 || x.dims()[1..] != [self.in_channels, s, s] {
            crate::bail!("the model takes [N, {}, {s}, {s}] images, got {:?}", self.in_channels, x.dims());
        }
        let x = if self.center_input_sample { ((x * 2.0)? - 1.0)? } else { x.clone() };
        let t = crate::nn::functional::per_example(t, n, DType::F32)?;
        let first = self.block_out_channels[0];
        let sinus = timestep_embedding(&t, first, self.flip_sin_to_cos, self.freq_shift)?.to_dtype(x.dtype())?;
        let h = Linear::at(store, "time_embedding.linear_1")?.forward(&sinus)?.silu()?;
        let mut temb = Linear::at(store, "time_embedding.linear_2")?.forward(&h)?;
        match (self.num_class_embeds, labels) {
            (Some(_), Some(labels)) => {
                let table = store.get("class_embedding.weight")?;
                temb = (temb + crate::nn::embed::class_rows(&table, Some(labels), n, false)?)?
            }
            (Some(classes), None) => crate::bail!(
                "the model is class-conditional ({classes} classes): give class labels (den.with_labels(labels), or net.forward(x, t, labels))"
            ),
            (None, Some(_)) => crate::bail!("the model has no class embedding: give no labels"),
            (None, None) => {}
        }
        let block = Blocks { store, config: self, temb: &temb };
        let mut h = Conv2d::same(store, "conv_in", 1)?.forward(&x)?;
        let mut skips = vec![h.clone()];
        let levels = self.block_out_channels.len();
        for i in 0..levels {
            for j in 0..self.layers_per_block {
                h = block.resnet(&format!("down_blocks.{i}.resnets.{j}"), &[&h])?;
                if self.down_attention[i] {
                    h = block.attention(&format!("down_blocks.{i}.attentions.{j}"), &h, Some(self.norm_num_groups))?;
                }
                skips.push(h.clone());
            }
            if i + 1 < levels {
                h = self.downsample(store, &format!("down_blocks.{i}.downsamplers.0.conv"), &h)?;
                skips.push(h.clone());
            }
        }
        h = block.resnet("mid_block.resnets.0", &[&h])?;
        if self.add_attention {
            h = block.attention("mid_block.attentions.0", &h, self.mid_attention_groups)?;
        }
        h = block.resnet("mid_block.resnets.1", &[&h])?;
        for i in 0..levels {
            for j in 0..=self.layers_per_block {
                let skip = skips.pop().expect("one skip per block on the way down");
                h = block.resnet(&format!("up_blocks.{i}.resnets.{j}"), &[&h, &skip])?;
                if self.up_attention[i] {
                    h = block.attention(&format!("up_blocks.{i}.attentions.{j}"), &h, Some(self.norm_num_groups))?;
                }
            }
            if i + 1 < levels {
                let (_, _, hh, ww) = h.dims4()?;
                let up =
                    if cpu_f32_images(&h) { upsample::upsample2(&h)? } else { h.upsample_nearest2d(hh * 2, ww * 2)? };
                h = Conv2d::same(store, &format!("up_blocks.{i}.upsamplers.0.conv"), 1)?.forward(&up)?;
            }
        }
        let out_norm = GroupNorm::with_eps(store, "conv_norm_out", self.norm_num_groups, self.norm_eps)?;
        Conv2d::same(store, "conv_out", 1)?.forward(&out_norm.forward_silu(&h)?)
    }

    /// The stride-2 convolution at `p`; with padding 0, one row and column of zeros are added
    /// on the right and bottom first (diffusers' `Downsample2D`).
    fn downsample(&self, store: &ParamStore, p: &str, h: &Tensor) -> Result<Tensor> {
        if self.downsample_padding == 0 {
            let padded = h.pad_with_zeros(2, 0, 1)?.pad_with_zeros(3, 0, 1)?;
            return Conv2d::at(store, p, 2, 0)?.forward(&padded);
        }
        Conv2d::at(store, p, 2, self.downsample_padding)?.forward(h)
    }
}

/// The blocks of one forward pass: their weights and the time embedding they share.
struct Blocks<'a> {
    store: &'a ParamStore,
    config: &'a UnetConfig,
    temb: &'a Tensor,
}

impl Blocks<'_> {
    /// The residual block at `p` on the channels of `parts`.
    fn resnet(&self, p: &str, parts: &[&Tensor]) -> Result<Tensor> {
        let c = self.config;
        let block = ResBlock::with_groups(self.store, p, c.norm_num_groups, c.norm_eps)?;
        if c.scale_shift {
            return block.forward_scale_shift(parts, self.temb);
        }
        block.forward(parts, Some(self.temb), 0.0)
    }

    /// The attention block at `p` over `h`, its norm of `groups` groups (none for `None`).
    fn attention(&self, p: &str, h: &Tensor, groups: Option<usize>) -> Result<Tensor> {
        let c = self.config;
        let heads = c.heads(h.dim(1)?);
        AttentionBlock::with_heads(self.store, p, groups.map(|g| (g, c.norm_eps)), heads)?.forward(h)
    }
}
