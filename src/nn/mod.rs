//! Models and their training: layers as values and the networks built from them (an MLP
//! with Fourier features, a small UNet, the noise-level classifier, networks composed in a
//! script, and pretrained diffusers UNets), optimizers with learning-rate schedules, EMA, and safetensors checkpoints. The
//! fused CPU kernels they run on live in [`cpu`].

pub mod act;
pub mod checkpoint;
pub mod classifier;
pub mod composed;
pub mod cpu;
pub mod ema;
pub mod embed;
pub mod functional;
pub mod layer;
pub mod lr_schedule;
pub mod mlp;
pub mod network;
pub mod optim;
pub mod params;
pub mod pretrained;
pub mod unet;
