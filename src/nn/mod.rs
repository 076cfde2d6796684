//! Models and their training: denoiser networks (an MLP with Fourier features,
//! a small UNet), the noise-level classifier, optimizers with learning-rate
//! schedules, EMA, and safetensors checkpoints.

pub mod checkpoint;
pub mod classifier;
pub mod ema;
pub mod embed;
pub mod layers;
pub mod lr_schedule;
pub mod mlp;
pub mod network;
pub mod optim;
pub mod params;
pub mod unet;
