//! Diffusion: noise schedules, step lists, prediction parameterizations, the
//! training loss, and Gaussian mixtures as exact test problems.

pub mod loss;
pub mod mixture;
pub mod parameterization;
pub mod schedule;
pub mod timesteps;
