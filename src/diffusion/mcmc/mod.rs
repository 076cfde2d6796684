//! MCMC over data and noise level: plain Langevin dynamics, and the Denoising
//! Langevin Gibbs sampler of Denoising MCMC (Kim & Ye 2022) with its noise-level
//! posterior from a trained classifier or, for Gaussian mixtures, exactly.

pub mod dlg;
pub mod langevin;
pub mod noise_model;
