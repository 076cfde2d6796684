//! Cutting what a chart draws to its plotting rectangle, in axis coordinates: points
//! outside are dropped, line segments are cut at the frame (Liang & Barsky 1984), filled
//! bands are cut as polygons (Sutherland & Hodgman 1974). Nothing lands on the frame that
//! lies beyond it.

/// An axis-aligned rectangle `[x.0, x.1] × [y.0, y.1]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    /// The x range.
    pub x: (f64, f64),
    /// The y range.
    pub y: (f64, f64),
}

type Point = (f64, f64);

impl Rect {
    /// The rectangle shrunk by `dx` and `dy` on each side (a stroke's half-width).
    pub fn inset(&self, dx: f64, dy: f64) -> Rect {
        Rect { x: (self.x.0 + dx, self.x.1 - dx), y: (self.y.0 + dy, self.y.1 - dy) }
    }

    /// Whether `p` lies inside (on the border counts).
    pub fn contains(&self, p: Point) -> bool {
        (self.x.0..=self.x.1).contains(&p.0) && (self.y.0..=self.y.1).contains(&p.1)
    }

    /// The part of the segment `p`–`q` inside, if any.
    pub fn clip_segment(&self, p: Point, q: Point) -> Option<(Point, Point)> {
        let (dx, dy) = (q.0 - p.0, q.1 - p.1);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        for (step, room) in [(-dx, p.0 - self.x.0), (dx, self.x.1 - p.0), (-dy, p.1 - self.y.0), (dy, self.y.1 - p.1)] {
            if step == 0.0 {
                if room < 0.0 {
                    return None;
                }
                continue;
            }
            let t = room / step;
            if step < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
        (t0 <= t1 && t0.is_finite() && t1.is_finite())
            .then_some(((p.0 + t0 * dx, p.1 + t0 * dy), (p.0 + t1 * dx, p.1 + t1 * dy)))
    }

    /// The visible pieces of a polyline: every segment cut to the rectangle; a point that is
    /// not finite breaks the line.
    pub fn clip_polyline(&self, points: &[Point]) -> Vec<(Point, Point)> {
        let finite = |p: &Point| p.0.is_finite() && p.1.is_finite();
        points
            .windows(2)
            .filter(|w| finite(&w[0]) && finite(&w[1]))
            .filter_map(|w| self.clip_segment(w[0], w[1]))
            .collect()
    }

    /// The polygon cut to the rectangle (empty when nothing of it is inside).
    pub fn clip_polygon(&self, polygon: &[Point]) -> Vec<Point> {
        type Inside = fn(&Rect, Point) -> bool;
        type Cross = fn(&Rect, Point, Point) -> Point;
        let edges: [(Inside, Cross); 4] = [
            (|r, p| p.0 >= r.x.0, |r, a, b| at_x(a, b, r.x.0)),
            (|r, p| p.0 <= r.x.1, |r, a, b| at_x(a, b, r.x.1)),
            (|r, p| p.1 >= r.y.0, |r, a, b| at_y(a, b, r.y.0)),
            (|r, p| p.1 <= r.y.1, |r, a, b| at_y(a, b, r.y.1)),
        ];
        let mut out: Vec<Point> = polygon.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
        for (inside, cross) in edges {
            let input = std::mem::take(&mut out);
            for (i, &cur) in input.iter().enumerate() {
                let prev = input[(i + input.len() - 1) % input.len()];
                match (inside(self, prev), inside(self, cur)) {
                    (true, true) => out.push(cur),
                    (true, false) => out.push(cross(self, prev, cur)),
                    (false, true) => {
                        out.push(cross(self, prev, cur));
                        out.push(cur);
                    }
                    (false, false) => {}
                }
            }
        }
        out
    }
}

/// Where the line through `a` and `b` crosses `x`.
fn at_x(a: Point, b: Point, x: f64) -> Point {
    (x, a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0))
}

/// Where the line through `a` and `b` crosses `y`.
fn at_y(a: Point, b: Point, y: f64) -> Point {
    (a.0 + (b.0 - a.0) * (y - a.1) / (b.1 - a.1), y)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIT: Rect = Rect { x: (0.0, 1.0), y: (0.0, 1.0) };

    #[test]
    fn segments_are_cut_at_the_frame() {
        assert_eq!(UNIT.clip_segment((0.2, 0.2), (0.8, 0.5)), Some(((0.2, 0.2), (0.8, 0.5))));
        assert_eq!(UNIT.clip_segment((-1.0, 0.5), (2.0, 0.5)), Some(((0.0, 0.5), (1.0, 0.5))));
        assert_eq!(UNIT.clip_segment((0.5, 0.5), (0.5, -3.0)), Some(((0.5, 0.5), (0.5, 0.0))));
        assert_eq!(UNIT.clip_segment((2.0, 2.0), (3.0, -1.0)), None);
        assert_eq!(UNIT.clip_segment((-0.5, 0.0), (0.5, 2.0)), Some(((0.0, 1.0), (0.0, 1.0))));
        // a NaN breaks the line instead of drawing to nowhere
        assert_eq!(UNIT.clip_polyline(&[(0.1, 0.1), (f64::NAN, 0.5), (0.3, 0.3), (0.4, 0.4)]).len(), 1);
        assert!(UNIT.inset(0.1, 0.2).contains((0.5, 0.75)) && !UNIT.inset(0.1, 0.2).contains((0.5, 0.85)));
    }

    #[test]
    fn polygons_are_cut_to_the_frame() {
        // a band sticking out of the top: cut along y = 1
        let band = [(0.0, 0.5), (1.0, 0.5), (1.0, 2.0), (0.0, 2.0)];
        let cut = UNIT.clip_polygon(&band);
        assert!(cut.iter().all(|p| UNIT.contains(*p)), "{cut:?}");
        let area: f64 =
            cut.iter().zip(cut.iter().cycle().skip(1)).map(|(a, b)| a.0 * b.1 - b.0 * a.1).sum::<f64>() / 2.0;
        assert!((area.abs() - 0.5).abs() < 1e-12, "area {area}");
        assert!(UNIT.clip_polygon(&[(2.0, 2.0), (3.0, 2.0), (3.0, 3.0)]).is_empty());
    }
}
