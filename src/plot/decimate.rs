//! Long series drawn fast and faithfully: of the points that fall in one pixel column, only
//! the first, the lowest, the highest and the last are drawn, in their order. The line
//! through them covers the same pixels as the line through every point, so each spike keeps
//! its extreme, and 10⁶ points cost a few thousand segments.

/// `points` (x non-decreasing) reduced to at most four per column of `columns` equal
/// columns over `x_range`; returned as they are when short, or when x goes back.
pub fn min_max(points: &[(f64, f64)], x_range: (f64, f64), columns: usize) -> Vec<(f64, f64)> {
    let sorted = points.windows(2).all(|w| w[1].0 >= w[0].0);
    if points.len() <= 4 * columns.max(1) || !sorted || x_range.1 <= x_range.0 {
        return points.to_vec();
    }
    let scale = columns as f64 / (x_range.1 - x_range.0);
    let column = |x: f64| ((x - x_range.0) * scale).floor();
    let mut out = Vec::with_capacity(4 * columns + 4);
    let mut start = 0;
    while start < points.len() {
        let c = column(points[start].0);
        let mut end = start + 1;
        while end < points.len() && column(points[end].0) == c {
            end += 1;
        }
        let run = &points[start..end];
        let finite = |i: &usize| run[*i].1.is_finite();
        let lowest = (0..run.len()).filter(finite).min_by(|&a, &b| run[a].1.total_cmp(&run[b].1));
        let highest = (0..run.len()).filter(finite).max_by(|&a, &b| run[a].1.total_cmp(&run[b].1));
        let mut keep: Vec<usize> = [Some(0), lowest, highest, Some(run.len() - 1)].into_iter().flatten().collect();
        keep.sort_unstable();
        keep.dedup();
        out.extend(keep.into_iter().map(|i| run[i]));
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_column_keeps_its_extremes_in_order() {
        // 10 000 points over 10 columns, with one spike
        let mut pts: Vec<(f64, f64)> = (0..10_000).map(|i| (i as f64, (i % 7) as f64)).collect();
        pts[4321].1 = 100.0;
        let d = min_max(&pts, (0.0, 10_000.0), 10);
        assert!(d.len() <= 40, "{}", d.len());
        assert!(d.contains(&(4321.0, 100.0)), "the spike survives");
        assert!(d.windows(2).all(|w| w[0].0 <= w[1].0), "still in order");
        assert_eq!((d[0], d[d.len() - 1]), (pts[0], pts[9999]));
        // short or unsorted series are left alone
        assert_eq!(min_max(&pts[..30], (0.0, 30.0), 10).len(), 30);
        let back = [(1.0, 0.0), (0.0, 1.0), (2.0, 2.0)];
        assert_eq!(min_max(&back.repeat(100), (0.0, 2.0), 2).len(), 300);
    }
}
