//! Figures side by side: a grid of panels, each drawn in its own cell, optionally sharing
//! their x or y axis (one range for all, its labels drawn once).

use super::chart;
use super::clip::Rect;
use super::figure::{draw_error, Figure, Frame, Kind};
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

/// Which axes the panels of a grid share.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shared {
    /// One x range for every chart; its ticks labelled only under the bottom panel of a column.
    pub x: bool,
    /// One y range for every chart; its ticks labelled only beside the left panel of a row.
    pub y: bool,
}

impl Grid {
    /// A grid of `panels`, `cols` per row (all in one row when `None`), sharing `shared` axes.
    pub fn new(mut panels: Vec<Figure>, cols: Option<usize>, shared: Shared) -> Result<Self> {
        if panels.is_empty() {
            crate::bail!("grid needs at least one figure");
        }
        let cols = cols.unwrap_or(panels.len()).clamp(1, panels.len());
        if shared.x || shared.y {
            share(&mut panels, cols, shared)?;
        }
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
            area.titled(&frame.title, (FAMILY, 22.0 * frame.scale())).map_err(draw_error)?
        };
        let rows = self.panels.len().div_ceil(self.cols);
        for (panel, cell) in self.panels.iter().zip(area.split_evenly((rows, self.cols))) {
            panel.draw(&cell)?;
        }
        Ok(())
    }
}

/// Gives every chart among `panels` the union of their ranges on the shared axes, and labels
/// those axes on the outer panels only.
fn share(panels: &mut [Figure], cols: usize, shared: Shared) -> Result<()> {
    let charts: Vec<usize> = (0..panels.len()).filter(|&i| matches!(panels[i].kind, Kind::Chart(_))).collect();
    let Some(&first) = charts.first() else { return Ok(()) };
    let (xlog, ylog) = (panels[first].frame.xlog, panels[first].frame.ylog);
    if charts.iter().any(|&i| (shared.x && panels[i].frame.xlog != xlog) || (shared.y && panels[i].frame.ylog != ylog))
    {
        crate::bail!("panels that share an axis must all be linear or all log on it");
    }
    let mut union: Option<Rect> = None;
    for &i in &charts {
        let Kind::Chart(c) = &panels[i].kind else { continue };
        let r = chart::ranges(c, &panels[i].frame)?;
        union = Some(match union {
            None => r,
            Some(u) => Rect { x: (u.x.0.min(r.x.0), u.x.1.max(r.x.1)), y: (u.y.0.min(r.y.0), u.y.1.max(r.y.1)) },
        });
    }
    let u = union.expect("at least one chart");
    let value = |log: bool, v: f64| if log { 10f64.powf(v) } else { v };
    let count = panels.len();
    for &i in &charts {
        let frame = &mut panels[i].frame;
        if shared.x {
            frame.xlim = Some((value(xlog, u.x.0), value(xlog, u.x.1)));
            // no panel below it in its column
            frame.show_xaxis = i + cols >= count;
        }
        if shared.y {
            frame.ylim = Some((value(ylog, u.y.0), value(ylog, u.y.1)));
            frame.show_yaxis = i % cols == 0;
        }
    }
    Ok(())
}
