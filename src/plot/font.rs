//! The font every figure uses, registered once from bytes embedded in the
//! binary: DejaVu Sans (Bitstream Vera licence, free to embed and redistribute).

use std::sync::OnceLock;

/// The family name figures ask plotters for.
pub const FAMILY: &str = "sans-serif";

/// Registers DejaVu Sans under the families plotters may ask for; idempotent.
pub fn ensure_registered() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        use plotters::style::FontStyle;
        let regular = dejavu::sans::regular();
        let bold = dejavu::sans::bold();
        for family in ["sans-serif", "serif", "monospace"] {
            // The bytes are a valid TrueType font shipped with the binary: registration cannot fail.
            let _ = plotters::style::register_font(family, FontStyle::Normal, regular);
            let _ = plotters::style::register_font(family, FontStyle::Bold, bold);
        }
    });
}
