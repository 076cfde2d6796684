//! Progressive distillation (Salimans & Ho 2022, Algorithm 2): a student learns
//! to take in one DDIM step what its teacher takes in two. With t = i/N,
//! t' = t − 0.5/N and t'' = t − 1/N, the teacher goes z_t → z_t' → z_t'' by DDIM,
//! and the student's target is
//! `x̃ = (z_t'' − (σ_t''/σ_t) z_t) / (α_t'' − (σ_t''/σ_t) α_t)`, the x̂ with which
//! a single DDIM step from t lands on z_t''. At the last step (t'' = 0) the target
//! is the teacher's x̂ at t'.

use super::loss::{noise_input, Weighting};
use super::parameterization::{flow_rates, per_row, x0_from, Pred};
use super::schedule::Schedule;
use crate::error::Result;
use crate::nn::network::Network;
use crate::tensor::{create, create::Placement, rng, Tensor};
use candle_core::Tensor as CTensor;

/// The options of [`distill_loss`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DistillOptions {
    /// The student's number of steps N (the teacher takes 2N).
    pub steps: usize,
    /// What the student predicts.
    pub pred: Pred,
    /// What the teacher predicts.
    pub teacher_pred: Pred,
    /// The weighting of ‖x̃ − x̂‖² (Salimans & Ho use truncated SNR or SNR + 1).
    pub weighting: Weighting,
}

/// x̂0 of `net` (predicting `pred`) at VP state `z` and per-row times `t`.
fn predict_x0(net: &Network, sched: &Schedule, z: &CTensor, t: &[f64], pred: Pred) -> Result<CTensor> {
    let input = net.time_input().ok_or_else(|| crate::Error::new("a classifier cannot be distilled"))?;
    let c = Tensor::from_candle(per_row(&noise_input(input, sched, t), z)?.flatten_all()?);
    let out = net.forward(&Tensor::from_candle(z.clone()), &c)?.into_candle();
    let a = per_row(&t.iter().map(|&t| sched.alpha(t)).collect::<Vec<_>>(), z)?;
    let s = per_row(&t.iter().map(|&t| sched.sigma(t)).collect::<Vec<_>>(), z)?;
    let rates = if pred == Pred::Flow { Some(flow_rates(sched, t, z)?) } else { None };
    x0_from(pred, &out, z, &a, &s, rates.as_ref().map(|(da, ds)| (da, ds)))
}

/// One DDIM step from `z` at times `t` to times `t_next` with estimate `x0`.
fn ddim(sched: &Schedule, z: &CTensor, x0: &CTensor, t: &[f64], t_next: &[f64]) -> Result<CTensor> {
    let a = per_row(&t.iter().map(|&t| sched.alpha(t)).collect::<Vec<_>>(), z)?;
    let ratio =
        per_row(&t.iter().zip(t_next).map(|(&t, &tn)| sigma_at(sched, tn) / sched.sigma(t)).collect::<Vec<_>>(), z)?;
    let an = per_row(&t_next.iter().map(|&tn| alpha_at(sched, tn)).collect::<Vec<_>>(), z)?;
    Ok(x0.broadcast_mul(&an)?.add(&z.sub(&x0.broadcast_mul(&a)?)?.broadcast_mul(&ratio)?)?)
}

/// α at t, exactly 1 at t = 0 (clean data).
fn alpha_at(sched: &Schedule, t: f64) -> f64 {
    if t <= 0.0 {
        1.0
    } else {
        sched.alpha(t)
    }
}

/// σ at t, exactly 0 at t = 0.
fn sigma_at(sched: &Schedule, t: f64) -> f64 {
    if t <= 0.0 {
        0.0
    } else {
        sched.sigma(t)
    }
}

/// The student's target for states `z` at times `t` (with N student steps), and
/// the teacher's state after its two steps.
pub fn distill_target(
    teacher: &Network,
    sched: &Schedule,
    z: &CTensor,
    t: &[f64],
    n: usize,
    teacher_pred: Pred,
) -> Result<(CTensor, CTensor)> {
    let half: Vec<f64> = t.iter().map(|&t| t - 0.5 / n as f64).collect();
    let end: Vec<f64> = t.iter().map(|&t| (t - 1.0 / n as f64).max(0.0)).collect();
    let x_t = predict_x0(teacher, sched, z, t, teacher_pred)?.detach();
    let z_half = ddim(sched, z, &x_t, t, &half)?;
    let x_half = predict_x0(teacher, sched, &z_half, &half, teacher_pred)?.detach();
    let z_end = ddim(sched, &z_half, &x_half, &half, &end)?;
    let ratio: Vec<f64> = t.iter().zip(&end).map(|(&t, &e)| sigma_at(sched, e) / sched.sigma(t)).collect();
    let r = per_row(&ratio, z)?;
    let denom = per_row(
        &t.iter()
            .zip(&end)
            .zip(&ratio)
            .map(|((&t, &e), &q)| alpha_at(sched, e) - q * sched.alpha(t))
            .collect::<Vec<_>>(),
        z,
    )?;
    let target = z_end.sub(&z.broadcast_mul(&r)?)?.broadcast_div(&denom)?;
    // at t'' = 0 the formula reduces to the teacher's x̂ at t'
    let last: Vec<f64> = end.iter().map(|&e| if e <= 0.0 { 1.0 } else { 0.0 }).collect();
    let m = per_row(&last, z)?;
    let blended = target.broadcast_mul(&m.affine(-1.0, 1.0)?)?.add(&x_half.broadcast_mul(&m)?)?;
    Ok((blended.detach(), z_end.detach()))
}

/// The distillation loss of `student` against `teacher` on clean data `x0`.
pub fn distill_loss(
    teacher: &Network,
    student: &Network,
    sched: &Schedule,
    x0: &Tensor,
    opts: &DistillOptions,
) -> Result<Tensor> {
    let n = opts.steps;
    if n == 0 || n > crate::diffusion::timesteps::MAX_STEPS {
        crate::bail!(
            "steps (the student's N) must be between 1 and {}, got {n}",
            crate::diffusion::timesteps::MAX_STEPS
        );
    }
    if x0.rank() < 2 || x0.dims()[0] == 0 {
        crate::bail!("x0 must be a batch [N, ...] with N >= 1, got shape {:?}", x0.dims());
    }
    if opts.pred == Pred::Edm || opts.teacher_pred == Pred::Edm {
        crate::bail!("distillation works with eps, x0, v, score or flow predictions");
    }
    let rows = x0.dims().first().copied().unwrap_or(0);
    let t: Vec<f64> =
        rng::integers(rows, 1, n as i64 + 1)?.into_iter().map(|i| (i as f64 / n as f64).min(sched.t_max())).collect();
    let at = Placement { dtype: x0.dtype(), device: x0.device().clone() };
    let eps = create::randn(x0.dims(), &at)?.into_candle();
    let xc = x0.candle();
    let a = per_row(&t.iter().map(|&t| sched.alpha(t)).collect::<Vec<_>>(), xc)?;
    let s = per_row(&t.iter().map(|&t| sched.sigma(t)).collect::<Vec<_>>(), xc)?;
    let z = xc.broadcast_mul(&a)?.add(&eps.broadcast_mul(&s)?)?;
    let (target, _) = distill_target(teacher, sched, &z, &t, n, opts.teacher_pred)?;
    let x_hat = predict_x0(student, sched, &z, &t, opts.pred)?;
    let weights: Vec<f64> = t
        .iter()
        .map(|&t| {
            let snr = (sched.alpha(t) / sched.sigma(t)).powi(2);
            match opts.weighting {
                Weighting::SnrTrunc => snr.max(1.0),
                Weighting::SnrPlus1 => snr + 1.0,
                Weighting::Snr => snr,
                Weighting::Simple | Weighting::Edm => 1.0,
            }
        })
        .collect();
    let w = crate::tensor::transfer::upload(weights, rows, x0.dtype(), x0.device())?;
    let per_example = x_hat.sub(&target)?.sqr()?.flatten_from(1)?.mean(1)?;
    Ok(Tensor::from_candle(per_example.mul(&w)?.mean_all()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::act::Act;
    use crate::nn::mlp::MlpConfig;
    use crate::nn::network::Architecture;
    use crate::tensor::DType;

    #[test]
    fn one_student_step_with_the_target_lands_on_the_teacher_s_two_steps() {
        rng::seed(9);
        let at = Placement { dtype: DType::F64, device: candle_core::Device::Cpu };
        let arch = Architecture::Mlp(MlpConfig { hidden: vec![16], act: Act::Tanh, time_dim: 8, ..Default::default() });
        let teacher = Network::new(arch, &at).unwrap();
        let sched = Schedule::vp_logsnr_cosine(-20.0, 20.0).unwrap();
        let z = create::randn(&[6, 2], &at).unwrap().into_candle();
        for (n, i) in [(4, 3), (8, 5), (4, 1)] {
            let t = vec![i as f64 / n as f64; 6];
            let (target, z_end) = distill_target(&teacher, &sched, &z, &t, n, Pred::Eps).unwrap();
            // an ideal student predicts `target`; its one DDIM step from t to t − 1/N:
            let end = vec![(i as f64 - 1.0) / n as f64; 6];
            let student_step = ddim(&sched, &z, &target, &t, &end).unwrap();
            let err = student_step.sub(&z_end).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f64>().unwrap();
            assert!(err < 1e-10, "N = {n}, i = {i}: {err}");
        }
    }
}
