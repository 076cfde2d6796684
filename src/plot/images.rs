//! Grids of images from `[N, C, H, W]` or `[N, H, W]` tensors, with values in
//! [-1, 1] or [0, 1] mapped to 0..255 and each image scaled up by whole pixels.

use super::figure::{draw_error, Frame};
use super::font::FAMILY;
use crate::error::Result;
use crate::tensor::Tensor;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The most images one grid shows (a 100 × 100 grid; more would be under a pixel each).
pub const MAX_IMAGES: usize = 10_000;

/// Images ready to draw: 8-bit RGB, all the same size.
#[derive(Clone, Debug)]
pub struct ImageGrid {
    /// One `h × w × 3` buffer per image.
    pixels: Vec<Vec<u8>>,
    /// Image height.
    h: usize,
    /// Image width.
    w: usize,
    /// Images per row.
    cols: usize,
}

impl ImageGrid {
    /// Images from a tensor (at most [`MAX_IMAGES`]); `range` is the value range mapped to black..white
    /// (`None`: [0, 1] if every value is ≥ 0, else [-1, 1]).
    pub fn from_tensor(t: &Tensor, cols: Option<usize>, range: Option<(f64, f64)>) -> Result<Self> {
        let (n, c, h, w) = match t.dims() {
            [n, c, h, w] if *c == 1 || *c == 3 => (*n, *c, *h, *w),
            [n, h, w] => (*n, 1, *h, *w),
            d => crate::bail!("images takes [N, C, H, W] with C = 1 or 3, or [N, H, W]; got shape {d:?}"),
        };
        if n == 0 || h == 0 || w == 0 {
            crate::bail!("there are no pixels to show in shape {:?}", t.dims());
        }
        if n > MAX_IMAGES {
            crate::bail!("a grid shows at most {MAX_IMAGES} images, got {n}: pass a part, such as x.narrow(0, 0, 64)");
        }
        crate::memory::check(n.saturating_mul(h).saturating_mul(w), 3 + 8 * c)?;
        let values = t.to_f64_vec()?;
        let (lo, hi) = range.unwrap_or(if values.iter().all(|&v| v >= 0.0) { (0.0, 1.0) } else { (-1.0, 1.0) });
        if lo.is_nan() || hi.is_nan() || hi <= lo {
            crate::bail!("the value range must increase, got [{lo}, {hi}]");
        }
        let to_byte = |v: f64| (((v - lo) / (hi - lo)).clamp(0.0, 1.0) * 255.0).round() as u8;
        let pixels = (0..n)
            .map(|i| {
                let mut buf = Vec::with_capacity(h * w * 3);
                for y in 0..h {
                    for x in 0..w {
                        for ch in 0..3 {
                            let src = if c == 1 { 0 } else { ch };
                            buf.push(to_byte(values[((i * c + src) * h + y) * w + x]));
                        }
                    }
                }
                buf
            })
            .collect();
        let cols = cols.unwrap_or_else(|| (n as f64).sqrt().ceil() as usize).clamp(1, n);
        Ok(Self { pixels, h, w, cols })
    }

    /// The number of images.
    pub fn len(&self) -> usize {
        self.pixels.len()
    }

    /// Whether there are no images (never, by construction).
    pub fn is_empty(&self) -> bool {
        self.pixels.is_empty()
    }

    /// Draws the grid centred in `area`, under the frame's title.
    pub fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, frame: &Frame) -> Result<()> {
        let area = if frame.title.is_empty() {
            area.clone()
        } else {
            area.titled(&frame.title, (FAMILY, 20.0 * frame.scale())).map_err(draw_error)?
        };
        let (aw, ah) = area.dim_in_pixel();
        let rows = self.len().div_ceil(self.cols);
        let gap = 2usize;
        let cell_w = (aw as usize).saturating_sub(gap * (self.cols + 1)) / (self.cols * self.w);
        let cell_h = (ah as usize).saturating_sub(gap * (rows + 1)) / (rows * self.h);
        let scale = cell_w.min(cell_h).max(1);
        let (tile_w, tile_h) = (self.w * scale + gap, self.h * scale + gap);
        let x0 = (aw as usize).saturating_sub(tile_w * self.cols - gap) / 2;
        let y0 = (ah as usize).saturating_sub(tile_h * rows - gap) / 2;
        for (k, img) in self.pixels.iter().enumerate() {
            crate::interrupt::check()?;
            let (ox, oy) = (x0 + (k % self.cols) * tile_w, y0 + (k / self.cols) * tile_h);
            for y in 0..self.h {
                for x in 0..self.w {
                    let p = &img[(y * self.w + x) * 3..][..3];
                    let (px, py) = ((ox + x * scale) as i32, (oy + y * scale) as i32);
                    let rect = Rectangle::new(
                        [(px, py), (px + scale as i32, py + scale as i32)],
                        RGBColor(p[0], p[1], p[2]).filled(),
                    );
                    area.draw(&rect).map_err(draw_error)?;
                }
            }
        }
        Ok(())
    }
}
