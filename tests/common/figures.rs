//! Helpers for tests that look at figures: make one in-process, render it, find colours,
//! dark pixels and the texts of its SVG with their extents.

use difflab::plot::figure::Mapping;
use difflab::plot::Figure;
use difflab::runtime::Session;

/// The figure a script's last expression makes, run in-process.
pub fn figure(script: &str) -> Figure {
    let value = Session::new(vec![]).eval("figure.rhai", script).unwrap_or_else(|e| panic!("{script}: {e:?}"));
    let fig = value.read_lock::<Figure>().unwrap_or_else(|| panic!("{script} made no figure")).clone();
    fig
}

/// The text of every text of an SVG document (drawn as outlines, each in a `<g aria-label>`).
pub fn svg_texts(svg: &str) -> Vec<String> {
    svg_text_boxes(svg).into_iter().map(|(t, _)| t).collect()
}

/// Every text of an SVG document with the box `(left, top, right, bottom)` of its outline's
/// points (curve control points included, so a box may be a pixel wider than the ink).
pub fn svg_text_boxes(svg: &str) -> Vec<(String, (f64, f64, f64, f64))> {
    svg.split("<g aria-label=\"")
        .skip(1)
        .filter_map(|t| {
            let (label, rest) = t.split_once('"')?;
            let d = rest.split_once(" d=\"")?.1.split_once('"')?.0;
            let numbers: Vec<f64> = d
                .split(|c: char| c.is_ascii_alphabetic() || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .filter_map(|s| s.parse().ok())
                .collect();
            let (xs, ys): (Vec<f64>, Vec<f64>) = numbers.chunks(2).map(|c| (c[0], c[1])).unzip();
            let fold = |v: &[f64], f: fn(f64, f64) -> f64, init: f64| v.iter().copied().fold(init, f);
            let text = label.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
            Some((
                text,
                (
                    fold(&xs, f64::min, f64::INFINITY),
                    fold(&ys, f64::min, f64::INFINITY),
                    fold(&xs, f64::max, f64::NEG_INFINITY),
                    fold(&ys, f64::max, f64::NEG_INFINITY),
                ),
            ))
        })
        .collect()
}

/// Whether pixel `p` is within 60 of `color` in every channel.
pub fn near(p: &image::Rgb<u8>, color: (u8, u8, u8)) -> bool {
    let d = |a: u8, b: u8| (a as i32 - b as i32).abs() < 60;
    d(p[0], color.0) && d(p[1], color.1) && d(p[2], color.2)
}

/// The figure rendered, with its data-to-pixel map.
pub fn rendered(fig: &Figure) -> (image::RgbImage, Mapping) {
    let (rgb, map) = fig.render_rgb().unwrap();
    let m = map.expect("a chart has a data-to-pixel map");
    (image::RgbImage::from_raw(fig.frame.width, fig.frame.height, rgb).unwrap(), m)
}

/// The plotting rectangle of a map in pixels `(left, top, right, bottom)`.
pub fn plot_box(m: &Mapping) -> (i32, i32, i32, i32) {
    (m.px.0, m.py.1, m.px.1, m.py.0)
}

/// Dark pixels (text, axes) in a rectangle of an RGB image.
pub fn dark_pixels(img: &image::RgbImage, x0: u32, y0: u32, x1: u32, y1: u32) -> usize {
    let mut n = 0;
    for y in y0..y1.min(img.height()) {
        for x in x0..x1.min(img.width()) {
            let p = img.get_pixel(x, y);
            if p[0] < 90 && p[1] < 90 && p[2] < 90 {
                n += 1;
            }
        }
    }
    n
}

/// The box `(left, top, right, bottom)` of the dark pixels inside a rectangle.
pub fn dark_box(img: &image::RgbImage, (x0, y0, x1, y1): (u32, u32, u32, u32)) -> Option<(u32, u32, u32, u32)> {
    let mut b: Option<(u32, u32, u32, u32)> = None;
    for y in y0..y1.min(img.height()) {
        for x in x0..x1.min(img.width()) {
            let p = img.get_pixel(x, y);
            if p[0] < 128 && p[1] < 128 && p[2] < 128 {
                b = Some(match b {
                    None => (x, y, x, y),
                    Some((l, t, r, bo)) => (l.min(x), t.min(y), r.max(x), bo.max(y)),
                });
            }
        }
    }
    b
}
