//! Sample-quality metrics: distances between two point sets (sliced
//! 2-Wasserstein, MMD, energy distance), the mode coverage of samples
//! measured against a known Gaussian mixture, and the spread of a result
//! over runs (standard deviation, standard error, Student-t intervals).

mod chi2;
pub mod energy;
pub mod intervals;
pub mod mmd;
pub mod modes;
mod points;
pub mod sliced_w2;
pub mod summary;
