//! Animations: a sequence of figures on the same axes (points moving from noise to data
//! through a sampler's states), encoded as an animated GIF that loops. The last frame stays a
//! while so the final samples can be seen.

use super::figure::{draw_error, Figure};
use crate::error::{Error, Result};
use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, RgbaImage};
use std::path::Path;
use std::time::Duration;

/// Frames shown one after the other.
#[derive(Clone, Debug)]
pub struct Animation {
    frames: Vec<Figure>,
    fps: f64,
    hold: f64,
    title: String,
}

impl Animation {
    /// `frames` (the same size) at `fps` frames a second, the last one held `hold` seconds;
    /// `title` names the whole.
    pub fn new(frames: Vec<Figure>, fps: f64, hold: f64, title: &str) -> Result<Self> {
        let Some(first) = frames.first() else { crate::bail!("an animation needs at least one frame") };
        let size = (first.frame.width, first.frame.height);
        if frames.iter().any(|f| (f.frame.width, f.frame.height) != size) {
            crate::bail!("every frame of an animation must have the same size");
        }
        if !(fps > 0.0 && fps <= 100.0) {
            crate::bail!("fps must be in (0, 100], got {fps}");
        }
        if !(0.0..=60.0).contains(&hold) {
            crate::bail!("hold must be between 0 and 60 seconds, got {hold}");
        }
        Ok(Self { frames, fps, hold, title: title.to_string() })
    }

    /// The number of frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether there are no frames (never, by construction).
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.frames[0].frame.width, self.frames[0].frame.height)
    }

    /// The last frame, as a still figure.
    pub fn last(&self) -> &Figure {
        &self.frames[self.frames.len() - 1]
    }

    /// The animated GIF. Each frame is rendered and quantised in turn; an interrupt stops it.
    pub fn gif(&self) -> Result<Vec<u8>> {
        let (w, h) = self.size();
        let mut out = Vec::new();
        {
            let mut encoder = GifEncoder::new_with_speed(&mut out, 10);
            encoder.set_repeat(Repeat::Infinite).map_err(draw_error)?;
            for (i, fig) in self.frames.iter().enumerate() {
                crate::interrupt::check()?;
                let (rgb, _) = fig.render_rgb()?;
                let rgba: Vec<u8> = rgb.chunks(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect();
                let image = RgbaImage::from_raw(w, h, rgba).ok_or_else(|| Error::new("a frame has the wrong size"))?;
                let seconds = if i + 1 == self.frames.len() { 1.0 / self.fps + self.hold } else { 1.0 / self.fps };
                let delay = Delay::from_saturating_duration(Duration::from_secs_f64(seconds));
                encoder.encode_frame(Frame::from_parts(image, 0, 0, delay)).map_err(draw_error)?;
            }
        }
        Ok(out)
    }

    /// Writes the GIF to `path` (which must end in `.gif`), creating missing folders.
    pub fn save(&self, path: &Path) -> Result<()> {
        if path.extension().and_then(|e| e.to_str()).map(str::to_lowercase).as_deref() != Some("gif") {
            crate::bail!("{}: an animation is saved as .gif", path.display());
        }
        let bytes = self.gif()?;
        crate::atomic_file::write_atomically(path, &bytes)
    }

    /// A one-line description.
    pub fn describe(&self) -> String {
        let (w, h) = self.size();
        let title = if self.title.is_empty() { String::new() } else { format!(" \"{}\"", self.title) };
        format!("animation{title}: {} frames at {} fps, {w}×{h} px", self.len(), self.fps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::{series::Points, Chart, Frame};

    fn frame(x: f64) -> Figure {
        let pts = Points { label: String::new(), xy: vec![(x, 0.5)], color: None, alpha: 1.0, size: 4 };
        let f = Frame { width: 120, height: 90, xlim: Some((0.0, 1.0)), ylim: Some((0.0, 1.0)), ..Frame::default() };
        Figure::new(Chart::Scatter(vec![pts]).into(), f).unwrap()
    }

    #[test]
    fn frames_become_a_looping_gif() {
        let a = Animation::new((0..4).map(|i| frame(0.2 * i as f64)).collect(), 8.0, 0.5, "moving").unwrap();
        let gif = a.gif().unwrap();
        assert!(gif.starts_with(b"GIF89a"), "a GIF");
        let decoder = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(&gif)).unwrap();
        let frames = image::AnimationDecoder::into_frames(decoder).collect_frames().unwrap();
        assert_eq!(frames.len(), 4);
        assert_eq!(frames[0].buffer().dimensions(), (120, 90));
        let ms = |f: &image::Frame| {
            let (n, d) = f.delay().numer_denom_ms();
            n as f64 / d as f64
        };
        // GIF delays are whole hundredths: 125 ms and 625 ms round to either side
        assert!((120.0..=130.0).contains(&ms(&frames[0])) && (620.0..=630.0).contains(&ms(&frames[3])));
        assert_eq!(a.describe(), "animation \"moving\": 4 frames at 8 fps, 120×90 px");
        assert!(
            Animation::new(vec![], 8.0, 0.0, "").is_err() && Animation::new(vec![frame(0.1)], 0.0, 0.0, "").is_err()
        );
        assert!(a.save(Path::new("x.png")).is_err());
    }
}
