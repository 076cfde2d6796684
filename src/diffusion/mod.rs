//! Diffusion: noise schedules, step lists, prediction parameterizations, the
//! training loss, the denoiser interface with its network wrapper and exact
//! Gaussian-mixture denoisers, and the samplers.

pub mod analytic;
pub mod denoiser;
pub mod loss;
pub mod mixture;
pub mod parameterization;
pub mod samplers;
pub mod schedule;
pub mod timesteps;
