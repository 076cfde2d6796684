//! Step lists for samplers: times from noisy to clean under several spacings,
//! their noise levels, and the Karras et al. (2022, eq. 5) σ sequence.

use super::schedule::Schedule;
use crate::error::Result;

/// The most steps a sampler's noise-level list may have: far beyond any sampler's use,
/// small enough that the lists and the per-step work stay in memory.
pub const MAX_STEPS: usize = 10_000_000;

/// Checks a step count: at least 1 and at most [`MAX_STEPS`].
pub fn check_steps(n: usize) -> Result<()> {
    if n == 0 || n > MAX_STEPS {
        crate::bail!("steps must be an integer between 1 and {MAX_STEPS}, got {n}");
    }
    Ok(())
}

/// How sampling times are spread between the schedule's ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spacing {
    /// Uniform in t.
    Uniform,
    /// Uniform in log-SNR.
    LogSnr,
    /// Quadratic in t, dense near t = 0 (DDIM's "quad" selection, Song et al. 2021).
    Quadratic,
    /// EDM's ρ = 7 spacing of σ (Karras et al. 2022, eq. 5).
    Karras,
    /// Discrete steps `k·T/n + 1` (DDIM / diffusers "leading"; Lin et al. 2024, table 2).
    Leading,
    /// Discrete steps ending exactly at T (Lin et al. 2024, "trailing").
    Trailing,
}

/// The names of the spacings, as scripts write them.
pub const SPACINGS: &[&str] = &["uniform", "logsnr", "quadratic", "karras", "leading", "trailing"];

impl Spacing {
    /// Parses a spacing name.
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "uniform" => Spacing::Uniform,
            "logsnr" => Spacing::LogSnr,
            "quadratic" => Spacing::Quadratic,
            "karras" => Spacing::Karras,
            "leading" => Spacing::Leading,
            "trailing" => Spacing::Trailing,
            other => crate::bail!(
                "unknown spacing \"{other}\"; expected one of {} (over a schedule's times) or {} (σ lists over the denoiser's range)",
                SPACINGS.join(", "),
                SIGMA_SPACINGS.join(", ")
            ),
        })
    }
}

/// `n` σ values from σ_max down to σ_min, ρ-spaced, followed by 0 (k-diffusion's `get_sigmas_karras`).
pub fn karras_sigmas(n: usize, sigma_min: f64, sigma_max: f64, rho: f64) -> Result<Vec<f64>> {
    check_steps(n)?;
    if !(0.0 < sigma_min && sigma_min < sigma_max) || rho <= 0.0 {
        crate::bail!("need 0 < sigma_min < sigma_max and rho > 0, got {sigma_min}, {sigma_max}, {rho}");
    }
    let (lo, hi) = (sigma_min.powf(1.0 / rho), sigma_max.powf(1.0 / rho));
    let mut out: Vec<f64> = (0..n)
        .map(|i| {
            let ramp = if n == 1 { 0.0 } else { i as f64 / (n - 1) as f64 };
            (hi + ramp * (lo - hi)).powf(rho)
        })
        .collect();
    exact_ends(&mut out, sigma_min, sigma_max);
    out.push(0.0);
    Ok(out)
}

/// Puts the ends of a list from σ_max down to σ_min at exactly those values: the closed forms
/// land a few ulps off (σ_max = 80 came out as 79.99999999999997), which a printed list shows.
fn exact_ends(list: &mut [f64], sigma_min: f64, sigma_max: f64) {
    if let Some(first) = list.first_mut() {
        *first = sigma_max;
    }
    if list.len() > 1 {
        list[list.len() - 1] = sigma_min;
    }
}

/// The spacings that are closed-form σ lists over a σ range, with no schedule needed
/// (k-diffusion's `get_sigmas_*`).
pub const SIGMA_SPACINGS: &[&str] = &["karras", "exponential", "polyexponential", "vp", "ays"];

/// `values` from `a` to `b` in `n` evenly spaced points (`torch.linspace`; `[a]` when n = 1).
fn linspace(a: f64, b: f64, n: usize) -> impl Iterator<Item = f64> {
    (0..n).map(move |i| {
        if n == 1 {
            a
        } else if i == n - 1 {
            b
        } else {
            a + (b - a) * i as f64 / (n - 1) as f64
        }
    })
}

/// `n` σ values evenly spaced in log σ from σ_max down to σ_min, then 0
/// (k-diffusion's `get_sigmas_exponential`).
pub fn exponential_sigmas(n: usize, sigma_min: f64, sigma_max: f64) -> Result<Vec<f64>> {
    polyexponential_sigmas(n, sigma_min, sigma_max, 1.0)
}

/// `n` σ values σ_i = exp(r_i^ρ (log σ_max − log σ_min) + log σ_min) with r_i running
/// evenly from 1 to 0, then 0: polynomial in log σ (k-diffusion's
/// `get_sigmas_polyexponential`; ρ = 1 is the exponential list).
pub fn polyexponential_sigmas(n: usize, sigma_min: f64, sigma_max: f64, rho: f64) -> Result<Vec<f64>> {
    check_steps(n)?;
    if !(0.0 < sigma_min && sigma_min < sigma_max && sigma_max.is_finite() && rho > 0.0 && rho.is_finite()) {
        crate::bail!("need 0 < sigma_min < sigma_max and rho > 0, got {sigma_min}, {sigma_max}, {rho}");
    }
    let (lo, hi) = (sigma_min.ln(), sigma_max.ln());
    let mut out: Vec<f64> = if rho == 1.0 {
        linspace(hi, lo, n).map(f64::exp).collect()
    } else {
        linspace(1.0, 0.0, n).map(|r| (r.powf(rho) * (hi - lo) + lo).exp()).collect()
    };
    exact_ends(&mut out, sigma_min, sigma_max);
    out.push(0.0);
    Ok(out)
}

/// The constants of k-diffusion's continuous VP list: β_d, β_min and the end time ε_s
/// (Song et al. 2021's VP SDE with β(t) = β_min + β_d t).
pub const VP_LIST: (f64, f64, f64) = (19.9, 0.1, 1e-3);

/// `n` σ values of the continuous VP SDE at times evenly spaced from 1 to ε_s,
/// σ(t) = √(exp(β_d t²/2 + β_min t) − 1), then 0 (k-diffusion's `get_sigmas_vp` with
/// its defaults [`VP_LIST`]).
pub fn vp_sigmas(n: usize) -> Result<Vec<f64>> {
    check_steps(n)?;
    let (beta_d, beta_min, eps_s) = VP_LIST;
    let mut out: Vec<f64> =
        linspace(1.0, eps_s, n).map(|t| (beta_d * t * t / 2.0 + beta_min * t).exp_m1().sqrt()).collect();
    out.push(0.0);
    Ok(out)
}

/// The published 10-step lists of Align Your Steps (Sabour, Fidler & Kreis 2024, "Align Your
/// Steps: Optimizing Sampling Schedules in Diffusion Models", released with the paper's
/// how-to): σ levels optimized for Stable Diffusion 1.5, SDXL and Stable Video Diffusion,
/// each for its model's own σ range.
pub const AYS_LISTS: &[(&str, [f64; 11])] = &[
    (
        "sd1",
        [
            14.6146412293,
            6.4745760956,
            3.8636745985,
            2.6946151520,
            1.8841921177,
            1.3943805092,
            0.9642583904,
            0.6523686016,
            0.3977456272,
            0.1515232662,
            0.0291671582,
        ],
    ),
    (
        "sdxl",
        [
            14.6146412293,
            6.3184485287,
            3.7681790315,
            2.1811480769,
            1.3405244945,
            0.8620721141,
            0.5550693289,
            0.3798540708,
            0.2332364134,
            0.1114188177,
            0.0291671582,
        ],
    ),
    ("svd", [700.00, 54.5, 15.886, 7.977, 4.248, 1.789, 0.981, 0.403, 0.173, 0.034, 0.002]),
];

/// The Align Your Steps list for `model` (a name of [`AYS_LISTS`]) at `n` steps: the published
/// 11 levels interpolated linearly in log σ at n + 1 evenly spaced positions (the paper's
/// recipe for other step counts), the last replaced by 0 as the paper's how-to does.
pub fn ays_sigmas(n: usize, model: &str) -> Result<Vec<f64>> {
    check_steps(n)?;
    let Some((_, levels)) = AYS_LISTS.iter().find(|(name, _)| *name == model) else {
        let names: Vec<&str> = AYS_LISTS.iter().map(|(name, _)| *name).collect();
        crate::bail!("unknown Align Your Steps list \"{model}\"; the lists are {}", names.join(", "));
    };
    let last = levels.len() - 1;
    let mut out: Vec<f64> = linspace(0.0, last as f64, n + 1)
        .map(|at| {
            let i = (at.floor() as usize).min(last - 1);
            let frac = at - i as f64;
            if frac == 0.0 {
                return levels[i];
            }
            (levels[i].ln() * (1.0 - frac) + levels[i + 1].ln() * frac).exp()
        })
        .collect();
    out[n] = 0.0;
    Ok(out)
}

/// `n + 1` decreasing times for `n` sampling steps: `n` noisy times, then the end time
/// (t_min of the schedule, or 0 for the discrete spacings and Karras).
pub fn timesteps(s: &Schedule, n: usize, spacing: Spacing) -> Result<Vec<f64>> {
    check_steps(n)?;
    let (t0, t1) = (s.t_min(), s.t_max());
    let frac = |i: usize| i as f64 / n as f64;
    // from `a` at i = 0 to exactly `b` at i = n
    let lerp = |a: f64, b: f64, i: usize| if i == n { b } else { a + frac(i) * (b - a) };
    Ok(match spacing {
        Spacing::Uniform => (0..=n).map(|i| lerp(t1, t0, i)).collect(),
        Spacing::Quadratic => (0..=n).map(|i| t0 + (t1 - t0) * (1.0 - frac(i)).powi(2)).collect(),
        Spacing::LogSnr => {
            let (l1, l0) = (s.logsnr(t1), s.logsnr(t0));
            (0..=n).map(|i| if i == n { t0 } else { s.t_of_logsnr(lerp(l1, l0, i)) }).collect()
        }
        Spacing::Karras => {
            let sigmas = karras_sigmas(n, s.edm_sigma(t0), s.edm_sigma(t1), 7.0)?;
            let mut ts: Vec<f64> = sigmas[..n].iter().map(|&sg| s.t_of_edm_sigma(sg)).collect();
            ts.push(0.0);
            ts
        }
        Spacing::Leading | Spacing::Trailing => {
            let big = s.discrete_steps().unwrap_or(1000);
            if n > big {
                crate::bail!("{n} steps are more than the schedule's {big} discrete steps");
            }
            let ratio = big as f64 / n as f64;
            let mut ts: Vec<f64> = (0..n)
                .map(|k| {
                    let index = if spacing == Spacing::Leading {
                        ((n - 1 - k) as f64 * (big / n) as f64).round() + 1.0
                    } else {
                        (big as f64 - k as f64 * ratio).round()
                    };
                    index / big as f64
                })
                .collect();
            ts.push(0.0);
            ts
        }
    })
}

/// `n + 1` VE/EDM noise levels σ/α for `n` sampling steps, ending in 0 — what
/// samplers take. Karras spacing uses the closed form over the schedule's σ range.
pub fn sigma_steps(s: &Schedule, n: usize, spacing: Spacing) -> Result<Vec<f64>> {
    if spacing == Spacing::Karras {
        return karras_sigmas(n, s.edm_sigma(s.t_min()), s.edm_sigma(s.t_max()), 7.0);
    }
    let mut sigmas: Vec<f64> = timesteps(s, n, spacing)?.into_iter().map(|t| s.edm_sigma(t)).collect();
    if let Some(last) = sigmas.last_mut() {
        *last = 0.0;
    }
    Ok(sigmas)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn karras_sigmas_follow_the_closed_form() {
        let sig = karras_sigmas(5, 0.002, 80.0, 7.0).unwrap();
        assert_eq!(sig.len(), 6);
        for (i, &s) in sig[..5].iter().enumerate() {
            let want =
                (80f64.powf(1.0 / 7.0) + i as f64 / 4.0 * (0.002f64.powf(1.0 / 7.0) - 80f64.powf(1.0 / 7.0))).powf(7.0);
            assert!((s - want).abs() < 1e-12 * want, "{i}: {s} vs {want}");
        }
        assert!((sig[0] - 80.0).abs() < 1e-10 && (sig[4] - 0.002).abs() < 1e-15 && sig[5] == 0.0);
    }

    #[test]
    fn spacings_decrease_and_hit_their_ends() {
        let s = Schedule::vp_linear(1e-4, 0.02, 1000).unwrap();
        for name in SPACINGS {
            let ts = timesteps(&s, 10, Spacing::parse(name).unwrap()).unwrap();
            assert_eq!(ts.len(), 11, "{name}");
            assert!(ts.windows(2).all(|w| w[0] > w[1]), "{name}: {ts:?}");
        }
        let trailing = timesteps(&s, 4, Spacing::Trailing).unwrap();
        assert_eq!(trailing, vec![1.0, 0.75, 0.5, 0.25, 0.0]);
        let leading = timesteps(&s, 4, Spacing::Leading).unwrap();
        assert_eq!(leading, vec![0.751, 0.501, 0.251, 0.001, 0.0]);
        let uniform = timesteps(&s, 2, Spacing::Uniform).unwrap();
        assert_eq!(uniform, vec![1.0, 0.5005, 0.001]);
        let ls = timesteps(&s, 4, Spacing::LogSnr).unwrap();
        let lambdas: Vec<f64> = ls.iter().map(|&t| s.logsnr(t)).collect();
        let step = lambdas[1] - lambdas[0];
        assert!(lambdas.windows(2).all(|w| ((w[1] - w[0]) - step).abs() < 1e-6), "{lambdas:?}");
        assert!(Spacing::parse("cubic").unwrap_err().message().contains("uniform, logsnr"));
    }

    #[test]
    fn ays_lists_are_the_published_levels_interpolated_in_log_sigma() {
        let (_, sd1) = AYS_LISTS[0];
        let ten = ays_sigmas(10, "sd1").unwrap();
        assert_eq!(ten[..10], sd1[..10]);
        assert_eq!(ten[10], 0.0);
        // twice the steps: the published levels and their geometric means in between
        let twenty = ays_sigmas(20, "sdxl").unwrap();
        let (_, sdxl) = AYS_LISTS[1];
        for i in 0..10 {
            assert!((twenty[2 * i] - sdxl[i]).abs() < 1e-12 * sdxl[i], "{i}");
            let mean = (sdxl[i] * sdxl[i + 1]).sqrt();
            assert!((twenty[2 * i + 1] - mean).abs() < 1e-12 * mean, "{i}");
        }
        assert_eq!(ays_sigmas(1, "svd").unwrap(), vec![700.0, 0.0]);
        assert!(ays_sigmas(5, "sd3").unwrap_err().message().contains("sd1, sdxl, svd"));
    }
}
