//! Figures drawn with plotters and rendered to PNG and SVG with a font embedded
//! in the binary (DejaVu Sans), so plotting needs no system font: scatter,
//! line, histogram, 2-D density, image grids, sampler trajectories, and grids
//! of figures side by side.

pub mod chart;
pub mod figure;
pub mod font;
pub mod grid;
pub mod images;
pub mod palette;
pub mod series;

pub use chart::Chart;
pub use figure::{Figure, Frame, Kind};
