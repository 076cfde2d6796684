//! Figures side by side: a grid of panels, each drawn in its own cell.

use super::figure::{draw_error, Figure, Frame};
use super::font::FAMILY;
use crate::error::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Panels in rows of `cols`.
#[derive(Clone, Debug)]
pub struct Grid {
    panels: Vec<Figure>,
    cols: usize,
}

impl Grid {
    /// A grid of `panels`, `cols` per row (all in one row when `None`).
    pub fn new(panels: Vec<Figure>, cols: Option<usize>) -> Result<Self> {
        if panels.is_empty() {
            crate::bail!("grid needs at least one figure");
        }
        let cols = cols.unwrap_or(panels.len()).clamp(1, panels.len());
        Ok(Self { panels, cols })
    }

    /// The default size: each panel's own size, in rows and columns.
    pub fn natural_size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(self.cols) as u32;
        let w = self.panels.iter().map(|f| f.frame.width).max().unwrap_or(400);
        let h = self.panels.iter().map(|f| f.frame.height).max().unwrap_or(300);
        (w * self.cols as u32, h * rows)
    }

    /// The number of panels.
    pub fn len(&self) -> usize {
        self.panels.len()
    }

    /// Whether there are no panels (never, by construction).
    pub fn is_empty(&self) -> bool {
        self.panels.is_empty()
    }

    /// Draws every panel in its cell, under the frame's title.
    pub fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, frame: &Frame) -> Result<()> {
        let area = if frame.title.is_empty() {
            area.clone()
        } else {
            area.titled(&frame.title, (FAMILY, 22)).map_err(draw_error)?
        };
        let rows = self.panels.len().div_ceil(self.cols);
        for (panel, cell) in self.panels.iter().zip(area.split_evenly((rows, self.cols))) {
            panel.draw(&cell)?;
        }
        Ok(())
    }
}
