//! The layout rules of `src/nn/`: the modules do not import each other in a circle (tests
//! included), and the CPU kernels under `src/nn/cpu/` read no parameter store or model: they
//! import only each other and the activations.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file below `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a source file: `src/nn/cpu/dense.rs` → `["nn", "cpu", "dense"]`.
fn module_of(path: &Path) -> Vec<String> {
    let rel = path.strip_prefix("src").unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The paths `crate::…`, `super::…` and `self::…` a file names, outside comments.
fn named_paths(text: &str) -> Vec<Vec<String>> {
    let code: String = text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    let mut paths = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_' || bytes[i - 1] == ':');
        let rest: String = bytes[i..bytes.len().min(i + 7)].iter().collect();
        if starts_word && (rest.starts_with("crate::") || rest.starts_with("super::") || rest.starts_with("self::")) {
            let mut j = i;
            while j < bytes.len() && (bytes[j].is_alphanumeric() || bytes[j] == '_' || bytes[j] == ':') {
                j += 1;
            }
            let path: String = bytes[i..j].iter().collect();
            let base: Vec<String> = path.split("::").filter(|p| !p.is_empty()).map(str::to_string).collect();
            if path.ends_with("::") && bytes.get(j) == Some(&'{') {
                // `use a::{b, c::d, self}`: one path per item of the group
                let close = (j..bytes.len()).find(|&k| bytes[k] == '}').unwrap_or(bytes.len());
                let group: String = bytes[j + 1..close].iter().collect();
                for item in group.split(',') {
                    let item: String =
                        item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
                    let mut full = base.clone();
                    full.extend(item.split("::").filter(|p| !p.is_empty() && *p != "self").map(str::to_string));
                    paths.push(full);
                }
                i = close;
            } else {
                paths.push(base);
                i = j;
            }
        } else {
            i += 1;
        }
    }
    paths
}

/// Each module of `src/nn/` and the modules of `src/nn/` it names (not its own ancestors).
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    sources(Path::new("src/nn"), &mut files);
    let modules: BTreeMap<String, PathBuf> = files.iter().map(|f| (module_of(f).join("::"), f.clone())).collect();
    let mut edges = BTreeMap::new();
    for (name, file) in &modules {
        let here: Vec<String> = name.split("::").map(str::to_string).collect();
        let mut targets = BTreeSet::new();
        for path in named_paths(&std::fs::read_to_string(file).unwrap()) {
            let mut at = here.clone();
            let mut rest = path.as_slice();
            if rest.first().is_some_and(|p| p == "crate") {
                at.clear();
                rest = &rest[1..];
            }
            while let Some(first) = rest.first() {
                match first.as_str() {
                    "super" => {
                        at.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                rest = &rest[1..];
            }
            at.extend(rest.iter().cloned());
            // the longest prefix that is a module of nn/
            if let Some(target) = (1..=at.len()).rev().map(|k| at[..k].join("::")).find(|m| modules.contains_key(m)) {
                if target != *name && !name.starts_with(&format!("{target}::")) {
                    targets.insert(target);
                }
            }
        }
        edges.insert(name.clone(), targets);
    }
    edges
}

/// A circle of imports in `edges`, as `a -> b -> a`, if there is one (a depth-first search
/// for an edge back to a module on the current path).
fn circle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<String> {
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<String> {
        path.push(m.to_string());
        for next in edges.get(m).into_iter().flatten() {
            if let Some(from) = path.iter().position(|s| s == next) {
                return Some(format!("{} -> {next}", path[from..].join(" -> ")));
            }
            if !done.contains(next) {
                if let Some(found) = visit(next, edges, done, path) {
                    return Some(found);
                }
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|m| if done.contains(m) { None } else { visit(m, edges, &mut done, &mut Vec::new()) })
}

#[test]
fn nn_modules_import_each_other_without_a_circle() {
    let edges = imports();
    assert!(edges.len() > 30 && edges.contains_key("nn::cpu::dense"), "{:?}", edges.keys());
    assert_eq!(circle(&edges), None);
}

#[test]
fn cpu_kernels_import_only_kernels_and_activations() {
    for (module, targets) in imports() {
        if module.starts_with("nn::cpu") {
            let outside: Vec<&String> =
                targets.iter().filter(|t| !t.starts_with("nn::cpu") && *t != "nn::act").collect();
            assert!(outside.is_empty(), "{module} imports {outside:?}");
        }
    }
}

#[test]
fn the_checker_sees_imports_and_circles() {
    let paths = named_paths(
        "use super::{params::child, act};\n// crate::nn::x in a comment\nlet a = crate::nn::cpu::dense::runs(x);",
    );
    assert_eq!(
        paths,
        [vec!["super", "params", "child"], vec!["super", "act"], vec!["crate", "nn", "cpu", "dense", "runs"]]
    );
    let edges = imports();
    assert!(edges["nn::layer::linear"].contains("nn::cpu::dense_stack"), "{:?}", edges["nn::layer::linear"]);
    assert!(edges["nn::unet"].contains("nn::layer::conv"), "{:?}", edges["nn::unet"]);
    let set = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>();
    let looped = BTreeMap::from([("a".to_string(), set(&["b"])), ("b".into(), set(&["c"])), ("c".into(), set(&["a"]))]);
    assert_eq!(circle(&looped).as_deref(), Some("a -> b -> c -> a"));
    let chain =
        BTreeMap::from([("a".to_string(), set(&["b", "c"])), ("b".into(), set(&["c"])), ("c".into(), set(&[]))]);
    assert_eq!(circle(&chain), None);
}
