//! Sampling in one call, for Rust programs and evcxr notebooks: what a script's
//! `sample(den, #{ method, steps, n })` does by default — noise at σ_max for the start,
//! Karras et al.'s ρ = 7 levels over the denoiser's range — with the method's default options.

use super::{sample, Noise, Params, Record, Run};
use crate::diffusion::denoiser::Denoiser;
use crate::diffusion::timesteps::karras_sigmas;
use crate::error::Result;
use crate::tensor::{create, create::Placement, Tensor};

/// What [`draw`] returns: the samples, the levels they were drawn along, and what the run did.
#[derive(Clone, Debug)]
pub struct Drawn {
    /// The samples, `[n, ...]` in the denoiser's data shape.
    pub x: Tensor,
    /// The σ list, from σ_max down to 0.
    pub sigmas: Vec<f64>,
    /// Denoiser evaluations, steps and rounds.
    pub record: Record,
}

/// Draws `n` samples from `den` with the sampler `method` in `steps` steps: the start is
/// Gaussian noise at σ_max from the seeded generator, the levels are Karras et al.'s (ρ = 7)
/// over `den.sigma_range()`, and the method runs with its default options.
pub fn draw(den: &dyn Denoiser, method: &str, n: usize, steps: usize) -> Result<Drawn> {
    let Some(shape) = den.example_shape() else {
        crate::bail!("this denoiser does not know its data shape: start from a given x with samplers::sample");
    };
    let (lo, hi) = den.sigma_range();
    let sigmas = karras_sigmas(steps, lo, hi, 7.0)?;
    let mut dims = vec![n];
    dims.extend(shape);
    let z = create::randn(&dims, &Placement::default())?;
    let start = Tensor::from_candle((z.candle() * sigmas[0])?);
    let mut run = Run::new(den, Noise::Random, None, false);
    let x = sample(method, &mut run, start, &sigmas, &Params::new())?;
    Ok(Drawn { x, sigmas, record: run.record })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diffusion::mixture::Mixture;

    #[test]
    fn a_draw_from_a_mixture_counts_its_calls_and_lands_on_the_modes() {
        crate::tensor::rng::seed(0);
        let mix = Mixture::ring(8, 4.0, 0.3).unwrap();
        let out = draw(&mix, "heun", 2000, 12).unwrap();
        assert_eq!(out.x.dims(), &[2000, 2]);
        assert_eq!((out.record.nfe, out.sigmas.len()), (23, 13));
        let radii: Vec<f64> = out.x.to_f64_vec().unwrap().chunks(2).map(|p| p[0].hypot(p[1])).collect();
        let mean = radii.iter().sum::<f64>() / radii.len() as f64;
        // 12 Heun steps land near the ring of means (radius 4), a little outside it
        assert!((mean - 4.0).abs() < 0.25, "mean radius {mean}");
        assert!(draw(&mix, "huen", 10, 4).unwrap_err().message().contains("did you mean \"heun\""));
    }
}
