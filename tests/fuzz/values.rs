//! The values generated calls pass, as Rhai expressions: a plausible valid value for each
//! parameter (so a call gets past its first check), and pools of bad and edge values per
//! declared type.

use super::registry::{Form, Param};
use super::rng::Rng;

/// A value for a generated call: a Rhai expression, and the setup statement it needs first.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    /// The expression.
    pub expr: String,
    /// A statement that must run before it (defining the variable it names).
    pub setup: Option<&'static str>,
}

impl Value {
    /// A value with no setup.
    pub fn of(expr: impl Into<String>) -> Self {
        Value { expr: expr.into(), setup: None }
    }

    fn with(expr: &str, setup: &'static str) -> Self {
        Value { expr: expr.into(), setup: Some(setup) }
    }
}

/// An array nested 5000 deep, built in a loop (a literal would hit the parser's depth limit;
/// `take` moves the inner value instead of copying it).
pub const DEEP_ARRAY: &str = "let fz_deep = []; for i in 0..5000 { fz_deep = [fz_deep.take()]; }";
/// A map nested 5000 deep.
pub const DEEP_MAP: &str = "let fz_deep_map = #{}; for i in 0..5000 { fz_deep_map = #{ a: fz_deep_map.take() }; }";
/// A string of 262144 characters.
pub const LONG_STRING: &str = "let fz_long = \"ab\"; for i in 0..17 { fz_long += fz_long; }";
/// An array of a million numbers.
pub const BIG_ARRAY: &str = "let fz_big = []; fz_big.pad(1000000, 0.5);";

/// Functions whose `path` argument is written to: they only get paths inside the case's
/// own folder (the suite may run as root, and must never write outside its folder).
pub const WRITERS: &[&str] = &["save", "save_npy", "save_tensors", "write_json"];

/// Bad and edge integers.
pub const INTS: &[&str] = &[
    "0",
    "-1",
    "1000000000000000000",
    "4294967296",
    "9223372036854775807",
    "(-9223372036854775807 - 1)",
    "2147483648",
];

/// Bad and edge floats.
pub const FLOATS: &[&str] =
    &["(0.0 / 0.0)", "(1.0 / 0.0)", "(-1.0 / 0.0)", "1e308", "-1e308", "-0.1", "0.0", "-0.0", "1e-320"];

/// Bad and edge shapes.
pub const SHAPES: &[&str] = &[
    "[4294967296, 4294967296]",
    "[1000000000000000000]",
    "[]",
    "[0]",
    "[-1]",
    "[50000, 50000]",
    "[2, -3]",
    "[1.5]",
    "[\"a\"]",
    "[9223372036854775807]",
    "[65536, 65536, 65536]",
    "[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]",
];

/// Bad and edge tensors: rank 0, empty, integer, NaN-filled, f64, mismatched shapes.
pub const TENSORS: &[&str] = &[
    "tensor(1.0)",
    "zeros([0, 2])",
    "zeros([4, 2], #{ dtype: \"i64\" })",
    "full([8, 2], 0.0 / 0.0)",
    "randn([8, 2], #{ dtype: \"f64\" })",
    "randn([3])",
    "randn([2, 3, 4])",
    "zeros([8, 2], #{ dtype: \"u8\" })",
    "zeros([0])",
    "randn([2, 8]).t()",
    "full([8, 2], 1.0 / 0.0)",
    "randn([5, 3])",
    "randn([1, 1, 1, 1, 1, 1])",
    "zeros([0, 1, 8, 8])",
    "randint(0, 2, [8])",
];

/// Bad and edge arrays.
pub fn arrays() -> Vec<Value> {
    let mut v: Vec<Value> = [
        "[]",
        "[1, \"a\", 2.0, [], #{}, ()]",
        "[[1.0, 2.0], [3.0]]",
        "[0.0 / 0.0, 1.0 / 0.0]",
        "[randn([2, 2]), randn([3])]",
        "[tensor(1.0)]",
        "[1e308, -1e308]",
        "[[[]]]",
    ]
    .into_iter()
    .map(Value::of)
    .collect();
    v.push(Value::with("fz_deep", DEEP_ARRAY));
    v.push(Value::with("fz_big", BIG_ARRAY));
    v
}

/// Bad and edge strings; `paths` are corrupt files, given to functions that read.
pub fn strings(writer: bool, paths: &[String]) -> Vec<Value> {
    let mut v: Vec<Value> =
        ["\"\"", "\"zzz\"", "\"cuda:99\"", "\"a\\u{0}b\"", "\"..\""].into_iter().map(Value::of).collect();
    v.push(Value::with("fz_long", LONG_STRING));
    if writer {
        v.extend(["\".\"", "\"a/b/c/d.bin\"", "\"x.unknown_ext\""].into_iter().map(Value::of));
    } else {
        v.extend(["\"/dev/zero\"", "\"/nonexistent\"", "\"/proc/self/mem\"", "\"/\""].into_iter().map(Value::of));
        v.extend(paths.iter().map(|p| Value::of(quote(p))));
    }
    v
}

/// Bad and edge maps.
pub fn maps() -> Vec<Value> {
    let mut v: Vec<Value> = [
        "#{}",
        "#{ a: 1 }",
        "#{ x: tensor(1.0) }",
        "#{ images: zeros([0, 1, 8, 8]), labels: zeros([0]) }",
        "#{ x: randn([8, 2]), y: randn([3]) }",
    ]
    .into_iter()
    .map(Value::of)
    .collect();
    v.push(Value::with("fz_deep_map", DEEP_MAP));
    v
}

/// A Rhai string literal for `s`.
pub fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

const MLP: &str = "mlp(#{ dim: 2, hidden: [8] })";
const CLASSIFIER: &str = "classifier(#{ classes: 4, dim: 2, hidden: [8] })";
const MIXTURE: &str = "gaussians_ring(4, 2.0, 0.1)";

/// A plausible valid value for parameter `p` of `form`.
pub fn valid(form: &Form, p: &Param) -> String {
    let f = form.name.as_str();
    let n = p.name.as_str();
    let s = match p.ty.as_str() {
        "int" => match (f, n) {
            ("batch", "n") => "4",
            (_, "n") => "8",
            (_, "steps") => "3",
            (_, "dim" | "start" | "low" | "d0") => "0",
            (_, "k" | "m" | "classes") => "4",
            (_, "count") => "5",
            (_, "high" | "digits") => "3",
            (_, "end" | "len" | "d1" | "step") => "1",
            (_, "total") => "10",
            _ => "2",
        },
        "float" => "0.5",
        "Number" => match (f, n) {
            (_, "sigma_min") => "0.01",
            (_, "sigma_max") => "10.0",
            (_, "rho") => "7.0",
            ("arange", "end") => "5",
            (_, "start" | "seconds") => "0.0",
            (_, "end" | "max" | "hi" | "spacing" | "step") => "1.0",
            (_, "min" | "lo") => "-1.0",
            (_, "std") => "0.1",
            (_, "radius") => "2.0",
            _ => "0.5",
        },
        "bool" => "true",
        "string" => match (f, n) {
            ("save_npy", _) => "\"x.npy\"",
            ("save_tensors", _) => "\"x.safetensors\"",
            ("write_json", _) => "\"x.json\"",
            ("save", _) => match form.params.first().map(|p| p.ty.as_str()) {
                Some("Figure") => "\"fig.png\"",
                Some("Animation") => "\"anim.gif\"",
                _ => "\"x.safetensors\"",
            },
            ("head", _) => "\"case.rhai\"",
            (_, "folder") => "\".\"",
            ("sampler_info", _) => "\"heun\"",
            ("help", _) => "\"sample\"",
            (_, "dtype") => "\"f64\"",
            (_, "pred") => "\"eps\"",
            (_, "function") => "\"f\"",
            (_, "path" | "images" | "labels") => "\"missing.bin\"",
            _ => "\"cpu\"",
        },
        "array" => match n {
            "shape" => "[4, 2]",
            "order" => "[1, 0]",
            "parts" => "[randn([2, 2]), randn([2, 2])]",
            "figures" => "[scatter(randn([8, 2])), hist(randn([8]))]",
            "states" => "[randn([8, 2]), randn([8, 2])]",
            "accepted" => "[\"a\"]",
            _ => "[1.0, 2.0]",
        },
        "map" => match n {
            "data" => "#{ x: randn([8, 2]), y: randn([8]) }",
            "tensors" => "#{ x: randn([2, 3]) }",
            "values" => "#{ loss: 1.0 }",
            "options" => "#{ a: 1 }",
            _ => "#{}",
        },
        "Options" => "#{}",
        "Tensor" => match (f, n) {
            (_, "labels") => "randint(0, 2, [8])",
            (_, "mask") => "(randn([8, 2]) > 0.0)",
            (_, "loss") => "param(randn([2])).square().sum()",
            ("grad" | "is_param", _) => "param(randn([2]))",
            ("images", _) => "randn([2, 1, 8, 8])",
            _ => "randn([8, 2])",
        },
        "TensorLike" => match n {
            "mean" => "[0.0, 0.0]",
            "indices" => "[0, 1]",
            "values" => "[[1.0, 2.0], [3.0, 4.0]]",
            "logsnr" | "on_false" => "0.0",
            "p" => "2.0",
            "b" | "on_true" => "1.0",
            _ => "0.5",
        },
        "Schedule" => "vp_cosine()",
        "Mixture" => MIXTURE,
        "Network" => match (f, form.params.len()) {
            ("forward", 2) => CLASSIFIER,
            _ => MLP,
        },
        "ScriptDenoiser" | "DenoiserLike" => "denoiser(gaussians_ring(4, 2.0, 0.1))",
        "FnPtr" => "|x, s| x",
        "Params" => "[param(randn([2]))]",
        "Optimizer" => "adamw([param(randn([2]))])",
        "Ema" => "ema(mlp(#{ dim: 2, hidden: [8] }), #{})",
        "Figure" => "scatter(randn([8, 2]))",
        "Animation" => "animate([randn([8, 2]), randn([8, 2])])",
        "ScriptProgress" => "progress(10, #{})",
        "Blob" => "png(scatter(randn([8, 2])))",
        _ => match (f, n) {
            (_, "sigma") => "0.5",
            (_, "levels") => "[0.1, 1.0, 10.0]",
            ("line" | "hist", _) => "[1.0, 2.0, 3.0]",
            (_, "x" | "data" | "points") => "randn([8, 2])",
            (_, "runs") => "[[1.0, 2.0], [1.5, 2.5]]",
            (_, "model") => MIXTURE,
            (_, "teacher" | "net") => MLP,
            (_, "clf") => CLASSIFIER,
            (_, "sched") => "vp_cosine()",
            (_, "header") => "[\"a\", \"b\"]",
            (_, "rows") => "[[1, 2.5]]",
            (_, "run") => "#{ losses: [1.0, 2.0] }",
            (_, "n") => "2",
            (_, "params") => "[param(randn([2]))]",
            (_, "loss_fn") => "|step| randn([2]).square().sum()",
            (_, "options") => "#{}",
            _ => "1.0",
        },
    };
    s.to_string()
}

/// Values of the wrong type for anything.
const WRONG: &[&str] = &["()", "\"x\"", "[]", "#{}", "true", "1", "1.5"];

/// The bad and edge values for parameter `p` of `form` (not for option maps: see
/// [`super::generate`]).
pub fn bad(form: &Form, p: &Param, paths: &[String]) -> Vec<Value> {
    let of = |list: &[&str]| list.iter().map(|s| Value::of(*s)).collect::<Vec<_>>();
    let writer = WRITERS.contains(&form.name.as_str());
    match p.ty.as_str() {
        "int" => of(INTS),
        "float" => of(FLOATS),
        "Number" => [of(INTS), of(FLOATS)].concat(),
        "bool" => of(&["0", "()"]),
        "string" => strings(writer, paths),
        "array" if p.name == "shape" || p.name == "order" => [of(SHAPES), arrays()].concat(),
        "array" => [arrays(), of(&SHAPES[..6])].concat(),
        "map" | "Options" => maps(),
        "Tensor" => of(TENSORS),
        "TensorLike" => [of(TENSORS), of(&FLOATS[..4]), arrays()].concat(),
        "Schedule" => of(&[
            "vp_linear(#{ steps: 1 })",
            "edm(#{ sigma_min: 1e-30, sigma_max: 1e30 })",
            "ve_geometric(#{ sigma_min: 10.0, sigma_max: 0.1 })",
            "vp_cosine(#{ s: 0.0 })",
            MIXTURE,
        ]),
        "Mixture" => mixtures(),
        "Network" => of(&[
            CLASSIFIER,
            "unet(#{ image: [1, 8, 8] })",
            "mlp(#{ dim: 3, hidden: [8] })",
            "mlp(#{ dim: 2, hidden: [8] }).to_dtype(\"f64\")",
            "mlp(#{ dim: 2, hidden: [] })",
        ]),
        "ScriptDenoiser" => denoisers(),
        "DenoiserLike" => [denoisers(), mixtures(), of(&[MLP, CLASSIFIER])].concat(),
        "FnPtr" => of(&["|x| x", "|| 1", "Fn(\"nope\")", "|x, s| throw \"boom\"", "|x, s| 1"]),
        "Params" => of(&["[]", "[1]", "param(randn([2]))", "[randn([2])]", "[param(tensor(1.0)), param(zeros([0]))]"]),
        "Figure" => of(&["scatter(zeros([0, 2]))", "hist(full([4], 0.0 / 0.0))", "grid([])", "line([])"]),
        "Animation" => of(&["animate([])", "animate([zeros([0, 2])])"]),
        "any" => {
            let mut all = of(&["(0.0 / 0.0)", "-1", "1000000000000000000", "\"\"", "\"/dev/zero\""]);
            all.extend(of(&TENSORS[..8]));
            all.extend(arrays().into_iter().take(5));
            all.extend(maps().into_iter().take(3));
            all.push(Value::with("fz_deep", DEEP_ARRAY));
            all
        }
        _ => of(WRONG),
    }
}

fn mixtures() -> Vec<Value> {
    [
        "gaussians_grid(4, 1.0, 0.0)",
        "gaussians_ring(1, 0.0, 1e-300)",
        "mixture(#{ means: [[0.0, 0.0, 0.0]], stds: 1.0 })",
        "mixture(#{ means: [[1e308, 0.0]], stds: 1e308 })",
        "gaussians_ring(64, 2.0, 0.1)",
    ]
    .into_iter()
    .map(Value::of)
    .collect()
}

fn denoisers() -> Vec<Value> {
    [
        "denoiser(|x, s| 1)",
        "denoiser(|x, s| x.sum())",
        "denoiser(|x, s| x * (0.0 / 0.0))",
        "denoiser(|x| x)",
        "denoiser(Fn(\"nope\"))",
        "denoiser(|x, s| throw \"boom\")",
        "denoiser(|x, s| zeros([3, 3]))",
        "denoiser(|x, s| x.to_dtype(\"f64\"))",
        "gaussian_denoiser([0.0, 0.0, 0.0], 0.0)",
        "denoiser(mlp(#{ dim: 3, hidden: [8] }), vp_cosine(), \"eps\")",
        "denoiser(mlp(#{ dim: 2, hidden: [8] }), edm(), \"score\")",
        "denoiser(classifier(#{ classes: 4, dim: 2, hidden: [8] }), vp_cosine(), \"eps\")",
    ]
    .into_iter()
    .map(Value::of)
    .collect()
}

/// A value of the wrong type, for the rare call that tests type dispatch.
pub fn wrong(rng: &mut Rng) -> Value {
    Value::of(*rng.pick(WRONG))
}

/// What an option key expects, to pick valid and bad values for it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// A count or index.
    Int,
    /// A real number.
    Float,
    /// A name.
    Str,
    /// A list, or a shape.
    Array,
    /// A flag.
    Bool,
    /// A tensor.
    Tensor,
    /// Unknown.
    Any,
}

/// Valid values for option keys seen in `help` texts and `accepted:` lists, with their kind.
const KEYS: &[(&str, &str, Kind)] = &[
    ("dim", "2", Kind::Int),
    ("hidden", "[8]", Kind::Array),
    ("act", "\"silu\"", Kind::Str),
    ("fourier", "4", Kind::Int),
    ("fourier_scale", "1.0", Kind::Float),
    ("time_embed", "\"t\"", Kind::Str),
    ("time_dim", "8", Kind::Int),
    ("out", "2", Kind::Int),
    ("dtype", "\"f32\"", Kind::Str),
    ("device", "\"cpu\"", Kind::Str),
    ("classes", "4", Kind::Int),
    ("image", "[1, 8, 8]", Kind::Array),
    ("steps", "3", Kind::Int),
    ("n", "8", Kind::Int),
    ("method", "\"euler\"", Kind::Str),
    ("sigmas", "[1.0, 0.5, 0.0]", Kind::Array),
    ("sigma_min", "0.01", Kind::Float),
    ("sigma_max", "10.0", Kind::Float),
    ("rho", "7.0", Kind::Float),
    ("spacing", "\"uniform\"", Kind::Str),
    ("trajectory", "true", Kind::Bool),
    ("denoised", "true", Kind::Bool),
    ("noise", "[]", Kind::Array),
    ("callback", "|info| 0", Kind::Any),
    ("x", "randn([8, 2])", Kind::Tensor),
    ("bins", "4", Kind::Int),
    ("size", "8", Kind::Any),
    ("chains", "4", Kind::Int),
    ("iterations", "3", Kind::Int),
    ("eta", "0.5", Kind::Float),
    ("m", "4", Kind::Int),
    ("levels", "[0.1, 1.0]", Kind::Array),
    ("n_skip", "2", Kind::Int),
    ("n_den", "2", Kind::Int),
    ("init_steps", "2", Kind::Int),
    ("decay", "0.9", Kind::Float),
    ("warmup", "0", Kind::Int),
    ("lr", "0.01", Kind::Float),
    ("batch", "4", Kind::Int),
    ("label", "\"x\"", Kind::Str),
    ("title", "\"t\"", Kind::Str),
    ("xlabel", "\"x\"", Kind::Str),
    ("ylabel", "\"y\"", Kind::Str),
    ("labels", "[\"a\"]", Kind::Array),
    ("colors", "[\"red\"]", Kind::Array),
    ("xlim", "[0.0, 1.0]", Kind::Array),
    ("ylim", "[0.0, 1.0]", Kind::Array),
    ("xlog", "true", Kind::Bool),
    ("ylog", "true", Kind::Bool),
    ("width", "200", Kind::Int),
    ("height", "150", Kind::Int),
    ("cols", "2", Kind::Int),
    ("range", "[-1.0, 1.0]", Kind::Array),
    ("count", "3", Kind::Int),
    ("squares", "4", Kind::Int),
    ("means", "[[0.0, 0.0], [3.0, 1.0]]", Kind::Array),
    ("stds", "0.5", Kind::Any),
    ("weights", "[1.0, 2.0]", Kind::Array),
    ("pred", "\"eps\"", Kind::Str),
    ("channels", "1", Kind::Int),
    ("header", "true", Kind::Bool),
    ("bandwidths", "[1.0]", Kind::Array),
    ("momentum", "0.9", Kind::Float),
    ("weight_decay", "0.0", Kind::Float),
    ("rounds", "1", Kind::Int),
    ("iters_per_round", "3", Kind::Int),
    ("start_steps", "2", Kind::Int),
    ("std", "0.1", Kind::Float),
    ("noise_std", "0.1", Kind::Float),
    ("projections", "16", Kind::Int),
    ("data", "randn([8, 2])", Kind::Tensor),
];

/// The kind and a valid value of option `key` (`Any` and `1` when unknown).
pub fn key_info(key: &str) -> (Kind, String) {
    KEYS.iter().find(|(k, _, _)| *k == key).map_or((Kind::Any, "1".into()), |(_, v, kind)| (*kind, v.to_string()))
}

/// Bad values for an option of `kind`.
pub fn bad_for_kind(kind: Kind, paths: &[String]) -> Vec<Value> {
    let of = |list: &[&str]| list.iter().map(|s| Value::of(*s)).collect::<Vec<_>>();
    match kind {
        Kind::Int => [of(INTS), of(&["1.5", "\"3\""])].concat(),
        Kind::Float => [of(FLOATS), of(&["\"x\""])].concat(),
        Kind::Str => strings(true, paths),
        Kind::Array => [of(SHAPES), arrays()].concat(),
        Kind::Bool => of(&["1", "\"true\"", "()"]),
        Kind::Tensor => of(TENSORS),
        Kind::Any => [of(&INTS[..4]), of(&FLOATS[..3]), of(&TENSORS[..4]), arrays()].concat(),
    }
}
