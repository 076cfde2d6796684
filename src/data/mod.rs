//! Data sets: 2-D toy distributions, a shipped real image set (UCI digits),
//! a procedural shapes set, loaders for `.npy`, `.csv`, PNG folders and MNIST
//! IDX files, and minibatching. Everything random draws from the seeded generator.

pub mod batch;
pub mod digits;
pub mod loaders;
pub mod read;
pub mod shapes;
pub mod toy;
