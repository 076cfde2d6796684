//! Series colours: matplotlib's "tab10" cycle, shades of one hue for the members of a
//! group, and colour names scripts may use.

use crate::error::Result;
use plotters::style::RGBColor;

/// The tab10 colours in order.
pub const TAB10: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// The colour of series `i` in the cycle.
pub fn cycle(i: usize) -> RGBColor {
    TAB10[i % TAB10.len()]
}

/// The colour of the series called `name`: each name takes the next colour of the cycle the
/// first time a figure of this session uses it, and keeps it, so a method has the same colour
/// in every figure (`"Euler"` and `"euler"` are one name).
pub fn for_name(name: &str) -> RGBColor {
    static NAMES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    let key = name.to_lowercase();
    let i = match names.iter().position(|n| *n == key) {
        Some(i) => i,
        None => {
            names.push(key);
            names.len() - 1
        }
    };
    cycle(i)
}

/// The colour of member `j` of a group of `m` series whose hue is `base`: from a light tint
/// (first) through `base` to a dark shade (last), so that related series share a hue and
/// their order reads as lightness, as a sequential colour map does.
pub fn shade(base: RGBColor, j: usize, m: usize) -> RGBColor {
    if m <= 1 {
        return base;
    }
    // −0.45 (towards white) … +0.35 (towards black)
    let t = -0.45 + 0.8 * j.min(m - 1) as f64 / (m - 1) as f64;
    let channel = |c: u8| {
        let c = c as f64;
        let v = if t < 0.0 { c + (255.0 - c) * -t } else { c * (1.0 - t) };
        v.round().clamp(0.0, 255.0) as u8
    };
    RGBColor(channel(base.0), channel(base.1), channel(base.2))
}

/// A colour from a name (`"blue"`, `"tab:orange"`, ...) or `#rrggbb`.
pub fn parse(name: &str) -> Result<RGBColor> {
    let key = name.trim().trim_start_matches("tab:").to_lowercase();
    if let Some(hex) = key.strip_prefix('#') {
        if hex.len() == 6 {
            if let Ok(v) = u32::from_str_radix(hex, 16) {
                return Ok(RGBColor((v >> 16) as u8, (v >> 8) as u8, v as u8));
            }
        }
        crate::bail!("bad colour \"{name}\": write #rrggbb");
    }
    let named = [
        ("blue", 0),
        ("orange", 1),
        ("green", 2),
        ("red", 3),
        ("purple", 4),
        ("brown", 5),
        ("pink", 6),
        ("gray", 7),
        ("grey", 7),
        ("olive", 8),
        ("cyan", 9),
    ];
    match named.iter().find(|(n, _)| *n == key) {
        Some((_, i)) => Ok(TAB10[*i]),
        None if key == "black" => Ok(RGBColor(0, 0, 0)),
        None => crate::bail!("unknown colour \"{name}\"; use #rrggbb or one of blue, orange, green, red, purple, brown, pink, gray, olive, cyan, black"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_hex() {
        assert_eq!(parse("tab:orange").unwrap(), TAB10[1]);
        assert_eq!(parse("#102030").unwrap(), RGBColor(0x10, 0x20, 0x30));
        assert!(parse("mauve").is_err());
        assert_eq!(cycle(11), TAB10[1]);
        let (a, b) = (for_name("palette test a"), for_name("palette test b"));
        assert_ne!(a, b);
        assert_eq!((for_name("palette test b"), for_name("palette test a")), (b, a));
        assert_eq!(for_name("Palette Test A"), a, "one name whatever its case");
        // a group of three: lighter, then darker, than the hue, in order
        let blue = TAB10[0];
        let (first, last) = (shade(blue, 0, 3), shade(blue, 2, 3));
        assert!(first.0 > blue.0 && first.2 > blue.2 && last.0 < blue.0 && last.2 < blue.2, "{first:?} {last:?}");
        assert_eq!(shade(blue, 0, 1), blue);
    }
}
