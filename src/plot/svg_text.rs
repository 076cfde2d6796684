//! SVG text as glyph outlines, so an SVG shows the same letters as the PNG on any viewer,
//! with no font installed: a drawing backend over plotters' SVG backend that lays out each
//! text exactly as the bitmap backend rasterises it (plotters' ab_glyph layout: advances,
//! kerning, baseline at half the size below the anchor) and writes the glyphs' outlines as
//! one `<path>` per text, inside a `<g aria-label="...">` that keeps the words readable for
//! search and screen readers (matplotlib's `svg.fonttype = "path"` does the same).

use super::font;
use ab_glyph::{Font, OutlineCurve, ScaleFont};
use plotters::prelude::*;
use plotters_backend::{
    text_anchor::{HPos, VPos},
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontStyle, FontTransform,
};
use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;

/// The glyph outlines of the texts drawn so far, in drawing order: the text and its `<g>`.
pub type Outlines = Rc<RefCell<Vec<(String, String)>>>;

/// plotters' SVG backend with every text drawn as outlines.
pub struct OutlinedSvg<'a> {
    inner: SVGBackend<'a>,
    outlines: Outlines,
}

impl<'a> OutlinedSvg<'a> {
    /// An SVG of `size` pixels written into `out`; its texts' outlines go to `outlines`, to be
    /// put in place by [`put_in_place`] once the drawing is presented.
    pub fn new(out: &'a mut String, size: (u32, u32), outlines: Outlines) -> Self {
        Self { inner: SVGBackend::with_string(out, size), outlines }
    }
}

/// The stand-in text drawn where outline `i` goes: private-use characters no label holds.
fn placeholder(i: usize) -> String {
    format!("\u{E000}{i}\u{E001}")
}

/// `svg` with every stand-in `<text>` element replaced by its outlines.
pub fn put_in_place(svg: &str, outlines: &[(String, String)]) -> String {
    let mut out = String::with_capacity(svg.len() + outlines.iter().map(|o| o.1.len()).sum::<usize>());
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        let Some(end) = rest[start..].find("</text>").map(|e| start + e + "</text>".len()) else { break };
        let element = &rest[start..end];
        let index = element
            .split_once('\u{E000}')
            .and_then(|(_, tail)| tail.split_once('\u{E001}'))
            .and_then(|(digits, _)| digits.parse::<usize>().ok());
        out.push_str(&rest[..start]);
        match index.and_then(|i| outlines.get(i)) {
            Some((_, group)) => out.push_str(group),
            None => out.push_str(element),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `text` with the characters XML needs escaped.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The outlines of `text` drawn in `style` with its anchor at `pos`, as one `<g>` element,
/// or `None` when nothing shows (no outlines, or a transparent colour).
fn outline<S: BackendTextStyle>(text: &str, style: &S, pos: BackendCoord) -> Option<String> {
    let color: BackendColor = style.color();
    if color.alpha == 0.0 {
        return None;
    }
    let face = font::face(matches!(style.style(), FontStyle::Bold));
    let size = style.size() as f32;
    let scaled = face.as_scaled(size);
    // the layout box plotters' bitmap backend anchors by
    let mut width = 0f32;
    let mut prev = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        width += scaled.h_advance(id);
        if let Some(p) = prev {
            width += scaled.kern(p, id);
        }
        prev = Some(id);
    }
    let (width, height) = (width as i32, (size as f64 / 1.24) as i32);
    let dx = match style.anchor().h_pos {
        HPos::Left => 0,
        HPos::Right => -width,
        HPos::Center => -width / 2,
    };
    let dy = match style.anchor().v_pos {
        VPos::Top => 0,
        VPos::Center => -height / 2,
        VPos::Bottom => -height,
    };
    let transform = style.transform();
    // a point of the unrotated text (pixel edges at integers) on the page
    let place = |x: f64, y: f64| -> (f64, f64) {
        let (x, y) = (x + dx as f64, y + dy as f64);
        let (x, y) = match transform {
            FontTransform::None => (x, y),
            FontTransform::Rotate90 => (1.0 - y, x),
            FontTransform::Rotate180 => (1.0 - x, 1.0 - y),
            FontTransform::Rotate270 => (y, 1.0 - x),
        };
        (pos.0 as f64 + x, pos.1 as f64 + y)
    };
    let factor = scaled.scale_factor();
    let mut d = String::new();
    let mut x_shift = 0f32;
    let mut prev = None;
    for c in text.chars() {
        if let Some(p) = prev {
            x_shift += scaled.kern(scaled.glyph_id(p), scaled.glyph_id(c));
        }
        prev = Some(c);
        let glyph = scaled.scaled_glyph(c);
        let id = glyph.id;
        if let (Some(q), Some(shape)) = (scaled.outline_glyph(glyph), face.outline(id)) {
            let bounds = q.px_bounds();
            let y_shift = (size / 2.0 + bounds.min.y) as i32;
            let (ox, oy) = ((x_shift as i32) as f64 - bounds.min.x as f64, y_shift as f64 - bounds.min.y as f64);
            let at =
                |p: ab_glyph::Point| place(ox + (p.x * factor.horizontal) as f64, oy - (p.y * factor.vertical) as f64);
            write_curves(&mut d, &shape.curves, at);
        }
        x_shift += scaled.h_advance(scaled.glyph_id(c));
    }
    if d.is_empty() {
        return None;
    }
    let (r, g, b) = color.rgb;
    let opacity = if color.alpha < 1.0 { format!(" fill-opacity=\"{}\"", color.alpha) } else { String::new() };
    Some(format!(
        "<g aria-label=\"{}\"><path d=\"{}\" fill=\"#{r:02X}{g:02X}{b:02X}\"{opacity}/></g>\n",
        escaped(text),
        d.trim_end()
    ))
}

/// Appends a glyph's curves to path data `d`: a new subpath wherever a curve does not start
/// where the last one ended, each closed.
fn write_curves(d: &mut String, curves: &[OutlineCurve], at: impl Fn(ab_glyph::Point) -> (f64, f64)) {
    let mut end: Option<ab_glyph::Point> = None;
    let p = |d: &mut String, q: (f64, f64)| {
        let _ = write!(d, "{:.2} {:.2} ", q.0, q.1);
    };
    for curve in curves {
        let (start, last) = match curve {
            OutlineCurve::Line(a, b) => (*a, *b),
            OutlineCurve::Quad(a, _, c) => (*a, *c),
            OutlineCurve::Cubic(a, _, _, e) => (*a, *e),
        };
        if end != Some(start) {
            if end.is_some() {
                d.push_str("Z ");
            }
            d.push('M');
            p(d, at(start));
        }
        match curve {
            OutlineCurve::Line(_, b) => {
                d.push('L');
                p(d, at(*b));
            }
            OutlineCurve::Quad(_, b, c) => {
                d.push('Q');
                p(d, at(*b));
                p(d, at(*c));
            }
            OutlineCurve::Cubic(_, b, c, e) => {
                d.push('C');
                p(d, at(*b));
                p(d, at(*c));
                p(d, at(*e));
            }
        }
        end = Some(last);
    }
    if end.is_some() {
        d.push_str("Z ");
    }
}

impl DrawingBackend for OutlinedSvg<'_> {
    type ErrorType = <SVGBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let Some(group) = outline(text, style, pos) else { return Ok(()) };
        let mut outlines = self.outlines.borrow_mut();
        let stand_in = placeholder(outlines.len());
        outlines.push((text.to_string(), group));
        drop(outlines);
        self.inner.draw_text(&stand_in, style, pos)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.inner.estimate_text_size(text, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }
}
