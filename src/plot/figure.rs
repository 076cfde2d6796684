//! A figure: what it shows ([`Kind`]) and how it is framed ([`Frame`]), rendered
//! to RGB pixels, PNG bytes or an SVG document.

use super::chart::{self, Chart};
use super::legend::Placement;
use super::overlay::Overlay;
use super::tick_format::TickFormat;
use super::ticks::TickChoice;
use super::{font, grid::Grid, images::ImageGrid};
use crate::error::{Error, Result};
use image::ImageEncoder;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Title, axis labels, limits, log axes, ticks, size and type scale, legend placement,
/// aspect, and the reference lines and notes drawn over a chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// The title above the plot.
    pub title: String,
    /// The x-axis label.
    pub xlabel: String,
    /// The y-axis label.
    pub ylabel: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The x range (from the data when `None`).
    pub xlim: Option<(f64, f64)>,
    /// The y range (from the data when `None`).
    pub ylim: Option<(f64, f64)>,
    /// A logarithmic x axis.
    pub xlog: bool,
    /// A logarithmic y axis.
    pub ylog: bool,
    /// Whether the x tick labels and title are drawn (a grid sharing x draws them once).
    pub show_xaxis: bool,
    /// Whether the y tick labels and title are drawn (a grid sharing y draws them once).
    pub show_yaxis: bool,
    /// Chosen x ticks (automatic when `None`).
    pub xticks: Option<TickChoice>,
    /// Chosen y ticks (automatic when `None`).
    pub yticks: Option<TickChoice>,
    /// The format of the x tick labels.
    pub xtick_format: Option<TickFormat>,
    /// The format of the y tick labels.
    pub ytick_format: Option<TickFormat>,
    /// The tick labels' size in points; axis titles, legend and title are drawn 1.25, 1.17
    /// and 1.67 times larger, and margins, line widths and markers grow with it.
    pub font_size: f64,
    /// Pixels per point: the dots per inch over 72 (1 when no `dpi` is given).
    pub px_per_pt: f64,
    /// Where the legend goes.
    pub legend: Placement,
    /// One data unit spans as many pixels on x as on y.
    pub equal_aspect: bool,
    /// Reference lines and text drawn over a chart.
    pub overlays: Vec<Overlay>,
}

impl Frame {
    /// The default tick label size in points.
    pub const FONT_SIZE: f64 = 12.0;

    /// How much larger than the default figure's every text, margin, line and marker is
    /// drawn: the tick labels' size in pixels over 12.
    pub fn scale(&self) -> f64 {
        self.font_size * self.px_per_pt / Self::FONT_SIZE
    }

    /// `points` in pixels.
    pub fn pixels(&self, points: f64) -> f64 {
        points * self.px_per_pt
    }
}

impl Default for Frame {
    fn default() -> Self {
        Self {
            title: String::new(),
            xlabel: String::new(),
            ylabel: String::new(),
            width: 640,
            height: 480,
            xlim: None,
            ylim: None,
            xlog: false,
            ylog: false,
            show_xaxis: true,
            show_yaxis: true,
            xticks: None,
            yticks: None,
            xtick_format: None,
            ytick_format: None,
            font_size: Self::FONT_SIZE,
            px_per_pt: 1.0,
            legend: Placement::Best,
            equal_aspect: false,
            overlays: vec![],
        }
    }
}

/// What a figure shows: a chart with axes, or a composite drawn by its own module.
#[derive(Clone, Debug)]
pub enum Kind {
    /// A 2-D chart: scatter, line, histogram, density or trajectories.
    Chart(Chart),
    /// A grid of images.
    Images(ImageGrid),
    /// Figures side by side.
    Grid(Grid),
}

impl From<Chart> for Kind {
    fn from(chart: Chart) -> Self {
        Kind::Chart(chart)
    }
}

/// The affine map from data to pixels of a 2-D chart (for tests and overlays).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mapping {
    /// Data x at the left and right of the plotting area.
    pub x: (f64, f64),
    /// Data y at the bottom and top.
    pub y: (f64, f64),
    /// Pixel columns of `x.0` and `x.1`.
    pub px: (i32, i32),
    /// Pixel rows of `y.0` and `y.1`.
    pub py: (i32, i32),
}

impl Mapping {
    /// The pixel of data point (x, y).
    pub fn pixel(&self, x: f64, y: f64) -> (i32, i32) {
        let fx = (x - self.x.0) / (self.x.1 - self.x.0);
        let fy = (y - self.y.0) / (self.y.1 - self.y.0);
        let col = self.px.0 as f64 + fx * (self.px.1 - self.px.0) as f64;
        let row = self.py.0 as f64 + fy * (self.py.1 - self.py.0) as f64;
        (col.round() as i32, row.round() as i32)
    }
}

/// A figure.
#[derive(Clone, Debug)]
pub struct Figure {
    /// What it shows.
    pub kind: Kind,
    /// How it is framed.
    pub frame: Frame,
}

/// A plotters error as a difflab error.
pub fn draw_error(e: impl std::fmt::Display) -> Error {
    Error::new(format!("cannot draw the figure: {e}"))
}

impl Figure {
    /// A figure of `kind` in `frame`.
    pub fn new(kind: Kind, frame: Frame) -> Result<Self> {
        let (w, h) = (frame.width, frame.height);
        if !(64..=8192).contains(&w) || !(64..=8192).contains(&h) {
            crate::bail!("the size must be between 64 and 8192 pixels a side, got {w}×{h}");
        }
        if let Kind::Chart(c) = &kind {
            chart::check_log_axes(c, &frame)?;
            chart::ranges(c, &frame)?;
        }
        Ok(Self { kind, frame })
    }

    /// A scatter plot of named `[N, 2]` point sets, each in its name's colour (the one a
    /// script's figures give that name), for Rust programs and evcxr notebooks:
    /// `Figure::scatter(&[("data", &data), ("heun", &x)], Frame::default())`.
    pub fn scatter(sets: &[(&str, &crate::tensor::Tensor)], frame: Frame) -> Result<Self> {
        let points = sets
            .iter()
            .map(|(label, t)| {
                Ok(super::series::Points {
                    label: label.to_string(),
                    xy: super::series::xy_of(t, &format!("the set {label:?}"))?,
                    color: (!label.is_empty()).then(|| super::palette::for_name(label)),
                    alpha: 0.7,
                    size: 2,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Self::new(Chart::Scatter(points).into(), frame)
    }

    /// Draws into any plotters area; returns the data-to-pixel map of a 2-D chart.
    pub fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<Option<Mapping>> {
        match &self.kind {
            Kind::Images(grid) => grid.draw(area, &self.frame).map(|_| None),
            Kind::Grid(grid) => grid.draw(area, &self.frame).map(|_| None),
            Kind::Chart(c) => chart::draw(c, &self.frame, area).map(Some),
        }
    }

    /// The figure as RGB pixels (`width × height × 3`), with its data-to-pixel map.
    pub fn render_rgb(&self) -> Result<(Vec<u8>, Option<Mapping>)> {
        font::ensure_registered();
        let (w, h) = (self.frame.width, self.frame.height);
        let mut buf = vec![255u8; (w * h * 3) as usize];
        let mapping = {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            root.fill(&WHITE).map_err(draw_error)?;
            let m = self.draw(&root)?;
            root.present().map_err(draw_error)?;
            m
        };
        Ok((buf, mapping))
    }

    /// The figure as PNG bytes.
    pub fn png(&self) -> Result<Vec<u8>> {
        let (buf, _) = self.render_rgb()?;
        encode_png(&buf, self.frame.width, self.frame.height)
    }

    /// The figure as an SVG document, its text as the glyph outlines the PNG shows.
    pub fn svg(&self) -> Result<String> {
        font::ensure_registered();
        let mut out = String::new();
        let outlines = super::svg_text::Outlines::default();
        {
            let size = (self.frame.width, self.frame.height);
            let root = super::svg_text::OutlinedSvg::new(&mut out, size, outlines.clone()).into_drawing_area();
            root.fill(&WHITE).map_err(draw_error)?;
            self.draw(&root)?;
            root.present().map_err(draw_error)?;
        }
        let outlines = outlines.borrow();
        Ok(super::svg_text::put_in_place(&out, &outlines))
    }

    /// Writes the figure to `path`: PNG or SVG by the extension. Missing folders are created.
    pub fn save(&self, path: &Path) -> Result<()> {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_lowercase);
        let bytes = match ext.as_deref() {
            Some("png") => self.png()?,
            Some("svg") => self.svg()?.into_bytes(),
            _ => crate::bail!("{}: the file name must end in .png or .svg", path.display()),
        };
        crate::atomic_file::write_atomically(path, &bytes)
    }

    /// A one-line description.
    pub fn describe(&self) -> String {
        let what = match &self.kind {
            Kind::Chart(c) => c.describe(),
            Kind::Images(g) => format!("grid of {} images", g.len()),
            Kind::Grid(g) => format!("grid of {} figures", g.len()),
        };
        let title = if self.frame.title.is_empty() { String::new() } else { format!(" \"{}\"", self.frame.title) };
        format!("figure{title}: {what}, {}×{} px", self.frame.width, self.frame.height)
    }

    /// The text evcxr reads as rich output: the base64 PNG between
    /// `EVCXR_BEGIN_CONTENT image/png` and `EVCXR_END_CONTENT`.
    pub fn evcxr_content(&self) -> Result<String> {
        use base64::Engine;
        Ok(format!(
            "EVCXR_BEGIN_CONTENT image/png\n{}\nEVCXR_END_CONTENT",
            base64::engine::general_purpose::STANDARD.encode(self.png()?)
        ))
    }

    /// evcxr's display convention: with `:dep difflab` in an evcxr notebook, a
    /// figure that ends a cell is shown inline.
    pub fn evcxr_display(&self) {
        match self.evcxr_content() {
            Ok(text) => println!("{text}"),
            Err(e) => println!("{e}"),
        }
    }
}

/// Encodes RGB pixels as PNG.
pub fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(rgb, width, height, image::ExtendedColorType::Rgb8)
        .map_err(|e| Error::new(format!("cannot encode PNG: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::palette::TAB10;
    use crate::plot::series;

    fn scatter(sets: Vec<(Vec<(f64, f64)>, &str)>) -> Figure {
        let series = sets
            .into_iter()
            .map(|(xy, label)| series::Points { label: label.into(), xy, color: None, alpha: 1.0, size: 5 })
            .collect();
        Figure::new(Chart::Scatter(series).into(), Frame { width: 400, height: 300, ..Frame::default() }).unwrap()
    }

    #[test]
    fn scatter_points_land_on_their_pixels_in_their_colour() {
        let blue = vec![(0.0, 0.0), (1.0, 1.0), (2.0, 0.5)];
        let orange = vec![(0.5, 1.5), (1.5, -0.5)];
        let fig = scatter(vec![(blue.clone(), ""), (orange.clone(), "")]);
        let (rgb, mapping) = fig.render_rgb().unwrap();
        let m = mapping.expect("a scatter has a data-to-pixel map");
        let pixel = |x: f64, y: f64| {
            let (c, r) = m.pixel(x, y);
            let i = ((r as u32 * 400 + c as u32) * 3) as usize;
            (rgb[i], rgb[i + 1], rgb[i + 2])
        };
        for (x, y) in blue {
            assert_eq!(pixel(x, y), (TAB10[0].0, TAB10[0].1, TAB10[0].2), "blue point ({x}, {y})");
        }
        for (x, y) in orange {
            assert_eq!(pixel(x, y), (TAB10[1].0, TAB10[1].1, TAB10[1].2), "orange point ({x}, {y})");
        }
        // a spot far from every point stays background
        let (r, g, b) = pixel(1.9, 1.4);
        assert!(r > 200 && g > 200 && b > 200, "background at an empty spot: {:?}", (r, g, b));
    }

    #[test]
    fn png_and_svg_encodings_and_the_evcxr_convention() {
        let fig = scatter(vec![(vec![(0.0, 0.0), (1.0, 1.0)], "pts")]);
        let png = fig.png().unwrap();
        let decoded = image::load_from_memory(&png).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (400, 300));
        let svg = fig.svg().unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("pts"), "the legend text is in the SVG");
        let evcxr = fig.evcxr_content().unwrap();
        assert!(
            evcxr.starts_with("EVCXR_BEGIN_CONTENT image/png\niVBORw0KGgo") && evcxr.ends_with("\nEVCXR_END_CONTENT")
        );
        assert!(Figure::new(Chart::Scatter(vec![]).into(), Frame { width: 10, ..Frame::default() }).is_err());
    }
}
