//! The public page of one awarded badge: what an employer sees after scanning its QR code, and
//! what a worker shows or prints. The status comes first, in words; then the badge, who holds
//! it and who issued it, the criteria, the public evidence, recommendations and endorsements,
//! the downloads and the QR code of the page itself.

use chrono::{DateTime, Utc};
use maud::{html, Markup};

use crate::french_date::long_date;
use crate::http_url::http_url;
use crate::layout::{marker, page};
use crate::qr_code;

/// Everything the badge page shows. Text is plain text (escaped when rendered); URLs other than
/// `http`/`https` are shown as text, never as links.
#[derive(Debug, Clone)]
pub struct BadgePage {
    /// The page's own absolute URL: the QR code points to it.
    pub page_url: String,
    pub badge_name: String,
    pub badge_description: String,
    /// Absolute URL of the badge image (PNG or SVG).
    pub image_url: String,
    /// The network's criteria narrative for the badge class.
    pub criteria: String,
    /// The structure's own criterion (what it asks, the evidence it expects), if any.
    pub structure_criterion: Option<String>,
    pub pathway: Option<String>,
    /// "savoir-faire" or "savoir-être" (already French).
    pub skill_type: Option<String>,
    pub issuer_name: String,
    pub issuer_url: String,
    /// The structure that assessed the worker.
    pub structure_name: Option<String>,
    /// Shown only when the worker consented; `None` otherwise (then the page says the holder
    /// chose not to show their name).
    pub earner_name: Option<String>,
    pub awarded_at: DateTime<Utc>,
    pub status: BadgeStatus,
    pub evidence: Vec<PublicEvidence>,
    pub recommendations: Vec<PublicRecommendation>,
    pub endorsements: Vec<PublicEndorsement>,
    /// Download links (label, absolute URL), e.g.
    /// `("Badge signé (Open Badges 3.0, JSON-LD)", url)`.
    pub downloads: Vec<(String, String)>,
    /// Where a third party can check any badge file (the verification page), if served.
    pub verify_url: Option<String>,
}

/// Where the badge stands today, as the server computed it (this crate reads no clock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadgeStatus {
    Valid {
        valid_until: Option<DateTime<Utc>>,
    },
    Expired {
        expired_at: DateTime<Utc>,
    },
    Revoked {
        revoked_at: DateTime<Utc>,
        reason: Option<String>,
    },
}

/// One piece of evidence the worker chose to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicEvidence {
    /// French label: Document, Lien, Récit, Photo.
    pub kind: String,
    pub text: String,
    /// When the evidence is a link (`http`/`https` only; anything else is rendered as text,
    /// never as a link).
    pub link: Option<String>,
}

/// A host company's testimony.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicRecommendation {
    /// The organisation's name, or a generic "Une entreprise accueillante".
    pub from: String,
    pub testimony: String,
    pub given_at: Option<DateTime<Utc>>,
}

/// An organisation's endorsement of the issuer or of this badge class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicEndorsement {
    pub organisation: String,
    pub statement: String,
    /// Of the issuer (all its badges) rather than of this badge class.
    pub of_issuer: bool,
}

/// The sentence under the QR code.
pub const QR_CAPTION: &str = "Scannez pour vérifier ce badge";

/// The complete HTML document of the badge page.
pub fn render(page_view: &BadgePage) -> String {
    let title = format!("Badge « {} »", page_view.badge_name);
    page(&title, main(page_view))
}

fn main(view: &BadgePage) -> Markup {
    html! {
        (status(&view.status))
        @if let Some(image) = http_url(&view.image_url) {
            img.badge-image src=(image) alt=(view.badge_name) width="128" height="128";
        }
        h1 { (view.badge_name) }
        p.lead.text { (view.badge_description) }
        (holder_and_issuer(view))
        (criteria(view))
        (evidence(&view.evidence))
        (recommendations(&view.recommendations))
        (endorsements(view))
        (verification(view))
        (downloads(&view.downloads))
    }
}

fn status(status: &BadgeStatus) -> Markup {
    let (class, mark, headline, detail) = match status {
        BadgeStatus::Valid { valid_until } => (
            "status-good",
            marker::GOOD,
            "Badge valide".to_owned(),
            valid_until.map(|until| format!("Valide jusqu'au {}", long_date(&until))),
        ),
        BadgeStatus::Expired { expired_at } => (
            "status-warning",
            marker::WARNING,
            format!("Badge expiré le {}", long_date(expired_at)),
            Some("Ce badge était valide jusqu'à cette date.".to_owned()),
        ),
        BadgeStatus::Revoked { revoked_at, reason } => (
            "status-bad",
            marker::BAD,
            match reason {
                Some(reason) => {
                    format!(
                        "Badge retiré le {} — motif : {reason}",
                        long_date(revoked_at)
                    )
                }
                None => format!("Badge retiré le {}", long_date(revoked_at)),
            },
            Some("Ce badge n'est plus valable.".to_owned()),
        ),
    };
    html! {
        div.status.(class) {
            span.mark aria-hidden="true" { (mark) }
            div {
                p.text { (headline) }
                @if let Some(detail) = detail {
                    p.detail { (detail) }
                }
            }
        }
    }
}

fn holder_and_issuer(view: &BadgePage) -> Markup {
    html! {
        @match &view.earner_name {
            Some(name) => p { "Délivré à " strong { (name) } },
            None => p { "Le titulaire a choisi de ne pas afficher son nom." },
        }
        p {
            "Délivré le " (long_date(&view.awarded_at)) " par "
            @match http_url(&view.issuer_url) {
                Some(url) => a.print-url href=(url) { (view.issuer_name) },
                None => (view.issuer_name),
            }
            @if let Some(structure) = &view.structure_name {
                " (évalué par " (structure) ")"
            }
            "."
        }
        @if view.pathway.is_some() || view.skill_type.is_some() {
            dl.facts {
                @if let Some(pathway) = &view.pathway {
                    dt { "Parcours" }
                    dd { (pathway) }
                }
                @if let Some(skill_type) = &view.skill_type {
                    dt { "Type de compétence" }
                    dd { (skill_type) }
                }
            }
        }
    }
}

fn criteria(view: &BadgePage) -> Markup {
    html! {
        section aria-labelledby="criteres" {
            h2 #criteres { "Pour obtenir ce badge" }
            p.text { (view.criteria) }
            @if let Some(criterion) = &view.structure_criterion {
                h3 { "Ce que la structure a demandé" }
                p.text { (criterion) }
            }
        }
    }
}

fn evidence(items: &[PublicEvidence]) -> Markup {
    html! {
        @if !items.is_empty() {
            section aria-labelledby="preuves" {
                h2 #preuves { "Preuves" }
                ul.items {
                    @for item in items {
                        li {
                            span.kind { (item.kind) }
                            @match item.link.as_deref().map(|link| (link, http_url(link))) {
                                Some((_, Some(url))) => {
                                    a.print-url href=(url) rel="nofollow noopener" { (item.text) }
                                }
                                Some((not_a_web_link, None)) => {
                                    span.text { (item.text) }
                                    " "
                                    span.url { "(" (not_a_web_link) ")" }
                                }
                                None => span.text { (item.text) },
                            }
                        }
                    }
                }
            }
        }
    }
}

fn recommendations(items: &[PublicRecommendation]) -> Markup {
    html! {
        @if !items.is_empty() {
            section aria-labelledby="recommandations" {
                h2 #recommandations { "Recommandations" }
                ul.items {
                    @for item in items {
                        li {
                            figure {
                                blockquote { p.text { (item.testimony) } }
                                figcaption.small {
                                    "— " (item.from)
                                    @if let Some(given_at) = &item.given_at {
                                        ", le " (long_date(given_at))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn endorsements(view: &BadgePage) -> Markup {
    html! {
        @if !view.endorsements.is_empty() {
            section aria-labelledby="soutiens" {
                h2 #soutiens { "Ils soutiennent ce badge" }
                ul.items {
                    @for item in &view.endorsements {
                        li {
                            p {
                                strong { (item.organisation) }
                                @if item.of_issuer {
                                    " soutient tous les badges de " (view.issuer_name) "."
                                } @else {
                                    " soutient ce badge."
                                }
                            }
                            blockquote { p.text { (item.statement) } }
                        }
                    }
                }
            }
        }
    }
}

fn verification(view: &BadgePage) -> Markup {
    html! {
        section.verification aria-labelledby="verifier" {
            h2 #verifier { "Vérifier ce badge" }
            figure.qr {
                @if let Some(code) = qr_code::inline_svg(&view.page_url, "Code QR de cette page") {
                    (code)
                }
                figcaption {
                    (QR_CAPTION)
                    br;
                    span.url { (view.page_url) }
                }
            }
            p {
                "Ce badge est signé numériquement : vous pouvez le vérifier sans nous faire "
                "confiance."
            }
            @if let Some(url) = view.verify_url.as_deref().and_then(http_url) {
                p.no-print {
                    a href=(url) { "Vérifier un fichier de badge" }
                }
            }
        }
    }
}

fn downloads(links: &[(String, String)]) -> Markup {
    html! {
        @if !links.is_empty() {
            section.no-print aria-labelledby="telecharger" {
                h2 #telecharger { "Télécharger" }
                ul {
                    @for (label, url) in links {
                        @if let Some(url) = http_url(url) {
                            li { a href=(url) download { (label) } }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_escaped, decode_qr, parse_page, select, HOSTILE};
    use chrono::TimeZone;

    fn day(year: i32, month: u32, day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(year, month, day, 14, 30, 0).unwrap()
    }

    /// A badge page as the server would fill it, with a few items of each kind.
    fn typical() -> BadgePage {
        let base = "https://badges.reseau-insertion.fr";
        BadgePage {
            page_url: format!("{base}/badges/0190f3c2-7a4e-7cc1-9f0e-3b2a1c4d5e6f"),
            badge_name: "Accueillir un client en magasin".into(),
            badge_description: "Accueille les clients, les oriente dans le magasin et répond \
                à leurs questions simples avec politesse."
                .into(),
            image_url: format!("{base}/images/badge-classes/accueil-client.png"),
            criteria: "Accueillir au moins dix clients en autonomie.\nOrienter un client vers \
                le bon rayon.\nSavoir passer le relais à un collègue."
                .into(),
            structure_criterion: Some(
                "Deux semaines en magasin solidaire, observées par l'encadrant technique.".into(),
            ),
            pathway: Some("Commerce et vente".into()),
            skill_type: Some("savoir-faire".into()),
            issuer_name: "Réseau Insertion Bretagne".into(),
            issuer_url: "https://reseau-insertion.fr".into(),
            structure_name: Some("Ressourcerie du Pays de Morlaix".into()),
            earner_name: Some("Samira Benali".into()),
            awarded_at: day(2026, 11, 23),
            status: BadgeStatus::Valid {
                valid_until: Some(day(2028, 11, 23)),
            },
            evidence: vec![
                PublicEvidence {
                    kind: "Récit".into(),
                    text: "J'ai tenu l'accueil seule le samedi pendant un mois.".into(),
                    link: None,
                },
                PublicEvidence {
                    kind: "Lien".into(),
                    text: "Vidéo de présentation du magasin".into(),
                    link: Some("https://video.exemple.fr/watch/abc123".into()),
                },
                PublicEvidence {
                    kind: "Photo".into(),
                    text: "Le rayon que j'ai réorganisé".into(),
                    link: Some(format!("{base}/evidence/7c1e/photo.jpg")),
                },
            ],
            recommendations: vec![
                PublicRecommendation {
                    from: "Supermarché Coop de Landivisiau".into(),
                    testimony: "Samira a été ponctuelle et souriante pendant toute sa période \
                        d'immersion. Les clients l'ont remarqué."
                        .into(),
                    given_at: Some(day(2026, 10, 1)),
                },
                PublicRecommendation {
                    from: "Une entreprise accueillante".into(),
                    testimony: "Très bonne présentation, sait demander de l'aide.".into(),
                    given_at: None,
                },
            ],
            endorsements: vec![
                PublicEndorsement {
                    organisation: "Fédération des entreprises d'insertion".into(),
                    statement: "Ces badges décrivent fidèlement les compétences travaillées."
                        .into(),
                    of_issuer: true,
                },
                PublicEndorsement {
                    organisation: "Chambre de commerce de Brest".into(),
                    statement: "Un badge utile pour nos adhérents qui recrutent.".into(),
                    of_issuer: false,
                },
            ],
            downloads: vec![
                (
                    "Badge signé (Open Badges 3.0, JSON-LD)".into(),
                    format!("{base}/badges/0190f3c2/credential.json"),
                ),
                (
                    "Badge signé (JWT)".into(),
                    format!("{base}/badges/0190f3c2/credential.jwt"),
                ),
                (
                    "Image du badge avec sa preuve".into(),
                    format!("{base}/badges/0190f3c2/baked.png"),
                ),
            ],
            verify_url: Some(format!("{base}/verifier")),
        }
    }

    fn text_of(html: &str) -> String {
        let document = scraper::Html::parse_document(html);
        crate::test_support::words(document.root_element())
    }

    #[test]
    fn a_typical_page_is_well_formed_and_says_what_matters() {
        let html = render(&typical());
        let document = parse_page(&html, "Badge « Accueillir un client en magasin »");
        let h1: String = select(&document, "h1")[0].text().collect();
        assert_eq!(h1, "Accueillir un client en magasin");
        let image = select(&document, "img.badge-image");
        assert_eq!(image.len(), 1);
        assert_eq!(
            image[0].attr("alt"),
            Some("Accueillir un client en magasin")
        );

        let text = text_of(&html);
        for expected in [
            "Badge valide",
            "Valide jusqu'au 23 novembre 2028",
            "Délivré à Samira Benali",
            "Délivré le 23 novembre 2026 par Réseau Insertion Bretagne (évalué par Ressourcerie \
             du Pays de Morlaix).",
            "Commerce et vente",
            "savoir-faire",
            "Deux semaines en magasin solidaire",
            "— Supermarché Coop de Landivisiau, le 1er octobre 2026",
            "Fédération des entreprises d'insertion soutient tous les badges de Réseau Insertion \
             Bretagne.",
            "Chambre de commerce de Brest soutient ce badge.",
            "Scannez pour vérifier ce badge",
            "Ce badge est signé numériquement : vous pouvez le vérifier sans nous faire confiance.",
            "Badge signé (JWT)",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in {text}");
        }
        assert!(!text.contains("choisi de ne pas afficher"));
        let verify = select(
            &document,
            r#"a[href="https://badges.reseau-insertion.fr/verifier"]"#,
        );
        assert_eq!(verify.len(), 1);
    }

    #[test]
    fn the_status_comes_first_with_a_mark_that_is_not_only_colour() {
        let html = render(&typical());
        let document = scraper::Html::parse_document(&html);
        let main = select(&document, "main")[0];
        let first = main.child_elements().next().unwrap();
        assert!(first.value().classes().any(|class| class == "status"));
        let mark: String = select(&document, ".status .mark")[0].text().collect();
        assert_eq!(mark, "✓");
    }

    #[test]
    fn a_typical_page_is_small() {
        let html = render(&typical());
        assert!(html.len() < 30 * 1024, "{} bytes", html.len());
    }

    #[test]
    fn the_qr_code_decodes_to_the_page_url() {
        let view = typical();
        let document = scraper::Html::parse_document(&render(&view));
        assert_eq!(decode_qr(&document), view.page_url);

        let other = BadgePage {
            page_url: "https://exemple.fr/badges/autre".into(),
            ..typical()
        };
        let document = scraper::Html::parse_document(&render(&other));
        assert_eq!(decode_qr(&document), "https://exemple.fr/badges/autre");
        let caption: String = select(&document, ".qr figcaption")[0].text().collect();
        assert!(caption.starts_with(QR_CAPTION));
    }

    #[test]
    fn the_earner_name_is_shown_only_with_consent() {
        let anonymous = BadgePage {
            earner_name: None,
            ..typical()
        };
        let text = text_of(&render(&anonymous));
        assert!(text.contains("Le titulaire a choisi de ne pas afficher son nom."));
        assert!(!text.contains("Samira Benali"));
        assert!(!text.contains("Délivré à"));
    }

    #[test]
    fn each_status_is_written_in_words_with_its_date() {
        let cases = [
            (
                BadgeStatus::Valid { valid_until: None },
                "✓",
                "Badge valide",
                "Valide jusqu",
            ),
            (
                BadgeStatus::Valid {
                    valid_until: Some(day(2029, 1, 1)),
                },
                "✓",
                "Badge valide Valide jusqu'au 1er janvier 2029",
                "expiré",
            ),
            (
                BadgeStatus::Expired {
                    expired_at: day(2028, 3, 15),
                },
                "!",
                "Badge expiré le 15 mars 2028",
                "Badge valide",
            ),
            (
                BadgeStatus::Revoked {
                    revoked_at: day(2027, 6, 2),
                    reason: Some("erreur de saisie".into()),
                },
                "✕",
                "Badge retiré le 2 juin 2027 — motif : erreur de saisie",
                "Badge valide",
            ),
            (
                BadgeStatus::Revoked {
                    revoked_at: day(2027, 6, 2),
                    reason: None,
                },
                "✕",
                "Badge retiré le 2 juin 2027",
                "motif",
            ),
        ];
        for (status, mark, expected, absent) in cases {
            let html = render(&BadgePage {
                status,
                ..typical()
            });
            let document = parse_page(&html, "Badge « Accueillir un client en magasin »");
            let status = select(&document, ".status")[0];
            let words = crate::test_support::words(status);
            assert!(words.starts_with(mark), "{words}");
            assert!(words.contains(expected), "{expected:?} not in {words:?}");
            assert!(!words.contains(absent), "{absent:?} in {words:?}");
        }
    }

    #[test]
    fn only_http_links_become_links() {
        let mut view = typical();
        view.evidence = [
            "javascript:alert(1)",
            "data:text/html,<b>x</b>",
            " JAVASCRIPT:alert(3)",
        ]
        .into_iter()
        .map(|link| PublicEvidence {
            kind: "Lien".into(),
            text: "Ma preuve".into(),
            link: Some(link.into()),
        })
        .collect();
        view.evidence.push(PublicEvidence {
            kind: "Lien".into(),
            text: "Une vraie page".into(),
            link: Some("https://exemple.fr/preuve".into()),
        });
        view.issuer_url = "javascript:alert(4)".into();
        view.downloads
            .push(("Piège".into(), "data:application/json,{}".into()));
        view.verify_url = Some("javascript:alert(5)".into());
        let html = render(&view);
        let document = parse_page(&html, "Badge « Accueillir un client en magasin »");

        let evidence_links = select(&document, "#preuves ~ ul a");
        assert_eq!(evidence_links.len(), 1);
        assert_eq!(
            evidence_links[0].attr("href"),
            Some("https://exemple.fr/preuve")
        );
        assert_eq!(evidence_links[0].attr("rel"), Some("nofollow noopener"));
        // The refused links are still shown to the reader, as text.
        let text = text_of(&html);
        assert!(text.contains("(javascript:alert(1))"));
        assert!(text.contains("Réseau Insertion Bretagne"));
        assert!(!text.contains("Piège"));
        assert!(!text.contains("Vérifier un fichier de badge"));
        for link in select(&document, "a") {
            let href = link.attr("href").unwrap();
            assert!(!href.to_ascii_lowercase().contains("script:"), "{href}");
            assert!(!href.starts_with("data:"), "{href}");
        }
    }

    #[test]
    fn hostile_text_is_escaped_everywhere() {
        let hostile = HOSTILE[1];
        let text = HOSTILE.join(" ");
        let view = BadgePage {
            badge_name: text.clone(),
            badge_description: text.clone(),
            criteria: text.clone(),
            structure_criterion: Some(text.clone()),
            pathway: Some(text.clone()),
            skill_type: Some(text.clone()),
            issuer_name: text.clone(),
            // Without white space, so that it stays a link and its quote must be escaped.
            issuer_url: "https://exemple.fr/\"><b/onmouseover=alert(3)>".into(),
            structure_name: Some(text.clone()),
            earner_name: Some(text.clone()),
            status: BadgeStatus::Revoked {
                revoked_at: day(2027, 1, 1),
                reason: Some(text.clone()),
            },
            evidence: vec![PublicEvidence {
                kind: text.clone(),
                text: text.clone(),
                link: Some(format!("https://exemple.fr/?q={hostile}")),
            }],
            recommendations: vec![PublicRecommendation {
                from: text.clone(),
                testimony: text.clone(),
                given_at: None,
            }],
            endorsements: vec![PublicEndorsement {
                organisation: text.clone(),
                statement: text.clone(),
                of_issuer: true,
            }],
            downloads: vec![(text.clone(), "https://exemple.fr/badge.json".into())],
            page_url: format!("https://exemple.fr/badges/{hostile}"),
            ..typical()
        };
        let html = render(&view);
        let document = parse_page(&html, &format!("Badge « {text} »"));
        assert_escaped(&html, &document);
        assert_eq!(select(&document, "img").len(), 1);
        assert_eq!(select(&document, "img")[0].attr("alt"), Some(text.as_str()));
    }
}
