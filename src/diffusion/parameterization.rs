//! What a denoiser network predicts, and the conversions between predictions
//! for `x = α x0 + σ ε`: ε (Ho et al. 2020), x0, v = α ε − σ x0 (Salimans &
//! Ho 2022), the score −ε/σ, EDM's preconditioned F (Karras et al. 2022,
//! table 1), and the flow-matching velocity u = dx/dt = α' x0 + σ' ε (Lipman et
//! al. 2023; ε − x0 for the linear interpolant).

use crate::error::Result;
use candle_core::Tensor;
use serde::{Deserialize, Serialize};

/// A network's prediction target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pred {
    /// The noise ε.
    Eps,
    /// The clean data x0.
    X0,
    /// The velocity v = α ε − σ x0.
    V,
    /// The score ∇ log p(x) = −ε/σ.
    Score,
    /// EDM's F with D(x) = c_skip x̃ + c_out F(c_in x̃, c_noise) in VE coordinates x̃ = x/α.
    Edm,
    /// The flow-matching velocity u = α' x0 + σ' ε (the time derivative of x along the
    /// interpolant), so x0 = (σ' x − σ u)/(α σ' − σ α').
    Flow,
}

/// The names of the predictions.
pub const PREDS: &[&str] = &["eps", "x0", "v", "score", "edm", "flow"];

impl Pred {
    /// Parses `"eps"`, `"x0"`, `"v"`, `"score"`, `"edm"` or `"flow"`.
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "eps" | "epsilon" => Pred::Eps,
            "x0" | "x_0" | "sample" => Pred::X0,
            "v" => Pred::V,
            "score" => Pred::Score,
            "edm" | "f" => Pred::Edm,
            "flow" | "velocity" => Pred::Flow,
            other => crate::bail!("unknown pred \"{other}\"; expected one of {}", PREDS.join(", ")),
        })
    }

    /// The script name.
    pub fn name(self) -> &'static str {
        match self {
            Pred::Eps => "eps",
            Pred::X0 => "x0",
            Pred::V => "v",
            Pred::Score => "score",
            Pred::Edm => "edm",
            Pred::Flow => "flow",
        }
    }
}

/// EDM's preconditioning coefficients at VE noise level σ (Karras et al. 2022, table 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EdmPrecond {
    /// σ_data²/(σ² + σ_data²)
    pub c_skip: f64,
    /// σ σ_data / √(σ² + σ_data²)
    pub c_out: f64,
    /// 1 / √(σ² + σ_data²)
    pub c_in: f64,
    /// ln(σ)/4
    pub c_noise: f64,
}

impl EdmPrecond {
    /// The coefficients at σ for data standard deviation `sigma_data`.
    pub fn new(sigma: f64, sigma_data: f64) -> Self {
        let total = sigma * sigma + sigma_data * sigma_data;
        Self {
            c_skip: sigma_data * sigma_data / total,
            c_out: sigma * sigma_data / total.sqrt(),
            c_in: 1.0 / total.sqrt(),
            c_noise: 0.25 * sigma.ln(),
        }
    }

    /// EDM's loss weight λ(σ) = 1/c_out² = (σ² + σ_data²)/(σ σ_data)².
    pub fn weight(sigma: f64, sigma_data: f64) -> f64 {
        (sigma * sigma + sigma_data * sigma_data) / (sigma * sigma_data).powi(2)
    }
}

/// Per-example scalars `[N]` as a tensor shaped `[N, 1, ...]` to broadcast against `like`.
/// Equal values (one σ for the whole batch, as most samplers have) are set where `like`
/// lives; only differing values are uploaded.
pub fn per_row(values: &[f64], like: &Tensor) -> Result<Tensor> {
    let shape: Vec<usize> =
        std::iter::once(values.len()).chain(std::iter::repeat_n(1, like.rank().saturating_sub(1))).collect();
    if let Some(&first) = values.first().filter(|&&v| values.iter().all(|&w| w.to_bits() == v.to_bits())) {
        let at = crate::tensor::create::Placement { dtype: like.dtype(), device: like.device().clone() };
        return Ok(crate::tensor::create::full(&shape, first, &at)?.into_candle());
    }
    crate::tensor::transfer::upload(values.to_vec(), shape, like.dtype(), like.device())
}

/// The per-row pair some predictions need besides α and σ: EDM's (c_skip, c_out) in VE
/// coordinates for [`Pred::Edm`], the rates (dα/dt, dσ/dt) for [`Pred::Flow`].
pub type Extra<'a> = Option<(&'a Tensor, &'a Tensor)>;

/// The [`Extra`] pair of `pred` missing: an error naming what it needs.
fn needs_extra(pred: Pred) -> crate::Error {
    match pred {
        Pred::Flow => crate::Error::new("the flow prediction needs the schedule's rates dα/dt and dσ/dt"),
        _ => crate::Error::new("the edm prediction needs its preconditioning"),
    }
}

/// The rates (dα/dt, dσ/dt) per row at times `t`, for [`Pred::Flow`].
pub fn flow_rates(s: &crate::diffusion::schedule::Schedule, t: &[f64], like: &Tensor) -> Result<(Tensor, Tensor)> {
    let (da, ds): (Vec<f64>, Vec<f64>) = t.iter().map(|&t| s.rates(t)).unzip();
    Ok((per_row(&da, like)?, per_row(&ds, like)?))
}

/// x0 from a prediction `out` of kind `pred` at `x = α x0 + σ ε` (α, σ per row).
/// For [`Pred::Edm`] and [`Pred::Flow`], `extra` gives their pair (see [`Extra`]).
pub fn x0_from(pred: Pred, out: &Tensor, x: &Tensor, alpha: &Tensor, sigma: &Tensor, extra: Extra) -> Result<Tensor> {
    Ok(match pred {
        Pred::X0 => out.clone(),
        Pred::Eps => x.sub(&out.broadcast_mul(sigma)?)?.broadcast_div(alpha)?,
        Pred::V => {
            let norm = (alpha.sqr()? + sigma.sqr()?)?;
            x.broadcast_mul(alpha)?.sub(&out.broadcast_mul(sigma)?)?.broadcast_div(&norm)?
        }
        Pred::Score => x.add(&out.broadcast_mul(&sigma.sqr()?)?)?.broadcast_div(alpha)?,
        Pred::Edm => {
            let (c_skip, c_out) = extra.ok_or_else(|| needs_extra(pred))?;
            x.broadcast_div(alpha)?.broadcast_mul(c_skip)?.add(&out.broadcast_mul(c_out)?)?
        }
        Pred::Flow => {
            let (d_alpha, d_sigma) = extra.ok_or_else(|| needs_extra(pred))?;
            let det = alpha.mul(d_sigma)?.sub(&sigma.mul(d_alpha)?)?;
            x.broadcast_mul(d_sigma)?.sub(&out.broadcast_mul(sigma)?)?.broadcast_div(&det)?
        }
    })
}

/// ε from x0 at `x = α x0 + σ ε`.
pub fn eps_from_x0(x0: &Tensor, x: &Tensor, alpha: &Tensor, sigma: &Tensor) -> Result<Tensor> {
    Ok(x.sub(&x0.broadcast_mul(alpha)?)?.broadcast_div(sigma)?)
}

/// The prediction of kind `pred` that corresponds to clean data `x0` and noise `eps`
/// (for EDM, the F that makes D equal x0; `extra` as for [`x0_from`]).
pub fn target(pred: Pred, x0: &Tensor, eps: &Tensor, alpha: &Tensor, sigma: &Tensor, extra: Extra) -> Result<Tensor> {
    Ok(match pred {
        Pred::X0 => x0.clone(),
        Pred::Eps => eps.clone(),
        Pred::V => eps.broadcast_mul(alpha)?.sub(&x0.broadcast_mul(sigma)?)?,
        Pred::Score => eps.broadcast_div(sigma)?.neg()?,
        Pred::Edm => {
            let (c_skip, c_out) = extra.ok_or_else(|| needs_extra(pred))?;
            let x_ve = x0.add(&eps.broadcast_mul(&sigma.broadcast_div(alpha)?)?)?;
            x0.sub(&x_ve.broadcast_mul(c_skip)?)?.broadcast_div(c_out)?
        }
        Pred::Flow => {
            let (d_alpha, d_sigma) = extra.ok_or_else(|| needs_extra(pred))?;
            x0.broadcast_mul(d_alpha)?.add(&eps.broadcast_mul(d_sigma)?)?
        }
    })
}

/// Converts a prediction of kind `from` into kind `to` at `x` (α, σ per row), each with
/// its own [`Extra`] pair.
pub fn convert(
    (from, from_extra): (Pred, Extra),
    (to, to_extra): (Pred, Extra),
    out: &Tensor,
    x: &Tensor,
    alpha: &Tensor,
    sigma: &Tensor,
) -> Result<Tensor> {
    if from == to {
        return Ok(out.clone());
    }
    let x0 = x0_from(from, out, x, alpha, sigma, from_extra)?;
    let eps = eps_from_x0(&x0, x, alpha, sigma)?;
    target(to, &x0, &eps, alpha, sigma, to_extra)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn every_prediction_converts_back_to_x0() {
        let x0 = Tensor::new(&[[0.3f64, -1.2], [2.0, 0.5]], &Device::Cpu).unwrap();
        let eps = Tensor::new(&[[1.1f64, 0.4], [-0.7, 0.9]], &Device::Cpu).unwrap();
        let (a, s) = (vec![0.8f64, 0.6], vec![0.6f64, 0.8]);
        let alpha = per_row(&a, &x0).unwrap();
        let sigma = per_row(&s, &x0).unwrap();
        let x = x0.broadcast_mul(&alpha).unwrap().add(&eps.broadcast_mul(&sigma).unwrap()).unwrap();
        let pre: Vec<EdmPrecond> = a.iter().zip(&s).map(|(a, s)| EdmPrecond::new(s / a, 0.5)).collect();
        let c_skip = per_row(&pre.iter().map(|p| p.c_skip).collect::<Vec<_>>(), &x0).unwrap();
        let c_out = per_row(&pre.iter().map(|p| p.c_out).collect::<Vec<_>>(), &x0).unwrap();
        for name in PREDS.iter().filter(|p| **p != "flow") {
            let pred = Pred::parse(name).unwrap();
            let out = target(pred, &x0, &eps, &alpha, &sigma, Some((&c_skip, &c_out))).unwrap();
            let back = x0_from(pred, &out, &x, &alpha, &sigma, Some((&c_skip, &c_out))).unwrap();
            let err: f64 = back.sub(&x0).unwrap().abs().unwrap().max_all().unwrap().to_scalar().unwrap();
            assert!(err < 1e-12, "{name}: {err}");
            let pre = Some((&c_skip, &c_out));
            let as_eps = convert((pred, pre), (Pred::Eps, None), &out, &x, &alpha, &sigma).unwrap();
            let err: f64 = as_eps.sub(&eps).unwrap().abs().unwrap().max_all().unwrap().to_scalar().unwrap();
            assert!(err < 1e-12, "{name} → eps: {err}");
        }
    }

    #[test]
    fn the_flow_velocity_is_the_time_derivative_along_the_interpolant() {
        use crate::diffusion::schedule::Schedule;
        let x0 = Tensor::new(&[[0.3f64, -1.2], [2.0, 0.5]], &Device::Cpu).unwrap();
        let eps = Tensor::new(&[[1.1f64, 0.4], [-0.7, 0.9]], &Device::Cpu).unwrap();
        let t = [0.3, 0.8];
        for s in
            [Schedule::FlowLinear, Schedule::vp_cosine(0.0).unwrap(), Schedule::vp_linear(1e-4, 0.02, 1000).unwrap()]
        {
            let at = |t: &[f64]| {
                let a = per_row(&t.iter().map(|&t| s.alpha(t)).collect::<Vec<_>>(), &x0).unwrap();
                let g = per_row(&t.iter().map(|&t| s.sigma(t)).collect::<Vec<_>>(), &x0).unwrap();
                (a, g)
            };
            let (alpha, sigma) = at(&t);
            let x = x0.broadcast_mul(&alpha).unwrap().add(&eps.broadcast_mul(&sigma).unwrap()).unwrap();
            let (da, ds) = flow_rates(&s, &t, &x0).unwrap();
            let u = target(Pred::Flow, &x0, &eps, &alpha, &sigma, Some((&da, &ds))).unwrap();
            // u against a central difference of x_t in t
            let h = 1e-6;
            let (ap, sp) = at(&t.map(|t| t + h));
            let (am, sm) = at(&t.map(|t| t - h));
            let xp = x0.broadcast_mul(&ap).unwrap().add(&eps.broadcast_mul(&sp).unwrap()).unwrap();
            let xm = x0.broadcast_mul(&am).unwrap().add(&eps.broadcast_mul(&sm).unwrap()).unwrap();
            let fd = ((xp - xm).unwrap() / (2.0 * h)).unwrap();
            let err: f64 = u.sub(&fd).unwrap().abs().unwrap().max_all().unwrap().to_scalar().unwrap();
            assert!(err < 1e-4, "{}: {err}", s.name());
            let back = x0_from(Pred::Flow, &u, &x, &alpha, &sigma, Some((&da, &ds))).unwrap();
            let err: f64 = back.sub(&x0).unwrap().abs().unwrap().max_all().unwrap().to_scalar().unwrap();
            assert!(err < 1e-9, "{}: x0 back {err}", s.name());
        }
        // the linear interpolant's velocity is ε − x0
        let s = Schedule::FlowLinear;
        let (da, ds) = flow_rates(&s, &t, &x0).unwrap();
        let a = per_row(&[0.7, 0.2], &x0).unwrap();
        let g = per_row(&[0.3, 0.8], &x0).unwrap();
        let u = target(Pred::Flow, &x0, &eps, &a, &g, Some((&da, &ds))).unwrap();
        let err: f64 = u.sub(&eps.sub(&x0).unwrap()).unwrap().abs().unwrap().max_all().unwrap().to_scalar().unwrap();
        assert_eq!(err, 0.0);
    }

    #[test]
    fn edm_coefficients_match_table_1() {
        let p = EdmPrecond::new(2.0, 0.5);
        assert!((p.c_skip - 0.25 / 4.25).abs() < 1e-15);
        assert!((p.c_out - 1.0 / 4.25f64.sqrt()).abs() < 1e-15);
        assert!((p.c_in - 1.0 / 4.25f64.sqrt()).abs() < 1e-15);
        assert!((p.c_noise - 0.25 * 2f64.ln()).abs() < 1e-15);
        assert!((EdmPrecond::weight(2.0, 0.5) - 1.0 / p.c_out.powi(2)).abs() < 1e-12);
    }
}
