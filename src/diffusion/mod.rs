//! Diffusion: noise schedules, step lists, prediction parameterizations, the
//! training loss, the denoiser interface with its network wrappers (trained here, or pretrained
//! discrete-time models), classifier-free guidance, exact (and class-conditional)
//! Gaussian-mixture denoisers, the samplers, and the methods built on them:
//! shortcut-MCMC training, progressive distillation, Denoising Langevin Gibbs.

pub mod analytic;
pub mod class_mixture;
pub mod denoiser;
pub mod discrete;
pub mod distill;
pub mod guidance;
pub mod loss;
pub mod mcmc;
pub mod mixture;
pub mod parameterization;
pub mod samplers;
pub mod saved;
pub mod schedule;
pub mod shortcut;
pub mod timesteps;
