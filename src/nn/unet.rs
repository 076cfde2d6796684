//! A small UNet denoiser for images up to 32×32, after DDPM's (Ho et al. 2020):
//! residual blocks with group norm and a time embedding, self-attention at
//! chosen resolutions, strided-convolution downsampling and nearest-neighbour
//! upsampling, skip connections between the two paths.

use super::embed::{init_time_mlp, time_mlp, TimeInput};
use super::fused_act::cpu_f32_images;
use super::layers::{conv2d, dropout, group_norm, group_norm_silu, groups_for, linear, per_example};
use super::params::{Init, ParamStore};
use super::{attention_cpu, res_block_cpu, upsample_cpu};
use crate::error::Result;
use crate::tensor::create::Placement;
use candle_core::{Tensor, D};
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
        conv_params(store, "conv_in", self.image[0], ch, 3, at)?;
        let mut skips = vec![ch];
        let mut cur = ch;
        let resolutions = self.resolutions();
        for (l, &m) in self.mults.iter().enumerate() {
            for r in 0..self.res_blocks {
                res_params(store, &format!("down.{l}.{r}"), cur, ch * m, self.temb_dim(), at)?;
                cur = ch * m;
                if self.attention_at.contains(&resolutions[l]) {
                    attn_params(store, &format!("down.{l}.{r}.attn"), cur, at)?;
                }
                skips.push(cur);
            }
            if l + 1 < self.mults.len() {
                conv_params(store, &format!("down.{l}.down"), cur, cur, 3, at)?;
                skips.push(cur);
            }
        }
        res_params(store, "mid.0", cur, cur, self.temb_dim(), at)?;
        attn_params(store, "mid.attn", cur, at)?;
        res_params(store, "mid.1", cur, cur, self.temb_dim(), at)?;
        for (l, &m) in self.mults.iter().enumerate().rev() {
            for r in 0..=self.res_blocks {
                let skip = skips.pop().expect("one skip per block on the way down");
                res_params(store, &format!("up.{l}.{r}"), cur + skip, ch * m, self.temb_dim(), at)?;
                cur = ch * m;
                if self.attention_at.contains(&resolutions[l]) {
                    attn_params(store, &format!("up.{l}.{r}.attn"), cur, at)?;
                }
            }
            if l > 0 {
                conv_params(store, &format!("up.{l}.up"), cur, cur, 3, at)?;
            }
        }
        norm_params(store, "out.norm", cur, at)?;
        store.param("out.conv.weight", &[self.image[0], cur, 3, 3], Init::Zeros, at)?;
        store.param("out.conv.bias", &[self.image[0]], Init::Zeros, at)?;
        Ok(())
    }

    /// The output `[N, C, H, W]` for images `x` at noise levels `c`; `train` enables dropout.
    pub fn forward(&self, store: &ParamStore, x: &Tensor, c: &Tensor, train: bool) -> Result<Tensor> {
        let want = self.image;
        let dims = x.dims();
        if dims.len() != 4 || dims[1..] != want {
            crate::bail!("the UNet takes [N, {}, {}, {}] images, got {dims:?}", want[0], want[1], want[2]);
        }
        let c = per_example(c, dims[0], x.dtype())?;
        let temb = time_mlp(store, "time", self.time_embed, &c, self.channels)?;
        let p = if train { self.dropout } else { 0.0 };
        let resolutions = self.resolutions();
        let mut h = conv(store, "conv_in", x, 1)?;
        let mut skips = vec![h.clone()];
        for (l, _) in self.mults.iter().enumerate() {
            for r in 0..self.res_blocks {
                h = res_block(store, &format!("down.{l}.{r}"), &[&h], &temb, p)?;
                if self.attention_at.contains(&resolutions[l]) {
                    h = attention(store, &format!("down.{l}.{r}.attn"), &h)?;
                }
                skips.push(h.clone());
            }
            if l + 1 < self.mults.len() {
                h = conv(store, &format!("down.{l}.down"), &h, 2)?;
                skips.push(h.clone());
            }
        }
        h = res_block(store, "mid.0", &[&h], &temb, p)?;
        h = attention(store, "mid.attn", &h)?;
        h = res_block(store, "mid.1", &[&h], &temb, p)?;
        for (l, _) in self.mults.iter().enumerate().rev() {
            for r in 0..=self.res_blocks {
                let skip = skips.pop().expect("one skip per block on the way down");
                h = res_block(store, &format!("up.{l}.{r}"), &[&h, &skip], &temb, p)?;
                if self.attention_at.contains(&resolutions[l]) {
                    h = attention(store, &format!("up.{l}.{r}.attn"), &h)?;
                }
            }
            if l > 0 {
                let (_, _, hh, ww) = h.dims4()?;
                let up = if cpu_f32_images(&h) {
                    upsample_cpu::upsample2(&h)?
                } else {
                    h.upsample_nearest2d(hh * 2, ww * 2)?
                };
                h = conv(store, &format!("up.{l}.up"), &up, 1)?;
            }
        }
        let h = norm_silu(store, "out.norm", &h)?;
        conv(store, "out.conv", &h, 1)
    }
}

fn conv_params(store: &mut ParamStore, prefix: &str, cin: usize, cout: usize, k: usize, at: &Placement) -> Result<()> {
    let init = Init::fan_in(cin * k * k);
    store.param(format!("{prefix}.weight"), &[cout, cin, k, k], init, at)?;
    store.param(format!("{prefix}.bias"), &[cout], init, at)
}

fn norm_params(store: &mut ParamStore, prefix: &str, ch: usize, at: &Placement) -> Result<()> {
    store.param(format!("{prefix}.weight"), &[ch], Init::Ones, at)?;
    store.param(format!("{prefix}.bias"), &[ch], Init::Zeros, at)
}

fn res_params(store: &mut ParamStore, p: &str, cin: usize, cout: usize, temb: usize, at: &Placement) -> Result<()> {
    norm_params(store, &format!("{p}.norm1"), cin, at)?;
    conv_params(store, &format!("{p}.conv1"), cin, cout, 3, at)?;
    store.param(format!("{p}.temb.weight"), &[temb, cout], Init::fan_in(temb), at)?;
    store.param(format!("{p}.temb.bias"), &[cout], Init::Zeros, at)?;
    norm_params(store, &format!("{p}.norm2"), cout, at)?;
    conv_params(store, &format!("{p}.conv2"), cout, cout, 3, at)?;
    if cin != cout {
        conv_params(store, &format!("{p}.skip"), cin, cout, 1, at)?;
    }
    Ok(())
}

fn attn_params(store: &mut ParamStore, p: &str, ch: usize, at: &Placement) -> Result<()> {
    norm_params(store, &format!("{p}.norm"), ch, at)?;
    conv_params(store, &format!("{p}.qkv"), ch, 3 * ch, 1, at)?;
    conv_params(store, &format!("{p}.proj"), ch, ch, 1, at)
}

fn conv(store: &ParamStore, p: &str, x: &Tensor, stride: usize) -> Result<Tensor> {
    let w = store.get(&format!("{p}.weight"))?;
    let padding = w.dim(2)? / 2;
    conv2d(x, &w, &store.get(&format!("{p}.bias"))?, stride, padding)
}

fn norm(store: &ParamStore, p: &str, x: &Tensor) -> Result<Tensor> {
    let groups = groups_for(x.dim(1)?);
    group_norm(x, groups, &store.get(&format!("{p}.weight"))?, &store.get(&format!("{p}.bias"))?)
}

/// SiLU of [`norm`].
fn norm_silu(store: &ParamStore, p: &str, x: &Tensor) -> Result<Tensor> {
    let groups = groups_for(x.dim(1)?);
    group_norm_silu(x, groups, &store.get(&format!("{p}.weight"))?, &store.get(&format!("{p}.bias"))?)
}

/// The residual block `p` on the channels of `parts` one after the other (the input, or the
/// upward path and its skip connection).
fn res_block(store: &ParamStore, p: &str, parts: &[&Tensor], temb: &Tensor, drop: f64) -> Result<Tensor> {
    // the time term joins conv1's bias, one per image
    let t = linear(&temb.silu()?, &store.get(&format!("{p}.temb.weight"))?, &store.get(&format!("{p}.temb.bias"))?)?;
    let bias = t.broadcast_add(&store.get(&format!("{p}.conv1.bias"))?)?;
    if drop <= 0.0 && parts.iter().all(|x| cpu_f32_images(x)) {
        return res_block_cpu::res_block(store, p, parts, &bias);
    }
    res_block_ops(store, p, &Tensor::cat(parts, 1)?, &bias, drop)
}

/// [`res_block`] as separate ops, with dropout; `bias` (`[N, O]`) is conv1's, one per image.
fn res_block_ops(store: &ParamStore, p: &str, x: &Tensor, bias: &Tensor, drop: f64) -> Result<Tensor> {
    let h =
        conv2d(&norm_silu(store, &format!("{p}.norm1"), x)?, &store.get(&format!("{p}.conv1.weight"))?, bias, 1, 1)?;
    let h = dropout(&norm_silu(store, &format!("{p}.norm2"), &h)?, drop)?;
    let h = conv(store, &format!("{p}.conv2"), &h, 1)?;
    let skip =
        if store.has(&format!("{p}.skip.weight")) { conv(store, &format!("{p}.skip"), x, 1)? } else { x.clone() };
    Ok((skip + h)?)
}

/// Single-head self-attention over the pixels, with a residual connection.
fn attention(store: &ParamStore, p: &str, x: &Tensor) -> Result<Tensor> {
    if cpu_f32_images(x) {
        return attention_cpu::attention(store, p, x);
    }
    attention_ops(store, p, x)
}

/// [`attention`] as separate ops.
fn attention_ops(store: &ParamStore, p: &str, x: &Tensor) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    let qkv = conv(store, &format!("{p}.qkv"), &norm(store, &format!("{p}.norm"), x)?, 1)?.reshape((n, 3, c, h * w))?;
    let q = qkv.narrow(1, 0, 1)?.squeeze(1)?;
    let k = qkv.narrow(1, 1, 1)?.squeeze(1)?;
    let v = qkv.narrow(1, 2, 1)?.squeeze(1)?;
    let scores = (q.transpose(1, 2)?.contiguous()?.matmul(&k.contiguous()?)? / (c as f64).sqrt())?;
    let weights = candle_nn::ops::softmax(&scores, D::Minus1)?;
    let out = v.contiguous()?.matmul(&weights.transpose(1, 2)?.contiguous()?)?.reshape((n, c, h, w))?;
    Ok((x + conv(store, &format!("{p}.proj"), &out, 1)?)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::op_testing::assert_close;
    use candle_core::{DType, Device, Var};

    /// A residual block's parameters, all random (so the norms' scales and shifts are tested
    /// too), with `cin` input and `cout` output channels.
    fn random_block(cin: usize, cout: usize) -> ParamStore {
        let mut store = ParamStore::new();
        res_params(&mut store, "b", cin, cout, 4, &Placement { dtype: DType::F32, device: Device::Cpu }).unwrap();
        for (_, v) in store.params() {
            v.set(&Tensor::randn(0f32, 0.5, v.shape(), &Device::Cpu).unwrap()).unwrap();
        }
        store
    }

    /// The fused residual block's value and every gradient against the separate ops, with the
    /// input passed through and with a 1×1 projection, over several blocks of images.
    #[test]
    fn fused_res_block_equals_the_separate_ops() {
        for (channels, cout, side, n) in [(vec![8], 8, 8, 20), (vec![4], 8, 6, 19), (vec![5, 3], 8, 4, 17)] {
            let cin: usize = channels.iter().sum();
            let store = random_block(cin, cout);
            let parts: Vec<Var> = channels
                .iter()
                .map(|&c| {
                    Var::from_tensor(&Tensor::randn(0f32, 1.0, (n, c, side, side), &Device::Cpu).unwrap()).unwrap()
                })
                .collect();
            let inputs: Vec<&Tensor> = parts.iter().map(|v| v.as_tensor()).collect();
            let bias = Var::from_tensor(&Tensor::randn(0f32, 1.0, (n, cout), &Device::Cpu).unwrap()).unwrap();
            let fused = res_block_cpu::res_block(&store, "b", &inputs, &bias).unwrap();
            let plain = res_block_ops(&store, "b", &Tensor::cat(&inputs, 1).unwrap(), &bias, 0.0).unwrap();
            let close = |a: &Tensor, b: &Tensor, what: &str| assert_close(a, b, 3e-5, &format!("{cin}→{cout} {what}"));
            close(&fused, &plain, "value");
            let weights = Tensor::randn(0f32, 1.0, fused.dims(), &Device::Cpu).unwrap();
            let gf = (fused * &weights).unwrap().sum_all().unwrap().backward().unwrap();
            let gp = (plain * &weights).unwrap().sum_all().unwrap().backward().unwrap();
            for (k, x) in parts.iter().enumerate() {
                close(gf.get(x).unwrap(), gp.get(x).unwrap(), &format!("d part {k}"));
            }
            close(gf.get(&bias).unwrap(), gp.get(&bias).unwrap(), "d bias");
            for (name, v) in store.params() {
                if !name.contains("temb") && name != "b.conv1.bias" {
                    close(gf.get(v).unwrap(), gp.get(v).unwrap(), name);
                }
            }
        }
        let store = random_block(4, 8);
        let x = Tensor::zeros((2, 4, 4, 4), DType::F32, &Device::Cpu).unwrap();
        let wrong = Tensor::zeros((2, 4), DType::F32, &Device::Cpu).unwrap();
        assert!(res_block_cpu::res_block(&store, "b", &[&x], &wrong).unwrap_err().message().contains("does not fit"));
        let small = Tensor::zeros((2, 4, 2, 2), DType::F32, &Device::Cpu).unwrap();
        assert!(res_block_cpu::res_block(&store, "b", &[&x, &small], &wrong)
            .unwrap_err()
            .message()
            .contains("of one size"));
    }

    /// The blocks of images depend on the batch size only, so the gradients are the same bit
    /// for bit on one thread and on several.
    #[test]
    fn fused_res_block_gradients_do_not_depend_on_the_thread_count() {
        let store = random_block(4, 8);
        let (x, skip) = (
            Tensor::randn(0f32, 1.0, (37, 3, 8, 8), &Device::Cpu).unwrap(),
            Tensor::randn(0f32, 1.0, (37, 1, 8, 8), &Device::Cpu).unwrap(),
        );
        let bias = Tensor::randn(0f32, 1.0, (37, 8), &Device::Cpu).unwrap();
        let grads = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let g = res_block_cpu::res_block(&store, "b", &[&x, &skip], &bias)
                    .unwrap()
                    .sqr()
                    .unwrap()
                    .sum_all()
                    .unwrap()
                    .backward()
                    .unwrap();
                store
                    .params()
                    .iter()
                    .filter_map(|(_, v)| g.get(v))
                    .map(|t| t.flatten_all().unwrap().to_vec1::<f32>().unwrap())
                    .collect::<Vec<_>>()
            })
        };
        let one = grads(1);
        assert_eq!(one.len(), 9);
        assert_eq!(one, grads(3));
    }

    /// The fused attention block's value and every gradient against the separate ops over
    /// several blocks of images, and its gradients bit for bit the same on 1 and 3 threads.
    #[test]
    fn fused_attention_equals_the_separate_ops_on_any_thread_count() {
        let mut store = ParamStore::new();
        attn_params(&mut store, "a", 8, &Placement { dtype: DType::F32, device: Device::Cpu }).unwrap();
        for (_, v) in store.params() {
            v.set(&Tensor::randn(0f32, 0.5, v.shape(), &Device::Cpu).unwrap()).unwrap();
        }
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (19, 8, 4, 5), &Device::Cpu).unwrap()).unwrap();
        let fused = attention_cpu::attention(&store, "a", &x).unwrap();
        let plain = attention_ops(&store, "a", &x).unwrap();
        assert_close(&fused, &plain, 3e-5, "value");
        let weights = Tensor::randn(0f32, 1.0, fused.dims(), &Device::Cpu).unwrap();
        let gf = (&fused * &weights).unwrap().sum_all().unwrap().backward().unwrap();
        let gp = (plain * &weights).unwrap().sum_all().unwrap().backward().unwrap();
        assert_close(gf.get(&x).unwrap(), gp.get(&x).unwrap(), 3e-5, "dx");
        for (name, v) in store.params() {
            assert_close(gf.get(v).unwrap(), gp.get(v).unwrap(), 3e-5, name);
        }
        let grads = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let g = attention_cpu::attention(&store, "a", &x)
                    .unwrap()
                    .sqr()
                    .unwrap()
                    .sum_all()
                    .unwrap()
                    .backward()
                    .unwrap();
                store
                    .params()
                    .iter()
                    .chain([&("x".to_string(), x.clone())])
                    .map(|(_, v)| g.get(v).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(grads(1), grads(3));
        let wrong = Tensor::zeros((2, 4, 4, 4), DType::F32, &Device::Cpu).unwrap();
        assert!(attention_cpu::attention(&store, "a", &wrong).unwrap_err().message().contains("does not fit"));
    }
}
