//! QR codes as inline SVG, drawn by the `qrcode` crate.
//!
//! The code is part of the page (no image request, nothing external) and scales without blur
//! on screen and paper. One SVG unit is one module, with the standard quiet zone of four
//! modules, so the drawing stays small; CSS gives it its size.

use maud::{Markup, PreEscaped};
use qrcode::render::svg;
use qrcode::QrCode;

/// An inline `<svg>` of a QR code of `text`, labelled for screen readers; `None` when the text
/// is too long for a QR code (the page then shows the text alone).
pub(crate) fn inline_svg(text: &str, label: &str) -> Option<Markup> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let drawing = code
        .render::<svg::Color>()
        .module_dimensions(1, 1)
        .dark_color(svg::Color("#000"))
        .light_color(svg::Color("#fff"))
        .build();
    // The renderer writes a standalone document; inline SVG must not carry the XML prolog.
    let start = drawing.find("<svg")?;
    let label = maud::html! { (label) }.into_string();
    let element = drawing[start..].replacen(
        "<svg ",
        &format!(r#"<svg class="qr-code" role="img" aria-label="{label}" "#),
        1,
    );
    Some(PreEscaped(element))
}
