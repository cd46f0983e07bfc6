//! Plain message pages (badge not found, link gone, …), in the same layout as the others.

use maud::html;

use crate::layout::page;

/// A page with `title` as its heading and `text` beneath it (line breaks kept).
pub fn render(title: &str, text: &str) -> String {
    page(
        title,
        html! {
            h1 { (title) }
            p.text { (text) }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::test_support::{assert_escaped, parse_page, select, words, HOSTILE};

    #[test]
    fn the_title_is_the_heading_and_the_text_follows() {
        let html = render(
            "Badge introuvable",
            "Vérifiez l'adresse ou scannez à nouveau le code.",
        );
        let document = parse_page(&html, "Badge introuvable");
        assert_eq!(words(select(&document, "h1")[0]), "Badge introuvable");
        assert_eq!(
            words(select(&document, "main p")[0]),
            "Vérifiez l'adresse ou scannez à nouveau le code."
        );
    }

    #[test]
    fn hostile_text_is_escaped() {
        let text = HOSTILE.join(" ");
        let html = render(&text, &text);
        let document = parse_page(&html, &text);
        assert_escaped(&html, &document);
    }
}
