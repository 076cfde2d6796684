//! Completion of a partly typed script: built-ins, variables in scope, script
//! functions, keywords, and after a `.` the methods of the value before it.
//! The REPL and the Jupyter kernel both call [`complete`].

use super::help::catalog;
use super::Session;

/// Rhai's keywords, offered where a statement or expression may start.
pub const KEYWORDS: &[&str] = &[
    "let", "const", "fn", "if", "else", "for", "in", "while", "loop", "do", "until", "break", "continue",
    "return", "throw", "try", "catch", "switch", "import", "export", "as", "true", "false", "private", "this",
];

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

/// Candidates for the word that ends at byte offset `cursor` of `text`.
pub fn complete(session: &Session, text: &str, cursor: usize) -> Completions {
    let cursor = cursor.min(text.len());
    let before = &text[..cursor];
    let start = before.char_indices().rev().take_while(|(_, c)| is_word(*c)).last().map_or(cursor, |(i, _)| i);
    let word = &before[start..];
    let mut matches: Vec<String> = if before[..start].ends_with('.') {
        methods_after(session, &before[..start - 1])
    } else {
        let mut all: Vec<String> = catalog().names().filter(|n| n.chars().next().is_some_and(char::is_alphabetic)).map(str::to_string).collect();
        all.extend(session.scope().iter_raw().map(|(name, _, _)| name.to_string()));
        all.extend(session.functions().into_iter().map(|(name, _)| name));
        all.extend(KEYWORDS.iter().map(|k| k.to_string()));
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
    let name: String = receiver.chars().rev().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<Vec<_>>().into_iter().rev().collect();
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
        assert!(s.eval("<t>", "let xs = randn([2, 2]); let opts = #{ steps: 3, lr: 0.1 }; fn my_loss(a) { a }").unwrap().is_unit());
        let c = complete(&s, "let y = ran", 11);
        assert_eq!(c.start, 8);
        assert!(c.matches.contains(&"randn".to_string()) && c.matches.contains(&"randint".to_string()));
        assert_eq!(complete(&s, "x", 1).matches, vec!["xs".to_string()]);
        assert!(complete(&s, "my_", 3).matches.contains(&"my_loss".to_string()));
        let m = complete(&s, "xs.me", 5);
        assert_eq!((m.start, m.matches.clone()), (3, vec!["mean".to_string()]));
        assert_eq!(complete(&s, "opts.l", 6).matches, vec!["lr".to_string()]);
    }
}
