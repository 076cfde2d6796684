//! difflab: a scripting lab for diffusion-model research.
//!
//! The layers, each depending only on the ones listed before it:
//! - [`tensor`]: the script-facing tensor over candle, devices, dtypes and the seeded RNG;
//! - [`nn`]: denoiser networks, the noise-level classifier, optimizers, EMA, checkpoints;
//! - [`diffusion`]: schedules, parameterizations, the training loss, Gaussian mixtures, the samplers
//!   (randomized midpoints among them) and the methods built on them (shortcut MCMC, Denoising
//!   Langevin Gibbs, progressive distillation);
//! - [`data`]: toy and image data sets, loaders, minibatches;
//! - [`metrics`]: sample-quality metrics (sliced W2, MMD, energy distance, mode coverage);
//! - [`plot`]: figures rendered to PNG and SVG with an embedded font;
//! - [`runtime`]: the Rhai engine with every built-in registered, help, errors, progress and interruption;
//! - [`repl`], [`kernel`] and [`cli`]: the front ends (terminal REPL, Jupyter kernel, command line);
//! - [`bench`]: `difflab bench`, the workloads timed against PyTorch.
//!
//! [`error`], [`interrupt`], [`memory`], [`progress`] and [`atomic_file`] are shared by all layers.

pub mod atomic_file;
pub mod bench;
pub mod cli;
pub mod data;
pub mod diffusion;
pub mod error;
pub mod interrupt;
pub mod kernel;
pub mod memory;
pub mod metrics;
pub mod nn;
pub mod plot;
pub mod progress;
pub mod repl;
pub mod runtime;
pub mod tensor;

pub use error::{Error, Result};
pub use tensor::Tensor;
