//! The one layout every page shares: the document head (viewport, title, `noindex`, no
//! referrer), the stylesheet, the header with the project's name and the footer.
//!
//! The stylesheet is inline (the server sends `style-src 'unsafe-inline'`) and small; it is
//! mobile-first (one column, large text, big touch targets), uses the system fonts, keeps text
//! contrast at WCAG AA or better, and has a print style for one A4 page where possible.

use maud::{html, Markup, PreEscaped, DOCTYPE};

/// The project's name, in the header of every page and in every `<title>`.
pub(crate) const PROJECT_NAME: &str = "Écusson";

/// A complete HTML document: `title` goes into `<title>` (followed by the project's name),
/// `main` is the content of the `<main>` element and must hold the page's only `<h1>`.
pub(crate) fn page(title: &str, main: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // Personal pages must stay out of search engines, and their addresses (some
                // are single-use links) must not leak to the sites they link to.
                meta name="robots" content="noindex";
                meta name="referrer" content="no-referrer";
                title { (title) " — " (PROJECT_NAME) }
                style { (PreEscaped(STYLESHEET)) }
            }
            body {
                header.site-header {
                    p.brand { (PROJECT_NAME) }
                }
                main { (main) }
                footer.site-footer {
                    p {
                        (PROJECT_NAME) " : des badges numériques pour montrer ses compétences. "
                        "Cette page n'est pas référencée par les moteurs de recherche."
                    }
                }
            }
        }
    }
    .into_string()
}

/// Marks for statuses and outcomes, always shown next to words: status is never conveyed by
/// colour alone (the boxes also differ by border style).
pub(crate) mod marker {
    pub(crate) const GOOD: &str = "✓";
    pub(crate) const WARNING: &str = "!";
    pub(crate) const BAD: &str = "✕";
    pub(crate) const NEUTRAL: &str = "–";
}

const STYLESHEET: &str = "\
*{box-sizing:border-box}\
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}\
body{margin:0;background:#f3f3ef;color:#1a1a1a;\
font:1.125rem/1.55 system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,sans-serif}\
.site-header,.site-footer,main{max-width:40rem;margin:0 auto;padding:1rem}\
.brand{margin:0;font-size:1.25rem;font-weight:700;color:#1d3a6e}\
main{background:#fff;padding:1.25rem 1rem 2rem}\
.site-footer{font-size:.95rem;color:#404040}\
h1{font-size:1.75rem;line-height:1.25;margin:.25rem 0 1rem}\
h2{font-size:1.3rem;line-height:1.3;margin:2rem 0 .75rem;padding-top:1rem;border-top:1px solid #c8c8c8}\
h3{font-size:1.125rem;margin:1.25rem 0 .5rem}\
p,ul,ol,dl,figure,blockquote{margin:0 0 1rem}\
a{color:#0b4f9c;text-underline-offset:.15em}\
a:focus-visible,button:focus-visible,input:focus-visible,textarea:focus-visible\
{outline:3px solid #1a1a1a;outline-offset:2px}\
.text{white-space:pre-line;overflow-wrap:anywhere}\
.url{overflow-wrap:anywhere;font-size:.95rem}\
.small{font-size:.95rem;color:#404040}\
.status{display:flex;gap:.75rem;align-items:flex-start;margin:0 0 1.25rem;padding:.75rem 1rem;\
border:3px solid;border-radius:.5rem;font-weight:700}\
.status p{margin:0}.status .detail{font-weight:400}\
.mark{flex:none;display:inline-block;min-width:1.6rem;font-size:1.4rem;line-height:1.1;text-align:center}\
.status-good{border-color:#1e6b34;background:#e8f5ec;color:#11421f}\
.status-warning{border-style:dashed;border-color:#8a5a00;background:#fff4dc;color:#4a3000}\
.status-bad{border-style:double;border-width:6px;border-color:#a3201b;background:#fdecea;color:#6b120e}\
.badge-image{display:block;width:8rem;height:8rem;object-fit:contain;margin:0 auto 1rem}\
.lead{font-size:1.2rem}\
.badge-card{margin:0 0 1.5rem;padding:1rem;border:1px solid #c8c8c8;border-radius:.5rem}\
.badge-card h2{margin-top:0;padding-top:0;border:0}\
dl.facts dt{font-weight:700}dl.facts dd{margin:0 0 .5rem}\
ul.items{list-style:none;padding:0}ul.items>li{margin:0 0 1rem}\
.kind{display:inline-block;margin-right:.5rem;padding:0 .4rem;border:1px solid #5a5a5a;\
border-radius:.25rem;font-size:.9rem}\
blockquote{margin:0 0 .25rem;padding:.25rem 0 .25rem 1rem;border-left:4px solid #6b6b6b}\
.qr{margin:1rem 0;text-align:center}.qr figcaption{font-weight:700}\
.qr-code{display:block;width:12rem;height:12rem;max-width:100%;margin:0 auto .5rem}\
.checks{padding-left:0;list-style:none}.checks>li{display:flex;gap:.75rem;margin:0 0 1rem}\
.checks p{margin:0}.en{font-size:.9rem;color:#404040}\
label{display:block;font-weight:700;margin:0 0 .25rem}\
.hint{margin:0 0 .5rem;font-size:.95rem;color:#404040}\
textarea,input[type=file]{display:block;width:100%;font:inherit;margin:0 0 1.25rem}\
textarea{min-height:10rem;padding:.5rem;border:2px solid #555;border-radius:.3rem}\
.consent{display:flex;gap:.75rem;align-items:flex-start;margin:0 0 1.25rem}\
.consent input{flex:none;width:1.5rem;height:1.5rem;margin:.2rem 0 0}\
.consent label{font-weight:400}\
.actions{display:grid;gap:.75rem;margin:1.5rem 0 0}\
button{min-height:3rem;padding:.6rem 1.2rem;font:inherit;font-weight:700;color:#fff;\
background:#1d3a6e;border:2px solid #1d3a6e;border-radius:.4rem;cursor:pointer}\
button.secondary{color:#1d3a6e;background:#fff}\
.error{padding:.75rem 1rem;border:3px double #a3201b;color:#6b120e;background:#fdecea}\
.table-scroll{overflow-x:auto;margin:0 0 1rem}\
table{border-collapse:collapse;font-size:.95rem}\
th,td{padding:.3rem .5rem;border-bottom:1px solid #c8c8c8;text-align:left;vertical-align:top}\
td.value{text-align:right;font-variant-numeric:tabular-nums}\
@media (min-width:40rem){main{padding:2rem}}\
@media print{\
@page{size:A4;margin:12mm}\
html{font-size:9pt}\
body{background:#fff;line-height:1.35}\
.site-header,main{max-width:none;padding:0}\
.no-print,.site-footer,button{display:none!important}\
p,ul,ol,dl,figure,blockquote,ul.items>li{margin-bottom:.5rem}\
h1{margin-bottom:.5rem}\
h2{margin:.75rem 0 .4rem;padding-top:.4rem;break-after:avoid}\
section>ul>li,figure,.status{break-inside:avoid}\
a{color:inherit;text-decoration:none}\
a.print-url::after{content:\" (\" attr(href) \")\";font-size:.85em;overflow-wrap:anywhere}\
.status{background:none!important;color:#000!important}\
.badge-image{width:25mm;height:25mm}\
.qr-code{width:32mm;height:32mm;margin:0}\
.qr{display:flex;gap:5mm;align-items:center;text-align:left}\
main{display:flex;flex-direction:column}main>section{order:2}main>section.verification{order:1}\
}";
