//! The font every figure uses, registered once from bytes embedded in the
//! binary: DejaVu Sans (Bitstream Vera licence, free to embed and redistribute). SVGs carry
//! its glyphs' outlines ([`super::svg_text`]), so they need no font either.

use ab_glyph::FontRef;
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

/// DejaVu Sans (bold or regular) for laying out and outlining text.
pub fn face(bold: bool) -> &'static FontRef<'static> {
    static FACES: OnceLock<[FontRef<'static>; 2]> = OnceLock::new();
    let faces = FACES.get_or_init(|| {
        // The embedded bytes are a valid TrueType font: parsing cannot fail.
        let parse = |bytes: &'static [u8]| FontRef::try_from_slice(bytes).expect("the embedded DejaVu Sans parses");
        [parse(dejavu::sans::regular()), parse(dejavu::sans::bold())]
    });
    &faces[bold as usize]
}
