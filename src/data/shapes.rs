//! A procedural image data set for quick image-model experiments: filled
//! circles, squares and rotated triangles on a dark background, drawn with
//! anti-aliased edges from the seeded generator.

use crate::error::Result;
use crate::tensor::{rng, Device, Tensor};
use rand::Rng;
use std::f64::consts::TAU;

/// The class names of [`shapes`], indexed by label.
pub const SHAPE_NAMES: [&str; 3] = ["circle", "square", "triangle"];

/// Sub-samples per pixel side when rasterising (4 × 4 per pixel).
const SUPERSAMPLE: usize = 4;

/// `n` grayscale images `f32` `[n, 1, size, size]` on the CPU, each one
/// filled shape (+1) on a background of -1 with anti-aliased edges, and their
/// labels `i64` `[n]`, indices into [`SHAPE_NAMES`].
///
/// Each image draws its class uniformly, an extent between 30% and 70% of
/// `size` (the circle's diameter, the square's side, the diameter of the
/// triangle's circumscribed circle), a centre that keeps the shape inside the
/// image, and for triangles a rotation. `size` must be at least 8. All
/// randomness comes from the seeded generator, so `seed(n)` fixes the set.
pub fn shapes(n: usize, size: usize) -> Result<(Tensor, Tensor)> {
    if size < 8 {
        crate::bail!("shapes: size must be at least 8 pixels, got {size}");
    }
    let pixels_per_image = crate::memory::elements(&[size, size])?;
    let mut pixels = crate::memory::filled(crate::memory::elements(&[n, size, size])?, 0f32)?;
    let mut labels = Vec::with_capacity(n);
    for image in pixels.chunks_exact_mut(pixels_per_image) {
        crate::interrupt::check()?;
        let shape = rng::with_rng(|r| {
            let class = r.random_range(0..SHAPE_NAMES.len());
            let radius = r.random_range(0.3..=0.7) * size as f64 / 2.0;
            let centre = (r.random_range(radius..=size as f64 - radius), r.random_range(radius..=size as f64 - radius));
            let angle = if class == 2 { r.random_range(0.0..TAU) } else { 0.0 };
            Shape { class, centre, radius, angle }
        });
        shape.rasterise(size, image);
        labels.push(shape.class as i64);
    }
    let images = candle_core::Tensor::from_vec(pixels, (n, 1, size, size), &Device::Cpu)?;
    let labels = candle_core::Tensor::from_vec(labels, n, &Device::Cpu)?;
    Ok((Tensor::from_candle(images), Tensor::from_candle(labels)))
}

/// One shape's parameters, in pixel coordinates (x right, y down; the image
/// covers `[0, size]` on both axes).
struct Shape {
    /// Index into [`SHAPE_NAMES`].
    class: usize,
    /// The centre `(x, y)`.
    centre: (f64, f64),
    /// Half the extent: the circle's radius, half the square's side, the
    /// triangle's circumradius.
    radius: f64,
    /// The triangle's rotation in radians (0: apex up).
    angle: f64,
}

impl Shape {
    /// Whether the point `(x, y)` lies inside the shape.
    fn contains(&self, x: f64, y: f64, triangle: &[(f64, f64); 3]) -> bool {
        let (dx, dy) = (x - self.centre.0, y - self.centre.1);
        match self.class {
            0 => dx * dx + dy * dy <= self.radius * self.radius,
            1 => dx.abs() <= self.radius && dy.abs() <= self.radius,
            _ => (0..3).all(|k| {
                let (a, b) = (triangle[k], triangle[(k + 1) % 3]);
                (b.0 - a.0) * (y - a.1) - (b.1 - a.1) * (x - a.0) >= 0.0
            }),
        }
    }

    /// Draws the shape into `out` (`size × size`, row-major): each pixel is
    /// -1 plus twice the fraction of its 4 × 4 sub-samples inside the shape.
    fn rasterise(&self, size: usize, out: &mut [f32]) {
        // The vertices go clockwise on screen (y down), so every edge has the
        // inside on the same side.
        let triangle = [0.0, 1.0, 2.0].map(|k: f64| {
            let a = self.angle + k * TAU / 3.0;
            (self.centre.0 + self.radius * a.sin(), self.centre.1 - self.radius * a.cos())
        });
        let step = 1.0 / SUPERSAMPLE as f64;
        for (index, pixel) in out.iter_mut().enumerate() {
            let (px, py) = ((index % size) as f64, (index / size) as f64);
            let mut inside = 0;
            for sy in 0..SUPERSAMPLE {
                for sx in 0..SUPERSAMPLE {
                    let (x, y) = (px + (sx as f64 + 0.5) * step, py + (sy as f64 + 0.5) * step);
                    inside += usize::from(self.contains(x, y, &triangle));
                }
            }
            *pixel = (2.0 * inside as f64 / (SUPERSAMPLE * SUPERSAMPLE) as f64 - 1.0) as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::DType;

    #[test]
    fn shapes_have_the_right_shape_range_and_labels() {
        rng::seed(5);
        let (x, y) = shapes(30, 32).unwrap();
        assert_eq!((x.dims(), x.dtype()), (&[30usize, 1, 32, 32][..], DType::F32));
        assert_eq!((y.dims(), y.dtype()), (&[30usize][..], DType::I64));
        let v = x.to_f64_vec().unwrap();
        assert!(v.iter().all(|p| (-1.0..=1.0).contains(p)));
        // Every image has background and shape; curved and slanted edges are anti-aliased
        // (a square's edges may fall exactly on pixel boundaries).
        let labels = y.to_f64_vec().unwrap();
        for (image, label) in v.chunks(1024).zip(&labels) {
            assert!(image.contains(&-1.0) && image.contains(&1.0));
            if *label != 1.0 {
                assert!(image.iter().any(|p| *p > -1.0 && *p < 1.0), "no edge pixels in a shape of class {label}");
            }
        }
        assert!(y.to_f64_vec().unwrap().iter().all(|l| [0.0, 1.0, 2.0].contains(l)));
        assert!(shapes(3, 7).unwrap_err().to_string().contains("at least 8"));
    }

    #[test]
    fn seeding_fixes_the_images() {
        rng::seed(11);
        let (a, la) = shapes(12, 12).unwrap();
        rng::seed(11);
        let (b, lb) = shapes(12, 12).unwrap();
        assert_eq!(a.to_f64_vec().unwrap(), b.to_f64_vec().unwrap());
        assert_eq!(la.to_f64_vec().unwrap(), lb.to_f64_vec().unwrap());
    }

    #[test]
    fn fixed_shapes_rasterise_inside_out() {
        let size = 16;
        let mut out = vec![0f32; size * size];
        for (class, name) in SHAPE_NAMES.iter().enumerate() {
            let shape = Shape { class, centre: (8.0, 8.0), radius: 5.0, angle: 0.3 };
            shape.rasterise(size, &mut out);
            assert_eq!(out[8 * size + 8], 1.0, "{name} centre");
            assert_eq!(out[0], -1.0, "{name} corner");
            assert_eq!(out[size * size - 1], -1.0, "{name} corner");
        }
        // The square is axis-aligned: exactly the pixels from 3 to 12 are filled.
        Shape { class: 1, centre: (8.0, 8.0), radius: 5.0, angle: 0.0 }.rasterise(size, &mut out);
        let filled = out.iter().filter(|p| **p == 1.0).count();
        assert_eq!(filled, 10 * 10);
    }
}
