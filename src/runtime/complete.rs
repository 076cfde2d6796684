//! Completion of a partly typed script: built-ins (difflab's and Rhai's own), variables
//! in scope, script functions, keywords, and after a `.` the methods of the value before it.
//! The REPL and the Jupyter kernel both call [`complete`].

use super::help::catalog;
use super::Session;
use std::sync::OnceLock;

/// Rhai's keywords, offered where a statement or expression may start.
pub const KEYWORDS: &[&str] = &[
    "let", "const", "fn", "if", "else", "for", "in", "while", "loop", "do", "until", "break", "continue", "return",
    "throw", "try", "catch", "switch", "import", "export", "as", "true", "false", "private", "this",
];

/// Rhai's functions that its parser treats as keywords: its function metadata does not list them.
const KEYWORD_FUNCTIONS: &[&str] =
    &["print", "debug", "type_of", "is_def_var", "is_def_fn", "is_shared", "Fn", "call", "curry", "eval"];

/// The names of Rhai's own functions (`len`, `keys`, `push`, `parse_int`, ...) and of its
/// keyword functions (`print`, `type_of`, ...), read once from a plain engine's metadata.
pub fn rhai_functions() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let signatures = rhai::Engine::new().gen_fn_signatures(true);
        let listed = signatures.iter().filter_map(|s| s.split('(').next()).map(str::trim);
        let mut names: Vec<String> = listed
            .filter(|n| n.chars().next().is_some_and(char::is_alphabetic) && !n.contains('$'))
            .chain(KEYWORD_FUNCTIONS.iter().copied())
            .map(str::to_string)
            .collect();
        names.sort();
        names.dedup();
        names
    })
}

/// What to complete and the candidates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completions {
    /// Byte offset where the replaced text starts.
    pub start: usize,
    /// Byte offset where it ends (the cursor).
    pub end: usize,
    /// The candidates, sorted, without duplicates.
    pub matches: Vec<String>,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == ':'
}

/// The Rhai type name of a variable's value, as help writes types.
fn type_of(session: &Session, name: &str) -> Option<String> {
    let value = session.scope().get(name)?;
    Some(session.engine().map_type_name(value.type_name()).rsplit("::").next().unwrap_or("").to_string())
}

/// When `before` ends at a key position of an option map `#{ ... }` passed to a
/// call, the called function's name: `adamw(net, #{ l` gives `adamw`.
pub fn option_map_call(before: &str) -> Option<String> {
    // open brackets: (byte position, kind), kind '(' '[' '{' or '#' for `#{`
    let mut open: Vec<(usize, char)> = vec![];
    let mut in_string: Option<char> = None;
    let chars: Vec<(usize, char)> = before.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        match (in_string, c) {
            (Some(q), _) if c == q => in_string = None,
            (Some(_), _) => {}
            (None, '"' | '`') => in_string = Some(c),
            (None, '(' | '[') => open.push((i, c)),
            (None, '{') => open.push((i, if k > 0 && chars[k - 1].1 == '#' { '#' } else { '{' })),
            (None, ')' | ']' | '}') => {
                open.pop();
            }
            _ => {}
        }
    }
    let &(map_at, kind) = open.last()?;
    if kind != '#' || in_string.is_some() {
        return None;
    }
    // a key position: only spaces since the map opened or since the last top-level comma
    let inside = &before[map_at + 1..];
    let tail = inside.rsplit(',').next().unwrap_or(inside).trim_start();
    if !tail.chars().all(is_word) {
        return None;
    }
    let &(call_at, call_kind) = open.iter().rev().nth(1)?;
    if call_kind != '(' {
        return None;
    }
    let name: String = before[..call_at]
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Candidates for the word that ends at byte offset `cursor` of `text`.
pub fn complete(session: &Session, text: &str, cursor: usize) -> Completions {
    let cursor = cursor.min(text.len());
    let before = &text[..cursor];
    let start = before.char_indices().rev().take_while(|(_, c)| is_word(*c)).last().map_or(cursor, |(i, _)| i);
    let word = &before[start..];
    let option_keys = option_map_call(before).map(|f| super::api::option_keys(&f)).filter(|k| !k.is_empty());
    let mut matches: Vec<String> = if let Some(keys) = option_keys {
        keys.into_iter().map(str::to_string).collect()
    } else if before[..start].ends_with('.') {
        methods_after(session, &before[..start - 1])
    } else {
        let mut all: Vec<String> = catalog()
            .names()
            .filter(|n| n.chars().next().is_some_and(char::is_alphabetic))
            .map(str::to_string)
            .collect();
        all.extend(session.scope().iter_raw().map(|(name, _, _)| name.to_string()));
        all.extend(session.functions().into_iter().map(|(name, _)| name));
        all.extend(KEYWORDS.iter().map(|k| k.to_string()));
        all.extend(rhai_functions().iter().cloned());
        all
    };
    matches.retain(|m| m.starts_with(word));
    matches.sort();
    matches.dedup();
    Completions { start, end: cursor, matches }
}

/// Methods for the expression that ends just before a `.`: the methods of a
/// variable's type, the keys of a map variable, else those of a tensor.
fn methods_after(session: &Session, receiver: &str) -> Vec<String> {
    let name: String = receiver
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if let Some(value) = session.scope().get(&name) {
        if let Some(map) = value.read_lock::<rhai::Map>() {
            return map.keys().map(|k| k.to_string()).collect();
        }
    }
    let typ = type_of(session, &name).unwrap_or_else(|| "Tensor".into());
    let mut methods: Vec<String> = catalog().methods_of(&typ).into_iter().map(str::to_string).collect();
    methods.extend(session.functions().into_iter().map(|(name, _)| name));
    methods
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_builtins_variables_and_methods() {
        let mut s = Session::new(vec![]);
        assert!(s
            .eval("<t>", "let xs = randn([2, 2]); let opts = #{ steps: 3, lr: 0.1 }; fn my_loss(a) { a }")
            .unwrap()
            .is_unit());
        let c = complete(&s, "let y = ran", 11);
        assert_eq!(c.start, 8);
        assert!(c.matches.contains(&"randn".to_string()) && c.matches.contains(&"randint".to_string()));
        assert_eq!(complete(&s, "x", 1).matches, vec!["xs".to_string()]);
        assert!(complete(&s, "my_", 3).matches.contains(&"my_loss".to_string()));
        let m = complete(&s, "xs.me", 5);
        assert_eq!((m.start, m.matches.clone()), (3, vec!["mean".to_string()]));
        assert_eq!(complete(&s, "opts.l", 6).matches, vec!["lr".to_string()]);
    }

    #[test]
    fn rhai_s_own_functions_complete_too() {
        let s = Session::new(vec![]);
        let words = |text: &str| complete(&s, text, text.len()).matches;
        assert_eq!(words("pri"), vec!["print".to_string(), "private".to_string()]);
        assert_eq!(words("type_"), vec!["type_of".to_string()]);
        assert_eq!(words("is_def"), vec!["is_def_fn".to_string(), "is_def_var".to_string()]);
        assert!(words("parse_").contains(&"parse_int".to_string()), "{:?}", words("parse_"));
        for name in ["debug", "len", "keys", "values", "push", "range", "to_string", "sleep", "curry"] {
            assert!(words(&name[..name.len() - 1]).contains(&name.to_string()), "{name} is not offered");
        }
    }

    #[test]
    fn option_maps_complete_the_called_function_s_keys() {
        let s = Session::new(vec![]);
        let text = "let opt = adamw(net, #{ lr: 1e-3, weight";
        assert_eq!(complete(&s, text, text.len()).matches, vec!["weight_decay".to_string()]);
        let text = "sample(den, #{ method: \"heun\", s_ch";
        assert_eq!(complete(&s, text, text.len()).matches, vec!["s_churn".to_string()]);
        assert_eq!(option_map_call("mlp(#{ dim: 2, hid"), Some("mlp".into()));
        assert_eq!(option_map_call("mlp(#{ dim: [2, h"), None);
        assert_eq!(option_map_call("let m = #{ a"), None);
        let text = "scatter(x, #{ tit";
        assert_eq!(complete(&s, text, text.len()).matches, vec!["title".to_string()]);
    }
}
