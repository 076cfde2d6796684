//! Figures drawn inside the terminal: the kitty graphics protocol, iTerm2's
//! inline images, or sixel — detected from the environment, chosen with
//! `--images`, or off (then figures are saved to files and their paths printed).

use crate::runtime::display::Rich;
use crate::runtime::output::{Output, Stdio};
use crate::runtime::save_figures::SaveFigures;
use base64::Engine;
use std::io::Write;

/// How figures are shown in the terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageMode {
    /// The kitty graphics protocol (kitty, WezTerm, Konsole, Ghostty).
    Kitty,
    /// iTerm2's inline images (iTerm2, WezTerm, mintty).
    Iterm,
    /// DEC sixel graphics (xterm -ti vt340, foot, mlterm, ...).
    Sixel,
    /// No inline images: save files.
    Off,
}

impl ImageMode {
    /// Parses `auto`, `kitty`, `iterm`, `sixel` or `off`; `auto` looks at the environment.
    pub fn parse(name: &str) -> crate::Result<Self> {
        Ok(match name {
            "auto" => Self::detect(|k| std::env::var(k).ok()),
            "kitty" => Self::Kitty,
            "iterm" | "iterm2" => Self::Iterm,
            "sixel" => Self::Sixel,
            "off" | "none" | "files" => Self::Off,
            other => crate::bail!("unknown image mode \"{other}\"; expected auto, kitty, iterm, sixel or off"),
        })
    }

    /// The mode a terminal supports, from its environment variables.
    pub fn detect(env: impl Fn(&str) -> Option<String>) -> Self {
        let term = env("TERM").unwrap_or_default();
        let program = env("TERM_PROGRAM").unwrap_or_default();
        if env("KITTY_WINDOW_ID").is_some() || term == "xterm-kitty" || term == "xterm-ghostty" || program == "ghostty"
        {
            Self::Kitty
        } else if program == "iTerm.app" || program == "WezTerm" || env("LC_TERMINAL").as_deref() == Some("iTerm2") {
            Self::Iterm
        } else if term.contains("sixel") || term == "foot" || term.starts_with("mlterm") {
            Self::Sixel
        } else {
            Self::Off
        }
    }
}

/// The escape sequences that draw a PNG with the kitty graphics protocol (chunks of 4096 base64 bytes).
pub fn kitty(png: &[u8]) -> String {
    let data = base64::engine::general_purpose::STANDARD.encode(png);
    let chunks: Vec<&str> = data.as_bytes().chunks(4096).map(|c| std::str::from_utf8(c).unwrap_or("")).collect();
    let mut out = String::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let more = u8::from(i + 1 < chunks.len());
        if i == 0 {
            out.push_str(&format!("\x1b_Ga=T,f=100,m={more};{chunk}\x1b\\"));
        } else {
            out.push_str(&format!("\x1b_Gm={more};{chunk}\x1b\\"));
        }
    }
    out
}

/// The escape sequence that draws a PNG inline in iTerm2.
pub fn iterm(png: &[u8]) -> String {
    let data = base64::engine::general_purpose::STANDARD.encode(png);
    format!("\x1b]1337;File=inline=1;size={};preserveAspectRatio=1:{data}\x07", png.len())
}

/// RGB pixels as DEC sixel graphics, quantised to the 6×6×6 colour cube.
pub fn sixel(rgb: &[u8], width: usize, height: usize) -> String {
    let level = |v: u8| (v as usize * 5 + 127) / 255;
    let index: Vec<usize> = rgb.chunks(3).map(|p| level(p[0]) * 36 + level(p[1]) * 6 + level(p[2])).collect();
    let mut out = format!("\x1bPq\"1;1;{width};{height}");
    for c in 0..216 {
        let pct = |l: usize| l * 100 / 5;
        out.push_str(&format!("#{c};2;{};{};{}", pct(c / 36), pct((c / 6) % 6), pct(c % 6)));
    }
    for band in (0..height).step_by(6) {
        let rows = (height - band).min(6);
        let mut used: Vec<usize> =
            (band..band + rows).flat_map(|y| index[y * width..(y + 1) * width].iter().copied()).collect();
        used.sort_unstable();
        used.dedup();
        for &c in &used {
            out.push_str(&format!("#{c}"));
            let mut run: Option<(u8, usize)> = None;
            let flush = |out: &mut String, run: Option<(u8, usize)>| {
                if let Some((ch, n)) = run {
                    if n > 3 {
                        out.push_str(&format!("!{n}{}", ch as char));
                    } else {
                        out.extend(std::iter::repeat_n(ch as char, n));
                    }
                }
            };
            for x in 0..width {
                let bits = (0..rows).filter(|&dy| index[(band + dy) * width + x] == c).fold(0u8, |b, dy| b | (1 << dy));
                let ch = 63 + bits;
                run = match run {
                    Some((prev, n)) if prev == ch => Some((prev, n + 1)),
                    other => {
                        flush(&mut out, other);
                        Some((ch, 1))
                    }
                };
            }
            flush(&mut out, run);
            out.push('$');
        }
        out.push('-');
    }
    out.push_str("\x1b\\");
    out
}

/// The REPL's output: text to the terminal, figures drawn inline or saved.
pub struct TerminalOutput {
    mode: ImageMode,
    files: SaveFigures,
}

impl TerminalOutput {
    /// Draws with `mode`; saves into `out_dir` when it cannot.
    pub fn new(mode: ImageMode, out_dir: std::path::PathBuf) -> Self {
        Self { mode, files: SaveFigures::new(out_dir) }
    }
}

impl Output for TerminalOutput {
    fn print(&self, text: &str) {
        Stdio.print(text);
    }

    fn eprint(&self, text: &str) {
        Stdio.eprint(text);
    }

    fn display(&self, item: &Rich) -> crate::Result<()> {
        if item.gif.is_some() {
            // terminals draw stills: an animation is saved and its path printed
            return self.files.display(item);
        }
        let escape = match self.mode {
            ImageMode::Kitty => kitty(&item.png),
            ImageMode::Iterm => iterm(&item.png),
            ImageMode::Sixel => {
                let img = image::load_from_memory(&item.png).map_err(|e| crate::Error::new(e.to_string()))?.to_rgb8();
                sixel(img.as_raw(), img.width() as usize, img.height() as usize)
            }
            ImageMode::Off => return self.files.display(item),
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{escape}");
        let _ = out.flush();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminals_are_recognised_from_their_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert_eq!(ImageMode::detect(env(&[("KITTY_WINDOW_ID", "1")])), ImageMode::Kitty);
        assert_eq!(ImageMode::detect(env(&[("TERM_PROGRAM", "iTerm.app")])), ImageMode::Iterm);
        assert_eq!(ImageMode::detect(env(&[("TERM", "foot")])), ImageMode::Sixel);
        assert_eq!(ImageMode::detect(env(&[("TERM", "xterm-256color")])), ImageMode::Off);
        assert!(ImageMode::parse("hologram").is_err());
    }

    #[test]
    fn escape_sequences_have_their_framing() {
        let k = kitty(&[1u8; 5000]);
        assert!(k.starts_with("\x1b_Ga=T,f=100,m=1;") && k.ends_with("\x1b\\") && k.contains("\x1b_Gm=0;"));
        assert!(iterm(b"png").starts_with("\x1b]1337;File=inline=1;size=3;"));
        // a 2×6 image: left column white, right column black
        let mut rgb = vec![];
        for _ in 0..6 {
            rgb.extend([255, 255, 255, 0, 0, 0]);
        }
        let s = sixel(&rgb, 2, 6);
        assert!(s.starts_with("\x1bPq\"1;1;2;6") && s.ends_with("-\x1b\\"));
        // colour 0 (black) fills the right column: `?` (empty) then `~` (all six rows)
        assert!(s.contains("#0?~$") && s.contains("#215~?$"), "{s}");
    }
}
