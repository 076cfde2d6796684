//! How a curve is stroked and its points marked: line styles (solid, dashed, dotted,
//! dash-dot, with matplotlib's dash patterns) and marker kinds.

use crate::error::Result;

/// A line style.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dash {
    /// An unbroken line.
    #[default]
    Solid,
    /// Dashes.
    Dashed,
    /// Dots.
    Dotted,
    /// Dashes and dots in turn.
    DashDot,
}

/// The line style names scripts may use.
pub const DASH_NAMES: &str = "\"solid\", \"dashed\", \"dotted\" or \"dashdot\"";

impl Dash {
    /// The style called `name` (`"solid"`, `"dashed"`, `"dotted"`, `"dashdot"`, or
    /// matplotlib's `"-"`, `"--"`, `":"`, `"-."`).
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name.trim() {
            "solid" | "-" => Dash::Solid,
            "dashed" | "--" => Dash::Dashed,
            "dotted" | ":" => Dash::Dotted,
            "dashdot" | "-." => Dash::DashDot,
            other => crate::bail!("unknown line style \"{other}\"; use {DASH_NAMES}"),
        })
    }

    /// The on/off lengths of the pattern, in multiples of the line width (matplotlib's
    /// `lines.dashed_pattern`, `dotted_pattern` and `dashdot_pattern`); empty when solid.
    pub fn pattern(self) -> &'static [f64] {
        match self {
            Dash::Solid => &[],
            Dash::Dashed => &[3.7, 1.6],
            Dash::Dotted => &[1.0, 1.65],
            Dash::DashDot => &[6.4, 1.6, 1.0, 1.6],
        }
    }
}

/// The shape drawn at each point of a curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    /// A filled circle.
    Circle,
    /// A filled square.
    Square,
    /// A filled triangle, point up.
    Triangle,
    /// A filled diamond.
    Diamond,
    /// An upright cross, `+`.
    Plus,
    /// A diagonal cross, `x`.
    Cross,
}

/// The marker names scripts may use.
pub const MARKER_NAMES: &str =
    "\"circle\" (\"o\"), \"square\" (\"s\"), \"triangle\" (\"^\"), \"diamond\" (\"d\"), \"plus\" (\"+\") or \"cross\" (\"x\")";

impl Marker {
    /// The marker called `name`, by word or by matplotlib's letter.
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name.trim() {
            "circle" | "o" => Marker::Circle,
            "square" | "s" => Marker::Square,
            "triangle" | "^" => Marker::Triangle,
            "diamond" | "d" | "D" => Marker::Diamond,
            "plus" | "+" => Marker::Plus,
            "cross" | "x" => Marker::Cross,
            other => crate::bail!("unknown marker \"{other}\"; use {MARKER_NAMES}"),
        })
    }

    /// The marker's outline around its centre for a marker of radius `r` pixels: a closed
    /// polygon for the filled kinds, `None` for a circle and the crosses.
    pub fn polygon(self, r: f64) -> Option<Vec<(i32, i32)>> {
        let p = |x: f64, y: f64| (x.round() as i32, y.round() as i32);
        match self {
            Marker::Square => {
                let s = r * 0.85;
                Some(vec![p(-s, -s), p(s, -s), p(s, s), p(-s, s)])
            }
            Marker::Triangle => Some(vec![p(0.0, -r * 1.15), p(r, r * 0.75), p(-r, r * 0.75)]),
            Marker::Diamond => Some(vec![p(0.0, -r * 1.2), p(r * 0.85, 0.0), p(0.0, r * 1.2), p(-r * 0.85, 0.0)]),
            Marker::Circle | Marker::Plus | Marker::Cross => None,
        }
    }

    /// The two strokes of a cross of radius `r` pixels, `None` for the filled kinds.
    pub fn strokes(self, r: f64) -> Option<[[(i32, i32); 2]; 2]> {
        let a = r.round() as i32;
        let d = (r * std::f64::consts::FRAC_1_SQRT_2).round() as i32;
        match self {
            Marker::Plus => Some([[(-a, 0), (a, 0)], [(0, -a), (0, a)]]),
            Marker::Cross => Some([[(-d, -d), (d, d)], [(-d, d), (d, -d)]]),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_matplotlib_shorthands() {
        assert_eq!(Dash::parse("--").unwrap(), Dash::Dashed);
        assert_eq!(Dash::parse("dashdot").unwrap(), Dash::DashDot);
        let err = Dash::parse("wavy").unwrap_err().to_string();
        assert!(err.contains("unknown line style \"wavy\"") && err.contains("\"dotted\""), "{err}");
        assert_eq!(Marker::parse("^").unwrap(), Marker::Triangle);
        assert!(Marker::parse("star").unwrap_err().to_string().contains("\"square\""));
        assert!(Marker::Plus.strokes(3.0).is_some() && Marker::Square.strokes(3.0).is_none());
    }
}
