//! Multi-head scaled dot-product self-attention (Vaswani et al. 2017) over tokens, and over
//! the pixels of an image as the tokens (the attention block of Ho et al. 2020's UNet,
//! without its normalisation, which a script composes with `group_norm`).

use crate::error::Result;
use candle_core::Tensor;

/// The projections of an attention layer: `x @ W_qkv + b_qkv` gives queries, keys and
/// values side by side, `· @ W_out + b_out` mixes the heads back.
pub struct Weights {
    /// `[D, 3D]` and `[3D]`.
    pub qkv: (Tensor, Tensor),
    /// `[D, D]` and `[D]`.
    pub out: (Tensor, Tensor),
    /// Heads; `D` is split evenly between them.
    pub heads: usize,
}

/// Self-attention over tokens `[N, L, D]`.
pub fn tokens(x: &Tensor, w: &Weights) -> Result<Tensor> {
    let (n, l, d) = x.dims3()?;
    let (h, dh) = (w.heads, d / w.heads);
    let qkv = x.broadcast_matmul(&w.qkv.0)?.broadcast_add(&w.qkv.1)?;
    // [N, L, 3, H, dh] → three [N·H, L, dh]
    let qkv = qkv.reshape((n, l, 3, h, dh))?.permute((2, 0, 3, 1, 4))?;
    let part = |i: usize| -> Result<Tensor> { Ok(qkv.get(i)?.contiguous()?.reshape((n * h, l, dh))?) };
    let (q, k, v) = (part(0)?, part(1)?, part(2)?);
    let scores = (q.matmul(&k.t()?)? * (1.0 / (dh as f64).sqrt()))?;
    // candle_nn's softmax_last_dim has no backward (it is applied with apply_op1_no_bwd):
    // queries and keys would get no gradient. This softmax is made of differentiable ops.
    let weights = candle_nn::ops::softmax(&scores, candle_core::D::Minus1)?;
    let mixed = weights.matmul(&v)?.reshape((n, h, l, dh))?.transpose(1, 2)?.contiguous()?.reshape((n, l, d))?;
    Ok(mixed.broadcast_matmul(&w.out.0)?.broadcast_add(&w.out.1)?)
}

/// Self-attention over the pixels of `[N, D, H, W]`, each pixel a token of its `D` channels.
pub fn pixels(x: &Tensor, w: &Weights) -> Result<Tensor> {
    let (n, d, hh, ww) = x.dims4()?;
    let as_tokens = x.reshape((n, d, hh * ww))?.transpose(1, 2)?.contiguous()?;
    let y = tokens(&as_tokens, w)?;
    Ok(y.transpose(1, 2)?.contiguous()?.reshape((n, d, hh, ww))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};

    /// One head over two tokens, by hand: softmax of q·k/√d picks how much of each value.
    #[test]
    fn one_head_matches_the_formula() {
        let dev = Device::Cpu;
        let eye = Tensor::eye(2, DType::F64, &dev).unwrap();
        // W_qkv = [I, I, I]: q = k = v = x
        let qkv = Tensor::cat(&[&eye, &eye, &eye], 1).unwrap();
        let w = Weights {
            qkv: (qkv, Tensor::zeros(6, DType::F64, &dev).unwrap()),
            out: (eye.clone(), Tensor::zeros(2, DType::F64, &dev).unwrap()),
            heads: 1,
        };
        let x = Tensor::new(&[[[1.0f64, 0.0], [0.0, 2.0]]], &dev).unwrap();
        let y = tokens(&x, &w).unwrap().to_vec3::<f64>().unwrap();
        let s = 1.0 / 2f64.sqrt();
        // token 0: scores [1, 0]·s; token 1: [0, 4]·s
        let a0 = [s.exp(), 1.0].map(|e| e / (s.exp() + 1.0));
        let a1 = [1.0, (4.0 * s).exp()].map(|e| e / (1.0 + (4.0 * s).exp()));
        let want = [[a0[0], 2.0 * a0[1]], [a1[0], 2.0 * a1[1]]];
        for (row, want) in y[0].iter().zip(want) {
            for (a, b) in row.iter().zip(want) {
                assert!((a - b).abs() < 1e-12, "{a} vs {b}");
            }
        }
        let image = x.transpose(1, 2).unwrap().reshape((1, 2, 1, 2)).unwrap();
        let by_pixels = pixels(&image, &w).unwrap().reshape((1, 2, 2)).unwrap().transpose(1, 2).unwrap();
        assert_eq!(by_pixels.to_vec3::<f64>().unwrap(), y);
    }

    /// Queries and keys get their gradient through the softmax (a softmax without backward
    /// once left them at zero while the values trained): the loss's derivative along one
    /// query weight equals its finite difference.
    #[test]
    fn queries_and_keys_get_gradients() {
        let dev = Device::Cpu;
        let qkv = candle_core::Var::randn(0f64, 0.5, (4, 12), &dev).unwrap();
        let w = |qkv: &Tensor| Weights {
            qkv: (qkv.clone(), Tensor::zeros(12, DType::F64, &dev).unwrap()),
            out: (Tensor::eye(4, DType::F64, &dev).unwrap(), Tensor::zeros(4, DType::F64, &dev).unwrap()),
            heads: 2,
        };
        let x = Tensor::randn(0f64, 1.0, (2, 5, 4), &dev).unwrap();
        let target = Tensor::randn(0f64, 1.0, (2, 5, 4), &dev).unwrap();
        let loss = |qkv: &Tensor| (tokens(&x, &w(qkv)).unwrap() - &target).unwrap().sqr().unwrap().sum_all().unwrap();
        let grads = loss(&qkv).backward().unwrap();
        let g = grads.get(&qkv).unwrap().to_vec2::<f64>().unwrap();
        let h = 1e-6;
        for (row, col) in [(1, 0), (2, 5)] {
            // column 0 is a query's, 5 a key's
            let bump = Tensor::zeros((4, 12), DType::F64, &dev)
                .unwrap()
                .slice_assign(&[row..row + 1, col..col + 1], &Tensor::full(h, (1, 1), &dev).unwrap())
                .unwrap();
            let (up, down) = ((qkv.as_tensor() + &bump).unwrap(), (qkv.as_tensor() - &bump).unwrap());
            let diff = (loss(&up).to_scalar::<f64>().unwrap() - loss(&down).to_scalar::<f64>().unwrap()) / (2.0 * h);
            assert!(g[row][col].abs() > 1e-6 && (g[row][col] - diff).abs() < 1e-6, "{} vs {diff}", g[row][col]);
        }
    }
}
