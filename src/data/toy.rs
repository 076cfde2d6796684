//! 2-D toy distributions: the swirl of VDM's 2-D example (used by the
//! shortcut-MCMC paper), two moons, concentric rings and a checkerboard.

use crate::error::Result;
use crate::tensor::{create, create::Placement, rng, Tensor};
use rand::Rng;
use std::f64::consts::PI;

/// Options of [`swirl`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SwirlOptions {
    /// Noise standard deviation in the swirl's own units (0.25 in VDM).
    pub noise: f64,
    /// Round to 8-bit levels as VDM does before mapping to [-1, 1].
    pub quantize: bool,
}

impl Default for SwirlOptions {
    fn default() -> Self {
        Self { noise: 0.25, quantize: false }
    }
}

/// The most rings `rings` draws.
pub const MAX_RINGS: usize = 10_000;

/// How many points are made between interrupt checks.
const CHECK_EVERY: usize = 1 << 16;

/// Checks that `n` 2-D points, with the draws that make them, fit the memory budget.
fn check_points(n: usize) -> Result<()> {
    // n uniforms, 2n normals and 2n coordinates, as f64
    crate::memory::check_shape(&[n, 5], 8).map(|_| ())
}

/// The swirl of Kingma et al.'s VDM 2-D example: θ = 3π√u, r = 2θ + π,
/// x = (r cos θ, r sin θ) + noise·ε, mapped to 8-bit levels `4(x + 30)` and then
/// to [-1, 1] by `v/127.5 − 1` (so the points lie in about [-0.75, 0.64]).
pub fn swirl(n: usize, opts: SwirlOptions, at: &Placement) -> Result<Tensor> {
    check_points(n)?;
    let u = rng::uniform(n, 0.0, 1.0)?;
    let z = rng::normal(2 * n)?;
    let mut values = Vec::with_capacity(2 * n);
    for i in 0..n {
        if i % CHECK_EVERY == 0 {
            crate::interrupt::check()?;
        }
        let theta = u[i].sqrt() * 3.0 * PI;
        let r = 2.0 * theta + PI;
        for (j, coord) in [r * theta.cos(), r * theta.sin()].into_iter().enumerate() {
            let mut level = 4.0 * (coord + opts.noise * z[2 * i + j] + 30.0);
            if opts.quantize {
                level = level.clamp(0.0, 255.0).floor();
            }
            values.push(level / 127.5 - 1.0);
        }
    }
    create::from_f64(values, &[n, 2], at)
}

/// Two interleaving half circles (scikit-learn's `make_moons`), centred on the origin.
pub fn moons(n: usize, noise: f64, at: &Placement) -> Result<Tensor> {
    check_points(n)?;
    let outer = n.div_ceil(2);
    let u = rng::uniform(n, 0.0, PI)?;
    let z = rng::normal(2 * n)?;
    let mut values = Vec::with_capacity(2 * n);
    for i in 0..n {
        if i % CHECK_EVERY == 0 {
            crate::interrupt::check()?;
        }
        let (x, y) = if i < outer { (u[i].cos(), u[i].sin()) } else { (1.0 - u[i].cos(), 0.5 - u[i].sin()) };
        values.push(x - 0.5 + noise * z[2 * i]);
        values.push(y - 0.25 + noise * z[2 * i + 1]);
    }
    create::from_f64(values, &[n, 2], at)
}

/// Points on `count` concentric circles of radii 1/count, 2/count, ..., 1, with
/// as many points per circle as its length asks for, plus Gaussian noise.
pub fn rings(n: usize, count: usize, noise: f64, at: &Placement) -> Result<Tensor> {
    check_points(n)?;
    if count == 0 || count > MAX_RINGS {
        crate::bail!("count must be between 1 and {MAX_RINGS}, got {count}");
    }
    let total: usize = (1..=count).sum();
    let z = rng::normal(2 * n)?;
    let values: Vec<f64> = rng::with_rng(|r| {
        let mut v = Vec::with_capacity(2 * n);
        for i in 0..n {
            if i % CHECK_EVERY == 0 {
                crate::interrupt::check()?;
            }
            // ring k (1-based) is chosen with probability k / total
            let pick = r.random_range(0..total);
            let mut k = 1;
            let mut acc = 1;
            while pick >= acc {
                k += 1;
                acc += k;
            }
            let radius = k as f64 / count as f64;
            let a: f64 = r.random_range(0.0..2.0 * PI);
            v.push(radius * a.cos() + noise * z[2 * i]);
            v.push(radius * a.sin() + noise * z[2 * i + 1]);
        }
        Ok::<_, crate::Error>(v)
    })?;
    create::from_f64(values, &[n, 2], at)
}

/// Uniform points on the dark squares of a `squares × squares` checkerboard covering [-2, 2]².
pub fn checkerboard(n: usize, squares: usize, at: &Placement) -> Result<Tensor> {
    check_points(n)?;
    if squares < 2 {
        crate::bail!("squares must be at least 2");
    }
    let side = 4.0 / squares as f64;
    let values: Vec<f64> = rng::with_rng(|r| {
        let mut v = Vec::with_capacity(2 * n);
        for i in 0..n {
            if i % CHECK_EVERY == 0 {
                crate::interrupt::check()?;
            }
            let row = r.random_range(0..squares);
            // dark squares have an even row + column
            let col = 2 * r.random_range(0..squares.div_ceil(2)) + (row % 2);
            let col = if col >= squares { col - 2 } else { col };
            v.push(-2.0 + (col as f64 + r.random::<f64>()) * side);
            v.push(-2.0 + (row as f64 + r.random::<f64>()) * side);
        }
        Ok::<_, crate::Error>(v)
    })?;
    create::from_f64(values, &[n, 2], at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(t: &Tensor) -> Vec<(f64, f64)> {
        t.to_f64_vec().unwrap().chunks(2).map(|c| (c[0], c[1])).collect()
    }

    #[test]
    fn swirl_lies_in_vdm_range_and_is_seeded() {
        rng::seed(1);
        let a = swirl(1024, SwirlOptions::default(), &Placement::default()).unwrap();
        rng::seed(1);
        let b = swirl(1024, SwirlOptions::default(), &Placement::default()).unwrap();
        assert_eq!(a.to_f64_vec().unwrap(), b.to_f64_vec().unwrap());
        let noiseless = swirl(
            500,
            SwirlOptions { noise: 0.0, quantize: false },
            &Placement { dtype: candle_core::DType::F64, ..Default::default() },
        )
        .unwrap();
        for (x, y) in points(&noiseless) {
            // back to swirl units: the radius grows with the angle as r = 2θ + π
            let (u, v) = ((x + 1.0) * 127.5 / 4.0 - 30.0, (y + 1.0) * 127.5 / 4.0 - 30.0);
            let r = (u * u + v * v).sqrt();
            assert!((PI - 1e-9..=7.0 * PI + 1e-9).contains(&r), "radius {r}");
        }
        let q = swirl(100, SwirlOptions { noise: 0.25, quantize: true }, &Placement::default()).unwrap();
        assert!(q.to_f64_vec().unwrap().iter().all(|v| ((v + 1.0) * 127.5 - ((v + 1.0) * 127.5).round()).abs() < 1e-3));
    }

    #[test]
    fn checkerboard_points_sit_on_dark_squares() {
        let x = checkerboard(2000, 4, &Placement { dtype: candle_core::DType::F64, ..Default::default() }).unwrap();
        for (a, b) in points(&x) {
            let (c, r) = (((a + 2.0) / 1.0).floor() as i64, ((b + 2.0) / 1.0).floor() as i64);
            assert_eq!((c + r) % 2, 0, "({a}, {b})");
        }
    }

    #[test]
    fn rings_have_the_right_radii() {
        let x = rings(3000, 3, 0.0, &Placement { dtype: candle_core::DType::F64, ..Default::default() }).unwrap();
        let mut counts = [0usize; 3];
        for (a, b) in points(&x) {
            let r = (a * a + b * b).sqrt();
            let k = (r * 3.0).round() as usize;
            assert!((r * 3.0 - k as f64).abs() < 1e-9 && (1..=3).contains(&k));
            counts[k - 1] += 1;
        }
        assert!(counts[0] < counts[1] && counts[1] < counts[2], "{counts:?}");
        let m = moons(100, 0.0, &Placement::default()).unwrap();
        assert_eq!(m.dims(), &[100, 2]);
    }
}
