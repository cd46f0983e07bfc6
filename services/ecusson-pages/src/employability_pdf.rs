//! The employability report as a PDF (A4), from the same view as the page: what a worker
//! prints for an interview or sends by e-mail, and what an employer files.
//!
//! `krilla` (the PDF writer of the Typst project, pure Rust) writes the file: it embeds and
//! subsets the font, writes the text so that it can be searched, copied and read aloud, and
//! makes the links and QR codes clickable. The font is DejaVu Sans (regular and bold), kept in
//! the repository (`fonts/`, with its licence) and built into the binary: it covers the
//! accents of French and the Latin, Greek and Cyrillic names workers bring, and the PDF looks
//! the same on every machine without any system font.
//!
//! The layout is computed first, page by page, as a list of drawing operations (text lines,
//! QR code modules, link areas), then drawn: the layout is a pure function of the view, and the
//! same view gives the same bytes.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};
use krilla::Document;
use qrcode::QrCode;

use crate::employability_page::{
    badge_facts, pathway_facts, pathway_heading, title, BadgeLine, EmployabilityView,
};
use crate::french_date::long_date;
use crate::http_url::http_url;
use crate::layout::PROJECT_NAME;

const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// A4 in points.
const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 50.0;
const FOOTER_SPACE: f32 = 30.0;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// The QR code of each badge: 2.5 cm, which phones read from paper at arm's length.
const QR_SIZE: f32 = 72.0;
const QR_GAP: f32 = 14.0;
const LINE_SPACING: f32 = 1.35;

/// Why no PDF could be made (a font the writer refuses; nothing a view can cause).
#[derive(Debug)]
pub struct PdfError(pub String);

impl std::fmt::Display for PdfError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "the PDF could not be written: {}", self.0)
    }
}

impl std::error::Error for PdfError {}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Weight {
    Regular,
    Bold,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Tone {
    Ink,
    Muted,
    Link,
}

impl Tone {
    fn color(self) -> rgb::Color {
        match self {
            Tone::Ink => rgb::Color::new(0x1a, 0x1a, 0x1a),
            Tone::Muted => rgb::Color::new(0x40, 0x40, 0x40),
            Tone::Link => rgb::Color::new(0x0b, 0x4f, 0x9c),
        }
    }
}

/// How a paragraph is written.
#[derive(Clone, Copy, Debug)]
struct Style {
    size: f32,
    weight: Weight,
    tone: Tone,
}

impl Style {
    fn new(size: f32, weight: Weight, tone: Tone) -> Self {
        Self { size, weight, tone }
    }
}

/// One drawing operation of a laid-out page; `y` grows downwards from the top of the page.
#[derive(Clone, Debug, PartialEq)]
enum Op {
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        weight: Weight,
        tone: Tone,
        text: String,
    },
    /// A QR code: `modules` squares of `module` points, dark where `dark`.
    Qr {
        x: f32,
        y: f32,
        module: f32,
        width: usize,
        dark: Vec<bool>,
    },
    Link {
        rect: (f32, f32, f32, f32),
        uri: String,
    },
}

/// Advance widths of the two fonts, to wrap lines.
struct Metrics {
    regular: ttf_parser::Face<'static>,
    bold: ttf_parser::Face<'static>,
}

impl Metrics {
    fn new() -> Result<Self, PdfError> {
        let face = |bytes: &'static [u8]| {
            ttf_parser::Face::parse(bytes, 0).map_err(|error| PdfError(error.to_string()))
        };
        Ok(Self {
            regular: face(REGULAR)?,
            bold: face(BOLD)?,
        })
    }

    fn width(&self, text: &str, size: f32, weight: Weight) -> f32 {
        let face = match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        };
        let units: u32 = text
            .chars()
            .map(|c| {
                face.glyph_index(c)
                    .and_then(|glyph| face.glyph_hor_advance(glyph))
                    .map_or(u32::from(face.units_per_em() / 2), u32::from)
            })
            .sum();
        units as f32 * size / f32::from(face.units_per_em())
    }

    /// `text` in lines no wider than `width`: paragraphs kept, words kept whole unless a word
    /// (an address) is wider than a line on its own.
    fn wrap(&self, text: &str, size: f32, weight: Weight, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.lines() {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if self.width(&candidate, size, weight) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // A word wider than the line is cut where it must.
                for c in word.chars() {
                    let mut longer = line.clone();
                    longer.push(c);
                    if !line.is_empty() && self.width(&longer, size, weight) > width {
                        lines.push(std::mem::take(&mut line));
                        line.push(c);
                    } else {
                        line = longer;
                    }
                }
            }
            if !line.is_empty() || paragraph.trim().is_empty() {
                lines.push(line);
            }
        }
        lines
    }
}

/// The pages being laid out, and where the next line goes.
struct Layout {
    metrics: Metrics,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout {
    fn new() -> Result<Self, PdfError> {
        Ok(Self {
            metrics: Metrics::new()?,
            pages: vec![Vec::new()],
            y: MARGIN,
        })
    }

    fn bottom() -> f32 {
        PAGE_HEIGHT - MARGIN - FOOTER_SPACE
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    /// Makes room for `height` points, on a new page if this one is too full.
    fn room(&mut self, height: f32) {
        if self.y + height > Self::bottom() && self.y > MARGIN {
            self.new_page();
        }
    }

    fn push(&mut self, op: Op) {
        self.pages.last_mut().expect("a layout has a page").push(op);
    }

    fn gap(&mut self, points: f32) {
        self.y += points;
    }

    /// A paragraph at `x`, wrapped to `width`; lines flow onto the next page when needed.
    /// A link, when given, covers each of its lines.
    fn paragraph(
        &mut self,
        text: &str,
        (x, width): (f32, f32),
        Style { size, weight, tone }: Style,
        link: Option<&str>,
    ) {
        let line_height = size * LINE_SPACING;
        for line in self.metrics.wrap(text, size, weight, width) {
            self.room(line_height);
            let baseline = self.y + size;
            if let Some(uri) = link {
                let line_width = self.metrics.width(&line, size, weight);
                self.push(Op::Link {
                    rect: (x, self.y, line_width, line_height),
                    uri: uri.to_owned(),
                });
            }
            self.push(Op::Text {
                x,
                baseline,
                size,
                weight,
                tone,
                text: line,
            });
            self.y += line_height;
        }
    }

    fn text(&mut self, text: &str, size: f32, weight: Weight, tone: Tone) {
        self.paragraph(
            text,
            (MARGIN, CONTENT_WIDTH),
            Style::new(size, weight, tone),
            None,
        );
    }

    fn badge(&mut self, badge: &BadgeLine) {
        let text_width = CONTENT_WIDTH - QR_SIZE - QR_GAP;
        let qr = QrCode::new(badge.page_url.as_bytes()).ok();
        // The badge's first lines and its code start on the same page.
        self.room(QR_SIZE.max(60.0));
        let top = self.y;
        let page = self.pages.len();
        if let Some(code) = &qr {
            let width = code.width();
            let dark = code
                .to_colors()
                .into_iter()
                .map(|color| color == qrcode::Color::Dark)
                .collect();
            // Four modules of quiet zone around the code, inside its square.
            let module = QR_SIZE / (width + 8) as f32;
            let x = PAGE_WIDTH - MARGIN - QR_SIZE;
            self.push(Op::Qr {
                x: x + 4.0 * module,
                y: top + 4.0 * module,
                module,
                width,
                dark,
            });
            if let Some(uri) = http_url(&badge.page_url) {
                self.push(Op::Link {
                    rect: (x, top, QR_SIZE, QR_SIZE),
                    uri: uri.to_owned(),
                });
            }
        }
        let weight = Weight::Regular;
        self.paragraph(
            &badge.name,
            (MARGIN, text_width),
            Style::new(12.0, Weight::Bold, Tone::Ink),
            None,
        );
        self.paragraph(
            &badge_facts(badge),
            (MARGIN, text_width),
            Style::new(9.0, weight, Tone::Muted),
            None,
        );
        self.gap(2.0);
        self.paragraph(
            &badge.description,
            (MARGIN, text_width),
            Style::new(10.0, weight, Tone::Ink),
            None,
        );
        if !badge.evidence.is_empty() {
            self.gap(3.0);
            self.paragraph(
                "Preuves",
                (MARGIN, text_width),
                Style::new(10.0, Weight::Bold, Tone::Ink),
                None,
            );
            for (kind, text, link) in &badge.evidence {
                let link = link.as_deref().and_then(http_url);
                let tone = if link.is_some() {
                    Tone::Link
                } else {
                    Tone::Ink
                };
                self.paragraph(
                    &format!("• {kind} : {text}"),
                    (MARGIN + 8.0, text_width - 8.0),
                    Style::new(9.5, weight, tone),
                    link,
                );
            }
        }
        if !badge.recommendations.is_empty() {
            self.gap(3.0);
            self.paragraph(
                "Recommandations",
                (MARGIN, text_width),
                Style::new(10.0, Weight::Bold, Tone::Ink),
                None,
            );
            for (from, testimony) in &badge.recommendations {
                self.paragraph(
                    &quoted(testimony),
                    (MARGIN + 8.0, text_width - 8.0),
                    Style::new(9.5, weight, Tone::Ink),
                    None,
                );
                self.paragraph(
                    &format!("— {from}"),
                    (MARGIN + 8.0, text_width - 8.0),
                    Style::new(9.0, weight, Tone::Muted),
                    None,
                );
            }
        }
        self.gap(2.0);
        let link = http_url(&badge.page_url);
        self.paragraph(
            &format!("Vérifier : {}", badge.page_url),
            (MARGIN, text_width),
            Style::new(
                8.0,
                weight,
                if link.is_some() {
                    Tone::Link
                } else {
                    Tone::Muted
                },
            ),
            link,
        );
        // Below the code when the text was shorter than it.
        if self.pages.len() == page {
            self.y = self.y.max(top + QR_SIZE);
        }
        self.gap(14.0);
    }
}

fn lay_out(view: &EmployabilityView) -> Result<Vec<Vec<Op>>, PdfError> {
    let mut layout = Layout::new()?;
    layout.text(&title(view), 20.0, Weight::Bold, Tone::Ink);
    layout.gap(4.0);
    if view.shared {
        layout.text(
            &format!(
                "Compétences reconnues par des badges numériques délivrés par {}. Chaque badge a \
                 sa page de vérification : scannez son code QR ou suivez son lien.",
                view.network_name
            ),
            10.0,
            Weight::Regular,
            Tone::Ink,
        );
        layout.gap(4.0);
    }
    for fact in pathway_facts(view) {
        layout.text(&fact, 10.0, Weight::Regular, Tone::Ink);
    }
    if view.pathways.is_empty() {
        layout.gap(10.0);
        layout.text(
            "Aucun badge pour l'instant.",
            11.0,
            Weight::Regular,
            Tone::Ink,
        );
    }
    for pathway in &view.pathways {
        layout.gap(14.0);
        layout.room(60.0);
        layout.text(&pathway_heading(pathway), 14.0, Weight::Bold, Tone::Ink);
        if !pathway.description.is_empty() {
            layout.text(&pathway.description, 9.0, Weight::Regular, Tone::Muted);
        }
        layout.gap(8.0);
        for badge in &pathway.badges {
            layout.badge(badge);
        }
        for (heading, names) in [
            ("En cours de validation", &pathway.under_way),
            ("Prochaines étapes possibles", &pathway.next_steps),
        ] {
            if names.is_empty() {
                continue;
            }
            layout.room(30.0);
            layout.text(heading, 10.5, Weight::Bold, Tone::Ink);
            for name in names {
                layout.paragraph(
                    &format!("• {name}"),
                    (MARGIN + 8.0, CONTENT_WIDTH - 8.0),
                    Style::new(10.0, Weight::Regular, Tone::Ink),
                    None,
                );
            }
            layout.gap(6.0);
        }
    }
    layout.gap(10.0);
    let mut closing = format!("Établi le {}.", long_date(&view.generated_on));
    if let Some(until) = view.open_until {
        closing.push_str(&format!(
            " Ce lien de partage est ouvert jusqu'au {} inclus.",
            long_date(&until)
        ));
    }
    if view.shared {
        closing.push_str(
            " La personne qui a partagé ce CV choisit ce qu'il montre et peut fermer ce lien.",
        );
    }
    layout.text(&closing, 9.0, Weight::Regular, Tone::Muted);

    // Every page's footer, now that the number of pages is known.
    let count = layout.pages.len();
    let footer_title = title(view);
    for (index, page) in layout.pages.iter_mut().enumerate() {
        page.push(Op::Text {
            x: MARGIN,
            baseline: PAGE_HEIGHT - MARGIN + 10.0,
            size: 8.0,
            weight: Weight::Regular,
            tone: Tone::Muted,
            text: format!(
                "{PROJECT_NAME} — {footer_title} — page {} sur {count}",
                index + 1
            ),
        });
    }
    Ok(layout.pages)
}

/// The report as a PDF file.
pub fn render(view: &EmployabilityView) -> Result<Vec<u8>, PdfError> {
    let pages = lay_out(view)?;
    let regular = Font::new(REGULAR.into(), 0)
        .ok_or_else(|| PdfError("the regular font does not load".into()))?;
    let bold =
        Font::new(BOLD.into(), 0).ok_or_else(|| PdfError("the bold font does not load".into()))?;
    let mut document = Document::new();
    use chrono::Datelike;
    let created = krilla::metadata::DateTime::new(view.generated_on.year() as u16)
        .month(view.generated_on.month() as u8)
        .day(view.generated_on.day() as u8);
    document.set_metadata(
        Metadata::new()
            .title(title(view))
            .language("fr".to_owned())
            .creator(PROJECT_NAME.to_owned())
            .creation_date(created),
    );
    for ops in pages {
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or_else(|| PdfError("the page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut links = Vec::new();
        {
            let mut surface = page.surface();
            for op in ops {
                match op {
                    Op::Text {
                        x,
                        baseline,
                        size,
                        weight,
                        tone,
                        text,
                    } => {
                        surface.set_fill(Some(fill(tone.color())));
                        let font = match weight {
                            Weight::Regular => regular.clone(),
                            Weight::Bold => bold.clone(),
                        };
                        surface.draw_text(
                            Point::from_xy(x, baseline),
                            font,
                            size,
                            &text,
                            false,
                            TextDirection::Auto,
                        );
                    }
                    Op::Qr {
                        x,
                        y,
                        module,
                        width,
                        dark,
                    } => {
                        let mut builder = PathBuilder::new();
                        for (index, _) in dark.iter().enumerate().filter(|(_, dark)| **dark) {
                            let (column, row) = (index % width, index / width);
                            if let Some(square) = Rect::from_xywh(
                                x + column as f32 * module,
                                y + row as f32 * module,
                                module,
                                module,
                            ) {
                                builder.push_rect(square);
                            }
                        }
                        if let Some(path) = builder.finish() {
                            surface.set_fill(Some(fill(rgb::Color::new(0, 0, 0))));
                            surface.draw_path(&path);
                        }
                    }
                    Op::Link { rect, uri } => links.push((rect, uri)),
                }
            }
            surface.finish();
        }
        for ((x, y, width, height), uri) in links {
            if let Some(rect) = Rect::from_xywh(x, y, width, height) {
                page.add_annotation(
                    krilla::annotation::LinkAnnotation::new(
                        rect,
                        krilla::annotation::Target::Action(
                            krilla::action::LinkAction::new(uri.clone()).into(),
                        ),
                    )
                    .into(),
                );
            }
        }
        page.finish();
    }
    document
        .finish()
        .map_err(|error| PdfError(format!("{error:?}")))
}

/// A testimony between French quotation marks, unless it has its own.
fn quoted(testimony: &str) -> String {
    let testimony = testimony.trim();
    if testimony.starts_with('«') || testimony.starts_with('"') {
        testimony.to_owned()
    } else {
        format!("« {testimony} »")
    }
}

fn fill(color: rgb::Color) -> Fill {
    Fill {
        paint: color.into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::employability_page::tests::view;

    fn texts(pages: &[Vec<Op>]) -> Vec<String> {
        pages
            .iter()
            .flatten()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn long_text_wraps_within_the_column_and_flows_onto_more_pages() {
        let metrics = Metrics::new().unwrap();
        let long = "Très bonne implication dans l'équipe ".repeat(40);
        let lines = metrics.wrap(&long, 10.0, Weight::Regular, 200.0);
        assert!(lines.len() > 10);
        assert!(lines
            .iter()
            .all(|line| metrics.width(line, 10.0, Weight::Regular) <= 200.0));
        let address = format!("https://exemple.fr/{}", "a".repeat(300));
        assert!(metrics
            .wrap(&address, 10.0, Weight::Regular, 200.0)
            .iter()
            .all(|line| metrics.width(line, 10.0, Weight::Regular) <= 200.0));

        let mut many = view();
        let badge = many.pathways[0].badges[0].clone();
        many.pathways[0].badges = vec![badge; 12];
        let pages = lay_out(&many).unwrap();
        assert!(pages.len() > 1, "twelve badges do not fit one page");
        for page in &pages {
            for op in page {
                if let Op::Text { baseline, .. } = op {
                    assert!(*baseline <= PAGE_HEIGHT - MARGIN + 10.0);
                }
            }
        }
        let footers: Vec<String> = texts(&pages)
            .into_iter()
            .filter(|text| text.contains(" sur "))
            .collect();
        assert_eq!(footers.len(), pages.len());
        assert!(footers[0].ends_with(&format!("page 1 sur {}", pages.len())));
    }

    #[test]
    fn each_badge_has_a_clickable_qr_code_and_only_web_links_are_links() {
        let pages = lay_out(&view()).unwrap();
        let ops: Vec<&Op> = pages.iter().flatten().collect();
        let codes = ops.iter().filter(|op| matches!(op, Op::Qr { .. })).count();
        assert_eq!(codes, 1);
        let links: Vec<&str> = ops
            .iter()
            .filter_map(|op| match op {
                Op::Link { uri, .. } => Some(uri.as_str()),
                _ => None,
            })
            .collect();
        assert!(links.contains(&"https://ecusson.example/badges/0193"));
        assert!(links.iter().all(|uri| uri.starts_with("https://")));
        let text = texts(&pages).join("\n");
        assert!(text.contains("Compétences de Aïcha Benali"));
        assert!(text.contains("Parcours 1 — Premiers pas"));
    }

    #[test]
    fn the_pdf_is_a_pdf_and_the_same_view_gives_the_same_bytes() {
        let bytes = render(&view()).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        assert_eq!(render(&view()).unwrap(), bytes);
        // Read back by another PDF library: the text (through the font's Unicode map) and
        // the links.
        let (text, links) = ecusson_interop::read_pdf(&bytes);
        assert!(text.contains("Aïcha Benali"), "{text}");
        assert!(text.contains("savoir-faire"), "{text}");
        assert!(links.contains(&"https://ecusson.example/badges/0193".to_owned()));
    }
}
