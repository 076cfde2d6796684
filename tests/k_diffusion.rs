//! The k-diffusion samplers against k-diffusion itself: tests/data/k_diffusion.json holds
//! runs of k-diffusion's own `sampling.py` in float64 on the exact ring8 mixture denoiser
//! with every Gaussian draw given (made by tests/reference/k_diffusion_vectors.py). Each
//! run is replayed here and must match to 1e-9, with the same NFE; so must the step lists.

mod common;

use common::vectors::{data_file, f64s, mixture, params, points, worst};
use difflab::diffusion::samplers::{self, Noise, Run};
use difflab::diffusion::timesteps::{exponential_sigmas, karras_sigmas, polyexponential_sigmas, vp_sigmas};
use serde_json::Value;
use std::collections::VecDeque;

const TOL: f64 = 1e-9;

fn file() -> Value {
    data_file("k_diffusion.json")
}

/// A σ list of `steps` + 1 entries from exactly `hi` down to exactly `lo`, then 0: what
/// DPM-Solver-fast and -adaptive read from a list is its first and smallest positive σ.
fn range_list(lo: f64, hi: f64, steps: usize) -> Vec<f64> {
    let mut list: Vec<f64> = (0..steps)
        .map(|j| match j {
            0 => hi,
            j if j + 1 == steps => lo,
            j => hi * (lo / hi).powf(j as f64 / (steps - 1) as f64),
        })
        .collect();
    list.push(0.0);
    list
}

#[test]
fn step_lists_match_get_sigmas() {
    let f = file();
    let l = &f["step_lists"];
    let n = l["n"].as_u64().unwrap() as usize;
    let (lo, hi) = (l["sigma_min"].as_f64().unwrap(), l["sigma_max"].as_f64().unwrap());
    let rho = l["polyexponential_rho"].as_f64().unwrap();
    for (key, got) in [
        ("karras", karras_sigmas(n, lo, hi, 7.0).unwrap()),
        ("exponential", exponential_sigmas(n, lo, hi).unwrap()),
        ("polyexponential", polyexponential_sigmas(n, lo, hi, rho).unwrap()),
        ("vp", vp_sigmas(n).unwrap()),
    ] {
        let want = f64s(&l[key]);
        let rel = got.iter().zip(&want).map(|(a, b)| (a - b).abs() / b.abs().max(1e-300)).fold(0.0, f64::max);
        assert_eq!(got.len(), want.len(), "{key}");
        assert!(rel < 1e-12, "{key}: max relative error {rel:e}\n got {got:?}\nwant {want:?}");
    }
}

#[test]
fn samplers_reproduce_k_diffusion() {
    let f = file();
    let mix = mixture(&f["problem"]);
    let x_t = points(&f["initial"]["x_T"]);
    let mut failures = vec![];
    let mut names = std::collections::BTreeSet::new();
    for run in f["runs"].as_array().unwrap() {
        let name = run["sampler"].as_str().unwrap();
        names.insert(name.to_string());
        let params = params(&run["options"]);
        let sigmas = match run.get("sigmas") {
            Some(list) => f64s(list),
            None => {
                let (lo, hi) = (run["sigma_min"].as_f64().unwrap(), run["sigma_max"].as_f64().unwrap());
                range_list(lo, hi, run.get("steps").and_then(Value::as_u64).unwrap_or(2) as usize)
            }
        };
        let noise = match run.get("noise") {
            Some(list) => Noise::Given(list.as_array().unwrap().iter().map(points).collect::<VecDeque<_>>()),
            // a stochastic sampler run without draws (η = 0) must not ask for one
            None if samplers::find(name).unwrap().stochastic => Noise::Given(VecDeque::new()),
            None => Noise::Random,
        };
        let label = format!("{name} {} with {} σ", run["options"], sigmas.len());
        let mut r = Run::new(&mix, noise, None, false);
        let out = samplers::sample(name, &mut r, x_t.clone(), &sigmas, &params)
            .unwrap_or_else(|e| panic!("{label}: {}", e.message()));
        let err = worst(&out.to_f64_vec().unwrap(), &f64s(&run["output"]));
        let nfe = run["nfe"].as_u64().unwrap() as usize;
        if err.is_nan() || err >= TOL || r.record.nfe != nfe || r.given_noise_left() > 0 {
            failures.push(format!(
                "{label}: max error {err:e}, NFE {} (k-diffusion {nfe}), {} draws unused",
                r.record.nfe,
                r.given_noise_left()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let want = [
        "dpm_2",
        "dpm_2_ancestral",
        "dpm_adaptive",
        "dpm_fast",
        "dpmpp_2m_sde",
        "dpmpp_2s_ancestral",
        "dpmpp_3m_sde",
        "dpmpp_sde",
        "lms",
    ];
    assert_eq!(names.iter().map(String::as_str).collect::<Vec<_>>(), want);
}
