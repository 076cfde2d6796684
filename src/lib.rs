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
//! [`error`], [`interrupt`], [`memory`], [`progress`], [`threads`], [`number_text`], [`suggest`] and [`atomic_file`]
//! are shared by all layers.
//!
//! # From Rust and evcxr
//!
//! The layers are a Rust library as well as the script runtime's engine. A fallible call
//! returns [`Result`], whose [`Error`] is one readable message (it implements `Display` and
//! `std::error::Error`, so `?` works in a Rust program and in an evcxr cell alike). Random
//! numbers come from one seeded generator ([`tensor::rng::seed`]), as in scripts. The pieces a
//! sampling study needs from Rust:
//! - a denoiser: [`diffusion::mixture::Mixture`] (exact, for a known mixture), or a trained
//!   network wrapped by [`diffusion::denoiser::NetworkDenoiser`];
//! - sampling: [`diffusion::samplers::draw`] (noise at σ_max, Karras' levels, the method's
//!   defaults, as a script's `sample(den, #{ method, steps, n })`) or
//!   [`diffusion::samplers::sample`] with a [`diffusion::samplers::Run`] for every choice;
//! - metrics: [`metrics::sliced_w2::sliced_w2`], [`metrics::mmd::mmd`],
//!   [`metrics::energy::energy_distance`];
//! - figures: [`plot::Figure`] (`Figure::scatter` for point sets), with `png()`, `svg()`,
//!   `save(path)` and evcxr's `evcxr_display()`, so a figure that ends an evcxr cell shows
//!   inline.
//!
//! In an evcxr notebook, `:dep difflab = { path = "path/to/difflab" }` and then (this example
//! is `notebooks/rust_api.ipynb`'s, and `cargo test --doc` runs it):
//!
//! ```
//! use difflab::diffusion::{mixture::Mixture, samplers};
//! use difflab::metrics::sliced_w2::sliced_w2;
//! use difflab::plot::{Figure, Frame};
//! use difflab::tensor::{create::Placement, rng};
//!
//! # fn main() -> difflab::Result<()> {
//! rng::seed(0);
//! let mix = Mixture::ring(8, 4.0, 0.3)?;
//! let data = mix.sample(2000, &Placement::default())?;
//! let euler = samplers::draw(&mix, "euler", 2000, 10)?;
//! let heun = samplers::draw(&mix, "heun", 2000, 10)?;
//! for (name, out) in [("euler", &euler), ("heun", &heun)] {
//!     let w2 = sliced_w2(&out.x, &data, 128, Some(1))?;
//!     println!("{name}: NFE {}, sliced W2 {w2:.3}", out.record.nfe);
//! }
//! let frame = Frame { title: "8 Gaussians, 10 steps".into(), ..Frame::default() };
//! let fig = Figure::scatter(&[("data", &data), ("euler", &euler.x), ("heun", &heun.x)], frame)?;
//! assert!(fig.evcxr_content()?.starts_with("EVCXR_BEGIN_CONTENT image/png"));
//! // in evcxr, `fig` as a cell's last expression shows the PNG
//! # Ok(())
//! # }
//! ```

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
pub mod number_text;
pub mod plot;
pub mod progress;
pub mod repl;
pub mod runtime;
pub mod suggest;
pub mod sweep;
pub mod tensor;
pub mod threads;

pub use error::{Error, Result};
pub use tensor::Tensor;
