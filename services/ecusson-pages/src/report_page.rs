//! A structure's or the network's report as a printable French page: the period, bar charts
//! drawn on the server (inline SVG, no script), then every figure as a table.

use maud::{html, Markup};

use crate::http_url::http_url;
use crate::layout::page;

/// One bar of a chart: its label and value (`None` when the value is not shown: suppressed).
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    pub title: String,
    pub bars: Vec<Bar>,
}

/// Every figure as a table: a header, then rows of cells as written; the first
/// `label_columns` cells of a row say what the others count.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub label_columns: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReportView {
    /// "Rapport du réseau", "Rapport de la structure …", "Rapport de programme".
    pub title: String,
    /// "Du 1er janvier 2026 au 31 mars 2026", "Depuis le début", "Tel qu'au …".
    pub period: String,
    /// True for a funder's view: a note says how small counts are protected.
    pub protected: bool,
    pub charts: Vec<Chart>,
    pub table: Table,
    /// Where the same figures are as CSV (an absolute http(s) URL).
    pub csv_url: String,
}

const BAR_HEIGHT: u32 = 22;
const LABEL_WIDTH: u32 = 170;
const CHART_WIDTH: u32 = 480;

/// A horizontal bar chart: labels on the left, bars scaled to the largest value, the value at
/// the end of each bar ("< 5" for a suppressed one).
fn chart(chart: &Chart) -> Markup {
    let largest = chart
        .bars
        .iter()
        .filter_map(|bar| bar.value)
        .max()
        .unwrap_or(0)
        .max(1);
    let height = BAR_HEIGHT * chart.bars.len() as u32 + 4;
    let room = CHART_WIDTH - LABEL_WIDTH - 50;
    html! {
        figure.chart {
            figcaption { (chart.title) }
            svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label=(chart.title)
                viewBox=(format!("0 0 {CHART_WIDTH} {height}")) width="100%" {
                @for (index, bar) in chart.bars.iter().enumerate() {
                    @let y = index as u32 * BAR_HEIGHT + 2;
                    @let width = bar.value.map_or(0, |value| (value * u64::from(room) / largest) as u32);
                    text x=(LABEL_WIDTH - 6) y=(y + 15) text-anchor="end" font-size="12" { (bar.label) }
                    rect x=(LABEL_WIDTH) y=(y + 3) width=(width.max(1)) height=(BAR_HEIGHT - 6) fill="#1d5fa8" {}
                    text x=(LABEL_WIDTH + width + 6) y=(y + 15) font-size="12" {
                        (bar.value.map_or_else(|| "< 5".to_owned(), |value| value.to_string()))
                    }
                }
            }
        }
    }
}

pub fn render(view: &ReportView) -> String {
    page(
        &view.title,
        html! {
            h1 { (view.title) }
            p.text { (view.period) }
            @if view.protected {
                p.text {
                    "Chiffres protégés : les effectifs de moins de 5 personnes ne sont pas \
                     affichés (« <5 ») et les autres sont arrondis à 5 près, pour qu'aucune \
                     personne ne puisse être reconnue."
                }
            }
            @for item in &view.charts {
                (chart(item))
            }
            h2 { "Tous les chiffres" }
            div.table-scroll {
                table {
                    thead {
                        tr { @for name in &view.table.header { th scope="col" { (name) } } }
                    }
                    tbody {
                        @for row in &view.table.rows {
                            tr {
                                @for (index, cell) in row.iter().enumerate() {
                                    @if index < view.table.label_columns {
                                        td { (cell) }
                                    } @else {
                                        td.value { (cell) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(url) = http_url(&view.csv_url) {
                p.text {
                    "Les mêmes chiffres pour un tableur : "
                    a href=(url) { "télécharger le fichier CSV" }
                    "."
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_escaped, parse_page, select, words, HOSTILE};

    fn view() -> ReportView {
        ReportView {
            title: "Rapport du réseau".to_owned(),
            period: "Depuis le début".to_owned(),
            protected: true,
            charts: vec![Chart {
                title: "Badges par parcours".to_owned(),
                bars: vec![
                    Bar {
                        label: "Parcours 1".to_owned(),
                        value: Some(40),
                    },
                    Bar {
                        label: "Parcours 2".to_owned(),
                        value: Some(20),
                    },
                    Bar {
                        label: "Parcours 3".to_owned(),
                        value: None,
                    },
                ],
            }],
            table: Table {
                header: [
                    "Indicateur",
                    "Critère 1",
                    "Critère 2",
                    "Critère 3",
                    "Valeur",
                ]
                .map(str::to_owned)
                .to_vec(),
                rows: vec![["Badges attribués", "Total", "", "", "60"]
                    .map(str::to_owned)
                    .to_vec()],
                label_columns: 4,
            },
            csv_url: "https://badges.example/reports/report.csv".to_owned(),
        }
    }

    #[test]
    fn charts_are_scaled_and_the_figures_follow() {
        let html = render(&view());
        let document = parse_page(&html, "Rapport du réseau");
        let rects = select(&document, "rect");
        let width = |index: usize| {
            rects[index]
                .value()
                .attr("width")
                .unwrap()
                .parse::<u32>()
                .unwrap()
        };
        assert_eq!(width(0), 2 * width(1), "bars in proportion");
        assert_eq!(width(2), 1, "a suppressed bar is a hairline");
        assert!(words(select(&document, "svg")[0]).contains("< 5"));
        assert_eq!(words(select(&document, "td.value")[0]), "60");
        assert!(html.contains("moins de 5 personnes"));
        assert_eq!(
            select(&document, "a")
                .iter()
                .filter(|link| link.value().attr("href")
                    == Some("https://badges.example/reports/report.csv"))
                .count(),
            1
        );
    }

    #[test]
    fn hostile_text_is_escaped() {
        let text = HOSTILE.join(" ");
        let mut hostile = view();
        hostile.title = text.clone();
        hostile.charts[0].bars[0].label = text.clone();
        hostile.table.rows[0][0] = text.clone();
        let html = render(&hostile);
        let document = parse_page(&html, &text);
        assert_escaped(&html, &document);
    }
}
