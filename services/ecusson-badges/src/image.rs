//! The image of a badge class, drawn from what the ledger knows of it (its name, its pathway, its
//! skill type): the ledger stores no uploaded artwork yet, and Open Badges wants an image for
//! every badge class (OB 2.0 `image`, OB 3.0 `Achievement.image`) and an image to bake an award
//! into.
//!
//! Two forms of the same emblem: an SVG with the name written on it (for pages, and to bake into
//! as SVG), and a PNG of the emblem alone, rasterised with `tiny-skia` (for places that only take
//! bitmaps, and to bake into as PNG). The shape says the skill type (a shield for savoir-faire, a
//! medallion for savoir-être), the colour says the pathway, so that the badges of one pathway look
//! related.
//!
//! Pure and deterministic: the same facts give the same bytes (no clock, no randomness; the PNG
//! encoder writes no time chunk), so an image can be regenerated on demand and cached by content.

use sha2::{Digest, Sha256};
use tiny_skia::{FillRule, Paint, Path, PathBuilder, Pixmap, Stroke, Transform};

/// The side of the SVG's `viewBox`; the PNG's geometry is the same, scaled.
const CANVAS: f32 = 512.0;

/// At most this many lines of the name are written; the rest is cut with an ellipsis.
const MAX_LINES: usize = 3;

/// The kind of skill a badge class recognises (mirrors the domain's `SkillType`; this crate does
/// not depend on the domain, the application maps one to the other).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SkillType {
    /// Know-how tied to work positions: drawn as a shield.
    SavoirFaire,
    /// Soft skills: drawn as a round medallion.
    SavoirEtre,
}

/// What the image is drawn from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadgeClassFacts {
    pub name: String,
    /// Anything stable that names the pathway (its identifier is best: a renamed pathway keeps
    /// its colour). Only its hash is used.
    pub pathway: String,
    pub skill_type: SkillType,
}

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgb {
    pub red: u8,
    pub green: u8,
    pub blue: u8,
}

impl Rgb {
    const fn new(red: u8, green: u8, blue: u8) -> Rgb {
        Rgb { red, green, blue }
    }

    /// `#rrggbb`, as SVG writes it.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.red, self.green, self.blue)
    }
}

/// The colours a pathway may get. All dark enough for white text at the contrast ratio WCAG asks
/// of normal text (4.5:1, checked by a test), since the SVG writes the name in white on them.
pub const PATHWAY_PALETTE: [Rgb; 8] = [
    Rgb::new(0x1f, 0x4e, 0x79), // deep blue
    Rgb::new(0x2e, 0x6b, 0x30), // green
    Rgb::new(0x9a, 0x34, 0x12), // rust
    Rgb::new(0x6a, 0x1b, 0x9a), // purple
    Rgb::new(0x00, 0x69, 0x5c), // teal
    Rgb::new(0xad, 0x14, 0x57), // raspberry
    Rgb::new(0x5d, 0x40, 0x37), // brown
    Rgb::new(0x28, 0x35, 0x93), // indigo
];

/// The colour of the emblem's outline ring and of the name.
const INK: Rgb = Rgb::new(0xff, 0xff, 0xff);

/// The colour of a pathway: a hash, so that it needs no table and every node agrees.
pub fn pathway_colour(pathway: &str) -> Rgb {
    let digest = Sha256::digest(pathway.as_bytes());
    PATHWAY_PALETTE[usize::from(digest[0]) % PATHWAY_PALETTE.len()]
}

/// Why a PNG could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("a PNG side of {0} pixels is outside {MIN_PNG_SIDE}..={MAX_PNG_SIDE}")]
    InvalidSize(u32),
    #[error("the PNG could not be encoded: {0}")]
    Encoding(String),
}

/// Smallest PNG side drawn: below it the emblem is a smudge.
pub const MIN_PNG_SIDE: u32 = 16;
/// Largest PNG side drawn: 2048² RGBA is 16 MiB of pixels, plenty for a badge.
pub const MAX_PNG_SIDE: u32 = 2048;

/// The badge class image as SVG: a square `viewBox`, a `<title>` with the name (what screen
/// readers say), the emblem in the pathway's colour and the name written on it.
pub fn badge_class_svg(facts: &BadgeClassFacts) -> String {
    let colour = pathway_colour(&facts.pathway).hex();
    let ink = INK.hex();
    let name = xml_text(&facts.name);
    let emblem = match facts.skill_type {
        SkillType::SavoirFaire => format!(r#"<path d="{}""#, shield_svg_path()),
        SkillType::SavoirEtre => format!(
            r#"<circle cx="{c}" cy="{c}" r="{r}""#,
            c = CANVAS / 2.0,
            r = MEDALLION_RADIUS
        ),
    };
    let lines = layout_name(&name);
    let text = name_text(&lines);
    let (ring_scale, ring_offset) = (RING_SCALE, CANVAS / 2.0 * (1.0 - RING_SCALE));
    format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" "#,
            r#"width="{size}" height="{size}" role="img" xml:lang="fr">"#,
            // The first `<title>` is the image's accessible name (no `id`: two badges inlined
            // in one page would repeat it).
            r#"<title>{title}</title>"#,
            r#"{emblem} fill="{colour}"/>"#,
            r#"<g transform="translate({offset} {offset}) scale({scale})">"#,
            r#"{emblem} fill="none" stroke="{ink}" stroke-width="{ring_width}"/></g>"#,
            r#"{text}</svg>"#,
        ),
        size = CANVAS,
        title = escape_xml(&name),
        emblem = emblem,
        colour = colour,
        offset = ring_offset,
        scale = ring_scale,
        ink = ink,
        ring_width = RING_WIDTH / RING_SCALE,
        text = text,
    )
}

/// The emblem alone as a PNG of `side` × `side` pixels (transparent around the emblem). No text:
/// a rasteriser with fonts would make the bytes depend on the fonts installed.
pub fn badge_class_png(facts: &BadgeClassFacts, side: u32) -> Result<Vec<u8>, ImageError> {
    if !(MIN_PNG_SIDE..=MAX_PNG_SIDE).contains(&side) {
        return Err(ImageError::InvalidSize(side));
    }
    let mut pixmap = Pixmap::new(side, side).ok_or(ImageError::InvalidSize(side))?;
    let shape = match facts.skill_type {
        SkillType::SavoirFaire => shield_path(),
        SkillType::SavoirEtre => {
            PathBuilder::from_circle(CANVAS / 2.0, CANVAS / 2.0, MEDALLION_RADIUS)
        }
    }
    // The geometry is made of constants; a failure here is a bug, not an input.
    .ok_or_else(|| ImageError::Encoding("the emblem's outline is empty".to_owned()))?;
    let scale = side as f32 / CANVAS;
    let to_pixels = Transform::from_scale(scale, scale);

    let mut paint = Paint::default();
    let colour = pathway_colour(&facts.pathway);
    paint.set_color_rgba8(colour.red, colour.green, colour.blue, 0xff);
    pixmap.fill_path(&shape, &paint, FillRule::Winding, to_pixels, None);

    paint.set_color_rgba8(INK.red, INK.green, INK.blue, 0xff);
    let ring = to_pixels
        .pre_translate(
            CANVAS / 2.0 * (1.0 - RING_SCALE),
            CANVAS / 2.0 * (1.0 - RING_SCALE),
        )
        .pre_scale(RING_SCALE, RING_SCALE);
    let stroke = Stroke {
        width: RING_WIDTH / RING_SCALE,
        ..Stroke::default()
    };
    pixmap.stroke_path(&shape, &paint, &stroke, ring, None);

    pixmap
        .encode_png()
        .map_err(|error| ImageError::Encoding(error.to_string()))
}

/// The white ring inside the emblem is the emblem's outline shrunk by this factor about the
/// centre, drawn this wide (in `viewBox` units). Both are exact in binary, so the SVG's numbers
/// print short (`scale(0.875)`, `translate(32 32)`, `stroke-width="8"`).
const RING_SCALE: f32 = 0.875;
const RING_WIDTH: f32 = 7.0;
const MEDALLION_RADIUS: f32 = 232.0;

/// The shield's outline, in `viewBox` units, shared by the SVG and the PNG so that both show the
/// same shape.
enum Segment {
    Move(f32, f32),
    Line(f32, f32),
    Cubic(f32, f32, f32, f32, f32, f32),
}

const SHIELD: [Segment; 7] = [
    Segment::Move(256.0, 24.0),
    Segment::Line(456.0, 92.0),
    Segment::Line(456.0, 236.0),
    Segment::Cubic(456.0, 372.0, 368.0, 448.0, 256.0, 492.0),
    Segment::Cubic(144.0, 448.0, 56.0, 372.0, 56.0, 236.0),
    Segment::Line(56.0, 92.0),
    Segment::Line(256.0, 24.0),
];

fn shield_svg_path() -> String {
    let mut path = String::new();
    for segment in &SHIELD {
        let part = match *segment {
            Segment::Move(x, y) => format!("M{x} {y}"),
            Segment::Line(x, y) => format!("L{x} {y}"),
            Segment::Cubic(x1, y1, x2, y2, x, y) => format!("C{x1} {y1} {x2} {y2} {x} {y}"),
        };
        path.push_str(&part);
    }
    path.push('Z');
    path
}

fn shield_path() -> Option<Path> {
    let mut builder = PathBuilder::new();
    for segment in &SHIELD {
        match *segment {
            Segment::Move(x, y) => builder.move_to(x, y),
            Segment::Line(x, y) => builder.line_to(x, y),
            Segment::Cubic(x1, y1, x2, y2, x, y) => builder.cubic_to(x1, y1, x2, y2, x, y),
        }
    }
    builder.close();
    builder.finish()
}

/// Line widths tried in turn, in characters: the first that fits the name in [`MAX_LINES`]
/// lines is used (about 14 fit at the base font size; longer lines get a smaller font).
const LINE_CHARACTERS: [usize; 3] = [14, 18, 22];
const BASE_FONT_SIZE: f32 = 46.0;
/// The usable width for the name inside the emblem, in `viewBox` units.
const TEXT_WIDTH: f32 = 300.0;
/// A glyph of a bold sans-serif font is about this wide, in ems: an estimate on the wide side
/// (DejaVu Sans Bold, a common fallback, averages about 0.62 on French text), since no font is
/// measured here.
const GLYPH_WIDTH_EM: f32 = 0.62;

/// The `<text>` element: one `<tspan>` per line, centred on the emblem; the font shrinks when a
/// single word is longer than a line.
fn name_text(lines: &[String]) -> String {
    let longest = lines
        .iter()
        .map(|line| line.chars().count())
        .max()
        .unwrap_or(0)
        .max(1);
    let fitting = TEXT_WIDTH / (longest as f32 * GLYPH_WIDTH_EM);
    let font_size = BASE_FONT_SIZE.min(fitting).floor().max(12.0);
    let line_height = (font_size * 1.2).round();
    // The block of lines is centred vertically, a little above the middle for the shield's
    // point. `dominant-baseline` is not used: renderers disagree on it.
    let block = line_height * (lines.len() as f32 - 1.0);
    let first_baseline = (CANVAS / 2.0 - block / 2.0 + font_size * 0.35).round();
    let mut text = format!(
        concat!(
            r#"<text x="{centre}" y="{first}" font-family="Marianne, Arial, Helvetica, sans-serif" "#,
            r#"font-size="{size}" font-weight="bold" fill="{ink}" text-anchor="middle">"#,
        ),
        centre = CANVAS / 2.0,
        first = first_baseline,
        size = font_size,
        ink = INK.hex(),
    );
    for (index, line) in lines.iter().enumerate() {
        let dy = if index == 0 { 0.0 } else { line_height };
        text.push_str(&format!(
            r#"<tspan x="{}" dy="{}">{}</tspan>"#,
            CANVAS / 2.0,
            dy,
            escape_xml(line)
        ));
    }
    text.push_str("</text>");
    text
}

/// The name's lines: the narrowest width that holds it all, else the widest, cut.
fn layout_name(name: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for width in LINE_CHARACTERS {
        lines = wrap_name(name, width);
        if !lines.last().is_some_and(|line| line.ends_with(ELLIPSIS)) {
            break;
        }
    }
    lines
}

const ELLIPSIS: char = '…';

/// Greedy word wrap to `width` characters, at most [`MAX_LINES`] lines; what does not fit ends
/// the last line with an ellipsis. A word longer than a line keeps a line of its own (the font
/// shrinks for it rather than cutting a word).
fn wrap_name(name: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in name.split_whitespace() {
        let fits =
            current.is_empty() || current.chars().count() + 1 + word.chars().count() <= width;
        if fits {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        } else if lines.len() + 1 == MAX_LINES {
            // The last line is full and words remain.
            current.push(ELLIPSIS);
            lines.push(current);
            return lines;
        } else {
            lines.push(std::mem::replace(&mut current, word.to_owned()));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// The name as XML may carry it: characters XML 1.0 forbids (most control characters, U+FFFE,
/// U+FFFF) are dropped, since an escaped form does not exist for them.
fn xml_text(text: &str) -> String {
    text.chars()
        .filter(|character| is_xml_char(*character))
        .collect()
}

/// XML 1.0's `Char` production.
pub(crate) fn is_xml_char(character: char) -> bool {
    matches!(character,
        '\u{9}' | '\u{A}' | '\u{D}'
        | '\u{20}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

fn escape_xml(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::{layout_name, wrap_name};

    #[test]
    fn a_name_wraps_on_words_and_is_cut_after_three_lines() {
        assert_eq!(wrap_name("Soudure", 14), vec!["Soudure"]);
        assert_eq!(
            wrap_name("Respecter les horaires de travail", 14),
            vec!["Respecter les", "horaires de", "travail"]
        );
        let long = wrap_name(
            "Utiliser les outils numériques du quotidien au travail et ailleurs",
            14,
        );
        assert_eq!(long.len(), 3);
        assert!(long[2].ends_with('…'), "{long:?}");
        assert_eq!(
            wrap_name("Anticonstitutionnellement", 14),
            vec!["Anticonstitutionnellement"]
        );
        // Too long for three lines of 14: wider lines (and a smaller font) rather than a cut.
        assert_eq!(
            layout_name("Conduire un chariot élévateur en sécurité"),
            vec!["Conduire un", "chariot élévateur", "en sécurité"]
        );
    }
}
