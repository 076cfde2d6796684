//! Denoising Langevin Gibbs (Kim & Ye 2022, "Denoising MCMC for accelerating
//! diffusion-based generative models", Alg. 1): chains over (x, σ). Each
//! iteration takes a Langevin step in x at the chain's σ,
//! `x ← x + (η_σ/2) s(x, σ) + √η_σ z` with η_σ = η σ² (annealed Langevin scaling,
//! or η itself with `scale_eta` off), then a Gibbs step drawing σ from
//! p(σ | x) (or, optionally, taking its mode). Every `n_skip` iterations the
//! iterate with the smallest σ of the block is denoised from its σ to 0 by a
//! registered sampler with about `n_den` NFE; those are the samples.

use super::langevin;
use super::noise_model::{pick_levels, NoiseModel};
use crate::diffusion::samplers::{self, Noise, Params, Run};
use crate::diffusion::timesteps::karras_sigmas;
use crate::error::Result;
use crate::progress::Progress;
use crate::tensor::Tensor;

/// How chains start.
#[derive(Clone, Debug)]
pub enum Init {
    /// From the given points, with σ from the posterior after `gibbs` settling iterations.
    Given(Tensor),
    /// As in the paper: a short sampler run of `steps` Euler steps from σ_max noise,
    /// plus Gaussian noise of std `noise`, then `gibbs` iterations.
    Sampler {
        /// Euler steps of the initial run.
        steps: usize,
        /// Std of the noise added after it (0.5: variance 0.25).
        noise: f64,
    },
}

/// The options of [`dlg`].
#[derive(Clone, Debug)]
pub struct DlgOptions {
    /// Chains run in parallel.
    pub chains: usize,
    /// Langevin-Gibbs iterations.
    pub iterations: usize,
    /// Base Langevin step size.
    pub eta: f64,
    /// Multiply the step by σ² (annealed Langevin).
    pub scale_eta: bool,
    /// Iterations per block (one denoised sample per chain per block).
    pub n_skip: usize,
    /// The denoising sampler's budget in NFE.
    pub n_den: usize,
    /// The denoising sampler.
    pub method: String,
    /// The denoising sampler's own options (its defaults where absent).
    pub den_options: Params,
    /// Draw σ from p(σ | x) instead of taking its mode.
    pub sample_sigma: bool,
    /// How chains start.
    pub init: Init,
    /// Gibbs iterations after the initialisation (counted in NFE, not in `iterations`).
    pub init_gibbs: usize,
}

/// What a DLG run gives.
pub struct DlgResult {
    /// The denoised samples, chain-major within each block: `[blocks · chains, ...]`.
    pub samples: Tensor,
    /// The chains' final states.
    pub chains: Tensor,
    /// σ of every chain after every iteration: `[iterations][chains]`.
    pub sigma_trace: Vec<Vec<f64>>,
    /// Batched denoiser calls in all (initialisation, Langevin, denoising). A block's
    /// denoising is batched over the chains, one call per round of its sampler, so this equals
    /// `chain_nfe`.
    pub nfe: usize,
    /// Denoiser evaluations each chain saw: its NFE cost, the paper's count.
    pub chain_nfe: usize,
    /// NFE of the initialisation.
    pub init_nfe: usize,
}

/// Denoises each row from its own σ to 0 with `method` at about `n_den` NFE, every row along
/// its own Karras list in one batched run; also gives the most evaluations any one row saw.
fn denoise_rows(run: &mut Run, x: &Tensor, sigma: &[f64], opts: &DlgOptions) -> Result<(Tensor, usize)> {
    let sampler = samplers::find(&opts.method)?;
    let n_den = opts.n_den;
    let steps = match &sampler.cost {
        // an adaptive sampler takes the list for its range only
        samplers::nfe::Cost::Adaptive(_) => n_den.max(1),
        // the most steps whose NFE fits in n_den (its rule, as `steps_for`), at least one
        samplers::nfe::Cost::Fixed { .. } => {
            let dim = Some(x.numel() / x.dims().first().copied().unwrap_or(1).max(1));
            if samplers::nfe::nfe_of(sampler, 1, &opts.den_options, true, dim)? >= n_den {
                1
            } else {
                samplers::nfe::steps_for(sampler, n_den, &opts.den_options, true, dim)?
            }
        }
    };
    let lists: Vec<Vec<f64>> =
        sigma.iter().map(|&s| karras_sigmas(steps, (s * 0.5).min(0.002), s, 7.0)).collect::<Result<_>>()?;
    let mut inner = Run::new(run.denoiser(), Noise::Random, None, false);
    let done = sampler.call_per_row(&mut inner, x.clone(), &lists, &opts.den_options)?;
    let nfe = inner.record.nfe;
    run.record.nfe += nfe;
    Ok((done, nfe))
}

/// Runs DLG with denoiser `run` and noise model `model`; `dims` is one example's shape.
pub fn dlg(run: &mut Run, model: &dyn NoiseModel, dims: &[usize], opts: &DlgOptions) -> Result<DlgResult> {
    if opts.chains == 0 || opts.n_skip == 0 || opts.iterations < opts.n_skip {
        crate::bail!("need chains >= 1, n_skip >= 1 and iterations >= n_skip");
    }
    // the σ trace keeps every chain's level after every iteration
    crate::memory::check(opts.iterations.saturating_mul(opts.chains), 8)
        .map_err(|e| e.context(format!("the σ trace of {} iterations × {} chains", opts.iterations, opts.chains)))?;
    let levels = model.levels().to_vec();
    let sigma_max = *levels.last().expect("at least two levels");
    let c = opts.chains;
    let mut shape = vec![c];
    shape.extend_from_slice(dims);
    let at = crate::tensor::create::Placement::default();
    // initialisation
    let mut x = match &opts.init {
        Init::Given(x0) => {
            if x0.dims() != shape.as_slice() {
                crate::bail!("the initial points have shape {:?}, expected {shape:?}", x0.dims());
            }
            x0.clone()
        }
        Init::Sampler { steps, noise } => {
            let start = Tensor::from_candle((crate::tensor::create::randn(&shape, &at)?.into_candle() * sigma_max)?);
            let sigmas = karras_sigmas(*steps, levels[0], sigma_max, 7.0)?;
            let mut inner = Run::new(run.denoiser(), Noise::Random, None, false);
            let x0 = samplers::find("euler")?.call(&mut inner, start, &sigmas, &Params::new())?;
            run.record.nfe += inner.record.nfe;
            let z = crate::tensor::create::randn(&shape, &at)?;
            Tensor::from_candle((x0.candle() + (z.candle() * *noise)?)?)
        }
    };
    let mut sigma = pick_levels(&model.log_posterior(&x)?, &levels, opts.sample_sigma);
    let eta_of = |s: &[f64]| -> Vec<f64> {
        s.iter().map(|&s| if opts.scale_eta { opts.eta * s * s } else { opts.eta }).collect()
    };
    for _ in 0..opts.init_gibbs {
        x = langevin::step(run, &x, &sigma, &eta_of(&sigma))?;
        sigma = pick_levels(&model.log_posterior(&x)?, &levels, opts.sample_sigma);
    }
    let init_nfe = run.record.nfe;
    let mut chain_nfe = init_nfe;
    // the chains
    let mut trace = Vec::with_capacity(opts.iterations);
    let mut samples: Vec<candle_core::Tensor> = vec![];
    let mut best_x = x.clone();
    let mut best_sigma = vec![f64::INFINITY; c];
    let mut progress = Progress::new("dlg", Some(opts.iterations as u64));
    for it in 0..opts.iterations {
        x = langevin::step(run, &x, &sigma, &eta_of(&sigma))?;
        chain_nfe += 1;
        sigma = pick_levels(&model.log_posterior(&x)?, &levels, opts.sample_sigma);
        // keep each chain's lowest-σ iterate of the block
        let better: Vec<f64> = sigma.iter().zip(&best_sigma).map(|(s, b)| if s < b { 1.0 } else { 0.0 }).collect();
        let m = crate::diffusion::parameterization::per_row(&better, x.candle())?;
        best_x = Tensor::from_candle(
            x.candle().broadcast_mul(&m)?.add(&best_x.candle().broadcast_mul(&m.affine(-1.0, 1.0)?)?)?,
        );
        best_sigma = sigma.iter().zip(&best_sigma).map(|(&s, &b)| s.min(b)).collect();
        trace.push(sigma.clone());
        if (it + 1) % opts.n_skip == 0 {
            let (done, nfe) = denoise_rows(run, &best_x, &best_sigma, opts)?;
            samples.push(done.into_candle());
            chain_nfe += nfe;
            best_sigma = vec![f64::INFINITY; c];
        }
        progress.set(it as u64 + 1, &format!("{} samples", samples.len() * c));
    }
    progress.finish();
    Ok(DlgResult {
        samples: Tensor::from_candle(candle_core::Tensor::cat(&samples, 0)?),
        chains: x,
        sigma_trace: trace,
        nfe: run.record.nfe,
        chain_nfe,
        init_nfe,
    })
}
