//! Models and their training: optimizers (and, with the networks issue,
//! denoiser networks, EMA and checkpoints).

pub mod optim;
