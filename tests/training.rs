//! Networks, schedules, losses, data and checkpoints, driven from scripts as a researcher would.

mod common;

use common::{numbers, run_file, run_ok};
use std::path::Path;

#[test]
fn train_swirl_fast_saves_and_reloads_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let script = std::fs::canonicalize("scripts/train_swirl.rhai").unwrap();
    let out = common::difflab().current_dir(dir.path()).arg("run").arg(&script).arg("--fast").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("checkpoint swirl.safetensors reloads exactly"), "{stdout}");
    assert!(dir.path().join("swirl.safetensors").exists());
    // progress bars only appear on a terminal: nothing noisy when stderr is a pipe
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn a_noise_level_classifier_beats_chance_clearly() {
    let out = run_file(Path::new("tests/scripts/noise_classifier.rhai"), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let accuracy = numbers(&String::from_utf8_lossy(&out.stdout))[0];
    // 8 classes: chance is 0.125
    assert!(accuracy > 0.3, "accuracy {accuracy}");
}

#[test]
fn training_resumes_exactly_from_saved_network_optimizer_and_ema() {
    let stdout = run_ok(
        r#"
        fn steps(net, opt, avg, data, sched, from, to) {
            let losses = [];
            for i in from..to {
                seed(1000 + i);
                losses.push(opt.step(diffusion_loss(net, sched, data.batch(64), #{ pred: "v", weighting: "snr+1" })));
                avg.update(net);
            }
            losses
        }
        seed(1);
        let data = moons(512);
        let sched = vp_logsnr_cosine();
        let net = mlp(#{ dim: 2, hidden: [32, 32], fourier: 4 });
        let opt = adamw(net, #{ lr: 2e-3, schedule: "cosine", warmup: 3, total: 20, clip: 1.0 });
        let avg = ema(net, #{ decay: 0.9 });
        steps(net, opt, avg, data, sched, 0, 10);
        net.save("net.safetensors"); opt.save("opt.safetensors"); avg.save("ema.safetensors");
        let straight = steps(net, opt, avg, data, sched, 10, 20);

        let net2 = load("net.safetensors");
        let opt2 = adamw(net2, #{ lr: 2e-3 });
        opt2.load("opt.safetensors");
        let avg2 = ema(net2, #{});
        avg2.load("ema.safetensors");
        let resumed = steps(net2, opt2, avg2, data, sched, 10, 20);
        print(straight == resumed);
        seed(7); let a = avg.net.forward(data.slice(0, 0, 8), 0.3);
        seed(7); let b = avg2.net.forward(data.slice(0, 0, 8), 0.3);
        print((a - b).abs().max().item());
        print(opt2.steps);
        "#,
    );
    assert_eq!(stdout, "true\n0.0\n20\n");
}

#[test]
fn a_unet_learns_on_the_shipped_digits() {
    let stdout = run_ok(
        r#"
        seed(0);
        let d = digits();
        print(d.images.shape());
        let net = unet(#{ image: [1, 8, 8], channels: 16, mults: [1, 2], attention_at: [4], dropout: 0.1 });
        let opt = adamw(net, #{ lr: 2e-3 });
        let sched = vp_cosine();
        let losses = [];
        for step in 0..40 {
            losses.push(opt.step(diffusion_loss(net, sched, d.images.batch(32))));
        }
        let first = (losses[0] + losses[1] + losses[2] + losses[3] + losses[4]) / 5.0;
        let last = (losses[35] + losses[36] + losses[37] + losses[38] + losses[39]) / 5.0;
        print(last < 0.7 * first);
        "#,
    );
    assert_eq!(stdout, "[1797, 1, 8, 8]\ntrue\n");
}

#[test]
fn a_class_conditional_mlp_learns_each_class_and_its_guided_samples_follow_the_label() {
    // two well-separated classes; label dropout trains the null label's unconditional model too
    let stdout = run_ok(
        r#"
        seed(0);
        let a = mixture(#{ means: [[-2.0, 0.0]], stds: [0.3] });
        let b = mixture(#{ means: [[2.0, 1.0]], stds: [0.3] });
        let net = mlp(#{ dim: 2, hidden: [64, 64], classes: 2 });
        let opt = adamw(net, #{ lr: 3e-3 });
        let labels = cat([zeros([128]), ones([128])], 0);
        for step in 0..600 {
            let x0 = cat([a.sample(128), b.sample(128)], 0);
            opt.step(diffusion_loss(net, vp_cosine(), x0, #{ labels: labels, label_dropout: 0.2 }));
        }
        let den = denoiser(net, vp_cosine(), "eps");
        for k in [0, 1] {
            let x = sample(den.guided(#{ labels: k, scale: 1.0 }), #{ method: "heun", steps: 20, n: 400 }).x;
            let m = x.mean(0).to_array();
            print(`class ${k}: ${(m[0] - [-2.0, 2.0][k]).abs() < 0.2 && (m[1] - [0.0, 1.0][k]).abs() < 0.2}`);
        }
        let sharp = sample(den.guided(#{ labels: 1, scale: 3.0 }), #{ method: "heun", steps: 20, n: 400 }).x;
        print((sharp.narrow(1, 0, 1) > 0.0).mean().item() > 0.99);
        let free = sample(den, #{ method: "heun", steps: 20, n: 400 }).x;
        let right = (free.narrow(1, 0, 1) > 0.0).mean().item();
        print(right > 0.35 && right < 0.65);
        "#,
    );
    assert_eq!(stdout, "class 0: true\nclass 1: true\ntrue\ntrue\n");
}

#[test]
fn schedules_from_scripts_match_their_closed_forms() {
    let stdout = run_ok(
        r#"
        let s = vp_cosine();
        let f = |t| ((t + 0.008) / 1.008 * PI() / 2.0).cos() ** 2;
        print(s.alpha(0.3) ** 2 - f.call(0.3) / f.call(0.0));
        print(s.t_of_sigma(s.sigma(0.42)) - 0.42);
        let e = edm();
        print(e.sigmas(3, #{ spacing: "karras" }) == karras_sigmas(3, 0.002, 80.0, 7.0));
        let t = tensor([0.1, 0.5, 0.9]);
        let a = s.alpha(t); let sg = s.sigma(t);
        print((a * a + sg * sg - 1.0).abs().max().item() < 1e-6);
        "#,
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].parse::<f64>().unwrap().abs() < 1e-12, "{stdout}");
    assert!(lines[1].parse::<f64>().unwrap().abs() < 1e-9, "{stdout}");
    assert_eq!(&lines[2..], ["true", "true"]);
}

#[test]
fn data_sets_have_their_shapes_and_exact_parameters() {
    let stdout = run_ok(
        r#"
        seed(4);
        let mix = gaussians_ring(8, 4.0, 0.3);
        print(mix.means.shape());
        print(mix.sample(1000).mean(0).abs().max().item() < 0.5);
        let m = mixture(#{ means: [[0.0, 0.0], [3.0, 1.0]], stds: [0.5, 1.0], weights: [1, 3] });
        print(m.weights);
        let s = shapes(10, #{ size: 16 });
        print(s.images.shape());
        print(s.names);
        let b = batch(#{ x: arange(10).reshape([5, 2]), y: arange(5) }, 3);
        print(((b.x.slice(1, 0, 1).squeeze(1) / 2) - b.y).abs().sum().item());
        print(swirl(100).shape() + moons(10).shape() + rings(10).shape() + checkerboard(10).shape());
        "#,
    );
    assert_eq!(
        stdout,
        "[8, 2]\ntrue\n[0.25, 0.75]\n[10, 1, 16, 16]\n[\"circle\", \"square\", \"triangle\"]\n0.0\n[100, 2, 10, 2, 10, 2, 10, 2]\n"
    );
}

#[test]
fn flow_matching_learns_the_swirl_and_every_sampler_runs_on_it() {
    let out = run_ok(
        r#"
        import "train" as tr;
        seed(0);
        let held = swirl(2000);
        let net = tr::train(mlp(#{ dim: 2, hidden: [128, 128], fourier: 8 }), flow_linear(), swirl(8192),
                            #{ steps: 1500, pred: "flow", ema: 0.999, schedule: "cosine" }).ema;
        let den = denoiser(net, flow_linear(), "flow");
        print(sliced_w2(sample(den, #{ method: "euler", steps: 20, n: 2000, spacing: "uniform" }).x, held, #{ seed: 1 }));
        print(sliced_w2(swirl(2000), held, #{ seed: 1 }));
        // the loss is the velocity MSE: ε − x0 at the coupled noise, so with x0 = 0 and the network's
        // output u, a given ε makes the loss computable by hand
        let z = randn([16, 2]);
        let zero = zeros([16, 2]);
        let t_fixed = #{ t_min: 0.5, t_max: 0.5, noise: z };
        let loss = flow_matching_loss(net, zero, t_fixed).item();
        let u = net.forward(z * 0.5, 0.5);
        print(loss - ((u - z) * (u - z)).mean().item());
        for m in samplers() { sample(den, #{ method: m, steps: 4, n: 8 }); }
        print(flow_linear().sigma_max);
        "#,
    );
    let v = numbers(&out);
    // 1500 steps of flow matching bring the 20-step Euler samples within 0.08 of held-out data
    // (two fresh data sets sit about 0.025 apart)
    assert!(v[0] < 0.08, "sliced W2 {} (floor {})", v[0], v[1]);
    assert!(v[2].abs() < 1e-6, "flow loss against its closed form: {}", v[2]);
    assert!((v[3] - 999.0).abs() < 1e-9, "σ_max of the linear interpolant {}", v[3]);
}

#[test]
fn a_network_composed_from_layers_equals_the_builtin_mlp_and_trains() {
    let out = run_file(Path::new("tests/scripts/composed_mlp.rhai"), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let v: Vec<f64> = stdout.lines().map(|l| l.rsplit(' ').next().unwrap().parse().unwrap()).collect();
    let (forward, loss, grads, first, last) = (v[0], v[1], v[2], v[3], v[4]);
    assert!(forward < 1e-6 && loss < 1e-6 && grads < 1e-6, "{stdout}");
    // 400 AdamW steps at lr 2e-3 on the swirl: the mean ε-loss of the last 50 steps is under 0.3
    assert!(last < 0.3 && last < 0.6 * first, "{stdout}");
}

/// The built-in UNet composed from layers (the `train_unet_composed` bench's network: residual
/// blocks with the time embedding, pre-norm attention, convolutions) equals `unet(..)` given the
/// same weights, in value, loss and every gradient; every weight is randomised first, since the
/// built-in starts its output convolution and time projections at zero.
#[test]
fn the_unet_composed_from_layers_equals_the_builtin_unet() {
    let compare = r#"
        let builtin = unet(#{ image: [1, 16, 16] });
        let theirs = builtin.state_dict();
        let random = #{};
        for name in theirs.keys() { random[name] = randn(theirs[name].shape) * 0.2; }
        builtin.load_state_dict(random);
        // composed prefix => built-in prefix
        let prefixes = [
            ["time.1.", "time.0."], ["time.3.", "time.1."], ["conv_in.", "conv_in."], ["down0.", "down.0.0."],
            ["down.", "down.0.down."], ["down1.", "down.1.0."], ["mid.0.", "mid.0."], ["mid.2.", "mid.1."],
            ["mid.1.inner.0.", "mid.attn.norm."], ["mid.1.inner.1.qkv.bias", "mid.attn.qkv.bias"],
            ["mid.1.inner.1.out.bias", "mid.attn.proj.bias"], ["up1a.", "up.1.0."], ["up1b.", "up.1.1."],
            ["up.1.", "up.1.up."], ["up0a.", "up.0.0."], ["up0b.", "up.0.1."], ["out.0.", "out.norm."],
            ["out.2.", "out.conv."],
        ];
        // the attention layer applies x @ W; the built-in block holds W as a 1×1 convolution
        let transposed = #{ "mid.1.inner.1.qkv.weight": "mid.attn.qkv.weight", "mid.1.inner.1.out.weight": "mid.attn.proj.weight" };
        let theirs = builtin.state_dict();
        let names = #{};
        for name in net.state_dict().keys() {
            if name in transposed { continue; }
            for p in prefixes { if name.starts_with(p[0]) { names[name] = p[1] + name.sub_string(p[0].len()); break; } }
        }
        let state = #{};
        for name in names.keys() { state[name] = theirs[names[name]]; }
        for name in transposed.keys() { let w = theirs[transposed[name]]; state[name] = w.reshape([w.shape[0], w.shape[1]]).t(); }
        net.load_state_dict(state);

        let x = randn([6, 1, 16, 16]);
        let t = rand([6]);
        let want = builtin.forward(x, t);
        print(`forward ${(net.forward(x, t) - want).abs().max() / want.abs().max()}`);
        let x0 = randn([6, 1, 16, 16]);
        seed(7);
        let a = diffusion_loss(builtin, vp_cosine(), x0);
        seed(7);
        let b = diffusion_loss(net, vp_cosine(), x0);
        print(`loss ${(a - b).abs().item() / a.abs().item()}`);
        backward(a);
        let expected = #{};
        for name in names.keys() { expected[name] = grad(theirs[names[name]]); }
        for name in transposed.keys() { let g = grad(theirs[transposed[name]]); expected[name] = g.reshape([g.shape[0], g.shape[1]]).t(); }
        backward(b);
        let mine = net.state_dict();
        // relative to the largest gradient: the per-channel biases just before a group norm of
        // one channel per group get gradients that are zero but for rounding
        let worst = 0.0;
        let scale = 0.0;
        for name in expected.keys() {
            worst = max(worst, (grad(mine[name]) - expected[name]).abs().max().item());
            scale = max(scale, expected[name].abs().max().item());
        }
        print(`gradients ${worst / scale}`);
        print(`parameters ${expected.len()} of ${mine.len()}`);
    "#;
    let stdout = run_ok(&format!(
        "seed(0);
{}
{compare}",
        difflab::bench::workloads::UNET_COMPOSED
    ));
    let v: Vec<f64> = stdout.lines().map(|l| l.rsplit(' ').next().unwrap().parse().unwrap()).collect();
    // every parameter mapped, and the same numbers to f32 rounding
    assert!(stdout.contains("parameters 110 of 110"), "{stdout}");
    assert!(v[0] < 1e-5 && v[1] < 1e-5 && v[2] < 1e-5, "{stdout}");
}

/// A residual block that takes an embedding must be given one, of the right width; a layer
/// without such a block refuses one.
#[test]
fn a_res_block_takes_its_embedding_and_others_refuse_one() {
    let stdout = run_ok(
        r#"
        let block = res_block(8, 16, #{ embedding: 4 });
        let x = randn([3, 8, 5, 5]);
        print(block.forward(x, randn([3, 4])).shape);
        print(res_block(8, 8).forward(x).shape);
        print(sequential([block, res_block(16, 16, #{ embedding: 4 })]).forward(x, randn([3, 4])).shape);
        try { block.forward(x); } catch (e) { print(e); }
        try { block.forward(x, randn([3, 5])); } catch (e) { print(e); }
        try { linear(2, 2).forward(randn([3, 2]), randn([3, 4])); } catch (e) { print(e); }
        try { res_block(8, 8, #{ dropout: 1.5 }); } catch (e) { print(e); }
        print(block);
        "#,
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[..3], ["[3, 16, 5, 5]", "[3, 8, 5, 5]", "[3, 16, 5, 5]"], "{stdout}");
    assert!(
        lines[3].contains("res_block(8 -> 16, embedding 4): needs the embedding: forward(x, embedding)"),
        "{stdout}"
    );
    assert!(lines[4].contains("expected an embedding of [3, 4], got [3, 5]"), "{stdout}");
    assert!(lines[5].contains("linear(2 -> 2) takes no embedding"), "{stdout}");
    assert!(lines[6].contains("res_block's dropout must be in [0, 1), got 1.5"), "{stdout}");
    assert!(lines[7].starts_with("res_block(8 -> 16, embedding 4): "), "{stdout}");
}

#[test]
fn a_composed_network_trains_with_ema_samples_saves_and_reloads() {
    let stdout = run_ok(
        r#"
        import "train" as tr;
        seed(3);
        fn layers() {
            #{ emb: fourier_embedding(#{ features: 8, scale: 1.0 }),
               body: sequential([linear(2 + 16, 64), silu(), dropout(0.1), linear(64, 2)]) }
        }
        let forward = |m, x, t| m.body.forward(cat([x, m.emb.forward(t)], 1));
        let net = network(layers(), forward);
        let r = tr::train(net, vp_cosine(), swirl(2048), #{ steps: 50, ema: 0.9 });
        let out = sample(denoiser(r.ema, vp_cosine(), "eps"), #{ method: "heun", steps: 5, n: 100 });
        print(out.x.shape);
        print(r.ema.training);
        net.save("mine.safetensors");
        let again = network(layers(), forward);
        again.load_weights("mine.safetensors");
        let x = randn([7, 2]);
        net.eval_mode();
        again.eval_mode();
        print((again.forward(x, 0.3) - net.forward(x, 0.3)).abs().max());
        let other = network(#{ body: linear(2, 2) }, |m, x, t| m.body.forward(x));
        try { other.load_weights("mine.safetensors"); } catch (e) { print(e); }
        try { load("mine.safetensors"); } catch (e) { print(e); }
        try { net.forward(randn([7, 3]), 0.3); } catch (e) { print(e); }
        let clf = network(#{ body: sequential([linear(2, 16), silu(), linear(16, 3)]) }, |m, x| m.body.forward(x));
        let mix = gaussians_ring(4, 2.0, 0.1);
        print(dlg(mix.denoiser(), clf, #{ chains: 4, iterations: 2, n_skip: 1, m: 3 }).x.shape);
        try { dlg(mix.denoiser(), clf, #{ chains: 4, iterations: 2, n_skip: 1 }); } catch (e) { print(e); }
        let typo = network(layers(), |m, x, t| m.bdy.forward(x));
        try { typo.forward(randn([3, 2]), 0.5); } catch (e) { print(e); }
        let l = linear(2, 2);
        try { network(#{ a: l, b: l }, |m, x, t| m.a.forward(x)); } catch (e) { print(e); }
        try { sequential([l, silu(), l]); } catch (e) { print(e); }
        "#,
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[..3], ["[100, 2]", "false", "0.0"], "{stdout}");
    assert!(stdout.contains("another architecture"), "{stdout}");
    assert!(stdout.contains("net.load_weights(path)"), "{stdout}");
    assert!(stdout.contains("linear(18 -> 64): expected [..., 18], got input [7, 19]"), "{stdout}");
    // the denoised samples of 4 chains at each of 2 blocks (n_skip 1)
    assert!(lines.contains(&"[8, 2]"), "{stdout}");
    assert!(stdout.contains("needs `m` (its number of classes)"), "{stdout}");
    assert!(stdout.contains("the network has no layer `bdy`; its layers are body, emb"), "{stdout}");
    assert!(stdout.contains("`a.weight` and `b.weight` are the same weights"), "{stdout}");
    assert!(stdout.contains("`0.weight` and `2.weight` are the same weights"), "{stdout}");
}

#[test]
fn a_network_loads_in_the_mode_it_was_saved_in_and_an_ema_file_loads_in_eval_mode() {
    let out = common::run_ok(
        r#"
        let net = mlp(#{ dim: 2, hidden: [8] });
        let avg = ema(net, #{ decay: 0.9 });
        avg.update(net);
        net.save("live.safetensors");
        avg.net.save("average.safetensors");
        avg.save("ema.safetensors");
        print(load("live.safetensors").training);
        print(load("average.safetensors").training);
        let from_ema = load("ema.safetensors");
        print(from_ema.training);
        let x = randn([4, 2]);
        print((from_ema.forward(x, 0.5) - avg.net.forward(x, 0.5)).abs().max().item());
        "#,
    );
    assert_eq!(out, "true\nfalse\nfalse\n0.0\n");
}
