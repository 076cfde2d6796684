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

/// An attention block over the parameter path `p`: `p.norm` (where it has one), `p.qkv`,
/// `p.proj`.
pub struct AttentionBlock {
    norm: Option<GroupNorm>,
    qkv: Conv2d,
    proj: Conv2d,
    heads: usize,
}

impl AttentionBlock {
    /// Creates the parameters of a block over `ch` channels.
    pub fn init(store: &mut ParamStore, p: &str, ch: usize, at: &Placement) -> Result<()> {
        norm::init(store, &format!("{p}.norm"), ch, at)?;
        Conv2d::init(store, &format!("{p}.qkv"), (ch, 3 * ch, 1), 1, at)?;
        Conv2d::init(store, &format!("{p}.proj"), (ch, ch, 1), 1, at)
    }

    /// The block at `p`: one head, the built-in networks' norm.
    pub fn at(store: &ParamStore, p: &str) -> Result<Self> {
        let norm = GroupNorm::standard(store, &format!("{p}.norm"))?;
        Self::with_parts(store, p, Some(norm), 1)
    }

    /// The block at `p` with `heads` heads and a norm of `(groups, ε)`, or none (a pretrained
    /// model's attention).
    pub fn with_heads(store: &ParamStore, p: &str, norm: Option<(usize, f64)>, heads: usize) -> Result<Self> {
        let norm =
            norm.map(|(groups, eps)| GroupNorm::with_eps(store, &format!("{p}.norm"), groups, eps)).transpose()?;
        Self::with_parts(store, p, norm, heads)
    }

    fn with_parts(store: &ParamStore, p: &str, norm: Option<GroupNorm>, heads: usize) -> Result<Self> {
        Ok(Self {
            norm,
            qkv: Conv2d::same(store, &format!("{p}.qkv"), 1)?,
            proj: Conv2d::same(store, &format!("{p}.proj"), 1)?,
            heads,
        })
    }

    /// `x + proj(attention(norm(x)))` for `x` of `[N, C, H, W]`: in each head, each pixel
    /// attends to every pixel of its image with weights `softmax(q_hᵀk_h / √(C/heads))`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if let (true, Some(n)) = (cpu_f32_images(x), &self.norm) {
            let weights = AttentionWeights {
                norm: (&n.weight, &n.bias, n.groups),
                qkv: (&self.qkv.weight, &self.qkv.bias),
                proj: (&self.proj.weight, &self.proj.bias),
                heads: self.heads,
                eps: n.eps,
            };
            return attention::attention(&weights, x);
        }
        self.forward_ops(x)
    }

    /// [`AttentionBlock::forward`] as separate ops.
    fn forward_ops(&self, x: &Tensor) -> Result<Tensor> {
        let (n, c, h, w) = x.dims4()?;
        if self.heads == 0 || c % self.heads != 0 {
            crate::bail!("{} heads do not divide {c} channels", self.heads);
        }
        let normed = match &self.norm {
            Some(norm) => norm.forward(x)?,
            None => x.clone(),
        };
        let d = c / self.heads;
        let qkv = self.qkv.forward(&normed)?.reshape((n, 3, self.heads, d, h * w))?;
        let part = |i| -> Result<Tensor> { Ok(qkv.narrow(1, i, 1)?.squeeze(1)?.contiguous()?) };
        let (q, k, v) = (part(0)?, part(1)?, part(2)?);
        let scores = (q.transpose(2, 3)?.contiguous()?.matmul(&k)? / (d as f64).sqrt())?;
        let weights = candle_nn::ops::softmax(&scores, D::Minus1)?;
        let out = v.matmul(&weights.transpose(2, 3)?.contiguous()?)?.reshape((n, c, h, w))?;
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
        let four = AttentionBlock::with_heads(&store, "a", Some((2, 1e-6)), 4).unwrap();
        assert_close(&four.forward(&x).unwrap(), &four.forward_ops(&x).unwrap(), 3e-5, "4 heads");
        let wrong = Tensor::zeros((2, 4, 4, 4), DType::F32, &Device::Cpu).unwrap();
        assert!(AttentionBlock::at(&store, "a")
            .unwrap()
            .forward(&wrong)
            .unwrap_err()
            .message()
            .contains("does not fit"));
    }
}
