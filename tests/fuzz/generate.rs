//! Cases generated from the registry: a single-fault sweep over every form and parameter,
//! and random calls with several bad arguments at once. A case is a script of parts, each
//! run inside `try`/`catch` after a marker on stderr, so one script exercises several calls
//! and a failure can be traced to the part that caused it.

use super::registry::{Form, Shape};
use super::rng::Rng;
use super::runner::MARKER;
use super::values::{self, bad, bad_for_kind, key_info, valid, Value};
use std::collections::BTreeMap;

/// One statement of a case, with the label failures are grouped under.
#[derive(Clone, Debug)]
pub struct Part {
    /// What it exercises (a built-in's name, or a fixed class's).
    pub label: String,
    /// The statements.
    pub code: String,
    /// Whether it runs inside `try`/`catch` (false: its error ends the script).
    pub wrap: bool,
}

impl Part {
    /// A part run inside `try`/`catch`.
    pub fn new(label: impl Into<String>, code: impl Into<String>) -> Self {
        Part { label: label.into(), code: code.into(), wrap: true }
    }

    /// A part whose error ends the script (to exercise error reporting itself).
    pub fn raw(label: impl Into<String>, code: impl Into<String>) -> Self {
        Part { label: label.into(), code: code.into(), wrap: false }
    }
}

/// One run of the binary.
#[derive(Clone, Debug, Default)]
pub struct Case {
    /// Where it came from: `sweep`, `random`, `probe`, `fixed/...`, `file/...`.
    pub class: String,
    /// Statements before the parts: imports and helper values.
    pub setup: Vec<String>,
    /// The parts.
    pub parts: Vec<Part>,
    /// Files written into the case's folder before the run (name, bytes).
    pub files: Vec<(String, Vec<u8>)>,
    /// Shared files it reads, named in the report.
    pub uses: Vec<String>,
}

impl Case {
    /// A case of one class.
    pub fn new(class: impl Into<String>) -> Self {
        Case { class: class.into(), ..Case::default() }
    }

    /// Adds a setup statement once.
    pub fn need(&mut self, setup: &str) {
        if !self.setup.iter().any(|s| s == setup) {
            self.setup.push(setup.to_string());
        }
    }

    /// The script.
    pub fn script(&self) -> String {
        let mut s = String::new();
        for line in &self.setup {
            s.push_str(line);
            s.push('\n');
        }
        for (i, p) in self.parts.iter().enumerate() {
            s.push_str(&format!("eprint(\"{MARKER}{i}\");\n"));
            if p.wrap {
                s.push_str(&format!("try {{\n{}\n}} catch (fz_e) {{ eprint(fz_e); }}\n", p.code));
            } else {
                s.push_str(&p.code);
                s.push('\n');
            }
        }
        s
    }

    /// The script with only part `i`, not wrapped: the smallest reproduction (with only the
    /// setup lines it names).
    pub fn single(&self, i: usize) -> String {
        let code = &self.parts[i].code;
        let mut s = String::new();
        for line in self.setup.iter().filter(|l| needed(l, code)) {
            s.push_str(line);
            s.push('\n');
        }
        s.push_str(code);
        s.push('\n');
        s
    }
}

/// Whether `code` needs the setup line `line`: an import whose alias it uses, a `let` or
/// `fn` whose name it mentions; any other line is kept.
fn needed(line: &str, code: &str) -> bool {
    let words: Vec<&str> = code.split(|c: char| !(c.is_alphanumeric() || c == '_')).collect();
    let mentions = |name: &str| words.contains(&name);
    if let Some(rest) = line.strip_prefix("import ") {
        let alias = rest.rsplit(" as ").next().unwrap_or("").trim_end_matches(';').trim();
        return code.contains(&format!("{alias}::"));
    }
    let defined: Vec<&str> = line
        .split(';')
        .filter_map(|stmt| {
            let stmt = stmt.trim();
            stmt.strip_prefix("let ")
                .or_else(|| stmt.strip_prefix("fn "))
                .map(|r| r.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or(""))
        })
        .filter(|n| !n.is_empty())
        .collect();
    defined.is_empty() || defined.iter().any(|n| mentions(n))
}

/// Option keys per built-in, found by the probes, and the samplers with their own keys.
#[derive(Clone, Debug, Default)]
pub struct Keys {
    /// Accepted keys by function name.
    pub by_name: BTreeMap<String, Vec<String>>,
    /// Sampler names with their own option keys.
    pub methods: Vec<(String, Vec<String>)>,
}

/// Options every generated call of these functions gets unless the fuzzed keys replace
/// them: their defaults train or sample for thousands of steps, which is legitimate work
/// that would only time out.
const FORCED: &[(&str, &[(&str, &str)])] = &[
    ("train::train", &[("steps", "3"), ("batch", "4")]),
    ("train::train_noise_classifier", &[("steps", "3"), ("batch", "4")]),
    ("distill::distill", &[("rounds", "1"), ("iters_per_round", "3"), ("start_steps", "2"), ("batch", "4")]),
    ("fit::minimize", &[("steps", "3")]),
    ("dlg", &[("chains", "4"), ("iterations", "3")]),
    ("langevin", &[("steps", "3")]),
];

/// Forms left out of generation: their required defaults train for thousands of steps.
pub fn slow_by_design(form: &Form) -> bool {
    matches!(form.name.as_str(), "train::train" | "distill::distill") && form.options_param().is_none()
}

impl Keys {
    /// The accepted keys of `name`.
    pub fn of(&self, name: &str) -> Vec<String> {
        if name == "sample" {
            let mut keys: Vec<String> = difflab::runtime::api::sample::COMMON.iter().map(|k| k.to_string()).collect();
            keys.extend(self.by_name.get(name).into_iter().flatten().cloned());
            for (_, own) in &self.methods {
                keys.extend(own.iter().cloned());
            }
            keys.sort();
            keys.dedup();
            return keys;
        }
        self.by_name.get(name).cloned().unwrap_or_default()
    }

    /// Parses a probe's stderr: `...; accepted: a, b, c` lines, and `#method name [keys]`.
    pub fn learn(&mut self, name: &str, stderr: &str) {
        for line in stderr.lines() {
            if let Some(rest) = line.strip_prefix("#method ") {
                let (method, list) = rest.split_once(' ').unwrap_or((rest, ""));
                let keys = list
                    .trim_matches(['[', ']'])
                    .split(',')
                    .map(|k| k.trim().trim_matches('"').to_string())
                    .filter(|k| !k.is_empty())
                    .collect();
                self.methods.push((method.to_string(), keys));
            } else if let Some((_, list)) = line.split_once("accepted: ") {
                let keys = self.by_name.entry(name.to_string()).or_default();
                for k in list.split(',') {
                    let k = k.trim().trim_end_matches(['.', ')']).trim_matches('`').to_string();
                    if !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '_') && !keys.contains(&k) {
                        keys.push(k);
                    }
                }
            }
        }
    }
}

/// Renders an option map; forced entries come first unless a generated key replaces them.
fn option_map(name: &str, entries: &[(String, String)]) -> String {
    let mut all: Vec<(String, String)> = FORCED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, kv)| kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
        .unwrap_or_default();
    for (k, v) in entries {
        all.retain(|(key, _)| key != k);
        all.push((k.clone(), v.clone()));
    }
    let body: Vec<String> = all.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    if body.is_empty() {
        "#{}".into()
    } else {
        format!("#{{ {} }}", body.join(", "))
    }
}

/// A misspelling of `key`: a letter dropped, doubled or capitalised.
fn misspell(key: &str, rng: &mut Rng) -> String {
    let chars: Vec<char> = key.chars().collect();
    match rng.below(3) {
        0 if chars.len() > 1 => {
            chars.iter().enumerate().filter(|(i, _)| *i != chars.len() - 1).map(|(_, c)| c).collect()
        }
        1 => format!("{key}{}", chars.last().copied().unwrap_or('x')),
        _ => {
            let mut c = chars.clone();
            if let Some(first) = c.first_mut() {
                *first = first.to_ascii_uppercase();
            }
            c.into_iter().collect()
        }
    }
}

/// A Rhai expression (or statements for a property write) calling `form` with `args`.
pub fn render(form: &Form, args: &[String], method_style: bool) -> String {
    let name = &form.name;
    match form.shape {
        Shape::Operator if args.len() == 1 => format!("let fz_r = {name}({});\nprint(fz_r);", args[0]),
        Shape::Operator => format!("let fz_r = ({}) {name} ({});\nprint(fz_r);", args[0], args[1]),
        Shape::Get => format!("let fz_r = ({}).{name};\nprint(fz_r);", args[0]),
        Shape::Set => format!("let fz_r = {};\nfz_r.{name} = {};\nprint(fz_r);", args[0], args[1]),
        Shape::Index => format!("let fz_r = ({})[{}];\nprint(fz_r);", args[0], args[1]),
        Shape::Call if method_style && !args.is_empty() && form.module().is_none() => {
            format!("let fz_r = ({}).{name}({});\nprint(fz_r);", args[0], args[1..].join(", "))
        }
        Shape::Call => format!("let fz_r = {name}({});\nprint(fz_r);", args.join(", ")),
    }
}

/// Adds the part calling `form` with `args` to `case`, with the setup the values need.
fn add_call(case: &mut Case, form: &Form, args: Vec<Value>, method_style: bool) {
    if let Some(m) = form.module() {
        case.need(&format!("import \"{m}\" as {m};"));
    }
    for a in &args {
        if let Some(s) = a.setup {
            case.need(s);
        }
    }
    let exprs: Vec<String> = args.into_iter().map(|a| a.expr).collect();
    case.parts.push(Part::new(form.name.clone(), render(form, &exprs, method_style)));
}

/// The valid arguments of `form`, option maps with their forced entries.
fn valid_args(form: &Form) -> Vec<Value> {
    form.params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if Some(i) == form.options_param() {
                Value::of(option_map(&form.name, &[]))
            } else {
                Value::of(valid(form, p))
            }
        })
        .collect()
}

/// Bad option maps for `form`: each key with bad values for its kind, misspelled keys,
/// maps that are not option maps at all. `limit` caps the values per key (picked by `rng`).
fn bad_options(form: &Form, keys: &Keys, paths: &[String], rng: &mut Rng, limit: usize) -> Vec<Value> {
    let name = form.name.as_str();
    let mut out = Vec::new();
    let known = keys.of(name);
    for key in &known {
        let (kind, _) = key_info(key);
        let mut pool = bad_for_kind(kind, paths);
        while pool.len() > limit {
            pool.remove(rng.below(pool.len()));
        }
        for v in pool {
            let mut entries = vec![];
            if name == "sample" {
                if let Some((m, _)) = keys.methods.iter().find(|(_, own)| own.contains(key)) {
                    entries.push(("method".to_string(), values::quote(m)));
                }
            }
            entries.push((key.clone(), v.expr.clone()));
            out.push(Value { expr: option_map(name, &entries), setup: v.setup });
        }
    }
    if let Some(key) = known.first() {
        let (_, ok) = key_info(key);
        out.push(Value::of(option_map(name, &[(misspell(key, rng), ok)])));
    }
    out.push(Value::of(option_map(name, &[("zz_not_an_option".into(), "1".into())])));
    out.extend(values::maps().into_iter().filter(|m| m.expr != "#{}"));
    out
}

/// One random option map for `form`: valid keys, bad keys or misspellings.
fn random_options(form: &Form, keys: &Keys, paths: &[String], rng: &mut Rng, bad_ok: bool) -> Value {
    let name = form.name.as_str();
    let known = keys.of(name);
    if known.is_empty() || rng.chance(0.1) {
        return if bad_ok && rng.chance(0.5) {
            rng.pick(&values::maps()).clone()
        } else {
            Value::of(option_map(name, &[]))
        };
    }
    let mut entries = vec![];
    let mut setup = None;
    for _ in 0..1 + rng.below(3) {
        let key = rng.pick(&known).clone();
        let (kind, ok) = key_info(&key);
        if !bad_ok || rng.chance(0.35) {
            entries.push((key, ok));
        } else if rng.chance(0.15) {
            entries.push((misspell(&key, rng), ok));
        } else {
            let v = rng.pick(&bad_for_kind(kind, paths)).clone();
            setup = setup.or(v.setup);
            entries.push((key, v.expr));
        }
    }
    if name == "sample" && !keys.methods.is_empty() && rng.chance(0.6) {
        let (m, _) = rng.pick(&keys.methods).clone();
        entries.insert(0, ("method".into(), values::quote(&m)));
    }
    Value { expr: option_map(name, &entries), setup }
}

/// The single-fault sweep: for every form and parameter, calls with that one argument bad
/// and the others valid, `per_case` calls to a script. `limit` caps the option values per
/// key; `rng` picks which (so different seeds sweep different subsets of long pools).
pub fn sweep(forms: &[Form], keys: &Keys, paths: &[String], rng: &mut Rng, per_case: usize, limit: usize) -> Vec<Case> {
    let mut cases = Vec::new();
    for form in forms.iter().filter(|f| !slow_by_design(f)) {
        let mut calls: Vec<Vec<Value>> = Vec::new();
        let base = valid_args(form);
        calls.push(base.clone());
        for (i, p) in form.params.iter().enumerate() {
            let pool = if Some(i) == form.options_param() {
                bad_options(form, keys, paths, rng, limit)
            } else {
                bad(form, p, paths)
            };
            for v in pool {
                let mut args = base.clone();
                args[i] = v;
                calls.push(args);
            }
        }
        for chunk in calls.chunks(per_case) {
            let mut case = Case::new("sweep");
            for args in chunk {
                let method_style = rng.chance(0.2);
                add_call(&mut case, form, args.clone(), method_style);
            }
            cases.push(case);
        }
    }
    cases
}

/// A random case: 1 to 4 calls of random built-ins, each with several arguments bad.
pub fn random(forms: &[Form], keys: &Keys, paths: &[String], rng: &mut Rng) -> Case {
    let mut by_name: BTreeMap<&str, Vec<&Form>> = BTreeMap::new();
    for f in forms.iter().filter(|f| !slow_by_design(f)) {
        by_name.entry(f.name.as_str()).or_default().push(f);
    }
    let names: Vec<&str> = by_name.keys().copied().collect();
    let mut case = Case::new("random");
    for _ in 0..1 + rng.below(4) {
        let name = *rng.pick(&names);
        let form = *rng.pick(&by_name[name]);
        let bad_at = if form.params.is_empty() { None } else { Some(rng.below(form.params.len())) };
        let mut args = Vec::new();
        for (i, p) in form.params.iter().enumerate() {
            let want_bad = Some(i) == bad_at || rng.chance(0.4);
            let v = if Some(i) == form.options_param() {
                random_options(form, keys, paths, rng, want_bad)
            } else if !want_bad {
                Value::of(valid(form, p))
            } else if rng.chance(0.08) {
                values::wrong(rng)
            } else {
                rng.pick(&bad(form, p, paths)).clone()
            };
            args.push(v);
        }
        let method_style = rng.chance(0.25);
        add_call(&mut case, form, args, method_style);
    }
    case
}

/// The probes: each function that takes options, called with an unknown key so that its
/// error lists the accepted ones; and one listing every sampler's own keys.
pub fn probes(forms: &[Form]) -> Vec<(String, Case)> {
    let mut by_name: BTreeMap<&str, Vec<&Form>> = BTreeMap::new();
    for f in forms.iter().filter(|f| f.options_param().is_some() && !slow_by_design(f)) {
        by_name.entry(f.name.as_str()).or_default().push(f);
    }
    let mut out = Vec::new();
    for (name, fs) in by_name {
        let mut case = Case::new("probe");
        for form in fs {
            let mut args = valid_args(form);
            let i = form.options_param().expect("filtered");
            let forced = option_map(&form.name, &[("fz_probe_key".into(), "1".into())]);
            args[i] = Value::of(forced);
            add_call(&mut case, form, args, false);
        }
        out.push((name.to_string(), case));
    }
    let mut methods = Case::new("probe");
    methods.parts.push(Part::new(
        "samplers",
        "for s in samplers() { eprint(`#method ${s} ${sampler_info(s).options.keys()}`); }",
    ));
    out.push(("samplers".into(), methods));
    out
}
