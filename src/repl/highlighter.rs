//! Syntax highlighting of Rhai in the REPL: keywords, built-ins, numbers,
//! strings and comments.

use crate::runtime::complete::KEYWORDS;
use crate::runtime::help::catalog;
use nu_ansi_term::{Color, Style};
use reedline::{Highlighter, StyledText};

/// Colours a line of Rhai.
pub struct RhaiHighlighter;

impl RhaiHighlighter {
    /// The highlighter.
    pub fn new() -> Self {
        Self
    }
}

/// The kinds of token the highlighter tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    /// `let`, `fn`, `for`, ...
    Keyword,
    /// A difflab built-in.
    Builtin,
    /// A number literal.
    Number,
    /// A string literal.
    String,
    /// A comment.
    Comment,
    /// Anything else.
    Plain,
}

/// Splits a line into (token kind, text) pieces that join back to the line.
pub fn tokens(line: &str) -> Vec<(Token, &str)> {
    let mut out = Vec::new();
    let bytes: Vec<(usize, char)> = line.char_indices().collect();
    let end_of = |k: usize| bytes.get(k).map_or(line.len(), |(i, _)| *i);
    let mut k = 0;
    while k < bytes.len() {
        let (start, c) = bytes[k];
        let next = bytes.get(k + 1).map(|(_, c)| *c);
        let (kind, stop) = if c == '/' && next == Some('/') {
            (Token::Comment, bytes.len())
        } else if c == '"' || c == '`' {
            let mut j = k + 1;
            while j < bytes.len() && bytes[j].1 != c {
                j += if bytes[j].1 == '\\' { 2 } else { 1 };
            }
            (Token::String, (j + 1).min(bytes.len()))
        } else if c.is_ascii_digit() {
            let mut j = k + 1;
            while j < bytes.len() && (bytes[j].1.is_ascii_alphanumeric() || bytes[j].1 == '.' || bytes[j].1 == '_') {
                if bytes[j].1 == '.' && bytes.get(j + 1).is_some_and(|(_, d)| !d.is_ascii_digit()) {
                    break;
                }
                j += 1;
            }
            (Token::Number, j)
        } else if c.is_alphabetic() || c == '_' {
            let mut j = k + 1;
            while j < bytes.len() && (bytes[j].1.is_alphanumeric() || bytes[j].1 == '_') {
                j += 1;
            }
            let word = &line[start..end_of(j)];
            let kind = if KEYWORDS.contains(&word) {
                Token::Keyword
            } else if catalog().get(word).is_some() {
                Token::Builtin
            } else {
                Token::Plain
            };
            (kind, j)
        } else {
            (Token::Plain, k + 1)
        };
        out.push((kind, &line[start..end_of(stop)]));
        k = stop;
    }
    out
}

impl Highlighter for RhaiHighlighter {
    fn highlight(&self, line: &str, _cursor: usize) -> StyledText {
        let mut styled = StyledText::new();
        for (kind, text) in tokens(line) {
            let style = match kind {
                Token::Keyword => Style::new().fg(Color::Purple).bold(),
                Token::Builtin => Style::new().fg(Color::Cyan),
                Token::Number => Style::new().fg(Color::Yellow),
                Token::String => Style::new().fg(Color::Green),
                Token::Comment => Style::new().fg(Color::DarkGray).italic(),
                Token::Plain => Style::new(),
            };
            styled.push((style, text.to_string()));
        }
        styled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_cover_the_line_and_classify() {
        let line = "let x = randn([2]) * 1.5; // \"note\"";
        let toks = tokens(line);
        assert_eq!(toks.iter().map(|(_, t)| *t).collect::<String>(), line);
        assert!(toks.contains(&(Token::Keyword, "let")));
        assert!(toks.contains(&(Token::Builtin, "randn")));
        assert!(toks.contains(&(Token::Number, "1.5")));
        assert!(toks.contains(&(Token::Comment, "// \"note\"")));
        assert!(tokens("print(\"a b\")").contains(&(Token::String, "\"a b\"")));
    }
}
