//! What the page tests share: parsing a page as a browser would and checking the rules every
//! page keeps, hostile strings, and reading back the QR code a page draws.
//!
//! `scraper` (html5ever, the parser of Servo) reports parse errors as a browser would recover
//! from them, so "no parse error" is a fair test of well-formed HTML; `rqrr` decodes QR codes
//! from a bitmap in pure Rust, so the test reads the code from the page's own SVG.

use scraper::{ElementRef, Html, Selector};

/// Text that breaks a page that forgets to escape: a script element, and a quote that would
/// close an attribute and open an image with an event handler.
pub(crate) const HOSTILE: [&str; 2] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(2)>",
];

pub(crate) fn select<'a>(document: &'a Html, selector: &str) -> Vec<ElementRef<'a>> {
    let selector = Selector::parse(selector).unwrap();
    document.select(&selector).collect()
}

/// Parses a page and checks what every page must hold: no parse error, `lang="fr"`, the
/// viewport, `noindex`, the expected title, exactly one `h1`, no script nor event handler,
/// nothing loaded from elsewhere but the badge image, alt texts and labelled fields.
pub(crate) fn parse_page(html: &str, expected_title: &str) -> Html {
    let document = Html::parse_document(html);
    assert!(html.starts_with("<!DOCTYPE html>"), "doctype");
    assert!(
        document.errors.is_empty(),
        "parse errors: {:?}",
        document.errors
    );

    assert_eq!(select(&document, "html[lang=fr]").len(), 1, "lang=fr");
    assert_eq!(select(&document, "meta[charset=utf-8]").len(), 1, "charset");
    let viewport = select(&document, "meta[name=viewport]");
    assert_eq!(viewport.len(), 1, "viewport");
    assert!(viewport[0]
        .attr("content")
        .unwrap()
        .contains("width=device-width"));
    assert_eq!(
        select(&document, r#"meta[name=robots][content="noindex"]"#).len(),
        1
    );
    let titles = select(&document, "head > title");
    assert_eq!(titles.len(), 1);
    assert_eq!(
        titles[0].text().collect::<String>(),
        format!("{expected_title} — Écusson")
    );
    assert_eq!(select(&document, "h1").len(), 1, "one h1");
    assert_eq!(select(&document, "main").len(), 1, "one main");

    assert!(!html.to_ascii_lowercase().contains("<script"), "a script");
    assert!(select(&document, "script, link, iframe, object, embed, base").is_empty());
    for element in select(&document, "*") {
        for (name, value) in element.value().attrs() {
            assert!(!name.starts_with("on"), "event handler {name}={value}");
            if name == "href" || name == "src" {
                assert!(
                    value.starts_with("https://") || value.starts_with("http://"),
                    "{name}={value}"
                );
            }
        }
    }
    for image in select(&document, "img") {
        assert!(
            !image.attr("alt").unwrap_or_default().is_empty(),
            "alt text"
        );
    }
    for field in select(&document, "input, textarea") {
        let id = field.attr("id").expect("a field without id");
        assert_eq!(
            select(&document, &format!("label[for={id}]")).len(),
            1,
            "label of {id}"
        );
    }
    document
}

/// The text of an element as a reader sees it: the text of successive elements apart, and
/// runs of white space as one space.
pub(crate) fn words(element: ElementRef<'_>) -> String {
    let text = element.text().collect::<Vec<_>>().join(" ");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks that hostile text appears escaped, as text, and never as markup.
pub(crate) fn assert_escaped(html: &str, document: &Html) {
    assert!(!html.contains("<img src=x"), "raw hostile image");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "escaped script"
    );
    assert!(
        html.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"),
        "escaped quote"
    );
    assert!(select(document, "[onerror]").is_empty());
    let text: String = document.root_element().text().collect();
    assert!(
        text.contains(HOSTILE[0]),
        "the hostile text is shown as text"
    );
}

/// The text of the QR code drawn in the page's `svg.qr-code`, the page's only one.
pub(crate) fn decode_qr(document: &Html) -> String {
    let mut texts = decode_qr_codes(document);
    assert_eq!(texts.len(), 1, "one QR code");
    texts.remove(0)
}

/// The texts of the QR codes drawn in the page's `svg.qr-code`s, in page order: each SVG's
/// path (one `M x y` square per dark module, one unit per module) is rasterised four pixels
/// per module and decoded as a camera would.
pub(crate) fn decode_qr_codes(document: &Html) -> Vec<String> {
    let svgs = select(document, "svg.qr-code");
    svgs.iter()
        .map(|svg| {
            let size: usize = svg.attr("width").unwrap().parse().unwrap();
            let path = svg
                .select(&Selector::parse("path").unwrap())
                .next()
                .expect("a QR code's path");
            let mut dark = vec![false; size * size];
            for square in path.attr("d").unwrap().split('M').filter(|s| !s.is_empty()) {
                let corner = square.split('h').next().unwrap();
                let (x, y) = corner.split_once(' ').unwrap();
                let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
                dark[y * size + x] = true;
            }
            const SCALE: usize = 4;
            let mut image =
                rqrr::PreparedImage::prepare_from_bitmap(size * SCALE, size * SCALE, |x, y| {
                    dark[(y / SCALE) * size + x / SCALE]
                });
            let grids = image.detect_grids();
            assert_eq!(grids.len(), 1, "one QR code found");
            grids[0].decode().unwrap().1
        })
        .collect()
}
