//! Tick labels a script chooses: a format with one `{}` placeholder, as Python and Rust
//! write them (`"{:.0e}"`, `"{:.2f}"`, `"{:.0%}"`, `"{} steps"`), or `"percent"`.

use crate::error::Result;
use crate::number_text::short;

/// How a tick's value becomes its label.
#[derive(Clone, Debug, PartialEq)]
pub struct TickFormat {
    /// Text before the number.
    prefix: String,
    /// The number's notation.
    notation: Notation,
    /// Text after the number.
    suffix: String,
}

/// A number's notation in a tick label.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Notation {
    /// The shortest form without float noise (`{}`).
    Short,
    /// Fixed decimals (`{:.2f}`).
    Fixed(usize),
    /// Scientific, `1e3` (`{:.0e}`).
    Exponent(usize),
    /// Significant digits (`{:.3g}`).
    Significant(usize),
    /// Times 100 with a percent sign (`{:.0%}`; `"percent"` is the short form).
    Percent(Option<usize>),
}

const FORMS: &str =
    "write one placeholder such as \"{:.0e}\", \"{:.2f}\", \"{:.3g}\", \"{:.0%}\" or \"{}\", or \"percent\"";

impl TickFormat {
    /// Parses a format such as `"{:.1f} s"` or `"percent"`.
    pub fn parse(text: &str) -> Result<Self> {
        if text == "percent" {
            return Ok(Self { prefix: String::new(), notation: Notation::Percent(None), suffix: String::new() });
        }
        let (Some(open), Some(close)) = (text.find('{'), text.find('}')) else {
            crate::bail!("tick format \"{text}\" has no placeholder: {FORMS}");
        };
        if close < open || text[close + 1..].contains('{') {
            crate::bail!("tick format \"{text}\" must hold exactly one placeholder: {FORMS}");
        }
        let spec = &text[open + 1..close];
        let spec = spec.strip_prefix(':').unwrap_or(spec);
        let bad = || crate::Error::new(format!("tick format \"{text}\": unknown placeholder {{{spec}}}: {FORMS}"));
        let notation = if spec.is_empty() {
            Notation::Short
        } else if spec == "%" {
            Notation::Percent(None)
        } else if spec == "e" {
            Notation::Exponent(0)
        } else {
            let body = spec.strip_prefix('.').ok_or_else(bad)?;
            let kind = body.chars().last().ok_or_else(bad)?;
            let digits: usize = body[..body.len() - kind.len_utf8()].parse().map_err(|_| bad())?;
            if digits > 15 {
                crate::bail!("tick format \"{text}\": at most 15 digits, got {digits}");
            }
            match kind {
                'f' => Notation::Fixed(digits),
                'e' => Notation::Exponent(digits),
                'g' => Notation::Significant(digits.max(1)),
                '%' => Notation::Percent(Some(digits)),
                _ => return Err(bad()),
            }
        };
        Ok(Self { prefix: text[..open].to_string(), notation, suffix: text[close + 1..].to_string() })
    }

    /// The label of value `v`.
    pub fn label(&self, v: f64) -> String {
        let number = match self.notation {
            Notation::Short => short(v),
            Notation::Fixed(d) => format!("{v:.d$}"),
            Notation::Exponent(d) => format!("{v:.d$e}"),
            Notation::Significant(d) => crate::number_text::significant(v, d),
            Notation::Percent(None) => format!("{}%", short(v * 100.0)),
            Notation::Percent(Some(d)) => format!("{:.d$}%", v * 100.0),
        };
        let number = if number.starts_with("-0") && number.trim_start_matches(['-', '0', '.', '%']).is_empty() {
            number[1..].to_string()
        } else {
            number
        };
        format!("{}{number}{}", self.prefix, self.suffix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(format: &str, v: f64) -> String {
        TickFormat::parse(format).unwrap().label(v)
    }

    #[test]
    fn python_style_formats() {
        assert_eq!(label("{:.0e}", 1000.0), "1e3");
        assert_eq!(label("{:.1e}", 0.00025), "2.5e-4");
        assert_eq!(label("{:.2f}", 0.5), "0.50");
        assert_eq!(label("{:.0%}", 0.25), "25%");
        assert_eq!(label("percent", 0.125), "12.5%");
        assert_eq!(label("{} steps", 8.0), "8 steps");
        assert_eq!(label("{:.3g}", 0.012345), "0.0123");
        assert_eq!(label("{:.1f}", -0.01), "0.0");
        for bad in ["{:.2q}", "plain", "{}{}", "{:x}"] {
            assert!(TickFormat::parse(bad).is_err(), "{bad}");
        }
    }
}
