//! A line cut into the dashes of a line style: the pattern is laid along the line in pixels,
//! carried from segment to segment, so a dashed curve looks the same at every slope and on
//! log axes.

/// A segment between two points.
pub type Segment = ((f64, f64), (f64, f64));

/// The "on" pieces of the consecutive `segments` (already cut to the plotting area, so their
/// length is bounded) under `pattern` (on/off lengths in pixels, starting with a dash).
/// Points are in axis coordinates; `pixel` is the axis units per pixel along x and y, so
/// lengths are measured on the screen. A segment with a non-finite end is skipped.
pub fn dashes(segments: &[Segment], pattern: &[f64], pixel: (f64, f64)) -> Vec<Segment> {
    let total: f64 = pattern.iter().sum();
    let positive = |v: f64| v > 0.0;
    if pattern.is_empty() || !positive(total) || !positive(pixel.0) || !positive(pixel.1) {
        return segments.to_vec();
    }
    let mut out = vec![];
    // where in the pattern the line is: which entry, and how far into it
    let (mut entry, mut into) = (0usize, 0.0f64);
    for &(a, b) in segments {
        if ![a.0, a.1, b.0, b.1].iter().all(|v| v.is_finite()) {
            continue;
        }
        let (dx, dy) = ((b.0 - a.0) / pixel.0, (b.1 - a.1) / pixel.1);
        let length = dx.hypot(dy);
        let at = |s: f64| {
            let t = if length > 0.0 { s / length } else { 0.0 };
            (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
        };
        let mut s = 0.0;
        while s < length {
            let step = (pattern[entry] - into).min(length - s);
            if entry % 2 == 0 && step > 0.0 {
                out.push((at(s), at(s + step)));
            }
            s += step;
            into += step;
            if into >= pattern[entry] - 1e-9 {
                entry = (entry + 1) % pattern.len();
                into = 0.0;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashes_follow_the_pattern_across_vertices() {
        // 10 px of line in two pieces, 3 on and 2 off: dashes at [0, 3], [5, 8]
        let pts = [((0.0, 0.0), (4.0, 0.0)), ((4.0, 0.0), (10.0, 0.0))];
        let d = dashes(&pts, &[3.0, 2.0], (1.0, 1.0));
        assert_eq!(d, vec![((0.0, 0.0), (3.0, 0.0)), ((5.0, 0.0), (8.0, 0.0))]);
        // a dash that turns a corner goes on after it
        let d = dashes(&[((0.0, 0.0), (2.0, 0.0)), ((2.0, 0.0), (2.0, 4.0))], &[3.0, 2.0], (1.0, 1.0));
        assert_eq!(d, vec![((0.0, 0.0), (2.0, 0.0)), ((2.0, 0.0), (2.0, 1.0)), ((2.0, 3.0), (2.0, 4.0))]);
        // lengths are in pixels: two axis units per pixel along y halve the dashes' span
        let d = dashes(&[((0.0, 0.0), (0.0, 20.0))], &[3.0, 2.0], (1.0, 2.0));
        assert_eq!(d[0], ((0.0, 0.0), (0.0, 6.0)));
        assert_eq!(d[1].0, (0.0, 10.0));
        // solid: the segments themselves
        assert_eq!(dashes(&pts, &[], (1.0, 1.0)).len(), 2);
    }
}
