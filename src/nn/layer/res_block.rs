//! The UNet's residual block (Ho et al. 2020): group norm, SiLU, 3×3 convolution plus the
//! block's projection of an embedding (the time embedding, where the block has one), group
//! norm, SiLU, dropout, 3×3 convolution, added to the input (through a 1×1 convolution where
//! the channel count changes). The built-in UNet is made of these, and scripts compose with
//! them as `res_block(..)`. On `f32` CPU images without dropout it runs as one fused op
//! ([`crate::nn::cpu::res_block`]).

use crate::error::Result;
use crate::nn::cpu::elementwise::cpu_f32_images;
use crate::nn::cpu::res_block::{self, ResBlockWeights};
use crate::nn::functional::dropout;
use crate::nn::layer::conv::Conv2d;
use crate::nn::layer::linear::Linear;
use crate::nn::layer::norm::{self, GroupNorm};
use crate::nn::params::{child, Init, ParamStore};
use crate::tensor::create::Placement;
use candle_core::Tensor;

/// A residual block over the parameter path `p`: `p.norm1`, `p.conv1`, `p.temb` (where it
/// takes an embedding), `p.norm2`, `p.conv2` and, where the channel count changes, `p.skip`.
pub struct ResBlock {
    norm1: GroupNorm,
    conv1: Conv2d,
    temb: Option<Linear>,
    norm2: GroupNorm,
    conv2: Conv2d,
    skip: Option<Conv2d>,
}

impl ResBlock {
    /// Creates the parameters of a block from `cin` to `cout` channels, with the projection
    /// of a `temb`-wide embedding when given (zero at the start, as in DDPM's code).
    pub fn init(
        store: &mut ParamStore,
        p: &str,
        (cin, cout): (usize, usize),
        temb: Option<usize>,
        at: &Placement,
    ) -> Result<()> {
        norm::init(store, &child(p, "norm1"), cin, at)?;
        Conv2d::init(store, &child(p, "conv1"), (cin, cout, 3), 1, at)?;
        if let Some(temb) = temb {
            Linear::init(store, &child(p, "temb"), (temb, cout), Some(Init::Zeros), at)?;
        }
        norm::init(store, &child(p, "norm2"), cout, at)?;
        Conv2d::init(store, &child(p, "conv2"), (cout, cout, 3), 1, at)?;
        if cin != cout {
            Conv2d::init(store, &child(p, "skip"), (cin, cout, 1), 1, at)?;
        }
        Ok(())
    }

    /// The block at `p`, its norms with the built-in networks' group count for their channels.
    pub fn at(store: &ParamStore, p: &str) -> Result<Self> {
        let (norm1, norm2) =
            (GroupNorm::standard(store, &child(p, "norm1"))?, GroupNorm::standard(store, &child(p, "norm2"))?);
        Self::with_norms(store, p, norm1, norm2)
    }

    /// The block at `p` with `groups` groups in both norms, each adding `eps` to its
    /// groups' variances (a pretrained model's norms).
    pub fn with_groups(store: &ParamStore, p: &str, groups: usize, eps: f64) -> Result<Self> {
        let norm = |name| GroupNorm::with_eps(store, &child(p, name), groups, eps);
        Self::with_norms(store, p, norm("norm1")?, norm("norm2")?)
    }

    fn with_norms(store: &ParamStore, p: &str, norm1: GroupNorm, norm2: GroupNorm) -> Result<Self> {
        let (skip, temb) = (child(p, "skip"), child(p, "temb"));
        Ok(Self {
            norm1,
            conv1: Conv2d::same(store, &child(p, "conv1"), 1)?,
            temb: if store.has(&child(&temb, "weight")) { Some(Linear::at(store, &temb)?) } else { None },
            norm2,
            conv2: Conv2d::same(store, &child(p, "conv2"), 1)?,
            skip: if store.has(&child(&skip, "weight")) { Some(Conv2d::same(store, &skip, 1)?) } else { None },
        })
    }

    /// The block with the embedding's projection read as a scale and a shift of the second
    /// norm, `norm2(h) · (1 + scale) + shift`, instead of a term added before it (the
    /// "scale_shift" time embedding of improved DDPM, Nichol & Dhariwal 2021, as diffusers'
    /// `ResnetBlock2D` has it); separate ops, for sampling.
    pub fn forward_scale_shift(&self, parts: &[&Tensor], temb: &Tensor) -> Result<Tensor> {
        let Some(proj) = &self.temb else { crate::bail!("a scale-shift block needs an embedding projection") };
        let x = Tensor::cat(parts, 1)?;
        let cout = self.conv1.bias.elem_count();
        let both = proj.forward(&temb.silu()?)?;
        let (n, _, _, _) = x.dims4()?;
        let scale = (both.narrow(1, 0, cout)? + 1.0)?.reshape((n, cout, 1, 1))?;
        let shift = both.narrow(1, cout, cout)?.reshape((n, cout, 1, 1))?;
        let h = self.conv1.forward(&self.norm1.forward_silu(&x)?)?;
        let h = self.norm2.forward(&h)?.broadcast_mul(&scale)?.broadcast_add(&shift)?.silu()?;
        let h = self.conv2.forward(&h)?;
        let skip = match &self.skip {
            Some(conv) => conv.forward(&x)?,
            None => x,
        };
        Ok((skip + h)?)
    }

    /// The block on the channels of `parts` one after the other (the input, or the upward
    /// path and its skip connection) with the embedding `temb` (`[N, E]`, SiLU applied here)
    /// and dropout `drop`. A block with an embedding projection needs `temb`; one without
    /// takes none.
    pub fn forward(&self, parts: &[&Tensor], temb: Option<&Tensor>, drop: f64) -> Result<Tensor> {
        let n = parts[0].dim(0)?;
        // the embedding's term joins conv1's bias, one per image
        let bias = match (&self.temb, temb) {
            (Some(proj), Some(temb)) => proj.forward(&temb.silu()?)?.broadcast_add(&self.conv1.bias)?,
            (None, None) => self.conv1.bias.unsqueeze(0)?.broadcast_as((n, self.conv1.bias.elem_count()))?,
            (Some(_), None) => crate::bail!("the block adds an embedding: give it as forward(x, embedding)"),
            (None, Some(_)) => {
                crate::bail!("the block has no embedding projection (make it with the embedding option)")
            }
        };
        if drop <= 0.0 && parts.iter().all(|x| cpu_f32_images(x)) {
            return res_block::res_block(&self.weights(), parts, &bias);
        }
        self.forward_ops(&Tensor::cat(parts, 1)?, &bias, drop)
    }

    /// The weights as the fused kernel takes them.
    fn weights(&self) -> ResBlockWeights<'_> {
        let (n1, n2) = (&self.norm1, &self.norm2);
        ResBlockWeights {
            norm1: (&n1.weight, &n1.bias, n1.groups),
            conv1: &self.conv1.weight,
            norm2: (&n2.weight, &n2.bias, n2.groups),
            conv2: (&self.conv2.weight, &self.conv2.bias),
            skip: self.skip.as_ref().map(|s| (&s.weight, &s.bias)),
            eps: n1.eps,
        }
    }

    /// [`ResBlock::forward`] as separate ops, with dropout; `bias` (`[N, O]`) is conv1's, one
    /// per image.
    fn forward_ops(&self, x: &Tensor, bias: &Tensor, drop: f64) -> Result<Tensor> {
        let h = self.conv1.forward_with_bias(&self.norm1.forward_silu(x)?, bias)?;
        let h = self.conv2.forward(&dropout(&self.norm2.forward_silu(&h)?, drop)?)?;
        let skip = match &self.skip {
            Some(conv) => conv.forward(x)?,
            None => x.clone(),
        };
        Ok((skip + h)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::cpu::op_testing::assert_close;
    use candle_core::{DType, Device, Var};

    /// A residual block's parameters, all random (so the norms' scales and shifts are tested
    /// too), with `cin` input and `cout` output channels.
    fn random_block(cin: usize, cout: usize) -> ParamStore {
        let mut store = ParamStore::new();
        ResBlock::init(&mut store, "b", (cin, cout), Some(4), &Placement { dtype: DType::F32, device: Device::Cpu })
            .unwrap();
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
            let fused = res_block::res_block(&ResBlock::at(&store, "b").unwrap().weights(), &inputs, &bias).unwrap();
            let plain =
                ResBlock::at(&store, "b").unwrap().forward_ops(&Tensor::cat(&inputs, 1).unwrap(), &bias, 0.0).unwrap();
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
        assert!(res_block::res_block(&ResBlock::at(&store, "b").unwrap().weights(), &[&x], &wrong)
            .unwrap_err()
            .message()
            .contains("does not fit"));
        let small = Tensor::zeros((2, 4, 2, 2), DType::F32, &Device::Cpu).unwrap();
        assert!(res_block::res_block(&ResBlock::at(&store, "b").unwrap().weights(), &[&x, &small], &wrong)
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
                let g = res_block::res_block(&ResBlock::at(&store, "b").unwrap().weights(), &[&x, &skip], &bias)
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
}
