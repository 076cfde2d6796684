//! The built-ins to fuzz, read from the catalog `help()` prints (`difflab::runtime::help`):
//! every form's signature parsed into a name, a call shape and typed parameters.

use difflab::runtime::help::catalog;

/// How a form is written in a script.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// `name(a, b)` (or `a.name(b)`).
    Call,
    /// An infix operator, `a + b`, or a prefix one, `-a`.
    Operator,
    /// A property read, `a.name`.
    Get,
    /// A property write, `a.name = b`.
    Set,
    /// Indexing, `a[b]`.
    Index,
}

/// One parameter: its name (if the signature gives one) and its type as `help` prints it.
#[derive(Clone, Debug)]
pub struct Param {
    /// The name, or "" when the signature has none.
    pub name: String,
    /// The type (`int`, `Tensor`, `Options`, ...; `any` when untyped).
    pub ty: String,
}

/// One form of a built-in.
#[derive(Clone, Debug)]
pub struct Form {
    /// The name scripts write (`karras_sigmas`, `+`, `lr`, `stats::cov`).
    pub name: String,
    /// How it is written.
    pub shape: Shape,
    /// The parameters, the receiver first for properties and indexing.
    pub params: Vec<Param>,
}

impl Form {
    /// The stdlib module this form needs imported, if any.
    pub fn module(&self) -> Option<&str> {
        self.name.split_once("::").map(|(m, _)| m)
    }

    /// The index of the option-map parameter, if it has one.
    pub fn options_param(&self) -> Option<usize> {
        self.params.iter().position(|p| p.ty == "Options" || (self.module().is_some() && p.name == "options"))
    }
}

/// Names left out of the generated calls: `sleep` waits as long as asked, by design.
const SKIP: &[&str] = &["sleep", "to_string", "to_debug"];

/// Every form of every built-in and stdlib function, in the catalog's order.
pub fn forms() -> Vec<Form> {
    let cat = catalog();
    let mut forms = Vec::new();
    for name in cat.names() {
        if SKIP.contains(&name) {
            continue;
        }
        let Some(entry) = cat.get(name) else { continue };
        for f in &entry.forms {
            if let Some(form) = parse(name, &f.signature) {
                forms.push(form);
            }
        }
    }
    forms
}

/// Parses one signature: `name(a: T, b: U) -> R`, `Type.prop -> R`, `Type.prop = T`,
/// `Type[int] -> R`, or a stdlib `mod::name(a, b)`.
pub fn parse(name: &str, signature: &str) -> Option<Form> {
    let sig = signature.split(" -> ").next()?.trim();
    let is_symbol = !name.chars().next()?.is_alphabetic();
    if name == "[]" {
        let (owner, rest) = sig.split_once('[')?;
        let index = rest.strip_suffix(']')?;
        return Some(Form { name: name.into(), shape: Shape::Index, params: vec![typed("", owner), typed("", index)] });
    }
    if !sig.contains('(') {
        let (owner, rest) = sig.split_once('.')?;
        return Some(match rest.split_once(" = ") {
            Some((_, value)) => {
                Form { name: name.into(), shape: Shape::Set, params: vec![typed("", owner), typed("value", value)] }
            }
            None => Form { name: name.into(), shape: Shape::Get, params: vec![typed("", owner)] },
        });
    }
    let open = sig.find('(')?;
    let inner = sig[open + 1..].strip_suffix(')')?;
    let untyped = name.contains("::");
    let params = split_top(inner)
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once(':') {
            Some((n, t)) => typed(n.trim(), t.trim()),
            None if untyped => typed(p.trim(), "any"),
            None => typed("", p.trim()),
        })
        .collect();
    let shape = if is_symbol { Shape::Operator } else { Shape::Call };
    Some(Form { name: name.into(), shape, params })
}

fn typed(name: &str, ty: &str) -> Param {
    let ty = if ty.is_empty() || ty == "?" { "any" } else { ty };
    Param { name: name.into(), ty: ty.into() }
}

/// Splits at commas outside brackets.
fn split_top(s: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' | '[' | '<' | '{' => depth += 1,
            ')' | ']' | '>' | '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        parts.last_mut().expect("non-empty").push(c);
    }
    parts.into_iter().map(|p| p.trim().to_string()).collect()
}
