//! `sample` from scripts: every method, the reference vectors through read_json,
//! wrapped networks, and the errors a user meets.

mod common;

use common::{run_ok, run_source};

#[test]
fn a_script_reproduces_the_reference_heun_run_in_f64() {
    let out = run_ok(&format!(
        r#"
        let ref = read_json("{}/tests/data/ring8.json");
        let p = ref.problem;
        let mix = mixture(#{{ means: p.means, stds: p.stds, weights: p.weights }});
        let x_t = tensor(ref.initial_noise.x_T, #{{ dtype: "f64" }});
        for run in ref.runs {{
            if run.sampler == "heun" || run.sampler == "euler_maruyama" {{
                let opts = #{{ method: run.sampler, x: x_t, sigmas: run.sigmas }};
                if run.noise != () {{
                    opts.noise = run.noise.map(|z| tensor(z, #{{ dtype: "f64" }}));
                }}
                let out = sample(mix.denoiser(), opts);
                let err = (out.x - tensor(run.output, #{{ dtype: "f64" }})).abs().max().item();
                print(`${{run.sampler}} ${{run.steps}} ${{out.nfe == run.nfe}} ${{err < 1e-9}}`);
            }}
        }}
        "#,
        env!("CARGO_MANIFEST_DIR")
    ));
    assert_eq!(out, "heun 5 true true\neuler_maruyama 5 true true\nheun 10 true true\neuler_maruyama 10 true true\n");
}

#[test]
fn every_method_samples_the_ring_and_reports_its_nfe() {
    let out = run_ok(
        r#"
        seed(2);
        let mix = gaussians_ring(8, 4.0, 0.3);
        for m in samplers() {
            let out = sample(mix.denoiser(), #{ method: m, steps: 40, n: 500, dtype: "f64" });
            let r = (out.x * out.x).sum(1).sqrt().mean().item();
            print(`${m} ${out.nfe} ${out.steps} ${r > 3.5 && r < 4.6}`);
        }
        "#,
    );
    let lines: Vec<&str> = out.lines().collect();
    let expected_nfe = [
        ("euler", 40),
        ("heun", 79),
        ("dpmpp_2m", 40),
        ("ddim", 40),
        ("ddpm", 40),
        ("euler_ancestral", 40),
        ("edm_stochastic", 79),
        ("euler_maruyama", 40),
        ("pc", 80),
        ("lms", 40),
        ("dpm_2", 79),
        ("dpm_2_ancestral", 79),
        ("dpmpp_2s_ancestral", 79),
        ("dpmpp_sde", 79),
        ("dpmpp_2m_sde", 40),
        ("dpmpp_3m_sde", 40),
        ("unipc", 40),
        ("plms", 41),
        ("pndm", 49),
        ("ipndm", 40),
        ("deis", 40),
    ];
    for (name, nfe) in expected_nfe {
        assert!(lines.contains(&format!("{name} {nfe} 40 true").as_str()), "{name}: {out}");
    }
    // DPM-Solver-fast spends the 40 NFE on 14 steps (13 of order 3, one of order 1)
    assert!(lines.contains(&"dpm_fast 40 14 true"), "{out}");
    // the adaptive solvers choose their own steps
    for name in ["rk45 ", "dpm_adaptive "] {
        let line = lines.iter().find(|l| l.starts_with(name)).unwrap();
        assert!(line.ends_with(" true"), "{line}");
    }
}

#[test]
fn k_diffusion_step_lists_through_sample() {
    let out = run_ok(
        r#"
        let mix = gaussians_ring(8, 4.0, 0.3);
        for spacing in ["karras", "exponential", "polyexponential", "vp"] {
            let s = sample(mix, #{ method: "euler", spacing: spacing, steps: 3, n: 2, sigma_min: 0.01, sigma_max: 10.0 }).sigmas;
            print(`${spacing} ${s.map(|v| fmt(v, 4))}`);
        }
        print(sample(mix, #{ method: "euler", spacing: "polyexponential", rho: 2.0, steps: 3, n: 2, sigma_min: 0.01, sigma_max: 10.0 }).sigmas.map(|v| fmt(v, 4)));
        "#,
    );
    // Karras: (10^(1/7) + (0.01^(1/7) − 10^(1/7))/2)^7 in the middle; exponential: evenly spaced
    // in log σ; polyexponential with ρ = 1 is the same list and with ρ = 2 sits at
    // 0.01·1000^(1/4); vp is √(exp(19.9 t²/2 + 0.1 t) − 1) at t = 1, 0.5005, 0.001 whatever the range
    assert_eq!(
        out,
        "karras [\"10.00\", \"0.7177\", \"0.01000\", \"0\"]\n\
         exponential [\"10.00\", \"0.3162\", \"0.01000\", \"0\"]\n\
         polyexponential [\"10.00\", \"0.3162\", \"0.01000\", \"0\"]\n\
         vp [\"152.2\", \"3.422\", \"0.01049\", \"0\"]\n\
         [\"10.00\", \"0.05623\", \"0.01000\", \"0\"]\n"
    );
}

#[test]
fn lowest_orders_of_the_multistep_methods_are_euler() {
    // iPNDM and DEIS of order 1 are Euler's (DDIM's) update, draw for draw
    let out = run_ok(
        r#"
        seed(4);
        let mix = gaussians_ring(8, 4.0, 0.3);
        let x = randn([64, 2]) * 80.0;
        let euler = sample(mix, #{ method: "euler", steps: 7, x: x, dtype: "f64" }).x;
        for m in ["ipndm", "deis"] {
            let other = sample(mix, #{ method: m, order: 1, steps: 7, x: x, dtype: "f64" }).x;
            print((other - euler).abs().max().item() < 1e-12);
        }
        "#,
    );
    assert_eq!(out, "true\ntrue\n");
}

#[test]
fn per_row_sigma_lists_match_row_by_row_runs() {
    // six rows along four lists (two shared, lengths 3 to 6), every deterministic sampler: the
    // batched run gives each row what a run of its group (the rows sharing its list) alone
    // gives, to 1e-12 in f64 (a row alone where the sampler treats rows independently; rk45 and
    // dpm_adaptive control their error over the whole batch), and reports the most evaluations
    // of any group; samplers that draw random numbers (the stochastic ones, and rm_parallel's
    // uniform midpoints) draw the same under the same seed
    let out = run_ok(
        r#"
        seed(5);
        let mix = gaussians_ring(8, 4.0, 0.3);
        let lists = [[80.0, 10.0, 1.0, 0.1, 0.0], [20.0, 2.0, 0.5, 0.0], [80.0, 10.0, 1.0, 0.1, 0.0],
                     [5.0, 0.01, 0.0], [20.0, 2.0, 0.5, 0.0], [40.0, 12.0, 3.0, 0.7, 0.05, 0.0]];
        let groups = [[0, 2], [1, 4], [3], [5]];
        let x = randn([6, 2]).to_dtype("f64") * tensor(lists.map(|l| [l[0]])).to_dtype("f64");
        for m in samplers() {
            if sampler_info(m).stochastic || m == "rm_parallel" {
                seed(7);
                let a = sample(mix, #{ method: m, sigmas: lists, x: x }).x;
                seed(7);
                let b = sample(mix, #{ method: m, sigmas: lists, x: x }).x;
                print(`${m} ${(a - b).abs().max().item() == 0.0} true`);
                continue;
            }
            let together = sample(mix, #{ method: m, sigmas: lists, x: x });
            let worst = 0.0;
            let most = 0;
            for g in groups {
                let alone = sample(mix, #{ method: m, sigmas: lists[g[0]], x: cat(g.map(|r| x.narrow(0, r, 1)), 0) });
                for k in 0..g.len() {
                    worst = max(worst, (alone.x.narrow(0, k, 1) - together.x.narrow(0, g[k], 1)).abs().max().item());
                }
                most = max(most, alone.nfe);
            }
            print(`${m} ${worst < 1e-12} ${together.nfe == most}`);
        }
        let t = sample(mix, #{ method: "euler", sigmas: tensor([[3.0, 1.0, 0.0], [2.0, 0.5, 0.0]]) });
        print(`${t.x.shape()} ${t.sigmas}`);
        "#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 28, "{out}");
    for line in &lines[..lines.len() - 1] {
        assert!(line.ends_with(" true true"), "{out}");
    }
    assert_eq!(lines[lines.len() - 1], "[2, 2] [[3.0, 1.0, 0.0], [2.0, 0.5, 0.0]]");
    for (options, message) in [
        ("sigmas: [[3.0, 0.0], [2.0, 0.0]], n: 3", "option `n` is 3, but `sigmas` gives 2 lists"),
        ("sigmas: [[3.0, 0.0], [2.0, 0.0]], steps: 4", "option `steps` needs one sigma list for all rows"),
        ("sigmas: [[3.0, 0.0], [2.0, 3.0]]", "the sigma list of row 1: sigmas must decrease strictly"),
        ("sigmas: [[3.0, 0.0], 2.0]", "entry 1 is not a list"),
        ("sigmas: [[3.0, 0.0]], x: randn([2, 2])", "one list for each of the 2 rows, got 1 lists"),
    ] {
        let r = run_source(&format!("sample(gaussians_ring(8, 4.0, 0.3), #{{ method: \"heun\", {options} }});"));
        assert!(r.code != 0 && r.stderr.contains(message), "{options}: {}", r.stderr);
    }
}

#[test]
fn align_your_steps_lists_through_sample() {
    let out = run_ok(
        r#"
        let mix = gaussians_ring(8, 4.0, 0.3);
        print(sample(mix, #{ method: "euler", spacing: "ays", ays: "svd", steps: 2, n: 2 }).sigmas);
        print(sample(mix, #{ method: "euler", spacing: "ays", steps: 10, n: 2 }).sigmas[9]);
        "#,
    );
    // the SVD list at its 1st, 6th and (replaced by 0) 11th level; SD1.5's by default
    assert_eq!(out, "[700.0, 1.789, 0.0]\n0.1515232662\n");
    for (options, message) in [
        (r#"spacing: "ays", sigma_min: 0.1"#, "drop sigma_min/sigma_max"),
        (r#"ays: "sdxl""#, "it needs spacing \"ays\", got \"karras\""),
        (r#"spacing: "ays", ays: "sd3""#, "the lists are sd1, sdxl, svd"),
    ] {
        let r = run_source(&format!(
            "sample(gaussians_ring(8, 4.0, 0.3), #{{ method: \"euler\", steps: 4, n: 2, {options} }});"
        ));
        assert!(r.code != 0 && r.stderr.contains(message), "{options}: {}", r.stderr);
    }
}

#[test]
fn trajectories_callbacks_and_script_denoisers() {
    let out = run_ok(
        r#"
        seed(0);
        let mix = gaussians_ring(8, 4.0, 0.3);
        let seen = [];
        let out = sample(mix.denoiser(), #{ method: "euler", steps: 4, n: 16, trajectory: true,
                                            callback: |info| seen.push(info.sigma) });
        print(out.trajectory.len());
        print(out.denoised.len());
        print(seen.len());
        let mine = denoiser(|x, sigma| mix.denoise(x, sigma));
        let a = sample(mine, #{ method: "heun", steps: 5, x: out.trajectory[0] });
        let b = sample(mix, #{ method: "heun", steps: 5, x: out.trajectory[0] });
        print((a.x - b.x).abs().max().item());
        "#,
    );
    assert_eq!(out, "5\n4\n4\n0.0\n");
}

#[test]
fn a_closure_denoiser_with_a_shape_samples_from_n_and_z_is_unit_noise() {
    // the exact denoiser of N(0, I) in 2-D: D(x, σ) = x / (1 + σ²)
    let out = run_ok(
        r#"
        let den = denoiser(|x, s| x / (1.0 + s * s), #{ shape: [2], sigma_min: 0.01, sigma_max: 20.0 });
        print(den);
        seed(3);
        let out = sample(den, #{ method: "heun", steps: 16, n: 4000 });
        print(out.x.shape);
        print(out.x.std().item());
        print(out.sigmas[0]);
        // `z` is unit noise, scaled by sigmas[0]: the same start as `x: z * 20.0`
        seed(4);
        let z = randn([8, 2]);
        let a = sample(den, #{ method: "heun", steps: 4, z: z }).x;
        let b = sample(den, #{ method: "heun", steps: 4, x: z * 20.0 }).x;
        print((a - b).abs().max().item());
        "#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "denoiser from a closure over σ ∈ [0.01, 20], samples of shape [2]");
    assert_eq!(lines[1], "[4000, 2]");
    // N(0, I) sampled well: a standard deviation of 1 (sampling error ~0.01)
    let std: f64 = lines[2].parse().unwrap();
    assert!((std - 1.0).abs() < 0.03, "{out}");
    assert_eq!(lines[3], "20.0", "the list starts at σ_max exactly");
    assert_eq!(lines[4], "0.0");
    // a unit-noise `x` at σ_max = 80 is almost surely a mistake: one warning says so
    let r = run_source(
        "let den = denoiser(|x, s| x / (1.0 + s * s), #{ shape: [2] });\n\
         sample(den, #{ steps: 4, x: randn([100, 2]) });\nsample(den, #{ steps: 4, x: randn([100, 2]) });",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr.matches("warning: `x` has standard deviation").count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("sigmas[0] = 80: `x` is the state at sigmas[0]"), "{}", r.stderr);
    assert!(r.stderr.contains("for unit noise give `z` instead"), "{}", r.stderr);
    let r = run_source("sample(denoiser(|x, s| x, #{ shape: [2], sigma_min: 5.0, sigma_max: 1.0 }), #{ n: 2 })");
    assert!(r.stderr.contains("denoiser: sigma_min (5) must be below sigma_max (1)"), "{}", r.stderr);
    let r = run_source("sample(denoiser(|x, s| x, #{ shape: [2] }), #{ n: 2, x: ones([2, 2]), z: ones([2, 2]) })");
    assert!(r.stderr.contains("give the start as `x` (at sigmas[0]) or as `z` (unit noise), not both"), "{}", r.stderr);
}

#[test]
fn help_says_what_the_start_the_edm_parameterization_and_batches_are() {
    let out = run_ok("help(\"sample\"); help(\"edm\"); help(\"mlp\"); help(\"batch\");");
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    for said in [
        "x (the start as given: the state at sigmas[0], noise already scaled by sigmas[0], not unit noise)",
        "z (unit noise: the start is z · sigmas[0])",
        "c_noise = ln(σ)/4, computed inside the network",
        "`scripts/train_edm.rhai`",
        "\"log_sigma\": it is σ, embedded as EDM's c_noise = ln(σ)/4",
        "for a larger n, drawn with replacement",
    ] {
        assert!(flat.contains(said), "help does not say: {said}\n{out}");
    }
}

#[test]
fn sampler_info_reads_the_registry() {
    let out = run_ok(
        r#"
        let pc = sampler_info("pc");
        print(pc.name);
        print(pc.stochastic);
        print(pc.options.snr);
        print(pc.options.corrector_steps);
        print(sampler_info("heun").stochastic);
        print(sampler_info("heun").options.len());
        "#,
    );
    assert_eq!(out, "pc\ntrue\n0.16\n1\nfalse\n0\n");
    let r = run_source("sampler_info(\"magic\")");
    assert!(r.stderr.contains("unknown method \"magic\""), "{}", r.stderr);
}

#[test]
fn bad_sampling_requests_are_clear_errors() {
    let cases = [
        ("sample(gaussians_ring(8, 4.0, 0.3), #{ method: \"magic\" })", "sample: unknown method \"magic\"; the samplers are euler, heun, dpmpp_2m"),
        ("sample(gaussians_ring(8, 4.0, 0.3), #{ steps: 0 })", "sample: option `steps` must be an integer between 1 and 10000000, got an int (0)"),
        ("sample(gaussians_ring(8, 4.0, 0.3), #{ sigmas: [1.0, 2.0, 0.0] })", "sample: sigmas must decrease strictly, but sigmas[1] = 2 follows 1"),
        ("sample(gaussians_ring(8, 4.0, 0.3), #{ method: \"heun\", eta: 1.0 })", "sample: method \"heun\" takes no option `eta`"),
        ("sample(gaussians_ring(8, 4.0, 0.3), #{ method: \"pc\", corector_steps: 2 })", "sample: unknown option `corector_steps`; did you mean `corrector_steps`?"),
        ("sample(gaussians_ring(8, 4.0, 0.3), #{ method: \"pc\", corrector_steps: 1.5 })", "sample: option `corrector_steps` of method \"pc\" must be an integer from 0 to 1000000, got 1.5"),
        ("sample(gaussians_ring(8, 4.0, 0.3), #{ method: \"ddim\", eta: \"big\" })", "sample: option `eta` of method \"ddim\" must be a number, got \"big\""),
        ("sample(gaussians_ring(8, 4.0, 0.3), #{ method: \"heun\", steps: 2, n: 2, noise: [randn([2, 2])] })", "sample: method \"heun\" is deterministic and draws no noise: drop the `noise` option"),
        ("sample(gaussians_ring(8, 4.0, 0.3), #{ method: \"euler_maruyama\", steps: 3, n: 2, noise: [randn([2, 2])] })", "sample: the sampler needs more noise draws than the `noise` list holds"),
        ("sample(denoiser(|x, s| x), #{ steps: 3 })", "sample: this denoiser does not know its data shape: give the starting `x`"),
        ("sample(denoiser(|x, s| x.frobnicate()), #{ steps: 3, z: randn([2, 2]) })", "unknown function frobnicate(Tensor)"),
        ("sample(ones([2]), #{})", "sample: the first argument must be a denoiser"),
        ("sample(gaussians_ring(8, 4.0, 0.3), #{ method: \"dpmpp2m\" })", "sample: unknown method \"dpmpp2m\"; did you mean \"dpmpp_2m\"? the samplers are"),
        ("sample(gaussians_ring(8, 4.0, 0.3), #{ steps: -1 })", "sample: option `steps` must be an integer between 1 and 10000000, got an int (-1)"),
        ("sample(gaussians_ring(8, 4.0, 0.3), #{ method: \"dpmpp_2m_sde\", solver_type: \"euler\" })", "sample: option `solver_type` of method \"dpmpp_2m_sde\" must be one of \"midpoint\", \"heun\", got \"euler\""),
        ("sample(gaussians_ring(8, 4.0, 0.3), #{ method: \"lms\", order: 0 })", "sample: option `order` of method \"lms\" must be from 1 to 12, got 0"),
        ("sample(gaussians_ring(8, 4.0, 0.3), #{ method: \"dpm_adaptive\", rtol: 0.0, atol: 0.0 })", "sample: options `rtol` and `atol` must be finite and >= 0, not both 0"),
        ("sample(gaussians_ring(8, 4.0, 0.3), #{ spacing: \"cubic\" })", "sample: unknown spacing \"cubic\"; expected one of uniform"),
        ("gaussians_ring(8, 4.0, 0.3).denoise(randn([4, 3]), 1.0)", "denoise: the mixture takes [N, 2] points, got [4, 3]"),
    ];
    for (script, expected) in cases {
        let r = run_source(script);
        assert_eq!(r.code, 1, "{script}: {}", r.stderr);
        assert!(
            r.stderr.lines().next().unwrap_or("").contains(expected),
            "{script}\n  expected: {expected}\n  got: {}",
            r.stderr
        );
    }
}

#[test]
fn a_trained_network_samples_through_its_wrapper() {
    let out = run_ok(
        r#"
        seed(1);
        let data = gaussians_ring(4, 1.0, 0.05).sample(2048);
        let sched = vp_cosine();
        let net = mlp(#{ dim: 2, hidden: [64, 64], fourier: 4 });
        let opt = adamw(net, #{ lr: 3e-3, weight_decay: 0.0 });
        for step in 0..300 { opt.step(diffusion_loss(net, sched, data.batch(256))); }
        let den = denoiser(net.eval_mode(), sched, "eps");
        let out = sample(den, #{ method: "heun", steps: 12, n: 400 });
        print(out.x.shape());
        let r = (out.x * out.x).sum(1).sqrt();
        print(r.mean().item() > 0.7 && r.mean().item() < 1.3);
        let t = sample(den, #{ method: "ddim", steps: 8, n: 10, spacing: "uniform" });
        print(t.sigmas.len());
        "#,
    );
    assert_eq!(out, "[400, 2]\ntrue\n9\n");
}

#[test]
fn compare_samplers_prints_a_row_per_method_and_budget() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().to_str().unwrap();
    let out = common::run_file(std::path::Path::new("scripts/compare_samplers.rhai"), &["--fast", folder]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let header: Vec<&str> = stdout.lines().nth(1).unwrap_or("").split_whitespace().collect();
    assert_eq!(header, ["method", "budget", "steps", "NFE", "sliced", "W2", "mode", "TV"], "{stdout}");
    let names = difflab::diffusion::samplers::SAMPLERS.iter().map(|s| s.name);
    // the adaptive solvers need more than the fast run's largest budget (20) at their loosest tolerance
    for method in names.filter(|m| !["rk45", "dpm_adaptive"].contains(m)) {
        for budget in [5, 10, 20] {
            // one row per problem (the ring and the 64-D mixture), its NFE within the budget
            let rows = stdout
                .lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>())
                .filter(|c| {
                    c.len() == 6
                        && c[0] == method
                        && c[1] == budget.to_string()
                        && c[3].parse::<usize>().is_ok_and(|nfe| nfe <= budget)
                        && c[4].parse::<f64>().is_ok_and(|w| w > 0.0)
                })
                .count();
            assert_eq!(rows, 2, "rows for {method} at budget {budget}:\n{stdout}");
        }
    }
    let png = std::fs::read(dir.path().join("compare_samplers.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

#[test]
fn guided_sampling_of_a_class_mixture_draws_the_class_the_mixture_or_a_sharper_class() {
    let stdout = run_ok(
        r#"
        let a = mixture(#{ means: [[-2.0, 0.0]], stds: [0.3] });
        let b = mixture(#{ means: [[2.0, 1.0]], stds: [0.5] });
        let den = class_mixture([a, b], #{ prior: [0.3, 0.7] });
        seed(0);
        let z = randn([4000, 2]);
        for w in [0.0, 1.0, 3.0] {
            let out = sample(den.guided(#{ labels: 0, scale: w }), #{ method: "heun", steps: 30, z: z });
            print(`${out.x.mean(0).to_array()[0]} ${out.x.std(0).to_array()[0]}`);
        }
        print(sample(den.with_labels(2), #{ steps: 30, z: z }).x.mean(0).to_array()[0] - sample(den, #{ steps: 30, z: z }).x.mean(0).to_array()[0]);
        "#,
    );
    let rows: Vec<Vec<f64>> = stdout.lines().map(|l| l.split(' ').map(|v| v.parse().unwrap()).collect()).collect();
    // w = 0: the mixture, mean 0.3·(−2) + 0.7·2 = 0.8, std √(0.3·4.09 + 0.7·4.25 − 0.64) = 1.887;
    // w = 1: class 0 itself, N(−2, 0.3²); w = 3: sharper than class 0, pushed away from class 1
    let near = |got: f64, want: f64, tol: f64| (got - want).abs() < tol;
    assert!(near(rows[0][0], 0.8, 0.06) && near(rows[0][1], 1.887, 0.05), "{rows:?}");
    assert!(near(rows[1][0], -2.0, 0.02) && near(rows[1][1], 0.3, 0.01), "{rows:?}");
    assert!(rows[2][0] < -2.0 && rows[2][1] < 0.3, "{rows:?}");
    // the null label is the unconditional mixture
    assert_eq!(rows[3], [0.0]);
}
