//! The UNet's self-attention block (Ho et al. 2020): group norm, a 1×1 convolution to
//! queries, keys and values, single-head attention over the pixels, a 1×1 projection, added
//! to the input. On `f32` CPU images it runs as one fused op ([`crate::nn::cpu::attention`]).

use crate::error::Result;
use crate::nn::cpu::attention::{self, AttentionWeights};
use crate::nn::cpu::elementwise::cpu_f32_images;
use crate::nn::layer::conv::Conv2d;
use crate::nn::layer::norm::{self, GroupNorm};
use crate::nn::params::ParamStore;
use crate::tensor::create::Placement;
use candle_core::{Tensor, D};

/// An attention block over the parameter path `p`: `p.norm`, `p.qkv`, `p.proj`.
pub struct AttentionBlock {
    norm: GroupNorm,
    qkv: Conv2d,
    proj: Conv2d,
}

impl AttentionBlock {
    /// Creates the parameters of a block over `ch` channels.
    pub fn init(store: &mut ParamStore, p: &str, ch: usize, at: &Placement) -> Result<()> {
        norm::init(store, &format!("{p}.norm"), ch, at)?;
        Conv2d::init(store, &format!("{p}.qkv"), (ch, 3 * ch, 1), 1, at)?;
        Conv2d::init(store, &format!("{p}.proj"), (ch, ch, 1), 1, at)
    }

    /// The block at `p`.
    pub fn at(store: &ParamStore, p: &str) -> Result<Self> {
        Ok(Self {
            norm: GroupNorm::standard(store, &format!("{p}.norm"))?,
            qkv: Conv2d::same(store, &format!("{p}.qkv"), 1)?,
            proj: Conv2d::same(store, &format!("{p}.proj"), 1)?,
        })
    }

    /// `x + proj(attention(norm(x)))` for `x` of `[N, C, H, W]`: each pixel attends to every
    /// pixel of its image with weights `softmax(qᵀk / √C)`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if cpu_f32_images(x) {
            let n = &self.norm;
            let weights = AttentionWeights {
                norm: (&n.weight, &n.bias, n.groups),
                qkv: (&self.qkv.weight, &self.qkv.bias),
                proj: (&self.proj.weight, &self.proj.bias),
                heads: 1,
            };
            return attention::attention(&weights, x);
        }
        self.forward_ops(x)
    }

    /// [`AttentionBlock::forward`] as separate ops.
    fn forward_ops(&self, x: &Tensor) -> Result<Tensor> {
        let (n, c, h, w) = x.dims4()?;
        let qkv = self.qkv.forward(&self.norm.forward(x)?)?.reshape((n, 3, c, h * w))?;
        let q = qkv.narrow(1, 0, 1)?.squeeze(1)?;
        let k = qkv.narrow(1, 1, 1)?.squeeze(1)?;
        let v = qkv.narrow(1, 2, 1)?.squeeze(1)?;
        let scores = (q.transpose(1, 2)?.contiguous()?.matmul(&k.contiguous()?)? / (c as f64).sqrt())?;
        let weights = candle_nn::ops::softmax(&scores, D::Minus1)?;
        let out = v.contiguous()?.matmul(&weights.transpose(1, 2)?.contiguous()?)?.reshape((n, c, h, w))?;
        Ok((x + self.proj.forward(&out)?)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::cpu::op_testing::assert_close;
    use candle_core::{DType, Device, Var};

    /// The fused attention block's value and every gradient against the separate ops over
    /// several blocks of images, and its gradients bit for bit the same on 1 and 3 threads.
    #[test]
    fn fused_attention_equals_the_separate_ops_on_any_thread_count() {
        let mut store = ParamStore::new();
        AttentionBlock::init(&mut store, "a", 8, &Placement { dtype: DType::F32, device: Device::Cpu }).unwrap();
        for (_, v) in store.params() {
            v.set(&Tensor::randn(0f32, 0.5, v.shape(), &Device::Cpu).unwrap()).unwrap();
        }
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (19, 8, 4, 5), &Device::Cpu).unwrap()).unwrap();
        let fused = AttentionBlock::at(&store, "a").unwrap().forward(&x).unwrap();
        let plain = AttentionBlock::at(&store, "a").unwrap().forward_ops(&x).unwrap();
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
                let g = AttentionBlock::at(&store, "a")
                    .unwrap()
                    .forward(&x)
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
        assert!(AttentionBlock::at(&store, "a")
            .unwrap()
            .forward(&wrong)
            .unwrap_err()
            .message()
            .contains("does not fit"));
    }
}
