//! The display contract: a value that can be seen (a figure) becomes a [`Rich`]
//! item, and the front end shows it its own way — `difflab run` saves it to a
//! file, the REPL draws it inline or saves it, the kernel sends `display_data`.

use crate::plot::Figure;
use rhai::Dynamic;

/// A value ready to show: PNG, SVG when the value has one, and a text fallback.
#[derive(Clone, Debug)]
pub struct Rich {
    /// The PNG image.
    pub png: Vec<u8>,
    /// The SVG document, for front ends that prefer vectors.
    pub svg: Option<String>,
    /// What a text-only front end shows.
    pub text: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// The rich form of `value` when it is something to look at (a figure), else `None`.
pub fn rich(value: &Dynamic) -> Option<crate::Result<Rich>> {
    let fig = value.read_lock::<Figure>()?;
    Some(figure_rich(&fig))
}

/// A figure rendered for display.
pub fn figure_rich(fig: &Figure) -> crate::Result<Rich> {
    Ok(Rich {
        png: fig.png()?,
        svg: Some(fig.svg()?),
        text: fig.describe(),
        width: fig.frame.width,
        height: fig.frame.height,
    })
}
