//! The benchmark workloads and difflab's side of them, each written as the Rhai a
//! researcher would write; `difflab bench-worker` runs one and prints its rate as JSON.

use super::timing::{best_rate, Measured};
use crate::diffusion::loss::{diffusion_loss, LossOptions, Weighting};
use crate::diffusion::parameterization::Pred;
use crate::diffusion::schedule::Schedule;
use crate::error::{Error, Result};
use crate::nn::network::Network;
use crate::nn::optim::Optimizer;
use crate::runtime::shared::Shared;
use crate::runtime::Session;
use crate::tensor::Tensor;

/// One workload at one size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Case {
    /// The workload's name (as `benches/reference/workloads.py` knows it).
    pub name: &'static str,
    /// Batch size, points or images.
    pub size: usize,
    /// Sampler steps (0 for training).
    pub steps: usize,
}

/// What a workload measures and whether PyTorch runs it too.
#[derive(Debug)]
pub struct Workload {
    /// Its name.
    pub name: &'static str,
    /// The unit of its rate.
    pub unit: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// Whether `benches/reference/workloads.py` has it (else its rate is already a ratio).
    pub reference: bool,
}

/// Every workload.
pub const WORKLOADS: &[Workload] = &[
    Workload { name: "train_mlp", unit: "steps/s", summary: "swirl MLP (Fourier features, 3×256, SiLU), ε-loss on VP cosine, AdamW", reference: true },
    Workload { name: "train_mlp_composed", unit: "× train_mlp's speed", summary: "train_mlp with the MLP composed in the script from layers (Fourier features, 3×256, SiLU) vs the built-in mlp", reference: false },
    Workload { name: "sample_mlp", unit: "points·steps/s", summary: "the swirl MLP sampled with Heun", reference: true },
    Workload { name: "train_unet", unit: "steps/s", summary: "a UNet (32 channels, mults [1, 2]) on 1×16×16 images, ε-loss, AdamW", reference: true },
    Workload { name: "train_unet_composed", unit: "× train_unet's speed", summary: "train_unet with the UNet composed in the script from layers (res_block, attention, conv2d, ...) vs the built-in unet", reference: false },
    Workload { name: "sample_unet", unit: "images/s", summary: "that UNet sampled with Heun", reference: true },
    Workload { name: "sample_ddpm32", unit: "images/s", summary: "DDPM CIFAR-10's architecture (35.7 M random weights, a diffusers folder) sampled with DDIM; PyTorch runs diffusers on the same folder", reference: true },
    Workload { name: "rm_parallel", unit: "× rm's speed", summary: "rm_parallel (44 steps, parts 4, rounds 2) vs rm (50 steps) on a 25-mode grid: equal sliced W2 (tests/methods.rs)", reference: false },
    Workload { name: "script_overhead", unit: "Rhai / Rust", summary: "train_mlp's loop in Rhai vs the same loop as one Rust function", reference: false },
];

/// The workload named `name`.
pub fn workload(name: &str) -> Result<&'static Workload> {
    WORKLOADS.iter().find(|w| w.name == name).ok_or_else(|| {
        let known: Vec<&str> = WORKLOADS.iter().map(|w| w.name).collect();
        Error::new(format!("unknown workload \"{name}\"; the workloads are {}", known.join(", ")))
    })
}

/// The cases run on a CPU (the issue's sizes).
pub const CPU_CASES: &[Case] = &[
    Case { name: "train_mlp", size: 1024, steps: 0 },
    Case { name: "train_mlp_composed", size: 1024, steps: 0 },
    Case { name: "sample_mlp", size: 10_000, steps: 50 },
    Case { name: "train_unet", size: 128, steps: 0 },
    Case { name: "train_unet_composed", size: 128, steps: 0 },
    Case { name: "sample_unet", size: 128, steps: 20 },
    Case { name: "sample_ddpm32", size: 16, steps: 10 },
    Case { name: "rm_parallel", size: 8000, steps: 0 },
    Case { name: "script_overhead", size: 1024, steps: 0 },
];

/// The cases run on a GPU.
pub const GPU_CASES: &[Case] = &[
    Case { name: "train_mlp", size: 4096, steps: 0 },
    Case { name: "train_mlp", size: 65_536, steps: 0 },
    Case { name: "train_mlp_composed", size: 4096, steps: 0 },
    Case { name: "sample_mlp", size: 1_000_000, steps: 50 },
    Case { name: "train_unet", size: 128, steps: 0 },
    Case { name: "train_unet_composed", size: 128, steps: 0 },
    Case { name: "sample_unet", size: 128, steps: 20 },
    Case { name: "sample_ddpm32", size: 16, steps: 10 },
    Case { name: "rm_parallel", size: 1_000_000, steps: 0 },
    Case { name: "script_overhead", size: 4096, steps: 0 },
];

const MLP: &str = r#"let net = mlp(#{ dim: 2, hidden: [256, 256, 256], fourier: 16 });
let sched = vp_cosine();"#;
/// The swirl MLP's shape composed from layers: Fourier features of `x` and a sinusoidal time
/// embedding through two dense layers, joined at the input of three SiLU layers of 256.
const MLP_COMPOSED: &str = r#"let layers = #{
    xf: fourier_embedding(#{ inputs: 2, features: 16 }),
    time: sequential([sinusoidal_embedding(64), linear(64, 64), silu(), linear(64, 64)]),
    body: sequential([linear(2 + 32 + 64, 256), silu(), linear(256, 256), silu(), linear(256, 256), silu(), linear(256, 2)]),
};
let net = network(layers, |m, x, t| m.body.forward(cat([x, m.xf.forward(x), m.time.forward(t * 1000.0)], 1)));
let sched = vp_cosine();"#;
const UNET: &str = r#"let net = unet(#{ image: [1, 16, 16] });
let sched = vp_cosine();"#;
/// The built-in `unet(#{ image: [1, 16, 16] })` composed from layers, block for block: the
/// time embedding, residual blocks that take it, a strided convolution down, the middle
/// blocks around pre-norm attention, the upward path over the skip connections, nearest
/// upsampling and the output convolution.
pub const UNET_COMPOSED: &str = r#"let e = 128;
let layers = #{
    time: sequential([sinusoidal_embedding(32), linear(32, e), silu(), linear(e, e)]),
    conv_in: conv2d(1, 32, 3, #{ padding: 1 }),
    down0: res_block(32, 32, #{ embedding: e }),
    down: conv2d(32, 32, 3, #{ stride: 2, padding: 1 }),
    down1: res_block(32, 64, #{ embedding: e }),
    mid: sequential([
        res_block(64, 64, #{ embedding: e }),
        residual(sequential([group_norm(32, 64), attention(64, 1)])),
        res_block(64, 64, #{ embedding: e }),
    ]),
    up1a: res_block(128, 64, #{ embedding: e }),
    up1b: res_block(96, 64, #{ embedding: e }),
    up: sequential([upsample(2), conv2d(64, 64, 3, #{ padding: 1 })]),
    up0a: res_block(96, 32, #{ embedding: e }),
    up0b: res_block(64, 32, #{ embedding: e }),
    out: sequential([group_norm(32, 32), silu(), conv2d(32, 1, 3, #{ padding: 1 })]),
};
let net = network(layers, |m, x, t| {
    let e = m.time.forward(t * 1000.0);
    let h0 = m.conv_in.forward(x);
    let h1 = m.down0.forward(h0, e);
    let h2 = m.down.forward(h1);
    let h3 = m.down1.forward(h2, e);
    let h = m.mid.forward(h3, e);
    h = m.up1b.forward(cat([m.up1a.forward(cat([h, h3], 1), e), h2], 1), e);
    h = m.up.forward(h);
    h = m.up0b.forward(cat([m.up0a.forward(cat([h, h1], 1), e), h0], 1), e);
    m.out.forward(h)
});
let sched = vp_cosine();"#;

/// A composed network's training case with the built-in network `builtin` (its Rhai) and its
/// optimizer set up beside it as `builtin` and `builtin_opt`.
fn composed((setup, body): (String, String), builtin: &str) -> (String, String) {
    let builtin = builtin.replace("let net", "let builtin").replace("let sched = vp_cosine();", "");
    (format!("{setup}\n{builtin}\nlet builtin_opt = adamw(builtin, #{{ lr: 1e-3, weight_decay: 0.0 }});"), body)
}

/// The environment variable that names `sample_ddpm32`'s model folder for the bench worker.
pub const MODEL_VAR: &str = "DIFFLAB_BENCH_MODEL";

/// `sample_ddpm32`'s model folder, which `difflab bench` writes and names in [`MODEL_VAR`].
fn model_folder() -> Result<std::path::PathBuf> {
    model_folder_from(std::env::var_os(MODEL_VAR))
}

/// The model folder named by `var`, or the error that says how to get one.
fn model_folder_from(var: Option<std::ffi::OsString>) -> Result<std::path::PathBuf> {
    match var {
        Some(dir) => Ok(dir.into()),
        None => crate::bail!("sample_ddpm32 needs {MODEL_VAR}: a diffusers model folder (`difflab bench` writes one)"),
    }
}

/// The Rhai that sets a case up and the Rhai of one iteration; `model` names
/// `sample_ddpm32`'s folder (asked only by that workload).
fn script(case: &Case, model: impl FnOnce() -> Result<std::path::PathBuf>) -> Result<(String, String)> {
    let (n, steps) = (case.size, case.steps);
    let train = |net: &str, data: &str| {
        (
            format!("{net}\nlet data = {data};\nlet opt = adamw(net, #{{ lr: 1e-3, weight_decay: 0.0 }});"),
            format!("opt.step(diffusion_loss(net, sched, data.batch({n}), #{{ pred: \"eps\" }}));"),
        )
    };
    let sample = |net: &str| {
        (
            format!("{net}\nlet den = denoiser(net, sched, \"eps\");"),
            format!("sample(den, #{{ method: \"heun\", steps: {steps}, n: {n} }});"),
        )
    };
    Ok(match case.name {
        "train_mlp" | "script_overhead" => train(MLP, "swirl(100000)"),
        "train_mlp_composed" => composed(train(MLP_COMPOSED, "swirl(100000)"), MLP),
        "train_unet_composed" => composed(train(UNET_COMPOSED, "randn([4096, 1, 16, 16])"), UNET),
        "sample_mlp" => sample(MLP),
        "train_unet" => train(UNET, "randn([4096, 1, 16, 16])"),
        "sample_unet" => sample(UNET),
        "sample_ddpm32" => (
            format!("let den = load_pretrained({:?});", model()?.display().to_string()),
            format!("sample(den, #{{ method: \"ddim\", steps: {steps}, n: {n} }});"),
        ),
        "rm_parallel" => (
            "let den = gaussians_grid(25, 2.0, 0.2).denoiser();".into(),
            format!("sample(den, #{{ method: \"rm_parallel\", steps: 44, parts: 4, rounds: 2, n: {n} }});"),
        ),
        other => {
            workload(other)?;
            crate::bail!("the workload \"{other}\" has no difflab script")
        }
    })
}

/// A session with a case set up, and how to time Rhai in it.
struct Bench {
    session: Session,
}

impl Bench {
    fn new(setup: &str) -> Result<Self> {
        let mut b = Self { session: Session::new(Vec::new()) };
        b.eval(&format!("seed(0);\n{setup}"))?;
        Ok(b)
    }

    fn eval(&mut self, text: &str) -> Result<()> {
        match self.session.eval("<bench>", text) {
            Ok(_) => Ok(()),
            Err(e) => Err(Error::new(self.session.render_error(&e))),
        }
    }

    /// Iterations per second of `body`, run as a Rhai loop, and its CPU time.
    fn rate(&mut self, body: &str, seconds: f64) -> Result<Measured> {
        best_rate(seconds, |iters| {
            self.eval(&format!("for i in 0..{iters} {{ {body} }}"))?;
            finish_device_work()
        })
    }

    fn get<T: Clone + Send + Sync + 'static>(&self, name: &str) -> Result<T> {
        self.session.scope().get_value::<T>(name).ok_or_else(|| Error::new(format!("the bench setup has no `{name}`")))
    }
}

/// Waits for the default device to finish queued work (a no-op on the CPU).
fn finish_device_work() -> Result<()> {
    Ok(crate::tensor::device::default_device().synchronize()?)
}

/// Runs one case on the default device and returns its rate in its workload's unit, with the
/// CPU time per iteration of the case's own side (the composed network, the Rhai loop, ...).
pub fn run_case(case: &Case, seconds: f64) -> Result<Measured> {
    let (setup, body) = script(case, model_folder)?;
    let mut bench = Bench::new(&setup)?;
    let own = bench.rate(&body, seconds)?;
    let in_unit = |rate: f64| Ok(Measured { rate, ..own });
    match case.name {
        "sample_mlp" => in_unit(own.rate * (case.size * case.steps) as f64),
        "sample_unet" | "sample_ddpm32" => in_unit(own.rate * case.size as f64),
        "rm_parallel" => {
            let rm =
                bench.rate(&format!("sample(den, #{{ method: \"rm\", steps: 50, n: {} }});", case.size), seconds)?;
            in_unit(own.rate / rm.rate)
        }
        "train_mlp_composed" | "train_unet_composed" => {
            let builtin = format!(
                "builtin_opt.step(diffusion_loss(builtin, sched, data.batch({}), #{{ pred: \"eps\" }}));",
                case.size
            );
            in_unit(own.rate / bench.rate(&builtin, seconds)?.rate)
        }
        "script_overhead" => in_unit(own.rate / rust_training_rate(&bench, case.size, seconds)?.rate),
        _ => Ok(own),
    }
}

/// Steps per second of the set-up training loop called from Rust, with no Rhai in it.
fn rust_training_rate(bench: &Bench, batch: usize, seconds: f64) -> Result<Measured> {
    let net: Network = bench.get("net")?;
    let sched: Schedule = bench.get("sched")?;
    let data: Tensor = bench.get("data")?;
    let opt: Shared<Optimizer> = bench.get("opt")?;
    let mut opt = opt.lock();
    let opts = LossOptions { pred: Pred::Eps, weighting: Weighting::Simple, times: LossOptions::default_times(&sched) };
    best_rate(seconds, |iters| {
        for _ in 0..iters {
            let x0 = crate::data::batch::batch(&data, batch)?;
            opt.step(&diffusion_loss(&net, &sched, &x0, &opts, None, None)?)?;
        }
        finish_device_work()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_names_a_workload_and_sets_up() {
        for case in CPU_CASES.iter().chain(GPU_CASES) {
            assert!(workload(case.name).is_ok(), "{}", case.name);
            let tiny = || Ok(std::path::PathBuf::from("tests/data/pretrained/tiny_ddpm"));
            assert!(script(case, tiny).is_ok(), "{}", case.name);
        }
        let unset = || model_folder_from(None);
        let ddpm = Case { name: "sample_ddpm32", size: 1, steps: 1 };
        assert!(script(&ddpm, unset).unwrap_err().message().contains(MODEL_VAR));
        assert!(workload("train_gan").unwrap_err().message().contains("train_mlp, train_mlp_composed, sample_mlp"));
    }

    #[test]
    fn a_small_case_runs_and_reports_a_rate() {
        let rate = run_case(&Case { name: "sample_mlp", size: 64, steps: 2 }, 0.01).unwrap().rate;
        assert!(rate > 0.0 && rate.is_finite());
        let overhead = run_case(&Case { name: "script_overhead", size: 16, steps: 0 }, 0.01).unwrap().rate;
        assert!(overhead > 0.05 && overhead < 20.0, "Rhai / Rust {overhead}");
        for name in ["train_mlp_composed", "train_unet_composed"] {
            let composed = run_case(&Case { name, size: 16, steps: 0 }, 0.01).unwrap().rate;
            assert!(composed > 0.05 && composed < 20.0, "{name}: composed / built-in {composed}");
        }
    }
}
