//! What a sampler runs with: the denoiser (counted), where its noise comes
//! from, the per-step callback, the trajectory it records, and progress.

use crate::diffusion::denoiser::Denoiser;
use crate::error::Result;
use crate::progress::Progress;
use crate::tensor::{create, create::Placement, rng, transfer, Tensor};
use std::collections::VecDeque;

/// Where a stochastic sampler's Gaussian draws come from.
pub enum Noise {
    /// Fresh draws from the seeded generator.
    Random,
    /// Given draws, consumed in the order each sampler documents.
    Given(VecDeque<Tensor>),
}

/// The per-step callback: it sees each step as it ends and can stop the run with an error.
pub type Callback<'a> = &'a mut dyn FnMut(&StepInfo) -> Result<()>;

/// What one step reports to the callback.
pub struct StepInfo<'a> {
    /// The step index, from 0.
    pub i: usize,
    /// σ at the start of the step.
    pub sigma: f64,
    /// σ at the end of the step.
    pub sigma_next: f64,
    /// The state after the step.
    pub x: &'a Tensor,
    /// The denoised estimate the step used.
    pub denoised: &'a Tensor,
}

/// What a run did.
#[derive(Clone, Debug, Default)]
pub struct Record {
    /// Denoiser evaluations (each on the whole batch).
    pub nfe: usize,
    /// Steps taken.
    pub steps: usize,
    /// Sequential rounds of denoiser calls (equal to `nfe` for sequential samplers).
    pub rounds: usize,
    /// The states: the start, then after every step (when asked for).
    pub trajectory: Option<Vec<Tensor>>,
    /// The denoised estimate of every step (when asked for).
    pub denoised: Option<Vec<Tensor>>,
}

/// A sampler's view of the world.
pub struct Run<'a> {
    den: &'a dyn Denoiser,
    noise: Noise,
    callback: Option<Callback<'a>>,
    /// What the run did so far.
    pub record: Record,
    progress: Option<Progress>,
    /// One 0-d tensor per step, NaN where the step's state held a NaN or an infinity, kept
    /// on the device and read once at the end; `None` when the check is off.
    finite: Option<Vec<(usize, f64, f64, Tensor)>>,
}

impl<'a> Run<'a> {
    /// A run of `den` drawing `noise`, reporting steps to `callback`, keeping the trajectory if asked.
    pub fn new(den: &'a dyn Denoiser, noise: Noise, callback: Option<Callback<'a>>, trajectory: bool) -> Self {
        let record =
            Record { trajectory: trajectory.then(Vec::new), denoised: trajectory.then(Vec::new), ..Record::default() };
        Self { den, noise, callback, record, progress: None, finite: Some(Vec::new()) }
    }

    /// The same run without the check for non-finite states (a little faster).
    pub fn without_finite_check(mut self) -> Self {
        self.finite = None;
        self
    }

    /// The denoiser itself (for methods that call it on several points at once).
    pub fn denoiser(&self) -> &dyn Denoiser {
        self.den
    }

    /// Begins reporting progress for `steps` steps of `method`.
    pub fn start(&mut self, method: &str, steps: usize) {
        self.progress = Some(Progress::new(method, Some(steps as u64)));
    }

    /// Ends the run: closes the progress display, settles the round count, and reports the
    /// first step whose state held a NaN or an infinity (one read from the device for all steps).
    pub fn finish(&mut self) -> Result<()> {
        if self.record.rounds == 0 {
            self.record.rounds = self.record.nfe;
        }
        if let Some(p) = self.progress.as_mut() {
            p.finish();
        }
        let Some(checks) = self.finite.take().filter(|c| !c.is_empty()) else { return Ok(()) };
        let flags: Vec<candle_core::Tensor> = checks
            .iter()
            .map(|(.., t)| t.candle().to_dtype(candle_core::DType::F64))
            .collect::<candle_core::Result<_>>()?;
        let values = Tensor::from_candle(candle_core::Tensor::stack(&flags, 0)?).to_f64_vec()?;
        match values.iter().zip(&checks).find(|(v, _)| !v.is_finite()) {
            None => Ok(()),
            Some((_, (i, sigma, sigma_next, _))) => crate::bail!(
                "step {i} (σ {sigma} → {sigma_next}) made a state with NaN or infinite values; check the denoiser and the noise levels (`check_finite: false` turns this check off)"
            ),
        }
    }

    /// D(x, σ) for the whole batch; counts one evaluation; stops on an interrupt.
    pub fn denoise(&mut self, x: &Tensor, sigma: f64) -> Result<Tensor> {
        self.denoise_rows(x, &[sigma])
    }

    /// D(x, σ_n) with one σ per row; counts one evaluation.
    pub fn denoise_rows(&mut self, x: &Tensor, sigma: &[f64]) -> Result<Tensor> {
        crate::interrupt::check()?;
        self.record.nfe += 1;
        if let Some(t) = self.record.trajectory.as_mut() {
            if t.is_empty() {
                t.push(x.clone());
            }
        }
        self.den.denoise(x, sigma)
    }

    /// Counts `n` sequential rounds (for parallel samplers, where rounds < NFE).
    pub fn add_rounds(&mut self, n: usize) {
        self.record.rounds += n;
    }

    /// Whether the run draws from a given `noise` list rather than the seeded generator.
    pub fn has_given_noise(&self) -> bool {
        matches!(self.noise, Noise::Given(_))
    }

    /// How many given draws the run has not used (0 when it draws from the generator).
    pub fn given_noise_left(&self) -> usize {
        match &self.noise {
            Noise::Random => 0,
            Noise::Given(list) => list.len(),
        }
    }

    /// The next standard-normal draw shaped like `x`.
    pub fn noise_like(&mut self, x: &Tensor) -> Result<Tensor> {
        match &mut self.noise {
            Noise::Random => create::randn(x.dims(), &Placement { dtype: x.dtype(), device: x.device().clone() }),
            Noise::Given(list) => {
                let Some(z) = list.pop_front() else {
                    crate::bail!("the sampler needs more noise draws than the `noise` list holds");
                };
                if z.dims() != x.dims() {
                    crate::bail!("a given noise draw has shape {:?}, but the samples have {:?}", z.dims(), x.dims());
                }
                Ok(Tensor::from_candle(transfer::to_device(z.candle(), x.device())?.to_dtype(x.dtype())?))
            }
        }
    }

    /// `n` uniform draws on [0, 1) from the seeded generator.
    pub fn uniform(&mut self, n: usize) -> Result<Vec<f64>> {
        rng::uniform(n, 0.0, 1.0)
    }

    /// Reports the end of step `i`: callback, trajectory, progress.
    pub fn step(&mut self, i: usize, sigma: f64, sigma_next: f64, x: &Tensor, denoised: &Tensor) -> Result<()> {
        self.record.steps = i + 1;
        if let Some(checks) = self.finite.as_mut() {
            // x · 0 sums to 0, or to NaN when any entry is NaN or infinite
            checks.push((i, sigma, sigma_next, Tensor::from_candle((x.candle() * 0.0)?.sum_all()?)));
        }
        if let Some(t) = self.record.trajectory.as_mut() {
            t.push(x.clone());
        }
        if let Some(d) = self.record.denoised.as_mut() {
            d.push(denoised.clone());
        }
        if let Some(cb) = self.callback.as_mut() {
            cb(&StepInfo { i, sigma, sigma_next, x, denoised })?;
        }
        if let Some(p) = self.progress.as_mut() {
            p.set(i as u64 + 1, &format!("σ {sigma_next:.4}"));
        }
        Ok(())
    }
}
