//! Models and their training: denoiser networks (an MLP with Fourier features,
//! a small UNet), the noise-level classifier, optimizers with learning-rate
//! schedules, EMA, and safetensors checkpoints.

pub mod adamw_cpu;
pub mod attention_cpu;
pub mod checkpoint;
pub mod classifier;
pub mod composed;
pub mod conv_cpu;
pub mod cpu_gemm;
pub mod ema;
pub mod embed;
pub mod fast_math;
pub mod fused_act;
pub mod group_norm_cpu;
pub mod layer;
pub mod layers;
pub mod lr_schedule;
pub mod mlp;
pub mod mlp_autograd;
pub mod mlp_inference;
pub mod network;
#[cfg(test)]
pub mod op_testing;
pub mod optim;
pub mod params;
pub mod res_block_cpu;
pub mod simd_dispatch;
pub mod unet;
pub mod upsample_cpu;
