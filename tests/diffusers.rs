//! The diffusers samplers against diffusers itself: tests/data/diffusers.json holds runs of
//! diffusers' own schedulers in float64 on the exact ring8 mixture denoiser (made by
//! tests/reference/diffusers_vectors.py), given as VE noise levels, a VE start and a VE
//! result. Each run is replayed here and must match to 1e-9, with the same NFE. PNDM's
//! Runge–Kutta midpoints come from the denoiser's schedule, so its runs name one.

mod common;

use common::vectors::{data_file, f64s, mixture, params, points, worst};
use difflab::diffusion::denoiser::Denoiser;
use difflab::diffusion::mixture::Mixture;
use difflab::diffusion::samplers::{self, Noise, Run};
use difflab::diffusion::schedule::Schedule;
use difflab::error::Result;
use difflab::tensor::Tensor;

/// The exact mixture denoiser, reporting the schedule a network would have been trained under.
struct Scheduled<'a> {
    mix: &'a Mixture,
    schedule: Schedule,
}

impl Denoiser for Scheduled<'_> {
    fn denoise(&self, x: &Tensor, sigma: &[f64]) -> Result<Tensor> {
        self.mix.denoise(x, sigma)
    }
    fn example_shape(&self) -> Option<Vec<usize>> {
        self.mix.example_shape()
    }
    fn sigma_range(&self) -> (f64, f64) {
        self.mix.sigma_range()
    }
    fn schedule(&self) -> Option<&Schedule> {
        Some(&self.schedule)
    }
}

#[test]
fn samplers_reproduce_diffusers() {
    let f = data_file("diffusers.json");
    let mix = mixture(&f["problem"]);
    let mut failures = vec![];
    let runs = f["runs"].as_array().unwrap();
    for run in runs {
        let name = run["sampler"].as_str().unwrap();
        let sigmas = f64s(&run["sigmas"]);
        let label = format!("{name} {} (diffusers {})", run["options"], run["diffusers"]);
        let scheduled = run["schedule"]["vp_linear"].as_array().map(|a| {
            let p: Vec<f64> = a.iter().map(|v| v.as_f64().unwrap()).collect();
            Scheduled { mix: &mix, schedule: Schedule::vp_linear(p[0], p[1], p[2] as usize).unwrap() }
        });
        let den: &dyn Denoiser = match &scheduled {
            Some(s) => s,
            None => &mix,
        };
        let mut r = Run::new(den, Noise::Random, None, false);
        let out = samplers::sample(name, &mut r, points(&run["x"]), &sigmas, &params(&run["options"]))
            .unwrap_or_else(|e| panic!("{label}: {}", e.message()));
        let err = worst(&out.to_f64_vec().unwrap(), &f64s(&run["output"]));
        let nfe = run["nfe"].as_u64().unwrap() as usize;
        if err.is_nan() || err >= 1e-9 || r.record.nfe != nfe {
            failures.push(format!("{label}: max error {err:e}, NFE {} (diffusers {nfe})", r.record.nfe));
        }
    }
    assert!(failures.is_empty(), "{} of {} runs differ:\n{}", failures.len(), runs.len(), failures.join("\n"));
    let names: std::collections::BTreeSet<&str> = runs.iter().map(|r| r["sampler"].as_str().unwrap()).collect();
    assert_eq!(names.into_iter().collect::<Vec<_>>(), ["deis", "ipndm", "plms", "pndm", "unipc"]);
}
