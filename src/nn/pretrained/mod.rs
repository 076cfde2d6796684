//! Pretrained models in the diffusers format: a `UNet2DModel` (config, safetensors) built
//! from difflab's layer structs, and the schedule and prediction of its scheduler config.
//! The wrapper that makes it a denoiser D(x, σ) is
//! [`crate::diffusion::discrete::DiscreteDenoiser`].

pub mod config;
pub mod layout;
pub mod load;
pub mod scheduler;
pub mod unet;
