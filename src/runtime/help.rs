//! The catalog of built-ins, read from the registered modules' metadata (the
//! `///` docs and parameter names): `help()`, `help("name")`, REPL completion
//! and Jupyter inspect all read it.

use super::api::{register_types, GROUPS};
use super::stdlib;
use rhai::Engine;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// One built-in name, with every signature it has.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The name scripts call.
    pub name: String,
    /// The group `help()` lists it under.
    pub group: String,
    /// Readable signatures: `randn(shape: array, options: map) -> Tensor`.
    pub signatures: Vec<String>,
    /// The doc text (first line: the summary).
    pub doc: String,
}

impl Entry {
    /// The first line of the doc.
    pub fn summary(&self) -> &str {
        self.doc.lines().next().unwrap_or("")
    }
}

/// Every built-in and shipped stdlib function, by name and by group.
pub struct Catalog {
    entries: BTreeMap<String, Entry>,
    groups: Vec<(String, Vec<String>)>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    functions: Vec<FnMeta>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FnMeta {
    name: String,
    #[serde(default)]
    params: Vec<ParamMeta>,
    #[serde(default)]
    return_type: String,
    #[serde(default)]
    doc_comments: Vec<String>,
}

#[derive(Deserialize)]
struct ParamMeta {
    name: Option<String>,
    #[serde(rename = "type")]
    typ: Option<String>,
}

/// A Rust or Rhai type name as a script writer reads it.
pub fn pretty_type(typ: &str) -> String {
    let t = typ.trim().trim_start_matches("&mut ").trim_start_matches('&').trim();
    if let Some(inner) = t.strip_prefix("Result<").and_then(|r| r.strip_suffix(">")) {
        let ok = inner.rsplit_once(",Box<").or_else(|| inner.rsplit_once(", Box<")).map_or(inner, |(ok, _)| ok);
        return pretty_type(ok);
    }
    if let Some(inner) = t.strip_prefix("RhaiResult<").and_then(|r| r.strip_suffix('>')) {
        return pretty_type(inner);
    }
    let last = t.rsplit("::").next().unwrap_or(t);
    match last {
        "i64" | "INT" => "int",
        "f64" | "FLOAT" => "float",
        "Array" | "Vec<Dynamic>" => "array",
        "Map" => "map",
        "ImmutableString" | "String" | "str" => "string",
        "Dynamic" => "any",
        "()" => "",
        other => other,
    }
    .to_string()
}

fn doc_text(comments: &[String]) -> String {
    comments
        .iter()
        .flat_map(|c| c.lines())
        .map(|l| l.trim().trim_start_matches("///").trim_start_matches("/**").trim_end_matches("*/"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end())
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

fn signature(name: &str, params: &[ParamMeta], ret: &str) -> String {
    let params: Vec<String> = params
        .iter()
        .map(|p| match (&p.name, &p.typ) {
            (Some(n), Some(t)) if n != "_" => format!("{n}: {}", pretty_type(t)),
            (_, Some(t)) => pretty_type(t),
            (Some(n), None) => n.clone(),
            (None, None) => "?".into(),
        })
        .collect();
    let ret = pretty_type(ret);
    let arrow = if ret.is_empty() { String::new() } else { format!(" -> {ret}") };
    format!("{name}({}){arrow}", params.join(", "))
}

impl Catalog {
    fn build() -> Self {
        let mut catalog = Catalog { entries: BTreeMap::new(), groups: Vec::new() };
        for group in GROUPS {
            let mut engine = Engine::new_raw();
            register_types(&mut engine);
            engine.register_global_module((group.module)().into());
            let json = engine.gen_fn_metadata_to_json(false).unwrap_or_default();
            let meta: Metadata = serde_json::from_str(&json).unwrap_or(Metadata { functions: vec![] });
            for f in meta.functions {
                let sig = signature(&f.name, &f.params, &f.return_type);
                catalog.add(&f.name, group.name, sig, doc_text(&f.doc_comments));
            }
        }
        for (module, text) in stdlib::MODULES {
            let Ok(ast) = super::engine::build_engine().compile(text) else { continue };
            let group = format!("stdlib \"{module}\" (import \"{module}\" as {module};)");
            for f in ast.iter_functions().filter(|f| f.access != rhai::FnAccess::Private) {
                let name = format!("{module}::{}", f.name);
                let sig = format!("{name}({})", f.params.join(", "));
                let comments: Vec<String> = f.comments.iter().map(|c| c.to_string()).collect();
                catalog.add(&name, &group, sig, doc_text(&comments));
            }
        }
        catalog
    }

    fn add(&mut self, name: &str, group: &str, signature: String, doc: String) {
        let entry = self.entries.entry(name.to_string()).or_insert_with(|| Entry {
            name: name.to_string(),
            group: group.to_string(),
            signatures: vec![],
            doc: String::new(),
        });
        if !entry.signatures.contains(&signature) {
            entry.signatures.push(signature);
        }
        if entry.doc.is_empty() {
            entry.doc = doc;
        }
        match self.groups.iter_mut().find(|(g, _)| g == group) {
            Some((_, names)) if names.iter().any(|n| n == name) => {}
            Some((_, names)) => names.push(name.to_string()),
            None => self.groups.push((group.to_string(), vec![name.to_string()])),
        }
    }

    /// The entry for `name`, if it is a built-in or a stdlib function.
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }

    /// Every name, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Every name that can follow a `.` (a function whose first parameter is
    /// of type `type_name`), sorted.
    pub fn methods_of(&self, type_name: &str) -> Vec<&str> {
        self.entries
            .values()
            .filter(|e| {
                e.signatures.iter().any(|s| {
                    s.split_once('(')
                        .and_then(|(_, rest)| rest.split([',', ')']).next())
                        .and_then(|first| first.rsplit(": ").next())
                        == Some(type_name)
                })
            })
            .filter(|e| e.name.chars().next().is_some_and(|c| c.is_alphabetic()))
            .map(|e| e.name.as_str())
            .collect()
    }

    /// The `help()` page: every group with its names and one-line docs.
    pub fn index(&self) -> String {
        let mut out = String::from("difflab built-ins (help(\"name\") for one of them):\n");
        for (group, names) in &self.groups {
            out.push_str(&format!("\n{group}\n"));
            let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
            for name in names {
                let summary = self.entries[name].summary();
                out.push_str(&format!("  {name:<width$}  {summary}\n"));
            }
        }
        out.trim_end().to_string()
    }

    /// The `help("name")` page: signatures and doc, or suggestions.
    pub fn describe(&self, name: &str) -> String {
        match self.get(name) {
            Some(e) => {
                let mut out = e.signatures.join("\n");
                if !e.doc.is_empty() {
                    out.push_str("\n\n");
                    out.push_str(&e.doc);
                }
                out.push_str(&format!("\n\n(group: {})", e.group));
                out
            }
            None => {
                let close = self.similar(name);
                if close.is_empty() {
                    format!("no built-in named `{name}`; help() lists them all")
                } else {
                    format!("no built-in named `{name}`; did you mean {}?", close.join(", "))
                }
            }
        }
    }

    /// Names close to `name` (a common prefix or a small edit distance).
    pub fn similar(&self, name: &str) -> Vec<&str> {
        let mut scored: Vec<(usize, &str)> = self
            .names()
            .filter_map(|n| {
                let d = edit_distance(name, n);
                let close = d <= 1.max(name.len() / 3) || (name.len() >= 3 && n.starts_with(name));
                close.then_some((d, n))
            })
            .collect();
        scored.sort();
        scored.into_iter().take(5).map(|(_, n)| n).collect()
    }

    /// A message for Rhai's "function not found: name (types)": the forms that exist.
    pub fn explain_missing(&self, call: &str) -> String {
        let (name, args) = call.split_once(" (").map_or((call, ""), |(n, a)| (n, a.trim_end_matches(')')));
        let args: Vec<String> = args
            .split(", ")
            .filter(|a| !a.is_empty())
            .map(|a| if a.contains("ImmutableString") { "string".to_string() } else { pretty_type(a) })
            .collect();
        let shown = format!("{name}({})", args.join(", "));
        match self.get(name) {
            Some(e) => format!("{}: no form takes ({}); expected one of:\n  {}", super::error::builtin_label(name), args.join(", "), e.signatures.join("\n  ")),
            None => {
                let close = self.similar(name);
                if close.is_empty() {
                    format!("unknown function {shown}")
                } else {
                    format!("unknown function {shown}; did you mean {}?", close.join(", "))
                }
            }
        }
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for j in 0..b.len() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != b[j])).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The catalog, built once from the registered modules.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(Catalog::build)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_read_like_script_types() {
        assert_eq!(pretty_type("Result<Tensor,Box<EvalAltResult>>"), "Tensor");
        assert_eq!(pretty_type("&mut Tensor"), "Tensor");
        assert_eq!(pretty_type("rhai::Array"), "array");
        assert_eq!(pretty_type("INT"), "int");
    }

    #[test]
    fn every_group_has_documented_entries() {
        let c = catalog();
        let randn = c.get("randn").expect("randn is registered");
        assert_eq!(randn.group, "create tensors");
        assert!(randn.signatures.contains(&"randn(shape: array) -> Tensor".to_string()), "{:?}", randn.signatures);
        assert!(randn.summary().starts_with("Standard-normal draws"));
        for (group, names) in &c.groups {
            for name in names {
                assert!(!c.entries[name].doc.is_empty(), "{name} in {group} has no doc");
            }
        }
        assert!(c.get("fit::minimize").is_some());
    }

    #[test]
    fn unknown_names_get_suggestions() {
        assert_eq!(catalog().describe("randm"), "no built-in named `randm`; did you mean rand, randn?");
        let msg = catalog().explain_missing("matmul (Tensor, i64)");
        assert!(msg.starts_with("matmul: no form takes (Tensor, int); expected one of:\n  matmul(a: Tensor, b: Tensor) -> Tensor"), "{msg}");
    }

    #[test]
    fn methods_of_a_tensor_include_reductions() {
        let m = catalog().methods_of("Tensor");
        assert!(m.contains(&"mean") && m.contains(&"matmul") && !m.contains(&"randn"));
    }
}
