//! The catalog of built-ins, read from the registered modules' metadata (the
//! `///` docs and parameter names): `help()`, `help("name")`, REPL completion
//! and Jupyter inspect all read it.

use super::api::{register_types, GROUPS};
use super::stdlib;
use rhai::Engine;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// One form of a built-in: a signature, its doc and its group.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    /// Readable signature: `randn(shape: array, options: Options) -> Tensor`, or `Optimizer.lr -> float`.
    pub signature: String,
    /// The doc text (first sentence: the summary).
    pub doc: String,
    /// The group `help()` lists it under.
    pub group: String,
    /// The type of the value it applies to (the first parameter, or a property's owner).
    pub receiver: Option<String>,
}

/// One built-in name, with every form it has.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The name scripts write (`randn`, `lr` for the property `opt.lr`, `[]` for indexing).
    pub name: String,
    /// The forms, in registration order.
    pub forms: Vec<Form>,
}

impl Entry {
    /// The summary of the first documented form.
    pub fn summary(&self) -> String {
        self.forms.iter().find(|f| !f.doc.is_empty()).map(|f| summary_of(&f.doc)).unwrap_or_default()
    }

    /// Every signature.
    pub fn signatures(&self) -> Vec<&str> {
        self.forms.iter().map(|f| f.signature.as_str()).collect()
    }
}

/// Words that end in a period without ending a sentence (compared without the period).
const ABBREVIATIONS: &[&str] =
    &["al", "e.g", "i.e", "cf", "vs", "Alg", "Algs", "Eq", "Eqs", "Fig", "Figs", "Sec", "Thm", "resp", "approx"];

/// Whether the period at byte `at` of `text` ends a sentence: it is followed by a space or
/// the end, and is not inside parentheses, brackets or `code`, part of `..`, or the end of
/// an abbreviation (`et al.`, `Alg.`, `e.g.`) or an initial (`J.`).
fn ends_sentence(text: &str, at: usize, depth: usize, in_code: bool) -> bool {
    let after = text[at + 1..].chars().next();
    if depth > 0 || in_code || after.is_some_and(|c| !c.is_whitespace()) || text[..at].ends_with('.') {
        return false;
    }
    let word = text[..at].rsplit(|c: char| c.is_whitespace() || c == '(').next().unwrap_or("");
    let initial = word.chars().count() == 1 && word.chars().all(char::is_uppercase);
    !initial && !ABBREVIATIONS.contains(&word)
}

/// The first sentence of a doc's first paragraph.
fn summary_of(doc: &str) -> String {
    let paragraph: String = doc.split("\n\n").next().unwrap_or("").lines().map(str::trim).collect::<Vec<_>>().join(" ");
    let (mut depth, mut in_code) = (0usize, false);
    for (i, c) in paragraph.char_indices() {
        match c {
            '`' => in_code = !in_code,
            '(' | '[' if !in_code => depth += 1,
            ')' | ']' if !in_code => depth = depth.saturating_sub(1),
            '.' if ends_sentence(&paragraph, i, depth, in_code) => return paragraph[..=i].to_string(),
            _ => {}
        }
    }
    paragraph
}

/// Every built-in and shipped stdlib function, by name and by group.
pub struct Catalog {
    entries: BTreeMap<String, Entry>,
    groups: Vec<(String, Vec<String>)>,
}

/// Names that every value has and `help()` need not list.
const HIDDEN: &[&str] = &["to_string", "to_debug"];

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
        l if l.starts_with("Range<") => "range",
        l if l.starts_with("RangeInclusive<") => "inclusive range",
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

/// The script name, readable signature and receiver type of a registered function
/// (properties `get$x`/`set$x` become `Type.x`, the indexer `Type[int]`).
fn describe_fn(name: &str, params: &[ParamMeta], ret: &str) -> (String, String, Option<String>) {
    let shown: Vec<(Option<String>, String)> = params
        .iter()
        .map(|p| (p.name.clone().filter(|n| n != "_"), p.typ.as_deref().map(pretty_type).unwrap_or_else(|| "?".into())))
        .collect();
    let receiver = shown.first().map(|(_, t)| t.clone());
    let ret = pretty_type(ret);
    let arrow = if ret.is_empty() { String::new() } else { format!(" -> {ret}") };
    let owner = receiver.clone().unwrap_or_default();
    if let Some(prop) = name.strip_prefix("get$") {
        return (prop.to_string(), format!("{owner}.{prop}{arrow}"), receiver);
    }
    if let Some(prop) = name.strip_prefix("set$") {
        let value = shown.get(1).map(|(_, t)| t.clone()).unwrap_or_default();
        return (prop.to_string(), format!("{owner}.{prop} = {value}"), receiver);
    }
    if name == "index$get$" {
        let index = match shown.get(1).map(|(_, t)| t.as_str()) {
            Some("range") => "a..b".to_string(),
            Some("inclusive range") => "a..=b".to_string(),
            other => other.unwrap_or_default().to_string(),
        };
        return ("[]".into(), format!("{owner}[{index}]{arrow}"), receiver);
    }
    let list: Vec<String> = shown.iter().map(|(n, t)| n.as_ref().map_or(t.clone(), |n| format!("{n}: {t}"))).collect();
    (name.to_string(), format!("{name}({}){arrow}", list.join(", ")), receiver)
}

/// A sampler option as the help pages list it: `key = default`.
fn key_and_default(o: &crate::diffusion::samplers::OptionSpec) -> String {
    format!("{} = {}", o.key, o.default_text())
}

/// The `help("method")` page of a sampler: how to call it, what it is, its own options with
/// their defaults; `None` when `name` is not a sampler.
fn sampler_page(name: &str) -> Option<String> {
    let s = crate::diffusion::samplers::SAMPLERS.iter().find(|s| s.name == name)?;
    let mut page = format!("sample(den, #{{ method: \"{}\", ... }})\n\n{}", s.name, s.summary);
    match &s.cost {
        crate::diffusion::samplers::nfe::Cost::Fixed { rule, .. } => page.push_str(&format!("\n\nNFE = {rule}.")),
        crate::diffusion::samplers::nfe::Cost::Adaptive(why) => page.push_str(&format!("\n\nIt {why}.")),
    }
    if s.options.is_empty() {
        page.push_str("\n\nNo options of its own; help(\"sample\") lists the common ones.");
    } else {
        let width = s.options.iter().map(|o| key_and_default(o).len()).max().unwrap_or(0);
        page.push_str("\n\nIts own options = default (help(\"sample\") lists the common ones):");
        for o in s.options {
            page.push_str(&format!("\n  {:<width$}  {}", key_and_default(o), o.doc));
        }
    }
    Some(page)
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
            // Rhai sorts by its internal name and arity only. Sorted here by the name scripts write,
            // functions before properties and indexers, then arity, a documented form before the
            // undocumented overloads that share its doc, and types: the same order on every run.
            let mut functions = meta.functions;
            functions.sort_by_cached_key(|f| {
                let name = describe_fn(&f.name, &f.params, &f.return_type).0;
                let types: Vec<String> = f.params.iter().map(|p| p.typ.clone().unwrap_or_default()).collect();
                (name, f.name.contains('$'), f.params.len(), f.doc_comments.is_empty(), types)
            });
            for f in functions {
                let (name, signature, receiver) = describe_fn(&f.name, &f.params, &f.return_type);
                let doc = doc_text(&f.doc_comments);
                catalog.add(&name, Form { signature, doc, group: group.name.to_string(), receiver });
            }
        }
        catalog.list_samplers();
        for (module, text) in stdlib::MODULES {
            let Ok(ast) = super::engine::build_engine().compile(text) else { continue };
            let group = format!("stdlib \"{module}\" (import \"{module}\" as {module};)");
            let mut functions: Vec<_> = ast
                .iter_functions()
                .filter(|f| f.access != rhai::FnAccess::Private && !f.name.starts_with("anon$"))
                .collect();
            // in the module's source order (the AST keeps them hashed)
            functions.sort_by_key(|f| source_position(text, f.name, f.params.len()));
            for f in functions {
                let name = format!("{module}::{}", f.name);
                let signature = format!("{name}({})", f.params.join(", "));
                let comments: Vec<String> = f.comments.iter().map(|c| c.to_string()).collect();
                catalog.add(&name, Form { signature, doc: doc_text(&comments), group: group.clone(), receiver: None });
            }
        }
        catalog
    }

    /// Appends the sampler registry to `sample`'s doc, so `help("sample")` lists every method
    /// with its own options, their defaults and what they do.
    fn list_samplers(&mut self) {
        let Some(form) = self.entries.get_mut("sample").and_then(|e| e.forms.first_mut()) else { return };
        let samplers = crate::diffusion::samplers::SAMPLERS;
        let width = samplers.iter().map(|s| s.name.len()).max().unwrap_or(0);
        let key_width = samplers.iter().flat_map(|s| s.options).map(|o| key_and_default(o).len()).max().unwrap_or(0);
        let mut lines = vec![];
        for s in samplers {
            lines.push(format!("  {:<width$}  {}", s.name, s.summary));
            for o in s.options {
                lines.push(format!("  {:<width$}    {:<key_width$}  {}", "", key_and_default(o), o.doc));
            }
        }
        form.doc.push_str(&format!("\n\nMethods, with their own options = default:\n{}", lines.join("\n")));
    }

    fn add(&mut self, name: &str, form: Form) {
        let group = form.group.clone();
        let entry =
            self.entries.entry(name.to_string()).or_insert_with(|| Entry { name: name.to_string(), forms: vec![] });
        if entry.forms.iter().any(|f| f.signature == form.signature) {
            return;
        }
        entry.forms.push(form);
        if HIDDEN.contains(&name) {
            return;
        }
        match self.groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, names)) if names.iter().any(|n| n == name) => {}
            Some((_, names)) => names.push(name.to_string()),
            None => self.groups.push((group, vec![name.to_string()])),
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

    /// Every name that can follow a `.` on a value of type `type_name`
    /// (methods whose first parameter has that type, and properties), sorted.
    pub fn methods_of(&self, type_name: &str) -> Vec<&str> {
        self.entries
            .values()
            .filter(|e| e.forms.iter().any(|f| f.receiver.as_deref() == Some(type_name)))
            .filter(|e| e.name.chars().next().is_some_and(|c| c.is_alphabetic()) && !HIDDEN.contains(&e.name.as_str()))
            .map(|e| e.name.as_str())
            .collect()
    }

    /// The `help()` page: every group with its names and one-line docs.
    pub fn index(&self) -> String {
        let mut out = String::from("difflab built-ins (help(\"name\") for one of them):\n");
        for (group, names) in &self.groups {
            out.push_str(&format!("\n{group}\n"));
            let shown: Vec<(String, String)> = names
                .iter()
                .flat_map(|n| {
                    let e = &self.entries[n];
                    if n == "[]" {
                        // every indexing form on its own line: `Tensor[int]`, `Tensor[a..b]`
                        let forms = e.forms.iter().filter(|f| &f.group == group && !f.doc.is_empty());
                        return forms.map(|f| (indexer_label(&f.signature).to_string(), summary_of(&f.doc))).collect();
                    }
                    let form = e.forms.iter().find(|f| &f.group == group && !f.doc.is_empty()).or(e.forms.first());
                    let label = match form.map(|f| f.signature.as_str()) {
                        Some(sig) if sig.contains('.') && !sig.contains('(') => format!(".{n}"),
                        _ => n.clone(),
                    };
                    vec![(label, form.map(|f| summary_of(&f.doc)).unwrap_or_default())]
                })
                .collect();
            let width = shown.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0);
            for (label, summary) in shown {
                out.push_str(&format!("  {label:<width$}  {summary}\n"));
            }
        }
        out.trim_end().to_string()
    }

    /// The entry and forms a name as `help()` lists it stands for: `.lr` is the property
    /// `lr`, `Tensor[a..b]` the indexing form with that signature, `[]` every indexing form.
    fn lookup(&self, name: &str) -> Option<(&Entry, Vec<&Form>)> {
        if name.ends_with(']') && name != "[]" {
            let e = self.get("[]")?;
            let forms: Vec<&Form> = e.forms.iter().filter(|f| indexer_label(&f.signature) == name).collect();
            return (!forms.is_empty()).then_some((e, forms));
        }
        let e = self.get(name.trim_start_matches('.'))?;
        Some((e, e.forms.iter().collect()))
    }

    /// The `help("name")` page: every form with its doc, or suggestions. `name` is a name as
    /// scripts write it or as `help()` lists it (`.lr`, `Tensor[int]`).
    pub fn describe(&self, name: &str) -> String {
        let Some((_, forms)) = self.lookup(name) else {
            if let Some(page) = sampler_page(name) {
                return page;
            }
            let close = self.similar(name);
            return if close.is_empty() {
                format!("no built-in named `{name}`; help() lists them all")
            } else {
                format!("no built-in named `{name}`; did you mean {}?", close.join(", "))
            };
        };
        // Undocumented overloads belong to the documented form registered before them.
        let mut blocks: Vec<(Vec<&str>, &str)> = Vec::new();
        for f in forms {
            match blocks.last_mut() {
                Some((sigs, doc)) if f.doc.is_empty() || f.doc == *doc => sigs.push(&f.signature),
                _ => blocks.push((vec![&f.signature], &f.doc)),
            }
        }
        blocks
            .into_iter()
            .map(|(sigs, doc)| if doc.is_empty() { sigs.join("\n") } else { format!("{}\n\n{doc}", sigs.join("\n")) })
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    /// Names close to `name` (a common prefix or a small edit distance).
    pub fn similar(&self, name: &str) -> Vec<&str> {
        crate::suggest::similar(name, self.names())
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
            Some(e) => format!(
                "{}: no form takes ({}); expected one of:\n  {}",
                super::error::builtin_label(name),
                args.join(", "),
                e.signatures().join("\n  ")
            ),
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

/// Where the definition of the script function `name` taking `arity` parameters starts in `text`.
fn source_position(text: &str, name: &str, arity: usize) -> Option<usize> {
    let head = format!("fn {name}(");
    text.match_indices(&head).map(|(i, _)| i).find(|&i| {
        let params = text[i + head.len()..].split(')').next().unwrap_or("");
        params.split(',').filter(|p| !p.trim().is_empty()).count() == arity
    })
}

/// How `help()` lists an indexing form: its signature without the result, `Tensor[int]`.
fn indexer_label(signature: &str) -> &str {
    signature.split(" ->").next().unwrap_or(signature)
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
        assert_eq!(randn.forms[0].group, "create tensors");
        assert!(randn.signatures().contains(&"randn(shape: array) -> Tensor"), "{:?}", randn.signatures());
        assert!(randn.summary().starts_with("Standard-normal draws"));
        for (group, names) in &c.groups {
            for name in names {
                let documented = c.entries[name].forms.iter().any(|f| &f.group == group && !f.doc.is_empty());
                assert!(documented, "{name} in {group} has no doc");
            }
        }
        assert!(c.get("fit::minimize").is_some());
        let lr = c.get("lr").expect("the optimizer's lr property");
        assert!(
            lr.signatures().contains(&"Optimizer.lr -> float") && lr.signatures().contains(&"Optimizer.lr = Number"),
            "{:?}",
            lr.signatures()
        );
        assert!(c.index().contains("\n  .lr "), "properties are listed with a dot");
        let save = c.describe("save");
        assert!(save.contains("save(net: Network, path: string)\n\nSaves the weights with the architecture"), "{save}");
        assert!(save.contains("Saves the optimizer's state"), "{save}");
    }

    #[test]
    fn summaries_end_at_the_first_sentence_not_at_an_abbreviation() {
        let cases = [
            ("The EDM schedule (Karras et al. 2022): α = 1. More.", "The EDM schedule (Karras et al. 2022): α = 1."),
            ("A loss (Salimans & Ho 2022, Alg. 2): x. More.", "A loss (Salimans & Ho 2022, Alg. 2): x."),
            ("Shortcut loss, Alg. 1 of the paper. More.", "Shortcut loss, Alg. 1 of the paper."),
            ("See Eq. 5 and Fig. 2 vs. Sec. 3. More.", "See Eq. 5 and Fig. 2 vs. Sec. 3."),
            ("Reads data, e.g. by `item`, i.e. once. More.", "Reads data, e.g. by `item`, i.e. once."),
            ("Radii 1/count .. 1, done. More.", "Radii 1/count .. 1, done."),
            ("A map (one value. Per key) here. More.", "A map (one value. Per key) here."),
            ("Calls `x.mean(). y` here. More.", "Calls `x.mean(). y` here."),
            ("After J. Ho, a loss. More.", "After J. Ho, a loss."),
            ("One sentence\nover two lines. More.\n\nDetails.", "One sentence over two lines."),
            ("No period at all", "No period at all"),
        ];
        for (doc, summary) in cases {
            assert_eq!(summary_of(doc), summary);
        }
        let index = catalog().index();
        assert!(index.contains("The EDM schedule (Karras et al. 2022): α = 1,"), "{index}");
        assert!(index.contains("Progressive-distillation loss (Salimans & Ho 2022, Alg. 2): "), "{index}");
    }

    #[test]
    fn every_name_help_lists_has_a_page() {
        let c = catalog();
        let index = c.index();
        let labels: Vec<&str> = index
            .lines()
            .filter_map(|l| l.strip_prefix("  "))
            .map(|l| l.split("  ").next().unwrap_or(l).trim())
            .collect();
        for expected in ["randn", ".lr", "Tensor[int]", "Tensor[a..b]", "Tensor[a..=b]", "@", "**", "-", "train::train"]
        {
            assert!(labels.contains(&expected), "help() does not list {expected}");
        }
        assert!(labels.len() > 200, "{} names", labels.len());
        for label in labels {
            let page = c.describe(label);
            assert!(!page.starts_with("no built-in named"), "help(\"{label}\") finds nothing");
        }
        assert_eq!(
            c.describe("Tensor[a..b]").lines().next(),
            Some("Tensor[a..b] -> Tensor"),
            "an indexing form's page shows that form"
        );
        assert!(
            c.describe("[]").contains("Tensor[int] -> Tensor") && c.describe("[]").contains("Tensor[a..=b] -> Tensor")
        );
        assert!(c.describe("Tensor[float]").starts_with("no built-in named"));
        assert!(c.describe(".shape").contains("Tensor.shape -> array"));
    }

    #[test]
    fn help_for_sample_lists_every_method() {
        let text = catalog().describe("sample");
        for s in crate::diffusion::samplers::SAMPLERS {
            assert!(text.contains(&format!("  {}", s.name)), "{} missing from:\n{text}", s.name);
        }
        assert!(text.contains("s_churn = 0"), "{text}");
        assert!(text.contains("s_tmax = inf"), "{text}");
    }

    #[test]
    fn help_for_a_sampler_shows_its_own_options() {
        let page = catalog().describe("edm_stochastic");
        assert!(page.starts_with("sample(den, #{ method: \"edm_stochastic\", ... })"), "{page}");
        for line in ["Table 5, ImageNet-64 EDM row", "s_churn = 40", "s_tmin = 0.05", "s_tmax = 50", "s_noise = 1.003"]
        {
            assert!(page.contains(line), "{line} missing from:\n{page}");
        }
        assert!(catalog().describe("heun").contains("No options of its own"));
    }

    #[test]
    fn unknown_names_get_suggestions() {
        assert_eq!(catalog().describe("randm"), "no built-in named `randm`; did you mean rand, randn?");
        let msg = catalog().explain_missing("matmul (Tensor, i64)");
        assert!(
            msg.starts_with(
                "matmul: no form takes (Tensor, int); expected one of:\n  matmul(a: Tensor, b: Tensor) -> Tensor"
            ),
            "{msg}"
        );
    }

    #[test]
    fn methods_of_a_tensor_include_reductions() {
        let m = catalog().methods_of("Tensor");
        assert!(m.contains(&"mean") && m.contains(&"matmul") && !m.contains(&"randn"));
    }
}
