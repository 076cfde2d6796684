//! The fixed classes: scripts written by hand for the failure classes the issue names —
//! huge counts wherever a count is taken, deep nesting, rank-0 tensors given a dimension,
//! integer tensors given to float-only operations, degenerate noise-level lists, NaN and
//! inverted ranges, self-importing modules, and the engine's own limits.

use super::generate::{Case, Part};
use super::values::{BIG_ARRAY, DEEP_ARRAY, DEEP_MAP, LONG_STRING};

const MIX: &str = "let mix = gaussians_ring(4, 2.0, 0.1);\nlet den = denoiser(mix);";
const XI: &str = "let xi = zeros([8, 2], #{ dtype: \"i64\" });";

/// Builds a case of `class` from labelled snippets, `per_case` parts to a script.
fn cases_of(class: &str, setup: &[&str], parts: &[(&str, String)], per_case: usize) -> Vec<Case> {
    parts
        .chunks(per_case)
        .map(|chunk| {
            let mut c = Case::new(class);
            for s in setup {
                c.need(s);
            }
            for (label, code) in chunk {
                c.parts.push(Part::new(*label, code.clone()));
            }
            c
        })
        .collect()
}

fn own(parts: &[(&str, &str)]) -> Vec<(&'static str, String)> {
    parts.iter().map(|(l, c)| (leak(l), c.to_string())).collect()
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// Huge counts and sizes everywhere a count is taken.
fn huge_counts(methods: &[String]) -> Vec<Case> {
    let e18 = "1000000000000000000";
    let mut parts: Vec<(&str, String)> = Vec::new();
    for n in [e18, "4294967296", "9223372036854775807"] {
        for (label, code) in [
            ("linspace", format!("linspace(0.0, 1.0, {n})")),
            ("karras_sigmas", format!("karras_sigmas({n}, 0.01, 10.0, 7.0)")),
            ("sample.n", format!("sample(den, #{{ n: {n} }})")),
            ("sample.steps", format!("sample(den, #{{ steps: {n} }})")),
            ("mixture.sample", format!("mix.sample({n})")),
            ("hist.bins", format!("hist(randn([16]), #{{ bins: {n} }})")),
            ("density.bins", format!("density(randn([16, 2]), #{{ bins: {n} }})")),
            ("randperm", format!("randperm({n})")),
            ("swirl", format!("swirl({n})")),
            ("rings", format!("rings({n})")),
            ("moons", format!("moons({n})")),
            ("checkerboard", format!("checkerboard({n})")),
            ("shapes", format!("shapes({n})")),
            ("shapes.size", format!("shapes(4, #{{ size: {n} }})")),
            ("dlg.chains", format!("dlg(den, mix, #{{ chains: {n}, iterations: 2 }})")),
            ("full", format!("full([{n}], 1.0)")),
            ("eye", format!("eye({n})")),
            ("randint", format!("randint(0, 10, [{n}])")),
            ("noise_levels", format!("noise_levels(0.01, 10.0, {n})")),
            ("timesteps", format!("timesteps(vp_cosine(), {n}, #{{}})")),
            ("sigmas", format!("sigmas(vp_cosine(), {n}, #{{}})")),
            ("gaussians_ring", format!("gaussians_ring({n}, 2.0, 0.1)")),
            ("gaussians_grid", format!("gaussians_grid({n}, 1.0, 0.1)")),
            ("vp_linear.steps", format!("vp_linear(#{{ steps: {n} }})")),
            ("batch", format!("batch(randn([8, 2]), {n})")),
            ("images.cols", format!("images(randn([2, 1, 8, 8]), #{{ cols: {n} }})")),
            ("grid.cols", format!("grid([scatter(randn([8, 2]))], #{{ cols: {n} }})")),
            ("trajectories.count", format!("trajectories([randn([8, 2]), randn([8, 2])], #{{ count: {n} }})")),
            ("fmt.digits", format!("fmt(1.0, {n})")),
            ("head.n", format!("head(\"case.rhai\", {n})")),
            ("narrow", format!("randn([4, 2]).narrow(0, 0, {n})")),
            ("slice", format!("randn([4, 2]).slice(0, 0, {n}, {n})")),
            ("broadcast_as", format!("randn([1]).broadcast_as([{n}]).copy()")),
            ("mlp.hidden", format!("mlp(#{{ dim: 2, hidden: [{n}] }})")),
            ("mlp.dim", format!("mlp(#{{ dim: {n}, hidden: [8] }})")),
            ("classifier.classes", format!("classifier(#{{ classes: {n}, dim: 2, hidden: [8] }})")),
            ("unet.image", format!("unet(#{{ image: [1, {n}, {n}] }})")),
            ("progress", format!("let p = progress({n}, #{{}}); p.update(1, #{{}}); p.finish();")),
            ("mode_coverage", format!("mode_coverage(randn([8, 2]), mix, #{{ within: {n} }})")),
        ] {
            parts.push((leak(label), format!("let r = {code};\nprint(r);")));
        }
    }
    for (label, code) in [
        ("ones", "ones([50000, 50000])"),
        ("zeros", "zeros([50000, 50000])"),
        ("full", "full([50000, 50000], 0.5)"),
        ("randn", "randn([50000, 50000])"),
        ("rand", "rand([4294967296, 4294967296])"),
        ("zeros", "zeros([65536, 65536, 65536])"),
        ("arange", "arange(0, 1000000000000000000)"),
        ("arange", "arange(0.0, 1.0, 1e-18)"),
        ("mlp.hidden", "mlp(#{ dim: 2, hidden: [100000, 100000] })"),
        ("mlp.fourier", "mlp(#{ dim: 2, hidden: [8], fourier: 1000000000 })"),
        ("mlp.time_dim", "mlp(#{ dim: 2, hidden: [8], time_dim: 1000000000 })"),
        ("unet.image", "unet(#{ image: [3, 100000, 100000] })"),
        ("sample.n", "sample(den, #{ n: 100000000, steps: 1 })"),
        ("scatter.size", "scatter(randn([8, 2]), #{ width: 1000000, height: 1000000 })"),
        ("line.size", "line([1.0, 2.0], #{ width: 100000000, height: 100000000 })"),
        ("reshape", "randn([4]).reshape([4294967296, 4294967296, 0])"),
        ("broadcast_as", "randn([1]).broadcast_as([50000, 50000]).sum()"),
        ("tensor.big", "tensor(fz_big)"),
        ("sample.sigmas.big", "sample(den, #{ sigmas: fz_big })"),
    ] {
        parts.push((label, format!("let r = {code};\nprint(r);")));
    }
    for m in methods {
        parts.push((
            leak(&format!("sample.steps.{m}")),
            format!("print(sample(den, #{{ method: \"{m}\", steps: 4294967296 }}));"),
        ));
    }
    cases_of("fixed/huge-count", &[MIX, BIG_ARRAY], &parts, 6)
}

/// Values nested thousands deep: printing, comparing, serialising, converting, throwing.
fn deep_nesting() -> Vec<Case> {
    let parts = own(&[
        ("print", "print(fz_deep);"),
        ("interpolate", "let s = `${fz_deep}`; print(s.len());"),
        ("==", "print(fz_deep == fz_deep);"),
        ("!=", "print(fz_deep != [1]);"),
        ("in", "print(fz_deep in [fz_deep]);"),
        ("write_json", "write_json(\"deep.json\", fz_deep);"),
        ("write_json.map", "write_json(\"deep_map.json\", fz_deep_map);"),
        ("print.map", "print(fz_deep_map);"),
        ("==.map", "print(fz_deep_map == fz_deep_map);"),
        ("tensor", "print(tensor(fz_deep));"),
        ("stack", "print(stack(fz_deep));"),
        ("cat", "print(cat(fz_deep));"),
        ("clone", "let c = fz_deep; c.push(1); print(c.len());"),
        ("show", "show(fz_deep);"),
        ("line", "line(fz_deep);"),
        ("hist", "hist(fz_deep);"),
        ("scatter", "scatter(fz_deep);"),
        ("mean_std", "mean_std(fz_deep);"),
        ("index_select", "randn([4]).index_select(fz_deep, 0);"),
        ("mixture", "mixture(#{ means: fz_deep, stds: 1.0 });"),
        ("sample.sigmas", "sample(denoiser(gaussians_ring(4, 2.0, 0.1)), #{ sigmas: fz_deep });"),
        ("report::table", "print(report::table([\"a\"], fz_deep));"),
        ("stats::describe", "print(stats::describe(fz_deep));"),
        ("eprint", "eprint(fz_deep);"),
        ("json-roundtrip", "write_json(\"d.json\", fz_deep); print(read_json(\"d.json\"));"),
    ]);
    let mut cases = cases_of(
        "fixed/deep-nesting",
        &[DEEP_ARRAY, DEEP_MAP, "import \"report\" as report;", "import \"stats\" as stats;"],
        &parts,
        5,
    );
    let mut thrown = Case::new("fixed/deep-nesting");
    thrown.need(DEEP_ARRAY);
    thrown.parts.push(Part::raw("throw", "throw fz_deep;"));
    cases.push(thrown);
    let mut result = Case::new("fixed/deep-nesting");
    result.need(DEEP_ARRAY);
    result.parts.push(Part::raw("last-value", "fz_deep"));
    cases.push(result);
    let mut drop = Case::new("fixed/deep-nesting");
    drop.parts.push(Part::new("build-20000", "let a = []; for i in 0..20000 { a = [a.take()]; } print(\"built\");"));
    drop.parts.push(Part::new(
        "build-map-20000",
        "let m = #{}; for i in 0..20000 { m = #{ a: m.take() }; } print(\"built\");",
    ));
    cases.push(drop);
    let mut source = Case::new("fixed/deep-nesting");
    source.parts.push(Part::raw("source-parens", format!("let x = {}1{};", "(".repeat(20000), ")".repeat(20000))));
    cases.push(source);
    let mut brackets = Case::new("fixed/deep-nesting");
    brackets.parts.push(Part::raw("source-brackets", format!("let x = {}{};", "[".repeat(20000), "]".repeat(20000))));
    cases.push(brackets);
    let mut recursion = Case::new("fixed/deep-nesting");
    recursion.need("fn f(x) { f(x + 1) }");
    recursion.parts.push(Part::new("recursion", "f(0);"));
    recursion.parts.push(Part::new("closure-recursion", "let g = |h, n| h.call(h, n + 1); g.call(g, 0);"));
    recursion
        .parts
        .push(Part::new("denoiser-recursion", "let d = denoiser(|x, s| denoise(d, x, s)); sample(d, #{ steps: 2 });"));
    cases.push(recursion);
    let mut selfimport = Case::new("fixed/deep-nesting");
    selfimport.files.push(("selfimp.rhai".into(), b"import \"selfimp\" as me;\nfn f() { 1 }\n".to_vec()));
    selfimport.files.push(("ping.rhai".into(), b"import \"pong\" as pong;\nfn f() { 1 }\n".to_vec()));
    selfimport.files.push(("pong.rhai".into(), b"import \"ping\" as ping;\nfn f() { 2 }\n".to_vec()));
    selfimport.parts.push(Part::new("import-self", "import \"selfimp\" as me; print(me::f());"));
    selfimport.parts.push(Part::new("import-cycle", "import \"ping\" as ping; print(ping::f());"));
    selfimport.parts.push(Part::raw("import-case", "import \"case\" as again;"));
    cases.push(selfimport);
    cases
}

/// Rank-0 tensors given a dimension.
fn rank0() -> Vec<Case> {
    let mut parts: Vec<(&str, String)> = Vec::new();
    for dim in ["0", "-1", "1"] {
        for (label, code) in [
            ("sum", format!("s.sum({dim})")),
            ("mean", format!("s.mean({dim}, true)")),
            ("max", format!("s.max({dim})")),
            ("argmax", format!("s.argmax({dim})")),
            ("argmin", format!("s.argmin({dim}, true)")),
            ("std", format!("s.std({dim})")),
            ("variance", format!("s.variance({dim})")),
            ("softmax", format!("s.softmax({dim})")),
            ("log_softmax", format!("s.log_softmax({dim})")),
            ("cat", format!("cat([s, s], {dim})")),
            ("stack", format!("stack([s, s], {dim})")),
            ("unsqueeze", format!("s.unsqueeze({dim})")),
            ("squeeze", format!("s.squeeze({dim})")),
            ("transpose", format!("s.transpose({dim}, 0)")),
            ("flatten", format!("s.flatten({dim}, {dim})")),
            ("narrow", format!("s.narrow({dim}, 0, 1)")),
            ("slice", format!("s.slice({dim}, 0, 1)")),
            ("index_select", format!("s.index_select([0], {dim})")),
            ("index", format!("s[{dim}]")),
            ("permute", format!("s.permute([{dim}])")),
        ] {
            parts.push((leak(label), format!("print({code});")));
        }
    }
    for (label, code) in [
        ("t", "s.t()"),
        ("len", "s.len()"),
        ("split", "s.split(0.5)"),
        ("batch", "batch(s, 1)"),
        ("shuffle", "shuffle(s)"),
        ("matmul", "s.matmul(s)"),
        ("to_array", "s.to_array()"),
        ("reshape", "s.reshape([-1])"),
        ("broadcast_as", "s.broadcast_as([])"),
        ("denoise", "denoise(gaussians_ring(4, 2.0, 0.1), s, 0.5)"),
        ("scatter", "scatter(s)"),
        ("images", "images(s)"),
        ("sliced_w2", "sliced_w2(s, s)"),
        ("cross_entropy", "cross_entropy(s, s)"),
        ("sample.x", "sample(denoiser(gaussians_ring(4, 2.0, 0.1)), #{ x: s })"),
        ("normalize", "normalize(s, 0.0, 0.0)"),
        ("stats::cov", "stats::cov(s)"),
    ] {
        parts.push((label, format!("print({code});")));
    }
    cases_of("fixed/rank-0", &["let s = tensor(1.0);", "import \"stats\" as stats;"], &parts, 8)
}

/// Integer (and other non-float) tensors given to float-only operations.
fn int_tensors(methods: &[String]) -> Vec<Case> {
    let mut parts: Vec<(&str, String)> = Vec::new();
    for m in methods {
        parts.push((
            leak(&format!("sample.{m}")),
            format!("print(sample(den, #{{ method: \"{m}\", x: xi, steps: 3 }}).x);"),
        ));
    }
    for (label, code) in [
        ("denoise", "denoise(mix, xi, 0.5)"),
        ("denoise.den", "denoise(den, xi, 0.5)"),
        ("denoise.sigma", "denoise(mix, randn([8, 2]), zeros([8], #{ dtype: \"i64\" }))"),
        ("score", "score(mix, xi, 0.5)"),
        ("score.den", "score(den, xi, 0.5)"),
        ("log_prob", "log_prob(mix, xi, 0.5)"),
        ("noise_posterior", "noise_posterior(mix, xi, [0.1, 1.0])"),
        ("noise_posterior.levels", "noise_posterior(mix, randn([8, 2]), zeros([2], #{ dtype: \"i64\" }))"),
        ("langevin", "langevin(den, xi, #{ steps: 3 })"),
        ("cross_entropy", "cross_entropy(zeros([8, 4], #{ dtype: \"i64\" }), randint(0, 4, [8]))"),
        ("cross_entropy.labels", "cross_entropy(randn([8, 4]), randn([8]))"),
        ("cross_entropy.u8", "cross_entropy(randn([8, 4]), zeros([8], #{ dtype: \"u8\" }))"),
        ("accuracy", "accuracy(xi, randint(0, 2, [8]))"),
        ("forward", "mlp(#{ dim: 2, hidden: [8] }).forward(xi, 0.5)"),
        ("forward.classifier", "classifier(#{ classes: 4, dim: 2, hidden: [8] }).forward(xi)"),
        ("diffusion_loss", "diffusion_loss(mlp(#{ dim: 2, hidden: [8] }), vp_cosine(), xi)"),
        ("shortcut_loss", "shortcut_loss(mlp(#{ dim: 2, hidden: [8] }), vp_cosine(), xi, #{})"),
        ("sliced_w2", "sliced_w2(xi, xi)"),
        ("mmd", "mmd(xi, xi)"),
        ("energy_distance", "energy_distance(xi, xi)"),
        ("mode_coverage", "mode_coverage(xi, mix)"),
        ("mode_tv", "mode_tv(xi, mix)"),
        ("scatter", "scatter(xi)"),
        ("hist", "hist(xi)"),
        ("density", "density(xi)"),
        ("images", "images(zeros([2, 1, 8, 8], #{ dtype: \"i64\" }))"),
        ("animate", "animate([xi, xi])"),
        ("sqrt", "xi.sqrt()"),
        ("exp", "xi.exp()"),
        ("log", "xi.log()"),
        ("sin", "xi.sin()"),
        ("gelu", "xi.gelu()"),
        ("softmax", "xi.softmax(0)"),
        ("mean", "xi.mean()"),
        ("std", "xi.std()"),
        ("variance", "xi.variance(0)"),
        ("/", "xi / 2"),
        ("/0", "xi / 0"),
        ("/0t", "xi / zeros([8, 2], #{ dtype: \"i64\" })"),
        ("**", "xi ** 0.5"),
        ("pow", "xi.pow(xi)"),
        ("normalize", "normalize(xi, 0.0, 1.0)"),
        ("cat", "cat([xi, randn([8, 2])])"),
        ("where", "where(xi, 1.0, 0.0)"),
        ("+f64", "xi + randn([8, 2], #{ dtype: \"f64\" })"),
        ("matmul", "xi.matmul(xi.t())"),
        ("param", "param(xi)"),
        ("backward", "param(xi).sum().backward()"),
        ("adamw", "adamw([param(xi)])"),
        ("u8.sqrt", "zeros([4], #{ dtype: \"u8\" }).sqrt()"),
        ("u8.-", "-zeros([4], #{ dtype: \"u8\" })"),
        ("u8.log_softmax", "zeros([4], #{ dtype: \"u8\" }).log_softmax(0)"),
        ("sample.z", "sample(den, #{ z: xi, steps: 3 }).x"),
        ("sample.z_huge", "sample(den, #{ z: 1000000000000000000, steps: 3 }).x"),
        ("f64.sample", "sample(den, #{ x: randn([8, 2], #{ dtype: \"f64\" }), steps: 3 }).x"),
        ("f64.mlp", "sample(denoiser(mlp(#{ dim: 2, hidden: [8] }), vp_cosine(), \"eps\"), #{ x: randn([8, 2], #{ dtype: \"f64\" }), steps: 3 }).x"),
        ("stats::standardize", "stats::standardize(xi)"),
    ] {
        parts.push((label, format!("print({code});")));
    }
    cases_of("fixed/int-tensor", &[MIX, XI, "import \"stats\" as stats;"], &parts, 8)
}

/// Degenerate noise-level lists and sampler settings.
fn sigmas(methods: &[String]) -> Vec<Case> {
    let lists = [
        "[]",
        "[1.0]",
        "[0.0]",
        "[0.0 / 0.0, 0.0]",
        "[0.0, 1.0]",
        "[-1.0, 0.0]",
        "[1e308, 0.0]",
        "[1.0 / 0.0, 0.0]",
        "[1.0, 1.0, 1.0]",
        "randn([3])",
        "tensor(1.0)",
        "[\"a\"]",
        "[[1.0]]",
        "zeros([0])",
    ];
    let mut parts: Vec<(&str, String)> = Vec::new();
    for l in lists {
        parts.push(("sample.sigmas", format!("print(sample(den, #{{ sigmas: {l} }}));")));
    }
    for m in methods {
        for l in ["[]", "[1.0]", "[1.0, 0.0]", "[1.0 / 0.0, 0.0]", "[0.0 / 0.0, 0.0]"] {
            parts.push((
                leak(&format!("sample.sigmas.{m}")),
                format!("print(sample(den, #{{ method: \"{m}\", sigmas: {l} }}));"),
            ));
        }
        for o in [
            "steps: 0",
            "steps: 1",
            "n: 0",
            "x: zeros([0, 2])",
            "x: randn([8, 3])",
            "noise: [randn([1])]",
            "sigma_min: 0.0",
            "sigma_max: 1e308",
        ] {
            parts.push((leak(&format!("sample.{m}")), format!("print(sample(den, #{{ method: \"{m}\", {o} }}));")));
        }
        parts.push((
            leak(&format!("sample.{m}.nan-den")),
            format!("print(sample(denoiser(|x, s| x * (0.0 / 0.0)), #{{ method: \"{m}\", steps: 3 }}));"),
        ));
    }
    for (label, code) in [
        ("rm_parallel", "sample(den, #{ method: \"rm_parallel\", parts: 0, rounds: 0 })"),
        ("rm_parallel", "sample(den, #{ method: \"rm_parallel\", parts: 1000000000000000000 })"),
        ("pc", "sample(den, #{ method: \"pc\", corrector_steps: 1000000000000000000, steps: 2 })"),
        ("rm", "sample(den, #{ method: \"rm\", corrector_steps: 1000000000000000000, steps: 2 })"),
        ("shortcut", "sample(den, #{ method: \"shortcut\", choose: 1000000000000000000 })"),
        ("rk45", "sample(den, #{ method: \"rk45\", rtol: 0.0, atol: 0.0 })"),
        ("rk45", "sample(den, #{ method: \"rk45\", rtol: 0.0 / 0.0 })"),
        ("edm_stochastic", "sample(den, #{ method: \"edm_stochastic\", s_churn: 1e308 })"),
        ("callback", "sample(den, #{ steps: 3, callback: |info| throw \"stop\" })"),
        ("callback", "sample(den, #{ steps: 3, callback: |info| info.x.sum(5) })"),
        ("karras_sigmas", "karras_sigmas(5, 0.0 / 0.0, 0.0 / 0.0, 0.0 / 0.0)"),
        ("karras_sigmas", "karras_sigmas(5, 10.0, 0.01, 7.0)"),
        ("karras_sigmas", "karras_sigmas(5, 0.0, 0.0, 0.0)"),
        ("karras_sigmas", "karras_sigmas(0, 0.01, 10.0, 7.0)"),
        ("noise_levels", "noise_levels(0.0 / 0.0, 1.0 / 0.0, 4)"),
        ("noise_levels", "noise_levels(10.0, 0.01, 0)"),
        ("timesteps", "timesteps(vp_cosine(), 0, #{ spacing: \"karras\" })"),
        ("edm_precond", "edm_precond(0.0 / 0.0, 0.0)"),
        ("linspace", "linspace(0.0 / 0.0, 1.0 / 0.0, 5)"),
        ("arange", "arange(0, 10, 0)"),
        ("arange", "arange(0.0, 1.0 / 0.0)"),
        ("arange", "arange(0.0, 0.0 / 0.0)"),
        ("arange", "arange(0.0, 1.0, -1.0)"),
        ("randint", "randint(10, 0, [4])"),
        ("randint", "randint(-9223372036854775807 - 1, 9223372036854775807, [4])"),
        ("clamp", "randn([4]).clamp(1.0, -1.0)"),
        ("fmt", "fmt(0.0 / 0.0, -1)"),
        ("split", "randn([4, 2]).split(0.0 / 0.0)"),
        ("mixture", "mixture(#{ means: [[0.0 / 0.0, 0.0]], stds: -1.0 })"),
        ("mixture", "mixture(#{ means: [[0.0, 0.0]], stds: 1.0, weights: [0.0] })"),
        ("mixture", "mixture(#{ means: [], stds: 1.0 })"),
        ("gaussians_grid", "gaussians_grid(5, 1.0, 0.1)"),
        ("dlg", "dlg(den, mix, #{ chains: 4, iterations: 2, sigma_min: 10.0, sigma_max: 0.01 })"),
        ("dlg", "dlg(den, mix, #{ chains: 0, iterations: 2 })"),
        ("dlg", "dlg(den, mix, #{ chains: 4, iterations: 2, levels: [] })"),
        ("dlg", "dlg(den, classifier(#{ classes: 3, dim: 2, hidden: [8] }), #{ chains: 4, iterations: 2, m: 7 })"),
        ("langevin", "langevin(den, randn([8, 2]), #{ steps: 3, sigma: 0.0 })"),
        ("hist", "hist(full([8], 3.0), #{ bins: 0 })"),
        ("line", "line([0.0, -1.0, 0.0 / 0.0], #{ xlog: true, ylog: true })"),
        ("scatter", "scatter(randn([8, 2]) * 1e308)"),
        ("images", "images(full([2, 1, 8, 8], 1.0 / 0.0))"),
        ("density", "density(full([8, 2], 0.0 / 0.0))"),
        ("grid", "grid([], #{ cols: 0 })"),
        ("animate", "animate([randn([8, 2])], #{ sigmas: [] })"),
    ] {
        parts.push((label, format!("print({code});")));
    }
    cases_of("fixed/degenerate", &[MIX], &parts, 8)
}

/// The engine's own limits: strings, arrays and maps grown without bound, through
/// Rhai's own built-ins and its built-in operators (`+=`, `+`, interpolation).
fn engine_limits() -> Vec<Case> {
    let parts = own(&[
        ("array.pad", "let a = []; a.pad(1000000000000, 0); print(a.len());"),
        ("string.pad", "let s = \"\"; s.pad(1000000000000, \"x\"); print(s.len());"),
        ("array.doubling", "let a = [1]; for i in 0..40 { let b = a + a; a = b; } print(a.len());"),
        ("blob", "let b = blob(1000000000000); print(b.len());"),
        ("range", "let n = 0; for i in range(0, 9223372036854775807, 4611686018427387904) { n += 1; } print(n);"),
        ("long-string-ops", "print(fz_long.len()); let t = fz_long + fz_long; print(tensor([t.len()]));"),
        ("long-string-help", "print(help(fz_long));"),
        ("long-string-device", "print(device(fz_long));"),
        ("split", "print(\"\".split(\"\").len());"),
        ("string+=", "let s = \"x\"; loop { s += s; }"),
        ("string+", "let s = \"x\"; loop { s = s + s; }"),
        ("interpolation", "let s = \"x\"; loop { s = `${s}${s}${s}`; }"),
        ("array+=", "let a = [1]; loop { a += a; }"),
        ("array-push", "let a = [\"x\"]; loop { a.push(a); }"),
        ("map-doubling", "let m = #{ a: 1 }; let n = 0; loop { n += 1; m[`k${n}`] = m; }"),
    ]);
    cases_of("fixed/engine-limits", &[LONG_STRING], &parts, 4)
}

/// All the fixed cases; `methods` are the registered samplers.
pub fn cases(methods: &[String]) -> Vec<Case> {
    let mut out = Vec::new();
    out.extend(huge_counts(methods));
    out.extend(deep_nesting());
    out.extend(rank0());
    out.extend(int_tensors(methods));
    out.extend(sigmas(methods));
    out.extend(engine_limits());
    out
}
