//! Figures drawn with plotters and rendered to PNG and SVG with a font embedded
//! in the binary (DejaVu Sans), so plotting needs no system font: scatter,
//! line, histogram, 2-D density, image grids, sampler trajectories, grids
//! of figures side by side, and animated GIFs of a sampler's states.

pub mod animation;
pub mod chart;
pub mod clip;
pub mod decimate;
pub mod figure;
pub mod font;
pub mod grid;
pub mod images;
pub mod kinds;
mod legend;
pub mod marks;
pub mod palette;
pub mod series;
pub mod smooth;
pub mod ticks;

pub use chart::Chart;
pub use figure::{Figure, Frame, Kind};
