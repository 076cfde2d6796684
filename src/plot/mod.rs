//! Figures drawn with plotters and rendered to PNG and SVG with a font embedded
//! in the binary (DejaVu Sans; SVGs carry its glyph outlines), so plotting needs no
//! system font: scatter, line (with error bars, line styles and markers), histogram,
//! 2-D density, image grids, sampler trajectories, grids of figures side by side, and
//! animated GIFs of a sampler's states; chosen ticks, reference lines, notes, sizes in
//! inches at a DPI, and equal aspect.

pub mod animation;
pub mod chart;
pub mod clip;
pub mod dash;
pub mod decimate;
pub mod figure;
pub mod font;
pub mod grid;
pub mod images;
pub mod kinds;
pub mod legend;
pub mod marks;
pub mod overlay;
pub mod palette;
pub mod series;
pub mod smooth;
pub mod style;
pub mod svg_text;
pub mod tick_format;
pub mod ticks;

pub use chart::Chart;
pub use figure::{Figure, Frame, Kind};
