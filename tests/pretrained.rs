//! Pretrained diffusers models against diffusers itself: tests/data/pretrained.json holds the
//! raw outputs of two seeded, randomly initialised `UNet2DModel`s (saved under
//! tests/data/pretrained/ by tests/reference/diffusers_unet.py) and a 10-step DDIM (η = 0)
//! run of diffusers' `DDIMScheduler` on each. difflab's forward must match to 1e-4 of the
//! output's scale, and its own DDIM sampler on the model's denoiser to 1e-3. The VP ↔ VE
//! mapping: diffusers' state x at timestep k is √ᾱ_k times difflab's x̃ at σ_k =
//! √((1 − ᾱ_k)/ᾱ_k); its last step lands at ᾱ = 1, σ = 0.

mod common;

use common::vectors::{data_file, f64s};
use difflab::diffusion::denoiser::Denoiser;
use difflab::diffusion::discrete::DiscreteDenoiser;
use difflab::diffusion::samplers::{self, Noise, Params, Run};
use difflab::nn::network::Network;
use difflab::nn::pretrained::load::load;
use difflab::tensor::{create, create::Placement, DType, Device, Tensor};
use serde_json::Value;
use std::path::Path;

fn f32s() -> Placement {
    Placement { dtype: DType::F32, device: Device::Cpu }
}

/// The model of `folder` as a denoiser.
fn denoiser(folder: &Path) -> DiscreteDenoiser {
    let found = load(folder, &f32s()).unwrap_or_else(|e| panic!("{}: {}", folder.display(), e.message()));
    DiscreteDenoiser::new(Network::pretrained(found.config, found.store), found.scheduler).unwrap()
}

fn tensor(values: Vec<f64>, shape: &[usize]) -> Tensor {
    create::from_f64(values, shape, &f32s()).unwrap()
}

/// The largest difference relative to the largest reference value.
fn relative(got: &[f64], want: &[f64]) -> f64 {
    let scale = want.iter().fold(0f64, |m, v| m.max(v.abs()));
    got.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max) / scale
}

fn labels(v: &Value) -> Option<Tensor> {
    v.as_array().map(|a| tensor(a.iter().map(|l| l.as_f64().unwrap()).collect(), &[a.len()]))
}

/// Checks one model's forward at every recorded timestep and its DDIM run; returns the worst
/// relative errors.
fn check_model(folder: &Path, model: &Value) -> (f64, f64) {
    let den = denoiser(folder);
    let fwd = &model["forward"];
    let shape: Vec<usize> = fwd["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    let x = tensor(f64s(&fwd["x"]), &shape);
    let lab = labels(&fwd["labels"]);
    let mut worst_forward = 0f64;
    for run in fwd["runs"].as_array().unwrap() {
        let t = tensor(vec![run["t"].as_f64().unwrap()], &[1]);
        let out = den.net.forward_labeled(&x, &t, lab.as_ref()).unwrap().to_f64_vec().unwrap();
        let err = relative(&out, &f64s(&run["output"]));
        assert!(err < 1e-4, "{}: forward at t = {}: relative error {err:e}", folder.display(), run["t"]);
        worst_forward = worst_forward.max(err);
    }
    let ddim = &model["ddim"];
    let den = match labels(&ddim["labels"]) {
        Some(l) => den.labeled(l),
        None => den,
    };
    let steps = ddim["steps"].as_u64().unwrap() as usize;
    let spacing = den.scheduler.timestep_spacing.clone();
    let want_steps: Vec<usize> =
        ddim["timesteps"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    assert_eq!(den.scheduler.timesteps(steps, &spacing).unwrap(), want_steps, "{}", folder.display());
    let sigmas = den.sigmas(steps, &spacing).unwrap();
    let start: Vec<f64> = f64s(&ddim["noise"]).iter().map(|z| z * (1.0 + sigmas[0] * sigmas[0]).sqrt()).collect();
    let mut r = Run::new(&den, Noise::Random, None, false);
    let out = samplers::sample("ddim", &mut r, tensor(start, &shape), &sigmas, &Params::new()).unwrap();
    let err = relative(&out.to_f64_vec().unwrap(), &f64s(&ddim["output"]));
    assert!(err < 1e-3, "{}: 10-step DDIM: relative error {err:e}", folder.display());
    (worst_forward, err)
}

#[test]
fn pretrained_models_match_diffusers() {
    let f = data_file("pretrained.json");
    for (name, model) in f["models"].as_object().unwrap() {
        let folder = Path::new("tests/data").join(model["folder"].as_str().unwrap());
        let (forward, ddim) = check_model(&folder, model);
        println!("{name}: forward {forward:.1e}, DDIM {ddim:.1e} (relative)");
    }
}

/// DDPM CIFAR-10's architecture with random weights, made by
/// `tests/reference/diffusers_unet.py --cifar DIR` (not committed: 143 MB); run by hand with
/// `DIFFLAB_CIFAR_UNET=DIR cargo test --release --test pretrained -- --ignored`.
#[test]
#[ignore = "needs DIFFLAB_CIFAR_UNET: a folder made by tests/reference/diffusers_unet.py --cifar"]
fn the_ddpm_cifar10_architecture_matches_diffusers() {
    let dir = std::env::var("DIFFLAB_CIFAR_UNET").expect("DIFFLAB_CIFAR_UNET names the folder");
    let outputs: Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(&dir).join("outputs.json")).unwrap()).unwrap();
    let started = std::time::Instant::now();
    let found = load(Path::new(&dir), &f32s()).unwrap();
    println!("loaded in {:.3} s", started.elapsed().as_secs_f64());
    drop(found);
    let (forward, ddim) = check_model(Path::new(&dir), &outputs);
    println!("DDPM CIFAR-10 architecture: forward {forward:.1e}, DDIM {ddim:.1e} (relative)");
}

/// A copy of the tiny model's folder in a temporary directory, for breaking.
fn tiny_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["config.json", "diffusion_pytorch_model.safetensors"] {
        std::fs::copy(Path::new("tests/data/pretrained/tiny_ddpm").join(name), dir.path().join(name)).unwrap();
    }
    dir
}

fn load_error(dir: &Path) -> String {
    match load(dir, &f32s()) {
        Ok(_) => panic!("{} loaded", dir.display()),
        Err(e) => e.message().to_string(),
    }
}

#[test]
fn broken_model_folders_give_one_clear_error() {
    // an NCSN++ block type
    let dir = tiny_copy();
    let config = dir.path().join("config.json");
    let text = std::fs::read_to_string(&config).unwrap().replace("\"DownBlock2D\"", "\"SkipDownBlock2D\"");
    std::fs::write(&config, text).unwrap();
    let err = load_error(dir.path());
    assert!(
        err.starts_with(&format!("{}: block type \"SkipDownBlock2D\" is not built by difflab", config.display())),
        "{err}"
    );

    // a truncated weights file
    let dir = tiny_copy();
    let weights = dir.path().join("diffusion_pytorch_model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    let err = load_error(dir.path());
    assert!(err.starts_with(&format!("{}: not a valid safetensors file", weights.display())), "{err}");

    // a tensor of the wrong shape, and one missing
    let contents = difflab::nn::checkpoint::read(&weights_of_tiny(), &Device::Cpu).unwrap();
    let mut tensors: Vec<(String, candle_core::Tensor)> = contents.tensors.into_iter().collect();
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    let name = "down_blocks.1.resnets.0.conv1.weight";
    let i = tensors.iter().position(|(n, _)| n == name).unwrap();
    tensors[i].1 =
        candle_core::Tensor::zeros((32, 16, 1, 1), candle_core::DType::F32, &candle_core::Device::Cpu).unwrap();
    difflab::nn::checkpoint::write(&weights, &tensors, Default::default()).unwrap();
    let err = load_error(dir.path());
    assert_eq!(
        err,
        format!(
            "{}: tensor `{name}` has shape [32, 16, 1, 1] here, but config.json's architecture needs [32, 16, 3, 3]",
            weights.display()
        )
    );
    tensors.remove(i);
    difflab::nn::checkpoint::write(&weights, &tensors, Default::default()).unwrap();
    let err = load_error(dir.path());
    assert!(err.contains(&format!("no tensor `{name}`, which config.json's architecture needs")), "{err}");

    // no folder, and a PyTorch pickle only
    assert!(load_error(Path::new("tests/data/no-such-model")).contains("does not exist"));
    std::fs::rename(&weights, dir.path().join("diffusion_pytorch_model.bin")).unwrap();
    assert!(load_error(dir.path()).contains("difflab reads safetensors, not PyTorch pickles"));
}

fn weights_of_tiny() -> std::path::PathBuf {
    Path::new("tests/data/pretrained/tiny_ddpm/diffusion_pytorch_model.safetensors").to_path_buf()
}

#[test]
fn a_pipeline_folder_brings_its_schedule_and_prediction() {
    let den = denoiser(Path::new("tests/data/pretrained/tiny_cond"));
    assert_eq!(
        (den.sched.name(), den.scheduler.pred.name(), den.scheduler.timestep_spacing.as_str()),
        ("vp_discrete", "v", "trailing")
    );
    // scaled_linear β from 0.00085 to 0.012: σ_0 = √(β_0/(1 − β_0))
    let (lo, _) = den.sigma_range();
    assert!((lo - (0.00085f64 / (1.0 - 0.00085)).sqrt()).abs() < 1e-12);
    let x = tensor(vec![0.5; 2 * 3 * 64], &[2, 3, 8, 8]);
    let err = den.denoise(&x, &[1.0]).unwrap_err().message().to_string();
    assert!(err.contains("class-conditional (4 classes): give class labels"), "{err}");
    let with = den.labeled(tensor(vec![5.0], &[1]));
    assert!(with
        .denoise(&x, &[1.0])
        .unwrap_err()
        .message()
        .contains("class label 5 is not one of the model's classes 0..3"));
}

#[test]
fn guidance_on_a_pretrained_model_combines_its_conditional_and_null_outputs() {
    use difflab::diffusion::guidance::Guided;
    // tiny_cond's class table has no null row: its class 3 stands in for one here
    let den: std::sync::Arc<dyn Denoiser + Send + Sync> =
        std::sync::Arc::new(denoiser(Path::new("tests/data/pretrained/tiny_cond")));
    let x = tensor((0..2 * 3 * 64).map(|i| ((i * 53 % 97) as f64 / 48.0) - 1.0).collect(), &[2, 3, 8, 8]);
    let labels = tensor(vec![0.0, 2.0], &[2]);
    let sigma = [0.8, 3.0];
    let conditional = den.with_labels(labels.clone()).unwrap().denoise(&x, &sigma).unwrap().to_f64_vec().unwrap();
    let null = den.with_labels(tensor(vec![3.0], &[1])).unwrap().denoise(&x, &sigma).unwrap().to_f64_vec().unwrap();
    let guided = Guided::new(den.clone(), &labels, 3, 2.5).unwrap().denoise(&x, &sigma).unwrap().to_f64_vec().unwrap();
    let want: Vec<f64> = null.iter().zip(&conditional).map(|(u, c)| u + 2.5 * (c - u)).collect();
    assert!(relative(&guided, &want) < 1e-5, "{}", relative(&guided, &want));
    assert!(Guided::new(den, &tensor(vec![4.0], &[1]), 3, 2.0).is_err());
}

#[test]
fn saved_denoisers_come_back_bit_for_bit_and_name_what_they_were_trained_with() {
    use difflab::diffusion::denoiser::NetworkDenoiser;
    use difflab::diffusion::parameterization::Pred;
    use difflab::diffusion::saved::{load_denoiser, mismatch, save_denoiser};
    use difflab::diffusion::schedule::Schedule;
    let dir = tempfile::tempdir().unwrap();
    let pretrained = denoiser(Path::new("tests/data/pretrained/tiny_cond")).labeled(tensor(vec![2.0], &[1]));
    let x = tensor((0..2 * 3 * 64).map(|i| ((i * 37 % 101) as f64 / 50.0) - 1.0).collect(), &[2, 3, 8, 8]);
    let file = dir.path().join("cond.safetensors");
    save_denoiser(&pretrained, &file).unwrap();
    let back = load_denoiser(&file, &Device::Cpu).unwrap().with_labels(tensor(vec![2.0], &[1])).unwrap();
    for sigma in [0.05, 1.0, 14.0] {
        let (a, b) = (pretrained.denoise(&x, &[sigma]).unwrap(), back.denoise(&x, &[sigma]).unwrap());
        assert_eq!(a.to_f64_vec().unwrap(), b.to_f64_vec().unwrap(), "σ = {sigma}");
    }
    assert_eq!(back.sigma_range(), pretrained.sigma_range());

    let arch = difflab::nn::network::Architecture::Mlp(difflab::nn::mlp::MlpConfig {
        hidden: vec![8],
        time_embed: difflab::nn::embed::TimeInput::LogSigma,
        time_dim: 4,
        ..Default::default()
    });
    let trained = Schedule::edm(0.002, 80.0, 7.0, 1.15).unwrap();
    let net = Network::new(arch, &f32s()).unwrap();
    let own = NetworkDenoiser::new(net, trained.clone(), Pred::Edm).unwrap();
    let file = dir.path().join("mlp.safetensors");
    save_denoiser(&own, &file).unwrap();
    let back = load_denoiser(&file, &Device::Cpu).unwrap();
    let points = tensor(vec![0.3, -1.2, 2.0, 0.1], &[2, 2]);
    assert_eq!(
        own.denoise(&points, &[0.7]).unwrap().to_f64_vec().unwrap(),
        back.denoise(&points, &[0.7]).unwrap().to_f64_vec().unwrap()
    );
    let loaded = difflab::nn::checkpoint::load_network(&file, &Device::Cpu).unwrap();
    assert_eq!(mismatch(&loaded, &trained, Pred::Edm), None);
    let line = mismatch(&loaded, &Schedule::edm(0.002, 80.0, 7.0, 0.5).unwrap(), Pred::Eps).unwrap();
    assert!(
        line.contains("records edm") && line.contains("sigma_data: 1.15") && line.contains("pred \"eps\""),
        "{line}"
    );
    // a network saved without its schedule is still a network, but not a saved denoiser
    let plain = dir.path().join("plain.safetensors");
    difflab::nn::checkpoint::save_network(&own.net, &plain).unwrap();
    assert!(difflab::nn::checkpoint::load_network(&plain, &Device::Cpu).unwrap().trained_with().is_none());
    let err = load_denoiser(&plain, &Device::Cpu).err().unwrap();
    assert!(err.message().contains("saved without its schedule and prediction"), "{}", err.message());
}

#[test]
fn the_pretrained_script_samples_the_shipped_model_at_matched_nfe() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().to_str().unwrap();
    let out = common::run_file(Path::new("scripts/pretrained.rhai"), &["tests/data/pretrained/tiny_ddpm", folder]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for method in ["ddim", "heun", "dpmpp_2m", "unipc"] {
        let nfes: Vec<usize> = stdout
            .lines()
            .filter_map(|l| l.strip_prefix(&format!("{method}: ")))
            .map(|l| l.split(", ").nth(1).unwrap().trim_end_matches(" NFE").parse().unwrap())
            .collect();
        // within the budgets 10 and 20: Heun spends 2·steps − 1
        let want = if method == "heun" { vec![9, 19] } else { vec![10, 20] };
        assert_eq!(nfes, want, "{method}:\n{stdout}");
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no scheduler config beside the model; using DDPM's"), "{stderr}");
    let png = std::fs::read(dir.path().join("pretrained.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}
