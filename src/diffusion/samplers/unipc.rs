//! UniPC (Zhao et al. 2023, "UniPC: A Unified Predictor-Corrector Framework for Fast
//! Sampling of Diffusion Models", Alg. 2 and 3 with the data prediction, eq. 9–12), as
//! diffusers' `UniPCMultistepScheduler` with `predict_x0`: in λ = −log σ, each step first
//! corrects the state it arrived at with the new denoised estimate (UniC, order p + 1 from
//! the same calls), then predicts the next one (UniP, order p) from the last p estimates:
//! x' = (σ'/σ) x − (e^{−h} − 1) D₀ − B(h) Σ_k ρ_k (D_k − D₀)/r_k with r_k = (λ_k − λ₀)/h,
//! where the ρ solve the order conditions Σ_k ρ_k r_k^{j−1} = j! φ_{j+1}(−h)/B(h) (B(h) = −h
//! for "bh1", e^{−h} − 1 for "bh2"; ρ = ½ in closed form for the order-2 predictor and the
//! order-1 corrector). The first steps warm up with lower orders and, with `lower_order_final`,
//! so do the last; the corrector adds no model call, so NFE = steps. A step into σ = 0
//! returns the last estimate D₀ (λ = ∞ there: the limit of the "bh2" update; diffusers gives
//! NaN for "bh1" and singular order conditions above order 1 there).

use super::{combine, OptionDefault, OptionSpec, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;
use std::collections::VecDeque;

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "unipc",
    summary: "UniPC: multistep predictor with a free corrector in log σ (Zhao et al. 2023, Alg. 2-3)",
    options: &[
        OptionSpec {
            key: "order",
            default: OptionDefault::Count(2),
            doc: "the predictor's order, 1 to 3 (diffusers' solver_order)",
        },
        OptionSpec {
            key: "variant",
            default: OptionDefault::Choice(&["bh2", "bh1"]),
            doc: "B(h): \"bh2\" = e^{−h} − 1, \"bh1\" = −h (the paper's B₁, B₂)",
        },
        OptionSpec {
            key: "lower_order_final",
            default: OptionDefault::Count(1),
            doc: "1: the last steps use lower orders (as diffusers), 0: full order to the end",
        },
        OptionSpec {
            key: "corrector",
            default: OptionDefault::Count(1),
            doc: "1: UniC after every step (UniPC), 0: the predictor alone (UniP)",
        },
    ],
    stochastic: false,
    cost: super::nfe::ONE_PER_STEP,
    run: unipc,
};

/// λ = −log σ (+∞ at σ = 0).
fn lambda(sigma: f64) -> f64 {
    -sigma.ln()
}

/// The coefficients ρ of an update of `order` over a step of length h (in λ) from the
/// ratios `rks` (r_k of the earlier estimates, then 1): solves the first `rows` order
/// conditions (all of them for the corrector, all but the last for the predictor).
/// Returns (B(h), ρ).
fn coefficients(h: f64, rks: &[f64], bh1: bool, rows: usize) -> Result<(f64, Vec<f64>)> {
    let hh = -h;
    let h_phi_1 = hh.exp_m1();
    let b_h = if bh1 { hh } else { h_phi_1 };
    let order = rks.len();
    let mut b = Vec::with_capacity(order);
    let mut h_phi_k = h_phi_1 / hh - 1.0;
    let mut factorial = 1.0;
    for k in 1..=order {
        b.push(h_phi_k * factorial / b_h);
        factorial *= (k + 1) as f64;
        h_phi_k = h_phi_k / hh - 1.0 / factorial;
    }
    // R[j][k] = r_k^j
    let matrix: Vec<Vec<f64>> = (0..rows).map(|j| rks[..rows].iter().map(|r| r.powi(j as i32)).collect()).collect();
    Ok((b_h, solve(matrix, b[..rows].to_vec())?))
}

/// Solves a small linear system by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Result<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs())).unwrap_or(col);
        if a[pivot][col] == 0.0 || !a[pivot][col].is_finite() {
            crate::bail!("unipc: the order conditions are singular (repeated noise levels?)");
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let (upper, lower) = a.split_at_mut(col + 1);
        let pivot_row = &upper[col];
        for (offset, row) in lower.iter_mut().enumerate() {
            let f = row[col] / pivot_row[col];
            for (value, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *value -= f * p;
            }
            b[col + 1 + offset] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let tail: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - tail) / a[row][row];
    }
    Ok(x)
}

/// One UniP or UniC update from σ_s, where the estimate is `m0`, to σ_t, with the earlier
/// estimates and their σ (newest first).
struct Update<'a> {
    sigma_s: f64,
    sigma_t: f64,
    m0: &'a Tensor,
    earlier: &'a [(Tensor, f64)],
}

impl Update<'_> {
    /// The ratios r_k and the scaled differences (D_k − D₀)/r_k.
    fn differences(&self, h: f64) -> Result<(Vec<f64>, Vec<Tensor>)> {
        let mut rks = vec![];
        let mut d1s = vec![];
        for (m, sigma) in self.earlier {
            let rk = (lambda(*sigma) - lambda(self.sigma_s)) / h;
            d1s.push(combine(&[(1.0 / rk, m), (-1.0 / rk, self.m0)])?);
            rks.push(rk);
        }
        rks.push(1.0);
        Ok((rks, d1s))
    }

    /// (σ_t/σ_s) x − (e^{−h} − 1) D₀ plus −B(h) times the sum of `terms`.
    fn apply(&self, x: &Tensor, h: f64, b_h: f64, terms: &[(f64, &Tensor)]) -> Result<Tensor> {
        let mut all: Vec<(f64, &Tensor)> = vec![(self.sigma_t / self.sigma_s, x), (-(-h).exp_m1(), self.m0)];
        all.extend(terms.iter().map(|(c, t)| (-b_h * c, *t)));
        combine(&all)
    }

    /// UniP of `order` (one more than the earlier estimates given).
    fn predict(&self, x: &Tensor, bh1: bool) -> Result<Tensor> {
        let h = lambda(self.sigma_t) - lambda(self.sigma_s);
        if self.sigma_t == 0.0 {
            // λ_t = ∞: the update is D₀ (the order conditions degenerate)
            return Ok(self.m0.clone());
        }
        let (rks, d1s) = self.differences(h)?;
        let order = rks.len();
        let (b_h, rhos) = match order {
            1 => (0.0, vec![]),
            2 => (coefficients(h, &rks, bh1, 0)?.0, vec![0.5]),
            _ => coefficients(h, &rks, bh1, order - 1)?,
        };
        let terms: Vec<(f64, &Tensor)> = rhos.iter().copied().zip(&d1s).collect();
        self.apply(x, h, b_h, &terms)
    }

    /// UniC of `order` (one more than the earlier estimates given) with the new estimate `m_t`.
    fn correct(&self, x: &Tensor, m_t: &Tensor, bh1: bool) -> Result<Tensor> {
        let h = lambda(self.sigma_t) - lambda(self.sigma_s);
        let (rks, d1s) = self.differences(h)?;
        let order = rks.len();
        let (b_h, rhos) =
            if order == 1 { (coefficients(h, &rks, bh1, 0)?.0, vec![0.5]) } else { coefficients(h, &rks, bh1, order)? };
        let d1_t = combine(&[(1.0, m_t), (-1.0, self.m0)])?;
        let mut terms: Vec<(f64, &Tensor)> = rhos[..order - 1].iter().copied().zip(&d1s).collect();
        terms.push((rhos[order - 1], &d1_t));
        self.apply(x, h, b_h, &terms)
    }
}

/// NFE = steps.
pub fn unipc(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let order = p.count("order")?;
    if !(1..=3).contains(&order) {
        crate::bail!("option `order` of method \"unipc\" must be 1, 2 or 3, got {order}");
    }
    let bh1 = p.text("variant")? == "bh1";
    let lower_order_final = p.count("lower_order_final")? != 0;
    let use_corrector = p.count("corrector")? != 0;
    let n = sigmas.len() - 1;
    let mut x = x;
    // the latest estimates and their σ, newest first
    let mut history: VecDeque<(Tensor, f64)> = VecDeque::with_capacity(order);
    let mut last: Option<(Tensor, usize)> = None;
    let mut warm = 0;
    for i in 0..n {
        let denoised = run.denoise(&x, sigmas[i])?;
        if let (Some((last_x, last_order)), true) = (&last, use_corrector) {
            let (m0, s0) = &history[0];
            let earlier: Vec<(Tensor, f64)> = history.iter().skip(1).take(last_order - 1).cloned().collect();
            let update = Update { sigma_s: *s0, sigma_t: sigmas[i], m0, earlier: &earlier };
            x = update.correct(last_x, &denoised, bh1)?;
        }
        if history.len() == order {
            history.pop_back();
        }
        history.push_front((denoised.clone(), sigmas[i]));
        let mut this_order = if lower_order_final { order.min(n - i) } else { order };
        this_order = this_order.min(warm + 1);
        let earlier: Vec<(Tensor, f64)> = history.iter().skip(1).take(this_order - 1).cloned().collect();
        let update = Update { sigma_s: sigmas[i], sigma_t: sigmas[i + 1], m0: &denoised, earlier: &earlier };
        let next = update.predict(&x, bh1)?;
        last = Some((x, this_order));
        x = next;
        warm = (warm + 1).min(order);
        run.step(i, sigmas[i], sigmas[i + 1], &x, &denoised)?;
    }
    Ok(x)
}
