//! A small UNet denoiser for images up to 32×32, after DDPM's (Ho et al. 2020):
//! residual blocks with group norm and a time embedding, self-attention at
//! chosen resolutions, strided-convolution downsampling and nearest-neighbour
//! upsampling, skip connections between the two paths.

pub mod attention_block;

use super::cpu::elementwise::cpu_f32_images;
use super::cpu::upsample;
use super::embed::{class_rows, init_class_embedding, init_time_mlp, time_mlp, TimeInput};
use super::functional::per_example;
use super::layer::conv::Conv2d;
use super::layer::norm::{self, GroupNorm};
use super::layer::res_block::ResBlock;
use super::params::{Init, ParamStore};
use crate::error::Result;
use crate::tensor::create::Placement;
use attention_block::AttentionBlock;
use candle_core::Tensor;
use serde::{Deserialize, Serialize};

/// The shape of a UNet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnetConfig {
    /// Input and output `[C, H, W]`.
    pub image: [usize; 3],
    /// Base channel count.
    pub channels: usize,
    /// Channel multiplier of each resolution level (one level per entry).
    pub mults: Vec<usize>,
    /// Residual blocks per level on the way down (one more on the way up).
    pub res_blocks: usize,
    /// Resolutions (side lengths) with self-attention.
    pub attention_at: Vec<usize>,
    /// Dropout probability inside residual blocks (training only).
    pub dropout: f64,
    /// What the second input is.
    pub time_embed: TimeInput,
    /// The number of classes of a class-conditional UNet (its labels 0..classes−1, and
    /// `classes` the null label), whose embedding is added to the time embedding as in
    /// ADM (Dhariwal & Nichol 2021); `None` for an unconditional one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<usize>,
}

impl UnetConfig {
    /// The side lengths of the levels, from the input resolution down.
    fn resolutions(&self) -> Vec<usize> {
        (0..self.mults.len()).map(|l| self.image[1] >> l).collect()
    }

    /// Checks that the sizes fit together.
    pub fn validate(&self) -> Result<()> {
        let [c, h, w] = self.image;
        if c == 0 || h == 0 || w == 0 || h > 64 || w > 64 {
            crate::bail!("image must be [C, H, W] with sides between 1 and 64, got {:?}", self.image);
        }
        if self.mults.is_empty() || self.mults.contains(&0) || self.channels == 0 || self.res_blocks == 0 {
            crate::bail!("channels, res_blocks and every entry of mults must be >= 1");
        }
        if self.res_blocks > 64 || self.mults.len() > 7 || self.mults.iter().any(|&m| m > 64) || self.channels > 4096 {
            crate::bail!(
                "at most 4096 channels, 64 res_blocks, 7 levels and a multiplier of 64, got {} channels, {} res_blocks and mults {:?}",
                self.channels,
                self.res_blocks,
                self.mults
            );
        }
        let factor = 1 << (self.mults.len() - 1);
        if h % factor != 0 || w % factor != 0 {
            crate::bail!("{h}×{w} images cannot be halved {} times; use fewer entries in mults", self.mults.len() - 1);
        }
        let levels = self.resolutions();
        if let Some(r) = self.attention_at.iter().find(|r| !levels.contains(r)) {
            crate::bail!("attention_at {r} is not a resolution of this UNet; its resolutions are {levels:?}");
        }
        if matches!(self.classes, Some(k) if k == 0 || k > 1 << 20) {
            crate::bail!("classes must be from 1 to {}, got {}", 1 << 20, self.classes.unwrap_or(0));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            crate::bail!("dropout must be in [0, 1), got {}", self.dropout);
        }
        Ok(())
    }

    fn temb_dim(&self) -> usize {
        4 * self.channels
    }

    /// Creates the parameters.
    pub fn init(&self, store: &mut ParamStore, at: &Placement) -> Result<()> {
        self.validate()?;
        let ch = self.channels;
        init_time_mlp(store, "time", ch, self.temb_dim(), at)?;
        if let Some(classes) = self.classes {
            init_class_embedding(store, classes, self.temb_dim(), at)?;
        }
        Conv2d::init(store, "conv_in", (self.image[0], ch, 3), 1, at)?;
        let mut skips = vec![ch];
        let mut cur = ch;
        let resolutions = self.resolutions();
        for (l, &m) in self.mults.iter().enumerate() {
            for r in 0..self.res_blocks {
                ResBlock::init(store, &format!("down.{l}.{r}"), (cur, ch * m), Some(self.temb_dim()), at)?;
                cur = ch * m;
                if self.attention_at.contains(&resolutions[l]) {
                    AttentionBlock::init(store, &format!("down.{l}.{r}.attn"), cur, at)?;
                }
                skips.push(cur);
            }
            if l + 1 < self.mults.len() {
                Conv2d::init(store, &format!("down.{l}.down"), (cur, cur, 3), 1, at)?;
                skips.push(cur);
            }
        }
        ResBlock::init(store, "mid.0", (cur, cur), Some(self.temb_dim()), at)?;
        AttentionBlock::init(store, "mid.attn", cur, at)?;
        ResBlock::init(store, "mid.1", (cur, cur), Some(self.temb_dim()), at)?;
        for (l, &m) in self.mults.iter().enumerate().rev() {
            for r in 0..=self.res_blocks {
                let skip = skips.pop().expect("one skip per block on the way down");
                ResBlock::init(store, &format!("up.{l}.{r}"), (cur + skip, ch * m), Some(self.temb_dim()), at)?;
                cur = ch * m;
                if self.attention_at.contains(&resolutions[l]) {
                    AttentionBlock::init(store, &format!("up.{l}.{r}.attn"), cur, at)?;
                }
            }
            if l > 0 {
                Conv2d::init(store, &format!("up.{l}.up"), (cur, cur, 3), 1, at)?;
            }
        }
        norm::init(store, "out.norm", cur, at)?;
        store.param("out.conv.weight", &[self.image[0], cur, 3, 3], Init::Zeros, at)?;
        store.param("out.conv.bias", &[self.image[0]], Init::Zeros, at)?;
        Ok(())
    }

    /// The output `[N, C, H, W]` for images `x` at noise levels `c`, with class `labels` for a
    /// class-conditional UNet (`None`: the null label); `train` enables dropout.
    pub fn forward(
        &self,
        store: &ParamStore,
        x: &Tensor,
        c: &Tensor,
        labels: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor> {
        let want = self.image;
        let dims = x.dims();
        if dims.len() != 4 || dims[1..] != want {
            crate::bail!("the UNet takes [N, {}, {}, {}] images, got {dims:?}", want[0], want[1], want[2]);
        }
        let c = per_example(c, dims[0], x.dtype())?;
        let mut temb = time_mlp(store, "time", self.time_embed, &c, self.channels)?;
        if self.classes.is_some() {
            temb = (temb + class_rows(&store.get("class_embedding.weight")?, labels, dims[0], true)?)?;
        }
        let p = if train { self.dropout } else { 0.0 };
        let resolutions = self.resolutions();
        let mut h = Conv2d::same(store, "conv_in", 1)?.forward(x)?;
        let mut skips = vec![h.clone()];
        for (l, _) in self.mults.iter().enumerate() {
            for r in 0..self.res_blocks {
                h = ResBlock::at(store, &format!("down.{l}.{r}"))?.forward(&[&h], Some(&temb), p)?;
                if self.attention_at.contains(&resolutions[l]) {
                    h = AttentionBlock::at(store, &format!("down.{l}.{r}.attn"))?.forward(&h)?;
                }
                skips.push(h.clone());
            }
            if l + 1 < self.mults.len() {
                h = Conv2d::same(store, &format!("down.{l}.down"), 2)?.forward(&h)?;
                skips.push(h.clone());
            }
        }
        h = ResBlock::at(store, "mid.0")?.forward(&[&h], Some(&temb), p)?;
        h = AttentionBlock::at(store, "mid.attn")?.forward(&h)?;
        h = ResBlock::at(store, "mid.1")?.forward(&[&h], Some(&temb), p)?;
        for (l, _) in self.mults.iter().enumerate().rev() {
            for r in 0..=self.res_blocks {
                let skip = skips.pop().expect("one skip per block on the way down");
                h = ResBlock::at(store, &format!("up.{l}.{r}"))?.forward(&[&h, &skip], Some(&temb), p)?;
                if self.attention_at.contains(&resolutions[l]) {
                    h = AttentionBlock::at(store, &format!("up.{l}.{r}.attn"))?.forward(&h)?;
                }
            }
            if l > 0 {
                let (_, _, hh, ww) = h.dims4()?;
                let up =
                    if cpu_f32_images(&h) { upsample::upsample2(&h)? } else { h.upsample_nearest2d(hh * 2, ww * 2)? };
                h = Conv2d::same(store, &format!("up.{l}.up"), 1)?.forward(&up)?;
            }
        }
        let h = GroupNorm::standard(store, "out.norm")?.forward_silu(&h)?;
        Conv2d::same(store, "out.conv", 1)?.forward(&h)
    }
}
