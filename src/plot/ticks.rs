//! Axis ticks and their labels. Linear axes tick at 1-2-5 steps with exact decimal labels
//! (a tick at zero reads `0`), and long numbers share a power of ten named once on the axis.
//! Log axes tick at 1, 2 and 5 times the powers of ten while they fit (at every integer
//! multiple where those are too few, at decades only over many), with minor ticks at the other
//! multiples. A script may choose the ticks (values, with or without labels, or the data's
//! values) and the labels' format.

use super::tick_format::TickFormat;
use crate::number_text::short;

/// The ticks of one axis, in axis coordinates (log10 of the value on a log axis).
#[derive(Clone, Debug, PartialEq)]
pub struct Ticks {
    /// Labelled ticks: position and label.
    pub major: Vec<(f64, String)>,
    /// Unlabelled ticks between them.
    pub minor: Vec<f64>,
    /// The power of ten every label is to be multiplied by, when they share one.
    pub exponent: Option<i32>,
}

impl Ticks {
    /// The label of the tick at `position`, or an empty string between ticks.
    pub fn label_at(&self, position: f64) -> String {
        let span = self.major.last().map_or(1.0, |l| l.0) - self.major.first().map_or(0.0, |f| f.0);
        let close = 1e-9 * span.abs().max(1e-300);
        self.major.iter().find(|(p, _)| (p - position).abs() <= close).map(|(_, l)| l.clone()).unwrap_or_default()
    }

    /// What the axis title gets when the labels share a power of ten: ` (×10⁵)`.
    pub fn title_suffix(&self) -> String {
        self.exponent.map(|k| format!(" (×{})", power_of_ten(k))).unwrap_or_default()
    }
}

/// Ticks a script chose for an axis.
#[derive(Clone, Debug, PartialEq)]
pub enum TickChoice {
    /// At these values, each with its own label or (`None`) one from the axis's format.
    At(Vec<(f64, Option<String>)>),
    /// At the distinct values the data take on the axis.
    Data,
}

impl Ticks {
    /// The labels rewritten by `format`, for the values at the ticks (`10^position` on a log
    /// axis); the shared power of ten goes, as every label now says its whole value.
    pub fn formatted(mut self, format: &TickFormat, log: bool) -> Self {
        for (p, label) in &mut self.major {
            *label = format.label(if log { 10f64.powf(*p) } else { *p });
        }
        self.exponent = None;
        self
    }
}

/// Ticks at chosen values: `positions` are in axis coordinates, `values` hold each tick's
/// value and label (`None`: written by `format`, else in short form). Ticks outside `range`
/// are dropped; a log axis keeps its minor ticks at the integer multiples of each decade.
pub fn chosen(
    values: &[(f64, Option<String>)],
    positions: &[f64],
    range: (f64, f64),
    log: bool,
    format: Option<&TickFormat>,
) -> Ticks {
    let inside = |p: f64| p >= range.0 - 1e-9 * (range.1 - range.0) && p <= range.1 + 1e-9 * (range.1 - range.0);
    let mut major: Vec<(f64, String)> = values
        .iter()
        .zip(positions)
        .filter(|(_, &p)| inside(p))
        .map(|((v, label), &p)| {
            let text = match (label, format) {
                (Some(l), _) => l.clone(),
                (None, Some(f)) => f.label(*v),
                (None, None) => short(*v),
            };
            (p, text)
        })
        .collect();
    major.sort_by(|a, b| a.0.total_cmp(&b.0));
    major.dedup_by(|a, b| (a.0 - b.0).abs() <= 1e-12 * (range.1 - range.0));
    let minor = if log && range.1 - range.0 <= 6.0 {
        let mut m = vec![];
        for k in range.0.floor() as i32..=range.1.ceil() as i32 {
            for mult in 1..10 {
                let p = (mult as f64).log10() + k as f64;
                if inside(p) && !major.iter().any(|(q, _)| (q - p).abs() < 1e-9) {
                    m.push(p);
                }
            }
        }
        m
    } else {
        vec![]
    };
    Ticks { major, minor, exponent: None }
}

/// The distinct finite values among `values`, in order (for ticks at the data).
pub fn distinct(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v.dedup_by(|a, b| (*a - *b).abs() <= 1e-12 * a.abs().max(b.abs()));
    v
}

/// `10` with `k` as a superscript: `10⁵`, `10⁻³`.
pub fn power_of_ten(k: i32) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let digits: String = k.unsigned_abs().to_string().chars().map(|c| DIGITS[c as usize - '0' as usize]).collect();
    format!("10{}{digits}", if k < 0 { "⁻" } else { "" })
}

/// `m·10^e` written exactly: `m` and `e` are small, so the division or product is the double
/// nearest to the decimal value.
fn decimal(m: i64, e: i32) -> f64 {
    if e >= 0 {
        m as f64 * 10f64.powi(e)
    } else {
        m as f64 / 10f64.powi(-e)
    }
}

/// `m·10^e` with `max(0, −e)` decimals, trailing zeros dropped, and zero as `0`.
fn decimal_label(m: i64, e: i32) -> String {
    if m == 0 {
        return "0".into();
    }
    let text = format!("{:.*}", (-e).max(0) as usize, decimal(m, e));
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Ticks of a linear axis over `[lo, hi]` (finite, `lo < hi`), at most about `count`.
pub fn linear(lo: f64, hi: f64, count: usize) -> Ticks {
    let raw = (hi - lo) / count.max(2) as f64;
    let mut e = raw.log10().floor() as i32;
    let m = match [1, 2, 5].into_iter().find(|&m| decimal(m, e) >= raw) {
        Some(m) => m,
        None => {
            e += 1;
            1
        }
    };
    let step = decimal(m, e);
    let (first, last) = ((lo / step - 1e-9).ceil() as i64, (hi / step + 1e-9).floor() as i64);
    if step.is_nan() || step <= 0.0 || last.saturating_sub(first) > 10 * count as i64 {
        // a span too small for f64's steps: no ticks rather than a runaway list
        return Ticks { major: vec![], minor: vec![], exponent: None };
    }
    // a tick k sits at k·m·10^e; long numbers share a power of ten
    let largest = first.unsigned_abs().max(last.unsigned_abs()) as f64 * step;
    let shared = (largest >= 1e5 || e <= -5).then(|| largest.log10().floor() as i32).filter(|_| largest > 0.0);
    let major = (first..=last)
        .map(|k| {
            let label = match shared {
                Some(p) => decimal_label(k * m, e - p),
                None => decimal_label(k * m, e),
            };
            (decimal(k * m, e), label)
        })
        .collect();
    Ticks { major, minor: vec![], exponent: shared }
}

/// The label of `m·10^k` on a log axis: plain decimals near 1, powers of ten far from it.
fn log_label(m: i64, k: i32) -> String {
    if (-4..=4).contains(&k) {
        decimal_label(m, k)
    } else if m == 1 {
        power_of_ten(k)
    } else {
        format!("{m}×{}", power_of_ten(k))
    }
}

/// Ticks of a log axis over `[lo, hi]` in log10 units (finite, `lo < hi`), at most about `count`
/// labelled.
pub fn log(lo: f64, hi: f64, count: usize) -> Ticks {
    let span = hi - lo;
    let inside = |p: f64| p >= lo - 1e-9 && p <= hi + 1e-9;
    let multiples = |ms: &[i64]| -> Vec<(f64, i64, i32)> {
        let mut out = vec![];
        for k in lo.floor() as i32..=hi.ceil() as i32 {
            for &m in ms {
                let p = (m as f64).log10() + k as f64;
                if inside(p) {
                    out.push((p, m, k));
                }
            }
        }
        out
    };
    // 1, 2 and 5 while they fit and give three labels; every multiple over less than a
    // decade; else decades
    let all = multiples(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let one_two_five = multiples(&[1, 2, 5]);
    let chosen: Vec<(f64, i64, i32)> = if (3..=count).contains(&one_two_five.len()) {
        one_two_five
    } else if span < 1.0 && all.len() <= count {
        all.clone()
    } else if one_two_five.len() == 2 {
        one_two_five
    } else {
        let decades = multiples(&[1]);
        let every = decades.len().div_ceil(count.max(2)).max(1);
        decades.into_iter().filter(|&(_, _, k)| k.rem_euclid(every as i32) == 0).collect()
    };
    if chosen.len() < 2 {
        // less than a factor of two: plain ticks on the values, placed at their logarithms
        let plain = linear(10f64.powf(lo), 10f64.powf(hi), count);
        let major = plain.major.into_iter().filter(|(v, _)| *v > 0.0).map(|(v, l)| (v.log10(), l)).collect();
        return Ticks { major, minor: vec![], exponent: plain.exponent };
    }
    let minor = if span <= 6.0 {
        all.iter().filter(|a| !chosen.iter().any(|c| c.1 == a.1 && c.2 == a.2)).map(|a| a.0).collect()
    } else {
        vec![]
    };
    Ticks { major: chosen.into_iter().map(|(p, m, k)| (p, log_label(m, k))).collect(), minor, exponent: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(t: &Ticks) -> Vec<&str> {
        t.major.iter().map(|(_, l)| l.as_str()).collect()
    }

    #[test]
    fn a_span_below_f64_steps_gives_no_ticks() {
        assert!(linear(0.0, 1e-320, 5).major.is_empty());
    }

    #[test]
    fn linear_ticks_are_one_two_five_steps_with_exact_labels() {
        // the range an auto-ranged axis gets around [-1, 1]: zero reads 0, not -1.1e-16
        let t = linear(-1.1, 1.1, 6);
        assert_eq!(labels(&t), ["-1", "-0.5", "0", "0.5", "1"]);
        assert_eq!(t.major[2].0, 0.0);
        assert_eq!(labels(&linear(0.07, 0.31, 5)), ["0.1", "0.15", "0.2", "0.25", "0.3"]);
        assert_eq!(labels(&linear(-75.0, 1575.0, 8)), ["0", "500", "1000", "1500"]);
        assert_eq!(linear(0.0, 1.0, 5).exponent, None);
        // long numbers share a power of ten
        let big = linear(0.0, 3.2e6, 4);
        assert_eq!((labels(&big), big.exponent), (vec!["0", "1", "2", "3"], Some(6)));
        assert_eq!(big.title_suffix(), " (×10⁶)");
        let tiny = linear(1.0e-6, 4.0e-6, 4);
        assert_eq!((labels(&tiny), tiny.exponent), (vec!["1", "2", "3", "4"], Some(-6)));
        assert_eq!(t.label_at(0.5), "0.5");
        assert_eq!(t.label_at(0.25), "");
    }

    #[test]
    fn log_ticks_label_two_and_five_over_short_ranges() {
        let lg = |a: f64, b: f64| log(a.log10(), b.log10(), 6);
        // a loss between 0.15 and 1
        assert_eq!(labels(&lg(0.15, 1.0)), ["0.2", "0.5", "1"]);
        // NFE 5..50
        assert_eq!(labels(&lg(4.5, 55.0)), ["5", "10", "20", "50"]);
        // five decades: decades only, the other multiples as minor ticks
        let wide = lg(1e-3, 1e2);
        assert_eq!(labels(&wide), ["0.001", "0.01", "0.1", "1", "10", "100"]);
        assert_eq!(wide.minor.len(), 5 * 8);
        // under a factor of four: every multiple
        assert_eq!(labels(&lg(1.5, 5.5)), ["2", "3", "4", "5"]);
        // under a factor of two: plain ticks on the values
        assert_eq!(labels(&lg(1.1, 1.9)), ["1.2", "1.4", "1.6", "1.8"]);
        // far from 1: powers of ten
        assert_eq!(labels(&lg(1e-9, 1e3)), ["10⁻⁹", "10⁻⁶", "0.001", "1", "1000"]);
        assert_eq!(log_label(2, 7), "2×10⁷");
    }

    #[test]
    fn chosen_ticks_keep_their_values_and_labels() {
        let values = [(4.0f64, None), (8.0, None), (16.0, Some("sixteen".to_string())), (64.0, None)];
        let positions: Vec<f64> = values.iter().map(|v| v.0.log10()).collect();
        let t = chosen(&values, &positions, (3.0f64.log10(), 40.0f64.log10()), true, None);
        assert_eq!(labels(&t), ["4", "8", "sixteen"], "64 lies outside");
        assert!(t.minor.iter().any(|&p| (p - 5.0f64.log10()).abs() < 1e-12), "minor ticks between them");
        assert!(!t.minor.iter().any(|&p| (p - 8.0f64.log10()).abs() < 1e-12), "no minor tick under a major one");
        let f = TickFormat::parse("{:.0e}").unwrap();
        assert_eq!(labels(&linear(0.0, 3000.0, 4).formatted(&f, false)), ["0e0", "1e3", "2e3", "3e3"]);
        assert_eq!(distinct([3.0, 1.0, 3.0, f64::NAN, 2.0].into_iter()), [1.0, 2.0, 3.0]);
    }
}
