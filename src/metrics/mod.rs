//! Sample-quality metrics: distances between two point sets (sliced
//! 2-Wasserstein, MMD, energy distance) and the mode coverage of samples
//! measured against a known Gaussian mixture.

mod chi2;
pub mod energy;
pub mod mmd;
pub mod modes;
mod points;
pub mod sliced_w2;
