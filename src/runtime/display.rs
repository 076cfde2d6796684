//! The display contract: a value that can be seen (a figure, an animation) becomes a
//! [`Rich`] item, and the front end shows it its own way — `difflab run` saves it to a
//! file, the REPL draws it inline or saves it, the kernel sends `display_data`.

use crate::plot::{animation::Animation, Figure};
use rhai::Dynamic;

/// A value ready to show: PNG (for an animation, its last frame), SVG or an animated GIF
/// when the value has one, and a text fallback.
#[derive(Clone, Debug)]
pub struct Rich {
    /// The PNG image.
    pub png: Vec<u8>,
    /// The SVG document, for front ends that prefer vectors.
    pub svg: Option<String>,
    /// The animated GIF of an animation, which front ends show instead of the PNG.
    pub gif: Option<Vec<u8>>,
    /// What a text-only front end shows.
    pub text: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// The rich form of `value` when it is something to look at (a figure, an animation), else `None`.
pub fn rich(value: &Dynamic) -> Option<crate::Result<Rich>> {
    if let Some(anim) = value.read_lock::<Animation>() {
        return Some(animation_rich(&anim));
    }
    let fig = value.read_lock::<Figure>()?;
    Some(figure_rich(&fig))
}

/// An animation rendered for display: the GIF, with its last frame as the still image.
pub fn animation_rich(anim: &Animation) -> crate::Result<Rich> {
    let (width, height) = anim.size();
    Ok(Rich { png: anim.last().png()?, svg: None, gif: Some(anim.gif()?), text: anim.describe(), width, height })
}

/// A figure rendered for display.
pub fn figure_rich(fig: &Figure) -> crate::Result<Rich> {
    Ok(Rich {
        png: fig.png()?,
        svg: Some(fig.svg()?),
        gif: None,
        text: fig.describe(),
        width: fig.frame.width,
        height: fig.frame.height,
    })
}
