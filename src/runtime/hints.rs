//! One-line hints for the errors that habits from Python (and Rust) give in Rhai: a `{`
//! where a map needs `#{`, an f-string, a missing `;` that Rhai reports on the next line, a
//! tensor where a condition needs a bool, a variable read inside `fn`. The hint is shown below
//! Rhai's own message, which is kept.

use rhai::ParseErrorType;

/// A hint for a parse error at `line`:`column` (1-based) of `text`, and for a missing `;`
/// the place to point at instead: the end of the statement before.
pub fn for_parse(
    kind: &ParseErrorType,
    text: &str,
    line: usize,
    column: usize,
) -> (Option<String>, Option<(usize, usize)>) {
    let lines: Vec<&str> = text.lines().collect();
    let Some(here) = lines.get(line.wrapping_sub(1)) else { return (None, None) };
    let chars: Vec<char> = here.chars().collect();
    let at = column.saturating_sub(1);
    if let Some(template) = f_string(&chars, at) {
        return (Some(format!("Rhai has no f\"...\" strings; a template is written in backticks: `{template}`")), None);
    }
    if let Some(key) = map_key(&lines, line - 1, at) {
        return (Some(format!("object maps are written `#{{ {key}: ... }}` in Rhai; a bare `{{` opens a block")), None);
    }
    if matches!(kind, ParseErrorType::MissingToken(token, _) if token == ";") {
        if let Some((previous, end)) = statement_before(&lines, line - 1, at) {
            return (Some(format!("missing `;` at the end of line {previous}?")), Some((previous, end)));
        }
    }
    (None, None)
}

/// A hint for `Data type incorrect: ACTUAL (expecting EXPECTED)`, with the type names already
/// shortened.
pub fn for_mismatch(actual: &str, expected: &str) -> Option<String> {
    (actual == "Tensor" && expected == "bool").then(|| {
        "a tensor is not a bool, even with one element: take its number with `.item()`, as in `if x.mean().item() > 0.0 { ... }`"
            .to_string()
    })
}

/// The hint for the variable `name` not found inside a script function.
pub fn for_variable_in_function(name: &str) -> String {
    format!(
        "a Rhai function sees only its arguments: pass `{name}` in, declare it `const {name} = ...` and read \
         `global::{name}`, or write a closure (`let f = |x| ...` captures `{name}`)"
    )
}

/// `difflab::tensor::Tensor` → `Tensor`, `alloc::vec::Vec<rhai::Dynamic>` → `Vec<Dynamic>`:
/// a type as a user knows it (a shared handle shows as what it holds).
pub fn short_type(name: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    for c in name.chars().chain(std::iter::once(' ')) {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
            continue;
        }
        out.push_str(word.rsplit("::").next().unwrap_or_default());
        word.clear();
        out.push(c);
    }
    out.pop();
    match out.strip_prefix("Shared<").and_then(|s| s.strip_suffix('>')) {
        Some(inner) => inner.to_string(),
        None => out,
    }
}

/// The f-string starting at `at` (its `"`, right after a lone `f`) as a backtick template.
fn f_string(chars: &[char], at: usize) -> Option<String> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let lone_f = at >= 1 && chars[at - 1] == 'f' && (at < 2 || !is_ident(chars[at - 2]));
    if !lone_f || chars.get(at) != Some(&'"') {
        return None;
    }
    let mut template = String::new();
    let mut rest = chars[at + 1..].iter().peekable();
    while let Some(&c) = rest.next() {
        match c {
            '"' => return Some(template),
            '\\' => {
                template.push(c);
                template.extend(rest.next());
            }
            '{' if rest.peek() == Some(&&'{') => template.push(*rest.next()?),
            '}' if rest.peek() == Some(&&'}') => template.push(*rest.next()?),
            '{' => template.push_str("${"),
            _ => template.push(c),
        }
    }
    None
}

/// The key of a map written with a bare `{`: the error points at the `:` after `key` and the
/// innermost open brace before it has no `#`.
fn map_key(lines: &[&str], line: usize, at: usize) -> Option<String> {
    let here: Vec<char> = lines[line].chars().collect();
    if here.get(at) != Some(&':') {
        return None;
    }
    let mut before: String = lines[..line].iter().map(|l| format!("{l}\n")).collect();
    before.extend(&here[..at]);
    let mut depth = 0usize;
    for (i, c) in before.char_indices().rev() {
        match c {
            '}' => depth += 1,
            '{' if depth > 0 => depth -= 1,
            '{' => {
                if before[..i].trim_end().ends_with('#') {
                    return None;
                }
                let key = before[i + 1..].trim().trim_matches('"');
                let plain = !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_');
                return plain.then(|| key.to_string());
            }
            _ => {}
        }
    }
    None
}

/// Where a `;` is missing when Rhai reports it at the first token of line `line` (0-based):
/// the previous non-blank line's number (1-based) and the column after its last character,
/// when that line does not already end a statement or continue onto the next.
fn statement_before(lines: &[&str], line: usize, at: usize) -> Option<(usize, usize)> {
    let here: String = lines[line].chars().take(at).collect();
    if !here.trim().is_empty() {
        return None;
    }
    let previous = (0..line).rev().find(|&i| !code_of(lines[i]).trim().is_empty())?;
    let code = code_of(lines[previous]).trim_end();
    let continues = [';', '{', '}', ',', '(', '[', '+', '-', '*', '/', '=', '|', '&', '.', '\\'];
    if code.ends_with(|c| continues.contains(&c)) {
        return None;
    }
    Some((previous + 1, code.chars().count() + 1))
}

/// A line without its `//` comment (outside strings).
fn code_of(line: &str) -> &str {
    let mut in_string = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match (in_string, c) {
            (None, '"' | '`' | '\'') => in_string = Some(c),
            (Some(q), c) if c == q && previous != '\\' => in_string = None,
            (None, '/') if previous == '/' => return &line[..i - 1],
            _ => {}
        }
        previous = c;
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(text: &str) -> (Option<String>, Option<(usize, usize)>) {
        let err = rhai::Engine::new().compile(text).unwrap_err();
        let pos = err.position();
        for_parse(err.err_type(), text, pos.line().unwrap(), pos.position().unwrap_or(1))
    }

    #[test]
    fn f_strings_become_backtick_templates() {
        let (h, _) = hint("let w2 = 1.5;\nprint(f\"w2 = {w2:.3} {{raw}}\");");
        assert_eq!(
            h.unwrap(),
            "Rhai has no f\"...\" strings; a template is written in backticks: `w2 = ${w2:.3} {raw}`"
        );
        assert!(hint("let s = f\"x\";").0.unwrap().ends_with("`x`"));
    }

    #[test]
    fn bare_braces_with_a_key_are_maps() {
        let expected = "object maps are written `#{ dim: ... }` in Rhai; a bare `{` opens a block";
        assert_eq!(hint("let net = mlp({ dim: 2 });").0.unwrap(), expected);
        assert_eq!(hint("let m = {\"dim\": 2};").0.unwrap(), expected);
        assert_eq!(hint("let o = #{ a: { dim: 1 } };").0.unwrap(), expected);
        assert_eq!(hint("let o = #{ a: 1 b: 2 };").0, None);
    }

    #[test]
    fn a_missing_semicolon_points_at_the_previous_line() {
        assert_eq!(
            hint("let a = 1;\nlet b = 2   // two\n\nlet c = 3;"),
            (Some("missing `;` at the end of line 2?".into()), Some((2, 10)))
        );
        assert_eq!(hint("let a = [1,\n2]\nlet b = 3;").1, Some((2, 3)));
        // an error in the middle of a line is left as Rhai reports it
        assert_eq!(hint("let a = 1 2;"), (None, None));
    }

    #[test]
    fn type_names_lose_their_rust_paths() {
        assert_eq!(short_type("difflab::tensor::Tensor"), "Tensor");
        assert_eq!(short_type("bool"), "bool");
        assert_eq!(short_type("alloc::vec::Vec<rhai::Dynamic>"), "Vec<Dynamic>");
        assert_eq!(short_type("difflab::runtime::api::shared::Shared<difflab::nn::optim::Optimizer>"), "Optimizer");
        assert!(for_mismatch("Tensor", "bool").unwrap().contains(".item()"));
        assert_eq!(for_mismatch("i64", "bool"), None);
    }
}
